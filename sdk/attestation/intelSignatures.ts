import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesEqual, concatBytes, isAllZero } from "./bytes.ts";
import { AttestationError } from "./errors.ts";
import type { IntelQuote } from "./intelQuote.ts";

// The three cryptographic links inside an Intel quote that need no certificates: attestation key →
// quote, PCK key → QE report, QE report → attestation key. Browser-safe (noble).

/** Verifies an ECDSA-P256 signature r‖s over SHA-256(message) with a raw x‖y key; false on any error. */
export function verifyP256(signature: Uint8Array, message: Uint8Array, publicKeyXY: Uint8Array): boolean {
  if (signature.length !== 64 || publicKeyXY.length !== 64) return false;
  try {
    // Intel's quoting enclaves do not normalise s, so high-s signatures are valid here (as for the
    // EIP-7951 precompile); replay is prevented by the report data, not by signature uniqueness.
    return p256.verify(signature, sha256(message), concatBytes(new Uint8Array([4]), publicKeyXY), {
      prehash: false,
      lowS: false,
    });
  } catch {
    return false;
  }
}

/** The quote signature by the attestation key over header ‖ body. */
export function checkQuoteSignature(quote: IntelQuote): void {
  if (!verifyP256(quote.quoteSignature, quote.signedRegion, quote.attestationKey)) {
    throw new AttestationError(
      "QuoteSignatureInvalid",
      "the attestation key's signature over the quote header and body does not verify",
    );
  }
}

/** The QE report signature by the PCK key (x‖y). */
export function checkQeReportSignature(quote: IntelQuote, pckKeyXY: Uint8Array): void {
  if (!verifyP256(quote.qeReportSignature, quote.qeReport.raw, pckKeyXY)) {
    throw new AttestationError(
      "QeReportSignatureInvalid",
      "the PCK key's signature over the QE report does not verify",
    );
  }
}

/** QE report data = SHA-256(attestation key ‖ QE auth data) ‖ 32 zero bytes. */
export function checkAttestationKeyBinding(quote: IntelQuote): void {
  const expected = sha256(concatBytes(quote.attestationKey, quote.qeAuthData));
  const reportData = quote.qeReport.reportData;
  if (!bytesEqual(reportData.subarray(0, 32), expected) || !isAllZero(reportData.subarray(32))) {
    throw new AttestationError(
      "AttestationKeyBindingInvalid",
      "the QE report data is not SHA-256(attestation key ‖ QE authentication data) followed by zeros",
    );
  }
}
