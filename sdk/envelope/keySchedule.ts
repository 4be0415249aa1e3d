// Key schedule and chunk cipher of suite 1: X25519 (@noble/curves), HKDF-SHA256 (@noble/hashes) and
// AES-256-GCM through WebCrypto, so Node and browsers run the same code and AES runs natively.
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { BaseError } from "../errors.ts";
import { EnvelopeError } from "./errors.ts";
import { chunkAad, chunkNonce, ENVELOPE_TAG_LENGTH } from "./format.ts";

/** HKDF info label of format version 1; the header hash and recipient key follow it. */
export const ENVELOPE_KDF_LABEL = "BlindTraining envelope v1";

type Subtle = typeof globalThis.crypto.subtle;
type WebCryptoKey = Awaited<ReturnType<Subtle["importKey"]>>;

/**
 * The AES-256-GCM implementation chunks go through. WebCrypto is the default because it exists in
 * browsers and Node alike; in Node each WebCrypto call pays a thread-pool hop and copies that
 * dominate at 64 KiB chunks, so Node processes (the enclave runner, the provider node) switch to
 * node:crypto with `useNodeCrypto()` from `./node.ts`. Both produce identical bytes (same vectors).
 */
export type AeadBackend = {
  /** For messages and benchmarks. */
  readonly name: string;
  /** Turns the 32 raw key bytes into the backend's key handle (the caller zeroes the raw bytes). */
  importKey(raw: Uint8Array): Promise<unknown>;
  /** ciphertext ‖ 16-byte tag. */
  seal(key: unknown, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /** The plaintext, or `undefined` when the chunk does not authenticate. */
  open(
    key: unknown,
    iv: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array | undefined>;
};

/** An X25519 key pair for receiving envelopes (32-byte secret and public keys). */
export type RecipientKeyPair = {
  /** Keep inside the enclave; whoever holds it decrypts every envelope made to `publicKey`. */
  readonly secretKey: Uint8Array;
  /** The key senders encrypt to (the `encKey` of the attestation binding). */
  readonly publicKey: Uint8Array;
};

/** Everything a chunk operation needs; the AES key is a handle of the backend that imported it. */
export type ChunkKeys = {
  readonly backend: AeadBackend;
  readonly key: unknown;
  readonly nonceBase: Uint8Array;
  readonly headerHash: Uint8Array;
};

/** Raw output of the key schedule, before the AES key is handed to WebCrypto. */
export type KeyMaterial = {
  /** 32-byte AES-256 key (zeroed by {@link importChunkKeys}). */
  readonly key: Uint8Array;
  /** 12-byte nonce base. */
  readonly nonceBase: Uint8Array;
  /** SHA-256 of the serialized header. */
  readonly headerHash: Uint8Array;
};

/**
 * Generates an X25519 key pair for receiving envelopes, from WebCrypto's random generator. The
 * enclave does this once per job; the public key goes into the attestation binding.
 *
 * @example
 * const { secretKey, publicKey } = generateRecipientKeyPair();
 */
export function generateRecipientKeyPair(): RecipientKeyPair {
  const { secretKey, publicKey } = x25519.keygen();
  return { secretKey, publicKey };
}

/** The X25519 public key of a 32-byte secret key. */
export function recipientPublicKeyOf(secretKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secretKey);
}

/**
 * X25519(secretKey, publicKey), refusing low-order public keys. noble rejects the known low-order
 * points before running the ladder (so an attacker learns nothing from timing); the all-zero check
 * afterwards is the RFC 7748 §6.1 check, kept in case that list ever changes. Lengths are checked
 * by the callers, so the only failure left in noble is the low-order refusal.
 */
export function sharedSecret(secretKey: Uint8Array, publicKey: Uint8Array, whose: string): Uint8Array {
  const explain = `${whose} is a low-order X25519 point: the shared secret would be all zero and known to anyone`;
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(secretKey, publicKey);
  } catch (cause) {
    throw new EnvelopeError("LowOrderKey", explain, { cause });
  }
  let any = 0;
  for (const byte of shared) any |= byte;
  if (any === 0) throw new EnvelopeError("LowOrderKey", explain);
  return shared;
}

