// The envelope's byte layout (sdk/envelope/FORMAT.md): header encoding and parsing, chunk geometry,
// per-chunk nonces and associated data. Pure functions, no cryptography beyond SHA-256.
import { EnvelopeError } from "./errors.ts";

/** The five ASCII bytes every envelope starts with. */
export const ENVELOPE_MAGIC = "BTENV";
/** The only format version this library writes and reads. */
export const ENVELOPE_FORMAT_VERSION = 1;
/** Suite 1: X25519, HKDF-SHA256, AES-256-GCM with 16-byte tags. The only suite defined. */
export const ENVELOPE_SUITE_X25519_HKDF_SHA256_AES256GCM = 1;
/** Length of the serialized header in bytes: 5 + 1 + 1 + 4 + 32 + 32 + 32. */
export const ENVELOPE_HEADER_LENGTH = 107;
/** Bytes an AES-GCM tag adds to every chunk. */
export const ENVELOPE_TAG_LENGTH = 16;
/** Plaintext bytes per chunk when the caller does not choose: 64 KiB. */
export const ENVELOPE_DEFAULT_CHUNK_SIZE = 64 * 1024;
/** Smallest chunk size a header may declare: 1 KiB. */
export const ENVELOPE_MIN_CHUNK_SIZE = 1024;
/** Largest chunk size a header may declare: 16 MiB (bounds the memory a decryptor must commit). */
export const ENVELOPE_MAX_CHUNK_SIZE = 16 * 1024 * 1024;

// Field offsets, in header order.
const VERSION_OFFSET = 5;
const SUITE_OFFSET = 6;
const CHUNK_SIZE_OFFSET = 7;
const JOB_ID_OFFSET = 11;
const EPHEMERAL_OFFSET = 43;
const SALT_OFFSET = 75;
const MAGIC_BYTES = new TextEncoder().encode(ENVELOPE_MAGIC);
const UINT256_LIMIT = 1n << 256n;

/** A parsed envelope header. Byte fields are copies: changing them does not change `bytes`. */
export type EnvelopeHeader = {
  /** Format version (always {@link ENVELOPE_FORMAT_VERSION} for a header that parsed). */
  readonly version: number;
  /** Cipher suite id (always {@link ENVELOPE_SUITE_X25519_HKDF_SHA256_AES256GCM}). */
  readonly suite: number;
  /** Plaintext bytes per chunk; every chunk but the last holds exactly this many. */
  readonly chunkSize: number;
  /** The on-chain job id the envelope was made for. */
  readonly jobId: bigint;
  /** The sender's one-time X25519 public key (32 bytes). */
  readonly ephemeralPublicKey: Uint8Array;
  /** The HKDF salt (32 random bytes). */
  readonly salt: Uint8Array;
  /** The {@link ENVELOPE_HEADER_LENGTH} serialized header bytes, as authenticated. */
  readonly bytes: Uint8Array;
};

/** Throws `Malformed` unless `chunkSize` is an integer in [1 KiB, 16 MiB]. */
export function checkChunkSize(chunkSize: number, what: string): void {
  if (
    !Number.isSafeInteger(chunkSize) ||
    chunkSize < ENVELOPE_MIN_CHUNK_SIZE ||
    chunkSize > ENVELOPE_MAX_CHUNK_SIZE
  ) {
    throw new EnvelopeError(
      "Malformed",
      `${what} ${chunkSize} is outside ${ENVELOPE_MIN_CHUNK_SIZE}..${ENVELOPE_MAX_CHUNK_SIZE} bytes`,
    );
  }
}

/** Throws `Malformed` unless `jobId` fits a uint256 (what the header and the chain store). */
export function checkJobId(jobId: bigint): void {
  if (typeof jobId !== "bigint" || jobId < 0n || jobId >= UINT256_LIMIT) {
    throw new EnvelopeError("Malformed", `job id must be a bigint in [0, 2^256), got ${String(jobId)}`);
  }
}

/** Throws `Malformed` unless `bytes` is a Uint8Array of exactly `length` bytes. */
export function checkBytes(bytes: unknown, length: number, what: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    const got = bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes;
    throw new EnvelopeError("Malformed", `${what} must be ${length} bytes, got ${got}`);
  }
}

