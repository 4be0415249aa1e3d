// Unit tests of the TypeScript fixed-point reference (sdk/training) and of the prover input checks.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BaseError } from "../../../sdk/errors.ts";
import {
  type AdapterWeights,
  buildSegmentInput,
  type DataRow,
  decodeField,
  encodeField,
  FIELD_MODULUS,
  FixedPointOverflowError,
  floorDiv,
  logits,
  poseidonHash,
  predict,
  type Saturation,
  type SegmentInputOptions,
  saturateSigned,
  segmentFlags,
  sgdStep,
  TrainingInputError,
  type TrainingParams,
  trainSegment,
} from "../../../sdk/training/index.ts";
import { SEGMENT_TEST_PARAMS } from "../../support/zk.ts";

const P: TrainingParams = SEGMENT_TEST_PARAMS;
const W0: AdapterWeights = {
  weights: [
    [10n, -20n, 30n, -40n],
    [-5n, 15n, -25n, 35n],
  ],
  bias: [3n, -3n],
};
const row = (i: number): DataRow => ({
  x: [BigInt(((i * 37) % 240) - 120), 64n, -64n, BigInt(100 - i * 11)],
  y: i % 2,
});
const OPTIONS: SegmentInputOptions = {
  params: P,
  ctx: 42n,
  initialWeights: W0,
  segment: 1,
  trainRows: Array.from({ length: 8 }, (_, i) => row(i)),
  evalRows: Array.from({ length: 4 }, (_, i) => row(i + 8)),
  tau: 0,
};

async function rejectsInput(patch: Record<string, unknown>, message: RegExp) {
  await assert.rejects(
    buildSegmentInput({ ...OPTIONS, ...patch } as SegmentInputOptions),
    (error: unknown) => {
      assert.ok(error instanceof TrainingInputError, String(error));
      assert.ok(error instanceof BaseError);
      assert.match(error.shortMessage, message);
      return true;
    },
  );
}

