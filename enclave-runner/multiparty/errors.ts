// Why a step of the multi-party flow refused to go on. Hash mismatches against the chain are the
// SDK's `RecordedHashMismatchError` (labelled with the party or member); too few valid decryption
// shares are the Paillier library's `InsufficientSharesError`. Everything else is one error type
// with a stable code. Messages never contain key shares, plaintext updates or weights.
import { BaseError, type BaseErrorParameters } from "../../sdk/errors.ts";

/** Stable codes of {@link MultiPartyFlowError}. */
export const MultiPartyFlowErrorCode = {
  /** The job's terms or spec do not describe a valid multi-party job (or not the one expected). */
  BadJob: "BadJob",
  /** The caller's wallet is not the account the spec names for this role and index. */
  NotYourRole: "NotYourRole",
  /** A blob is not in the documented format, or belongs to another job, key, role or index. */
  MalformedBlob: "MalformedBlob",
  /** A party or member recorded a hash on-chain but no blob id was supplied for it. */
  MissingBlob: "MissingBlob",
  /** The on-chain record a step needs is not there yet (no aggregate, no update). */
  NotRecorded: "NotRecorded",
  /** The update window is still open and not every party has submitted. */
  WindowOpen: "WindowOpen",
  /** The training inputs (C0, parameters, rows) do not match the job. */
  BadTrainingInput: "BadTrainingInput",
  /** The averaged update applied to C0 leaves the 16-bit weight range. */
  WeightOverflow: "WeightOverflow",
  /** A record transaction reverted. */
  TransactionReverted: "TransactionReverted",
  /** Bad shares cannot be stated yet: t valid shares can still be had (wait, or combine). */
  ValidQuorumPossible: "ValidQuorumPossible",
} as const;
/** One {@link MultiPartyFlowErrorCode}. */
export type MultiPartyFlowErrorCode = (typeof MultiPartyFlowErrorCode)[keyof typeof MultiPartyFlowErrorCode];

/**
 * A step of the multi-party flow refused its input. `code` is stable; the message names the party,
 * member or blob concerned.
 *
 * @example
 * throw new MultiPartyFlowError("MissingBlob", "party 1 recorded an update but no blob id was given");
 */
export class MultiPartyFlowError extends BaseError {
  override name = "MultiPartyFlowError";
  /** What failed. */
  readonly code: MultiPartyFlowErrorCode;

  constructor(code: MultiPartyFlowErrorCode, shortMessage: string, parameters: BaseErrorParameters = {}) {
    super(`${code}: ${shortMessage}`, parameters);
    this.code = code;
  }
}
