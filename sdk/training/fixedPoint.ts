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

/** A value left its signed fixed-point range: the circuit has no witness for it. */
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
      details:
        "the training statement has no valid witness for this run; lower the learning rate or the weights",
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
