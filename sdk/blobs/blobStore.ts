// Content-addressed blob storage: the interface every backend implements, the id format, the one
// error type, and an in-memory store. Browser-safe (no node: imports).
//
// Blobs are addressed by the SHA-256 of their bytes, so a reader never has to trust the store or
// the transport: `get` re-hashes what it returns and fails with `Corrupt` on any mismatch.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { BaseError, type BaseErrorParameters } from "../errors.ts";

/** The id of a blob: `sha256:` followed by the 64 lower-case hex digits of the SHA-256 of its bytes. */
export type BlobId = `sha256:${string}`;

/** The prefix every {@link BlobId} starts with; names the hash so other algorithms could follow. */
export const BLOB_ID_PREFIX = "sha256:";

// Lower case only, so one blob has exactly one id (a file name, a URL path and a map key alike).
const BLOB_ID_PATTERN = /^sha256:[0-9a-f]{64}$/;

/**
 * Every way a blob store operation can fail, as a stable code callers and tests can match on.
 */
export const BlobStoreErrorCode = {
  /** No blob with this id is stored. */
  NotFound: "NotFound",
  /** The bytes a store or transport returned (or a client uploaded) do not hash to their id. */
  Corrupt: "Corrupt",
  /** The blob is larger than the configured maximum size. */
  TooLarge: "TooLarge",
  /** The text is not a well-formed {@link BlobId}. */
  InvalidId: "InvalidId",
  /** The backing storage or the network failed; the `cause` holds the underlying error. */
  Unavailable: "Unavailable",
} as const;
/** One {@link BlobStoreErrorCode}. */
export type BlobStoreErrorCode = (typeof BlobStoreErrorCode)[keyof typeof BlobStoreErrorCode];

/** Parameters of {@link BlobStoreError}. */
export type BlobStoreErrorParameters = BaseErrorParameters & {
  /** The blob the operation was about, when it had a valid id. */
  blobId?: BlobId | undefined;
};

/**
 * The only error blob stores throw: a stable `code` plus a message naming the blob and what failed.
 *
 * @example
 * try { await store.get(id) } catch (e) { if (e instanceof BlobStoreError && e.code === "NotFound") ... }
 */
export class BlobStoreError extends BaseError {
  override name = "BlobStoreError";
  /** What failed. */
  readonly code: BlobStoreErrorCode;
  /** The blob the operation was about, when known. */
  readonly blobId: BlobId | undefined;

  constructor(code: BlobStoreErrorCode, shortMessage: string, parameters: BlobStoreErrorParameters = {}) {
    super(`${code}: ${shortMessage}`, parameters);
    this.code = code;
    this.blobId = parameters.blobId;
  }
}

/**
 * The id of `bytes`: `sha256:<hex of SHA-256(bytes)>`.
 *
 * @example
 * blobIdOf(new TextEncoder().encode("abc")) // "sha256:ba7816bf…15ad"
 */
export function blobIdOf(bytes: Uint8Array): BlobId {
  return `${BLOB_ID_PREFIX}${bytesToHex(sha256(bytes))}`;
}

/** Whether `text` is a well-formed {@link BlobId} (prefix, 64 lower-case hex digits). */
export function isBlobId(text: unknown): text is BlobId {
  return typeof text === "string" && BLOB_ID_PATTERN.test(text);
}

/**
 * Checks that `text` is a well-formed {@link BlobId} and returns it typed.
 *
 * @throws {BlobStoreError} `InvalidId` naming what is wrong.
 */
export function parseBlobId(text: unknown): BlobId {
  if (isBlobId(text)) return text;
  // Untrusted text may be huge or contain control characters: quote a bounded, escaped prefix.
  const shown = JSON.stringify(typeof text === "string" ? text.slice(0, 80) : String(text));
  let details: string;
  if (typeof text !== "string") details = `expected a string, got ${typeof text}`;
  else if (!text.startsWith(BLOB_ID_PREFIX)) details = `a blob id starts with "${BLOB_ID_PREFIX}"`;
  else if (text.length !== BLOB_ID_PREFIX.length + 64)
    details = `expected 64 hex digits after "${BLOB_ID_PREFIX}", got ${text.length - BLOB_ID_PREFIX.length}`;
  else details = "the digest must be lower-case hex (0-9, a-f)";
  throw new BlobStoreError("InvalidId", `not a blob id: ${shown}`, { details });
}

