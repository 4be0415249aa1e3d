// Modular arithmetic and randomness on native BigInt, for the Paillier and threshold code.
// Browser-safe: randomness comes from WebCrypto's getRandomValues (globalThis.crypto, present in
// Node ≥ 19 and every browser). Nothing here is constant-time: V8's BigInt operations take time
// that depends on the operands, so the secret-dependent paths (dealer, decryption shares) must run
// where timing is not observable at fine grain (the enclave, a committee member's own machine).
import { PaillierError, PaillierErrorCode } from "./errors.ts";

/** x mod m in [0, m) for m > 0 (BigInt `%` keeps the sign of x). */
export function mod(x: bigint, m: bigint): bigint {
  const r = x % m;
  return r < 0n ? r + m : r;
}

/** Number of bits of |x| (0 for 0). */
export function bitLength(x: bigint): number {
  const a = x < 0n ? -x : x;
  if (a === 0n) return 0;
  const hex = a.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(Number.parseInt(hex[0] ?? "0", 16)));
}

/** Number of bytes of the big-endian encoding of x ≥ 0 (0 for 0). */
export function byteLength(x: bigint): number {
  return Math.ceil(bitLength(x) / 8);
}

/** Greatest common divisor of |a| and |b| (Euclid). */
export function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) {
    const r = x % y;
    x = y;
    y = r;
  }
  return x;
}

/**
 * a⁻¹ mod m by the extended Euclidean algorithm. Throws `NotInvertible` when gcd(a, m) ≠ 1 — for a
 * Paillier modulus that would mean a factor of n was found, so callers treat it as invalid input.
 */
export function modInverse(a: bigint, m: bigint): bigint {
  if (m < 1n) throw new RangeError("modInverse: modulus must be positive");
  let r0 = m;
  let r1 = mod(a, m);
  let s0 = 0n;
  let s1 = 1n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    const r2 = r0 - q * r1;
    r0 = r1;
    r1 = r2;
    const s2 = s0 - q * s1;
    s0 = s1;
    s1 = s2;
  }
  if (r0 !== 1n) throw new PaillierError(PaillierErrorCode.NotInvertible, "element is not invertible");
  return mod(s0, m);
}

/**
 * Inverses of many elements with one modular inversion (Montgomery's trick): prefix products
 * x₁, x₁x₂, …, invert the last, then walk back. Costs 3(k−1) multiplications + 1 inversion
 * instead of k inversions. Throws `NotInvertible` if any element is not invertible.
 */
export function batchModInverse(values: readonly bigint[], m: bigint): bigint[] {
  const k = values.length;
  if (k === 0) return [];
  const prefix: bigint[] = new Array(k);
  let acc = 1n;
  for (let i = 0; i < k; i++) {
    acc = (acc * mod(values[i] as bigint, m)) % m;
    prefix[i] = acc;
  }
  let inv = modInverse(acc, m);
  const out: bigint[] = new Array(k);
  for (let i = k - 1; i > 0; i--) {
    out[i] = (inv * (prefix[i - 1] as bigint)) % m;
    inv = (inv * mod(values[i] as bigint, m)) % m;
  }
  out[0] = inv;
  return out;
}

/**
 * Window width of the sliding-window exponentiation for an exponent of `bits` bits. Minimizes
 * 2^(w−1) precomputed odd powers + ≈ bits/(w+1) window multiplications (the squarings, one per
 * exponent bit, do not depend on w). Thresholds as in the classic analysis (Menezes, van Oorschot,
 * Vanstone, Handbook of Applied Cryptography, §14.6.1).
 */
function windowBits(bits: number): number {
  if (bits <= 8) return 1;
  if (bits <= 24) return 2;
  if (bits <= 80) return 3;
  if (bits <= 240) return 4;
  if (bits <= 672) return 5;
  if (bits <= 1792) return 6;
  return 7;
}

