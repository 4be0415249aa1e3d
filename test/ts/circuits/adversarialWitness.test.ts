// Adversarial-witness test of the training circuit (issue 12): in an honest witness of the small
// `segment_test` main (circuits/params.json), every wire is pinned by the R1CS. For every wire
// except the constant 1 (index 0) the value is changed (+1, and separately by a fixed large offset,
// mod r) and some constraint A·B = C of the compiled .r1cs must fail. The constraints are read with
// snarkjs' r1cs reader and evaluated here, incrementally: a change of wire i only moves the
// constraints that contain it (no prover call per wire). A wire that no constraint contains, or
// whose change every constraint survives, is an exception; the accepted exceptions are listed below
// with the reason for each, and the test asserts the list is exactly what was found, so a new
// unconstrained (under-constrained) wire fails it. Honest witnesses checked: a last segment that
// misses tau (flags 1) and a first segment whose weights and biases saturate; and, on the F = 2 test
// shape `segment_saturate` (whose logits use the saturating template), a run whose logits saturate.
// All wires are checked (~7,400 per main, well under a second each once compiled).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as snarkjs from "snarkjs";
import { releaseSnarkjs } from "../../../scripts/circuits/pipeline.ts";
import {
  type AdapterWeights,
  buildSegmentInput,
  FIELD_MODULUS as R,
  type SegmentWitness,
} from "../../../sdk/training/index.ts";
import { type CompiledCircuit, compileCircuit } from "../../support/circom.ts";
import { SEGMENT_TEST_PARAMS } from "../../support/zk.ts";

const OUT_DIR = "build/circuits/test-adversarial";

/**
 * Wires that no constraint pins, by .sym label, each with why that is sound. Keep this minimal:
 * anything listed is a wire a prover may set freely. It is empty: --O2 removes the signals that only
 * copy another (the read-back signals C_in, flags, isLast… either are the wire they copy, which the
 * hash constraints pin, or have no wire), and the circuit uses no hint that a constraint leaves free
 * (isFirst/isLast are products of the bits of s, the eval row check is StrictIsZero). For comparison,
 * the circuit before issue 12 had two free wires here: the inverse hints of circomlib's IsZero in
 * `lastCheck` (IsEqual(s, S - 1) on the last segment) and in `acc.allOk[e]` (a correct eval row).
 */
const ACCEPTED_EXCEPTIONS: Record<string, string> = {};

/** One row of a constraint matrix: wire index → coefficient. */
type LinearCombination = Record<string, string>;
type R1cs = {
  nVars: number;
  nConstraints: number;
  constraints: [LinearCombination, LinearCombination, LinearCombination][];
};

const mod = (v: bigint) => ((v % R) + R) % R;

/** Σ coefficient · witness over a linear combination, mod r. */
function evaluate(lc: LinearCombination, w: readonly bigint[]): bigint {
  let sum = 0n;
  for (const [wire, coef] of Object.entries(lc)) sum += BigInt(coef) * (w[Number(wire)] as bigint);
  return mod(sum);
}

/** A constraint that contains a wire: its index and the wire's coefficients in A, B and C. */
type Occurrence = { constraint: number; a: bigint; b: bigint; c: bigint };

/** The R1CS in a form that evaluates single-wire changes quickly. */
type Prepared = { r1cs: R1cs; occurrences: Occurrence[][] };

function prepare(r1cs: R1cs): Prepared {
  const occurrences: Occurrence[][] = Array.from({ length: r1cs.nVars }, () => []);
  r1cs.constraints.forEach(([A, B, C], k) => {
    const wires = new Set([...Object.keys(A), ...Object.keys(B), ...Object.keys(C)]);
    for (const wire of wires) {
      const coef = (lc: LinearCombination) => BigInt(lc[wire] ?? "0");
      (occurrences[Number(wire)] as Occurrence[]).push({ constraint: k, a: coef(A), b: coef(B), c: coef(C) });
    }
  });
  return { r1cs, occurrences };
}

