// The offline pretraining corpus: TypeScript's own lib.*.d.ts files (Apache-2.0, Microsoft), read
// from the installed `typescript` package in name order, so every machine with the same lockfile
// sees the same bytes. A fixed slice is held out for evaluation.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { SlmError } from "./errors.ts";

/** Where the corpus came from and its id, as recorded in a {@link BaseModel}. */
export type CorpusInfo = {
  source: string;
  licence: string;
  files: number;
  bytes: number;
  sha256: `0x${string}`;
};

/** The corpus, split into the training bytes and the held-out blocks. */
export type Corpus = {
  info: CorpusInfo;
  /** Every training block, concatenated. */
  train: Uint8Array;
  /** The held-out blocks, each kept whole so evaluation windows never straddle a seam. */
  heldOut: Uint8Array[];
};

/** The concatenated files are cut into blocks of this many bytes ... */
export const CORPUS_BLOCK = 4096;
/** ... and every HELD_OUT_EVERY-th block (the last of each run) is held out. */
export const HELD_OUT_EVERY = 20;

const LIB_FILE = /^lib\..+\.d\.ts$/;
let cached: Corpus | undefined;

/**
 * Reads the corpus (once per process). Its id is the sha256 of, for each file in code-unit name
 * order, `name ‖ 0x00 ‖ decimal length ‖ 0x00 ‖ bytes`.
 *
 * @returns The corpus with its training and held-out parts.
 */
export function loadCorpus(): Corpus {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  let dir: string;
  let version: string;
  let names: string[];
  try {
    const pkg = require.resolve("typescript/package.json");
    dir = join(dirname(pkg), "lib");
    version = (require(pkg) as { version: string }).version;
    names = readdirSync(dir)
      .filter((n) => LIB_FILE.test(n))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch (cause) {
    throw new SlmError("CorpusUnavailable", "cannot read node_modules/typescript/lib", { cause });
  }
  if (names.length === 0) throw new SlmError("CorpusUnavailable", `no lib.*.d.ts files in ${dir}`);
  const hash = createHash("sha256");
  const parts = names.map((name) => {
    const bytes = new Uint8Array(readFileSync(join(dir, name)));
    hash.update(`${name}\0${bytes.length}\0`);
    hash.update(bytes);
    return bytes;
  });
  const all = concat(parts);
  const train: Uint8Array[] = [];
  const heldOut: Uint8Array[] = [];
  for (let b = 0, i = 0; b < all.length; b += CORPUS_BLOCK, i++) {
    const block = all.subarray(b, Math.min(all.length, b + CORPUS_BLOCK));
    (i % HELD_OUT_EVERY === HELD_OUT_EVERY - 1 ? heldOut : train).push(block);
  }
  cached = {
    info: {
      source: `typescript@${version}/lib/lib.*.d.ts`,
      licence: "Apache-2.0 (Copyright (c) Microsoft Corporation; see the header of lib.es5.d.ts)",
      files: names.length,
      bytes: all.length,
      sha256: `0x${hash.digest("hex")}`,
    },
    train: concat(train),
    heldOut,
  };
  return cached;
}

/** Non-overlapping windows of `context` bytes inside each held-out block, in corpus order. */
export function heldOutWindows(corpus: Corpus, context: number): Uint8Array[] {
  const windows: Uint8Array[] = [];
  for (const block of corpus.heldOut)
    for (let s = 0; s + context <= block.length; s += context) windows.push(block.subarray(s, s + context));
  return windows;
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * mulberry32: a tiny seeded PRNG (uniform in [0, 1)); fixed data order and init depend only on
 * the seed, never on Math.random.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Approximately standard normal samples from a uniform PRNG: an Irwin–Hall sum of four uniforms,
 * centred and scaled to unit variance. Only +, × and √ (all correctly rounded in IEEE 754), so the
 * samples are the same on every machine, unlike log/sin/cos whose last bit may vary.
 */
export function gaussian(random: () => number): () => number {
  const scale = Math.sqrt(3);
  return () => (random() + random() + random() + random() - 2) * scale;
}

/** A 32-bit seed for one PRNG stream (1 = init, 2 = data order, 3 = PCA start) of a config's seed. */
export function seedFor(seed: number, stream: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(stream, 0xc2b2ae35)) >>> 0;
}
