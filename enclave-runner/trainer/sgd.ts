// The proven part of training, shared by every TypeScript backend: S segments of K fixed-point SGD
// steps with the reference arithmetic of sdk/training (bit-exact with the circuit).
import {
  type AdapterWeights,
  assertSigned,
  checkWeights,
  type DataRow,
  FEATURE_BITS,
  sgdStep,
  TrainingInputError,
  type TrainingParams,
} from "../../sdk/training/index.ts";

/**
 * Runs all S·K steps over `rows` (global step j uses rows jB .. (j+1)B − 1, which is the
 * statement's order: step k of segment s is global step sK + k), reporting each step. Values that
 * leave their range saturate, as in the circuit. Throws the reference's `FixedPointOverflowError` /
 * `TrainingInputError` for out-of-range inputs (initial weights, features), which have no witness.
 */
export function trainAllSegments(
  initial: AdapterWeights,
  rows: readonly DataRow[],
  params: TrainingParams,
  onStep?: (done: number, total: number) => void,
): AdapterWeights {
  const { steps: K, batchSize: B, segments: S } = params;
  const total = S * K;
  if (rows.length !== total * B)
    throw new TrainingInputError(`a run needs S·K·B = ${total * B} training rows, got ${rows.length}`);
  checkWeights(initial, params, "initial weights");
  rows.forEach((row, i) => {
    if (row.x.length !== params.features)
      throw new TrainingInputError(
        `training row ${i} has ${row.x.length} features, expected ${params.features}`,
      );
    for (const [d, v] of row.x.entries()) assertSigned(v, FEATURE_BITS, `training row ${i} x[${d}]`);
  });
  let w = initial;
  for (let j = 0; j < total; j++) {
    w = sgdStep(w, rows.slice(j * B, (j + 1) * B), params, j);
    onStep?.(j + 1, total);
  }
  return w;
}

/** True when two adapters are equal value by value. */
export function sameWeights(a: AdapterWeights, b: AdapterWeights): boolean {
  if (a.weights.length !== b.weights.length || a.bias.length !== b.bias.length) return false;
  return (
    a.bias.every((v, c) => v === b.bias[c]) &&
    a.weights.every((row, c) => {
      const other = b.weights[c];
      return other !== undefined && row.length === other.length && row.every((v, d) => v === other[d]);
    })
  );
}
