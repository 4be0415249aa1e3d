// Content-addressed blob stores (sdk/blobs): one conformance suite run against the memory store, the
// local-folder store and the HTTP client talking to serveBlobStore over a local-folder store; then
// what is specific to each: atomic writes and the on-disk layout, the server's routes and limits,
// status-code mapping, a lying server, a server that is down, and a 20 MiB round trip.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import {
  type BlobId,
  type BlobStore,
  BlobStoreError,
  type BlobStoreErrorCode,
  blobIdHex,
  blobIdOf,
  HttpBlobStore,
  isBlobId,
  MemoryBlobStore,
  parseBlobId,
} from "../../../sdk/blobs/index.ts";
import { LocalFolderBlobStore, serveBlobStore } from "../../../sdk/blobs/node.ts";
import { BaseError } from "../../../sdk/errors.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
/** Size limit of the stores under conformance test: small, so TooLarge is cheap to hit. */
const LIMIT = 64 * KiB;

const EMPTY_ID = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const ABC_ID = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

/** Ids every store must refuse with InvalidId, including ones that would escape a folder or a URL. */
const BAD_IDS = [
  "",
  "sha256:",
  ABC_ID.slice("sha256:".length),
  ABC_ID.toUpperCase(),
  `sha256:${"A".repeat(64)}`,
  `sha256:${"a".repeat(63)}`,
  `sha256:${"a".repeat(65)}`,
  `sha512:${"a".repeat(64)}`,
  "sha256:../../../../etc/passwd",
  `sha256:${"a".repeat(62)}/x`,
  ` ${ABC_ID}`,
];

const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);
const randomBlob = (size: number): Uint8Array => new Uint8Array(randomBytes(size));

