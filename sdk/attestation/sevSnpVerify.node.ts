import type { Hex } from "viem";
import { bytesEqual, isAllZero, toHex } from "./bytes.ts";
import { decodeOne, derInteger, Tag } from "./der.ts";
import { AttestationError, type AttestationErrorCode } from "./errors.ts";
import {
  checkSevSnpPolicy,
  parseSevSnpReport,
  SEV_SNP_TCB_COMPONENTS,
  type SevSnpReport,
  type SevSnpTcb,
  snpMeasurement,
  verifySevSnpReportSignature,
} from "./sevSnp.ts";
import { TcbStatus } from "./tcbStatus.ts";
import {
  type Certificate,
  ecPublicKeyXY,
  parseCertificate,
  pemCertificates,
  verifyCertificateChain,
} from "./x509.node.ts";

// Full SEV-SNP verification: the report (sevSnp.ts) plus the certificate chain that makes its
// signing key AMD's. node:crypto (through x509.node.ts) verifies the RSA-PSS signatures of the
// VCEK → ASK → ARK chain; the report's own P-384 signature is checked by the browser-safe code so
// both environments share one implementation of it.

/**
 * SHA-256 of the SubjectPublicKeyInfo of AMD's ARK-Milan root, lower-case hex. Computed from the
 * ARK-Milan certificate AMD publishes at https://kdsintf.amd.com/vcek/v1/Milan/cert_chain (the
 * second certificate of that bundle); the same ARK is the second certificate of the go-sev-guest
 * test vector `milan.testcer`. Pinning the key rather than the certificate survives a re-issue of
 * the root certificate with the same key.
 */
export const AMD_ARK_MILAN_SPKI_SHA256 = "9f056bee44377e29308cb5ffa895bdfb62d18881fa6bed8d6f075b0204089cb9";

/** VCEK certificate extensions (AMD VCEK certificate specification, document 57230). */
const VCEK_TCB_OIDS: Record<keyof SevSnpTcb, string> = {
  bootloader: "1.3.6.1.4.1.3704.1.3.1",
  tee: "1.3.6.1.4.1.3704.1.3.2",
  snp: "1.3.6.1.4.1.3704.1.3.3",
  microcode: "1.3.6.1.4.1.3704.1.3.8",
};
const VCEK_HWID_OID = "1.3.6.1.4.1.3704.1.4";
const VCEK_PRODUCT_NAME_OID = "1.3.6.1.4.1.3704.1.2";
const IA5_STRING_TAG = 0x16;

/** Options of {@link verifySevSnpAttestation}. */
export type SevSnpVerifyOptions = {
  /** The VCEK certificate (DER) of the chip and reported TCB, as AMD's KDS or the host's auxblob gives it. */
  vcek: Uint8Array;
  /** PEM bundle holding the ASK then the ARK (AMD KDS `cert_chain`), as text or bytes. */
  chain: Uint8Array | string;
  /** The validation time: every certificate must be valid at it. */
  at: Date;
  /** Accepted ARKs, as SHA-256 of their SubjectPublicKeyInfo (hex). Default: ARK-Milan only. */
  pinnedArks?: readonly string[] | undefined;
  /** The report data the guest must have bound (64 bytes, or 32 followed by zeros); bytes or 0x-hex. */
  expectedReportData?: Uint8Array | Hex | undefined;
  /** Lowest acceptable reported TCB, component by component. */
  minimumTcb?: SevSnpTcb | undefined;
  /** Accept a guest launched with the DEBUG policy bit (default false). Development only. */
  allowDebug?: boolean | undefined;
};

/** What a verified SEV-SNP report establishes. */
export type SevSnpVerification = {
  report: SevSnpReport;
  /** `keccak256(MEASUREMENT)`, the registry's measurement id. */
  measurement: Hex;
  /** The 64 report-data bytes, 0x-hex. */
  reportData: Hex;
  /** The reported TCB, equal to the VCEK's. */
  reportedTcb: SevSnpTcb;
  /**
   * Always `UpToDate`: SEV-SNP has no TCB-info collateral to grade against, so the only TCB
   * judgement is `minimumTcb`, which has passed. Reported on the Intel scale for the on-chain statement.
   */
  tcbStatus: TcbStatus;
  vcek: {
    commonName: string;
    /** The VCEK's product-name extension (e.g. "Milan-B0"), when present and readable. */
    productName: string | undefined;
    notAfter: Date;
  };
  /** SHA-256 of the ARK's SubjectPublicKeyInfo (the pin that matched). */
  arkSpkiSha256: string;
  /** The earliest expiry in the chain: a statement derived from this report should not outlive it. */
  validUntil: Date;
};

/**
 * Verifies an SEV-SNP attestation report end to end: structure; the VCEK → ASK → ARK chain at
 * `at` with the ARK pinned; the report signature with the VCEK key; the VCEK's TCB extensions
 * equal to the reported TCB and its hwID equal to the chip id (unless the guest masked the chip
 * id); then the guest policy ({@link checkSevSnpPolicy}). Authenticity is established before any
 * policy check, so a policy error always describes a genuine report.
 *
 * Fails closed: every failure is an AttestationError, including unexpected ones from node:crypto.
 *
 * @throws AttestationError with the code of the first failed check (e.g. `ReportSignatureInvalid`,
 * `CertificateChainInvalid`, `UntrustedRoot`, `CertificateExpired`, `TcbTooLow`, `DebugEnclave`,
 * `ReportDataMismatch`).
 *
 * @example
 * const { measurement } = verifySevSnpAttestation(report, { vcek, chain: askArkPem, at: new Date(), expectedReportData: binding });
 */
