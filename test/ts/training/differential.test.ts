// Differential test of the training statement: the circom circuit (circuits/training_segment.circom)
// and the TypeScript reference (sdk/training) agree on publicHash, C_in, C_out, R_train, R_eval, the
// metric bit and the segment flags (the outcome) on 200+ random instances, including runs that
// saturate weights, biases and (in the F = 2 test shape) logits. A witness exists for every
// well-formed run, whether the last segment meets tau or not; it does not exist for malformed
// inputs (features, labels, tau, weights out of range) nor for a public hash stating the other outcome.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  type AdapterWeights,
  buildSegmentInput,
  type CircuitInput,
  commitWeights,
  type DataRow,
  encodeField,
  getPoseidon,
  LOGIT_BITS,
  type SegmentWitness,
  saturateSigned,
  type TrainingParams,
  WEIGHT_BITS,
} from "../../../sdk/training/index.ts";
import { type CompiledCircuit as Circuit, compileCircuit } from "../../support/circom.ts";
import { SEGMENT_TEST_PARAMS } from "../../support/zk.ts";

const OUT_DIR = "build/circuits/test-differential";
const loadCircuit = (name: string, file: string) => compileCircuit(name, file, OUT_DIR);

// Deterministic PRNG (mulberry32) so failures reproduce.
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return { next, int, big: (lo: number, hi: number) => BigInt(int(lo, hi)) };
}
type Rng = ReturnType<typeof rng>;

/**
 * Weights in [-scale, scale], clamped to WB bits; scale "ends": each value -32768, 32767 or random,
 * which together with extreme features makes some updates leave 16 bits.
 */
function randomWeights(r: Rng, p: TrainingParams, scale: number | "ends"): AdapterWeights {
  const value = () =>
    scale === "ends"
      ? ([-32768n, 32767n, r.big(-32768, 32767)][r.int(0, 2)] as bigint)
      : saturateSigned(r.big(-scale, scale), WEIGHT_BITS);
  return {
    weights: Array.from({ length: p.classes }, () => Array.from({ length: p.features }, value)),
    bias: Array.from({ length: p.classes }, value),
  };
}

/** Rows with features in [-256, 255]; `extreme` rows use only the two ends (largest products). */
function randomRows(r: Rng, p: TrainingParams, n: number, extreme = false): DataRow[] {
  return Array.from({ length: n }, () => ({
    x: Array.from({ length: p.features }, () => (extreme ? (r.int(0, 1) ? 255n : -256n) : r.big(-256, 255))),
    y: r.int(0, p.classes - 1),
  }));
}

/** Every weight `w`, every bias `b`. */
function constantWeights(p: TrainingParams, w: bigint, b: bigint): AdapterWeights {
  return {
    weights: Array.from({ length: p.classes }, () => Array.from({ length: p.features }, () => w)),
    bias: Array.from({ length: p.classes }, () => b),
  };
}

/** What one instance exercised. */
type Outcome = {
  kind: "met" | "unmet-last" | "not-last";
  /** A weight or bias saturated. */
  weightSaturated: boolean;
  /** A logit (training or eval) saturated. */
  logitSaturated: boolean;
};

function outcomeOf(run: SegmentWitness): Outcome {
  return {
    kind: !run.isLast ? "not-last" : run.thresholdMet ? "met" : "unmet-last",
    weightSaturated: run.saturations.some((e) => e.bits === WEIGHT_BITS),
    logitSaturated: run.saturations.some((e) => e.bits === LOGIT_BITS),
  };
}

async function expectNoWitness(circuit: Circuit, input: CircuitInput, where: RegExp): Promise<void> {
  await assert.rejects(circuit.witness(input), (error: Error) => {
    assert.match(error.message, /Assert Failed/);
    assert.match(error.message, where);
    return true;
  });
}

const TEST_PARAMS: TrainingParams = SEGMENT_TEST_PARAMS;
/** circuits/test/segment_saturate.circom: F = 2, so logits can leave 24 bits. */
const SATURATE_PARAMS: TrainingParams = { ...SEGMENT_TEST_PARAMS, fracBits: 2 };
const EDGE_PARAMS: TrainingParams = {
  features: 26,
  classes: 9,
  batchSize: 1,
  steps: 1,
  fracBits: 6,
  lrShift: 3,
  evalRows: 1,
  segments: 1,
};

