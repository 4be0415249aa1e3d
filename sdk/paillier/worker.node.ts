// Worker-thread entry of ./workers.node.ts (Node only). Receives one task at a time, posts progress
// and one result or error. Secrets (a member's share exponent, safe primes) arrive and leave only
// through postMessage, in memory; nothing is logged or written.
import { parentPort } from "node:worker_threads";
import { modPow } from "./bigint.ts";
import { PackedCodec, type PackedCodecOptions } from "./encoding.ts";
import { PaillierError } from "./errors.ts";
import { type EncryptorOptions, PaillierEncryptor, type PaillierPublicKey } from "./paillier.ts";
import { generateSafePrime } from "./primes.ts";

/** Messages the pool sends. */
export type WorkerRequest =
  | {
      readonly id: number;
      readonly op: "encrypt";
      readonly n: bigint;
      readonly codec: PackedCodecOptions;
      readonly encryptor: EncryptorOptions;
      readonly values: Float64Array;
    }
  | { readonly id: number; readonly op: "aggregate"; readonly nSquared: bigint; readonly vectors: bigint[][] }
  | {
      readonly id: number;
      readonly op: "power";
      readonly nSquared: bigint;
      readonly exponent: bigint;
      readonly bases: bigint[];
    }
  | {
      readonly id: number;
      readonly op: "safe-prime";
      readonly bits: number;
      readonly rounds?: number;
      readonly sieveLimit?: number;
    };

/** Messages a worker sends back. */
export type WorkerResponse =
  | { readonly id: number; readonly type: "progress"; readonly done: number; readonly detail?: unknown }
  | { readonly id: number; readonly type: "result"; readonly result: unknown }
  | { readonly id: number; readonly type: "error"; readonly message: string; readonly code?: string };

const port = parentPort;
if (!port) throw new Error("worker.node.ts must run in a worker thread");

const encryptors = new Map<string, PaillierEncryptor>();

function encryptorFor(n: bigint, options: EncryptorOptions): PaillierEncryptor {
  const key = `${n.toString(16)}:${options.randomizer ?? ""}:${options.exponentBits ?? ""}:${options.windowBits ?? ""}`;
  let enc = encryptors.get(key);
  if (!enc) {
    // The pool's caller holds a validated public key; rebuild it here without the size policy.
    const publicKey: PaillierPublicKey = { n, nSquared: n * n, bits: n.toString(2).length };
    enc = new PaillierEncryptor(publicKey, options);
    if (encryptors.size >= 4) encryptors.clear();
    encryptors.set(key, enc);
  }
  return enc;
}

function handle(msg: WorkerRequest): unknown {
  const progress = (done: number, detail?: unknown) =>
    port?.postMessage({ id: msg.id, type: "progress", done, detail } satisfies WorkerResponse);
  switch (msg.op) {
    case "encrypt": {
      const codec = new PackedCodec(msg.codec);
      const enc = encryptorFor(msg.n, msg.encryptor);
      const plaintexts = codec.encode(msg.values);
      const out: bigint[] = new Array(plaintexts.length);
      for (let i = 0; i < plaintexts.length; i++) {
        out[i] = enc.encrypt(plaintexts[i] as bigint);
        if ((i & 15) === 15) progress(i + 1);
      }
      return out;
    }
    case "aggregate": {
      const { nSquared, vectors } = msg;
      const length = vectors[0]?.length ?? 0;
      const out: bigint[] = new Array(length);
      for (let j = 0; j < length; j++) {
        let acc = 1n;
        for (const v of vectors) acc = (acc * (v[j] as bigint)) % nSquared;
        out[j] = acc;
      }
      return out;
    }
    case "power": {
      const out: bigint[] = new Array(msg.bases.length);
      for (let i = 0; i < msg.bases.length; i++) {
        out[i] = modPow(msg.bases[i] as bigint, msg.exponent, msg.nSquared);
        progress(i + 1);
      }
      return out;
    }
    case "safe-prime": {
      const result = generateSafePrime(msg.bits, {
        ...(msg.rounds !== undefined ? { rounds: msg.rounds } : {}),
        ...(msg.sieveLimit !== undefined ? { sieveLimit: msg.sieveLimit } : {}),
        onProgress: (stats) => progress(0, stats),
      });
      return result;
    }
  }
}

port.on("message", (msg: WorkerRequest) => {
  try {
    port.postMessage({ id: msg.id, type: "result", result: handle(msg) } satisfies WorkerResponse);
  } catch (error) {
    port.postMessage({
      id: msg.id,
      type: "error",
      message: error instanceof Error ? error.message : String(error),
      ...(error instanceof PaillierError ? { code: error.code } : {}),
    } satisfies WorkerResponse);
  }
});
