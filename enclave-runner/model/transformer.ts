// The byte-level causal transformer in TF.js ops: seeded init in plain JS, and one forward pass
// shared by pretraining, feature extraction, evaluation and the head-training baseline, so they
// all compute exactly the same function.
import { type SlmConfig, sizeOf, VOCAB, weightShapes } from "./config.ts";
import { gaussian, mulberry32, seedFor } from "./corpus.ts";
import type { Tf } from "./tf.ts";

type Tensor = import("@tensorflow/tfjs-core").Tensor;
type Tensor2D = import("@tensorflow/tfjs-core").Tensor2D;
type Tensor3D = import("@tensorflow/tfjs-core").Tensor3D;
type Scalar = import("@tensorflow/tfjs-core").Scalar;

/** The network's tensors by name, as uploaded to TF.js (constants or variables). */
export type TfParams = Record<string, Tensor>;

const LN_EPSILON = 1e-5;
/** Added to masked attention scores: exp of it underflows to exactly 0, so masked keys add nothing. */
const MASKED = -1e9;
/** GPT-2's init: N(0, 0.02²), residual output projections scaled by 1/√(2·layers). */
const INIT_STD = 0.02;

/**
 * Seeded initial weights (GPT-2 style): matrices and embeddings approximately normal (Irwin–Hall,
 * see `gaussian`) with std 0.02 (residual projections smaller), biases 0, layer-norm gains 1.
 * Drawn in canonical tensor order from one mulberry32 stream (stream 1 of `config.pretrain.seed`).
 */
export function initWeights(config: SlmConfig): Record<string, Float32Array> {
  const normal = gaussian(mulberry32(seedFor(config.pretrain.seed, 1)));
  const residualStd = INIT_STD / Math.sqrt(2 * config.layers);
  const weights: Record<string, Float32Array> = {};
  for (const [name, shape] of weightShapes(config)) {
    const data = new Float32Array(sizeOf(shape));
    if (name.endsWith(".g")) data.fill(1);
    else if (shape.length === 2) {
      const std = name.endsWith(".wo") || name.endsWith(".w2") ? residualStd : INIT_STD;
      for (let i = 0; i < data.length; i++) data[i] = normal() * std;
    }
    weights[name] = data;
  }
  return weights;
}

/** Uploads weights to TF.js: variables for training, constants otherwise. */
export function uploadWeights(
  tf: Tf,
  config: SlmConfig,
  weights: Record<string, Float32Array>,
  trainable: boolean,
): TfParams {
  const params: TfParams = {};
  for (const [name, shape] of weightShapes(config)) {
    const t = tf.tensor(weights[name] as Float32Array, shape, "float32");
    params[name] = trainable ? tf.variable(t, true) : t;
    if (trainable) t.dispose();
  }
  return params;
}

/** Token ids [B, context] as an int32 tensor, each sequence zero-padded after its bytes. */
export function tokenTensor(tf: Tf, context: number, sequences: readonly Uint8Array[]): Tensor2D {
  const ids = new Int32Array(sequences.length * context);
  sequences.forEach((s, b) => {
    ids.set(s.subarray(0, context), b * context);
  });
  return tf.tensor2d(ids, [sequences.length, context], "int32");
}

/**
 * The final-layer-norm hidden states [B, T, d] of token ids [B, T] (T = config.context). Attention
 * is causal, so position t depends only on bytes 0..t: zero padding after a text never changes its
 * own positions. Call inside `tf.tidy`.
 */
export function hiddenStates(tf: Tf, config: SlmConfig, p: TfParams, tokens: Tensor2D): Tensor3D {
  const [B, T] = tokens.shape;
  const d = config.dModel;
  const H = config.heads;
  const dh = d / H;
  // Embedding as one-hot × matrix: exact (one product by 1, the rest by 0) and, unlike gather, it
  // has a gradient on the WASM backend.
  const onehot = oneHot(tf, tf.reshape(tokens, [B * T]));
  let h = tf.add(tf.reshape(tf.matMul(onehot, get(p, "tok_emb")), [B, T, d]), get(p, "pos_emb")) as Tensor3D;
  const { linear, gelu } = customOps(tf);
  const mask = causalMask(tf, T);
  const heads = (x: Tensor) => tf.transpose(tf.reshape(x, [B, T, H, dh]), [0, 2, 1, 3]);
  for (let i = 0; i < config.layers; i++) {
    const q = `blocks.${i}.`;
    const a = tf.reshape(layerNorm(tf, h, get(p, `${q}ln1.g`), get(p, `${q}ln1.b`)), [B * T, d]);
    const qh = heads(linear(a, get(p, `${q}attn.wq`), get(p, `${q}attn.bq`)));
    const kh = heads(linear(a, get(p, `${q}attn.wk`), get(p, `${q}attn.bk`)));
    const vh = heads(linear(a, get(p, `${q}attn.wv`), get(p, `${q}attn.bv`)));
    const scores = tf.add(tf.mul(tf.matMul(qh, kh, false, true), 1 / Math.sqrt(dh)), mask);
    const mixed = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), vh), [0, 2, 1, 3]), [B * T, d]);
    const attn = linear(mixed, get(p, `${q}attn.wo`), get(p, `${q}attn.bo`));
    h = tf.add(h, tf.reshape(attn, [B, T, d]));
    const f = tf.reshape(layerNorm(tf, h, get(p, `${q}ln2.g`), get(p, `${q}ln2.b`)), [B * T, d]);
    const up = gelu(linear(f, get(p, `${q}ffn.w1`), get(p, `${q}ffn.b1`)));
    const down = linear(up, get(p, `${q}ffn.w2`), get(p, `${q}ffn.b2`));
    h = tf.add(h, tf.reshape(down, [B, T, d]));
  }
  return layerNorm(tf, h, get(p, "ln_f.g"), get(p, "ln_f.b")) as Tensor3D;
}

