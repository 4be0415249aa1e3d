// Pretraining of the base model, then the fit of its feature projection and its evaluation. Every
// number comes from seeded PRNGs, a fixed data order and fixed shapes, so two builds of one config
// give the same bytes; the gradient of each step is the weighted sum of a fixed number of
// micro-batch gradients, so it does not matter whether they ran on this thread or on workers.
import { availableParallelism } from "node:os";
import { ModelCompute, NLL_BATCH } from "./compute.ts";
import { flatLength, flattenWeights, parameterCount, type SlmConfig, unflattenWeights } from "./config.ts";
import { type Corpus, type CorpusInfo, heldOutWindows, mulberry32, seedFor } from "./corpus.ts";
import { WorkerPool } from "./pool.ts";
import { fitProjection, type Projection } from "./projection.ts";
import { initWeights } from "./transformer.ts";

/** Fixed parts of the pretraining recipe (part of the cache key, like the config). */
export const PRETRAIN_RECIPE = {
  /** Each step's batch is cut into this many micro-batches (run in parallel when cores allow). */
  microBatches: 2,
  /** Adam. */
  beta1: 0.9,
  beta2: 0.95,
  epsilon: 1e-8,
  /** Gradients are scaled down to this global L2 norm when above it. */
  clipNorm: 1,
  /** Linear warm-up over this fraction of the steps, then linear decay to finalLrFraction × lr. */
  warmupFraction: 0.1,
  finalLrFraction: 0.1,
  /** Pooled texts the projection is fitted on, and held-out windows evaluated. */
  projectionTexts: 512,
  heldOutWindows: 256,
  /** The reported lossLast averages the last this-many steps' batch losses. */
  lastLossSteps: 10,
} as const;

/** What pretraining reports (bits per byte throughout). */
export type PretrainReport = {
  pretrainSteps: number;
  pretrainTokens: number;
  pretrainSeconds: number;
  lossFirst: number;
  lossLast: number;
  heldOutBitsPerByte: number;
  unigramBitsPerByte: number;
};

/** A built model before serialization gives it its sha256. */
export type BuiltModel = {
  config: SlmConfig;
  weights: Record<string, Float32Array>;
  projection: Projection;
  corpus: CorpusInfo;
  report: PretrainReport;
};

/** Options of {@link pretrainBaseModel}. */
export type PretrainOptions = {
  onProgress?: ((line: string) => void) | undefined;
  /** Worker threads for the micro-batches and evaluation; 0 runs everything on this thread. */
  workers?: number | undefined;
};

/** Where the work runs: this thread or a worker pool; both give identical results. */
type Executor = {
  setWeights(flat: Float32Array): Promise<void>;
  grads(micro: { tokens: Uint8Array; rows: number }[]): Promise<{ loss: number; grads: Float32Array }[]>;
  pooled(texts: Uint8Array[]): Promise<Float64Array[]>;
  nll(seqs: Uint8Array[]): Promise<{ sum: number; count: number }>;
  close(): Promise<void>;
};

/**
 * Pretrains `config` on the corpus, fits the projection and evaluates (see the README for the
 * recipe).
 */
export async function pretrainBaseModel(
  config: SlmConfig,
  corpus: Corpus,
  options: PretrainOptions = {},
): Promise<BuiltModel> {
  const log = options.onProgress ?? (() => {});
  const { steps, batch, seed } = config.pretrain;
  const ctx = config.context;
  const micro = Math.min(PRETRAIN_RECIPE.microBatches, batch);
  const workers =
    options.workers ?? (parameterCount(config) > 100_000 ? Math.min(micro, availableParallelism()) : 0);
  const flat = flattenWeights(config, initWeights(config));
  log(
    `${config.name}: ${parameterCount(config).toLocaleString("en-US")} parameters, ${steps} steps of ${batch}×${ctx} bytes, ${workers === 0 ? "on this thread" : `${workers} worker threads`}`,
  );
  const exec = workers === 0 ? await inlineExecutor(config, flat) : await poolExecutor(config, flat, workers);
  try {
    const t0 = performance.now();
    const losses = await train(config, corpus, flat, exec, log);
    const pretrainSeconds = (performance.now() - t0) / 1000;
    log(`pretraining took ${pretrainSeconds.toFixed(1)} s`);

    await exec.setWeights(flat);
    const texts = projectionTexts(corpus.train, ctx);
    const projection = fitProjection(await exec.pooled(texts), config.features, seedFor(seed, 3));
    const windows = evenlySpaced(heldOutWindows(corpus, ctx), PRETRAIN_RECIPE.heldOutWindows);
    const { sum, count } = await exec.nll(windows);
    const heldOutBitsPerByte = sum / count / Math.LN2;
    const unigramBitsPerByte = entropyBits(windows.map((w) => w.subarray(1)));
    log(
      `held-out ${heldOutBitsPerByte.toFixed(3)} bits/byte (unigram ${unigramBitsPerByte.toFixed(3)}) on ${windows.length} windows`,
    );
    const last = losses.slice(-Math.min(PRETRAIN_RECIPE.lastLossSteps, losses.length));
    return {
      config,
      weights: unflattenWeights(config, flat),
      projection,
      corpus: corpus.info,
      report: {
        pretrainSteps: steps,
        pretrainTokens: steps * batch * ctx,
        pretrainSeconds,
        lossFirst: (losses[0] as number) / Math.LN2,
        lossLast: last.reduce((a, b) => a + b, 0) / last.length / Math.LN2,
        heldOutBitsPerByte,
        unigramBitsPerByte,
      },
    };
  } finally {
    await exec.close();
  }
}

