// The base model as a value (BaseModel), its file format, and the cache that builds it once per
// machine. The file is deterministic (no timestamps or timings inside), so its sha256 names the
// model: the id a job spec quotes, reproducible by anyone who builds the same config.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  canonicalConfig,
  checkConfig,
  DEFAULT_SLM_CONFIG,
  flatLength,
  flattenWeights,
  type SlmConfig,
  sizeOf,
  unflattenWeights,
  weightShapes,
} from "./config.ts";
import { type CorpusInfo, loadCorpus } from "./corpus.ts";
import { SlmError } from "./errors.ts";
import { PRETRAIN_RECIPE, type PretrainReport, pretrainBaseModel } from "./pretrain.ts";
import type { Projection } from "./projection.ts";
import { TFJS_VERSIONS } from "./tf.ts";

/** The frozen base model: network weights, feature projection, provenance and pretraining report. */
export type BaseModel = {
  config: SlmConfig;
  /** Named tensors' data (see `weightShapes` for names and shapes), keys in canonical order. */
  weights: Record<string, Float32Array>;
  /**
   * Feature extraction: features = clip(round(((P·(pooled − mean)) / scale) · 2^8), −255, 255).
   * components is features × dModel (PCA of pooled hidden states over the corpus).
   */
  projection: Projection;
  /** sha256 of the serialized file: the base model id used in job specs. */
  sha256: `0x${string}`;
  /** The pretraining corpus and its id. */
  corpus: CorpusInfo;
  /**
   * Pretraining figures, in bits per byte. lossFirst is the first batch's loss (initial weights),
   * lossLast the mean of the last 10 batches'. pretrainSeconds is not in the file (it would make
   * builds differ): it is known after a build or from the cache's side file, NaN otherwise.
   */
  report: PretrainReport;
};

/** File magic. */
export const BTSLM_MAGIC = "BTSLM";
/** File format version written and accepted. */
export const BTSLM_VERSION = 1;
/**
 * Version of the network and pretraining code: bump it whenever a change would alter the weights
 * (architecture, init, kernels' gradients, recipe), so stale caches are not reused.
 */
export const MODEL_CODE_VERSION = 1;

const HEADER = 12;
const CHECKSUM = 32;

type Metadata = {
  config: SlmConfig;
  corpus: CorpusInfo;
  report: Omit<PretrainReport, "pretrainSeconds">;
  tfjs: { core: string; wasm: string };
  tensors: [name: string, shape: number[]][];
};

/** The file's tensors: the network's in canonical order, then the projection's. */
function tensorLayout(config: SlmConfig): [string, number[]][] {
  return [
    ...weightShapes(config),
    ["projection.mean", [config.dModel]],
    ["projection.components", [config.features, config.dModel]],
    ["projection.scale", [config.features]],
  ];
}

/**
 * Serializes a model: "BTSLM", version byte, 2 zero bytes, metadata length (u32 LE), metadata
 * JSON (config, corpus, report without timings, TF.js versions, tensor list), zero padding to 4
 * bytes, the tensors as little-endian float32 in the listed order, then the sha256 of everything
 * before it (so any flipped byte is detected).
 *
 * @param m The model (its `sha256` field is ignored).
 * @returns The file's bytes.
 * @example
 * writeFileSync("model.btslm", serializeBaseModel(model));
 */
export function serializeBaseModel(m: BaseModel): Uint8Array {
  const config = canonicalConfig(m.config);
  checkConfig(config);
  const { pretrainSeconds: _, ...report } = m.report;
  const layout = tensorLayout(config);
  const metadata: Metadata = {
    config,
    corpus: {
      source: m.corpus.source,
      licence: m.corpus.licence,
      files: m.corpus.files,
      bytes: m.corpus.bytes,
      sha256: m.corpus.sha256,
    },
    report: {
      pretrainSteps: report.pretrainSteps,
      pretrainTokens: report.pretrainTokens,
      lossFirst: report.lossFirst,
      lossLast: report.lossLast,
      heldOutBitsPerByte: report.heldOutBitsPerByte,
      unigramBitsPerByte: report.unigramBitsPerByte,
    },
    tfjs: { core: TFJS_VERSIONS.core, wasm: TFJS_VERSIONS.wasm },
    tensors: layout,
  };
  const json = new TextEncoder().encode(JSON.stringify(metadata));
  const dataStart = align4(HEADER + json.length);
  const values = [
    flattenWeights(config, m.weights),
    checked(m.projection.mean, config.dModel, "projection.mean"),
    checked(m.projection.components, config.features * config.dModel, "projection.components"),
    checked(m.projection.scale, config.features, "projection.scale"),
  ];
  const floats = values.reduce((n, v) => n + v.length, 0);
  const bytes = new Uint8Array(dataStart + floats * 4 + CHECKSUM);
  bytes.set(new TextEncoder().encode(BTSLM_MAGIC), 0);
  const view = new DataView(bytes.buffer);
  view.setUint8(5, BTSLM_VERSION);
  view.setUint32(8, json.length, true);
  bytes.set(json, HEADER);
  let offset = dataStart;
  for (const v of values)
    for (const x of v) {
      view.setFloat32(offset, x, true);
      offset += 4;
    }
  bytes.set(sha256(bytes.subarray(0, offset)), offset);
  return bytes;
}

