import { AttestationError } from "./errors.ts";

export { bytesToHex as toHex, concatBytes, hexToBytes } from "@noble/hashes/utils.js";

/**
 * A bounds-checked little-endian reader over evidence bytes. Every read names the field it reads,
 * so a truncated quote fails with `Truncated: <field>` instead of an out-of-range access.
 */
export class ByteReader {
  #offset: number;
  readonly bytes: Uint8Array;
  /** Exclusive end of the readable region (defaults to the end of `bytes`). */
  readonly end: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    this.bytes = bytes;
    this.#offset = offset;
    this.end = end;
  }

  /** Current position. */
  get offset(): number {
    return this.#offset;
  }

  /** Bytes left before {@link end}. */
  get remaining(): number {
    return this.end - this.#offset;
  }

  /** Reads `length` bytes (a view, not a copy). */
  take(length: number, field: string): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0 || length > this.remaining) {
      throw new AttestationError("Truncated", `${field} needs ${length} bytes at offset ${this.#offset}`, {
        details: `only ${this.remaining} bytes remain`,
      });
    }
    const out = this.bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }

  u8(field: string): number {
    return this.take(1, field)[0] as number;
  }

  u16(field: string): number {
    const b = this.take(2, field);
    return (b[0] as number) | ((b[1] as number) << 8);
  }

  u32(field: string): number {
    const b = this.take(4, field);
    return (
      ((b[0] as number) | ((b[1] as number) << 8) | ((b[2] as number) << 16) | ((b[3] as number) << 24)) >>> 0
    );
  }

  u64(field: string): bigint {
    return readU64LE(this.take(8, field));
  }

  /** A reader over the next `length` bytes, advancing this one past them. */
  sub(length: number, field: string): ByteReader {
    const start = this.#offset;
    this.take(length, field);
    return new ByteReader(this.bytes, start, start + length);
  }
}

/** Little-endian unsigned integer of up to 8 bytes. */
export function readU64LE(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
  return v;
}

/** Big-endian unsigned integer of any length. */
export function bytesToBigIntBE(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

/** `value` as `length` big-endian bytes. */
export function bigIntToBytesBE(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new RangeError(`value does not fit in ${length} bytes`);
  return out;
}

/** Constant-shape byte equality (lengths must match). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Whether every byte is zero. */
export function isAllZero(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}