describe("fixed-point reference", () => {
  it("floorDiv rounds toward minus infinity", () => {
    assert.equal(floorDiv(7n, 4n), 1n);
    assert.equal(floorDiv(-7n, 4n), -2n);
    assert.equal(floorDiv(-8n, 4n), -2n);
    assert.equal(floorDiv(-1n, 256n), -1n);
    assert.equal(floorDiv(0n, 3n), 0n);
    assert.throws(() => floorDiv(1n, 0n), RangeError);
  });

  it("encodes signed integers as x mod r and back", () => {
    assert.equal(encodeField(-1n), FIELD_MODULUS - 1n);
    assert.equal(decodeField(FIELD_MODULUS - 5n), -5n);
    assert.equal(decodeField(encodeField(123456789n)), 123456789n);
    assert.throws(() => decodeField(FIELD_MODULUS), TrainingInputError);
  });

  it("matches circomlib Poseidon", async () => {
    assert.equal(
      await poseidonHash([1n, 2n]),
      0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189an,
    );
  });

  it("one SGD step by hand", () => {
    // D=1, C=2, B=1, F=8, LR_SHIFT=0: z = floor((w x + b 2^8) / 2^8), g = z - 256 [c == y].
    const p: TrainingParams = { ...P, features: 1, batchSize: 1, lrShift: 0 };
    const w: AdapterWeights = { weights: [[512n], [-300n]], bias: [1n, 0n] };
    // z0 = floor((512*128 + 256) / 256) = 257, g0 = 257; z1 = floor(-300*128 / 256) = -150, g1 = -150 - 256 = -406.
    const out = sgdStep(w, [{ x: [128n], y: 1 }], p);
    // W0 -= floor(257*128 / 2^8) = 128; W1 -= floor(-406*128 / 2^8) = -203; b0 -= 257; b1 -= -406.
    assert.deepEqual(out, { weights: [[384n], [-97n]], bias: [-256n, 406n] });
  });

  it("argmax ties go to the lowest index", () => {
    assert.equal(predict([5n, 5n, 3n]), 0);
    assert.equal(predict([1n, 5n, 5n]), 1);
    assert.equal(predict([-3n, -2n]), 1);
  });

  it("saturateSigned clamps to [-2^(n-1), 2^(n-1) - 1] and keeps values inside", () => {
    assert.equal(saturateSigned(32767n, 16), 32767n);
    assert.equal(saturateSigned(32768n, 16), 32767n);
    assert.equal(saturateSigned(-32768n, 16), -32768n);
    assert.equal(saturateSigned(-32769n, 16), -32768n);
    assert.equal(saturateSigned(10n ** 30n, 24), (1n << 23n) - 1n);
    assert.equal(saturateSigned(-(10n ** 30n), 24), -(1n << 23n));
    assert.equal(saturateSigned(0n, 1), 0n);
    assert.equal(saturateSigned(5n, 1), 0n);
    assert.equal(saturateSigned(-5n, 1), -1n);
  });

  it("an SGD step that leaves 16 bits saturates and records what it clamped", () => {
    // z0 = floor(32767 * -255 / 256) = -32640 (toward minus infinity), g0 = -32896, b0 - g0 = 32896 > 32767.
    const w: AdapterWeights = { weights: [[32767n], [0n]], bias: [0n, 0n] };
    const p: TrainingParams = { ...P, features: 1, batchSize: 1, lrShift: 0 };
    const log: Saturation[] = [];
    const out = sgdStep(w, [{ x: [-255n], y: 0 }], p, 0, log);
    // W0 - floor(-32896 * -255 / 256) = 32767 - 32767 = 0; W1: z1 = 0, g1 = 0; b1 = 0.
    assert.deepEqual(out, { weights: [[0n], [0n]], bias: [32767n, 0n] });
    assert.deepEqual(log, [{ label: "b[0] after step 0", value: 32896n, bits: 16, clamped: 32767n }]);
    // Without a log the result is the same.
    assert.deepEqual(sgdStep(w, [{ x: [-255n], y: 0 }], p), out);
  });

  it("logits saturate to 24 bits (F = 0: z = W x + b)", () => {
    const p: TrainingParams = { ...P, features: 1, fracBits: 0 };
    const w: AdapterWeights = { weights: [[-32768n], [32767n]], bias: [1n, -32768n] };
    const log: Saturation[] = [];
    // z0 = 2^23 + 1 -> 2^23 - 1; z1 = -8,388,352 - 32,768 = -8,421,120 -> -2^23.
    assert.deepEqual(logits(w, [-256n], p, "z", log), [(1n << 23n) - 1n, -(1n << 23n)]);
    assert.deepEqual(
      log.map((e) => [e.label, e.value, e.clamped]),
      [
        ["z[0]", (1n << 23n) + 1n, (1n << 23n) - 1n],
        ["z[1]", -8_421_120n, -(1n << 23n)],
      ],
    );
  });

  it("FixedPointOverflowError names an out-of-range input and the bound", () => {
    const w: AdapterWeights = { weights: W0.weights, bias: [40000n, 0n] };
    assert.throws(
      () => trainSegment(w, OPTIONS.trainRows.slice(0, 4), P),
      (error: unknown) => {
        assert.ok(error instanceof FixedPointOverflowError);
        assert.ok(error instanceof BaseError);
        assert.equal(error.label, "input weights b[0]");
        assert.equal(error.value, 40000n);
        assert.equal(error.max, 32767n);
        assert.equal(
          error.shortMessage,
          "input weights b[0] = 40000 overflows the 16-bit signed range [-32768, 32767]",
        );
        return true;
      },
    );
    const bad = [{ x: [0n, 256n, 0n, 0n], y: 0 }, ...OPTIONS.trainRows.slice(1, 4)];
    assert.throws(() => trainSegment(W0, bad, P), /training row 0 x\[1\] = 256 overflows the 9-bit/);
  });

  it("segment flags: 0 unless last; 1 below tau, 3 at or above", () => {
    assert.equal(segmentFlags(false, false), 0);
    assert.equal(segmentFlags(false, true), 0);
    assert.equal(segmentFlags(true, false), 1);
    assert.equal(segmentFlags(true, true), 3);
  });
});

