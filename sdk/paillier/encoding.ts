// Fixed-point encoding and slot packing of real-valued update vectors.
//
// Encoding of one value x (a float):
//   1. clip x to [−clip, clip]; q = round(x · scale), then clamp q to [−Q, Q] with Q = ⌊clip·scale⌋;
//   2. offset: e = q + Q ∈ [0, 2Q]. Packing needs non-negative slots, so negatives are handled by an
//      offset, not by mod-n centring (which only works with one value per plaintext: −1 would be
//      n − 1 and fill every bit). After summing P contributions the decoder subtracts P·Q.
// Packing: a plaintext holds `slots` values, slot k in bits [k·b, (k+1)·b):
//   M = Σ_k e_k · 2^(k·b). Adding ciphertexts adds plaintexts, so each slot sums independently as
//   long as no slot exceeds 2^b − 1. The slot width b is chosen so that the largest honest sum,
//   parties · 2Q, fits with `guardBits` to spare: b = bitLength(parties · 2Q) + guardBits.
//   The headroom ⌈log₂ parties⌉ bits over a single value's width makes overflow impossible by
//   construction for up to `parties` honest contributions.
// Setup check: slots · b ≤ |n| − 1 − safetyMarginBits, so M < 2^(|n|−1) < n and the sum never
//   wraps mod n; the constructor throws PackingLayoutError otherwise.
// Decoder check: given the actual number of contributions P' ≤ parties, every slot must be
//   ≤ P' · 2Q and the bits above the last slot must be zero; SlotOverflowError otherwise. A guard
//   bit means a sum up to twice the honest maximum is reported instead of carrying silently into the
//   next slot. (A malicious party that encrypts out-of-range slots on purpose can still bias the
//   result within these bounds; excluding that needs range proofs on the encryptions.)
import { bitLength } from "./bigint.ts";
import { PackingLayoutError, PaillierError, PaillierErrorCode, SlotOverflowError } from "./errors.ts";
import type { PaillierPublicKey } from "./paillier.ts";

/** Default scale: 16 fractional bits. */
export const DEFAULT_PACKING_SCALE = 2 ** 16;
/** Default clip bound. */
export const DEFAULT_PACKING_CLIP = 1;
/** Default safety margin below |n|. */
export const DEFAULT_PACKING_SAFETY_MARGIN_BITS = 16;
/** Default guard bits above the honest maximum of a slot. */
export const DEFAULT_PACKING_GUARD_BITS = 1;

/** Configuration of a {@link PackedCodec}; plain data, so it can be sent to workers. */
export type PackedCodecOptions = {
  /** Bits of n. */
  modulusBits: number;
  /** Largest number of contributions that will be summed (the headroom). */
  parties: number;
  /** Fixed-point scale: x is represented by round(x · scale) (positive safe integer, default 2^16). */
  scale?: number;
  /** Values are clipped to [−clip, clip] (default 1). */
  clip?: number;
  /** Slots per plaintext (default: as many as fit). */
  slots?: number;
  /** Bits kept free below |n| (default 16). */
  safetyMarginBits?: number;
  /** Extra bits per slot above the honest maximum sum (default 1). */
  guardBits?: number;
};

/** Options of {@link PackedCodec.decode}. */
export type PackedDecodeOptions = {
  /** How many encrypted vectors were summed (≤ parties). Parties that dropped out are not counted. */
  contributions: number;
  /** Number of values in the original vectors (drops the padding of the last plaintext). */
  length: number;
};

/**
 * Encodes real vectors as packed plaintexts and decodes summed plaintexts.
 *
 * @example
 * const codec = PackedCodec.forPublicKey(publicKey, { parties: 5, clip: 1, scale: 2 ** 16 });
 * const plaintexts = codec.encode(update); // ⌈length / slots⌉ bigints
 * const sums = codec.decode(decryptedAggregate, { contributions: 5, length: update.length });
 */
export class PackedCodec {
  readonly options: Readonly<Required<PackedCodecOptions>>;
  readonly scale: number;
  readonly clip: number;
  readonly parties: number;
  /** Q = ⌊clip · scale⌋, the largest magnitude of an encoded value. */
  readonly maxMagnitude: number;
  /** Bits per slot. */
  readonly slotBits: number;
  /** Slots per plaintext. */
  readonly slots: number;
  readonly #bigSlotBits: bigint;
  readonly #slotMask: bigint;

