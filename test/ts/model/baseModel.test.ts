// The base model's build and cache: determinism, the cache round trip, and the strict file format.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, it } from "node:test";
import {
  type BaseModel,
  cacheFileName,
  loadCorpus,
  loadOrBuildBaseModel,
  parseBaseModel,
  SlmError,
  serializeBaseModel,
  TEST_SLM_CONFIG,
} from "../../../enclave-runner/model/index.ts";
import { tempCacheDir } from "./support.ts";

const modelFile = (dir: string): string => {
  const files = readdirSync(dir).filter((f) => f.endsWith(".btslm"));
  assert.equal(files.length, 1, `expected one model file in ${dir}, found ${files.join(", ")}`);
  return join(dir, files[0] as string);
};
const sha256 = (bytes: Uint8Array) => `0x${createHash("sha256").update(bytes).digest("hex")}`;
const isSlmError = (code: string, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof SlmError, `expected an SlmError, got ${String(e)}`);
  assert.equal(e.code, code);
  if (message) assert.match(e.message, message);
  return true;
};

// Built once on this thread and once on two worker threads: the gradient of every step is a fixed
// sum of micro-batch gradients, so where they ran must not change a single byte.
const dirA = tempCacheDir();
const dirB = tempCacheDir();
const built: Promise<[BaseModel, BaseModel]> = Promise.all([
  loadOrBuildBaseModel(TEST_SLM_CONFIG, { cacheDir: dirA, workers: 0 }),
  loadOrBuildBaseModel(TEST_SLM_CONFIG, { cacheDir: dirB, workers: 2 }),
]);

describe("loadOrBuildBaseModel", () => {
  it("builds byte-identical files from scratch, on this thread or on workers", async () => {
    const [a, b] = await built;
    const bytesA = new Uint8Array(readFileSync(modelFile(dirA)));
    const bytesB = new Uint8Array(readFileSync(modelFile(dirB)));
    assert.deepEqual(bytesA, bytesB);
    assert.equal(a.sha256, b.sha256);
    assert.equal(a.sha256, sha256(bytesA));
  });

  it("pretraining lowers the loss and beats a unigram model on held-out text", async () => {
    const [{ report }] = await built;
    assert.equal(report.pretrainSteps, TEST_SLM_CONFIG.pretrain.steps);
    assert.equal(
      report.pretrainTokens,
      TEST_SLM_CONFIG.pretrain.steps * TEST_SLM_CONFIG.pretrain.batch * TEST_SLM_CONFIG.context,
    );
    // An untrained byte model is near log2(256) = 8 bits per byte.
    assert.ok(report.lossFirst > 7.5 && report.lossFirst < 8.5, `lossFirst ${report.lossFirst}`);
    assert.ok(report.lossLast < report.lossFirst - 2, `loss ${report.lossFirst} → ${report.lossLast}`);
    assert.ok(
      report.heldOutBitsPerByte < report.unigramBitsPerByte - 0.3,
      `held-out ${report.heldOutBitsPerByte} vs unigram ${report.unigramBitsPerByte}`,
    );
    assert.ok(report.pretrainSeconds > 0);
  });

  it("loads the second time from the cache, with the same sha256 and weights", async () => {
    const [a] = await built;
    const t0 = performance.now();
    const again = await loadOrBuildBaseModel(TEST_SLM_CONFIG, { cacheDir: dirA });
    assert.ok(performance.now() - t0 < 1000, "a cached load must not pretrain");
    assert.equal(again.sha256, a.sha256);
    assert.deepEqual(again.weights, a.weights);
    assert.deepEqual(again.projection, a.projection);
    assert.deepEqual(again.report, a.report, "pretrainSeconds comes back from the side file");
  });

  it("rejects a cached file with one flipped byte, and rebuilds it only when asked", async () => {
    const [a] = await built;
    const dir = tempCacheDir();
    const file = join(dir, basename(modelFile(dirA)));
    const bytes = new Uint8Array(readFileSync(modelFile(dirA)));
    bytes[Math.floor(bytes.length / 2)] = (bytes[Math.floor(bytes.length / 2)] as number) ^ 0x01;
    writeFileSync(file, bytes);
    await assert.rejects(
      loadOrBuildBaseModel(TEST_SLM_CONFIG, { cacheDir: dir }),
      isSlmError("CorruptWeights", /checksum/),
    );
    const rebuilt = await loadOrBuildBaseModel(TEST_SLM_CONFIG, { cacheDir: dir, rebuild: true });
    assert.equal(rebuilt.sha256, a.sha256);
    assert.equal(sha256(new Uint8Array(readFileSync(file))), a.sha256);
  });

  it("rejects a cached file of another config under this config's name", async () => {
    const other = { ...TEST_SLM_CONFIG, features: 8 };
    const dir = tempCacheDir();
    copyFileSync(modelFile(dirA), join(dir, cacheFileName(other, loadCorpus().info.sha256)));
    await assert.rejects(
      loadOrBuildBaseModel(other, { cacheDir: dir }),
      isSlmError("HashMismatch", /another config/),
    );
  });

  it("rejects an invalid config before doing any work", async () => {
    await assert.rejects(
      loadOrBuildBaseModel({ ...TEST_SLM_CONFIG, heads: 3 }, { cacheDir: tempCacheDir() }),
      isSlmError("BadConfig", /heads \(3\) must divide dModel \(32\)/),
    );
    await assert.rejects(
      loadOrBuildBaseModel({ ...TEST_SLM_CONFIG, features: 0 }, { cacheDir: tempCacheDir() }),
      isSlmError("BadConfig", /features must be a positive integer/),
    );
  });
});