/**
 * Parses a serialized model strictly: magic, version, lengths, tensor list and checksum must all
 * be right, else `SlmError("CorruptWeights")`. The returned `sha256` is that of `bytes`;
 * `report.pretrainSeconds` is NaN (timings are not in the file).
 *
 * @param bytes A file written by {@link serializeBaseModel}.
 * @returns The model.
 */
export function parseBaseModel(bytes: Uint8Array): BaseModel {
  const corrupt = (message: string, cause?: unknown): never => {
    throw new SlmError("CorruptWeights", message, cause === undefined ? {} : { cause });
  };
  if (bytes.length < HEADER + CHECKSUM) corrupt(`file too short (${bytes.length} bytes)`);
  if (new TextDecoder().decode(bytes.subarray(0, 5)) !== BTSLM_MAGIC) corrupt("not a BTSLM file (bad magic)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(5);
  if (version !== BTSLM_VERSION) corrupt(`unsupported BTSLM version ${version} (expected ${BTSLM_VERSION})`);
  if (view.getUint16(6, true) !== 0) corrupt("reserved header bytes are not zero");
  const body = bytes.length - CHECKSUM;
  const expected = sha256(bytes.subarray(0, body));
  if (!expected.every((b, i) => b === bytes[body + i])) corrupt("checksum mismatch: the file is damaged");
  const jsonLength = view.getUint32(8, true);
  if (HEADER + jsonLength > body) corrupt(`metadata length ${jsonLength} exceeds the file`);
  let metadata: Metadata;
  try {
    metadata = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(HEADER, HEADER + jsonLength)),
    );
  } catch (cause) {
    return corrupt("metadata is not valid JSON", cause);
  }
  const config = metadata.config;
  try {
    checkConfig(config);
  } catch (cause) {
    corrupt("metadata holds an invalid config", cause);
  }
  const layout = tensorLayout(config);
  if (JSON.stringify(metadata.tensors) !== JSON.stringify(layout))
    corrupt("tensor list does not match the config");
  const dataStart = align4(HEADER + jsonLength);
  const floats = layout.reduce((n, [, shape]) => n + sizeOf(shape), 0);
  if (dataStart + floats * 4 !== body)
    corrupt(`expected ${dataStart + floats * 4 + CHECKSUM} bytes for ${config.name}, got ${bytes.length}`);
  for (let i = HEADER + jsonLength; i < dataStart; i++) if (bytes[i] !== 0) corrupt("padding is not zero");
  const all = new Float32Array(floats);
  for (let i = 0; i < floats; i++) all[i] = view.getFloat32(dataStart + 4 * i, true);
  const n = flatLength(config);
  const d = config.dModel;
  const k = config.features;
  const report = metadata.report;
  const corpus = metadata.corpus;
  const numbers = [
    report.pretrainSteps,
    report.pretrainTokens,
    report.lossFirst,
    report.lossLast,
    report.heldOutBitsPerByte,
    report.unigramBitsPerByte,
  ];
  if (!numbers.every((x) => typeof x === "number")) corrupt("metadata report is incomplete");
  if (typeof corpus?.sha256 !== "string" || !/^0x[0-9a-f]{64}$/.test(corpus.sha256))
    corrupt("metadata corpus is incomplete");
  return {
    config: canonicalConfig(config),
    weights: unflattenWeights(config, all.subarray(0, n)),
    projection: {
      mean: all.slice(n, n + d),
      components: all.slice(n + d, n + d + k * d),
      scale: all.slice(n + d + k * d, n + d + k * d + k),
    },
    sha256: `0x${Buffer.from(sha256(bytes)).toString("hex")}`,
    corpus: {
      source: String(corpus.source),
      licence: String(corpus.licence),
      files: Number(corpus.files),
      bytes: Number(corpus.bytes),
      sha256: corpus.sha256,
    },
    report: {
      pretrainSteps: report.pretrainSteps,
      pretrainTokens: report.pretrainTokens,
      pretrainSeconds: Number.NaN,
      lossFirst: report.lossFirst,
      lossLast: report.lossLast,
      heldOutBitsPerByte: report.heldOutBitsPerByte,
      unigramBitsPerByte: report.unigramBitsPerByte,
    },
  };
}

