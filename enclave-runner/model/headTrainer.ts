// The benchmark baseline: how one would fine-tune a linear head on the frozen base with TF.js
// alone — the whole base in the graph of every step, optimizer.minimize over the head's variables.
import type { BaseModel } from "./baseModel.ts";
import { SlmError } from "./errors.ts";
import { encodeText } from "./featurizer.ts";
import { initTf } from "./tf.ts";
import { hiddenStates, tokenTensor, uploadWeights } from "./transformer.ts";

/**
 * A TF.js model of the same architecture plus a linear head on the (unrounded) projected features
 * z = P·(pooled − mean)/scale. `step` runs one training step on a batch: the frozen base forward
 * (texts zero padded to [n, context], mean over each text's positions), the head, MSE against
 * one-hot targets, plain SGD at `learningRate`, all inside `optimizer.minimize`.
 *
 * @param model The frozen base.
 * @param classes Number of classes C (≥ 2).
 * @param learningRate SGD step size.
 * @returns `step(texts, labels)` → the batch loss before the update, and `dispose()`.
 * @example
 * const head = await createTfjsHeadTrainer(model, 2, 0.25);
 * head.step(["yes", "no"], [1, 0]);
 * head.dispose();
 */
export async function createTfjsHeadTrainer(
  model: BaseModel,
  classes: number,
  learningRate: number,
): Promise<{ step(texts: readonly string[], labels: readonly number[]): number; dispose(): void }> {
  if (!Number.isSafeInteger(classes) || classes < 2)
    throw new SlmError("BadInput", `classes must be an integer ≥ 2, got ${String(classes)}`);
  if (!(Number.isFinite(learningRate) && learningRate > 0))
    throw new SlmError("BadInput", `learningRate must be a positive number, got ${String(learningRate)}`);
  const tf = await initTf();
  const { config, projection } = model;
  const { context: ctx, dModel: d, features: D } = config;
  const base = uploadWeights(tf, config, model.weights, false);
  const mean = tf.tensor1d(projection.mean);
  // (x − mean)·Pᵀ / scale as one matrix: Pᵀ with each column divided by its scale.
  const projectionMatrix = tf.tidy(() =>
    tf.div(tf.transpose(tf.tensor2d(projection.components, [D, d])), tf.tensor1d(projection.scale)),
  );
  const w = tf.variable(tf.zeros([D, classes]), true);
  const b = tf.variable(tf.zeros([classes]), true);
  const optimizer = tf.train.sgd(learningRate);
  return {
    step(texts, labels) {
      if (texts.length === 0 || texts.length !== labels.length)
        throw new SlmError(
          "BadInput",
          `need as many labels as texts (got ${texts.length} texts, ${labels.length} labels)`,
        );
      const n = texts.length;
      const seqs = texts.map((t, i) => {
        const bytes = encodeText(t, ctx);
        if (bytes.length === 0) throw new SlmError("EmptyText", `text ${i} is empty`);
        return bytes;
      });
      labels.forEach((y, i) => {
        if (!Number.isSafeInteger(y) || y < 0 || y >= classes)
          throw new SlmError(
            "BadInput",
            `label ${i} must be an integer in [0, ${classes}), got ${String(y)}`,
          );
      });
      // weights[i, t] = 1/L_i on the text's own positions, 0 on the padding.
      const poolWeights = new Float32Array(n * ctx);
      seqs.forEach((s, i) => {
        poolWeights.fill(1 / s.length, i * ctx, i * ctx + s.length);
      });
      const loss = tf.tidy((): import("@tensorflow/tfjs-core").Scalar => {
        const ids = tokenTensor(tf, ctx, seqs);
        const pool = tf.tensor3d(poolWeights, [n, ctx, 1]);
        const targets = tf.cast(tf.oneHot(tf.tensor1d(Array.from(labels), "int32"), classes), "float32");
        const cost = optimizer.minimize(
          () => {
            const pooled = tf.sum(tf.mul(hiddenStates(tf, config, base, ids), pool), 1);
            const z = tf.matMul(tf.sub(pooled, mean), projectionMatrix);
            const logits = tf.add(tf.matMul(z, w), b);
            return tf.mean(tf.square(tf.sub(logits, targets)));
          },
          true,
          [w, b],
        );
        if (cost === null) throw new Error("optimizer.minimize returned no cost");
        return cost;
      });
      const value = loss.dataSync()[0] as number;
      loss.dispose();
      return value;
    },
    dispose() {
      tf.dispose([...Object.values(base), mean, projectionMatrix, w, b]);
      optimizer.dispose();
    },
  };
}
