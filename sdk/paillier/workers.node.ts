// Node-only parallelism for the bulk operations: a pool of worker_threads (one per core by default)
// that encodes + packs + encrypts vectors, aggregates ciphertext vectors, computes a member's
// decryption-share values, and searches safe primes in parallel. The browser-safe core
// (./index.ts) has the same operations single-threaded.
//
// Work is cut into chunks (several per worker) so all cores stay busy and progress is reported as
// chunks advance. A member's share exponent 2Δ·s_i is sent to the workers in memory (postMessage);
// it never touches disk or logs.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { PackedCodec } from "./encoding.ts";
import { PaillierError, PaillierErrorCode } from "./errors.ts";
import {
  assertPaillierCiphertext,
  type EncryptorOptions,
  type PaillierKeyGenerationOptions,
  type PaillierKeyPrimes,
  type PaillierPublicKey,
  resolvePaillierKeyBits,
} from "./paillier.ts";
import { DEFAULT_MILLER_RABIN_ROUNDS, type SafePrimeResult, type SafePrimeStats } from "./primes.ts";
import {
  createDecryptionShareBatch,
  type DecryptionShareBatch,
  ThresholdDealer,
  type ThresholdDealerOptions,
  type ThresholdKeyShare,
  thresholdDelta,
} from "./threshold.ts";
import type { WorkerRequest, WorkerResponse } from "./worker.node.ts";

const WORKER_URL = new URL("./worker.node.ts", import.meta.url);

/** Progress of a pool operation. */
export type PoolProgress = {
  readonly operation: "encrypt" | "aggregate" | "decryption-shares";
  /** Units done: plaintexts/ciphertexts for encrypt and shares, positions for aggregate. */
  readonly done: number;
  readonly total: number;
  readonly elapsedMs: number;
};

/** Progress callback of the pool. */
export type PoolProgressCallback = (progress: PoolProgress) => void;

type Distributive<T> = T extends unknown ? Omit<T, "id"> : never;
type Request = Distributive<WorkerRequest>;

type Job = {
  readonly request: Request;
  readonly transfer: ArrayBuffer[];
  readonly onProgress: ((done: number, detail: unknown) => void) | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
};

type Slot = { readonly worker: Worker; job: (Job & { id: number }) | undefined };

/** Options of {@link PaillierWorkerPool}. */
export type WorkerPoolOptions = {
  /** Number of worker threads (default: os.availableParallelism()). */
  size?: number;
};

/**
 * A pool of worker threads for bulk Paillier work. Workers are unref'd while idle, so a pool that
 * is not closed does not keep the process alive; still, call {@link close} when done.
 *
 * @example
 * const pool = new PaillierWorkerPool();
 * const ciphertexts = await pool.encryptVector(publicKey, codec, update);
 * const aggregate = await pool.aggregate(publicKey, [ciphertexts, other]);
 * await pool.close();
 */
export class PaillierWorkerPool {
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #failure: Error | undefined;
  #closed = false;

