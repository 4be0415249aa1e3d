// HTTP client for a blob store served by `serveBlobStore` (or anything speaking the same three
// routes). Browser-safe: only `fetch`, no node: imports.
//
// Protocol: PUT /blobs/<id> with the raw bytes (the server checks they hash to <id> before storing),
// GET /blobs/<id>, HEAD /blobs/<id>. Status codes map to error codes: 400 InvalidId, 404 NotFound,
// 413 TooLarge, 422 Corrupt, anything else (and any network failure) Unavailable.
import {
  type BlobId,
  type BlobStore,
  BlobStoreError,
  type BlobStoreErrorCode,
  blobIdOf,
  checkBlobSize,
  parseBlobId,
  validateMaxBytes,
  verifyBlob,
} from "./blobStore.ts";

/** Options of {@link HttpBlobStore}. */
export type HttpBlobStoreOptions = {
  /**
   * Largest blob this client uploads or downloads, in bytes (no limit when omitted). Downloads are
   * cut off as soon as they exceed it, so a misbehaving server cannot exhaust the client's memory.
   */
  maxBytes?: number | undefined;
  /** The `fetch` to use (defaults to the global one), e.g. to add authentication or timeouts. */
  fetch?: typeof fetch | undefined;
};

// How much of an error response's body is kept as details; servers send one short line.
const ERROR_TEXT_LIMIT = 512;

/**
 * A {@link BlobStore} behind HTTP. The server is not trusted: every downloaded blob is re-hashed
 * and rejected with `Corrupt` unless it matches its id. No `delete`: the protocol has no route for it.
 *
 * @example
 * const store = new HttpBlobStore("https://blobs.example.org", { maxBytes: 1 << 30 });
 * const id = await store.put(ciphertext);
 * const same = await store.get(id);
 */
export class HttpBlobStore implements BlobStore {
  /** The server's base URL, without a trailing slash; blobs live at `<baseUrl>/blobs/<id>`. */
  readonly baseUrl: string;
  readonly #maxBytes: number | undefined;
  readonly #fetch: typeof fetch;

  constructor(baseUrl: string, options: HttpBlobStoreOptions = {}) {
    const url = new URL(baseUrl);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`HttpBlobStore needs an http(s) URL, got ${url.protocol}`);
    }
    this.baseUrl = url.href.replace(/\/+$/, "");
    this.#maxBytes = validateMaxBytes(options.maxBytes);
    // Bound to globalThis: some browsers throw "Illegal invocation" when fetch is called as a method.
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /**
   * The URL of blob `id`.
   *
   * @throws {BlobStoreError} `InvalidId`.
   */
  urlOf(id: BlobId): string {
    return `${this.baseUrl}/blobs/${parseBlobId(id)}`;
  }

  /** {@inheritDoc BlobStore.put} */
  async put(bytes: Uint8Array): Promise<BlobId> {
    // Checked here too so an oversized blob is refused before a single byte is sent.
    checkBlobSize(bytes.length, this.#maxBytes);
    const id = blobIdOf(bytes);
    const response = await this.#request(id, "PUT", {
      body: bytes,
      headers: { "content-type": "application/octet-stream" },
    });
    if (!response.ok) throw await errorFor(response, id, "upload");
    await response.body?.cancel();
    return id;
  }

  /** {@inheritDoc BlobStore.get} */
  async get(id: BlobId): Promise<Uint8Array> {
    const response = await this.#request(id, "GET");
    if (!response.ok) throw await errorFor(response, id, "download");
    const bytes = await readBody(response, this.#maxBytes, id);
    verifyBlob(id, bytes);
    return bytes;
  }

  /** {@inheritDoc BlobStore.has} */
  async has(id: BlobId): Promise<boolean> {
    const response = await this.#request(id, "HEAD");
    if (response.status === 404) return false;
    if (!response.ok) throw await errorFor(response, id, "look up");
    await response.body?.cancel();
    return true;
  }

  async #request(id: BlobId, method: string, init: RequestInit = {}): Promise<Response> {
    const url = this.urlOf(id);
    try {
      return await this.#fetch(url, { ...init, method });
    } catch (error) {
      throw new BlobStoreError("Unavailable", `${method} ${url} failed`, {
        blobId: id,
        details: error instanceof Error ? error.message : String(error),
        cause: error,
      });
    }
  }
}

const STATUS_CODES: Readonly<Record<number, BlobStoreErrorCode>> = {
  400: "InvalidId",
  404: "NotFound",
  413: "TooLarge",
  422: "Corrupt",
};

/** The {@link BlobStoreError} for a non-2xx response, with the server's (bounded) message as details. */
async function errorFor(response: Response, id: BlobId, action: string): Promise<BlobStoreError> {
  const code = STATUS_CODES[response.status] ?? "Unavailable";
  const text = await errorText(response);
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
  return new BlobStoreError(code, `cannot ${action} ${id}: ${status}`, {
    blobId: id,
    details: text === "" ? undefined : text,
  });
}

/** At most {@link ERROR_TEXT_LIMIT} bytes of an error body, as text; never throws. */
async function errorText(response: Response): Promise<string> {
  if (response.body === null) return "";
  try {
    const bytes = await readLimited(response.body, ERROR_TEXT_LIMIT);
    return new TextDecoder().decode(bytes.bytes).trim();
  } catch {
    return "";
  }
}

/**
 * The body of a blob download, refused (`TooLarge`) as soon as it is known to exceed `maxBytes`:
 * from Content-Length when the server sends one, otherwise while streaming.
 */
async function readBody(response: Response, maxBytes: number | undefined, id: BlobId): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (maxBytes !== undefined && Number.isSafeInteger(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    checkBlobSize(declared, maxBytes, id);
  }
  if (response.body === null) return new Uint8Array(0);
  let result: { bytes: Uint8Array; truncated: boolean };
  try {
    result = await readLimited(response.body, maxBytes ?? Number.POSITIVE_INFINITY);
  } catch (error) {
    throw new BlobStoreError("Unavailable", `download of ${id} was interrupted`, {
      blobId: id,
      details: error instanceof Error ? error.message : String(error),
      cause: error,
    });
  }
  if (result.truncated) {
    throw new BlobStoreError("TooLarge", `download of ${id} exceeds the limit of ${maxBytes} bytes`, {
      blobId: id,
    });
  }
  return result.bytes;
}

/**
 * Reads `stream` up to `limit` bytes; past that it cancels the stream and reports `truncated`, so
 * no more than `limit` bytes (plus one chunk) are ever held.
 */
async function readLimited(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.length > limit) {
      await reader.cancel().catch(() => undefined);
      const room = Math.max(0, Math.min(value.length, limit - total));
      chunks.push(value.subarray(0, room));
      total += room;
      return { bytes: concat(chunks, total), truncated: true };
    }
    chunks.push(value);
    total += value.length;
  }
  return { bytes: concat(chunks, total), truncated: false };
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
