// The buyer's eval set measures the result: the same rows under the initial adapter (the base
// model's head before fine-tuning) and under the trained one. The proof checks accuracy ≥ τ; these
// float figures (from the exact fixed-point logits) are reported alongside.
import {
  type AdapterWeights,
  type DataRow,
  logits,
  predict,
  type TrainingParams,
} from "../../sdk/training/index.ts";

/** Losses and accuracy of an adapter on rows. */
export type EvalReport = {
  /** Mean over rows of Σ_c (z_c − onehot_c)², z in real units: the objective the SGD minimises. */
  mse: number;
  /** Mean cross-entropy of softmax(z) at the true label, in nats. */
  crossEntropy: number;
  /** exp(crossEntropy): the effective number of labels the model hesitates between. */
  perplexity: number;
  correct: number;
  total: number;
  accuracy: number;
};

/** Evaluates `w` on `rows` with the exact fixed-point logits. */
export function evaluateAdapter(
  w: AdapterWeights,
  rows: readonly DataRow[],
  params: TrainingParams,
): EvalReport {
  const scale = 2 ** params.fracBits;
  let mse = 0;
  let ce = 0;
  let correct = 0;
  for (const row of rows) {
    const zFixed = logits(w, row.x, params, "eval z");
    if (predict(zFixed) === row.y) correct++;
    const z = zFixed.map((v) => Number(v) / scale);
    z.forEach((v, c) => {
      mse += (v - (c === row.y ? 1 : 0)) ** 2;
    });
    const max = Math.max(...z);
    const logSum = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
    ce += logSum - (z[row.y] as number);
  }
  const n = rows.length;
  const crossEntropy = ce / n;
  return {
    mse: mse / n,
    crossEntropy,
    perplexity: Math.exp(crossEntropy),
    correct,
    total: n,
    accuracy: correct / n,
  };
}