/** Awaits `promise`, asserts it rejects with a BlobStoreError of `code`, and returns the error. */
async function rejectsWith(promise: Promise<unknown>, code: BlobStoreErrorCode): Promise<BlobStoreError> {
  let caught: unknown;
  await assert.rejects(promise, (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof BlobStoreError, `expected a BlobStoreError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

/** Every file under `dir`, relative to it, with "/" separators. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .sort();
}

/** Asserts every file under `dir` is a complete blob at its final name: no temp files, nothing else. */
async function assertOnlyBlobFiles(dir: string): Promise<string[]> {
  const files = await filesUnder(dir);
  for (const file of files)
    assert.match(file, /^sha256\/([0-9a-f]{2})\/\1[0-9a-f]{62}$/, `stray file ${file}`);
  return files;
}

async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), "blobs-"));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Flips the first byte of a local blob file (it must be non-empty). */
async function tamperFile(file: string): Promise<void> {
  const bytes = await readFile(file);
  bytes[0] = (bytes[0] ?? 0) ^ 0xff;
  await writeFile(file, bytes);
}

/** A memory store whose content a test can damage, to check that `get` re-verifies. */
class TamperableMemoryBlobStore extends MemoryBlobStore {
  tamper(id: BlobId): void {
    const stored = this.blobs.get(id);
    assert.ok(stored !== undefined && stored.length > 0);
    const damaged = stored.slice();
    damaged[0] = (damaged[0] ?? 0) ^ 0xff;
    this.blobs.set(id, damaged);
  }
}

/** A store under test, with a way to corrupt its stored content and to release its resources. */
type Harness = { store: BlobStore; tamper(id: BlobId): Promise<void>; close(): Promise<void> };
/** A backend of the conformance suite: opens a fresh, empty store with the given size limit. */
type Backend = { name: string; deletes: boolean; open(maxBytes: number): Promise<Harness> };

const backends: Backend[] = [
  {
    name: "MemoryBlobStore",
    deletes: true,
    async open(maxBytes) {
      const store = new TamperableMemoryBlobStore({ maxBytes });
      return { store, tamper: async (id) => store.tamper(id), close: async () => undefined };
    },
  },
  {
    name: "LocalFolderBlobStore",
    deletes: true,
    async open(maxBytes) {
      const dir = await mkdtemp(path.join(tmpdir(), "blobs-"));
      const store = new LocalFolderBlobStore(dir, { maxBytes });
      return {
        store,
        tamper: (id) => tamperFile(store.pathOf(id)),
        close: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: "HttpBlobStore (server over LocalFolderBlobStore)",
    // The HTTP protocol has no delete route: uploaded ciphertext is removed by the server's owner.
    deletes: false,
    async open(maxBytes) {
      const dir = await mkdtemp(path.join(tmpdir(), "blobs-"));
      const local = new LocalFolderBlobStore(dir, { maxBytes });
      const server = await serveBlobStore(local, { port: 0, maxBytes });
      return {
        store: new HttpBlobStore(server.url, { maxBytes }),
        tamper: (id) => tamperFile(local.pathOf(id)),
        close: async () => {
          await server.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

async function withStore(backend: Backend, run: (harness: Harness) => Promise<void>): Promise<void> {
  const harness = await backend.open(LIMIT);
  try {
    await run(harness);
  } finally {
    await harness.close();
  }
}

for (const backend of backends) {
  describe(`BlobStore conformance: ${backend.name}`, () => {
    it("put returns the SHA-256 id, get returns the same bytes, has reports it", () =>
      withStore(backend, async ({ store }) => {
        const id = await store.put(bytesOf("abc"));
        assert.equal(id, ABC_ID);
        assert.deepEqual(await store.get(id), bytesOf("abc"));
        assert.equal(await store.has(id), true);
        assert.equal(await store.has(EMPTY_ID), false);
        const blob = randomBlob(10 * KiB);
        const other = await store.put(blob);
        assert.equal(other, blobIdOf(blob));
        assert.deepEqual(await store.get(other), blob);
      }));

    it("stores the empty blob", () =>
      withStore(backend, async ({ store }) => {
        assert.equal(await store.put(new Uint8Array(0)), EMPTY_ID);
        assert.deepEqual(await store.get(EMPTY_ID), new Uint8Array(0));
        assert.equal(await store.has(EMPTY_ID), true);
      }));

    it("put is idempotent", () =>
      withStore(backend, async ({ store }) => {
        const blob = randomBlob(3 * KiB);
        const first = await store.put(blob);
        const second = await store.put(blob);
        const third = await store.put(blob.slice());
        assert.equal(second, first);
        assert.equal(third, first);
        assert.deepEqual(await store.get(first), blob);
      }));

    it("a stored blob does not change when the caller reuses its buffers", () =>
      withStore(backend, async ({ store }) => {
        const blob = bytesOf("abc");
        const id = await store.put(blob);
        blob.fill(0);
        const read = await store.get(id);
        read.fill(0);
        assert.deepEqual(await store.get(id), bytesOf("abc"));
      }));

    it("NotFound for an absent blob; has is false", () =>
      withStore(backend, async ({ store }) => {
        const error = await rejectsWith(store.get(ABC_ID), "NotFound");
        assert.equal(error.blobId, ABC_ID);
        assert.equal(await store.has(ABC_ID), false);
      }));

    it("InvalidId for malformed ids, before touching storage", () =>
      withStore(backend, async ({ store }) => {
        for (const bad of BAD_IDS) {
          const id = bad as BlobId;
          await rejectsWith(store.get(id), "InvalidId");
          await rejectsWith(store.has(id), "InvalidId");
          if (store.delete) await rejectsWith(store.delete(id), "InvalidId");
        }
      }));

    it("TooLarge above the configured limit; exactly the limit is accepted", () =>
      withStore(backend, async ({ store }) => {
        const tooLarge = randomBlob(LIMIT + 1);
        await rejectsWith(store.put(tooLarge), "TooLarge");
        assert.equal(await store.has(blobIdOf(tooLarge)), false);
        const atLimit = randomBlob(LIMIT);
        const id = await store.put(atLimit);
        assert.deepEqual(await store.get(id), atLimit);
      }));

    it("Corrupt when stored content no longer matches its id; nothing wrong is returned", () =>
      withStore(backend, async ({ store, tamper }) => {
        const id = await store.put(bytesOf("abc"));
        await tamper(id);
        const error = await rejectsWith(store.get(id), "Corrupt");
        assert.equal(error.blobId, id);
      }));

    it(backend.deletes ? "delete removes a blob and is idempotent" : "offers no delete", () =>
      withStore(backend, async ({ store }) => {
        if (!backend.deletes) {
          assert.equal(store.delete, undefined);
          return;
        }
        assert.ok(store.delete);
        const id = await store.put(bytesOf("abc"));
        await store.delete(id);
        assert.equal(await store.has(id), false);
        await rejectsWith(store.get(id), "NotFound");
        await store.delete(id);
        assert.equal(await store.put(bytesOf("abc")), id);
      }),
    );

    it("50 concurrent puts of the same blob all succeed with one id", () =>
      withStore(backend, async ({ store }) => {
        const blob = randomBlob(32 * KiB);
        const ids = await Promise.all(Array.from({ length: 50 }, () => store.put(blob)));
        assert.deepEqual(new Set(ids), new Set([blobIdOf(blob)]));
        assert.deepEqual(await store.get(blobIdOf(blob)), blob);
      }));

    it("concurrent puts of different blobs", () =>
      withStore(backend, async ({ store }) => {
        const blobs = Array.from({ length: 20 }, (_, i) => randomBlob(1 + i * 500));
        const ids = await Promise.all(blobs.map((blob) => store.put(blob)));
        const read = await Promise.all(ids.map((id) => store.get(id)));
        assert.deepEqual(read, blobs);
      }));
  });
}

describe("blob ids", () => {
  it("blobIdOf is sha256: plus the lower-case hex digest", () => {
    assert.equal(blobIdOf(new Uint8Array(0)), EMPTY_ID);
    assert.equal(blobIdOf(bytesOf("abc")), ABC_ID);
    assert.equal(blobIdHex(ABC_ID), ABC_ID.slice("sha256:".length));
  });

  it("parseBlobId accepts exactly the canonical form", () => {
    assert.equal(parseBlobId(ABC_ID), ABC_ID);
    assert.equal(isBlobId(ABC_ID), true);
    for (const bad of [...BAD_IDS, 42, null, undefined]) assert.equal(isBlobId(bad), false);
  });

  it("parseBlobId says what is wrong", () => {
    const cases: [unknown, RegExp][] = [
      [ABC_ID.slice(7), /starts with "sha256:"/],
      [`sha256:${"a".repeat(63)}`, /expected 64 hex digits after "sha256:", got 63/],
      [ABC_ID.toUpperCase().replace("SHA256", "sha256"), /lower-case hex/],
      [7, /expected a string, got number/],
    ];
    for (const [input, details] of cases) {
      let error: unknown;
      try {
        parseBlobId(input);
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof BlobStoreError && error.code === "InvalidId", String(input));
      assert.match(error.message, /^InvalidId: not a blob id/);
      assert.match(error.details ?? "", details);
    }
  });

  it("the message quotes at most 80 characters of untrusted input", () => {
    assert.throws(
      () => parseBlobId(`x${"y".repeat(10_000)}`),
      (error: unknown) => error instanceof BlobStoreError && error.shortMessage.length < 150,
    );
  });

  it("BlobStoreError is a BaseError with a stable code", () => {
    const error = new BlobStoreError("Unavailable", "disk on fire", {
      cause: new Error("EIO"),
      blobId: ABC_ID,
    });
    assert.ok(error instanceof BaseError);
    assert.equal(error.name, "BlobStoreError");
    assert.equal(error.code, "Unavailable");
    assert.equal(error.shortMessage, "Unavailable: disk on fire");
    assert.equal(error.blobId, ABC_ID);
    assert.equal((error.cause as Error).message, "EIO");
  });

  it("size limits must be non-negative integers", () => {
    for (const maxBytes of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new MemoryBlobStore({ maxBytes }), RangeError);
      assert.throws(() => new LocalFolderBlobStore("unused", { maxBytes }), RangeError);
      assert.throws(() => new HttpBlobStore("http://127.0.0.1:1", { maxBytes }), RangeError);
    }
  });
});

describe("LocalFolderBlobStore", () => {
  it("stores each blob at <dir>/sha256/<first 2 hex>/<hex>", () =>
    withTempDir(async (dir) => {
      const store = new LocalFolderBlobStore(dir);
      const id = await store.put(bytesOf("abc"));
      const hex = blobIdHex(id);
      assert.equal(store.pathOf(id), path.join(dir, "sha256", "ba", hex));
      assert.deepEqual(await filesUnder(dir), [`sha256/ba/${hex}`]);
      assert.equal(await readFile(store.pathOf(id), "utf8"), "abc");
    }));

  it("leaves no temp files after sequential and concurrent puts", () =>
    withTempDir(async (dir) => {
      const store = new LocalFolderBlobStore(dir);
      const blobs = Array.from({ length: 30 }, (_, i) => randomBlob(100 + i));
      for (const blob of blobs.slice(0, 10)) await store.put(blob);
      await Promise.all(blobs.slice(10).map((blob) => store.put(blob)));
      const same = randomBlob(64 * KiB);
      await Promise.all(Array.from({ length: 50 }, () => store.put(same)));
      const files = await assertOnlyBlobFiles(dir);
      assert.equal(files.length, 31);
      assert.deepEqual(await readFile(store.pathOf(blobIdOf(same))), Buffer.from(same));
    }));

  it("a partial write left by a crash is never read as the blob", () =>
    withTempDir(async (dir) => {
      const store = new LocalFolderBlobStore(dir);
      const blob = randomBlob(4 * KiB);
      const id = blobIdOf(blob);
      // What a crash between write and rename leaves behind: a partial temp file next to the name.
      const folder = path.dirname(store.pathOf(id));
      await mkdir(folder, { recursive: true });
      await writeFile(path.join(folder, `.${blobIdHex(id)}.0123456789abcdef.tmp`), blob.subarray(0, 100));
      assert.equal(await store.has(id), false);
      await rejectsWith(store.get(id), "NotFound");
      assert.equal(await store.put(blob), id);
      assert.deepEqual(await store.get(id), blob);
    }));

  it("put repairs a damaged copy instead of trusting it", () =>
    withTempDir(async (dir) => {
      const store = new LocalFolderBlobStore(dir);
      const blob = randomBlob(2 * KiB);
      const id = await store.put(blob);
      await tamperFile(store.pathOf(id)); // same size, wrong bytes
      await rejectsWith(store.get(id), "Corrupt");
      await store.put(blob);
      assert.deepEqual(await store.get(id), blob);
      await writeFile(store.pathOf(id), blob.subarray(0, 10)); // truncated
      await rejectsWith(store.get(id), "Corrupt");
      await store.put(blob);
      assert.deepEqual(await store.get(id), blob);
      await assertOnlyBlobFiles(dir);
    }));

  it("get refuses a stored file above the limit without reading it", () =>
    withTempDir(async (dir) => {
      const blob = randomBlob(10 * KiB);
      const id = await new LocalFolderBlobStore(dir).put(blob);
      const small = new LocalFolderBlobStore(dir, { maxBytes: 1 * KiB });
      const error = await rejectsWith(small.get(id), "TooLarge");
      assert.match(error.message, /10240 bytes exceeds the limit of 1024/);
    }));

  it("Unavailable, with the cause, when the folder cannot be used", () =>
    withTempDir(async (dir) => {
      const notAFolder = path.join(dir, "file");
      await writeFile(notAFolder, "x");
      const store = new LocalFolderBlobStore(notAFolder);
      const error = await rejectsWith(store.put(bytesOf("abc")), "Unavailable");
      assert.equal((error.cause as NodeJS.ErrnoException).code, "ENOTDIR");
      await rejectsWith(store.get(ABC_ID), "Unavailable");
      await rejectsWith(store.has(ABC_ID), "Unavailable");
    }));
});

describe("HttpBlobStore and serveBlobStore", () => {
  /** Runs `run` against a server over a fresh local-folder store. */
  async function withServer(
    maxBytes: number,
    run: (server: { url: string; local: LocalFolderBlobStore }) => Promise<void>,
  ): Promise<void> {
    await withTempDir(async (dir) => {
      const local = new LocalFolderBlobStore(dir);
      const server = await serveBlobStore(local, { port: 0, maxBytes });
      try {
        await run({ url: server.url, local });
      } finally {
        await server.close();
      }
    });
  }

  it("round-trips a 20 MiB blob", () =>
    withServer(32 * MiB, async ({ url, local }) => {
      const client = new HttpBlobStore(url, { maxBytes: 32 * MiB });
      const blob = randomBlob(20 * MiB);
      const id = await client.put(blob);
      assert.equal(id, blobIdOf(blob));
      assert.equal(await local.has(id), true);
      const read = await client.get(id);
      assert.equal(read.length, blob.length);
      assert.ok(Buffer.from(read).equals(blob));
    }));

  it("the server refuses an upload over its limit (413 → TooLarge) and stores nothing", () =>
    withServer(1 * MiB, async ({ url, local }) => {
      const client = new HttpBlobStore(url); // no client-side limit: the server must enforce its own
      const blob = randomBlob(8 * MiB);
      const error = await rejectsWith(client.put(blob), "TooLarge");
      assert.match(error.message, /HTTP 413/);
      assert.match(error.details ?? "", /exceeds the limit of 1048576 bytes/);
      assert.equal(await local.has(blobIdOf(blob)), false);
      const fits = randomBlob(1 * MiB);
      assert.equal(await client.put(fits), blobIdOf(fits));
    }));

  it("the server answers 413 mid-stream to an upload without Content-Length", () =>
    withServer(1 * MiB, async ({ url }) => {
      // A chunked upload that would go on for 256 MiB: the answer must come long before the end,
      // which shows the server stops reading at the limit instead of buffering the body.
      const cap = 256 * MiB;
      const result = await new Promise<{ status: number | undefined; written: number }>((resolve, reject) => {
        const upload = request(`${url}/blobs/${ABC_ID}`, { method: "PUT" });
        const chunk = Buffer.alloc(64 * KiB, 1);
        let written = 0;
        let answered = false;
        upload.on("response", (response) => {
          answered = true;
          response.resume();
          resolve({ status: response.statusCode, written });
          upload.destroy();
        });
        upload.on("error", (error) => {
          if (!answered) reject(error);
        });
        const pump = (): void => {
          while (!answered && written < cap) {
            written += chunk.length;
            if (!upload.write(chunk)) {
              upload.once("drain", pump);
              return;
            }
          }
          if (!answered) upload.end();
        };
        pump();
      });
      assert.equal(result.status, 413);
      assert.ok(result.written < cap, `the server read all ${result.written} bytes before answering`);
    }));

  it("the client refuses an upload over its own limit without sending it", async () => {
    let calls = 0;
    const client = new HttpBlobStore("http://blobs.invalid", {
      maxBytes: 100,
      fetch: async () => {
        calls++;
        return new Response(null, { status: 204 });
      },
    });
    await rejectsWith(client.put(randomBlob(101)), "TooLarge");
    assert.equal(calls, 0);
  });

  it("the client refuses a download over its limit (declared or streamed)", async () => {
    await withServer(1 * MiB, async ({ url }) => {
      const blob = randomBlob(100 * KiB);
      const id = await new HttpBlobStore(url).put(blob);
      await rejectsWith(new HttpBlobStore(url, { maxBytes: 10 * KiB }).get(id), "TooLarge");
    });
    // A server that streams without Content-Length, forever: the client must stop at its limit.
    let pulled = 0;
    let cancelled = false;
    const endless = new HttpBlobStore("http://blobs.invalid", {
      maxBytes: 10 * KiB,
      fetch: async () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              pulled += KiB;
              controller.enqueue(new Uint8Array(KiB));
            },
            cancel() {
              cancelled = true;
            },
          }),
        ),
    });
    await rejectsWith(endless.get(ABC_ID), "TooLarge");
    assert.ok(cancelled, "the download was not cancelled");
    assert.ok(pulled <= 32 * KiB, `read ${pulled} bytes of an endless body`);
  });

  it("the server rejects an upload whose bytes do not hash to the id (422)", () =>
    withServer(1 * MiB, async ({ url, local }) => {
      const response = await fetch(`${url}/blobs/${ABC_ID}`, { method: "PUT", body: bytesOf("abd") });
      assert.equal(response.status, 422);
      assert.match(await response.text(), /content hashes to sha256:[0-9a-f]{64}, not sha256:ba78/);
      assert.equal(await local.has(ABC_ID), false);
      assert.equal(await local.has(blobIdOf(bytesOf("abd"))), false);
    }));

  it("routes: unknown path 404, malformed id 400, other method 405, encoded ':' accepted", () =>
    withServer(1 * MiB, async ({ url, local }) => {
      const id = await local.put(bytesOf("abc"));
      const status = async (pathname: string, method = "GET") =>
        (await fetch(`${url}${pathname}`, { method })).status;
      for (const unknown of ["/", "/blobs", "/blobs/", `/blobs/${id}/x`, `/blob/${id}`, `/other/${id}`]) {
        assert.equal(await status(unknown), 404, unknown);
      }
      for (const bad of [
        "/blobs/notanid",
        `/blobs/${id.toUpperCase()}`,
        `/blobs/${id.slice(0, -1)}`,
        "/blobs/%E0%A4%A",
      ]) {
        assert.equal(await status(bad), 400, bad);
        assert.equal(await status(bad, "PUT"), 400, bad);
      }
      assert.equal(await status(`/blobs/${id}`, "POST"), 405);
      assert.equal(await status(`/blobs/${id}`, "DELETE"), 405);
      assert.equal(await status(`/blobs/${id.replace(":", "%3A")}`), 200);
      assert.equal(await status(`/blobs/${id}?download=1`), 200);
      assert.equal(await status(`/blobs/${id}`, "HEAD"), 200);
      assert.equal(await status(`/blobs/${EMPTY_ID}`, "HEAD"), 404);
      const response = await fetch(`${url}/blobs/${id}`);
      assert.equal(response.headers.get("content-type"), "application/octet-stream");
      assert.match(response.headers.get("cache-control") ?? "", /immutable/);
      assert.equal(await response.text(), "abc");
    }));

  it("the client re-verifies downloads: a lying store behind the server gives Corrupt", async () => {
    // A store double that ignores the contract and returns other bytes than were asked for.
    const liar: BlobStore = {
      put: async (bytes) => blobIdOf(bytes),
      get: async () => bytesOf("not what you asked for"),
      has: async () => true,
    };
    const server = await serveBlobStore(liar, { port: 0, maxBytes: MiB });
    try {
      const client = new HttpBlobStore(server.url);
      const error = await rejectsWith(client.get(ABC_ID), "Corrupt");
      assert.match(error.details ?? "", /hash to sha256:/);
    } finally {
      await server.close();
    }
  });

  it("storage failures behind the server surface as Unavailable without leaking paths", () =>
    withTempDir(async (dir) => {
      const notAFolder = path.join(dir, "file");
      await writeFile(notAFolder, "x");
      const server = await serveBlobStore(new LocalFolderBlobStore(notAFolder), { port: 0, maxBytes: MiB });
      try {
        const client = new HttpBlobStore(server.url);
        const error = await rejectsWith(client.put(bytesOf("abc")), "Unavailable");
        assert.match(error.message, /HTTP 503/);
        assert.ok(!error.message.includes(dir), error.message);
        await rejectsWith(client.get(ABC_ID), "Unavailable");
        await rejectsWith(client.has(ABC_ID), "Unavailable");
      } finally {
        await server.close();
      }
    }));

  it("a server that is down gives Unavailable with the cause", async () => {
    const server = await serveBlobStore(new MemoryBlobStore(), { port: 0, maxBytes: MiB });
    await server.close();
    const client = new HttpBlobStore(server.url);
    for (const attempt of [
      () => client.put(bytesOf("abc")),
      () => client.get(ABC_ID),
      () => client.has(ABC_ID),
    ]) {
      const error = await rejectsWith(attempt(), "Unavailable");
      assert.ok(error.cause instanceof Error);
    }
  });

  it("maps status codes to error codes, with the server's message as details", async () => {
    const cases: [number, BlobStoreErrorCode][] = [
      [400, "InvalidId"],
      [404, "NotFound"],
      [413, "TooLarge"],
      [422, "Corrupt"],
      [401, "Unavailable"],
      [500, "Unavailable"],
      [503, "Unavailable"],
    ];
    for (const [status, code] of cases) {
      const client = new HttpBlobStore("http://blobs.invalid", {
        fetch: async () => new Response("server says no", { status }),
      });
      const error = await rejectsWith(client.get(ABC_ID), code);
      assert.match(error.message, new RegExp(`HTTP ${status}`));
      assert.equal(error.details, "server says no");
      await rejectsWith(client.put(bytesOf("abc")), code);
      if (status === 404) assert.equal(await client.has(ABC_ID), false);
      else await rejectsWith(client.has(ABC_ID), code);
    }
  });

  it("builds URLs under the base URL, path prefix included", async () => {
    const seen: string[] = [];
    const client = new HttpBlobStore("https://example.org/store/", {
      fetch: async (input, init) => {
        seen.push(`${init?.method} ${String(input)}`);
        return new Response(init?.method === "GET" ? "abc" : null, {
          status: init?.method === "PUT" ? 204 : 200,
        });
      },
    });
    assert.equal(client.baseUrl, "https://example.org/store");
    await client.put(bytesOf("abc"));
    assert.deepEqual(await client.get(ABC_ID), bytesOf("abc"));
    assert.equal(await client.has(ABC_ID), true);
    assert.deepEqual(seen, [
      `PUT https://example.org/store/blobs/${ABC_ID}`,
      `GET https://example.org/store/blobs/${ABC_ID}`,
      `HEAD https://example.org/store/blobs/${ABC_ID}`,
    ]);
    assert.throws(() => new HttpBlobStore("file:///tmp/blobs"), TypeError);
  });

  it("serveBlobStore requires a size limit", async () => {
    await assert.rejects(
      serveBlobStore(new MemoryBlobStore(), { port: 0 } as unknown as Parameters<typeof serveBlobStore>[1]),
      TypeError,
    );
  });
});
