// Raw-data commitments (docs/RAW_DATA.md): what a buyer commits to before posting a job, computed
// from its rows of text and label alone, with hashing only (no base model, no field arithmetic), so
// a browser does it for 10,000 rows in milliseconds. The enclave recomputes the same commitment from
// the rows it decrypts before it featurizes them, and can prove a single row's membership (a Merkle
// path) when it names a faulty row.
//
//   leaf(row)   = SHA-256(0x00 ‖ u32be(label) ‖ u32be(len) ‖ utf8(text))
//   node(l, r)  = SHA-256(0x01 ‖ l ‖ r)          (an odd last node is carried up unchanged)
//   commitment  = SHA-256(utf8(RAW_DATA_DOMAIN) ‖ salt ‖ u64be(rowCount) ‖ root) mod r
//
// r is BN254's scalar field order: the market takes every commitment of the terms as a field element
// (a training verifier may use any of them as a public input), and reducing a SHA-256 digest mod r
// costs under 2 bits of its 256.
// The salt (32 random bytes, sent to the enclave with the data) makes two jobs over the same rows
// unlinkable; the row count in the commitment makes carrying an odd node up unambiguous.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, type Hex, hexToBytes, isHex, toHex } from "viem";
import { BaseError } from "./errors.ts";
import { FIELD_MODULUS } from "./training/fixedPoint.ts";

/** Domain of the commitment hash: a different protocol version never collides with this one. */
export const RAW_DATA_DOMAIN = "blind-training/raw-rows/v1";
/** Largest UTF-8 size of one row's text (a row longer than any context is an error early). */
export const MAX_RAW_TEXT_BYTES = 1 << 16;
/** Most rows one commitment covers. */
export const MAX_RAW_ROWS = 1 << 24;
/** Largest label (labels are class indices; the job spec bounds them further). */
export const MAX_RAW_LABEL = 0xffff_ffff;

const LEAF_TAG = 0x00;
const NODE_TAG = 0x01;
const encoder = new TextEncoder();
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** One row of the buyer's data: a text and its class label. */
export type RawRow = { text: string; label: number };

/** A raw-data commitment with what the buyer keeps (and sends to the enclave) to open it. */
export type RawDataCommitment = {
  /** The value posted in the job terms. */
  commitment: Hex;
  /** Merkle root over the row leaves. */
  root: Hex;
  rowCount: number;
  /** 32 random bytes; secret until the data is delivered to the attested enclave. */
  salt: Hex;
};

/** A membership proof of one row: its index and the sibling hashes from the leaf up. */
export type RawRowProof = { index: number; siblings: Hex[] };

/** Rows or a salt that cannot be committed to, or a commitment that does not open. */
export class RawDataError extends BaseError {
  override name = "RawDataError";
}

/** The leaf hash of `row` (row `index`, for error messages). */
export function rawRowLeaf(row: RawRow, index = 0): Uint8Array {
  if (row === null || typeof row !== "object") {
    throw new RawDataError(`row ${index} is not an object`, {
      details: `got ${row === null ? "null" : typeof row}`,
    });
  }
  const { text, label } = row;
  if (typeof text !== "string") {
    throw new RawDataError(`row ${index}: text must be a string`, { details: `got ${typeof text}` });
  }
  if (!Number.isInteger(label) || label < 0 || label > MAX_RAW_LABEL) {
    throw new RawDataError(`row ${index}: label must be an integer in [0, ${MAX_RAW_LABEL}]`, {
      details: `got ${String(label)}`,
    });
  }
  // A lone surrogate has no UTF-8 encoding: TextEncoder would replace it with U+FFFD, and the
  // enclave would then hash other bytes than the text the buyer meant.
  if (LONE_SURROGATE.test(text)) {
    throw new RawDataError(`row ${index}: text is not well-formed Unicode (a lone surrogate)`);
  }
  const bytes = encoder.encode(text);
  if (bytes.length > MAX_RAW_TEXT_BYTES) {
    throw new RawDataError(`row ${index}: text is ${bytes.length} bytes, over ${MAX_RAW_TEXT_BYTES}`);
  }
  const input = new Uint8Array(9 + bytes.length);
  const view = new DataView(input.buffer);
  input[0] = LEAF_TAG;
  view.setUint32(1, label);
  view.setUint32(5, bytes.length);
  input.set(bytes, 9);
  return sha256(input);
}

function node(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(65);
  input[0] = NODE_TAG;
  input.set(left, 1);
  input.set(right, 33);
  return sha256(input);
}

/** The next level up: pairs hashed, an odd last node carried up. */
function parentLevel(level: Uint8Array[]): Uint8Array[] {
  const up: Uint8Array[] = [];
  for (let i = 0; i + 1 < level.length; i += 2)
    up.push(node(level[i] as Uint8Array, level[i + 1] as Uint8Array));
  if (level.length % 2 === 1) up.push(level[level.length - 1] as Uint8Array);
  return up;
}