describe("prover input checks (buildSegmentInput)", () => {
  it("accepts a well-formed input and returns decimal-string signals", async () => {
    const w = await buildSegmentInput(OPTIONS);
    assert.equal(w.isLast, true);
    assert.equal((w.input.x as string[][]).length, 4);
    assert.equal((w.input.path as string[]).length, 1);
    assert.match(w.input.publicHash as string, /^[0-9]+$/);
    assert.equal(w.input.W_in && (w.input.W_in as string[][])[0]?.length, 4);
  });

  it("rejects wrong shapes", async () => {
    await rejectsInput(
      { initialWeights: { weights: [[1n, 2n, 3n, 4n]], bias: [0n, 0n] } },
      /initial weights has 1 weight rows/,
    );
    await rejectsInput(
      {
        initialWeights: {
          weights: [
            [1n, 2n, 3n],
            [1n, 2n, 3n, 4n],
          ],
          bias: [0n, 0n],
        },
      },
      /row 0 has 3 weights/,
    );
    await rejectsInput({ initialWeights: { weights: W0.weights } }, /must be \{ weights/);
    await rejectsInput(
      { evalRows: [row(1), row(2), row(3), { x: [1n, 2n], y: 0 }] },
      /eval rows row 3 has 2 features/,
    );
    await rejectsInput({ params: { ...P, batchSize: 3 } }, /batchSize \(B\) must be a power of two/);
  });

  it("rejects non-field and non-integer values", async () => {
    await rejectsInput({ ctx: FIELD_MODULUS }, /ctx is not a field element/);
    await rejectsInput({ ctx: -1n }, /ctx is not a field element/);
    await rejectsInput({ ctx: 1.5 }, /ctx is not an integer/);
    const bad = (v: unknown) => [{ x: [v, 0n, 0n, 0n], y: 0 }, ...OPTIONS.trainRows.slice(1)];
    await rejectsInput({ trainRows: bad("abc") }, /training rows row 0 x\[0\] is not an integer/);
    await rejectsInput(
      { trainRows: bad(FIELD_MODULUS + 1n) },
      /x\[0\] = \d+ is outside the 9-bit signed range \[-256, 255\]/,
    );
    await rejectsInput({ trainRows: bad(256n) }, /outside the 9-bit signed range/);
    await rejectsInput(
      { initialWeights: { weights: W0.weights, bias: [40000n, 0n] } },
      /initial weights b\[0\] = 40000 is outside the 16-bit signed range/,
    );
  });

  it("rejects bad labels", async () => {
    const withLabel = (y: unknown) => [{ x: [0n, 0n, 0n, 0n], y }, ...OPTIONS.trainRows.slice(1)];
    await rejectsInput({ trainRows: withLabel(-1) }, /label y must be an integer in \[0, 1\], got -1/);
    await rejectsInput({ trainRows: withLabel(2) }, /label y must be an integer in \[0, 1\], got 2/);
    await rejectsInput({ trainRows: withLabel(0.5) }, /label y must be an integer/);
  });

  it("rejects missing rows", async () => {
    await rejectsInput({ trainRows: OPTIONS.trainRows.slice(0, 7) }, /training rows: expected 8 rows, got 7/);
    const holey = [...OPTIONS.trainRows];
    delete holey[5];
    await rejectsInput({ trainRows: holey }, /training rows row 5 is missing/);
    await rejectsInput({ evalRows: [] }, /eval rows: expected 4 rows, got 0/);
  });

  it("rejects a bad segment index or threshold", async () => {
    await rejectsInput({ segment: 2 }, /segment must be an integer in \[0, 1\]/);
    await rejectsInput({ tau: 10001 }, /tau \(basis points\) must be an integer in \[0, 10000\]/);
  });

  it("builds a last segment that misses the threshold, stating the outcome (flags 1)", async () => {
    const met = await buildSegmentInput(OPTIONS);
    assert.deepEqual([met.isLast, met.flags, met.thresholdMet], [true, 3, true]);
    const tau = Math.floor((met.metric.correct * 10000) / 4) + 1;
    assert.ok(tau <= 10000, "the fixture must miss 100 % accuracy");
    const unmet = await buildSegmentInput({ ...OPTIONS, tau });
    assert.equal(unmet.metric.ok, false);
    assert.deepEqual([unmet.flags, unmet.thresholdMet], [1, false]);
    // Same training, another outcome: only tau and the flags differ in the public hash.
    assert.equal(unmet.cOut, met.cOut);
    assert.notEqual(unmet.publicHash, met.publicHash);
    assert.equal(
      unmet.segHash,
      await poseidonHash([unmet.cIn, unmet.cOut, 1n, 1n]),
      "segHash = Poseidon(C_in, C_out, s, flags)",
    );
    // A segment that is not last has flags 0 and proves no outcome.
    const first = await buildSegmentInput({ ...OPTIONS, tau, segment: 0 });
    assert.deepEqual([first.isLast, first.flags, first.thresholdMet], [false, 0, false]);
  });
});