/**
 * HKDF-SHA256(ikm = shared, salt, info = label ‖ SHA-256(header) ‖ recipient public key, 44 bytes),
 * split into the AES key (first 32 bytes) and the nonce base (last 12). Binding the header hash
 * makes every header byte part of the key; binding the recipient key prevents an attacker who
 * substitutes the recipient from arriving at the same key (the X25519 output alone does not name it).
 */
export function deriveKeyMaterial(
  shared: Uint8Array,
  header: Uint8Array,
  recipientPublicKey: Uint8Array,
  salt: Uint8Array,
): KeyMaterial {
  const headerHash = sha256(header);
  const label = new TextEncoder().encode(ENVELOPE_KDF_LABEL);
  const info = new Uint8Array(label.length + 32 + 32);
  info.set(label, 0);
  info.set(headerHash, label.length);
  info.set(recipientPublicKey, label.length + 32);
  const okm = hkdf(sha256, shared, salt, info, 44);
  return { key: okm.subarray(0, 32), nonceBase: okm.slice(32, 44), headerHash };
}

function subtle(): Subtle {
  const s = globalThis.crypto?.subtle;
  if (!s) {
    throw new BaseError("WebCrypto (crypto.subtle) is unavailable", {
      details:
        "envelopes need AES-GCM from WebCrypto; browsers expose it only in secure contexts (https, localhost)",
    });
  }
  return s;
}

/** AES-256-GCM through WebCrypto (non-extractable keys). */
export const webCryptoAead: AeadBackend = {
  name: "WebCrypto",
  importKey: (raw) =>
    subtle().importKey("raw", raw as Uint8Array<ArrayBuffer>, "AES-GCM", false, ["encrypt", "decrypt"]),
  async seal(key, iv, aad, plaintext) {
    const out = await subtle().encrypt(
      {
        name: "AES-GCM",
        iv: iv as Uint8Array<ArrayBuffer>,
        additionalData: aad as Uint8Array<ArrayBuffer>,
        tagLength: ENVELOPE_TAG_LENGTH * 8,
      },
      key as WebCryptoKey,
      plaintext as Uint8Array<ArrayBuffer>,
    );
    return new Uint8Array(out);
  },
  async open(key, iv, aad, ciphertext) {
    try {
      const out = await subtle().decrypt(
        {
          name: "AES-GCM",
          iv: iv as Uint8Array<ArrayBuffer>,
          additionalData: aad as Uint8Array<ArrayBuffer>,
          tagLength: ENVELOPE_TAG_LENGTH * 8,
        },
        key as WebCryptoKey,
        ciphertext as Uint8Array<ArrayBuffer>,
      );
      return new Uint8Array(out);
    } catch (error) {
      // OperationError is WebCrypto's authentication failure; anything else is a bug or environment problem.
      if ((error as { name?: unknown } | null)?.name === "OperationError") return undefined;
      throw error;
    }
  },
};

let aead: AeadBackend = webCryptoAead;

/** Selects the AES-GCM backend for envelopes made or opened from now on (see {@link AeadBackend}). */
export function setAeadBackend(backend: AeadBackend): void {
  aead = backend;
}

/** The AES-GCM backend in use. */
export function aeadBackend(): AeadBackend {
  return aead;
}

/** Hands the AES key to the backend, then zeroes the raw bytes. */
export async function importChunkKeys(material: KeyMaterial): Promise<ChunkKeys> {
  const backend = aead;
  try {
    const key = await backend.importKey(material.key);
    return { backend, key, nonceBase: material.nonceBase, headerHash: material.headerHash };
  } finally {
    material.key.fill(0);
  }
}

/** Encrypts chunk `index`; returns ciphertext ‖ 16-byte tag. */
export function sealChunk(
  keys: ChunkKeys,
  index: number,
  last: boolean,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  return keys.backend.seal(
    keys.key,
    chunkNonce(keys.nonceBase, index),
    chunkAad(keys.headerHash, index, last),
    plaintext,
  );
}

/** Decrypts chunk `index` as flagged `last`; `undefined` when it does not authenticate. */
export function openChunk(
  keys: ChunkKeys,
  index: number,
  last: boolean,
  ciphertext: Uint8Array,
): Promise<Uint8Array | undefined> {
  return keys.backend.open(
    keys.key,
    chunkNonce(keys.nonceBase, index),
    chunkAad(keys.headerHash, index, last),
    ciphertext,
  );
}