/** The 64 hex digits of `id` (the part after `sha256:`), e.g. for file names or object keys. */
export function blobIdHex(id: BlobId): string {
  return parseBlobId(id).slice(BLOB_ID_PREFIX.length);
}

/**
 * Throws `Corrupt` unless `bytes` hash to `id`. Every store calls this in `get`, so a tampered disk,
 * a lying server or a broken transport can never hand a caller the wrong content.
 *
 * @throws {BlobStoreError} `Corrupt` with the expected and actual ids.
 */
export function verifyBlob(id: BlobId, bytes: Uint8Array): void {
  const actual = blobIdOf(bytes);
  if (actual !== id) {
    throw new BlobStoreError("Corrupt", `content of ${id} does not match its id`, {
      blobId: id,
      details: `the ${bytes.length} bytes returned hash to ${actual}`,
    });
  }
}

/**
 * Throws `TooLarge` when `size` exceeds `maxBytes` (no limit when `maxBytes` is undefined).
 *
 * @throws {BlobStoreError} `TooLarge`.
 */
export function checkBlobSize(size: number, maxBytes: number | undefined, blobId?: BlobId): void {
  if (maxBytes !== undefined && size > maxBytes) {
    throw new BlobStoreError("TooLarge", `blob of ${size} bytes exceeds the limit of ${maxBytes} bytes`, {
      blobId,
    });
  }
}

/** Checks a configured size limit once, so a typo fails at construction instead of at first use. */
export function validateMaxBytes(maxBytes: number | undefined): number | undefined {
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
    throw new RangeError(`maxBytes must be a non-negative safe integer, got ${maxBytes}`);
  }
  return maxBytes;
}

/**
 * A content-addressed blob store. Implementations: {@link MemoryBlobStore}, `LocalFolderBlobStore`
 * (Node, the default), `HttpBlobStore` (any store behind `serveBlobStore`); IPFS and S3-compatible
 * adapters fit the same shape (see sdk/blobs/README.md).
 *
 * Contract: ids are checked first (`InvalidId`); `put` is idempotent and safe to call concurrently
 * with the same content; `get` returns bytes that hash to the id or throws (`NotFound`, `Corrupt`,
 * `TooLarge`, `Unavailable`); every failure is a {@link BlobStoreError}.
 */
export interface BlobStore {
  /** Stores `bytes` (or finds them already stored) and returns their id. */
  put(bytes: Uint8Array): Promise<BlobId>;
  /** The bytes of blob `id`, verified against the id. */
  get(id: BlobId): Promise<Uint8Array>;
  /** Whether blob `id` is stored (without reading or verifying it). */
  has(id: BlobId): Promise<boolean>;
  /** Removes blob `id`; removing an absent blob is not an error. Optional: not every backend deletes. */
  delete?(id: BlobId): Promise<void>;
}

/** Options of {@link MemoryBlobStore}. */
export type MemoryBlobStoreOptions = {
  /** Largest blob accepted by `put`, in bytes (no limit when omitted). */
  maxBytes?: number | undefined;
};

/**
 * A {@link BlobStore} in memory: for tests and the browser. Copies bytes in and out so a caller
 * mutating its buffer cannot change a stored blob.
 */
export class MemoryBlobStore implements BlobStore {
  /** The stored blobs; protected so test doubles can simulate corruption. */
  protected readonly blobs = new Map<BlobId, Uint8Array>();
  readonly #maxBytes: number | undefined;

  constructor(options: MemoryBlobStoreOptions = {}) {
    this.#maxBytes = validateMaxBytes(options.maxBytes);
  }

  /** {@inheritDoc BlobStore.put} */
  async put(bytes: Uint8Array): Promise<BlobId> {
    checkBlobSize(bytes.length, this.#maxBytes);
    const id = blobIdOf(bytes);
    if (!this.blobs.has(id)) this.blobs.set(id, bytes.slice());
    return id;
  }

  /** {@inheritDoc BlobStore.get} */
  async get(id: BlobId): Promise<Uint8Array> {
    parseBlobId(id);
    const stored = this.blobs.get(id);
    if (stored === undefined) throw new BlobStoreError("NotFound", `no blob ${id}`, { blobId: id });
    verifyBlob(id, stored);
    return stored.slice();
  }

  /** {@inheritDoc BlobStore.has} */
  async has(id: BlobId): Promise<boolean> {
    parseBlobId(id);
    return this.blobs.has(id);
  }

  /** {@inheritDoc BlobStore.delete} */
  async delete(id: BlobId): Promise<void> {
    parseBlobId(id);
    this.blobs.delete(id);
  }
}
