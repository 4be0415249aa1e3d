// A fast generator of a phase-2-ready powers of tau file for DEVELOPMENT (single party).
//
// snarkjs makes a dev file with `powersoftau new` + `contribute` + `prepare phase2`; the last step
// computes the Lagrange sections with a group FFT (a scalar multiplication per butterfly) and takes
// 30-60 minutes at 2^17 on two cores. Knowing the secrets, every point of the file is [s]G for a
// scalar s we can compute in the field (powers of tau directly, the Lagrange basis at tau with a
// scalar inverse FFT, the same transform snarkjs applies to the points), so the whole file is fixed-base
// scalar multiplications of the generators: done here in worker threads with a windowed comb table
// over ffjavascript's own WebAssembly curve code (the module snarkjs uses), ~15-20 mixed additions a
// point instead of a 254-bit double-and-add.
//
// Trust: the same as a single-contribution snarkjs ceremony. tau, alpha and beta are drawn exactly as
// `snarkjs powersoftau contribute` draws them (its key from crypto randomness), used, and dropped.
// The file is byte-for-byte in snarkjs's format, with one contribution record (type 0, as contribute
// writes it: the public key with its proofs, the partial response hash, the next challenge hash), so
// `snarkjs powersoftau verify` accepts it, and sections 12-15 are exactly what `prepare phase2` writes.
// Production uses a public ceremony file (PTAU_FILE) instead.
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import * as snarkjs from "snarkjs";

type Curve = snarkjs.Curve;
type Fr = snarkjs.CurveField;

const require = createRequire(import.meta.url);

/** Largest power: the Lagrange section of tauG1 goes up to 2^(power+1) ≤ 2^Fr.s (bn128: s = 28). */
export const MAX_DEV_PTAU_POWER = 27;

/** Bits of a bn128 scalar (r < 2^254). */
const SCALAR_BITS = 254;
/** Bytes of a comb table at most (per group and worker). */
const MAX_TABLE_BYTES = 96 << 20;
/** Points per worker job. */
const CHUNK = { 1: 4096, 2: 2048 } as const;

// ---------------------------------------------------------------------------------------------
// snarkjs internals (not exported by its package; loaded by path from the installed snarkjs so the
// key, the public key encoding and the partial hash are exactly snarkjs's).

interface Hasher {
  update(data: Uint8Array): Hasher;
  digest(): Uint8Array;
}

interface PtauKeyPart {
  prvKey: Uint8Array;
}

interface PtauKey {
  tau: PtauKeyPart;
  alpha: PtauKeyPart;
  beta: PtauKeyPart;
}

interface SnarkjsInternals {
  getRandomRng(entropy: string): Promise<unknown>;
  toPartialHash(hasher: Hasher): Uint8Array;
  createPTauKey(curve: Curve, challengeHash: Uint8Array, rng: unknown): PtauKey;
  toPtauPubKeyRpr(buff: Uint8Array, pos: number, curve: Curve, key: PtauKey, montgomery: boolean): Uint8Array;
  blake2b: { create(opts: { dkLen: number }): Hasher };
}

function snarkjsDir(): string {
  let dir = dirname(require.resolve("snarkjs"));
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "src", "powersoftau_utils.js"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot locate the snarkjs package");
    dir = up;
  }
  return dir;
}

async function loadSnarkjsInternals(): Promise<SnarkjsInternals> {
  const dir = snarkjsDir();
  const load = (file: string) => import(pathToFileURL(join(dir, "src", file)).href);
  const misc = await load("misc.js");
  const keyPair = await load("keypair.js");
  const utils = await load("powersoftau_utils.js");
  // The blake2b snarkjs resolves (the partial hash is that implementation's internal state).
  const { blake2b } = createRequire(join(dir, "package.json"))("@noble/hashes/blake2b");
  return {
    getRandomRng: misc.getRandomRng,
    toPartialHash: misc.toPartialHash,
    createPTauKey: keyPair.createPTauKey,
    toPtauPubKeyRpr: utils.toPtauPubKeyRpr,
    blake2b,
  };
}

