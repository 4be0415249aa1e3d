// Fixed-point arithmetic of the training statement, identical to circuits/lib/fixed_point.circom.
// See circuits/FIXED_POINT.md.
import { BaseError } from "../errors.ts";

/** The BN254 scalar field modulus r; circuit values are integers mod r. */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Signed bit width of features x: |x| < 2^(FEATURE_BITS-1) (XB). */
export const FEATURE_BITS = 9;
/** Signed bit width of weights and biases (WB). */
export const WEIGHT_BITS = 16;
/** Signed bit width of logits z (ZB). */
export const LOGIT_BITS = 24;
/** Basis points of a metric of 100%. */
export const BASIS_POINTS = 10000;

/**
 * An input of the statement is outside its signed range (initial weights beyond WB bits, features
 * beyond XB bits): the buyer's data is malformed and the circuit has no witness for it. Values the
 * training computes (logits, updated weights) never throw: they saturate (see {@link clampSigned}).
 */
export class FixedPointOverflowError extends BaseError {
  override name = "FixedPointOverflowError";
  /** What overflowed, e.g. `b[1] after step 0`. */
  readonly label: string;
  /** The offending value. */
  readonly value: bigint;
  /** The signed bit width it must fit. */
  readonly bits: number;
  /** Smallest allowed value, -2^(bits-1). */
  readonly min: bigint;
  /** Largest allowed value, 2^(bits-1) - 1. */
  readonly max: bigint;

  constructor(label: string, value: bigint, bits: number) {
    const min = -(1n << BigInt(bits - 1));
    const max = (1n << BigInt(bits - 1)) - 1n;
    super(`${label} = ${value} overflows the ${bits}-bit signed range [${min}, ${max}]`, {
      details: "an input of the training statement is out of range; the circuit has no witness for it",
    });
    this.label = label;
    this.value = value;
    this.bits = bits;
    this.min = min;
    this.max = max;
  }
}

/** Input to the training prover is malformed (shape, type, field or range). */
export class TrainingInputError extends BaseError {
  override name = "TrainingInputError";
}

/** floor(a / b) toward minus infinity, for b > 0 (BigInt `/` truncates toward zero). */
export function floorDiv(a: bigint, b: bigint): bigint {
  if (b <= 0n) throw new RangeError(`floorDiv: divisor must be positive, got ${b}`);
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** floor(a / 2^shift). */
export function floorShift(a: bigint, shift: number): bigint {
  return floorDiv(a, 1n << BigInt(shift));
}

/** True iff -2^(bits-1) <= value < 2^(bits-1). */
export function fitsSigned(value: bigint, bits: number): boolean {
  const half = 1n << BigInt(bits - 1);
  return value >= -half && value < half;
}

/** Throws {@link FixedPointOverflowError} unless value fits `bits` signed bits. */
export function assertSigned(value: bigint, bits: number, label: string): bigint {
  if (!fitsSigned(value, bits)) throw new FixedPointOverflowError(label, value, bits);
  return value;
}

/**
 * The saturating clamp of circuits/FIXED_POINT.md §1: `min(max(value, -2^(bits-1)), 2^(bits-1) - 1)`.
 *
 * @param value - Any integer.
 * @param bits - Signed width, at least 1.
 * @returns `value` when it fits `bits` signed bits, else the nearest bound.
 * @example
 * saturateSigned(40000n, 16); // 32767n
 * saturateSigned(-40000n, 16); // -32768n
 */
export function saturateSigned(value: bigint, bits: number): bigint {
  const half = 1n << BigInt(bits - 1);
  if (value < -half) return -half;
  if (value >= half) return half - 1n;
  return value;
}

/** One value the reference clamped to its signed range (for logs: the run still has a witness). */
export type Saturation = {
  /** What saturated, e.g. `W[0][3] after step 1` or `z (step 0, row 1)[0]`. */
  label: string;
  /** The exact value before clamping. */
  value: bigint;
  /** The signed width it was clamped to. */
  bits: number;
  /** The value it became: -2^(bits-1) or 2^(bits-1) - 1. */
  clamped: bigint;
};

/**
 * {@link saturateSigned}, recording a {@link Saturation} in `saturations` when the value changed.
 *
 * @param value - The exact value.
 * @param bits - Signed width.
 * @param label - Names the value in the record.
 * @param saturations - Where to record a clamp (omit to only clamp).
 * @returns The clamped value.
 * @example
 * const log: Saturation[] = [];
 * clampSigned(-40000n, 16, "b[0] after step 0", log); // -32768n; log[0].value === -40000n
 */
export function clampSigned(value: bigint, bits: number, label: string, saturations?: Saturation[]): bigint {
  const clamped = saturateSigned(value, bits);
  if (clamped !== value) saturations?.push({ label, value, bits, clamped });
  return clamped;
}

/** Signed integer to its field encoding x mod r. */
export function encodeField(value: bigint): bigint {
  const m = value % FIELD_MODULUS;
  return m < 0n ? m + FIELD_MODULUS : m;
}

/** Field element in [0, r) to the signed integer in (-r/2, r/2] it encodes. */
export function decodeField(element: bigint): bigint {
  if (element < 0n || element >= FIELD_MODULUS) {
    throw new TrainingInputError(`not a field element: ${element}`);
  }
  return element > FIELD_MODULUS / 2n ? element - FIELD_MODULUS : element;
}

/** Real number to fixed point with `fracBits` fraction bits (round to nearest). */
export function toFixed(real: number, fracBits: number): bigint {
  if (!Number.isFinite(real)) throw new TrainingInputError(`not a finite number: ${real}`);
  return BigInt(Math.round(real * 2 ** fracBits));
}

/** Fixed point with `fracBits` fraction bits to a real number. */
export function fromFixed(value: bigint, fracBits: number): number {
  return Number(value) / 2 ** fracBits;
}
