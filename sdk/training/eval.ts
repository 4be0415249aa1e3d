// Eval accuracy and the threshold test, identical to circuits/lib/eval.circom.
import { BASIS_POINTS, type Saturation } from "./fixedPoint.ts";
import type { AdapterWeights, DataRow, TrainingParams } from "./params.ts";
import { logits } from "./sgd.ts";

/** Argmax of z, ties to the lowest index. */
export function predict(z: readonly bigint[]): number {
  let best = 0;
  for (let c = 1; c < z.length; c++) if ((z[c] as bigint) > (z[best] as bigint)) best = c;
  return best;
}

/**
 * Correct eval rows (predicted class == y) and their total; logits saturate as in training.
 *
 * @param w - The weights to evaluate (within WB bits).
 * @param rows - The eval rows.
 * @param params - The run's parameters.
 * @param saturations - Receives a record for each eval logit clamped to ZB bits.
 * @returns The number of correct rows and of rows.
 * @example
 * const { correct, total } = evaluate(weights, evalRows, params);
 */
export function evaluate(
  w: AdapterWeights,
  rows: readonly DataRow[],
  params: TrainingParams,
  saturations?: Saturation[],
): { correct: number; total: number } {
  let correct = 0;
  rows.forEach((row, e) => {
    if (predict(logits(w, row.x, params, `eval row ${e} z`, saturations)) === row.y) correct++;
  });
  return { correct, total: rows.length };
}

/** metricOk = correct * 10000 >= tau * total (tau in basis points). */
export function metricMet(correct: number, total: number, tau: number): boolean {
  return BigInt(correct) * BigInt(BASIS_POINTS) >= BigInt(tau) * BigInt(total);
}
