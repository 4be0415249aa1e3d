// What the one-shot functions and the streams share, so both produce and accept exactly the same
// bytes and report exactly the same errors: argument checks, header creation and checking, the key
// schedule, and the rules that decide which chunk is last.
import { x25519 } from "@noble/curves/ed25519.js";
import { EnvelopeError } from "./errors.ts";
import {
  checkBytes,
  checkChunkSize,
  checkJobId,
  ENVELOPE_DEFAULT_CHUNK_SIZE,
  ENVELOPE_TAG_LENGTH,
  type EnvelopeHeader,
  encodeEnvelopeHeader,
} from "./format.ts";
import {
  type ChunkKeys,
  deriveKeyMaterial,
  importChunkKeys,
  type KeyMaterial,
  openChunk,
  recipientPublicKeyOf,
  sharedSecret,
} from "./keySchedule.ts";

/**
 * Fixed ephemeral key and salt, for known-answer tests only. Production code never sets this: the
 * same ephemeral key and salt for the same recipient and header give the same AES key and nonces,
 * and AES-GCM under a repeated key and nonce leaks the XOR of plaintexts and allows forgeries.
 */
export type EnvelopeTestingOptions = {
  /** 32-byte X25519 secret key used instead of a fresh random one. */
  readonly ephemeralSecretKey: Uint8Array;
  /** 32-byte HKDF salt used instead of fresh random bytes. */
  readonly salt: Uint8Array;
};

/** Options every encryption takes, one-shot or streaming. */
export type SealOptions = {
  /** The recipient's X25519 public key (32 bytes): the enclave key its attestation binds. */
  readonly recipientPublicKey: Uint8Array;
  /** The on-chain job id (uint256); written into the header and checked by the decryptor. */
  readonly jobId: bigint;
  /** Plaintext bytes per chunk, 1 KiB..16 MiB; default {@link ENVELOPE_DEFAULT_CHUNK_SIZE} (64 KiB). */
  readonly chunkSize?: number | undefined;
  /** Known-answer tests only; see {@link EnvelopeTestingOptions}. Never set in production. */
  readonly testing?: EnvelopeTestingOptions | undefined;
};

/** Options every decryption takes, one-shot or streaming. */
export type OpenOptions = {
  /** The recipient's X25519 secret key (32 bytes). */
  readonly recipientSecretKey: Uint8Array;
  /** The job id the caller expects; an envelope made for another job fails with `WrongJob`. */
  readonly jobId: bigint;
};

/** A validated encryption: the serialized header and its key material. */
export type Sealing = {
  readonly header: Uint8Array;
  readonly chunkSize: number;
  readonly material: KeyMaterial;
};

/**
 * Checks the arguments, draws (or takes, in tests) the ephemeral key and salt, writes the header
 * and runs the key schedule. Synchronous, so a stream can throw bad arguments and low-order keys
 * at creation instead of at the first read.
 */
export function prepareSealing(options: SealOptions): Sealing {
  checkBytes(options.recipientPublicKey, 32, "recipient public key");
  checkJobId(options.jobId);
  const chunkSize = options.chunkSize ?? ENVELOPE_DEFAULT_CHUNK_SIZE;
  checkChunkSize(chunkSize, "chunk size");
  let ephemeralSecretKey: Uint8Array;
  let salt: Uint8Array;
  if (options.testing) {
    checkBytes(options.testing.ephemeralSecretKey, 32, "testing.ephemeralSecretKey");
    checkBytes(options.testing.salt, 32, "testing.salt");
    ephemeralSecretKey = options.testing.ephemeralSecretKey;
    salt = options.testing.salt;
  } else {
    ephemeralSecretKey = x25519.utils.randomSecretKey();
    salt = globalThis.crypto.getRandomValues(new Uint8Array(32));
  }
  const shared = sharedSecret(ephemeralSecretKey, options.recipientPublicKey, "the recipient public key");
  const ephemeralPublicKey = x25519.getPublicKey(ephemeralSecretKey);
  // The ephemeral secret is single-use; wipe our copy (never the caller's test key).
  if (!options.testing) ephemeralSecretKey.fill(0);
  const header = encodeEnvelopeHeader(chunkSize, options.jobId, ephemeralPublicKey, salt);
  const material = deriveKeyMaterial(shared, header, options.recipientPublicKey, salt);
  shared.fill(0);
  return { header, chunkSize, material };
}

