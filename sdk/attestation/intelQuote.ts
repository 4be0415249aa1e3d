import { ByteReader, concatBytes, toHex } from "./bytes.ts";
import { AttestationError } from "./errors.ts";

// Parser of Intel DCAP quotes: TDX quote v4 and SGX quote v3 share the header, the ECDSA quote
// signature and the QE report; they differ in the body (TD report vs enclave report) and in how the
// QE report is wrapped. Layout: Intel "TDX DCAP Quoting Library API" (quote v4, appendix A) and
// "SGX ECDSA Quote Library API" (quote v3). Browser-safe: no node: imports.

/** Larger inputs are rejected outright (real quotes with their PEM chain are about 5 KB). */
export const MAX_QUOTE_BYTES = 64 * 1024;
export const QUOTE_HEADER_BYTES = 48;
export const TD_REPORT_BYTES = 584;
export const ENCLAVE_REPORT_BYTES = 384;
/** Attestation key type 2: ECDSA-256 with P-256. */
export const ATTESTATION_KEY_TYPE_ECDSA_P256 = 2;
export const TEE_TYPE_SGX = 0x00;
export const TEE_TYPE_TDX = 0x81;
/** Intel's QE vendor id (939A7233-F79C-4CA9-940A-0DB3957F0607). */
export const INTEL_QE_VENDOR_ID = "939a7233f79c4ca9940a0db3957f0607";
/** Certification data types used inside the signature data. */
export const CERT_DATA_PCK_CHAIN = 5;
export const CERT_DATA_QE_REPORT = 6;

/** The 48-byte quote header. */
export type QuoteHeader = {
  version: number;
  attestationKeyType: number;
  teeType: number;
  qeSvn: number;
  pceSvn: number;
  qeVendorId: Uint8Array;
  userData: Uint8Array;
};

/** An SGX enclave report (the SGX quote body and every QE report). */
export type EnclaveReport = {
  cpuSvn: Uint8Array;
  miscSelect: number;
  attributes: Uint8Array;
  mrEnclave: Uint8Array;
  mrSigner: Uint8Array;
  isvProdId: number;
  isvSvn: number;
  reportData: Uint8Array;
  /** The 384 raw bytes (what the QE report signature covers). */
  raw: Uint8Array;
};

