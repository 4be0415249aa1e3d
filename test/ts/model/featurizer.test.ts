// The frozen-base feature extractor: determinism, range, truncation, the parallel path, and the
// language-model loss.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type BaseModel,
  encodeText,
  Featurizer,
  featurizeParallel,
  lmBitsPerByte,
  SlmError,
} from "../../../enclave-runner/model/index.ts";
import { buildTestModel } from "./support.ts";

const TEXTS = [
  "turn on the kitchen lights",
  "what is the weather tomorrow",
  "interface ReadonlyArray<T> { readonly length: number; }",
  "x",
  "héllo wörld — ünïcode ✓",
  "set a timer for ten minutes please, and then remind me to call the office about the invoice",
  "play some jazz",
  "declare var console: Console;",
  "book a table for two at eight",
  "2024-01-01T00:00:00Z",
];

let model: BaseModel;
let featurizer: Featurizer;

before(async () => {
  model = await buildTestModel();
  featurizer = await Featurizer.create(model);
});
after(() => featurizer.dispose());

describe("encodeText", () => {
  it("returns the UTF-8 bytes truncated to the context", () => {
    assert.deepEqual(encodeText("héllo", 3), new Uint8Array([0x68, 0xc3, 0xa9]));
    assert.deepEqual(encodeText("abc", 8), new Uint8Array([0x61, 0x62, 0x63]));
    assert.equal(encodeText("a".repeat(100), 32).length, 32);
  });
});

describe("Featurizer", () => {
  it("gives config.features integers in [-255, 255] per text", () => {
    const rows = featurizer.featurize(TEXTS);
    assert.equal(rows.length, TEXTS.length);
    for (const row of rows) {
      assert.equal(row.length, model.config.features);
      for (const v of row) {
        assert.equal(typeof v, "bigint");
        assert.ok(v >= -255n && v <= 255n, `feature ${v} out of range`);
      }
    }
    // Different texts must not collapse to one point.
    assert.ok(new Set(rows.map((r) => r.join(","))).size >= TEXTS.length - 1);
  });

  it("is deterministic: the same text gives the same features, alone or in any batch order", () => {
    const forward = featurizer.featurize(TEXTS);
    const reversed = featurizer.featurize([...TEXTS].reverse()).reverse();
    assert.deepEqual(reversed, forward);
    const alone = TEXTS.map((t) => featurizer.featurize([t])[0]);
    assert.deepEqual(alone, forward);
    const twice = featurizer.featurize([TEXTS[2] as string, TEXTS[2] as string]);
    assert.deepEqual(twice[0], twice[1]);
  });

  it("truncates at the context: texts equal in their first context bytes get the same features", () => {
    const ctx = model.config.context;
    const prefix = `${"a".repeat(ctx - 4)}wxyz`;
    const [a, b, c] = featurizer.featurize([
      `${prefix} and more`,
      `${prefix} and something else entirely`,
      prefix,
    ]);
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
    assert.equal(featurizer.tokens([`${prefix} and more`, "abc"]), ctx + 3);
  });

  it("rejects an empty text by index, before any work, without quoting the texts", () => {
    const seen: number[] = [];
    assert.throws(
      () => featurizer.featurize(["secret one", "", "secret two"], (done) => seen.push(done)),
      (e: unknown) => {
        assert.ok(e instanceof SlmError);
        assert.equal(e.code, "EmptyText");
        assert.match(e.message, /text 1 is empty/);
        assert.doesNotMatch(e.message, /secret/);
        return true;
      },
    );
    assert.deepEqual(seen, []);
  });

  it("reports progress once per row", () => {
    const seen: [number, number][] = [];
    featurizer.featurize(TEXTS.slice(0, 3), (done, total) => seen.push([done, total]));
    assert.deepEqual(seen, [
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });
});

describe("featurizeParallel", () => {
  it("gives exactly the Featurizer's rows, in order, on 2 workers", async () => {
    // Enough texts that both workers get several chunks.
    const texts = Array.from({ length: 40 }, (_, i) => `${TEXTS[i % TEXTS.length]} #${i}`);
    const progress: number[] = [];
    const parallel = await featurizeParallel(model, texts, {
      workers: 2,
      onProgress: (done) => progress.push(done),
    });
    assert.deepEqual(parallel, featurizer.featurize(texts));
    assert.equal(progress.at(-1), texts.length);
  });

  it("rejects an empty text before starting workers", async () => {
    await assert.rejects(featurizeParallel(model, ["ok", ""], { workers: 2 }), (e: unknown) => {
      assert.ok(e instanceof SlmError);
      assert.equal(e.code, "EmptyText");
      return true;
    });
  });
});

describe("lmBitsPerByte", () => {
  it("finds text like the corpus more predictable than noise", async () => {
    const code = [
      "interface Array<T> { length: number; }",
      "declare function parseInt(string: string): number;",
    ];
    const noise = ["q7#Zk!x@9&Lp*W2^vB%m$Y4~jR0(T+e", "Xz8!Qp&K3^wN@7*Lr#F5(Bm$9)Hd~2+V"];
    const codeBits = await lmBitsPerByte(model, code);
    const noiseBits = await lmBitsPerByte(model, noise);
    assert.ok(codeBits < noiseBits - 1, `code ${codeBits} vs noise ${noiseBits}`);
    assert.ok(codeBits > 0 && noiseBits < 12);
  });

  it("needs at least one byte to predict", async () => {
    await assert.rejects(
      lmBitsPerByte(model, ["a", "b"]),
      (e: unknown) => e instanceof SlmError && e.code === "EmptyText",
    );
  });
});