describe("training circuit vs TypeScript reference", () => {
  let testCircuit: Circuit;
  let edgeCircuit: Circuit;
  let saturateCircuit: Circuit;

  before(async () => {
    testCircuit = await loadCircuit("segment_test", "circuits/main/segment_test.circom");
    edgeCircuit = await loadCircuit("segment_edge", "circuits/test/segment_edge.circom");
    saturateCircuit = await loadCircuit("segment_saturate", "circuits/test/segment_saturate.circom");
  });

  /** The circuit's witness of `run.input` exists and agrees with the reference on every read-back value. */
  async function expectAgreement(circuit: Circuit, run: SegmentWitness, what: string): Promise<void> {
    const w = await circuit.witness(run.input);
    const read = (name: string, fallback?: bigint) => circuit.signal(w, name) ?? fallback;
    assert.equal(read("publicHash"), run.publicHash, `${what}: publicHash`);
    assert.equal(read("C_in", read("C0")), run.cIn, `${what}: C_in`);
    assert.equal(read("C_out"), run.cOut, `${what}: C_out`);
    assert.equal(read("R_train"), run.rTrain, `${what}: R_train`);
    assert.equal(read("R_eval"), run.rEval, `${what}: R_eval`);
    assert.equal(read("evalCount"), BigInt(run.metric.correct), `${what}: eval count`);
    // flags = isLast + 2 lastOk with lastOk = isLast * metricOk. --O2 replaces isLast by the bit of s
    // it is constrained to and folds flags into the hash input; then they are derived from the wires
    // that remain (the input isLast was accepted, so it equals the circuit's [s == S - 1]).
    // With S = 1 (isLast = 1), --O2 keeps lastOk = metricOk and drops metricOk.
    const isLast = read("isLast", BigInt(run.input.isLast as string)) as bigint;
    assert.equal(isLast, run.isLast ? 1n : 0n, `${what}: isLast`);
    const metricOk = read("metricOk", read("lastOk")) as bigint;
    assert.equal(metricOk, run.metric.ok ? 1n : 0n, `${what}: metric bit`);
    const lastOk = read("lastOk", isLast * metricOk) as bigint;
    assert.equal(read("flags", isLast + 2n * lastOk), BigInt(run.flags), `${what}: flags`);
  }

  async function checkAgreement(circuit: Circuit, params: TrainingParams, seed: number): Promise<Outcome> {
    const r = rng(seed);
    const scale = ([50, 500, 3000, 12000, "ends"] as const)[r.int(0, 4)] ?? 50;
    const extreme = scale === "ends" || r.int(0, 3) === 0;
    const initialWeights = randomWeights(r, params, scale);
    const trainRows = randomRows(r, params, params.segments * params.steps * params.batchSize, extreme);
    const evalRows = randomRows(r, params, params.evalRows, extreme);
    const segment = r.int(0, params.segments - 1);
    const ctx = encodeField(r.big(-(2 ** 40), 2 ** 40) * 2n ** 200n + r.big(0, 2 ** 40));
    const base = { params, ctx, initialWeights, segment, trainRows, evalRows };

    const reference = await buildSegmentInput({ ...base, tau: 0 });
    assert.equal(reference.flags, reference.isLast ? 3 : 0, `seed ${seed}: tau = 0 is always met`);
    await expectAgreement(circuit, reference, `seed ${seed}, tau 0`);
    // tau around the achieved accuracy so both outcomes occur.
    const achieved = Math.floor((reference.metric.correct * 10000) / params.evalRows);
    const tau = Math.min(
      10000,
      Math.max(0, achieved + ([0, 1, -1, r.int(-3000, 3000)][r.int(0, 3)] as number)),
    );
    const run = await buildSegmentInput({ ...base, tau });
    assert.equal(run.cOut, reference.cOut);
    assert.equal(run.saturated, run.saturations.length > 0);
    await expectAgreement(circuit, run, `seed ${seed}, tau ${tau}`);
    return outcomeOf(run);
  }

  /** Runs seeds `from..to` and counts outcomes. */
  async function agreeOn(circuit: Circuit, params: TrainingParams, from: number, to: number) {
    const counts = { met: 0, "unmet-last": 0, "not-last": 0, weightSaturated: 0, logitSaturated: 0 };
    for (let seed = from; seed <= to; seed++) {
      const o = await checkAgreement(circuit, params, seed);
      counts[o.kind]++;
      if (o.weightSaturated) counts.weightSaturated++;
      if (o.logitSaturated) counts.logitSaturated++;
    }
    if (process.env.TRAINING_TEST_VERBOSE) console.log(counts);
    return counts;
  }

  it("agrees on 200 random small instances (test main: D=4 C=2 B=2 K=2 E=4 S=2), both outcomes, saturating runs", async () => {
    const counts = await agreeOn(testCircuit, TEST_PARAMS, 1, 200);
    const all = JSON.stringify(counts);
    assert.ok(counts.met >= 40, `metric met: ${all}`);
    assert.ok(counts["unmet-last"] >= 20, `threshold missed on the last segment, proven: ${all}`);
    assert.ok(counts["not-last"] >= 20, `not the last segment: ${all}`);
    assert.ok(counts.weightSaturated >= 10, `weights or biases saturated: ${all}`);
    // F = 8 and D = 4: |z| <= 5 * 2^15 + 1 < 2^23, so no logit can saturate in this shape.
    assert.equal(counts.logitSaturated, 0, all);
  });

  it("agrees where logits saturate too (F = 2 shape, training and eval logits clamped to 24 bits)", async () => {
    const counts = await agreeOn(saturateCircuit, SATURATE_PARAMS, 501, 560);
    const all = JSON.stringify(counts);
    assert.ok(counts.logitSaturated >= 5, `logits saturated: ${all}`);
    assert.ok(counts.weightSaturated >= 20, `weights saturated: ${all}`);
    assert.ok(counts["unmet-last"] >= 3 && counts.met >= 3, `both outcomes: ${all}`);
  });

  it("agrees on the edge shape (two leaf elements, two commitment blocks, B=K=E=S=1)", async () => {
    const counts = await agreeOn(edgeCircuit, EDGE_PARAMS, 1001, 1012);
    assert.ok(counts.met >= 1 && counts["unmet-last"] >= 1, JSON.stringify(counts));
  });

  it("agrees at the corners of the ranges (the bounds that size the circuit's decompositions)", async () => {
    // Every weight and bias at one end, every feature at one end: the largest logits and updates.
    const shapes: [Circuit, TrainingParams][] = [
      [testCircuit, TEST_PARAMS],
      [saturateCircuit, SATURATE_PARAMS],
      [edgeCircuit, EDGE_PARAMS],
    ];
    let corners = 0;
    for (const [circuit, params] of shapes) {
      for (const w of [-32768n, 32767n]) {
        for (const b of [-32768n, 32767n]) {
          for (const x of [-256n, 255n]) {
            for (const y of [0, params.classes - 1]) {
              const rows = (n: number) =>
                Array.from({ length: n }, () => ({ x: Array(params.features).fill(x) as bigint[], y }));
              const run = await buildSegmentInput({
                params,
                ctx: 5n,
                initialWeights: constantWeights(params, w, b),
                segment: params.segments - 1,
                trainRows: rows(params.segments * params.steps * params.batchSize),
                evalRows: rows(params.evalRows),
                tau: 5000,
              });
              await expectAgreement(circuit, run, `corner W=${w} b=${b} x=${x} y=${y} F=${params.fracBits}`);
              corners++;
            }
          }
        }
      }
    }
    assert.equal(corners, 48);
  });

  it("saturation: the reference clamps (and records it), the circuit agrees instead of failing", async () => {
    const p = TEST_PARAMS;
    // Large positive weights, x = 255 and a very negative bias: z ~ 95,000, so the bias update
    // b - floor(sum g / 2^(LR_SHIFT + log2 B)) drops below -2^15 in step 0 and is clamped to -32768.
    const initialWeights: AdapterWeights = {
      weights: [Array(p.features).fill(32000n), Array(p.features).fill(32000n)],
      bias: [-32000n, -32000n],
    };
    const rows = Array.from({ length: 8 }, () => ({ x: Array(p.features).fill(255n), y: 0 }));
    const run = await buildSegmentInput({
      params: p,
      ctx: 7n,
      initialWeights,
      segment: 0,
      trainRows: rows,
      evalRows: rows.slice(0, 4),
      tau: 0,
    });
    assert.equal(run.saturated, true);
    const first = run.saturations[0];
    assert.ok(first);
    assert.match(first.label, /^b\[\d\] after step 0$/);
    assert.ok(first.value < -32768n, String(first.value));
    assert.equal(first.clamped, -32768n);
    assert.equal(first.bits, 16);
    for (const e of run.saturations) assert.equal(e.clamped, saturateSigned(e.value, e.bits), e.label);
    await expectAgreement(testCircuit, run, "saturating run");
    // Saturated values are what the next step and the commitment use.
    assert.ok(run.outputWeights.bias.every((v) => v >= -32768n && v <= 32767n));
  });

  it("a last segment that misses tau has a witness stating flags = 1, and none stating 3 (and vice versa)", async () => {
    const r = rng(4242);
    const p = TEST_PARAMS;
    const base = {
      params: p,
      ctx: 9n,
      initialWeights: randomWeights(r, p, 300),
      segment: 1,
      trainRows: randomRows(r, p, 8),
      evalRows: randomRows(r, p, 4),
    };
    const met = await buildSegmentInput({ ...base, tau: 0 });
    const unmet = await buildSegmentInput({ ...base, tau: 10000 });
    assert.ok(met.metric.correct < 4, "the instance must miss 100 %");
    assert.deepEqual([met.flags, met.thresholdMet, unmet.flags, unmet.thresholdMet], [3, true, 1, false]);
    await expectAgreement(testCircuit, unmet, "metric < tau");
    await expectAgreement(testCircuit, met, "metric >= tau");
    // The public hash of the other outcome (same C_in, C_out, s, tau) has no witness.
    const hash = await getPoseidon();
    const withFlags = (run: SegmentWitness, flags: bigint): CircuitInput => {
      const seg = hash([run.cIn, run.cOut, 1n, flags]);
      const pub = hash([9n, run.specHash, run.rTrain, run.rEval, BigInt(run.metric.tau), seg]);
      return { ...run.input, publicHash: pub.toString() };
    };
    assert.equal(withFlags(unmet, 1n).publicHash, unmet.publicHash.toString());
    await expectNoWitness(testCircuit, withFlags(unmet, 3n), /TrainingSegment/);
    await expectNoWitness(testCircuit, withFlags(met, 1n), /TrainingSegment/);
    await expectNoWitness(testCircuit, withFlags(unmet, 0n), /TrainingSegment/);
  });

  it("out-of-range inputs handed to the circuit directly have no witness", async () => {
    const r = rng(77);
    const p = TEST_PARAMS;
    const ok = await buildSegmentInput({
      params: p,
      ctx: 1n,
      initialWeights: randomWeights(r, p, 100),
      segment: 0,
      trainRows: randomRows(r, p, 8),
      evalRows: randomRows(r, p, 4),
      tau: 0,
    });
    await testCircuit.witness(ok.input);
    const x = ok.input.x as string[][];
    const ex = ok.input.ex as string[][];
    const wIn = ok.input.W_in as string[][];
    const dec = (v: bigint) => encodeField(v).toString();
    const tamper = (patch: CircuitInput): CircuitInput => ({ ...ok.input, ...patch });
    await expectNoWitness(testCircuit, tamper({ x: [["256", "0", "0", "0"], ...x.slice(1)] }), /RowLeaf/);
    await expectNoWitness(
      testCircuit,
      tamper({ ex: [[dec(-257n), "0", "0", "0"], ...ex.slice(1)] }),
      /RowLeaf/,
    );
    await expectNoWitness(testCircuit, tamper({ y: ["2", "0", "0", "0"] }), /RowLeaf/);
    await expectNoWitness(testCircuit, tamper({ tau: "10001" }), /TrainingSegment/);
    await expectNoWitness(testCircuit, tamper({ s: "2" }), /TrainingSegment/);
    await expectNoWitness(testCircuit, tamper({ isLast: "1" }), /TrainingSegment/);
    await expectNoWitness(testCircuit, tamper({ C0: "1" }), /TrainingSegment/);
    await expectNoWitness(testCircuit, tamper({ publicHash: "1" }), /TrainingSegment/);
    // A weight outside 16 bits as input (field-wrapped -40000): the buyer's malformed C0.
    await expectNoWitness(
      testCircuit,
      tamper({ W_in: [[dec(-40000n), ...(wIn[0] ?? []).slice(1)], ...wIn.slice(1)] }),
      /SignedRange/,
    );
  });

  it("a saturating segment that is not last (flags = 0) agrees, its input built from the plain values", async () => {
    const p = TEST_PARAMS;
    // With x = -256: z0 = (32000 - 3 * 32768) * -256 / 256 - 32000 = 34,304, so W[0][0] grows by
    // 8,544 past 32767 and b[0] drops by 8,544 below -32768 in step 0.
    const initialWeights: AdapterWeights = {
      weights: [
        [32000n, -32768n, -32768n, -32768n],
        [0n, 0n, 0n, 0n],
      ],
      bias: [-32000n, 0n],
    };
    const rows = Array.from({ length: 8 }, (_, i) => ({
      x: Array(p.features).fill(-256n) as bigint[],
      y: i % 2,
    }));
    const run = await buildSegmentInput({
      params: p,
      ctx: 7n,
      initialWeights,
      segment: 0,
      trainRows: rows,
      evalRows: rows.slice(0, 4),
      tau: 0,
    });
    const hash = await getPoseidon();
    const dec = (v: bigint) => encodeField(v).toString();
    assert.deepEqual(
      run.input.W_in,
      initialWeights.weights.map((row) => row.map(dec)),
    );
    assert.equal(run.input.C0, dec(commitWeights(hash, initialWeights)));
    assert.deepEqual([run.input.isLast, run.flags, run.thresholdMet, run.saturated], ["0", 0, false, true]);
    assert.deepEqual(
      run.saturations.filter((e) => e.label.endsWith("after step 0")).map((e) => [e.label, e.clamped]),
      [
        ["W[0][0] after step 0", 32767n],
        ["b[0] after step 0", -32768n],
      ],
    );
    await expectAgreement(testCircuit, run, "saturating segment 0");
  });
});