// ---------------------------------------------------------------------------------------------
// Fixed-base scalar multiplication workers.

/**
 * Worker source (plain JS, evaluated: no module resolution needed). It instantiates the curve's
 * WebAssembly module, builds for each group a comb table T[j][d] = d·2^(w·j)·G (affine), then answers
 * jobs { id, group, scalars (standard form, 32 bytes LE each) } with the affine Montgomery (LEM)
 * points, the encoding .ptau files use.
 */
const WORKER_SOURCE = `
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const { code, gens, windows, scalarBits } = workerData;
const memory = new WebAssembly.Memory({ initial: 64 });
const ex = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(code)), { env: { memory } }).exports;
// wasmcurves keeps its free-memory pointer at address 0 and takes scratch space above it.
const freePtr = () => new Uint32Array(memory.buffer, 0, 1);
function alloc(len, headroom) {
  const h = freePtr();
  h[0] = (h[0] + 7) & ~7;
  const p = h[0];
  h[0] += len;
  const need = h[0] + headroom + (1 << 20);
  if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
  return p;
}
const groups = [0, 1].map((i) => {
  const pre = i === 0 ? "g1m" : "g2m";
  const n8 = i === 0 ? 32 : 64;
  const w = windows[i];
  const nWin = Math.ceil(scalarBits / w);
  const rowLen = (1 << w) - 1;
  const sA = 2 * n8;
  const pTable = alloc(nWin * rowLen * sA, 0);
  return { pre, sA, sJ: 3 * n8, w, nWin, rowLen, pTable, add: ex[pre + "_addMixed"], zero: ex[pre + "_zero"],
    toAffine: ex[pre + "_batchToAffine"], gen: gens[i] };
});
const tablesEnd = freePtr()[0];
for (const g of groups) {
  const { pre, sA, sJ, nWin, rowLen, pTable, add, zero, toAffine } = g;
  const pBase = alloc(sA, 0);
  const pTmp = alloc(sJ, 0);
  const pRow = alloc(rowLen * sJ, rowLen * sJ);
  new Uint8Array(memory.buffer).set(g.gen, pBase);
  for (let j = 0; j < nWin; j++) {
    zero(pRow);
    add(pRow, pBase, pRow);
    for (let d = 1; d < rowLen; d++) add(pRow + (d - 1) * sJ, pBase, pRow + d * sJ);
    toAffine(pRow, rowLen, pTable + j * rowLen * sA);
    add(pRow + (rowLen - 1) * sJ, pBase, pTmp);
    ex[pre + "_toAffine"](pTmp, pBase);
  }
  freePtr()[0] = tablesEnd;
}
parentPort.on("message", (msg) => {
  const g = groups[msg.group - 1];
  const { sA, sJ, w, nWin, rowLen, pTable, add, zero } = g;
  const scalars = msg.scalars;
  const n = scalars.byteLength / 32;
  const words = new Uint32Array(scalars.buffer, scalars.byteOffset, n * 8);
  const mask = (1 << w) - 1;
  const mark = freePtr()[0];
  const pJac = alloc(n * sJ, n * sJ);
  const pAff = alloc(n * sA, 0);
  for (let i = 0; i < n; i++) {
    const pAcc = pJac + i * sJ;
    const o = i * 8;
    zero(pAcc);
    for (let j = 0; j < nWin; j++) {
      const bit = j * w;
      const word = bit >>> 5;
      const off = bit & 31;
      let v = words[o + word] >>> off;
      if (off + w > 32 && word < 7) v |= words[o + word + 1] << (32 - off);
      const d = v & mask;
      if (d !== 0) add(pAcc, pTable + (j * rowLen + d - 1) * sA, pAcc);
    }
  }
  g.toAffine(pJac, n, pAff);
  const points = new Uint8Array(memory.buffer, pAff, n * sA).slice();
  freePtr()[0] = mark;
  parentPort.postMessage({ id: msg.id, points }, [points.buffer]);
});
`;

