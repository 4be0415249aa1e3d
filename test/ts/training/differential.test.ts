// Differential test of the training statement: the circom circuit (circuits/training_segment.circom)
// and the TypeScript reference (sdk/training) agree on publicHash, C_in, C_out, R_train, R_eval and
// the metric bit on 200+ random instances; the circuit has no witness exactly when the reference
// reports an overflow or (last segment) a missed threshold.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { before, describe, it } from "node:test";
import {
  type AdapterWeights,
  buildSegmentInput,
  type CircuitInput,
  commitWeights,
  type DataRow,
  encodeField,
  FixedPointOverflowError,
  getPoseidon,
  type TrainingParams,
} from "../../../sdk/training/index.ts";
import { SEGMENT_TEST_PARAMS } from "../../support/zk.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const OUT_DIR = "build/circuits/test-differential";

type WitnessCalculator = { calculateWitness(input: CircuitInput, sanityCheck: boolean): Promise<bigint[]> };

/** A compiled main: witness generation plus read-back of named signals of the main component. */
type Circuit = {
  witness(input: CircuitInput): Promise<bigint[]>;
  /**
   * Value of main.<name>, or undefined when --O2 replaced the signal by a constant or another
   * signal (e.g. C_in by C0 when S = 1, metricOk by 1 when isLast is fixed to 1).
   */
  signal(witness: bigint[], name: string): bigint | undefined;
};

/** Newest modification time of the .circom sources under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith(".circom")) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** Compiles `file` (relative to the repo root) into OUT_DIR/<name> unless an up-to-date build exists. */
async function loadCircuit(name: string, file: string): Promise<Circuit> {
  const outDir = path.join(OUT_DIR, name);
  const jsDir = path.join(ROOT, outDir, `${name}_js`);
  const wasm = path.join(jsDir, `${name}.wasm`);
  const sym = path.join(ROOT, outDir, `${name}.sym`);
  if (
    !existsSync(wasm) ||
    !existsSync(sym) ||
    statSync(wasm).mtimeMs < newestSource(path.join(ROOT, "circuits"))
  ) {
    mkdirSync(path.join(ROOT, outDir), { recursive: true });
    // circom2 runs in a WASI sandbox that sees the working directory only: relative paths.
    execFileSync(
      "npx",
      ["circom2", file, "--r1cs", "--wasm", "--sym", "--O2", "-l", "node_modules", "-o", outDir],
      { cwd: ROOT, stdio: "pipe" },
    );
  }
  // The generated calculator is CommonJS; the repo is "type": "module".
  copyFileSync(path.join(jsDir, "witness_calculator.js"), path.join(jsDir, "witness_calculator.cjs"));
  const require = createRequire(import.meta.url);
  const builder = require(path.join(jsDir, "witness_calculator.cjs")) as (
    code: Buffer,
  ) => Promise<WitnessCalculator>;
  const calculator = await builder(readFileSync(wasm));
  const index = new Map<string, number>();
  for (const line of readFileSync(sym, "utf8").split("\n")) {
    const [, wire, , label] = line.split(",");
    if (label?.startsWith("main.") && !label.slice(5).includes(".")) index.set(label.slice(5), Number(wire));
  }
  return {
    witness: (input) => calculator.calculateWitness(input, true),
    signal(witness, signalName) {
      const i = index.get(signalName);
      assert.ok(i !== undefined, `signal main.${signalName} not in ${sym}`);
      return i < 0 ? undefined : (witness[i] as bigint);
    },
  };
}

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

function randomWeights(r: Rng, p: TrainingParams, scale: number): AdapterWeights {
  return {
    weights: Array.from({ length: p.classes }, () =>
      Array.from({ length: p.features }, () => r.big(-scale, scale)),
    ),
    bias: Array.from({ length: p.classes }, () => r.big(-scale, scale)),
  };
}

