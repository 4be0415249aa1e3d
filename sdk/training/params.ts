// Parameters, weights and rows of the training statement (template parameters of
// TrainingSegment(D, C, B, K, F, LR_SHIFT, E, S) in circuits/training_segment.circom).
import { TrainingInputError } from "./fixedPoint.ts";
import type { PoseidonHasher } from "./poseidon.ts";

/** Hyper-parameters of a training run; each is a template parameter of the circuit. */
export type TrainingParams = {
  /** D: features per row. */
  features: number;
  /** C: classes (outputs of the linear head), at least 2. */
  classes: number;
  /** B: batch size, a power of two. */
  batchSize: number;
  /** K: SGD steps per segment (K * B a power of two). */
  steps: number;
  /** F: fraction bits of the fixed-point encoding. */
  fracBits: number;
  /** LR_SHIFT: learning rate 2^-lrShift. */
  lrShift: number;
  /** E: eval rows, a power of two. */
  evalRows: number;
  /** S: segments of the run, a power of two (S * K * B training rows in all). */
  segments: number;
};

/** Weights of the linear head: `weights[c][d]` (C x D) and `bias[c]`, fixed point with F fraction bits. */
export type AdapterWeights = {
  weights: bigint[][];
  bias: bigint[];
};

/** One row: features x (fixed point, F fraction bits, |x| < 2^(XB-1)) and label y in [0, C). */
export type DataRow = {
  x: readonly bigint[];
  y: number;
};

const isPow2 = (n: number) => Number.isSafeInteger(n) && n >= 1 && (n & (n - 1)) === 0;

/** log2 of a power of two. */
export function log2Exact(n: number): number {
  return Math.round(Math.log2(n));
}

/** Throws {@link TrainingInputError} unless the parameters are ones the circuit accepts. */
export function validateParams(params: TrainingParams): void {
  const { features, classes, batchSize, steps, fracBits, lrShift, evalRows, segments } = params;
  const checks: [boolean, string][] = [
    [
      Number.isSafeInteger(features) && features >= 1 && features <= 375,
      `features (D) must be 1..375, got ${features}`,
    ],
    [Number.isSafeInteger(classes) && classes >= 2, `classes (C) must be an integer >= 2, got ${classes}`],
    [isPow2(batchSize), `batchSize (B) must be a power of two, got ${batchSize}`],
    [Number.isSafeInteger(steps) && steps >= 1, `steps (K) must be a positive integer, got ${steps}`],
    [isPow2(steps * batchSize), `steps * batchSize (K * B) must be a power of two, got ${steps * batchSize}`],
    [
      Number.isSafeInteger(fracBits) && fracBits >= 0 && fracBits <= 32,
      `fracBits (F) must be 0..32, got ${fracBits}`,
    ],
    [Number.isSafeInteger(lrShift) && lrShift >= 0 && lrShift <= 32, `lrShift must be 0..32, got ${lrShift}`],
    [isPow2(evalRows), `evalRows (E) must be a power of two, got ${evalRows}`],
    [isPow2(segments), `segments (S) must be a power of two, got ${segments}`],
  ];
  for (const [ok, message] of checks) {
    if (!ok) throw new TrainingInputError(`invalid training parameters: ${message}`);
  }
}

/** Training rows of the whole run: S * K * B. */
export function trainRowCount(params: TrainingParams): number {
  return params.segments * params.steps * params.batchSize;
}

/** Multiply-accumulates of training in one segment: K * B * D * C. */
export function segmentMacs(params: TrainingParams): number {
  return params.steps * params.batchSize * params.features * params.classes;
}

/** hpHash = Poseidon(D, C, B, K, F, LR_SHIFT, E, S). */
export function hyperParamsHash(hash: PoseidonHasher, params: TrainingParams): bigint {
  const { features, classes, batchSize, steps, fracBits, lrShift, evalRows, segments } = params;
  return hash([features, classes, batchSize, steps, fracBits, lrShift, evalRows, segments].map(BigInt));
}

/** specHash = Poseidon(C0, hpHash). */
export function specHash(hash: PoseidonHasher, c0: bigint, params: TrainingParams): bigint {
  return hash([c0, hyperParamsHash(hash, params)]);
}