/** Options of {@link loadOrBuildBaseModel}. */
export type LoadOrBuildOptions = {
  /** Directory of the cached files; default `${BLIND_TRAINING_CACHE ?? ~/.cache/blind-training}/slm`. */
  cacheDir?: string | undefined;
  /** Human-readable progress lines (build steps, losses, tokens/s, where the file went). */
  onProgress?: ((line: string) => void) | undefined;
  /** Ignore (and replace) any cached file, e.g. a corrupt one. */
  rebuild?: boolean | undefined;
  /**
   * Worker threads for pretraining; default 2 for large models when cores allow, else 0 (this
   * thread). The result does not depend on it.
   */
  workers?: number | undefined;
};

/** The default cache directory: `${BLIND_TRAINING_CACHE ?? ~/.cache/blind-training}/slm`. */
export function defaultCacheDir(): string {
  return join(process.env.BLIND_TRAINING_CACHE ?? join(homedir(), ".cache", "blind-training"), "slm");
}

/**
 * The cache file of a config: its name plus a hash of (config, corpus sha256, TF.js versions,
 * file format, model code version, pretraining recipe) — anything that could change the bytes.
 */
export function cacheFileName(config: SlmConfig, corpusSha256: string): string {
  const key = JSON.stringify({
    format: BTSLM_VERSION,
    code: MODEL_CODE_VERSION,
    config: canonicalConfig(config),
    corpus: corpusSha256,
    tfjs: TFJS_VERSIONS,
    recipe: PRETRAIN_RECIPE,
  });
  const hash = Buffer.from(sha256(new TextEncoder().encode(key))).toString("hex");
  return `${config.name.replace(/[^A-Za-z0-9._-]/g, "_")}-${hash.slice(0, 16)}.btslm`;
}

/**
 * Loads the base model of `config` from the cache, or builds (pretrains) it deterministically and
 * caches it (written to a temporary file, then renamed). A cached file is checked in full: a
 * damaged one throws `SlmError("CorruptWeights")` (pass `rebuild: true` to replace it), one for
 * another config or corpus `SlmError("HashMismatch")`.
 *
 * @param config The model; default {@link DEFAULT_SLM_CONFIG}.
 * @param options Cache directory, progress callback, forced rebuild.
 * @returns The model.
 * @example
 * const model = await loadOrBuildBaseModel(TEST_SLM_CONFIG, { onProgress: console.log });
 */
export async function loadOrBuildBaseModel(
  config: SlmConfig = DEFAULT_SLM_CONFIG,
  options: LoadOrBuildOptions = {},
): Promise<BaseModel> {
  checkConfig(config);
  const log = options.onProgress ?? (() => {});
  const corpus = loadCorpus();
  const dir = options.cacheDir ?? defaultCacheDir();
  const file = join(dir, cacheFileName(config, corpus.info.sha256));
  const sideFile = `${file}.build.json`;
  if (options.rebuild !== true && existsSync(file)) {
    let model: BaseModel;
    try {
      model = parseBaseModel(new Uint8Array(readFileSync(file)));
    } catch (error) {
      if (error instanceof SlmError)
        throw new SlmError(error.code, `cached base model ${file}: ${error.shortMessage}`, {
          details: "delete the file or pass rebuild: true (--rebuild) to build it again",
          cause: error,
        });
      throw error;
    }
    if (JSON.stringify(model.config) !== JSON.stringify(canonicalConfig(config)))
      throw new SlmError("HashMismatch", `cached base model ${file} was built for another config`);
    if (model.corpus.sha256 !== corpus.info.sha256)
      throw new SlmError("HashMismatch", `cached base model ${file} was built from another corpus`);
    try {
      const side = JSON.parse(readFileSync(sideFile, "utf8")) as { pretrainSeconds?: unknown };
      if (typeof side.pretrainSeconds === "number") model.report.pretrainSeconds = side.pretrainSeconds;
    } catch {
      // The side file is informational only.
    }
    log(`loaded ${config.name} from ${file} (sha256 ${model.sha256})`);
    return model;
  }
  log(`building ${config.name} into ${file}`);
  const built = await pretrainBaseModel(canonicalConfig(config), corpus, {
    onProgress: log,
    workers: options.workers,
  });
  const bytes = serializeBaseModel({ ...built, sha256: "0x" });
  mkdirSync(dir, { recursive: true });
  writeAtomic(file, bytes);
  writeAtomic(
    sideFile,
    new TextEncoder().encode(`${JSON.stringify({ pretrainSeconds: built.report.pretrainSeconds })}\n`),
  );
  const model: BaseModel = { ...built, sha256: `0x${Buffer.from(sha256(bytes)).toString("hex")}` };
  log(`wrote ${file} (sha256 ${model.sha256})`);
  return model;
}

function writeAtomic(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}-${Math.floor(performance.now())}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function checked(values: Float32Array, length: number, what: string): Float32Array {
  if (!(values instanceof Float32Array) || values.length !== length)
    throw new SlmError("CorruptWeights", `${what} must be a Float32Array of ${length} values`);
  return values;
}