/** Checks the decryption arguments that do not depend on the envelope. */
export function checkOpenOptions(options: OpenOptions): void {
  checkBytes(options.recipientSecretKey, 32, "recipient secret key");
  checkJobId(options.jobId);
}

/**
 * Checks the header's job id against the expected one (before any cryptography, so an envelope for
 * another job costs nothing and says so plainly), then runs the key schedule.
 */
export function prepareOpening(header: EnvelopeHeader, options: OpenOptions): KeyMaterial {
  if (header.jobId !== options.jobId) {
    throw new EnvelopeError(
      "WrongJob",
      `the envelope was made for job ${header.jobId}, but job ${options.jobId} was expected`,
    );
  }
  const recipientPublicKey = recipientPublicKeyOf(options.recipientSecretKey);
  const shared = sharedSecret(
    options.recipientSecretKey,
    header.ephemeralPublicKey,
    "the ephemeral public key in the envelope header",
  );
  const material = deriveKeyMaterial(shared, header.bytes, recipientPublicKey, header.salt);
  shared.fill(0);
  return material;
}

export { importChunkKeys };

function authenticationFailed(index: number): EnvelopeError {
  return new EnvelopeError(
    "AuthenticationFailed",
    `chunk ${index} failed authentication: wrong recipient key, tampered header or chunk, or a reordered, dropped, duplicated or substituted chunk`,
    { chunkIndex: index },
  );
}

/**
 * Opens a chunk that more bytes follow, so it must not be flagged last. If it fails but does
 * authenticate as the last chunk, the envelope itself is fine and the extra bytes were appended.
 */
export async function openMiddleChunk(
  keys: ChunkKeys,
  index: number,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  const plaintext = await openChunk(keys, index, false, ciphertext);
  if (plaintext) return plaintext;
  if (await openChunk(keys, index, true, ciphertext)) {
    throw new EnvelopeError("TrailingData", `bytes follow chunk ${index}, which is flagged last`, {
      chunkIndex: index,
    });
  }
  throw authenticationFailed(index);
}

/**
 * Opens whatever remains when the input ends, which must be the chunk flagged last. If it is a
 * full-size chunk that authenticates as not-last, the envelope was cut at a chunk boundary.
 */
export async function openFinalChunk(
  keys: ChunkKeys,
  index: number,
  ciphertext: Uint8Array,
  chunkSize: number,
): Promise<Uint8Array> {
  if (ciphertext.length < ENVELOPE_TAG_LENGTH) {
    const where =
      ciphertext.length === 0
        ? "the envelope ends after its header: chunk 0 is missing"
        : `the envelope ends inside chunk ${index}: ${ciphertext.length} bytes, fewer than its ${ENVELOPE_TAG_LENGTH}-byte tag`;
    throw new EnvelopeError("Truncated", where, { chunkIndex: index });
  }
  const plaintext = await openChunk(keys, index, true, ciphertext);
  if (plaintext) return plaintext;
  if (
    ciphertext.length === chunkSize + ENVELOPE_TAG_LENGTH &&
    (await openChunk(keys, index, false, ciphertext))
  ) {
    throw new EnvelopeError(
      "Truncated",
      `the envelope ends after chunk ${index}, which is not flagged last: the chunks after it are missing`,
      { chunkIndex: index },
    );
  }
  throw authenticationFailed(index);
}

/** The outcome of one chunk operation; never a rejected promise, so nothing goes unhandled. */
export type ChunkResult =
  | { readonly bytes: Uint8Array; readonly plaintextLength: number }
  | { readonly error: unknown };

/** Wraps a chunk operation so it resolves to a {@link ChunkResult} instead of rejecting. */
export function settle(operation: Promise<Uint8Array>, plaintextLength?: number): Promise<ChunkResult> {
  return operation.then(
    (bytes) => ({ bytes, plaintextLength: plaintextLength ?? bytes.length }),
    (error: unknown) => ({ error }),
  );
}
