// The frozen base's feature extractor. Canonical definition: each text alone as [1, context]
// (zero padded), final layer norm, mean over the text's own positions, projection, fixed point.
// One text per forward pass means one shape for every call, so the WASM kernels take the same path
// and a text's features never depend on the other texts: same input, same bits.
import { availableParallelism } from "node:os";
import type { BaseModel } from "./baseModel.ts";
import { ModelCompute } from "./compute.ts";
import { flattenWeights } from "./config.ts";
import { SlmError } from "./errors.ts";
import { WorkerPool } from "./pool.ts";
import { projectFeatures } from "./projection.ts";

/** Texts per message to a featurizer worker: small enough for even load and frequent progress. */
const WORKER_CHUNK = 8;

/**
 * UTF-8 bytes of a text, truncated to `context` bytes (texts longer than the context are cut; a
 * multi-byte character may be split, which is fine for a byte-level model).
 *
 * @param text Any string.
 * @param context The model's context in bytes.
 * @returns At most `context` bytes.
 * @example
 * encodeText("héllo", 3); // Uint8Array [0x68, 0xc3, 0xa9]
 */
export function encodeText(text: string, context: number): Uint8Array {
  return new TextEncoder().encode(text).subarray(0, context);
}

/** Encodes every text, rejecting empty ones by index (the text itself is never quoted). */
function encodeAll(texts: readonly string[], context: number): Uint8Array[] {
  return texts.map((t, i) => {
    if (typeof t !== "string") throw new SlmError("BadInput", `text ${i} is not a string`);
    const bytes = encodeText(t, context);
    if (bytes.length === 0)
      throw new SlmError("EmptyText", `text ${i} is empty: the features need at least one byte`);
    return bytes;
  });
}

/**
 * Feature extraction on the calling thread.
 *
 * @example
 * const featurizer = await Featurizer.create(model);
 * const rows = featurizer.featurize(["turn on the lights", "what time is it"]);
 * featurizer.dispose();
 */
export class Featurizer {
  readonly #model: BaseModel;
  readonly #compute: ModelCompute;

  private constructor(model: BaseModel, compute: ModelCompute) {
    this.#model = model;
    this.#compute = compute;
  }

  /** Initialises TF.js (once per thread) and uploads the model's weights. */
  static async create(model: BaseModel): Promise<Featurizer> {
    return new Featurizer(
      model,
      await ModelCompute.create(model.config, flattenWeights(model.config, model.weights)),
    );
  }

  /**
   * The features of each text: `config.features` integers in [−255, 255] (8 fraction bits).
   *
   * @param texts Non-empty texts (longer ones are truncated to the context).
   * @param onRow Called after each text with (done, total).
   * @returns One row of bigints per text, in order.
   * @throws SlmError("EmptyText") if a text has no bytes (checked before any work).
   */
  featurize(texts: readonly string[], onRow?: (done: number, total: number) => void): bigint[][] {
    const encoded = encodeAll(texts, this.#model.config.context);
    return encoded.map((bytes, i) => {
      const row = projectFeatures(this.#compute.pooled(bytes), this.#model.projection);
      onRow?.(i + 1, encoded.length);
      return row;
    });
  }

  /** Bytes (tokens) the texts contribute, after truncation to the context. */
  tokens(texts: readonly string[]): number {
    return texts.reduce((n, t) => n + encodeText(t, this.#model.config.context).length, 0);
  }

  /** Frees the TF.js tensors. */
  dispose(): void {
    this.#compute.dispose();
  }
}

/**
 * The same features as {@link Featurizer}, computed on worker threads (each with its own TF.js WASM
 * instance and copy of the weights; texts travel by postMessage and are never written anywhere).
 * The result is identical to `Featurizer.featurize`, in the same order.
 *
 * @param model The base model.
 * @param texts Non-empty texts.
 * @param options workers (default: os.availableParallelism(); 0 runs on this thread) and a
 *   progress callback (done, total).
 * @returns One row of bigints per text.
 */
export async function featurizeParallel(
  model: BaseModel,
  texts: readonly string[],
  options: { workers?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<bigint[][]> {
  const workers = options.workers ?? availableParallelism();
  if (!Number.isSafeInteger(workers) || workers < 0)
    throw new SlmError("BadInput", `workers must be a non-negative integer, got ${String(workers)}`);
  const encoded = encodeAll(texts, model.config.context);
  if (workers === 0 || encoded.length === 0) {
    const featurizer = await Featurizer.create(model);
    try {
      return featurizer.featurize(texts, options.onProgress);
    } finally {
      featurizer.dispose();
    }
  }
  const D = model.config.features;
  const chunks = Math.ceil(encoded.length / WORKER_CHUNK);
  const pool = await WorkerPool.start(Math.min(workers, chunks), {
    config: model.config,
    flat: flattenWeights(model.config, model.weights),
    projection: model.projection,
  });
  try {
    let done = 0;
    const parts = await pool.map(chunks, async (c, w) => {
      const slice = encoded.slice(c * WORKER_CHUNK, (c + 1) * WORKER_CHUNK);
      const out = await pool.request<Int16Array>(w, { op: "featurize", texts: slice });
      done += slice.length;
      options.onProgress?.(done, encoded.length);
      return Array.from({ length: slice.length }, (_, i) =>
        Array.from(out.subarray(i * D, (i + 1) * D), (v) => BigInt(v)),
      );
    });
    return parts.flat();
  } finally {
    await pool.close();
  }
}

/**
 * Language-model loss of the frozen base on texts: mean next-byte cross-entropy in bits per byte
 * over every predicted byte (bytes 1..L−1 of each text, L its length after truncation).
 *
 * @throws SlmError("EmptyText") if no text has two bytes (nothing to predict).
 */
export async function lmBitsPerByte(model: BaseModel, texts: readonly string[]): Promise<number> {
  const seqs = texts.map((t) => encodeText(t, model.config.context));
  const compute = await ModelCompute.create(model.config, flattenWeights(model.config, model.weights));
  try {
    const { sums, counts } = compute.nll(seqs);
    let sum = 0;
    let count = 0;
    sums.forEach((s, i) => {
      sum += s;
      count += counts[i] as number;
    });
    if (count === 0) throw new SlmError("EmptyText", "no text has a second byte to predict");
    return sum / count / Math.LN2;
  } finally {
    compute.dispose();
  }
}