function randomRows(r: Rng, p: TrainingParams, n: number): DataRow[] {
  return Array.from({ length: n }, () => ({
    x: Array.from({ length: p.features }, () => r.big(-256, 255)),
    y: r.int(0, p.classes - 1),
  }));
}

async function expectNoWitness(circuit: Circuit, input: CircuitInput, where: RegExp): Promise<void> {
  await assert.rejects(circuit.witness(input), (error: Error) => {
    assert.match(error.message, /Assert Failed/);
    assert.match(error.message, where);
    return true;
  });
}

const TEST_PARAMS: TrainingParams = SEGMENT_TEST_PARAMS;
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

  before(async () => {
    testCircuit = await loadCircuit("segment_test", "circuits/main/segment_test.circom");
    edgeCircuit = await loadCircuit("segment_edge", "circuits/test/segment_edge.circom");
  });

  async function checkAgreement(circuit: Circuit, params: TrainingParams, seed: number) {
    const r = rng(seed);
    const scale = [50, 500, 3000, 12000][r.int(0, 3)] as number;
    const initialWeights = randomWeights(r, params, scale);
    const trainRows = randomRows(r, params, params.segments * params.steps * params.batchSize);
    const evalRows = randomRows(r, params, params.evalRows);
    const segment = r.int(0, params.segments - 1);
    const ctx = encodeField(r.big(-(2 ** 40), 2 ** 40) * 2n ** 200n + r.big(0, 2 ** 40));
    const base = { params, ctx, initialWeights, segment, trainRows, evalRows, allowUnmetMetric: true };

    let reference: Awaited<ReturnType<typeof buildSegmentInput>>;
    try {
      reference = await buildSegmentInput({ ...base, tau: 0 });
    } catch (error) {
      assert.ok(error instanceof FixedPointOverflowError, `seed ${seed}: ${String(error)}`);
      return "overflow" as const;
    }
    // tau around the achieved accuracy so both outcomes occur.
    const achieved = Math.floor((reference.metric.correct * 10000) / params.evalRows);
    const tau = Math.min(
      10000,
      Math.max(0, achieved + ([0, 1, -1, r.int(-3000, 3000)][r.int(0, 3)] as number)),
    );
    const run = await buildSegmentInput({ ...base, tau });
    assert.equal(run.cOut, reference.cOut);

    const witness = await circuit.witness(reference.input);
    const agree = (w: bigint[], ref: typeof run) => {
      const read = (name: string, fallback?: bigint) => circuit.signal(w, name) ?? fallback;
      assert.equal(read("publicHash"), ref.publicHash, `seed ${seed}: publicHash`);
      assert.equal(read("C_in", read("C0")), ref.cIn, `seed ${seed}: C_in`);
      assert.equal(read("C_out"), ref.cOut, `seed ${seed}: C_out`);
      assert.equal(read("R_train"), ref.rTrain, `seed ${seed}: R_train`);
      assert.equal(read("R_eval"), ref.rEval, `seed ${seed}: R_eval`);
      assert.equal(read("evalCount"), BigInt(ref.metric.correct), `seed ${seed}: eval count`);
      // Folded to the constant 1 by --O2 when isLast is fixed to 1 (S = 1).
      assert.equal(read("metricOk", 1n), ref.metric.ok ? 1n : 0n, `seed ${seed}: metric bit`);
    };
    agree(witness, reference);

    if (run.isLast && !run.metric.ok) {
      await expectNoWitness(circuit, run.input, /TrainingSegment/);
      return "rejected" as const;
    }
    agree(await circuit.witness(run.input), run);
    return run.metric.ok ? "met" : "unmet-not-last";
  }

  it("agrees on 200 random small instances (test main: D=4 C=2 B=2 K=2 E=4 S=2)", async () => {
    const outcomes = { met: 0, rejected: 0, "unmet-not-last": 0, overflow: 0 };
    for (let seed = 1; seed <= 200; seed++) {
      outcomes[await checkAgreement(testCircuit, TEST_PARAMS, seed)]++;
    }
    if (process.env.TRAINING_TEST_VERBOSE) console.log(outcomes);
    assert.ok(outcomes.met >= 40, `metric met: ${JSON.stringify(outcomes)}`);
    assert.ok(outcomes.rejected >= 20, `threshold missed on the last segment: ${JSON.stringify(outcomes)}`);
    assert.ok(outcomes["unmet-not-last"] >= 20, `threshold missed, not last: ${JSON.stringify(outcomes)}`);
    assert.ok(outcomes.overflow <= 40, `too many overflows: ${JSON.stringify(outcomes)}`);
  });

  it("agrees on the edge shape (two leaf elements, two commitment blocks, B=K=E=S=1)", async () => {
    const outcomes: string[] = [];
    for (let seed = 1001; seed <= 1012; seed++)
      outcomes.push(await checkAgreement(edgeCircuit, EDGE_PARAMS, seed));
    assert.ok(outcomes.includes("met"), outcomes.join());
  });

  it("overflow: the reference throws FixedPointOverflowError and the circuit has no witness", async () => {
    const p = TEST_PARAMS;
    // Large positive weights, x = 255 and a very negative bias: z ~ 95,000, so the bias update
    // b - floor(sum g / 2^(LR_SHIFT + log2 B)) drops below -2^15 in step 0.
    const initialWeights: AdapterWeights = {
      weights: [Array(p.features).fill(32000n), Array(p.features).fill(32000n)],
      bias: [-32000n, -32000n],
    };
    const rows = Array.from({ length: 8 }, () => ({ x: Array(p.features).fill(255n), y: 0 }));
    const options = {
      params: p,
      ctx: 7n,
      initialWeights,
      segment: 0,
      trainRows: rows,
      evalRows: rows.slice(0, 4),
      tau: 0,
    };
    await assert.rejects(buildSegmentInput(options), (error: unknown) => {
      assert.ok(error instanceof FixedPointOverflowError);
      assert.match(error.label, /^b\[\d\] after step 0$/);
      assert.ok(error.value < error.min);
      assert.equal(error.bits, 16);
      return true;
    });

    // The same run handed to the circuit directly (the reference refuses to build it).
    const hash = await getPoseidon();
    const dec = (v: bigint) => encodeField(v).toString();
    const input: CircuitInput = {
      ctx: "7",
      C0: dec(commitWeights(hash, initialWeights)),
      s: "0",
      isLast: "0",
      tau: "0",
      W_in: initialWeights.weights.map((row) => row.map(dec)),
      b_in: initialWeights.bias.map(dec),
      x: rows.slice(0, 4).map((row) => row.x.map(dec)),
      y: rows.slice(0, 4).map(() => "0"),
      path: ["0"],
      ex: rows.slice(0, 4).map((row) => row.x.map(dec)),
      ey: ["0", "0", "0", "0"],
      publicHash: "0",
    };
    await expectNoWitness(testCircuit, input, /FloorShift[\s\S]*SgdStep/);
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
    const tamper = (patch: CircuitInput): CircuitInput => ({ ...ok.input, ...patch });
    await expectNoWitness(testCircuit, tamper({ x: [["256", "0", "0", "0"], ...x.slice(1)] }), /RowLeaf/);
    await expectNoWitness(testCircuit, tamper({ y: ["2", "0", "0", "0"] }), /RowLeaf/);
    await expectNoWitness(testCircuit, tamper({ tau: "10001" }), /TrainingSegment/);
    await expectNoWitness(testCircuit, tamper({ s: "2" }), /TrainingSegment/);
    await expectNoWitness(testCircuit, tamper({ isLast: "1" }), /TrainingSegment/);
    await expectNoWitness(testCircuit, tamper({ C0: "1" }), /TrainingSegment/);
    await expectNoWitness(testCircuit, tamper({ publicHash: "1" }), /TrainingSegment/);
  });
});
