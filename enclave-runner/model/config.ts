// Sizes of the base model and of its pretraining, the two shipped configs, and the tensor layout
// every other module derives from them.
import { SlmError } from "./errors.ts";

/** Architecture, feature count and pretraining recipe of a base model. Part of the cache key. */
export type SlmConfig = {
  /** Human-readable name, e.g. "slm-byte-3m". */
  name: string;
  /** Bytes per sequence: texts longer than this are truncated. */
  context: number;
  /** Width of the residual stream. */
  dModel: number;
  /** Transformer blocks. */
  layers: number;
  /** Attention heads per block (must divide dModel). */
  heads: number;
  /** Hidden width of each block's feed-forward network. */
  ffn: number;
  /** D: features per text produced by the feature extractor (must equal the circuit's D). */
  features: number;
  /** Pretraining: Adam steps, sequences per step, peak learning rate, seed of init and data order. */
  pretrain: { steps: number; batch: number; learningRate: number; seed: number };
};

/**
 * The default base model: about 3.2M parameters (d 256, 4 layers, 4 heads, context 64), 32
 * features, pretrained in about a minute and a half on one core.
 */
export const DEFAULT_SLM_CONFIG: SlmConfig = {
  name: "slm-byte-3m",
  context: 64,
  dModel: 256,
  layers: 4,
  heads: 4,
  ffn: 1024,
  features: 32,
  pretrain: { steps: 170, batch: 8, learningRate: 2e-3, seed: 1 },
};

/**
 * A tiny model for tests and CI (20,896 parameters, builds in a few seconds). Its context of 128
 * bytes fits the test texts with the secrets test's marker (a longer text is refused, not cut).
 * Override `features` (e.g. `{ ...TEST_SLM_CONFIG, features: 32 }`) to match another circuit's D.
 */
export const TEST_SLM_CONFIG: SlmConfig = {
  name: "slm-byte-test",
  context: 128,
  dModel: 32,
  layers: 1,
  heads: 2,
  ffn: 64,
  features: 4,
  pretrain: { steps: 150, batch: 16, learningRate: 1e-2, seed: 1 },
};

/** Vocabulary: one token per byte value. */
export const VOCAB = 256;

/** Shapes of the network's named tensors, in the canonical order (sorted by name). */
export function weightShapes(config: SlmConfig): [name: string, shape: number[]][] {
  const { dModel: d, ffn: f, context: t } = config;
  const shapes: [string, number[]][] = [
    ["tok_emb", [VOCAB, d]],
    ["pos_emb", [t, d]],
    ["ln_f.g", [d]],
    ["ln_f.b", [d]],
  ];
  for (let i = 0; i < config.layers; i++) {
    const p = `blocks.${i}.`;
    shapes.push(
      [`${p}ln1.g`, [d]],
      [`${p}ln1.b`, [d]],
      [`${p}attn.wq`, [d, d]],
      [`${p}attn.bq`, [d]],
      [`${p}attn.wk`, [d, d]],
      [`${p}attn.bk`, [d]],
      [`${p}attn.wv`, [d, d]],
      [`${p}attn.bv`, [d]],
      [`${p}attn.wo`, [d, d]],
      [`${p}attn.bo`, [d]],
      [`${p}ln2.g`, [d]],
      [`${p}ln2.b`, [d]],
      [`${p}ffn.w1`, [d, f]],
      [`${p}ffn.b1`, [f]],
      [`${p}ffn.w2`, [f, d]],
      [`${p}ffn.b2`, [d]],
    );
  }
  // Code-unit order, not locale order, so every machine agrees.
  return shapes.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((n, s) => n * s, 1);
}

/**
 * Trainable parameters of the network (embeddings, blocks, final layer norm; the feature
 * projection is not counted).
 *
 * @param config The model's config.
 * @returns The parameter count.
 * @example
 * parameterCount(DEFAULT_SLM_CONFIG); // 3_241_472
 */
export function parameterCount(config: SlmConfig): number {
  checkConfig(config);
  return weightShapes(config).reduce((n, [, shape]) => n + sizeOf(shape), 0);
}

/**
 * Throws `SlmError("BadConfig")` unless every size is a positive integer, heads divide dModel,
 * features fit in dModel and the learning rate is a positive finite number.
 */
export function checkConfig(config: SlmConfig): void {
  const bad = (message: string): never => {
    throw new SlmError("BadConfig", `config "${config.name}": ${message}`);
  };
  if (typeof config.name !== "string" || config.name.length === 0) bad("name must be a non-empty string");
  const { pretrain } = config;
  if (typeof pretrain !== "object" || pretrain === null) bad("pretrain is missing");
  const sizes: [string, unknown][] = [
    ["context", config.context],
    ["dModel", config.dModel],
    ["layers", config.layers],
    ["heads", config.heads],
    ["ffn", config.ffn],
    ["features", config.features],
    ["pretrain.steps", pretrain.steps],
    ["pretrain.batch", pretrain.batch],
  ];
  for (const [what, v] of sizes)
    if (!Number.isSafeInteger(v) || (v as number) < 1)
      bad(`${what} must be a positive integer, got ${String(v)}`);
  if (config.context < 2) bad(`context must be at least 2 (next-byte prediction), got ${config.context}`);
  if (config.dModel % config.heads !== 0)
    bad(`heads (${config.heads}) must divide dModel (${config.dModel})`);
  if (config.features > config.dModel)
    bad(`features (${config.features}) cannot exceed dModel (${config.dModel})`);
  if (!Number.isSafeInteger(pretrain.seed) || pretrain.seed < 0)
    bad(`pretrain.seed must be a non-negative integer, got ${String(pretrain.seed)}`);
  if (!(Number.isFinite(pretrain.learningRate) && pretrain.learningRate > 0))
    bad(`pretrain.learningRate must be a positive number, got ${String(pretrain.learningRate)}`);
}

/** Total number of float32 values of the network's tensors (= parameterCount, without the check). */
export function flatLength(config: SlmConfig): number {
  return weightShapes(config).reduce((n, [, shape]) => n + sizeOf(shape), 0);
}

/** The named tensors concatenated in canonical order (how weights travel to worker threads). */
export function flattenWeights(config: SlmConfig, weights: Record<string, Float32Array>): Float32Array {
  const flat = new Float32Array(flatLength(config));
  let offset = 0;
  for (const [name, shape] of weightShapes(config)) {
    const data = weights[name];
    if (data === undefined || data.length !== sizeOf(shape))
      throw new SlmError("CorruptWeights", `tensor ${name} is missing or has the wrong size`);
    flat.set(data, offset);
    offset += data.length;
  }
  return flat;
}

/** Inverse of {@link flattenWeights} (copies, so the result owns its buffers). */
export function unflattenWeights(config: SlmConfig, flat: Float32Array): Record<string, Float32Array> {
  const weights: Record<string, Float32Array> = {};
  let offset = 0;
  for (const [name, shape] of weightShapes(config)) {
    const n = sizeOf(shape);
    weights[name] = flat.slice(offset, offset + n);
    offset += n;
  }
  return weights;
}

/**
 * The config with its keys in one fixed order, so equal configs serialize (and hash) to equal
 * bytes however the caller built the object.
 */
export function canonicalConfig(config: SlmConfig): SlmConfig {
  const { steps, batch, learningRate, seed } = config.pretrain;
  return {
    name: config.name,
    context: config.context,
    dModel: config.dModel,
    layers: config.layers,
    heads: config.heads,
    ffn: config.ffn,
    features: config.features,
    pretrain: { steps, batch, learningRate, seed },
  };
}