describe("parseBaseModel", () => {
  it("round-trips serializeBaseModel", async () => {
    const [a] = await built;
    const bytes = serializeBaseModel(a);
    const parsed = parseBaseModel(bytes);
    assert.equal(parsed.sha256, a.sha256);
    assert.deepEqual(parsed.config, a.config);
    assert.deepEqual(parsed.weights, a.weights);
    assert.deepEqual(parsed.projection, a.projection);
    assert.deepEqual(parsed.corpus, a.corpus);
    assert.ok(Number.isNaN(parsed.report.pretrainSeconds), "timings are not in the file");
    assert.equal(parsed.report.heldOutBitsPerByte, a.report.heldOutBitsPerByte);
  });

  it("rejects bad magic, an unsupported version, a truncated file and any flipped byte", async () => {
    const [a] = await built;
    const good = serializeBaseModel(a);
    const resealed = (mutate: (b: Uint8Array) => void) => {
      // Recomputes the trailing checksum so the check under test is the one that fires.
      const b = good.slice();
      mutate(b);
      b.set(
        createHash("sha256")
          .update(b.subarray(0, b.length - 32))
          .digest(),
        b.length - 32,
      );
      return b;
    };
    assert.throws(
      () => parseBaseModel(resealed((b) => b.set([0x58], 0))),
      isSlmError("CorruptWeights", /bad magic/),
    );
    assert.throws(
      () => parseBaseModel(resealed((b) => b.set([2], 5))),
      isSlmError("CorruptWeights", /unsupported BTSLM version 2/),
    );
    assert.throws(() => parseBaseModel(good.subarray(0, 20)), isSlmError("CorruptWeights"));
    assert.throws(
      () => parseBaseModel(good.subarray(0, good.length - 4)),
      isSlmError("CorruptWeights", /checksum/),
    );
    // A byte in the header, the metadata, a tensor and the checksum itself.
    for (const at of [9, 40, good.length - 100, good.length - 1]) {
      const b = good.slice();
      b[at] = (b[at] as number) ^ 0x80;
      assert.throws(() => parseBaseModel(b), isSlmError("CorruptWeights"), `flipped byte ${at}`);
    }
  });
});
