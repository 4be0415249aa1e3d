// A deterministic, separable classification task over "frozen base-model features", for the demo
// and the benchmarks until the enclave runner (issue 5) supplies real features: each class has a
// prototype feature vector, and a row is its class prototype plus bounded noise, in the fixed-point
// range the circuit accepts (|x| < 2^(XB-1) = 256 with F = 8 fraction bits, i.e. |x| < 1.0).
import type { AdapterWeights, DataRow, TrainingParams } from "../../sdk/training/index.ts";

/** Feature bound of the circuit: |x| < 2^(XB-1) with XB = 9. */
const X_LIMIT = 255;

/** mulberry32: a small seeded PRNG, so every run of the demo and the benchmark sees the same data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Train rows (S·K·B), eval rows (E) and zero initial weights for `params`. */
export function syntheticTask(
  params: TrainingParams,
  seed = 1,
): { trainRows: DataRow[]; evalRows: DataRow[]; initialWeights: AdapterWeights } {
  const random = seededRandom(seed);
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const prototypes = Array.from({ length: params.classes }, () =>
    Array.from({ length: params.features }, () => between(-160, 160)),
  );
  const row = (): DataRow => {
    const y = between(0, params.classes - 1);
    const proto = prototypes[y] ?? [];
    const x = proto.map((p) => BigInt(Math.max(-X_LIMIT, Math.min(X_LIMIT, p + between(-64, 64)))));
    return { x, y };
  };
  const trainCount = params.segments * params.steps * params.batchSize;
  return {
    trainRows: Array.from({ length: trainCount }, row),
    evalRows: Array.from({ length: params.evalRows }, row),
    initialWeights: {
      weights: Array.from({ length: params.classes }, () =>
        Array.from({ length: params.features }, () => 0n),
      ),
      bias: Array.from({ length: params.classes }, () => 0n),
    },
  };
}

/** Template parameters as written in circuits/params.json, converted to {@link TrainingParams}. */
export function trainingParamsOf(p: Record<string, number>): TrainingParams {
  const get = (key: string): number => {
    const v = p[key];
    if (v === undefined) throw new Error(`circuit params lack ${key}`);
    return v;
  };
  return {
    features: get("D"),
    classes: get("C"),
    batchSize: get("B"),
    steps: get("K"),
    fracBits: get("F"),
    lrShift: get("LR_SHIFT"),
    evalRows: get("E"),
    segments: get("S"),
  };
}