/** The Adam loop; updates `flat` in place and returns each step's batch loss (nats). */
async function train(
  config: SlmConfig,
  corpus: Corpus,
  flat: Float32Array,
  exec: Executor,
  log: (line: string) => void,
): Promise<number[]> {
  const { steps, batch, learningRate, seed } = config.pretrain;
  const { beta1, beta2, epsilon, clipNorm, warmupFraction, finalLrFraction } = PRETRAIN_RECIPE;
  const ctx = config.context;
  const n = flatLength(config);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const g = new Float64Array(n);
  const random = mulberry32(seedFor(seed, 2));
  const micro = Math.min(PRETRAIN_RECIPE.microBatches, batch);
  const sizes = Array.from(
    { length: micro },
    (_, k) => Math.floor((batch * (k + 1)) / micro) - Math.floor((batch * k) / micro),
  );
  const warmup = Math.max(1, Math.round(steps * warmupFraction));
  const losses: number[] = [];
  let bias1 = 1;
  let bias2 = 1;
  let windowStart = performance.now();
  for (let step = 0; step < steps; step++) {
    // The data order: `batch` window starts drawn uniformly over the training bytes.
    const tokens = new Uint8Array(batch * ctx);
    for (let b = 0; b < batch; b++) {
      const start = Math.floor(random() * (corpus.train.length - ctx + 1));
      tokens.set(corpus.train.subarray(start, start + ctx), b * ctx);
    }
    let row = 0;
    const parts = sizes.map((rows) => {
      const part = { tokens: tokens.slice(row * ctx, (row + rows) * ctx), rows };
      row += rows;
      return part;
    });
    if (step > 0) await exec.setWeights(flat);
    const results = await exec.grads(parts);
    g.fill(0);
    let loss = 0;
    results.forEach((r, k) => {
      const w = (sizes[k] as number) / batch;
      loss += w * r.loss;
      for (let i = 0; i < n; i++) (g[i] as number) += w * (r.grads[i] as number);
    });
    losses.push(loss);
    let norm2 = 0;
    for (let i = 0; i < n; i++) norm2 += (g[i] as number) * (g[i] as number);
    const norm = Math.sqrt(norm2);
    const clip = norm > clipNorm ? clipNorm / norm : 1;
    const lr =
      step < warmup
        ? (learningRate * (step + 1)) / warmup
        : learningRate * (1 - ((1 - finalLrFraction) * (step - warmup)) / Math.max(1, steps - 1 - warmup));
    bias1 *= beta1;
    bias2 *= beta2;
    for (let i = 0; i < n; i++) {
      const gi = (g[i] as number) * clip;
      const mi = beta1 * (m[i] as number) + (1 - beta1) * gi;
      const vi = beta2 * (v[i] as number) + (1 - beta2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      flat[i] = (flat[i] as number) - (lr * (mi / (1 - bias1))) / (Math.sqrt(vi / (1 - bias2)) + epsilon);
    }
    if ((step + 1) % 10 === 0 || step === steps - 1) {
      const done = (step % 10) + 1;
      const seconds = (performance.now() - windowStart) / 1000;
      log(
        `step ${step + 1}/${steps}  loss ${(loss / Math.LN2).toFixed(3)} bits/byte  ${Math.round((done * batch * ctx) / seconds)} tokens/s`,
      );
      windowStart = performance.now();
    }
  }
  return losses;
}

async function inlineExecutor(config: SlmConfig, flat: Float32Array): Promise<Executor> {
  const compute = await ModelCompute.create(config, flat);
  return {
    setWeights: async (w) => compute.setWeights(w),
    grads: async (parts) => parts.map((p) => compute.grads(p.tokens, p.rows)),
    pooled: async (texts) => texts.map((t) => compute.pooled(t)),
    nll: async (seqs) => total(compute.nll(seqs)),
    close: async () => compute.dispose(),
  };
}

async function poolExecutor(config: SlmConfig, flat: Float32Array, workers: number): Promise<Executor> {
  const pool = await WorkerPool.start(workers, { config, flat });
  const chunk = 16;
  return {
    setWeights: async (w) => {
      await Promise.all(
        Array.from({ length: pool.size }, (_, i) => pool.request(i, { op: "setWeights", flat: w })),
      );
    },
    // Micro-batch k always goes to worker k mod size; each result keeps its index.
    grads: (parts) =>
      Promise.all(
        parts.map((p, k) =>
          pool.request<{ loss: number; grads: Float32Array }>(k % pool.size, { op: "grads", ...p }),
        ),
      ),
    pooled: async (texts) => {
      const chunks = await pool.map(Math.ceil(texts.length / chunk), (c, w) =>
        pool.request<Float64Array[]>(w, { op: "pooled", texts: texts.slice(c * chunk, (c + 1) * chunk) }),
      );
      return chunks.flat();
    },
    nll: async (seqs) => {
      const parts = await pool.map(Math.ceil(seqs.length / NLL_BATCH), (c, w) =>
        pool.request<{ sums: Float64Array; counts: Int32Array }>(w, {
          op: "nll",
          seqs: seqs.slice(c * NLL_BATCH, (c + 1) * NLL_BATCH),
        }),
      );
      // Summed in index order, whatever order the workers finished in.
      return parts
        .map(total)
        .reduce((a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count }), { sum: 0, count: 0 });
    },
    close: () => pool.close(),
  };
}