/** Wires of `w` whose change by `delta` leaves every constraint satisfied (or that no constraint contains). */
function unpinnedWires(
  p: Prepared,
  w: readonly bigint[],
  delta: bigint,
): { free: number[]; unconstrained: number[] } {
  const { constraints } = p.r1cs;
  const values = constraints.map(([A, B, C]) => ({
    a: evaluate(A, w),
    b: evaluate(B, w),
    c: evaluate(C, w),
  }));
  values.forEach(({ a, b, c }, k) => {
    assert.equal(mod(a * b - c), 0n, `the honest witness violates constraint ${k}`);
  });
  const free: number[] = [];
  const unconstrained: number[] = [];
  for (let wire = 1; wire < p.r1cs.nVars; wire++) {
    const occ = p.occurrences[wire] as Occurrence[];
    if (occ.length === 0) {
      unconstrained.push(wire);
      continue;
    }
    const broken = occ.some(({ constraint, a, b, c }) => {
      const v = values[constraint] as { a: bigint; b: bigint; c: bigint };
      return mod((v.a + a * delta) * (v.b + b * delta) - (v.c + c * delta)) !== 0n;
    });
    if (!broken) free.push(wire);
  }
  return { free, unconstrained };
}

type Witnesses = { what: string; seg: SegmentWitness }[];

/**
 * The pinning check for one compiled main: every wire of each honest witness from `witnesses` is in
 * some constraint that its change breaks, except `exceptions` (wire names; asserted to be exactly
 * the unpinned wires found).
 */
function pinningSuite(
  name: string,
  file: string,
  witnesses: () => Promise<Witnesses>,
  exceptions: Record<string, string>,
): void {
  describe(`adversarial witness: every wire of ${name} is pinned by a constraint`, () => {
    let circuit: CompiledCircuit;
    let prepared: Prepared;
    let cases: Witnesses = [];

    before(async () => {
      const t0 = performance.now();
      circuit = await compileCircuit(name, file, OUT_DIR);
      const r1cs = (await snarkjs.r1cs.exportJson(circuit.r1cs)) as R1cs;
      prepared = prepare(r1cs);
      cases = await witnesses();
      console.log(
        `# ${name}: ${r1cs.nConstraints} constraints, ${r1cs.nVars} wires; compiled and read in ${Math.round(performance.now() - t0)} ms`,
      );
    });

    it("the witness has one value per r1cs wire and satisfies every constraint", async () => {
      for (const { what, seg } of cases) {
        const w = await circuit.witness(seg.input);
        assert.equal(w.length, prepared.r1cs.nVars, what);
        assert.equal(w[0], 1n);
        assert.equal(circuit.signal(w, "publicHash"), seg.publicHash, what);
      }
    });

    for (const [label, delta] of [
      ["+1", 1n],
      ["+ a large offset", 0x2f3c_9a71_55e0_1b3dn * 2n ** 120n + 12345n],
    ] as const) {
      it(`changing any one wire by ${label} breaks a constraint (except the listed exceptions)`, async () => {
        for (const { what, seg } of cases) {
          const t0 = performance.now();
          const w = (await circuit.witness(seg.input)).map(mod);
          const { free, unconstrained } = unpinnedWires(prepared, w, mod(delta));
          const names = (wires: number[]) =>
            wires.map((i) => (circuit.wireNames.get(i) ?? [`wire ${i}`]).join(" = "));
          const found = [...names(unconstrained), ...names(free)].sort();
          console.log(
            `# ${name}, ${what}, ${label}: ${prepared.r1cs.nVars - 1} wires checked in ${Math.round(performance.now() - t0)} ms; ` +
              `unconstrained: [${names(unconstrained).join(", ")}], free: [${names(free).join(", ")}]`,
          );
          assert.deepEqual(found, Object.keys(exceptions).sort(), what);
        }
      });
    }

    it("the check itself catches an unpinned wire (the constraints of one wire dropped)", async () => {
      // publicHash (wire 1, the one public input) is pinned by publicHash === Poseidon(...): without
      // the constraints it appears in, the check must report it.
      const seg = cases[0]?.seg;
      assert.ok(seg);
      const w = (await circuit.witness(seg.input)).map(mod);
      const target = 1;
      assert.deepEqual(circuit.wireNames.get(target), ["main.publicHash"]);
      const kept = prepared.r1cs.constraints.filter(
        ([A, B, C]) => !(String(target) in A || String(target) in B || String(target) in C),
      );
      assert.ok(kept.length < prepared.r1cs.nConstraints);
      const weakened = prepare({ ...prepared.r1cs, constraints: kept, nConstraints: kept.length });
      assert.ok(unpinnedWires(weakened, w, 1n).unconstrained.includes(target));
    });
  });
}