function checkRows(rows: readonly RawRow[]): void {
  if (!Array.isArray(rows)) throw new RawDataError("rows must be an array");
  if (rows.length === 0) throw new RawDataError("no rows: a commitment covers at least one row");
  if (rows.length > MAX_RAW_ROWS) throw new RawDataError(`${rows.length} rows, over ${MAX_RAW_ROWS}`);
}

/** The Merkle root over the leaves of `rows`. */
export function rawRowsRoot(rows: readonly RawRow[]): Hex {
  checkRows(rows);
  let level = rows.map((row, i) => rawRowLeaf(row, i));
  while (level.length > 1) level = parentLevel(level);
  return bytesToHex(level[0] as Uint8Array);
}

function saltBytes(salt: Hex): Uint8Array {
  if (!isHex(salt, { strict: true }) || salt.length !== 66) {
    throw new RawDataError("salt must be 32 bytes of hex (0x + 64 digits)", {
      details: `got ${String(salt)}`,
    });
  }
  return hexToBytes(salt);
}

/** The commitment of a root over `rowCount` rows under `salt`. */
export function rawCommitmentOf(root: Hex, rowCount: number, salt: Hex): Hex {
  if (!Number.isInteger(rowCount) || rowCount < 1 || rowCount > MAX_RAW_ROWS) {
    throw new RawDataError(`row count must be an integer in [1, ${MAX_RAW_ROWS}]`, {
      details: `got ${rowCount}`,
    });
  }
  const domain = encoder.encode(RAW_DATA_DOMAIN);
  const input = new Uint8Array(domain.length + 32 + 8 + 32);
  input.set(domain, 0);
  input.set(saltBytes(salt), domain.length);
  new DataView(input.buffer).setBigUint64(domain.length + 32, BigInt(rowCount));
  input.set(hexToBytes(root), domain.length + 40);
  return toHex(BigInt(bytesToHex(sha256(input))) % FIELD_MODULUS, { size: 32 });
}

/** A fresh 32-byte salt from the platform's CSPRNG (WebCrypto in browsers and Node). */
export function randomRawDataSalt(): Hex {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * Commits to `rows` under `salt` (a fresh random one when omitted).
 *
 * @example
 * const { commitment, salt } = commitRawData([{ text: "book a table for two", label: 3 }]);
 */
export function commitRawData(rows: readonly RawRow[], salt: Hex = randomRawDataSalt()): RawDataCommitment {
  const root = rawRowsRoot(rows);
  return { commitment: rawCommitmentOf(root, rows.length, salt), root, rowCount: rows.length, salt };
}

/**
 * Throws {@link RawDataError} unless `rows` under `salt` open `commitment`. What the enclave runs on
 * the rows it decrypted, before using any of them.
 */
export function verifyRawData(rows: readonly RawRow[], salt: Hex, commitment: Hex): void {
  const opened = rawCommitmentOf(rawRowsRoot(rows), rows.length, salt);
  if (opened.toLowerCase() !== commitment.toLowerCase()) {
    throw new RawDataError("the rows do not open the raw-data commitment", {
      details: `committed ${commitment}, the ${rows.length} rows and salt give ${opened}`,
    });
  }
}

/** The membership proof of row `index` of `rows`. */
export function rawRowProof(rows: readonly RawRow[], index: number): RawRowProof {
  checkRows(rows);
  if (!Number.isInteger(index) || index < 0 || index >= rows.length) {
    throw new RawDataError(`row index ${index} out of range [0, ${rows.length})`);
  }
  const siblings: Hex[] = [];
  let level = rows.map((row, i) => rawRowLeaf(row, i));
  let i = index;
  while (level.length > 1) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    // An odd last node has no sibling at this level: it is carried up, and the path says nothing.
    if (sibling < level.length) siblings.push(bytesToHex(level[sibling] as Uint8Array));
    level = parentLevel(level);
    i = Math.floor(i / 2);
  }
  return { index, siblings };
}

/**
 * Whether `row` is row `proof.index` of the `rowCount` rows under `root`. The shape of a path
 * depends on the row count, which the commitment binds: take both from the opened commitment.
 */
export function verifyRawRowProof(
  row: RawRow,
  proof: RawRowProof,
  opening: Pick<RawDataCommitment, "root" | "rowCount">,
): boolean {
  const { index, siblings } = proof;
  const { root, rowCount } = opening;
  if (
    !Number.isInteger(rowCount) ||
    rowCount < 1 ||
    !Number.isInteger(index) ||
    index < 0 ||
    index >= rowCount
  ) {
    return false;
  }
  let hash = rawRowLeaf(row, index);
  let i = index;
  let width = rowCount;
  let used = 0;
  while (width > 1) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    if (sibling < width) {
      const s = siblings[used++];
      if (s === undefined || !isHex(s, { strict: true }) || s.length !== 66) return false;
      hash = i % 2 === 0 ? node(hash, hexToBytes(s)) : node(hexToBytes(s), hash);
    }
    i = Math.floor(i / 2);
    width = Math.ceil(width / 2);
  }
  return used === siblings.length && bytesToHex(hash) === root.toLowerCase();
}