  constructor(options: WorkerPoolOptions = {}) {
    const size = options.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1) {
      throw new PaillierError(PaillierErrorCode.InvalidArgument, "pool size must be a positive integer");
    }
    this.size = size;
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_URL);
      worker.unref();
      const slot: Slot = { worker, job: undefined };
      worker.on("message", (msg: WorkerResponse) => this.#onMessage(slot, msg));
      worker.on("error", (error) => this.#fail(error));
      worker.on("exit", (code) => {
        if (!this.#closed) this.#fail(new Error(`worker exited with code ${code}`));
      });
      this.#slots.push(slot);
    }
  }

  #fail(cause: unknown): void {
    if (this.#failure) return;
    this.#failure = new PaillierError(PaillierErrorCode.WorkerFailed, "a Paillier worker thread failed", {
      cause,
    });
    for (const slot of this.#slots) {
      slot.job?.reject(this.#failure);
      slot.job = undefined;
    }
    for (const job of this.#queue.splice(0)) job.reject(this.#failure);
    void this.close();
  }

  #onMessage(slot: Slot, msg: WorkerResponse): void {
    const job = slot.job;
    if (!job || job.id !== msg.id) return;
    if (msg.type === "progress") {
      job.onProgress?.(msg.done, msg.detail);
      return;
    }
    slot.job = undefined;
    slot.worker.unref();
    if (msg.type === "result") job.resolve(msg.result);
    else
      job.reject(
        new PaillierError(
          (msg.code as PaillierErrorCode | undefined) ?? PaillierErrorCode.WorkerFailed,
          `worker task failed: ${msg.message}`,
        ),
      );
    this.#dispatch();
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.job) continue;
      const job = this.#queue.shift();
      if (!job) return;
      const id = this.#nextId++;
      slot.job = { ...job, id };
      slot.worker.ref();
      slot.worker.postMessage({ ...job.request, id }, job.transfer);
    }
  }

  #run<T>(
    request: Request,
    transfer: ArrayBuffer[] = [],
    onProgress?: (done: number, detail: unknown) => void,
  ): Promise<T> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed)
      return Promise.reject(new PaillierError(PaillierErrorCode.WorkerFailed, "the pool is closed"));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ request, transfer, onProgress, resolve: resolve as (v: unknown) => void, reject });
      this.#dispatch();
    });
  }

  /** Splits [0, total) into about 4 chunks per worker, each at most `max` long. */
  #chunks(total: number, max = 64): [number, number][] {
    const size = Math.max(1, Math.min(max, Math.ceil(total / (this.size * 4))));
    const out: [number, number][] = [];
    for (let start = 0; start < total; start += size) out.push([start, Math.min(total, start + size)]);
    return out;
  }

  /**
   * Encodes (clip, fixed point, offset), packs and encrypts `values` on all workers. Returns one
   * ciphertext per plaintext of `codec`. Each worker keeps one encryptor per key (its own h and
   * fixed-base table), built on first use.
   */
  async encryptVector(
    publicKey: PaillierPublicKey,
    codec: PackedCodec,
    values: ArrayLike<number>,
    options: { encryptor?: EncryptorOptions; onProgress?: PoolProgressCallback } = {},
  ): Promise<bigint[]> {
    if (codec.options.modulusBits !== publicKey.bits) {
      throw new PaillierError(PaillierErrorCode.InvalidArgument, "the codec was sized for another modulus");
    }
    const total = codec.plaintextCount(values.length);
    const started = Date.now();
    let done = 0;
    const chunks = this.#chunks(total);
    const parts = await Promise.all(
      chunks.map(([a, b]) => {
        const slice = Float64Array.from(
          { length: Math.min(values.length, b * codec.slots) - a * codec.slots },
          (_, k) => Number(values[a * codec.slots + k]),
        );
        let reported = 0;
        return this.#run<bigint[]>(
          {
            op: "encrypt",
            n: publicKey.n,
            codec: codec.options,
            encryptor: options.encryptor ?? {},
            values: slice,
          },
          [slice.buffer],
          (d) => {
            done += d - reported;
            reported = d;
            options.onProgress?.({ operation: "encrypt", done, total, elapsedMs: Date.now() - started });
          },
        ).then((r) => {
          done += r.length - reported;
          options.onProgress?.({ operation: "encrypt", done, total, elapsedMs: Date.now() - started });
          return r;
        });
      }),
    );
    return parts.flat();
  }

  /** Element-wise product of ciphertext vectors (the encrypted sum), on all workers. */
  async aggregate(
    publicKey: PaillierPublicKey,
    vectors: readonly (readonly bigint[])[],
    options: { onProgress?: PoolProgressCallback } = {},
  ): Promise<bigint[]> {
    const first = vectors[0];
    if (!first)
      throw new PaillierError(PaillierErrorCode.InvalidArgument, "no ciphertext vectors to aggregate");
    const length = first.length;
    for (const v of vectors) {
      if (v.length !== length)
        throw new PaillierError(PaillierErrorCode.InvalidArgument, "vectors differ in length");
      for (const c of v) assertPaillierCiphertext(publicKey, c);
    }
    const started = Date.now();
    let done = 0;
    const parts = await Promise.all(
      this.#chunks(length, 256).map(([a, b]) =>
        this.#run<bigint[]>({
          op: "aggregate",
          nSquared: publicKey.nSquared,
          vectors: vectors.map((v) => v.slice(a, b)),
        }).then((r) => {
          done += r.length;
          options.onProgress?.({
            operation: "aggregate",
            done,
            total: length,
            elapsedMs: Date.now() - started,
          });
          return r;
        }),
      ),
    );
    return parts.flat();
  }

  /** The member's share values c_j^(2Δ·s_i) mod n² for every ciphertext, on all workers (no proof). */
  async decryptionShareValues(
    keyShare: ThresholdKeyShare,
    ciphertexts: readonly bigint[],
    options: { onProgress?: PoolProgressCallback } = {},
  ): Promise<bigint[]> {
    const { publicKey } = keyShare.parameters;
    for (const c of ciphertexts) assertPaillierCiphertext(publicKey, c, true);
    const exponent = 2n * thresholdDelta(keyShare.parameters) * keyShare.secret;
    const total = ciphertexts.length;
    const started = Date.now();
    let done = 0;
    const parts = await Promise.all(
      this.#chunks(total, 16).map(([a, b]) => {
        let reported = 0;
        return this.#run<bigint[]>(
          { op: "power", nSquared: publicKey.nSquared, exponent, bases: ciphertexts.slice(a, b) },
          [],
          (d) => {
            done += d - reported;
            reported = d;
            options.onProgress?.({
              operation: "decryption-shares",
              done,
              total,
              elapsedMs: Date.now() - started,
            });
          },
        );
      }),
    );
    return parts.flat();
  }

  /**
   * A member's decryption shares of a ciphertext vector with one batched proof: the share values on
   * all workers, the proof (two multi-exponentiations and a Chaum–Pedersen proof) on this thread.
   */
  async createDecryptionShareBatch(
    keyShare: ThresholdKeyShare,
    ciphertexts: readonly bigint[],
    options: { onProgress?: PoolProgressCallback } = {},
  ): Promise<DecryptionShareBatch> {
    const values = await this.decryptionShareValues(keyShare, ciphertexts, options);
    return createDecryptionShareBatch(keyShare, ciphertexts, { values });
  }

  /** Terminates the workers; pending tasks are rejected. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new PaillierError(PaillierErrorCode.WorkerFailed, "the pool was closed");
    for (const job of this.#queue.splice(0)) job.reject(closed);
    for (const slot of this.#slots) {
      slot.job?.reject(closed);
      slot.job = undefined;
    }
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}

/** Aggregated progress of a parallel safe-prime search. */
export type ParallelSafePrimeProgress = {
  /** Safe primes found so far. */
  readonly found: number;
  readonly wanted: number;
  /** Sums over the workers' current and finished searches. */
  readonly candidates: number;
  readonly sieveSurvivors: number;
  readonly elapsedMs: number;
};