/**
 * base^exponent mod modulus, left-to-right sliding-window exponentiation: precompute the odd
 * powers b, b³, …, b^(2^w − 1); scan the exponent from its top bit, squaring once per bit and
 * multiplying once per window (a run of ≤ w bits that starts and ends with 1). A 4096-bit exponent
 * costs ≈ 4096 squarings + ≈ 580 multiplications instead of ≈ 2048 with plain square-and-multiply.
 * A negative exponent uses the inverse of the base.
 */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  if (modulus < 1n) throw new RangeError("modPow: modulus must be positive");
  if (modulus === 1n) return 0n;
  let b = mod(base, modulus);
  let e = exponent;
  if (e < 0n) {
    b = modInverse(b, modulus);
    e = -e;
  }
  if (e === 0n) return 1n;
  if (b === 0n || b === 1n) return b;
  const bits = e.toString(2);
  const w = windowBits(bits.length);
  if (w === 1) {
    let result = b;
    for (let i = 1; i < bits.length; i++) {
      result = (result * result) % modulus;
      if (bits.charCodeAt(i) === 49) result = (result * b) % modulus;
    }
    return result;
  }
  // odd[k] = b^(2k+1)
  const odd: bigint[] = new Array(1 << (w - 1));
  odd[0] = b;
  const b2 = (b * b) % modulus;
  for (let k = 1; k < odd.length; k++) odd[k] = ((odd[k - 1] as bigint) * b2) % modulus;
  let result = 1n;
  let started = false;
  let i = 0;
  const n = bits.length;
  while (i < n) {
    if (bits.charCodeAt(i) === 48) {
      result = (result * result) % modulus;
      i++;
      continue;
    }
    let j = Math.min(i + w, n) - 1;
    while (bits.charCodeAt(j) === 48) j--;
    let value = 0;
    for (let k = i; k <= j; k++) {
      value = (value << 1) | (bits.charCodeAt(k) - 48);
      if (started) result = (result * result) % modulus;
    }
    const power = odd[value >> 1] as bigint;
    result = started ? (result * power) % modulus : power;
    started = true;
    i = j + 1;
  }
  return result;
}

/**
 * 2^exponent mod modulus for odd modulus > 2: square-and-multiply where "multiply by the base" is
 * a doubling (shift + one conditional subtraction), so a k-bit exponent costs k squarings and no
 * multiplications. Used by the base-2 strong-probable-prime filter of the safe-prime search.
 */
export function modPowOfTwo(exponent: bigint, modulus: bigint): bigint {
  if (exponent < 0n) throw new RangeError("modPowOfTwo: exponent must be non-negative");
  if (modulus === 1n) return 0n;
  if (exponent === 0n) return 1n;
  const bits = exponent.toString(2);
  let result = 2n % modulus;
  for (let i = 1; i < bits.length; i++) {
    result = (result * result) % modulus;
    if (bits.charCodeAt(i) === 49) {
      result <<= 1n;
      if (result >= modulus) result -= modulus;
    }
  }
  return result;
}

/**
 * Precomputed Chinese remaindering for two coprime moduli (Garner's formula):
 * x ≡ a (mod m1), x ≡ b (mod m2) ⇒ x = b + m2 · ((a − b) · m2⁻¹ mod m1), in [0, m1·m2).
 */
export type CrtContext = {
  readonly m1: bigint;
  readonly m2: bigint;
  /** m2⁻¹ mod m1. */
  readonly m2InverseModM1: bigint;
  readonly modulus: bigint;
};

/** Builds a {@link CrtContext} for coprime m1, m2. */
export function crtContext(m1: bigint, m2: bigint): CrtContext {
  return { m1, m2, m2InverseModM1: modInverse(m2, m1), modulus: m1 * m2 };
}

/** The unique x in [0, m1·m2) with x ≡ a (mod m1) and x ≡ b (mod m2). */
export function crtCombine(ctx: CrtContext, a: bigint, b: bigint): bigint {
  return b + ctx.m2 * mod((a - b) * ctx.m2InverseModM1, ctx.m1);
}

/**
 * base^exponent mod (m1·m2) computed as two half-size exponentiations and a CRT combination,
 * with each exponent reduced modulo the order of the unit group mod m1 (resp. m2), `order1` and
 * `order2` (φ(p²) = p(p−1) for a prime square). Only someone who knows the factorization can do this
 * — the dealer. The base must be a unit modulo both; a 4096-bit modulus then costs ≈ 1/3 of modPow.
 */