function total(r: { sums: Float64Array; counts: Int32Array }): { sum: number; count: number } {
  let sum = 0;
  let count = 0;
  r.sums.forEach((s, i) => {
    sum += s;
    count += r.counts[i] as number;
  });
  return { sum, count };
}

/**
 * The texts the projection is fitted on: PRETRAIN_RECIPE.projectionTexts evenly spaced slices of
 * the training bytes, their lengths cycling through context/8, 2·context/8, …, context so short
 * texts (like a buyer's) are represented.
 */
export function projectionTexts(train: Uint8Array, ctx: number): Uint8Array[] {
  const n = PRETRAIN_RECIPE.projectionTexts;
  return Array.from({ length: n }, (_, i) => {
    const start = Math.floor((i * (train.length - ctx)) / n);
    const length = Math.max(1, Math.ceil((ctx * ((i % 8) + 1)) / 8));
    return train.subarray(start, start + length);
  });
}

function evenlySpaced<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * items.length) / max)] as T);
}

/**
 * Empirical byte entropy of the held-out bytes (bits/byte): what the best unigram model of that
 * very text achieves, a lower bound for any unigram model. log2 is computed with + × ÷ only.
 */
function entropyBits(parts: readonly Uint8Array[]): number {
  const counts = new Float64Array(256);
  let total = 0;
  for (const p of parts)
    for (const b of p) {
      (counts[b] as number) += 1;
      total += 1;
    }
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / total) * log2(c / total);
  return h;
}

/**
 * log2 of a positive finite number with + × ÷ only (Math.log's last bit may differ between
 * platforms, and this value goes into the hashed model file): x = 2^e · m with m in [1, 2), then
 * ln m = 2·atanh((m − 1)/(m + 1)) by its series, which converges fast since the argument is ≤ 1/3.
 */
export function log2(x: number): number {
  let e = 0;
  let m = x;
  while (m >= 2) {
    m /= 2;
    e++;
  }
  while (m < 1) {
    m *= 2;
    e--;
  }
  const z = (m - 1) / (m + 1);
  const z2 = z * z;
  let term = z;
  let sum = 0;
  for (let k = 1; k < 60; k += 2) {
    sum += term / k;
    term *= z2;
  }
  return e + (2 * sum) / Math.LN2;
}
