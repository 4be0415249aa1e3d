// One TF.js instance holding the network: the computations pretraining, evaluation and feature
// extraction need, shared verbatim by the calling thread and the worker threads so both give the
// same floats (same WASM binary, same kernels, same shapes).
import { flatLength, type SlmConfig, weightShapes } from "./config.ts";
import { initTf, type Tf } from "./tf.ts";
import { hiddenStates, lmLoss, nextByteNll, type TfParams, tokenTensor } from "./transformer.ts";

type Variable = import("@tensorflow/tfjs-core").Variable;

/** Sequences per call of {@link ModelCompute.nll}: a fixed batch shape, padded with empty rows. */
export const NLL_BATCH = 16;

/** The network on one thread's TF.js, as variables so pretraining can overwrite them. */
export class ModelCompute {
  readonly config: SlmConfig;
  readonly #tf: Tf;
  readonly #vars: Variable[];
  readonly #params: TfParams;

  private constructor(tf: Tf, config: SlmConfig, flat: Float32Array) {
    this.#tf = tf;
    this.config = config;
    this.#params = {};
    this.#vars = [];
    let offset = 0;
    for (const [name, shape] of weightShapes(config)) {
      const n = shape.reduce((a, b) => a * b, 1);
      const v = tf.tidy(() =>
        tf.variable(tf.tensor(flat.subarray(offset, offset + n), shape, "float32"), true),
      );
      this.#params[name] = v;
      this.#vars.push(v);
      offset += n;
    }
  }

  /** Initialises TF.js on this thread and uploads the weights (flat, canonical order). */
  static async create(config: SlmConfig, flat: Float32Array): Promise<ModelCompute> {
    return new ModelCompute(await initTf(), config, flat);
  }

  /** Overwrites every tensor with new values (flat, canonical order). */
  setWeights(flat: Float32Array): void {
    const tf = this.#tf;
    if (flat.length !== flatLength(this.config)) throw new Error("setWeights: wrong length");
    let offset = 0;
    for (const v of this.#vars) {
      const n = v.size;
      tf.tidy(() => v.assign(tf.tensor(flat.subarray(offset, offset + n), v.shape, "float32")));
      offset += n;
    }
  }

  /**
   * Mean next-byte cross-entropy (nats) of `rows` full sequences (`tokens`: rows × context bytes)
   * and its gradient, flat in canonical order.
   */
  grads(tokens: Uint8Array, rows: number): { loss: number; grads: Float32Array } {
    const tf = this.#tf;
    const ctx = this.config.context;
    const ids = tf.tensor2d(Int32Array.from(tokens), [rows, ctx], "int32");
    const { value, grads } = tf.variableGrads(() => lmLoss(tf, this.config, this.#params, ids), this.#vars);
    const flat = new Float32Array(flatLength(this.config));
    let offset = 0;
    for (const v of this.#vars) {
      const g = grads[v.name];
      if (g === undefined) throw new Error(`no gradient for ${v.name}`);
      flat.set(g.dataSync() as Float32Array, offset);
      offset += v.size;
    }
    const loss = value.dataSync()[0] as number;
    tf.dispose([ids, value, ...Object.values(grads)]);
    return { loss, grads: flat };
  }

  /**
   * Mean of the final-layer-norm hidden states over the text's positions 0..L−1 (L = bytes.length,
   * 1 ≤ L ≤ context), the text run alone as [1, context] with zero padding. Summed in float64 in
   * position order.
   */
  pooled(bytes: Uint8Array): Float64Array {
    const tf = this.#tf;
    const { context: ctx, dModel: d } = this.config;
    const ids = tokenTensor(tf, ctx, [bytes]);
    const h = tf.tidy(() => hiddenStates(tf, this.config, this.#params, ids));
    // Read outside tf.tidy: tidy scans a returned typed array element by element for tensors.
    const data = h.dataSync() as Float32Array;
    tf.dispose([ids, h]);
    const L = Math.min(bytes.length, ctx);
    const out = new Float64Array(d);
    for (let t = 0; t < L; t++) for (let j = 0; j < d; j++) (out[j] as number) += data[t * d + j] as number;
    for (let j = 0; j < d; j++) (out[j] as number) /= L;
    return out;
  }

  /**
   * Next-byte negative log-likelihood (nats) of each sequence, summed over its predicted bytes
   * 1..L−1 (L = min(length, context)), with the count of predicted bytes. Runs NLL_BATCH
   * sequences per call.
   */
  nll(seqs: readonly Uint8Array[]): { sums: Float64Array; counts: Int32Array } {
    const tf = this.#tf;
    const ctx = this.config.context;
    const sums = new Float64Array(seqs.length);
    const counts = new Int32Array(seqs.length);
    for (let s = 0; s < seqs.length; s += NLL_BATCH) {
      const chunk = seqs.slice(s, s + NLL_BATCH);
      const padded = [...chunk, ...Array.from({ length: NLL_BATCH - chunk.length }, () => new Uint8Array(0))];
      const ids = tokenTensor(tf, ctx, padded);
      const nll = tf.tidy(() => nextByteNll(tf, this.config, this.#params, ids));
      const data = nll.dataSync() as Float32Array;
      tf.dispose([ids, nll]);
      chunk.forEach((seq, i) => {
        const predicted = Math.min(seq.length, ctx) - 1;
        let sum = 0;
        for (let t = 0; t < predicted; t++) sum += data[i * (ctx - 1) + t] as number;
        sums[s + i] = sum;
        counts[s + i] = Math.max(0, predicted);
      });
    }
    return { sums, counts };
  }

  /** Frees the TF.js tensors. */
  dispose(): void {
    this.#tf.dispose(this.#vars);
  }
}
