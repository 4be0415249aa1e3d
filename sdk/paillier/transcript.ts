// Fiat–Shamir transcripts and commitments: SHA-256 over an unambiguous encoding.
//
// Encoding: the domain-separation tag as u32 length ‖ UTF-8 bytes, then each item as a type byte
// and its body: 0x01 integer → u32 big-endian length ‖ big-endian magnitude bytes (minimal, none
// for 0); 0x02 index → its u32; 0x03 bytes → u32 length ‖ bytes. Lengths make the concatenation injective, so two different
// statements never hash the same input.
import { sha256 } from "@noble/hashes/sha2.js";
import { bigIntToBytes, bytesToBigInt } from "./bigint.ts";

const TEXT = new TextEncoder();

function u32(x: number): Uint8Array {
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new RangeError("transcript: u32 out of range");
  return new Uint8Array([x >>> 24, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff]);
}

/** An incremental SHA-256 transcript with a domain-separation tag. */
export class Transcript {
  readonly #hash = sha256.create();

  constructor(tag: string) {
    const bytes = TEXT.encode(tag);
    this.#hash.update(u32(bytes.length));
    this.#hash.update(bytes);
  }

  /** Appends a non-negative integer. */
  integer(x: bigint): this {
    if (x < 0n) throw new RangeError("transcript: negative integer");
    const bytes = x === 0n ? new Uint8Array(0) : bigIntToBytes(x);
    this.#hash.update(new Uint8Array([0x01]));
    this.#hash.update(u32(bytes.length));
    this.#hash.update(bytes);
    return this;
  }

  /** Appends many non-negative integers. */
  integers(xs: readonly bigint[]): this {
    this.index(xs.length);
    for (const x of xs) this.integer(x);
    return this;
  }

  /** Appends a byte string (e.g. an earlier digest). */
  bytes(b: Uint8Array): this {
    this.#hash.update(new Uint8Array([0x03]));
    this.#hash.update(u32(b.length));
    this.#hash.update(b);
    return this;
  }

  /** Appends a small non-negative integer (a party index, a count). */
  index(i: number): this {
    this.#hash.update(new Uint8Array([0x02]));
    this.#hash.update(u32(i));
    return this;
  }

  /** The 32-byte digest (ends the transcript). */
  digest(): Uint8Array {
    return this.#hash.digest();
  }

  /** The digest as a 256-bit integer. */
  digestInteger(): bigint {
    return bytesToBigInt(this.digest());
  }
}