const row = (i: number) => ({
  x: [BigInt(((i * 37) % 240) - 120), 64n, -64n, BigInt(100 - i * 11)],
  y: i % 2,
});
const TRAIN_ROWS = Array.from({ length: 8 }, (_, i) => row(i));
const EVAL_ROWS = Array.from({ length: 4 }, (_, i) => row(i + 8));
const SMALL_WEIGHTS: AdapterWeights = {
  weights: [
    [10n, -20n, 30n, -40n],
    [-5n, 15n, -25n, 35n],
  ],
  bias: [3n, -3n],
};

pinningSuite(
  "segment_test",
  "circuits/main/segment_test.circom",
  async () => {
    const p = SEGMENT_TEST_PARAMS;
    // The last segment with tau = 100 %, which it misses: flags 1.
    const unmet = await buildSegmentInput({
      params: p,
      ctx: 42n,
      initialWeights: SMALL_WEIGHTS,
      segment: 1,
      trainRows: TRAIN_ROWS,
      evalRows: EVAL_ROWS,
      tau: 10000,
    });
    assert.deepEqual([unmet.flags, unmet.saturated], [1, false]);
    // The first segment of a run whose weight W[0][0] and bias b[0] saturate in step 0: with x = -256,
    // z0 = (32000 - 3 * 32768) * -256 / 256 - 32000 = 34,304, so W[0][0] grows by 8,544 past 32767
    // and b[0] drops by 8,544 below -32768.
    const saturating = await buildSegmentInput({
      params: p,
      ctx: 43n,
      initialWeights: {
        weights: [
          [32000n, -32768n, -32768n, -32768n],
          [0n, 0n, 0n, 0n],
        ],
        bias: [-32000n, 0n],
      },
      segment: 0,
      trainRows: TRAIN_ROWS.map((r) => ({ x: Array(p.features).fill(-256n), y: r.y })),
      evalRows: EVAL_ROWS,
      tau: 5000,
    });
    assert.ok(saturating.saturations.some((e) => e.label.startsWith("W[")));
    assert.ok(saturating.saturations.some((e) => e.label.startsWith("b[")));
    return [
      { what: "last segment, metric < tau", seg: unmet },
      { what: "first segment, saturating", seg: saturating },
    ];
  },
  ACCEPTED_EXCEPTIONS,
);

// The F = 2 test shape (circuits/test/segment_saturate.circom), whose logits take the saturating
// template too (segment_test's cannot saturate, so they use a plain FloorShift).
pinningSuite(
  "segment_saturate",
  "circuits/test/segment_saturate.circom",
  async () => {
    const p = { ...SEGMENT_TEST_PARAMS, fracBits: 2 };
    // Every weight -32768, every feature -256, bias 32767: z = 2^23 + 32767 saturates to 2^23 - 1.
    const run = await buildSegmentInput({
      params: p,
      ctx: 44n,
      initialWeights: {
        weights: [Array(p.features).fill(-32768n), Array(p.features).fill(-32768n)],
        bias: [32767n, 32767n],
      },
      segment: 1,
      trainRows: TRAIN_ROWS.map((r) => ({ x: Array(p.features).fill(-256n), y: r.y })),
      evalRows: EVAL_ROWS,
      tau: 5000,
    });
    assert.ok(run.saturations.some((e) => e.bits === 24));
    return [{ what: "last segment, saturating logits", seg: run }];
  },
  ACCEPTED_EXCEPTIONS,
);

after(async () => {
  await releaseSnarkjs();
});
