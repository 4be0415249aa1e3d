// The default blob store: one file per blob under a local folder (Node only).
//
// Layout: <dir>/sha256/<first 2 hex digits>/<64 hex digits>. The two-digit shard keeps any one
// folder at ~1/256 of the blobs, which file systems and `ls` handle far better than one flat folder.
import { randomBytes } from "node:crypto";
import { type FileHandle, mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import {
  type BlobId,
  type BlobStore,
  BlobStoreError,
  blobIdHex,
  blobIdOf,
  checkBlobSize,
  validateMaxBytes,
  verifyBlob,
} from "./blobStore.ts";

/** Options of {@link LocalFolderBlobStore}. */
export type LocalFolderBlobStoreOptions = {
  /** Largest blob accepted by `put` and returned by `get`, in bytes (no limit when omitted). */
  maxBytes?: number | undefined;
};

/** Suffix of in-flight writes; never a valid blob file name, so a leftover is never read as a blob. */
const TEMP_SUFFIX = ".tmp";

/**
 * A {@link BlobStore} in a local folder (created on first write).
 *
 * Writes are atomic: bytes go to a uniquely named temp file in the blob's own folder, are fsynced,
 * then renamed onto the final name. A crash therefore leaves either no blob or the whole blob under
 * its final name (at worst a stray `.tmp` file), and concurrent puts of the same content each
 * rename identical bytes onto the same name, which is harmless.
 *
 * @example
 * const store = new LocalFolderBlobStore("./data/blobs", { maxBytes: 1 << 30 });
 * const id = await store.put(ciphertext);
 */
export class LocalFolderBlobStore implements BlobStore {
  /** Absolute path of the store's root folder. */
  readonly dir: string;
  readonly #maxBytes: number | undefined;

  constructor(dir: string, options: LocalFolderBlobStoreOptions = {}) {
    this.dir = path.resolve(dir);
    this.#maxBytes = validateMaxBytes(options.maxBytes);
  }

  /**
   * Where blob `id` is (or would be) stored.
   *
   * @throws {BlobStoreError} `InvalidId`.
   */
  pathOf(id: BlobId): string {
    const hex = blobIdHex(id);
    return path.join(this.dir, "sha256", hex.slice(0, 2), hex);
  }

  /** {@inheritDoc BlobStore.put} */
  async put(bytes: Uint8Array): Promise<BlobId> {
    checkBlobSize(bytes.length, this.#maxBytes);
    const id = blobIdOf(bytes);
    const file = this.pathOf(id);
    // Idempotent without rewriting: an intact copy is already there. A damaged copy (wrong size or
    // bytes) is replaced, so re-uploading repairs a store.
    if (await this.#holdsIntact(file, bytes, id)) return id;
    await this.#writeAtomically(file, bytes, id);
    return id;
  }

  /** {@inheritDoc BlobStore.get} */
  async get(id: BlobId): Promise<Uint8Array> {
    const file = this.pathOf(id);
    let handle: FileHandle;
    try {
      handle = await open(file, "r");
    } catch (error) {
      if (errnoOf(error) === "ENOENT") throw new BlobStoreError("NotFound", `no blob ${id}`, { blobId: id });
      throw unavailable(`cannot open ${file}`, id, error);
    }
    let bytes: Uint8Array;
    try {
      // Check the size before reading so an oversized file is never loaded into memory.
      const { size } = await handle.stat();
      checkBlobSize(size, this.#maxBytes, id);
      const buffer = await handle.readFile();
      // A plain Uint8Array view (not a Buffer), like every other store returns.
      bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      if (error instanceof BlobStoreError) throw error;
      throw unavailable(`cannot read ${file}`, id, error);
    } finally {
      await handle.close().catch(() => undefined);
    }
    verifyBlob(id, bytes);
    return bytes;
  }

  /** {@inheritDoc BlobStore.has} */
  async has(id: BlobId): Promise<boolean> {
    const file = this.pathOf(id);
    try {
      return (await stat(file)).isFile();
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return false;
      throw unavailable(`cannot stat ${file}`, id, error);
    }
  }

  /** {@inheritDoc BlobStore.delete} */
  async delete(id: BlobId): Promise<void> {
    const file = this.pathOf(id);
    try {
      await rm(file, { force: true });
    } catch (error) {
      throw unavailable(`cannot delete ${file}`, id, error);
    }
  }

  /** Whether `file` exists and holds exactly `bytes` (which are known to hash to `id`). */
  async #holdsIntact(file: string, bytes: Uint8Array, id: BlobId): Promise<boolean> {
    let handle: FileHandle;
    try {
      handle = await open(file, "r");
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return false;
      throw unavailable(`cannot open ${file}`, id, error);
    }
    try {
      if ((await handle.stat()).size !== bytes.length) return false;
      // Comparing with the new bytes is as strong as re-hashing (they hash to `id`) and cheaper.
      return (await handle.readFile()).equals(bytes);
    } catch (error) {
      throw unavailable(`cannot read ${file}`, id, error);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  async #writeAtomically(file: string, bytes: Uint8Array, id: BlobId): Promise<void> {
    const folder = path.dirname(file);
    // Same folder as the target, so the rename stays on one file system and is atomic. The random
    // part keeps concurrent writers of the same blob (in this or another process) apart.
    const temp = path.join(folder, `.${path.basename(file)}.${randomBytes(8).toString("hex")}${TEMP_SUFFIX}`);
    let handle: FileHandle | undefined;
    try {
      await mkdir(folder, { recursive: true });
      handle = await open(temp, "wx", 0o644);
      await handle.writeFile(bytes);
      // Data on disk before the name points at it; otherwise a crash could leave an empty or
      // partial file under the final name on file systems that reorder metadata and data.
      await handle.sync();
      await handle.close();
      handle = undefined;
      await rename(temp, file);
    } catch (error) {
      await handle?.close().catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      throw unavailable(`cannot write ${file}`, id, error);
    }
    await syncFolder(folder);
  }
}

/**
 * Makes a rename durable by fsyncing its folder. Best effort: some platforms (Windows) and file
 * systems cannot open or sync a folder, and the blob is already complete and atomic either way.
 */
async function syncFolder(folder: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(folder, "r");
    await handle.sync();
  } catch {
    // Durability of the directory entry only; see above.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function errnoOf(error: unknown): string | undefined {
  return error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : undefined;
}

function unavailable(message: string, id: BlobId, cause: unknown): BlobStoreError {
  const details = cause instanceof Error ? cause.message : String(cause);
  return new BlobStoreError("Unavailable", message, { blobId: id, details, cause });
}
