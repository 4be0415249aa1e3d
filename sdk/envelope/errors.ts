// Typed errors of the envelope format. Messages name the chunk index where one is involved and never
// contain key material or plaintext.
import { BaseError, type BaseErrorParameters } from "../errors.ts";

/**
 * Every way an envelope operation can fail, as a stable code callers and tests can match on.
 * Header problems come first (checked before any cryptography), then chunk problems.
 */
export const EnvelopeErrorCode = {
  /** The header's format version is not one this library reads (only version 1 exists). */
  UnknownVersion: "UnknownVersion",
  /** The header's cipher suite id is not one this library implements (only suite 1 exists). */
  UnknownSuite: "UnknownSuite",
  /**
   * Bad magic, a header field out of range (chunk size), or an argument of the wrong shape (key
   * length, job id outside uint256, chunk size option, a stream piece that is not a Uint8Array).
   */
  Malformed: "Malformed",
  /** The header's job id is not the job the decryptor expects. Checked before any cryptography. */
  WrongJob: "WrongJob",
  /**
   * A chunk does not authenticate. With AES-GCM a wrong key, a modified header (it is bound into the
   * key and every chunk's associated data), a modified chunk or tag, and a chunk moved from another
   * position or another envelope all look the same, so one code covers them.
   */
  AuthenticationFailed: "AuthenticationFailed",
  /** The input ended before a chunk flagged last (inside the header, between chunks, or inside a tag). */
  Truncated: "Truncated",
  /** Bytes follow the chunk flagged last. */
  TrailingData: "TrailingData",
  /** An X25519 public key (the recipient's, or the ephemeral key in a header) is a low-order point. */
  LowOrderKey: "LowOrderKey",
} as const;
/** One {@link EnvelopeErrorCode}. */
export type EnvelopeErrorCode = (typeof EnvelopeErrorCode)[keyof typeof EnvelopeErrorCode];

/** Parameters of {@link EnvelopeError}: those of every {@link BaseError} plus the chunk involved. */
export type EnvelopeErrorParameters = BaseErrorParameters & {
  /** 0-based index of the chunk the failure concerns, when it concerns one. */
  chunkIndex?: number | undefined;
};

/**
 * The error the envelope functions and streams throw: a stable `code`, a message starting with that
 * code, and the chunk index when one is involved. Two exceptions: a source stream's own error is
 * passed through unchanged, and a plain {@link BaseError} reports an environment without WebCrypto.
 *
 * @example
 * try {
 *   await decryptEnvelope({ recipientSecretKey, jobId, envelope });
 * } catch (e) {
 *   if (e instanceof EnvelopeError && e.code === "WrongJob") ...
 * }
 */
export class EnvelopeError extends BaseError {
  override name = "EnvelopeError";
  /** What failed. */
  readonly code: EnvelopeErrorCode;
  /** 0-based index of the chunk concerned, or `undefined` for header and argument errors. */
  readonly chunkIndex: number | undefined;

  constructor(code: EnvelopeErrorCode, shortMessage: string, parameters: EnvelopeErrorParameters = {}) {
    const { chunkIndex, ...base } = parameters;
    super(`${code}: ${shortMessage}`, base);
    this.code = code;
    this.chunkIndex = chunkIndex;
  }
}