/** Serializes a version-1 header. Inputs must already be validated. */
export function encodeEnvelopeHeader(
  chunkSize: number,
  jobId: bigint,
  ephemeralPublicKey: Uint8Array,
  salt: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(ENVELOPE_HEADER_LENGTH);
  const view = new DataView(out.buffer);
  out.set(MAGIC_BYTES, 0);
  out[VERSION_OFFSET] = ENVELOPE_FORMAT_VERSION;
  out[SUITE_OFFSET] = ENVELOPE_SUITE_X25519_HKDF_SHA256_AES256GCM;
  view.setUint32(CHUNK_SIZE_OFFSET, chunkSize);
  let rest = jobId;
  for (let i = EPHEMERAL_OFFSET - 1; i >= JOB_ID_OFFSET; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  out.set(ephemeralPublicKey, EPHEMERAL_OFFSET);
  out.set(salt, SALT_OFFSET);
  return out;
}

/**
 * Parses and checks the header at the start of `bytes` (a whole envelope, or at least its first
 * {@link ENVELOPE_HEADER_LENGTH} bytes; anything after the header is ignored). Checks run in field
 * order so the most specific error wins: magic (`Malformed`), version (`UnknownVersion`), suite
 * (`UnknownSuite`), length (`Truncated`), chunk size (`Malformed`). Performs no cryptography and
 * needs no key: a store or a relay can route an envelope by its job id.
 *
 * @example
 * const { jobId, chunkSize } = parseEnvelopeHeader(envelope);
 */
export function parseEnvelopeHeader(bytes: Uint8Array): EnvelopeHeader {
  if (!(bytes instanceof Uint8Array)) throw new EnvelopeError("Malformed", "envelope must be a Uint8Array");
  const magicLength = Math.min(bytes.length, MAGIC_BYTES.length);
  for (let i = 0; i < magicLength; i++) {
    if (bytes[i] !== MAGIC_BYTES[i]) {
      throw new EnvelopeError("Malformed", `bad magic: an envelope starts with "${ENVELOPE_MAGIC}"`);
    }
  }
  const version = bytes[VERSION_OFFSET];
  if (version !== undefined && version !== ENVELOPE_FORMAT_VERSION) {
    throw new EnvelopeError(
      "UnknownVersion",
      `format version ${version} is not supported (this library reads version ${ENVELOPE_FORMAT_VERSION})`,
    );
  }
  const suite = bytes[SUITE_OFFSET];
  if (suite !== undefined && suite !== ENVELOPE_SUITE_X25519_HKDF_SHA256_AES256GCM) {
    throw new EnvelopeError(
      "UnknownSuite",
      `cipher suite ${suite} is not supported (this library implements suite ${ENVELOPE_SUITE_X25519_HKDF_SHA256_AES256GCM}, X25519-HKDF-SHA256-AES-256-GCM)`,
    );
  }
  if (bytes.length < ENVELOPE_HEADER_LENGTH) {
    throw new EnvelopeError(
      "Truncated",
      `the envelope ends inside its header: ${bytes.length} of ${ENVELOPE_HEADER_LENGTH} bytes`,
    );
  }
  const header = bytes.slice(0, ENVELOPE_HEADER_LENGTH);
  const chunkSize = new DataView(header.buffer).getUint32(CHUNK_SIZE_OFFSET);
  checkChunkSize(chunkSize, "header chunk size");
  let jobId = 0n;
  for (let i = JOB_ID_OFFSET; i < EPHEMERAL_OFFSET; i++) jobId = (jobId << 8n) | BigInt(header[i] as number);
  return {
    version: ENVELOPE_FORMAT_VERSION,
    suite: ENVELOPE_SUITE_X25519_HKDF_SHA256_AES256GCM,
    chunkSize,
    jobId,
    ephemeralPublicKey: header.slice(EPHEMERAL_OFFSET, SALT_OFFSET),
    salt: header.slice(SALT_OFFSET, ENVELOPE_HEADER_LENGTH),
    bytes: header,
  };
}

/** Number of chunks a plaintext of `plaintextLength` bytes is cut into (an empty one still has one). */
export function envelopeChunkCount(plaintextLength: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(plaintextLength / chunkSize));
}

/**
 * Exact size in bytes of the envelope of a `plaintextLength`-byte plaintext: the header plus the
 * plaintext plus one 16-byte tag per chunk. Useful to size a blob store limit or an upload.
 *
 * @example
 * envelopeLength(1_000_000) // 107 + 1_000_000 + 16 * 16 = 1_000_363
 */
export function envelopeLength(
  plaintextLength: number,
  chunkSize: number = ENVELOPE_DEFAULT_CHUNK_SIZE,
): number {
  if (!Number.isSafeInteger(plaintextLength) || plaintextLength < 0) {
    throw new EnvelopeError(
      "Malformed",
      `plaintext length must be a non-negative integer, got ${plaintextLength}`,
    );
  }
  checkChunkSize(chunkSize, "chunk size");
  return (
    ENVELOPE_HEADER_LENGTH +
    plaintextLength +
    ENVELOPE_TAG_LENGTH * envelopeChunkCount(plaintextLength, chunkSize)
  );
}

/** Writes `index` as a u64 big-endian at `offset` (indices stay far below 2^53). */
function setU64(view: DataView, offset: number, index: number): void {
  view.setUint32(offset, Math.floor(index / 2 ** 32));
  view.setUint32(offset + 4, index >>> 0);
}

/** Nonce of chunk `index`: the nonce base XOR the index as a 96-bit big-endian integer. */
export function chunkNonce(nonceBase: Uint8Array, index: number): Uint8Array {
  const nonce = new Uint8Array(12);
  setU64(new DataView(nonce.buffer), 4, index);
  for (let i = 0; i < 12; i++) nonce[i] = (nonce[i] as number) ^ (nonceBase[i] as number);
  return nonce;
}

/** Associated data of chunk `index`: SHA-256(header) ‖ u64 index ‖ u8 last flag (41 bytes). */
export function chunkAad(headerHash: Uint8Array, index: number, last: boolean): Uint8Array {
  const aad = new Uint8Array(41);
  aad.set(headerHash, 0);
  const view = new DataView(aad.buffer);
  setU64(view, 32, index);
  aad[40] = last ? 1 : 0;
  return aad;
}
