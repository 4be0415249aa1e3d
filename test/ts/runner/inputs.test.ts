// The runner's input checks that need no chain and no model: dataset parsing, the job spec, the
// adapter document and its envelope, the evaluation figures and the reference SGD driver.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { x25519 } from "@noble/curves/ed25519.js";
import { bytesToHex, type Hex, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { RunnerError } from "../../../enclave-runner/errors.ts";
import { encodeDataset, parseDataset } from "../../../enclave-runner/runner/dataset.ts";
import { evaluateAdapter } from "../../../enclave-runner/runner/evaluation.ts";
import {
  checkJobSpecSignature,
  DEFAULT_MAX_DATASET_BYTES,
  JOB_SPEC_VERSION,
  parseJobSpec,
  stringifyJobSpec,
} from "../../../enclave-runner/runner/jobSpec.ts";
import { buyerFailureReason } from "../../../enclave-runner/runner/pipeline.ts";
import { sameWeights, trainAllSegments } from "../../../enclave-runner/trainer/sgd.ts";
import { signJobSpec, zeroWeights } from "../../../scripts/lib/buyer.ts";
import { syntheticTask } from "../../../scripts/lib/syntheticTask.ts";
import {
  AdapterError,
  adapterDocument,
  decryptAdapter,
  encodeAdapter,
  encryptAdapter,
  loraBytesCommitment,
} from "../../../sdk/adapter.ts";
import { EnvelopeError } from "../../../sdk/envelope/index.ts";
import { useNodeCrypto } from "../../../sdk/envelope/node.ts";
import { FixedPointOverflowError, type Saturation, trainSegment } from "../../../sdk/training/index.ts";
import { FailureReason } from "../../../sdk/types.ts";
import { SEGMENT_TEST_PARAMS } from "../../support/zk.ts";

useNodeCrypto();
const params = SEGMENT_TEST_PARAMS;
const limits = { classes: 2, rows: 3, maxBytes: 1000, maxTextBytes: 16 };
const bytes = (s: string) => new TextEncoder().encode(s);
const SALT = `0x${"5a".repeat(32)}` as const;
/** A dataset with the salt line first. */
const salted = (s: string) => bytes(`{"salt":"${SALT}"}\n${s}`);
const rejects = (f: () => unknown, code: string, pattern?: RegExp) =>
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof RunnerError, `expected RunnerError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });

describe("dataset parsing", () => {
  const rows = [
    { text: "a", label: 0 },
    { text: "b c", label: 1 },
    { text: "é", label: 1 },
  ];

  it("round-trips the salt line and the rows as JSON Lines, ignoring blank lines", () => {
    const encoded = new Uint8Array([...encodeDataset(rows, SALT), ...bytes("\n\n")]);
    assert.deepEqual(parseDataset(encoded, limits, "training set"), { salt: SALT, rows });
  });

  it("refuses a dataset without its salt line, and a text longer than the model's context (TextTooLong)", () => {
    const row = `{"text":"a","label":0}`;
    rejects(
      () => parseDataset(bytes(`${row}\n${row}\n${row}`), limits, "training set"),
      "BadData",
      /line 1 must be the salt line/,
    );
    rejects(() => parseDataset(bytes(`{"salt":"0x1234"}\n${row}`), limits, "x"), "BadData", /salt line/);
    rejects(() => parseDataset(bytes(`{"salt":"${SALT}"}`), limits, "x"), "EmptyDataset");
    const long = "é".repeat(9); // 18 UTF-8 bytes > 16, though 9 UTF-16 units
    rejects(
      () => parseDataset(salted(`{"text":"${long}","label":0}`), limits, "training set"),
      "TextTooLong",
      /line 2: the text has 18 UTF-8 bytes, more than the base model's context of 16/,
    );
    assert.equal(
      parseDataset(encodeDataset([{ text: "x".repeat(16), label: 0 }, ...rows.slice(1)], SALT), limits, "x")
        .rows.length,
      3,
    );
  });

  it("rejects each kind of bad input with its code, never quoting the data", () => {
    const secret = "SECRET-TEXT-42";
    rejects(
      () => parseDataset(salted(`{"text":"${secret}","label":0}\n${secret}`), limits, "training set"),
      "BadData",
      /line 3 is not valid JSON/,
    );
    rejects(() => parseDataset(new Uint8Array([0xff, 0xfe]), limits, "training set"), "BadData", /UTF-8/);
    rejects(() => parseDataset(salted(`[1,2]`), limits, "x"), "BadData", /not a JSON object/);
    rejects(() => parseDataset(salted(`{"text":"","label":0}`), limits, "x"), "BadData", /"text"/);
    rejects(() => parseDataset(salted(`{"text":"${secret}","label":2}`), limits, "x"), "BadData", /"label"/);
    rejects(
      () => parseDataset(salted(`{"text":"${secret}","label":0.5}`), limits, "x"),
      "BadData",
      /"label"/,
    );
    rejects(() => parseDataset(bytes("\n \n"), limits, "x"), "EmptyDataset");
    rejects(() => parseDataset(new Uint8Array(0), limits, "x"), "EmptyDataset");
    rejects(
      () => parseDataset(encodeDataset(rows.slice(0, 2), SALT), limits, "x"),
      "WrongRowCount",
      /exactly 3/,
    );
    rejects(() => parseDataset(new Uint8Array(1001), limits, "x"), "DatasetTooLarge", /1001 bytes/);
    for (const bad of [`{"text":"${secret}"`, `${secret}`, `{"text":"${secret}","label":9}`]) {
      try {
        parseDataset(salted(bad), limits, "x");
        assert.fail("accepted bad data");
      } catch (e) {
        assert.ok(!(e as Error).message.includes(secret), "an error message quotes the data");
      }
    }
  });
});

describe("job spec", async () => {
  const { commitments, spec, ownerKey } = await validSpec();

  it("runs only when signed by the job's owner key: a provider's edit or its own signature is refused", async () => {
    await checkJobSpecSignature(await parseJobSpec(stringifyJobSpec(spec)));
    // Key order, whitespace and hex case do not change what was signed.
    const reordered = JSON.parse(stringifyJobSpec(spec));
    reordered.market = reordered.market.toLowerCase();
    await checkJobSpecSignature(
      await parseJobSpec(JSON.stringify({ buyerPublicKey: reordered.buyerPublicKey, ...reordered })),
    );
    const refused = async (s: typeof spec, pattern: RegExp) =>
      assert.rejects(checkJobSpecSignature(s), (e: unknown) => {
        assert.ok(e instanceof RunnerError && e.code === "BadJobSpec", String(e));
        assert.match(e.message, pattern);
        return true;
      });
    // Attack: the provider swaps the result key for its own (it would get the model) or the base model.
    const providerKey = bytesToHex(x25519.getPublicKey(x25519.utils.randomSecretKey()));
    await refused({ ...spec, buyerPublicKey: providerKey }, /not by the job's owner key/);
    await refused(
      { ...spec, baseModel: { ...spec.baseModel, sha256: toHex(7n, { size: 32 }) } },
      /not by the job's owner key/,
    );
    await refused({ ...spec, maxDatasetBytes: 64 }, /not by the job's owner key/);
    // …and signs the edited spec with a key of its own.
    const mallory = privateKeyToAccount(generatePrivateKey());
    const resigned = await signJobSpec({ ...spec, buyerPublicKey: providerKey }, mallory);
    await refused(resigned, new RegExp(`signed by ${mallory.address}`));
    // The owner's signature for another job does not carry over.
    const otherJob = await signJobSpec({ ...spec, jobId: spec.jobId + 1n }, ownerKey);
    await refused({ ...spec, ownerSignature: otherJob.ownerSignature }, /not by the job's owner key/);
    await refused({ ...spec, ownerSignature: undefined }, /carries no ownerSignature/);
  });

  it("parses its own serialization", async () => {
    const parsed = await parseJobSpec(stringifyJobSpec(spec));
    assert.equal(parsed.jobId, spec.jobId);
    assert.deepEqual(parsed.terms, spec.terms);
    assert.ok(sameWeights(parsed.training.initialWeights, spec.training.initialWeights));
    assert.equal(parsed.terms.specHash, commitments.specHash);
  });

  it("rejects a statement other than the posted one, and malformed fields, naming them", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the edits reach into arbitrary JSON on purpose
    const mutate = async (edit: (o: Record<string, any>) => void, pattern: RegExp) => {
      const o = JSON.parse(stringifyJobSpec(spec));
      edit(o);
      await assert.rejects(parseJobSpec(JSON.stringify(o)), (e: unknown) => {
        assert.ok(e instanceof RunnerError && e.code === "BadJobSpec", String(e));
        assert.match(e.message, pattern);
        return true;
      });
    };
    await mutate((o) => {
      o.training.params.lrShift = 3;
    }, /specHash is not Poseidon/);
    await mutate((o) => {
      o.training.initialWeights.bias[0] = "1";
    }, /specHash is not Poseidon/);
    await mutate((o) => {
      o.training.tau = 1;
    }, /qualityThreshold/);
    await mutate((o) => {
      o.version = 1;
    }, /version 1 is not supported/);
    await mutate((o) => {
      o.ownerSignature = "0x1234";
    }, /ownerSignature must be 65 bytes/);
    await mutate((o) => {
      delete o.terms.dataDeadline;
    }, /terms\.dataDeadline is missing/);
    await mutate((o) => {
      o.terms.configId = -1;
    }, /terms\.configId must be a non-negative integer/);
    await mutate((o) => {
      delete o.terms.datasetCommitment;
    }, /terms\.datasetCommitment is missing/);
    await mutate((o) => {
      o.buyerPublicKey = "0x12";
    }, /buyerPublicKey must be 32 bytes/);
    await mutate((o) => {
      o.training.params.batchSize = 3;
    }, /batchSize/);
    await mutate((o) => {
      o.training.initialWeights.weights[0][0] = "40000";
    }, /16-bit|overflow|range/);
    await assert.rejects(parseJobSpec("{not json"), /BadJobSpec: the job spec is not valid JSON/);
  });
});

describe("which failures are the buyer's (the enclave's failure statement)", () => {
  const err = (code: ConstructorParameters<typeof RunnerError>[0]) => new RunnerError(code, "x");
  const fetched = { fetched: true };

  it("undecryptable or unparsable recorded data is DataMalformed", () => {
    for (const code of ["CorruptCiphertext", "WrongJob", "BadData", "EmptyDataset", "WrongRowCount"] as const)
      assert.equal(buyerFailureReason(err(code), fetched), FailureReason.DataMalformed, code);
  });

  it("rows not matching the posted commitments are DataMismatch; rows out of the fixed-point range DataOverflow", () => {
    assert.equal(buyerFailureReason(err("CommitmentMismatch"), fetched), FailureReason.DataMismatch);
    assert.equal(
      buyerFailureReason(err("CommitmentMismatch"), { fetched: true, dataOverflow: true }),
      FailureReason.DataOverflow,
    );
    assert.equal(
      buyerFailureReason(err("TrainingRejected"), { fetched: true, dataOverflow: true }),
      FailureReason.DataOverflow,
    );
    // An overflow the runner's own features do not reproduce is the backend's.
    assert.equal(buyerFailureReason(err("TrainingRejected"), fetched), undefined);
  });

  it("a dataset over the spec's limit is the buyer's only above the runner's own ceiling", () => {
    assert.equal(buyerFailureReason(err("DatasetTooLarge"), { fetched: true, oversize: 65_536 }), undefined);
    assert.equal(
      buyerFailureReason(err("DatasetTooLarge"), { fetched: true, oversize: DEFAULT_MAX_DATASET_BYTES + 1 }),
      FailureReason.DataMalformed,
    );
  });

  it("nothing is the buyer's before the recorded blobs were fetched, nor provider-side failures", () => {
    assert.equal(buyerFailureReason(err("BadData"), { fetched: false }), undefined);
    for (const code of [
      "BlobUnavailable",
      "DeliveryTimeout",
      "TrainerFailed",
      "ProofFailed",
      "JobMismatch",
      "AttestationNotAccepted",
      "BaseModelMismatch",
    ] as const)
      assert.equal(buyerFailureReason(err(code), fetched), undefined, code);
  });
});

describe("adapter document and envelope", () => {
  it("round-trips to the buyer and checks the commitment", async () => {
    const { run } = trainedRun();
    const doc = await adapterDocument({ name: "m", sha256: toHex(1n, { size: 32 }) }, params, run.weights);
    const buyer = x25519.utils.randomSecretKey();
    const envelope = await encryptAdapter(doc, bytesToHex(x25519.getPublicKey(buyer)), 7n);
    const back = await decryptAdapter({
      envelope,
      buyerSecretKey: buyer,
      jobId: 7n,
      modelCommitment: doc.commitment,
    });
    assert.ok(sameWeights(back.weights, run.weights));
    // wrong commitment, wrong job, wrong key, flipped byte
    await assert.rejects(
      decryptAdapter({
        envelope,
        buyerSecretKey: buyer,
        jobId: 7n,
        modelCommitment: toHex(5n, { size: 32 }),
      }),
      AdapterError,
    );
    await assert.rejects(
      decryptAdapter({ envelope, buyerSecretKey: buyer, jobId: 8n, modelCommitment: doc.commitment }),
      (e: unknown) => e instanceof EnvelopeError && e.code === "WrongJob",
    );
    await assert.rejects(
      decryptAdapter({
        envelope,
        buyerSecretKey: x25519.utils.randomSecretKey(),
        jobId: 7n,
        modelCommitment: doc.commitment,
      }),
      (e: unknown) => e instanceof EnvelopeError && e.code === "AuthenticationFailed",
    );
    const flipped = envelope.slice();
    flipped[flipped.length - 20] = (flipped[flipped.length - 20] as number) ^ 1;
    await assert.rejects(
      decryptAdapter({
        envelope: flipped,
        buyerSecretKey: buyer,
        jobId: 7n,
        modelCommitment: doc.commitment,
      }),
      (e: unknown) => e instanceof EnvelopeError,
    );
  });

  it("refuses a document whose weights do not match its stated commitment", async () => {
    const { run } = trainedRun();
    const doc = await adapterDocument({ name: "m", sha256: toHex(1n, { size: 32 }) }, params, run.weights);
    const text = new TextDecoder().decode(encodeAdapter(doc));
    const json = JSON.parse(text);
    json.weights.bias[0] = String(BigInt(json.weights.bias[0]) + 1n);
    const { decodeAdapter } = await import("../../../sdk/adapter.ts");
    await assert.rejects(decodeAdapter(new TextEncoder().encode(JSON.stringify(json))), /commit to/);
  });

  it("carries a LoRA adapter checked against the binding's commitment: a flipped byte, a swapped or a missing LoRA is refused", async () => {
    const { run } = trainedRun();
    const loraBytes = new Uint8Array(257).map((_, i) => (i * 31) & 0xff);
    const doc = await adapterDocument(
      { name: "m", sha256: toHex(1n, { size: 32 }) },
      params,
      run.weights,
      loraBytes,
    );
    assert.equal(doc.lora?.commitment, loraBytesCommitment(loraBytes));
    const buyer = x25519.utils.randomSecretKey();
    const envelope = await encryptAdapter(doc, bytesToHex(x25519.getPublicKey(buyer)), 7n);
    const open = (loraCommitment: Hex | undefined) =>
      decryptAdapter({
        envelope,
        buyerSecretKey: buyer,
        jobId: 7n,
        modelCommitment: doc.commitment,
        loraCommitment,
      });
    assert.deepEqual((await open(doc.lora?.commitment))?.lora?.bytes, loraBytes);
    await assert.rejects(open(toHex(9n, { size: 32 })), /LoRA commits to .* not to the binding's/);
    await assert.rejects(open(toHex(0n, { size: 32 })), /binding states none/);
    // The document without its LoRA, where the binding names one.
    const headOnly = await adapterDocument(doc.baseModel, params, run.weights);
    const headEnvelope = await encryptAdapter(headOnly, bytesToHex(x25519.getPublicKey(buyer)), 7n);
    await assert.rejects(
      decryptAdapter({
        envelope: headEnvelope,
        buyerSecretKey: buyer,
        jobId: 7n,
        modelCommitment: doc.commitment,
        loraCommitment: doc.lora?.commitment,
      }),
      /LoRA commits to nothing/,
    );
    // A flipped LoRA byte no longer hashes to the stated commitment.
    const json = JSON.parse(new TextDecoder().decode(encodeAdapter(doc)));
    json.lora.hex = `${json.lora.hex.slice(0, -2)}${json.lora.hex.endsWith("00") ? "01" : "00"}`;
    const { decodeAdapter } = await import("../../../sdk/adapter.ts");
    await assert.rejects(decodeAdapter(new TextEncoder().encode(JSON.stringify(json))), /LoRA bytes hash to/);
    json.lora.hex = "0xzz";
    await assert.rejects(decodeAdapter(new TextEncoder().encode(JSON.stringify(json))), /not hex/);
  });
});

describe("training driver and evaluation", () => {
  it("trainAllSegments equals the reference segment by segment", () => {
    const { task, run } = trainedRun();
    let w = task.initialWeights;
    const KB = params.steps * params.batchSize;
    for (let s = 0; s < params.segments; s++)
      w = trainSegment(w, task.trainRows.slice(s * KB, (s + 1) * KB), params);
    assert.ok(sameWeights(w, run.weights));
    assert.equal(run.steps.at(-1), params.segments * params.steps);
  });

  it("rejects wrong row counts and out-of-range inputs; saturates overflowing weights like the circuit", () => {
    const { task } = trainedRun();
    assert.throws(() => trainAllSegments(task.initialWeights, task.trainRows.slice(1), params), /S·K·B/);
    const tooBig = zeroWeights(params);
    tooBig.bias = tooBig.bias.map(() => 40_000n);
    assert.throws(() => trainAllSegments(tooBig, task.trainRows, params), FixedPointOverflowError);
    const big = zeroWeights(params);
    big.weights = big.weights.map((row) => row.map(() => 32_767n)); // logits ~ 2^17: the first step leaves 16 bits
    const p = { ...params, lrShift: 0 };
    const trained = trainAllSegments(big, task.trainRows, p);
    // The reference segment by segment, recording what it clamped: the same weights.
    const saturations: Saturation[] = [];
    let w = big;
    const KB = p.steps * p.batchSize;
    for (let s = 0; s < p.segments; s++)
      w = trainSegment(w, task.trainRows.slice(s * KB, (s + 1) * KB), p, saturations);
    assert.ok(sameWeights(trained, w));
    assert.ok(saturations.length > 0, "the run saturates");
    assert.ok([...trained.weights.flat(), ...trained.bias].every((v) => v >= -32_768n && v <= 32_767n));
  });

  it("reports lower loss after training on separable data, and exact accuracy", () => {
    const { task, run } = trainedRun();
    const base = evaluateAdapter(task.initialWeights, task.evalRows, params);
    const tuned = evaluateAdapter(run.weights, task.evalRows, params);
    assert.equal(base.mse, 1); // zero logits: (0 - 1)^2 for the true class, 0 elsewhere
    assert.ok(Math.abs(base.crossEntropy - Math.log(params.classes)) < 1e-12);
    assert.ok(tuned.mse < base.mse, `${tuned.mse} >= ${base.mse}`);
    assert.equal(tuned.total, params.evalRows);
    assert.equal(tuned.accuracy, tuned.correct / tuned.total);
  });
});

function trainedRun() {
  const task = syntheticTask(params, 3);
  const steps: number[] = [];
  const weights = trainAllSegments(task.initialWeights, task.trainRows, params, (done) => steps.push(done));
  return { task, run: { weights, steps } };
}

async function validSpec() {
  const { jobCommitments } = await import("../../../sdk/training/index.ts");
  const task = syntheticTask(params, 3);
  const commitments = await jobCommitments({ params, ...task, tau: 5000 });
  const h = (n: bigint) => toHex(n, { size: 32 });
  const ownerKey = privateKeyToAccount(generatePrivateKey());
  const unsigned = {
    version: JOB_SPEC_VERSION as typeof JOB_SPEC_VERSION,
    chainId: 31337n,
    market: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const,
    jobId: 3n,
    terms: {
      ...commitments,
      measurement: h(0n),
      committeeHash: h(0n),
      asset: "0x0000000000000000000000000000000000000000" as const,
      priceCeiling: 10n ** 18n,
      ownerKey: ownerKey.address,
      bidDeadline: 100n,
      attestDeadline: 200n,
      deliveryDeadline: 300n,
      dataDeadline: 250n,
      configId: 1,
      teeTypes: 16,
      parties: 1,
      threshold: 0,
      committeeSize: 0,
      refundCommitment: h(9n),
    },
    baseModel: { name: "slm-byte-test", sha256: h(1n) },
    training: { params, initialWeights: task.initialWeights, tau: 5000 },
    buyerPublicKey: bytesToHex(x25519.getPublicKey(x25519.utils.randomSecretKey())),
    maxDatasetBytes: 1 << 20,
  };
  return { commitments, spec: await signJobSpec(unsigned, ownerKey), ownerKey };
}