/** A TDX 1.0 TD report (the TDX quote v4 body). */
export type TdReport = {
  teeTcbSvn: Uint8Array;
  mrSeam: Uint8Array;
  mrSignerSeam: Uint8Array;
  seamAttributes: Uint8Array;
  tdAttributes: Uint8Array;
  xfam: Uint8Array;
  mrTd: Uint8Array;
  mrConfigId: Uint8Array;
  mrOwner: Uint8Array;
  mrOwnerConfig: Uint8Array;
  rtmrs: [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  reportData: Uint8Array;
  raw: Uint8Array;
};

/** A parsed quote. `signedRegion` is header ‖ body, what the attestation key signs. */
export type IntelQuote = {
  header: QuoteHeader;
  body: { kind: "tdx"; report: TdReport } | { kind: "sgx"; report: EnclaveReport };
  signedRegion: Uint8Array;
  /** ECDSA-P256 signature r‖s (64 bytes, big-endian) by the attestation key. */
  quoteSignature: Uint8Array;
  /** The attestation public key x‖y (64 bytes). */
  attestationKey: Uint8Array;
  qeReport: EnclaveReport;
  /** ECDSA-P256 signature r‖s over the QE report, by the PCK key. */
  qeReportSignature: Uint8Array;
  qeAuthData: Uint8Array;
  /** The PEM PCK certificate chain (certification data type 5). */
  pckChainPem: Uint8Array;
  /** Byte offset where the QE authentication data ends: a quote cut there still verifies on-chain. */
  qeAuthDataEnd: number;
  /** Bytes after the declared signature data (padding; ignored). */
  trailingBytes: number;
};

/** Parses the 384-byte SGX report structure. */
export function parseEnclaveReport(r: ByteReader, what: string): EnclaveReport {
  const start = r.offset;
  const cpuSvn = r.take(16, `${what}.cpuSvn`);
  const miscSelect = r.u32(`${what}.miscSelect`);
  r.take(28, `${what}.reserved1`);
  const attributes = r.take(16, `${what}.attributes`);
  const mrEnclave = r.take(32, `${what}.mrEnclave`);
  r.take(32, `${what}.reserved2`);
  const mrSigner = r.take(32, `${what}.mrSigner`);
  r.take(96, `${what}.reserved3`);
  const isvProdId = r.u16(`${what}.isvProdId`);
  const isvSvn = r.u16(`${what}.isvSvn`);
  r.take(60, `${what}.reserved4`);
  const reportData = r.take(64, `${what}.reportData`);
  return {
    cpuSvn,
    miscSelect,
    attributes,
    mrEnclave,
    mrSigner,
    isvProdId,
    isvSvn,
    reportData,
    raw: r.bytes.subarray(start, r.offset),
  };
}

function parseTdReport(r: ByteReader): TdReport {
  const start = r.offset;
  const f = (n: number, name: string) => r.take(n, `tdReport.${name}`);
  const report = {
    teeTcbSvn: f(16, "teeTcbSvn"),
    mrSeam: f(48, "mrSeam"),
    mrSignerSeam: f(48, "mrSignerSeam"),
    seamAttributes: f(8, "seamAttributes"),
    tdAttributes: f(8, "tdAttributes"),
    xfam: f(8, "xfam"),
    mrTd: f(48, "mrTd"),
    mrConfigId: f(48, "mrConfigId"),
    mrOwner: f(48, "mrOwner"),
    mrOwnerConfig: f(48, "mrOwnerConfig"),
    rtmrs: [f(48, "rtmr0"), f(48, "rtmr1"), f(48, "rtmr2"), f(48, "rtmr3")] as TdReport["rtmrs"],
    reportData: f(64, "reportData"),
  };
  return { ...report, raw: r.bytes.subarray(start, r.offset) };
}

/**
 * Parses a TDX quote v4 or an SGX quote v3 (ECDSA-P256 attestation key). Checks structure only;
 * signatures and certificates are checked by the verifiers. Throws AttestationError (Truncated,
 * Oversized, Malformed, Unsupported) and nothing else.
 *
 * @example
 * const quote = parseIntelQuote(readFileSync("quote.dat"));
 * quote.body.kind; // "tdx"
 */
export function parseIntelQuote(bytes: Uint8Array): IntelQuote {
  if (!(bytes instanceof Uint8Array)) throw new AttestationError("Malformed", "quote must be a Uint8Array");
  if (bytes.length > MAX_QUOTE_BYTES) {
    throw new AttestationError("Oversized", `quote of ${bytes.length} bytes exceeds ${MAX_QUOTE_BYTES}`);
  }
  const r = new ByteReader(bytes);
  const header: QuoteHeader = {
    version: r.u16("header.version"),
    attestationKeyType: r.u16("header.attestationKeyType"),
    teeType: r.u32("header.teeType"),
    qeSvn: r.u16("header.qeSvn"),
    pceSvn: r.u16("header.pceSvn"),
    qeVendorId: r.take(16, "header.qeVendorId"),
    userData: r.take(20, "header.userData"),
  };
  const isTdx = header.version === 4 && header.teeType === TEE_TYPE_TDX;
  const isSgx = header.version === 3 && header.teeType === TEE_TYPE_SGX;
  if (!isTdx && !isSgx) {
    throw new AttestationError(
      "Unsupported",
      `quote version ${header.version} with TEE type 0x${header.teeType.toString(16)} (supported: TDX v4 0x81, SGX v3 0x0)`,
    );
  }
  if (header.attestationKeyType !== ATTESTATION_KEY_TYPE_ECDSA_P256) {
    throw new AttestationError(
      "Unsupported",
      `attestation key type ${header.attestationKeyType} (supported: 2, ECDSA-P256)`,
    );
  }
  const body: IntelQuote["body"] = isTdx
    ? { kind: "tdx", report: parseTdReport(r) }
    : { kind: "sgx", report: parseEnclaveReport(r, "enclaveReport") };
  const signedRegion = bytes.subarray(0, r.offset);
  // Bytes after the declared signature data are outside every signature; quote buffers are often
  // padded. They are ignored and counted (`trailingBytes`), never interpreted.
  const sig = r.sub(r.u32("signatureDataLength"), "signatureData");
  const trailingBytes = r.remaining;
  const quoteSignature = sig.take(64, "quoteSignature");
  const attestationKey = sig.take(64, "attestationKey");
  let qe: ByteReader = sig;
  if (isTdx) {
    const type = sig.u16("certificationData.type");
    if (type !== CERT_DATA_QE_REPORT) {
      throw new AttestationError(
        "Unsupported",
        `certification data type ${type} (a v4 quote needs type 6, QE report)`,
      );
    }
    qe = sig.sub(sig.u32("certificationData.size"), "certificationData");
  }
  const qeReport = parseEnclaveReport(qe, "qeReport");
  const qeReportSignature = qe.take(64, "qeReportSignature");
  const qeAuthData = qe.take(qe.u16("qeAuthData.size"), "qeAuthData");
  const qeAuthDataEnd = qe.offset;
  const chainType = qe.u16("pckCertificationData.type");
  if (chainType !== CERT_DATA_PCK_CHAIN) {
    throw new AttestationError(
      "Unsupported",
      `PCK certification data type ${chainType} (supported: 5, PEM chain)`,
    );
  }
  const pckChainPem = qe.take(qe.u32("pckCertificationData.size"), "pckCertificationData");
  if (qe.remaining !== 0 || sig.remaining !== 0) {
    throw new AttestationError(
      "Malformed",
      `${qe.remaining || sig.remaining} unexpected bytes inside the signature data`,
    );
  }
  return {
    header,
    body,
    signedRegion,
    quoteSignature,
    attestationKey,
    qeReport,
    qeReportSignature,
    qeAuthData,
    pckChainPem,
    qeAuthDataEnd,
    trailingBytes,
  };
}

/** The report data of the quote's body (64 bytes). */
export function quoteReportData(quote: IntelQuote): Uint8Array {
  return quote.body.report.reportData;
}

/** Whether the enclave / TD runs in debug mode (TD attributes bit 0 "DEBUG"; SGX attributes bit 1). */
export function isDebugQuote(quote: IntelQuote): boolean {
  const attributes =
    quote.body.kind === "tdx" ? quote.body.report.tdAttributes : quote.body.report.attributes;
  const mask = quote.body.kind === "tdx" ? 0x01 : 0x02;
  return ((attributes[0] as number) & mask) !== 0;
}

/** Hex of a QE vendor id, for comparison with {@link INTEL_QE_VENDOR_ID}. */
export function qeVendorIdHex(header: QuoteHeader): string {
  return toHex(header.qeVendorId);
}

/** The quote cut right after the QE authentication data (what the on-chain verifier reads). */
export function toOnChainQuote(quote: IntelQuote, bytes: Uint8Array): Uint8Array {
  return concatBytes(bytes.subarray(0, quote.qeAuthDataEnd));
}

/** MRSIGNER of Intel's TD quoting enclave (QE identity "TD_QE", Intel PCS). */
export const INTEL_TD_QE_MRSIGNER = "0xdc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5";
/** MRSIGNER of Intel's SGX quoting enclave (QE identity "QE", Intel PCS). */
export const INTEL_SGX_QE_MRSIGNER = "0x8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff";