export function modPowCrt(
  base: bigint,
  exponent: bigint,
  ctx: CrtContext,
  order1: bigint,
  order2: bigint,
): bigint {
  const r1 = modPow(base % ctx.m1, mod(exponent, order1), ctx.m1);
  const r2 = modPow(base % ctx.m2, mod(exponent, order2), ctx.m2);
  return crtCombine(ctx, r1, r2);
}

/** n! as a bigint (Δ of the threshold scheme). */
export function factorial(n: number): bigint {
  let f = 1n;
  for (let i = 2; i <= n; i++) f *= BigInt(i);
  return f;
}

// --- bytes -----------------------------------------------------------------------------------

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Big-endian bytes of x ≥ 0, left-padded to `length` when given (throws if it does not fit). */
export function bigIntToBytes(x: bigint, length?: number): Uint8Array {
  if (x < 0n) throw new RangeError("bigIntToBytes: negative value");
  let hex = x === 0n ? "" : x.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const size = length ?? hex.length / 2;
  if (hex.length / 2 > size) throw new RangeError(`bigIntToBytes: value does not fit in ${size} bytes`);
  const out = new Uint8Array(size);
  const offset = size - hex.length / 2;
  for (let i = 0; i < hex.length / 2; i++) out[offset + i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Unsigned big-endian bytes to a bigint. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let hex = "";
  for (const b of bytes) hex += HEX[b];
  return BigInt(`0x${hex}`);
}

/** Lower-case hex with 0x prefix (0 → "0x0"). */
export function toHex(x: bigint): `0x${string}` {
  if (x < 0n) throw new RangeError("toHex: negative value");
  return `0x${x.toString(16)}`;
}

/** Parses a non-negative 0x-prefixed hex integer. */
export function fromHex(hex: string, label: string): bigint {
  if (!/^0x[0-9a-fA-F]+$/.test(hex)) {
    throw new PaillierError(PaillierErrorCode.InvalidArgument, `${label} must be a 0x-prefixed hex integer`);
  }
  return BigInt(hex);
}

/** Bytes as lower-case hex with 0x prefix. */
export function bytesToHex(bytes: Uint8Array): `0x${string}` {
  let hex = "";
  for (const b of bytes) hex += HEX[b];
  return `0x${hex}`;
}

/** 0x-prefixed (or bare) even-length hex to bytes. */
export function hexToBytes(hex: string, label: string): Uint8Array {
  const h = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) {
    throw new PaillierError(PaillierErrorCode.InvalidArgument, `${label} must be even-length hex`);
  }
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// --- randomness ------------------------------------------------------------------------------

/** `length` bytes from the platform CSPRNG (WebCrypto getRandomValues, 64 KiB per call). */
export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
  }
  return out;
}

/** Uniform integer in [0, 2^bits). */
export function randomBits(bits: number): bigint {
  if (!Number.isInteger(bits) || bits < 0)
    throw new RangeError("randomBits: bits must be a non-negative integer");
  if (bits === 0) return 0n;
  const bytes = randomBytes(Math.ceil(bits / 8));
  const excess = bytes.length * 8 - bits;
  bytes[0] = (bytes[0] as number) & (0xff >> excess);
  return bytesToBigInt(bytes);
}

/** Uniform integer in [0, max) by rejection sampling (expected < 2 draws). */
export function randomBelow(max: bigint): bigint {
  if (max < 1n) throw new RangeError("randomBelow: max must be positive");
  const bits = bitLength(max - 1n);
  for (;;) {
    const x = randomBits(bits);
    if (x < max) return x;
  }
}

/** Uniform integer in [lo, hi). */
export function randomInRange(lo: bigint, hi: bigint): bigint {
  if (hi <= lo) throw new RangeError("randomInRange: empty range");
  return lo + randomBelow(hi - lo);
}

/** Uniform unit of Z_n^*: a random r in [1, n) with gcd(r, n) = 1. */
export function randomUnit(n: bigint): bigint {
  for (;;) {
    const r = randomInRange(1n, n);
    if (gcd(r, n) === 1n) return r;
  }
}