export function verifySevSnpAttestation(
  reportBytes: Uint8Array,
  options: SevSnpVerifyOptions,
): SevSnpVerification {
  try {
    return verify(reportBytes, options);
  } catch (cause) {
    if (cause instanceof AttestationError) throw cause;
    throw new AttestationError("Malformed", "SEV-SNP verification failed on unexpected input", { cause });
  }
}

function verify(reportBytes: Uint8Array, options: SevSnpVerifyOptions): SevSnpVerification {
  const { at } = options;
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new AttestationError("Malformed", "SEV-SNP verification: the validation time is not a valid Date");
  }
  const report = parseSevSnpReport(reportBytes);

  const vcek = guard("Malformed", "VCEK certificate", () =>
    parseCertificate(options.vcek, "VCEK certificate"),
  );
  const issuers = guard("Malformed", "AMD certificate chain", () =>
    pemCertificates(options.chain, "AMD certificate chain").map((der, i) =>
      parseCertificate(
        der,
        i === 0 ? "ASK certificate" : i === 1 ? "ARK certificate" : `AMD certificate ${i}`,
      ),
    ),
  );
  const chain: Certificate[] = [vcek, ...issuers];
  const pinnedRoots = (options.pinnedArks ?? [AMD_ARK_MILAN_SPKI_SHA256]).map((pin) => pin.toLowerCase());
  guard("CertificateChainInvalid", "VCEK chain", () =>
    verifyCertificateChain(chain, { at, pinnedRoots, label: "VCEK chain" }),
  );

  const vcekKey = guard("Unsupported", "VCEK public key", () => ecPublicKeyXY(vcek));
  if (vcekKey.length !== 96) {
    throw new AttestationError("Unsupported", `VCEK "${vcek.commonName}" does not hold a P-384 key`);
  }
  verifySevSnpReportSignature(report, vcekKey);

  // The VCEK is derived from the chip's secret and the TCB, so it certifies exactly one
  // (chip, TCB) pair: a report whose reported TCB or chip id differs from the certificate's is
  // either forged or paired with the wrong certificate.
  const vcekTcb = vcekTcbOf(vcek);
  for (const component of SEV_SNP_TCB_COMPONENTS) {
    if (vcekTcb[component] !== report.reportedTcb[component]) {
      throw new AttestationError("TcbTooLow", `SEV-SNP reported TCB disagrees with VCEK: ${component}`, {
        details: `report ${report.reportedTcb[component]}, VCEK ${vcekTcb[component]}`,
      });
    }
  }
  // An all-zero chip id means the guest asked the firmware to mask it (MASK_CHIP_ID); the
  // signature still binds the report to this VCEK, so only the comparison is skipped.
  if (!isAllZero(report.chipId)) {
    const hwId = vcek.extensions.get(VCEK_HWID_OID);
    if (hwId === undefined) throw new AttestationError("Malformed", "VCEK certificate: no hwID extension");
    // AMD stores the 64 chip-id bytes directly as the extension value, without an inner
    // OCTET STRING (checked on the go-sev-guest vector), so compare the bytes as they are.
    if (hwId.length !== report.chipId.length) {
      throw new AttestationError(
        "Malformed",
        `VCEK hwID: ${hwId.length} bytes, expected ${report.chipId.length}`,
      );
    }
    if (!bytesEqual(hwId, report.chipId)) {
      throw new AttestationError(
        "CertificateChainInvalid",
        "VCEK was issued for another chip (hwID is not the report's chip id)",
      );
    }
  }

  checkSevSnpPolicy(report, {
    allowDebug: options.allowDebug,
    minimumTcb: options.minimumTcb,
    expectedReportData: options.expectedReportData,
  });

  const ark = chain[chain.length - 1] as Certificate;
  return {
    report,
    measurement: snpMeasurement(report),
    reportData: `0x${toHex(report.reportData)}`,
    reportedTcb: report.reportedTcb,
    tcbStatus: TcbStatus.UpToDate,
    vcek: { commonName: vcek.commonName, productName: productNameOf(vcek), notAfter: vcek.notAfter },
    arkSpkiSha256: ark.spkiSha256,
    validUntil: new Date(Math.min(...chain.map((c) => c.notAfter.getTime()))),
  };
}

/** The VCEK's TCB extensions; each is a DER INTEGER holding one byte-sized SVN. */
function vcekTcbOf(vcek: Certificate): SevSnpTcb {
  const read = (component: keyof SevSnpTcb): number => {
    const oid = VCEK_TCB_OIDS[component];
    const value = vcek.extensions.get(oid);
    const what = `VCEK ${component} SVN (${oid})`;
    if (value === undefined) throw new AttestationError("Malformed", `${what}: missing`);
    const svn = derInteger(decodeOne(value, Tag.Integer, what), what);
    if (svn > 255n) throw new AttestationError("Malformed", `${what}: ${svn} does not fit in a byte`);
    return Number(svn);
  };
  return { bootloader: read("bootloader"), tee: read("tee"), snp: read("snp"), microcode: read("microcode") };
}

/** Informational only, so an unreadable product name is reported as absent rather than failing. */
function productNameOf(vcek: Certificate): string | undefined {
  const value = vcek.extensions.get(VCEK_PRODUCT_NAME_OID);
  if (value === undefined) return undefined;
  try {
    return new TextDecoder().decode(decodeOne(value, IA5_STRING_TAG, "VCEK product name").value);
  } catch {
    return undefined;
  }
}

/** Runs `fn`, turning anything but an AttestationError (e.g. from node:crypto) into `code`. */
function guard<T>(code: AttestationErrorCode, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof AttestationError) throw cause;
    throw new AttestationError(code, `${what}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}
