// Serves any BlobStore over HTTP for `HttpBlobStore` clients (Node only).
//
// What this server holds is content-addressed data only, which in this protocol is ciphertext by
// design: buyers encrypt to the enclave's attested key before uploading, and no key ever reaches
// this server. It therefore needs no confidentiality of its own; integrity comes from the ids,
// which it checks on upload and which every client re-checks on download. It does not authenticate
// uploaders: put it behind a proxy that does, or on a private interface (the default host is
// loopback), when it must not accept blobs from anyone.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type BlobId,
  type BlobStore,
  BlobStoreError,
  blobIdOf,
  isBlobId,
  validateMaxBytes,
} from "./blobStore.ts";

/** Options of {@link serveBlobStore}. */
export type ServeBlobStoreOptions = {
  /** TCP port; 0 picks a free one (read it from the returned `url`). */
  port: number;
  /** Interface to listen on. Default "127.0.0.1": reachable from this machine only. */
  host?: string | undefined;
  /** Largest upload accepted, in bytes; larger bodies get 413 without being read further. */
  maxBytes: number;
};

/** A running blob server. */
export type BlobServer = {
  /** Base URL to give `HttpBlobStore`, e.g. "http://127.0.0.1:41233". */
  url: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
};

const ROUTE = /^\/blobs\/([^/]+)$/;

/**
 * Serves `store` on `PUT|GET|HEAD /blobs/<id>`. Uploads are streamed and refused with 413 as soon
 * as they exceed `maxBytes`, and with 422 unless they hash to `<id>`; a malformed id gets 400, any
 * other path 404, another method 405. Downloads are sent as the store returns them: the store's own
 * `get` verifies them, and clients verify again.
 *
 * @example
 * const server = await serveBlobStore(new LocalFolderBlobStore("./blobs"), { port: 8080, maxBytes: 1 << 30 });
 * const client = new HttpBlobStore(server.url);
 */
export async function serveBlobStore(store: BlobStore, options: ServeBlobStoreOptions): Promise<BlobServer> {
  // Required: an upload server without a size limit lets any client exhaust its memory.
  const maxBytes = validateMaxBytes(options.maxBytes);
  if (maxBytes === undefined) throw new TypeError("serveBlobStore needs options.maxBytes");
  const server = createServer((request, response) => {
    handle(store, maxBytes, request, response).catch((error: unknown) => {
      // handle() answers every expected failure itself; this is the last resort for a bug or a
      // store that throws something other than BlobStoreError.
      if (!response.headersSent) reply(response, 500, "internal error");
      else response.destroy(error instanceof Error ? error : undefined);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // close() alone waits for keep-alive connections to time out.
        server.closeAllConnections();
      }),
  };
}

async function handle(
  store: BlobStore,
  maxBytes: number,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = (request.url ?? "").split("?", 1)[0] ?? "";
  const segment = ROUTE.exec(path)?.[1];
  if (segment === undefined) return reply(response, 404, "unknown route");
  const id = decodeId(segment);
  if (id === undefined) return reply(response, 400, "not a blob id (expected sha256:<64 lower-case hex>)");
  try {
    switch (request.method) {
      case "GET": {
        const bytes = await store.get(id);
        response.writeHead(200, {
          "content-type": "application/octet-stream",
          "content-length": bytes.length,
          // Content-addressed: the bytes at this URL can never change.
          "cache-control": "public, max-age=31536000, immutable",
          "x-content-type-options": "nosniff",
        });
        response.end(bytes);
        return;
      }
      case "HEAD":
        if (!(await store.has(id))) return reply(response, 404, "");
        // No content-length: HEAD would have to promise GET's length, which `has` does not read.
        response.writeHead(200).end();
        return;
      case "PUT":
        return await put(store, maxBytes, id, request, response);
      default:
        response.setHeader("allow", "GET, HEAD, PUT");
        return reply(response, 405, "method not allowed");
    }
  } catch (error) {
    if (!(error instanceof BlobStoreError)) throw error;
    replyWithError(response, error);
  }
}

async function put(
  store: BlobStore,
  maxBytes: number,
  id: BlobId,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const declared = Number(request.headers["content-length"] ?? Number.NaN);
  if (Number.isSafeInteger(declared) && declared > maxBytes) return refuseTooLarge(response, maxBytes);
  const body = await readBody(request, maxBytes);
  if (body === "tooLarge") return refuseTooLarge(response, maxBytes);
  if (body === "aborted") return; // the client went away; nobody to answer
  const actual = blobIdOf(body);
  if (actual !== id) return reply(response, 422, `content hashes to ${actual}, not ${id}`);
  const stored = await store.put(body);
  if (stored !== id) throw new Error(`store returned ${stored} for content ${id}`);
  reply(response, 204, "");
}

/**
 * The request body, or "tooLarge" as soon as it passes `maxBytes` (reading stops there, so at most
 * `maxBytes` plus one chunk is ever buffered), or "aborted" when the client disconnects.
 */
function readBody(request: IncomingMessage, maxBytes: number): Promise<Uint8Array | "tooLarge" | "aborted"> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const finish = (result: Uint8Array | "tooLarge" | "aborted") => {
      request.off("data", onData).off("end", onEnd).off("close", onClose).off("error", onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        request.pause();
        finish("tooLarge");
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      const joined = Buffer.concat(chunks, total);
      finish(new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength));
    };
    const onClose = () => finish("aborted");
    request.on("data", onData).on("end", onEnd).on("close", onClose).on("error", onClose);
  });
}

/**
 * Answers 413 and closes the connection instead of reading (and discarding) the rest of an
 * oversized upload, which could otherwise be made arbitrarily long.
 */
function refuseTooLarge(response: ServerResponse, maxBytes: number): void {
  // With "connection: close", Node ends and destroys the socket once the response is flushed.
  response.setHeader("connection", "close");
  reply(response, 413, `upload exceeds the limit of ${maxBytes} bytes`);
}

function decodeId(segment: string): BlobId | undefined {
  let text: string;
  try {
    // Clients may percent-encode the ':' of "sha256:".
    text = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  return isBlobId(text) ? text : undefined;
}

const ERROR_STATUS: Readonly<Record<BlobStoreError["code"], number>> = {
  InvalidId: 400,
  NotFound: 404,
  TooLarge: 413,
  // A stored blob that no longer matches its id, reported like a bad upload: the content is wrong.
  Corrupt: 422,
  Unavailable: 503,
};

function replyWithError(response: ServerResponse, error: BlobStoreError): void {
  // Unavailable errors carry storage details (file paths, errno); those stay on the server.
  const text = error.code === "Unavailable" ? "Unavailable: storage unavailable" : error.shortMessage;
  reply(response, ERROR_STATUS[error.code], text);
}

function reply(response: ServerResponse, status: number, text: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = text === "" ? "" : `${text}\n`;
  response.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  response.end(body);
}
