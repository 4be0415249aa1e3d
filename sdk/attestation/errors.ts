import { BaseError, type BaseErrorParameters } from "../errors.ts";

/**
 * Every way attestation evidence can fail, as a stable code callers and tests can match on.
 * Parsing codes come first, then signatures, certificates, collateral and policy.
 */
export const AttestationErrorCode = {
  /** Input ended before a field it must contain. */
  Truncated: "Truncated",
  /** Input is larger than any valid evidence of its kind. */
  Oversized: "Oversized",
  /** A field holds a value the format does not allow (bad length, bad tag, bad encoding). */
  Malformed: "Malformed",
  /** Version, key type, TEE type or algorithm this verifier does not support. */
  Unsupported: "Unsupported",
  /** The attestation key's signature over the quote header and body is invalid. */
  QuoteSignatureInvalid: "QuoteSignatureInvalid",
  /** The PCK key's signature over the quoting enclave's report is invalid. */
  QeReportSignatureInvalid: "QeReportSignatureInvalid",
  /** The QE report data does not commit to the attestation key and QE authentication data. */
  AttestationKeyBindingInvalid: "AttestationKeyBindingInvalid",
  /** The SEV-SNP report signature does not verify with the VCEK. */
  ReportSignatureInvalid: "ReportSignatureInvalid",
  /** A certificate in the chain is not signed by the next one, or a CA constraint is violated. */
  CertificateChainInvalid: "CertificateChainInvalid",
  /** A certificate is not valid at the validation time. */
  CertificateExpired: "CertificateExpired",
  /** The chain ends in a root that is not pinned by the verifier's configuration. */
  UntrustedRoot: "UntrustedRoot",
  /** A certificate's serial number is on a revocation list. */
  CertificateRevoked: "CertificateRevoked",
  /** Collateral (CRL, TCB info, QE identity) is outside its validity window at the validation time. */
  CollateralExpired: "CollateralExpired",
  /** Collateral is not signed by its issuer, or belongs to another platform or issuer. */
  CollateralInvalid: "CollateralInvalid",
  /** The quoting enclave is not the one the QE-identity collateral describes. */
  QeIdentityMismatch: "QeIdentityMismatch",
  /** The TCB level of the platform (or QE) is not accepted by the policy. */
  TcbStatusRejected: "TcbStatusRejected",
  /** The reported TCB is below the policy's minimum, or disagrees with the signing certificate. */
  TcbTooLow: "TcbTooLow",
  /** The enclave or VM runs in debug mode, whose memory the host can read. */
  DebugEnclave: "DebugEnclave",
  /** The evidence's report data is not the expected job binding. */
  ReportDataMismatch: "ReportDataMismatch",
  /** The evidence source (configfs-tsm, Gramine, ...) is unavailable or misbehaved. */
  EvidenceUnavailable: "EvidenceUnavailable",
} as const;
/** One {@link AttestationErrorCode}. */
export type AttestationErrorCode = (typeof AttestationErrorCode)[keyof typeof AttestationErrorCode];

/**
 * The only error attestation parsing and verification throw: a stable `code` plus a message naming
 * the field or check that failed. Anything else escaping a verifier is a bug.
 *
 * @example
 * try { verifyIntelQuote(quote, options) } catch (e) { if (e instanceof AttestationError && e.code === "UntrustedRoot") ... }
 */
export class AttestationError extends BaseError {
  override name = "AttestationError";
  /** What failed. */
  readonly code: AttestationErrorCode;

  constructor(code: AttestationErrorCode, shortMessage: string, parameters: BaseErrorParameters = {}) {
    super(`${code}: ${shortMessage}`, parameters);
    this.code = code;
  }
}
