// Errors of the base model: a stable `code` so callers (and tests) can branch without parsing text.
import { BaseError, type BaseErrorParameters } from "../../sdk/errors.ts";

/** Stable codes of {@link SlmError}. */
export const SlmErrorCode = {
  /** A config is malformed (non-positive sizes, heads not dividing dModel, ...). */
  BadConfig: "BadConfig",
  /** A serialized model is not the documented format, or its checksum does not match its content. */
  CorruptWeights: "CorruptWeights",
  /** A cached model is intact but describes another config or corpus than the one asked for. */
  HashMismatch: "HashMismatch",
  /** The pretraining corpus (TypeScript's lib files) is missing or unreadable. */
  CorpusUnavailable: "CorpusUnavailable",
  /** A text to featurize has no bytes. */
  EmptyText: "EmptyText",
  /** Labels or class counts given to the head trainer are malformed. */
  BadInput: "BadInput",
  /** A featurizer worker thread failed. */
  WorkerFailed: "WorkerFailed",
} as const;
/** One {@link SlmErrorCode}. */
export type SlmErrorCode = (typeof SlmErrorCode)[keyof typeof SlmErrorCode];

/**
 * The error of everything under `enclave-runner/model`. `code` is stable; messages never quote
 * the texts being featurized (they may be a buyer's private data).
 *
 * @example
 * throw new SlmError("EmptyText", "text 3 is empty");
 */
export class SlmError extends BaseError {
  override name = "SlmError";
  /** What failed. */
  readonly code: SlmErrorCode;

  constructor(code: SlmErrorCode, message: string, parameters: BaseErrorParameters = {}) {
    super(`${code}: ${message}`, parameters);
    this.code = code;
  }
}