type Group = 1 | 2;

/** Window width minimising (table build + per-point additions) for `perWorker` points. */
export function combWindow(perWorker: number, pointBytes: number): number {
  let best = 1;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let w = 1; w <= 16; w++) {
    const nWin = Math.ceil(SCALAR_BITS / w);
    if (nWin * (2 ** w - 1) * pointBytes > MAX_TABLE_BYTES) break;
    const cost = nWin * (perWorker + 2 ** w);
    if (cost < bestCost) {
      bestCost = cost;
      best = w;
    }
  }
  return best;
}

class MulPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[];
  private readonly waiting: { resolve: (w: Worker) => void; reject: (e: Error) => void }[] = [];
  private readonly jobs = new Map<number, { resolve: (p: Uint8Array) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(curve: Curve, nWorkers: number, windows: readonly [number, number]) {
    const workerData = {
      code: curve.tm.code,
      gens: [curve.G1.oneAffine, curve.G2.oneAffine],
      windows,
      scalarBits: SCALAR_BITS,
    };
    for (let i = 0; i < nWorkers; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
      worker.on("message", (msg: { id: number; points: Uint8Array }) => {
        const job = this.jobs.get(msg.id);
        this.jobs.delete(msg.id);
        this.release(worker);
        job?.resolve(msg.points);
      });
      worker.on("error", (error) => this.fail(error));
      worker.on("exit", (code) => {
        if (code !== 0) this.fail(new Error(`dev ptau worker exited with code ${code}`));
      });
      this.workers.push(worker);
    }
    this.idle = [...this.workers];
  }

  private fail(error: Error) {
    this.failure ??= error;
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }

  private release(worker: Worker) {
    const next = this.waiting.shift();
    if (next) next.resolve(worker);
    else this.idle.push(worker);
  }

  private acquire(): Promise<Worker> {
    const worker = this.idle.pop();
    if (worker) return Promise.resolve(worker);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** [s_i]G for the scalars (standard form) → affine LEM points. */
  async mul(group: Group, scalars: Uint8Array): Promise<Uint8Array> {
    if (this.failure) throw this.failure;
    const worker = await this.acquire();
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const copy = scalars.slice();
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      worker.postMessage({ id, group, scalars: copy }, [copy.buffer]);
    });
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

// ---------------------------------------------------------------------------------------------
// Output: sequential writes of buffers that may still be computing, in order, a bounded number ahead.

class OrderedWriter {
  private readonly queue: Promise<Uint8Array>[] = [];
  private readonly fh: FileHandle;
  private readonly maxAhead: number;
  pos = 0;

  constructor(fh: FileHandle, maxAhead: number) {
    this.fh = fh;
    this.maxAhead = maxAhead;
  }

  async push(data: Uint8Array | Promise<Uint8Array>): Promise<void> {
    const p = Promise.resolve(data);
    p.catch(() => {}); // awaited in order below; avoid an unhandled rejection meanwhile
    this.queue.push(p);
    while (this.queue.length > this.maxAhead) await this.flushOne();
  }

  private async flushOne(): Promise<void> {
    const next = this.queue.shift();
    if (!next) return;
    const buf = await next;
    let done = 0;
    while (done < buf.byteLength) {
      const { bytesWritten } = await this.fh.write(buf, done, buf.byteLength - done, this.pos + done);
      done += bytesWritten;
    }
    this.pos += buf.byteLength;
  }

  async drain(): Promise<void> {
    while (this.queue.length > 0) await this.flushOne();
  }
}

function u32(v: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}

function sectionHeader(id: number, size: number): Uint8Array {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(id, 0);
  b.writeBigUInt64LE(BigInt(size), 4);
  return b;
}

function leBytes(v: bigint, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return b;
}

// ---------------------------------------------------------------------------------------------
// Scalars.

/** first·inc^i for i < n (Montgomery form). */
async function geometric(Fr: Fr, first: Uint8Array, inc: Uint8Array, n: number): Promise<Uint8Array> {
  const ones = new Uint8Array(n * Fr.n8);
  for (let i = 0; i < n; i++) ones.set(Fr.one, i * Fr.n8);
  return Fr.batchApplyKey(ones, first, inc);
}

/** Every element times k (Montgomery form). */
function scale(Fr: Fr, v: Uint8Array, k: Uint8Array): Promise<Uint8Array> {
  return Fr.batchApplyKey(v, k, Fr.one);
}

/**
 * The blake2b-512 hash snarkjs calls the first challenge (`calculateFirstChallengeHash`): of the empty
 * response hash and the uncompressed points of a fresh accumulator (every point the generator).
 */
function firstChallengeHash(curve: Curve, power: number): Uint8Array {
  const hasher = createHash("blake2b512");
  hasher.update(createHash("blake2b512").digest());
  const g1 = new Uint8Array(curve.G1.F.n8 * 2);
  const g2 = new Uint8Array(curve.G2.F.n8 * 2);
  curve.G1.toRprUncompressed(g1, 0, curve.G1.g);
  curve.G2.toRprUncompressed(g2, 0, curve.G2.g);
  const repeat = (p: Uint8Array, n: number) => {
    const block = Math.min(n, 1 << 15);
    const big = new Uint8Array(block * p.byteLength);
    for (let i = 0; i < block; i++) big.set(p, i * p.byteLength);
    for (let done = 0; done < n; done += block) {
      hasher.update(big.subarray(0, Math.min(block, n - done) * p.byteLength));
    }
  };
  repeat(g1, 2 ** (power + 1) - 1);
  repeat(g2, 2 ** power);
  repeat(g1, 2 ** power);
  repeat(g1, 2 ** power);
  hasher.update(g2);
  return new Uint8Array(hasher.digest());
}

// ---------------------------------------------------------------------------------------------

/**
 * Writes a phase-2-ready powers of tau file of `power` (bn128) to `outFile` (through `outFile.tmp`,
 * renamed at the end): sections 1-7 as `powersoftau new` + one `contribute` write them, 12-15 as
 * `prepare phase2` writes them. DEVELOPMENT ONLY (one party knows, then drops, the secrets).
 */
export async function generateDevPtau(
  power: number,
  outFile: string,
  onProgress?: (msg: string) => void,
): Promise<void> {
  if (!Number.isInteger(power) || power < 1 || power > MAX_DEV_PTAU_POWER) {
    throw new Error(`dev powers of tau: power must be an integer in 1..${MAX_DEV_PTAU_POWER}, got ${power}`);
  }
  const say = onProgress ?? (() => {});
  const t0 = performance.now();
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

  const curve = await snarkjs.curves.getCurveFromName("bn128", { singleThread: true });
  const { Fr, G1, G2 } = curve;
  const n8r = Fr.n8;
  const sG1 = G1.F.n8 * 2;
  const sG2 = G2.F.n8 * 2;
  const internals = await loadSnarkjsInternals();

  const n = 2 ** power;
  const nTauG1 = 2 * n - 1;
  // Points per group: sections 2, 4, 5, 12, 14, 15 (G1) and 3, 6, 13 (G2).
  const totalG1 = nTauG1 + 2 * n + (4 * n - 1) + 2 * (2 * n - 1);
  const totalG2 = n + 1 + (2 * n - 1);
  const nWorkers = Math.max(1, Math.min(availableParallelism(), 8));
  const windows = [
    combWindow(Math.ceil(totalG1 / nWorkers), sG1),
    combWindow(Math.ceil(totalG2 / nWorkers), sG2),
  ] as const;
  const pool = new MulPool(curve, nWorkers, windows);
  say(
    `dev ptau 2^${power}: ${totalG1} G1 + ${totalG2} G2 points, ${nWorkers} workers, ` +
      `comb windows ${windows[0]}/${windows[1]} bits`,
  );

  const tmp = `${outFile}.tmp`;
  try {
    // The secrets, drawn as `powersoftau contribute` draws them.
    const challenge = firstChallengeHash(curve, power);
    const rng = await internals.getRandomRng(randomBytes(32).toString("hex"));
    const key = internals.createPTauKey(curve, challenge, rng);
    const tau = key.tau.prvKey;
    const alpha = key.alpha.prvKey;
    const beta = key.beta.prvKey;

    await rm(tmp, { force: true });
    const fh = await open(tmp, "w+");
    const out = new OrderedWriter(fh, 2 * nWorkers + 2);
    let ok = false;
    try {
      /** Queues [s]G for the scalars (Montgomery form), in chunks. */
      const mulSection = async (group: Group, scalarsM: Uint8Array) => {
        const scalars = await Fr.batchFromMontgomery(scalarsM);
        const chunk = CHUNK[group] * n8r;
        for (let i = 0; i < scalars.byteLength; i += chunk) {
          await out.push(pool.mul(group, scalars.subarray(i, Math.min(i + chunk, scalars.byteLength))));
        }
      };

      // File header ("ptau", version 1, 11 sections) and section 1.
      await out.push(Buffer.concat([Buffer.from("ptau", "latin1"), u32(1), u32(11)]));
      await out.push(sectionHeader(1, 4 + 32 + 4 + 4));
      await out.push(Buffer.concat([u32(32), leBytes(curve.q, 32), u32(power), u32(power)]));

      // Sections 2-6: tau^i G1, tau^i G2, alpha tau^i G1, beta tau^i G1, beta G2.
      const tauPowers = await geometric(Fr, Fr.one, tau, 2 * n); // tau^0 .. tau^(2n-1)
      const sections: { id: number; size: number; offset: number }[] = [];
      const section = async (id: number, size: number) => {
        await out.push(sectionHeader(id, size));
        sections.push({ id, size, offset: 0 });
      };
      await section(2, nTauG1 * sG1);
      await mulSection(1, tauPowers.subarray(0, nTauG1 * n8r));
      await section(3, n * sG2);
      await mulSection(2, tauPowers.subarray(0, n * n8r));
      await section(4, n * sG1);
      await mulSection(1, await scale(Fr, tauPowers.subarray(0, n * n8r), alpha));
      await section(5, n * sG1);
      await mulSection(1, await scale(Fr, tauPowers.subarray(0, n * n8r), beta));
      await section(6, sG2);
      await mulSection(2, beta);
      await out.drain();
      say(`dev ptau 2^${power}: powers written (${elapsed()})`);

      // Section offsets, then the hashes of contribute: the response hash (of the previous challenge,
      // the compressed points and the public key; its state before the key is the partial hash) and
      // the next challenge (of the response hash and the uncompressed points).
      let pos = 12 + 12 + 44;
      for (const s of sections) {
        s.offset = pos + 12;
        pos += 12 + s.size;
      }
      const readSectionChunks = async (
        s: { id: number; size: number; offset: number },
        visit: (g: snarkjs.CurveGroup, buf: Uint8Array) => Promise<void>,
      ) => {
        const group = s.id === 3 || s.id === 6 ? G2 : G1;
        const step = (group === G2 ? sG2 : sG1) << 14;
        for (let at = 0; at < s.size; at += step) {
          const len = Math.min(step, s.size - at);
          const buf = new Uint8Array(len);
          const { bytesRead } = await fh.read(buf, 0, len, s.offset + at);
          if (bytesRead !== len) throw new Error(`dev ptau: short read of section ${s.id}`);
          await visit(group, buf);
        }
      };
      const firstPoints = new Map<number, Uint8Array>();
      const responseHasher = internals.blake2b.create({ dkLen: 64 });
      responseHasher.update(challenge);
      for (const s of sections) {
        await readSectionChunks(s, async (g, buf) => {
          if (!firstPoints.has(s.id))
            firstPoints.set(s.id, buf.slice(0, Math.min(buf.byteLength, 2 * g.F.n8 * 2)));
          responseHasher.update(await g.batchLEMtoC(buf));
        });
      }
      const partialHash = internals.toPartialHash(responseHasher);
      const pubKeyU = new Uint8Array(sG1 * 6 + sG2 * 3);
      internals.toPtauPubKeyRpr(pubKeyU, 0, curve, key, false);
      responseHasher.update(pubKeyU);
      const responseHash = responseHasher.digest();
      const nextHasher = createHash("blake2b512");
      nextHasher.update(responseHash);
      for (const s of sections) {
        await readSectionChunks(s, async (g, buf) => {
          nextHasher.update(await g.batchLEMtoU(buf));
        });
      }
      const nextChallenge = new Uint8Array(nextHasher.digest());

      // Section 7: one contribution, as `contribute` writes it.
      const point = (id: number, index: number, size: number) => {
        const p = firstPoints.get(id);
        if (!p || p.byteLength < (index + 1) * size) throw new Error(`dev ptau: section ${id} is short`);
        return p.subarray(index * size, (index + 1) * size);
      };
      const pubKeyM = new Uint8Array(sG1 * 6 + sG2 * 3);
      internals.toPtauPubKeyRpr(pubKeyM, 0, curve, key, true);
      const name = new TextEncoder().encode("blind-training dev ptau (generated, single party)");
      const params = Buffer.concat([Buffer.from([1, name.byteLength]), name]);
      const contribution = Buffer.concat([
        u32(1), // one contribution
        point(2, 1, sG1), // tau G1
        point(3, 1, sG2), // tau G2
        point(4, 0, sG1), // alpha G1
        point(5, 0, sG1), // beta G1
        point(6, 0, sG2), // beta G2
        pubKeyM,
        partialHash,
        nextChallenge,
        u32(0), // type: contribution (not a beacon)
        u32(params.byteLength),
        params,
      ]);
      await out.push(sectionHeader(7, contribution.byteLength));
      await out.push(contribution);
      say(`dev ptau 2^${power}: contribution hashed (${elapsed()})`);

      // Sections 12-15: for each domain size 2^k, [L_i(tau)] times G1, G2, alpha G1, beta G1, with
      // L_i(tau) = (1/2^k) sum_j omega^(-ij) tau^j, the inverse FFT `prepare phase2` applies to the
      // points. tauG1 has one more size, 2^(power+1), whose input lacks tau^(2n-1) (a zero point).
      const lagrange: Uint8Array[] = [];
      for (let k = 0; k <= power + 1; k++) {
        const size = 2 ** k;
        const v = new Uint8Array(size * n8r); // Montgomery zero is all zero bytes
        v.set(tauPowers.subarray(0, (k === power + 1 ? size - 1 : size) * n8r));
        lagrange.push(await Fr.ifft(v));
      }
      const lagrangeSection = async (id: number, group: Group, kMax: number, factor?: Uint8Array) => {
        const count = 2 ** (kMax + 1) - 1;
        await out.push(sectionHeader(id, count * (group === 1 ? sG1 : sG2)));
        for (let k = 0; k <= kMax; k++) {
          const l = lagrange[k];
          if (!l) throw new Error(`dev ptau: Lagrange basis 2^${k} missing`);
          await mulSection(group, factor ? await scale(Fr, l, factor) : l);
        }
      };
      await lagrangeSection(12, 1, power + 1);
      await lagrangeSection(13, 2, power);
      await lagrangeSection(14, 1, power, alpha);
      await lagrangeSection(15, 1, power, beta);
      await out.drain();
      await fh.sync();
      ok = true;
    } finally {
      await fh.close();
      if (!ok) await rm(tmp, { force: true });
    }
  } finally {
    await pool.terminate();
  }
  await rename(tmp, outFile);
  say(`dev ptau 2^${power}: written ${outFile} (${elapsed()})`);
}
