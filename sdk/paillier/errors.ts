// Typed errors of the Paillier library: one class per failure a caller acts on differently, each
// with a stable `code`. Messages never contain secret values (p, q, d, key shares, randomness).
import { BaseError, type BaseErrorParameters } from "../errors.ts";

/** Every way the Paillier library can refuse an input, as a stable code callers can match on. */
export const PaillierErrorCode = {
  /** Key size below the production minimum, or an `insecureTestKeyBits` request that is malformed. */
  InvalidKeySize: "InvalidKeySize",
  /** A supplied prime is not a safe prime of the expected size, or p = q. */
  InvalidPrime: "InvalidPrime",
  /** A plaintext is outside [0, n), or a scalar is not an integer. */
  InvalidPlaintext: "InvalidPlaintext",
  /** A ciphertext is outside (0, n²) or shares a factor with n. */
  InvalidCiphertext: "InvalidCiphertext",
  /** An element has no inverse modulo the modulus (gcd ≠ 1). */
  NotInvertible: "NotInvertible",
  /** An option or argument is out of its documented range. */
  InvalidArgument: "InvalidArgument",
  /** Fewer than t decryption shares verified. */
  InsufficientShares: "InsufficientShares",
  /** Shares that verified individually do not combine to a Paillier plaintext (should not happen). */
  InconsistentShares: "InconsistentShares",
  /** The packing layout does not fit in a plaintext with the configured safety margin. */
  PackingDoesNotFit: "PackingDoesNotFit",
  /** A decoded slot exceeds what the declared number of contributions can produce. */
  SlotOverflow: "SlotOverflow",
  /** A value to encode is NaN or infinite. */
  NonFiniteValue: "NonFiniteValue",
  /** The dealer's secret was already forgotten. */
  KeyForgotten: "KeyForgotten",
  /** A key share does not match its public verification key, or has the wrong index. */
  InvalidKeyShare: "InvalidKeyShare",
  /** A sealed key share fails authentication or is malformed. */
  SealedShareInvalid: "SealedShareInvalid",
  /** A worker thread failed or exited. */
  WorkerFailed: "WorkerFailed",
} as const;
export type PaillierErrorCode = (typeof PaillierErrorCode)[keyof typeof PaillierErrorCode];

/** Base class of every error thrown by `sdk/paillier`. */
export class PaillierError extends BaseError {
  override name = "PaillierError";
  /** Stable code of the failure. */
  readonly code: PaillierErrorCode;

  constructor(code: PaillierErrorCode, shortMessage: string, parameters: BaseErrorParameters = {}) {
    super(shortMessage, parameters);
    this.code = code;
  }
}

/** A decryption share (or batch of shares) that was not used, and why. */
export type RejectedShare = {
  /** The committee member's index (1-based), as claimed by the share. */
  readonly index: number;
  /** Why it was rejected: bad proof, duplicate, unknown index, malformed value. */
  readonly reason: string;
};

/**
 * Fewer than `threshold` decryption shares verified. `rejected` names every share that was
 * excluded and why; `validIndices` lists the ones that verified.
 */
export class InsufficientSharesError extends PaillierError {
  override name = "InsufficientSharesError";
  readonly threshold: number;
  readonly validIndices: readonly number[];
  readonly rejected: readonly RejectedShare[];

  constructor(threshold: number, validIndices: readonly number[], rejected: readonly RejectedShare[]) {
    const bad = rejected.map((r) => r.index);
    super(
      PaillierErrorCode.InsufficientShares,
      `only ${validIndices.length} valid decryption share(s), ${threshold} needed` +
        (bad.length > 0 ? `; invalid shares from member(s) ${bad.join(", ")}` : "; no invalid shares"),
      {
        details:
          rejected.length > 0
            ? rejected.map((r) => `member ${r.index}: ${r.reason}`).join("; ")
            : "not enough shares were submitted",
      },
    );
    this.threshold = threshold;
    this.validIndices = validIndices;
    this.rejected = rejected;
  }

  /** Indices of the rejected shares, in the order they were submitted. */
  get badIndices(): readonly number[] {
    return this.rejected.map((r) => r.index);
  }
}

/** A packed slot decoded to more than the declared contributions can sum to (or a carry left the top slot). */
export class SlotOverflowError extends PaillierError {
  override name = "SlotOverflowError";
  /** Which plaintext of the vector. */
  readonly plaintextIndex: number;
  /** Which slot inside it (`slots` means bits above the last slot). */
  readonly slot: number;
  /** Largest honest slot value for the declared contributions. */
  readonly max: bigint;

  constructor(plaintextIndex: number, slot: number, max: bigint, details: string) {
    super(PaillierErrorCode.SlotOverflow, `plaintext ${plaintextIndex}, slot ${slot} overflowed its range`, {
      details,
    });
    this.plaintextIndex = plaintextIndex;
    this.slot = slot;
    this.max = max;
  }
}

/** The packing layout does not fit a plaintext: `slots × slotBits` ≥ bits of n − safety margin. */
export class PackingLayoutError extends PaillierError {
  override name = "PackingLayoutError";
  readonly slots: number;
  readonly slotBits: number;
  readonly availableBits: number;

  constructor(slots: number, slotBits: number, availableBits: number, details: string) {
    super(
      PaillierErrorCode.PackingDoesNotFit,
      `packing does not fit: ${slots} slots × ${slotBits} bits needs more than the ${availableBits} bits available`,
      { details },
    );
    this.slots = slots;
    this.slotBits = slotBits;
    this.availableBits = availableBits;
  }
}
