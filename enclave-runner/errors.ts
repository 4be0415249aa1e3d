// Why a run of the enclave runner ended without an adapter. Every code is written into the evidence
// bundle, so the provider node (and the buyer) learn why; messages never quote the buyer's data.
import { BaseError, type BaseErrorParameters } from "../sdk/errors.ts";

/** Stable codes of {@link RunnerError}, in pipeline order. */
export const RunnerErrorCode = {
  /** The job spec file or a command-line option is malformed. */
  BadJobSpec: "BadJobSpec",
  /** The job on chain does not match the job spec (terms hash, status, provider). */
  JobMismatch: "JobMismatch",
  /** The market did not accept this enclave's attestation before the deadline. */
  AttestationNotAccepted: "AttestationNotAccepted",
  /** The buyer did not deliver the data before the deadline. */
  DeliveryTimeout: "DeliveryTimeout",
  /** A blob could not be fetched, or is larger than the configured limit. */
  BlobUnavailable: "BlobUnavailable",
  /** The dataset is larger than the configured limit. */
  DatasetTooLarge: "DatasetTooLarge",
  /** An envelope failed to decrypt (tampered, truncated, wrong key). */
  CorruptCiphertext: "CorruptCiphertext",
  /** An envelope was made for another job. */
  WrongJob: "WrongJob",
  /** The plaintext is not the documented dataset format. */
  BadData: "BadData",
  /** A row's text is longer than the base model's context. */
  TextTooLong: "TextTooLong",
  /** The dataset has no rows. */
  EmptyDataset: "EmptyDataset",
  /** The dataset has another number of rows than the job's training statement needs. */
  WrongRowCount: "WrongRowCount",
  /** The base model is not the one the job names. */
  BaseModelMismatch: "BaseModelMismatch",
  /** The rows do not open the raw-data commitment the buyer posted on chain. */
  CommitmentMismatch: "CommitmentMismatch",
  /** The trainer backend failed, or its result differs from the fixed-point reference. */
  TrainerFailed: "TrainerFailed",
  /** The fixed-point training overflowed or the metric missed the threshold: no proof exists. */
  TrainingRejected: "TrainingRejected",
  /** Proving failed. */
  ProofFailed: "ProofFailed",
} as const;
/** One {@link RunnerErrorCode}. */
export type RunnerErrorCode = (typeof RunnerErrorCode)[keyof typeof RunnerErrorCode];

/**
 * The one error the pipeline ends with. `code` is stable; the message says what failed and never
 * contains plaintext data, keys or weights.
 *
 * @example
 * throw new RunnerError("EmptyDataset", "the training set has no rows");
 */
export class RunnerError extends BaseError {
  override name = "RunnerError";
  /** What failed. */
  readonly code: RunnerErrorCode;

  constructor(code: RunnerErrorCode, message: string, parameters: BaseErrorParameters = {}) {
    super(`${code}: ${message}`, parameters);
    this.code = code;
  }
}