/**
 * Next-byte negative log-likelihood (nats) at positions 0..T−2 of token ids [B, T] (position t
 * predicts byte t+1 with the LM head tied to the token embedding): a [B, T−1] tensor. Call inside
 * `tf.tidy`.
 */
export function nextByteNll(tf: Tf, config: SlmConfig, p: TfParams, tokens: Tensor2D): Tensor2D {
  const [B, T] = tokens.shape;
  const d = config.dModel;
  const all = hiddenStates(tf, config, p, tokens);
  const hidden = tf.reshape(tf.slice(all, [0, 0, 0], [B, T - 1, d]), [B * (T - 1), d]);
  // Explicit transpose: the WASM backend's transposeB product is ~10× slower.
  const logits = tf.matMul(hidden, tf.transpose(get(p, "tok_emb")));
  const next = tf.reshape(tf.slice(tokens, [0, 1], [B, T - 1]), [B * (T - 1)]);
  const targets = oneHot(tf, next);
  return tf.reshape(tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), targets), 1)), [B, T - 1]);
}

/** Mean next-byte cross-entropy (nats) over every position of full sequences: the pretraining loss. */
export function lmLoss(tf: Tf, config: SlmConfig, p: TfParams, tokens: Tensor2D): Scalar {
  return tf.mean(nextByteNll(tf, config, p, tokens));
}

function layerNorm(tf: Tf, x: Tensor, g: Tensor, b: Tensor): Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LN_EPSILON))), g), b);
}

/**
 * The layers whose autodiff we write by hand, made once per TF.js instance: `linear` (x·W + b)
 * runs the fused XNNPACK product forward and takes its gradients with explicit transposes (the
 * WASM backend's transposed products are 10–40× slower); `gelu` is the tanh approximation
 * x/2 · (1 + tanh(u)), u = √(2/π)·(x + 0.044715 x³), computed as the equal x · σ(2u) because
 * the WASM sigmoid is vectorised and its tanh is not.
 */
function customOps(tf: Tf): {
  linear: (x: Tensor, w: Tensor, b: Tensor) => Tensor;
  gelu: (x: Tensor) => Tensor;
} {
  const cached = opsCache.get(tf);
  if (cached) return cached;
  const c1 = 2 * Math.sqrt(2 / Math.PI);
  const c2 = c1 * 0.044715;
  const linear = tf.customGrad((x, w, b, save) => {
    (save as (t: Tensor[]) => void)([x as Tensor, w as Tensor]);
    const value = tf.fused.matMul({ a: x as Tensor2D, b: w as Tensor2D, bias: b as Tensor });
    return {
      value,
      gradFunc: (dy, [xs, ws]) => {
        const dy2 = dy as Tensor2D;
        const ones = tf.ones([1, dy2.shape[0]]);
        return [
          tf.matMul(dy2, tf.transpose(ws as Tensor)),
          tf.matMul(tf.transpose(xs as Tensor), dy2),
          tf.reshape(tf.matMul(ones, dy2), [dy2.shape[1]]),
        ];
      },
    };
  }) as (x: Tensor, w: Tensor, b: Tensor) => Tensor;
  const gelu = tf.customGrad((x, save) => {
    const xt = x as Tensor;
    const s = tf.sigmoid(tf.mul(xt, tf.add(tf.mul(tf.square(xt), c2), c1)));
    (save as (t: Tensor[]) => void)([xt, s]);
    return {
      value: tf.mul(xt, s),
      // d/dx x·σ(v) = σ + x·σ(1 − σ)·v′, with v = x·(c1 + c2 x²) and v′ = c1 + 3 c2 x².
      gradFunc: (dy, [xs, ss]) => {
        const xv = xs as Tensor;
        const sv = ss as Tensor;
        const dv = tf.add(tf.mul(tf.square(xv), 3 * c2), c1);
        const slope = tf.add(sv, tf.mul(tf.mul(xv, tf.mul(sv, tf.sub(1, sv))), dv));
        return tf.mul(dy as Tensor, slope);
      },
    };
  }) as (x: Tensor) => Tensor;
  const ops = { linear, gelu };
  opsCache.set(tf, ops);
  return ops;
}
const opsCache = new WeakMap<Tf, ReturnType<typeof customOps>>();

/** One-hot rows as float32. Built as int32 then cast: the WASM OneHot kernel ignores the dtype. */
function oneHot(tf: Tf, ids: Tensor): Tensor2D {
  return tf.cast(tf.oneHot(ids, VOCAB), "float32") as Tensor2D;
}

function causalMask(tf: Tf, T: number): Tensor {
  const m = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = MASKED;
  return tf.tensor2d(m, [T, T]);
}

function get(p: TfParams, name: string): Tensor {
  const t = p[name];
  if (t === undefined) throw new Error(`missing tensor ${name}`);
  return t;
}