/** Options of {@link generateSafePrimesParallel}. */
export type ParallelSafePrimeOptions = {
  /** Worker threads (default: os.availableParallelism()). */
  workers?: number;
  rounds?: number;
  sieveLimit?: number;
  onProgress?: (progress: ParallelSafePrimeProgress) => void;
};

/**
 * `count` distinct safe primes of `bits` bits, searched by independent workers (each from its own
 * random windows); the first `count` found win and the workers are terminated.
 */
export async function generateSafePrimesParallel(
  count: number,
  bits: number,
  options: ParallelSafePrimeOptions = {},
): Promise<{ primes: bigint[]; stats: SafePrimeStats[]; elapsedMs: number }> {
  const size = options.workers ?? availableParallelism();
  if (!Number.isInteger(count) || count < 1)
    throw new PaillierError(PaillierErrorCode.InvalidArgument, "count must be ≥ 1");
  const started = Date.now();
  const workers = Array.from({ length: size }, () => new Worker(WORKER_URL));
  const primes: bigint[] = [];
  const stats: SafePrimeStats[] = [];
  const current = new Map<Worker, SafePrimeStats>();
  const report = () => {
    const all = [...stats, ...current.values()];
    options.onProgress?.({
      found: primes.length,
      wanted: count,
      candidates: all.reduce((s, x) => s + x.candidates, 0),
      sieveSurvivors: all.reduce((s, x) => s + x.sieveSurvivors, 0),
      elapsedMs: Date.now() - started,
    });
  };
  const request = {
    op: "safe-prime",
    bits,
    ...(options.rounds !== undefined ? { rounds: options.rounds } : {}),
    ...(options.sieveLimit !== undefined ? { sieveLimit: options.sieveLimit } : {}),
  } as const;
  try {
    await new Promise<void>((resolve, reject) => {
      let id = 1;
      const start = (w: Worker) => w.postMessage({ ...request, id: id++ });
      for (const w of workers) {
        w.on("message", (msg: WorkerResponse) => {
          if (msg.type === "progress") {
            current.set(w, msg.detail as SafePrimeStats);
            report();
          } else if (msg.type === "result") {
            current.delete(w);
            const r = msg.result as SafePrimeResult;
            stats.push(r.stats);
            if (primes.length < count && !primes.includes(r.prime)) primes.push(r.prime);
            report();
            if (primes.length >= count) resolve();
            else start(w);
          } else {
            reject(
              new PaillierError(PaillierErrorCode.WorkerFailed, `safe-prime worker failed: ${msg.message}`),
            );
          }
        });
        w.on("error", (cause) =>
          reject(new PaillierError(PaillierErrorCode.WorkerFailed, "safe-prime worker failed", { cause })),
        );
        start(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { primes, stats, elapsedMs: Date.now() - started };
}

/**
 * The two safe primes of a key, searched on all cores. Honors the same key-size policy as the
 * single-threaded `generateKeyPrimes`; the dealer re-checks supplied primes (`checkKeyPrimes`).
 */
export async function generateKeyPrimesParallel(
  options: PaillierKeyGenerationOptions & {
    workers?: number;
    onParallelProgress?: ParallelSafePrimeOptions["onProgress"];
  } = {},
): Promise<PaillierKeyPrimes> {
  const keyBits = resolvePaillierKeyBits(options);
  const rounds = options.millerRabinRounds ?? DEFAULT_MILLER_RABIN_ROUNDS;
  const { primes, stats, elapsedMs } = await generateSafePrimesParallel(2, keyBits / 2, {
    rounds,
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    ...(options.onParallelProgress ? { onProgress: options.onParallelProgress } : {}),
  });
  const [p, q] = primes as [bigint, bigint];
  return { p, q, keyBits, stats, elapsedMs };
}

/**
 * A {@link ThresholdDealer} whose safe primes are searched on all cores. `primesMs` reports the
 * parallel search time.
 */
export async function createThresholdDealerParallel(
  options: ThresholdDealerOptions & {
    workers?: number;
    onParallelProgress?: ParallelSafePrimeOptions["onProgress"];
  },
): Promise<{ dealer: ThresholdDealer; primesMs: number }> {
  const { workers, onParallelProgress, primes: _ignored, ...rest } = options;
  const primes = await generateKeyPrimesParallel({
    ...rest,
    ...(workers !== undefined ? { workers } : {}),
    ...(onParallelProgress ? { onParallelProgress } : {}),
  });
  const dealer = new ThresholdDealer({ ...rest, primes: { p: primes.p, q: primes.q } });
  return { dealer, primesMs: primes.elapsedMs };
}