  constructor(options: PackedCodecOptions) {
    const scale = options.scale ?? DEFAULT_PACKING_SCALE;
    const clip = options.clip ?? DEFAULT_PACKING_CLIP;
    const margin = options.safetyMarginBits ?? DEFAULT_PACKING_SAFETY_MARGIN_BITS;
    const guardBits = options.guardBits ?? DEFAULT_PACKING_GUARD_BITS;
    const { parties, modulusBits } = options;
    const invalid = (msg: string) => new PaillierError(PaillierErrorCode.InvalidArgument, msg);
    if (!Number.isSafeInteger(scale) || scale < 1) throw invalid("scale must be a positive safe integer");
    if (!Number.isFinite(clip) || clip <= 0) throw invalid("clip must be a positive finite number");
    if (!Number.isInteger(parties) || parties < 1) throw invalid("parties must be a positive integer");
    if (!Number.isInteger(modulusBits) || modulusBits < 16)
      throw invalid("modulusBits must be an integer ≥ 16");
    if (!Number.isInteger(margin) || margin < 0)
      throw invalid("safetyMarginBits must be a non-negative integer");
    if (!Number.isInteger(guardBits) || guardBits < 0)
      throw invalid("guardBits must be a non-negative integer");
    const q = Math.floor(clip * scale);
    if (q < 1) throw invalid("clip · scale must be at least 1");
    const maxSum = BigInt(parties) * 2n * BigInt(q);
    if (maxSum > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw invalid("parties · 2 · clip · scale must stay below 2^53 (exact decoding in doubles)");
    }
    const slotBits = bitLength(maxSum) + guardBits;
    const available = modulusBits - 1 - margin;
    const slots = options.slots ?? Math.floor(available / slotBits);
    if (!Number.isInteger(slots) || slots < 1 || slots * slotBits > available) {
      throw new PackingLayoutError(
        slots,
        slotBits,
        available,
        `|n| = ${modulusBits} bits, safety margin ${margin} bits, 1 bit so that M < n; slot = ` +
          `bitLength(${parties} parties × 2 × ${q}) + ${guardBits} guard bit(s)`,
      );
    }
    this.options = Object.freeze({
      modulusBits,
      parties,
      scale,
      clip,
      slots,
      safetyMarginBits: margin,
      guardBits,
    });
    this.scale = scale;
    this.clip = clip;
    this.parties = parties;
    this.maxMagnitude = q;
    this.slotBits = slotBits;
    this.slots = slots;
    this.#bigSlotBits = BigInt(slotBits);
    this.#slotMask = (1n << BigInt(slotBits)) - 1n;
  }

  /** A codec sized for a public key. */
  static forPublicKey(
    publicKey: PaillierPublicKey,
    options: Omit<PackedCodecOptions, "modulusBits">,
  ): PackedCodec {
    return new PackedCodec({ ...options, modulusBits: publicKey.bits });
  }

  /** Number of plaintexts for a vector of `length` values. */
  plaintextCount(length: number): number {
    return Math.ceil(length / this.slots);
  }

  /** The clipped fixed-point integer round(x·scale) ∈ [−Q, Q]; throws `NonFiniteValue` for NaN/±∞. */
  quantize(x: number): number {
    if (!Number.isFinite(x))
      throw new PaillierError(PaillierErrorCode.NonFiniteValue, "cannot encode NaN or ±Infinity");
    const q = Math.round(x * this.scale);
    const max = this.maxMagnitude;
    return Math.min(max, Math.max(-max, q));
  }

  /** Clips, quantizes, offsets and packs `values` (padding the last plaintext with zeros). */
  encode(values: ArrayLike<number>): bigint[] {
    const count = this.plaintextCount(values.length);
    const out: bigint[] = new Array(count);
    const b = this.#bigSlotBits;
    const offset = this.maxMagnitude;
    for (let i = 0; i < count; i++) {
      let m = 0n;
      const base = i * this.slots;
      for (let k = this.slots - 1; k >= 0; k--) {
        const idx = base + k;
        const e = idx < values.length ? this.quantize(values[idx] as number) + offset : offset;
        m = (m << b) | BigInt(e);
      }
      out[i] = m;
    }
    return out;
  }

  /**
   * Unpacks summed plaintexts into the integer sums Σq (fixed-point, scale `scale`), checking every
   * slot against the honest maximum for `contributions`.
   */
  decodeIntegers(plaintexts: readonly bigint[], options: PackedDecodeOptions): Float64Array {
    const { contributions, length } = options;
    if (!Number.isInteger(contributions) || contributions < 1 || contributions > this.parties) {
      throw new PaillierError(
        PaillierErrorCode.InvalidArgument,
        `contributions must be an integer in [1, ${this.parties}] (the configured headroom)`,
      );
    }
    if (!Number.isInteger(length) || length < 0 || this.plaintextCount(length) !== plaintexts.length) {
      throw new PaillierError(
        PaillierErrorCode.InvalidArgument,
        `${plaintexts.length} plaintexts cannot hold ${length} values`,
      );
    }
    const max = BigInt(contributions) * 2n * BigInt(this.maxMagnitude);
    const offset = contributions * this.maxMagnitude;
    const out = new Float64Array(length);
    const b = this.#bigSlotBits;
    const mask = this.#slotMask;
    plaintexts.forEach((plaintext, i) => {
      let m = plaintext;
      if (m < 0n) throw new SlotOverflowError(i, 0, max, "negative plaintext");
      for (let k = 0; k < this.slots; k++) {
        const slot = m & mask;
        if (slot > max) {
          throw new SlotOverflowError(
            i,
            k,
            max,
            `slot holds ${slot}, but ${contributions} contribution(s) of at most ${2 * this.maxMagnitude} sum to ≤ ${max}`,
          );
        }
        const idx = i * this.slots + k;
        if (idx < length) out[idx] = Number(slot) - offset;
        m >>= b;
      }
      if (m !== 0n) {
        throw new SlotOverflowError(
          i,
          this.slots,
          max,
          "bits above the last slot are set (a carry left the top slot)",
        );
      }
    });
    return out;
  }

  /** Unpacks summed plaintexts into real-valued sums Σ x (each quantized to 1/scale). */
  decode(plaintexts: readonly bigint[], options: PackedDecodeOptions): Float64Array {
    const out = this.decodeIntegers(plaintexts, options);
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / this.scale;
    return out;
  }
}
