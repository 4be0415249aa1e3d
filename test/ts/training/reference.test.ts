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
  poseidonHash,
  predict,
  type SegmentInputOptions,
  sgdStep,
  TrainingInputError,
  TrainingMetricError,
  type TrainingParams,
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

  it("FixedPointOverflowError names the value and the bound", () => {
    // z0 = floor(32767 * -255 / 256) = -32640 (toward minus infinity), g0 = -32896, b0 - g0 = 32896 > 32767.
    const w: AdapterWeights = { weights: [[32767n], [0n]], bias: [0n, 0n] };
    const p: TrainingParams = { ...P, features: 1, batchSize: 1, lrShift: 0 };
    assert.throws(
      () => sgdStep(w, [{ x: [-255n], y: 0 }], p),
      (error: unknown) => {
        assert.ok(error instanceof FixedPointOverflowError);
        assert.ok(error instanceof BaseError);
        assert.equal(error.label, "b[0] after step 0");
        assert.equal(error.value, 32896n);
        assert.equal(error.max, 32767n);
        assert.equal(
          error.shortMessage,
          "b[0] after step 0 = 32896 overflows the 16-bit signed range [-32768, 32767]",
        );
        return true;
      },
    );
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

  it("refuses to build a last segment that misses the threshold", async () => {
    const met = await buildSegmentInput(OPTIONS);
    const tau = Math.floor((met.metric.correct * 10000) / 4) + 1;
    if (tau > 10000) return;
    await assert.rejects(buildSegmentInput({ ...OPTIONS, tau }), TrainingMetricError);
    const allowed = await buildSegmentInput({ ...OPTIONS, tau, allowUnmetMetric: true });
    assert.equal(allowed.metric.ok, false);
  });
});
