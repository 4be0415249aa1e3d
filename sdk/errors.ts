/** Parameters of {@link BaseError}. */
export type BaseErrorParameters = {
  /** Extra lines a user may need to act on the error. */
  details?: string | undefined;
  /** The underlying error. */
  cause?: unknown;
};

/**
 * The one error base of the project: a one-line `shortMessage` a user can read, optional
 * `details`, and the `cause`. Every component's errors extend it so callers can `instanceof`.
 *
 * @example
 * throw new JobTermsError("priceCeiling must be positive", { details: "got 0" });
 */
export class BaseError extends Error {
  /** One line saying what went wrong. */
  readonly shortMessage: string;
  /** More context, when there is any. */
  readonly details: string | undefined;
  override name = "BaseError";

  constructor(shortMessage: string, parameters: BaseErrorParameters = {}) {
    const message = parameters.details ? `${shortMessage}\n\nDetails: ${parameters.details}` : shortMessage;
    super(message, parameters.cause === undefined ? undefined : { cause: parameters.cause });
    this.shortMessage = shortMessage;
    this.details = parameters.details;
  }
}

/** Invalid job terms, found before anything is sent to a chain. */
export class JobTermsError extends BaseError {
  override name = "JobTermsError";
}

/** A deployment file is missing or malformed. */
export class DeploymentError extends BaseError {
  override name = "DeploymentError";
}
