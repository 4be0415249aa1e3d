import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, hexToBytes } from "./bytes.ts";
import {
  ATTESTATION_KEY_TYPE_ECDSA_P256,
  CERT_DATA_PCK_CHAIN,
  CERT_DATA_QE_REPORT,
  ENCLAVE_REPORT_BYTES,
  type EnclaveReport,
  INTEL_QE_VENDOR_ID,
  TD_REPORT_BYTES,
  type TdReport,
  TEE_TYPE_SGX,
  TEE_TYPE_TDX,
} from "./intelQuote.ts";

// Writes Intel quotes in the exact v4 (TDX) / v3 (SGX) layout that parseIntelQuote reads. Used by
// the Simulated TEE (development quotes signed by the development chain) and by tests that need
// quotes with chosen fields. Browser-safe.

/** Fields of an SGX enclave report (as `parseIntelQuote` returns them); omitted ones are zero. */
export type EnclaveReportFields = Partial<Omit<EnclaveReport, "raw">>;

/** Fields of a TD report (as `parseIntelQuote` returns them); omitted ones are zero. */
export type TdReportFields = Partial<Omit<TdReport, "raw" | "rtmrs"> & { rtmrs: readonly Uint8Array[] }>;

/** Parameters of {@link buildIntelQuote}. */
export type BuildIntelQuoteParameters = {
  body: { kind: "tdx"; report: TdReportFields } | { kind: "sgx"; report: EnclaveReportFields };
  /** The attestation key (P-256 private key, 32 bytes) that signs header ‖ body. */
  attestationKey: Uint8Array;
  /** The PCK private key that signs the QE report. */
  pckKey: Uint8Array;
  /** The PEM PCK chain to embed (leaf first). */
  pckChainPem: string;
  /** QE report fields; its report data is always set to the attestation-key binding. */
  qeReport?: EnclaveReportFields | undefined;
  qeAuthData?: Uint8Array | undefined;
  qeSvn?: number | undefined;
  pceSvn?: number | undefined;
};

class Writer {
  readonly parts: Uint8Array[] = [];
  bytes(b: Uint8Array | undefined, length: number): this {
    const out = new Uint8Array(length);
    if (b) {
      if (b.length !== length) throw new RangeError(`field of ${b.length} bytes, expected ${length}`);
      out.set(b);
    }
    this.parts.push(out);
    return this;
  }
  uint(value: number, length: 2 | 4): this {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = (value >>> (8 * i)) & 0xff;
    this.parts.push(out);
    return this;
  }
  done(): Uint8Array {
    return concatBytes(...this.parts);
  }
}

/** Serialises an SGX report (384 bytes). */
export function encodeEnclaveReport(f: EnclaveReportFields): Uint8Array {
  const out = new Writer()
    .bytes(f.cpuSvn, 16)
    .uint(f.miscSelect ?? 0, 4)
    .bytes(undefined, 28)
    .bytes(f.attributes, 16)
    .bytes(f.mrEnclave, 32)
    .bytes(undefined, 32)
    .bytes(f.mrSigner, 32)
    .bytes(undefined, 96)
    .uint(f.isvProdId ?? 0, 2)
    .uint(f.isvSvn ?? 0, 2)
    .bytes(undefined, 60)
    .bytes(f.reportData, 64)
    .done();
  if (out.length !== ENCLAVE_REPORT_BYTES) throw new Error("enclave report layout");
  return out;
}

/** Serialises a TD report (584 bytes). */
export function encodeTdReport(f: TdReportFields): Uint8Array {
  const w = new Writer()
    .bytes(f.teeTcbSvn, 16)
    .bytes(f.mrSeam, 48)
    .bytes(f.mrSignerSeam, 48)
    .bytes(f.seamAttributes, 8)
    .bytes(f.tdAttributes, 8)
    .bytes(f.xfam, 8)
    .bytes(f.mrTd, 48)
    .bytes(f.mrConfigId, 48)
    .bytes(f.mrOwner, 48)
    .bytes(f.mrOwnerConfig, 48);
  for (let i = 0; i < 4; i++) w.bytes(f.rtmrs?.[i], 48);
  const out = w.bytes(f.reportData, 64).done();
  if (out.length !== TD_REPORT_BYTES) throw new Error("TD report layout");
  return out;
}

/** ECDSA-P256 over SHA-256(message), r‖s (deterministic, RFC 6979). */
export function signP256(message: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return p256.sign(sha256(message), privateKey, { prehash: false });
}

/** Raw x‖y public key of a P-256 private key. */
export function p256PublicKeyXY(privateKey: Uint8Array): Uint8Array {
  return p256.getPublicKey(privateKey, false).subarray(1);
}

/**
 * Builds a signed quote: header, body, quote signature, attestation key, QE report (bound to the
 * attestation key, signed by the PCK key), QE auth data and the PEM chain.
 *
 * @example
 * const quote = buildIntelQuote({ body: { kind: "tdx", report: { reportData } }, attestationKey, pckKey, pckChainPem });
 */
export function buildIntelQuote(p: BuildIntelQuoteParameters): Uint8Array {
  const isTdx = p.body.kind === "tdx";
  const header = new Writer()
    .uint(isTdx ? 4 : 3, 2)
    .uint(ATTESTATION_KEY_TYPE_ECDSA_P256, 2)
    .uint(isTdx ? TEE_TYPE_TDX : TEE_TYPE_SGX, 4)
    .uint(p.qeSvn ?? 0, 2)
    .uint(p.pceSvn ?? 0, 2)
    .bytes(hexToBytes(INTEL_QE_VENDOR_ID), 16)
    .bytes(undefined, 20)
    .done();
  const body = p.body.kind === "tdx" ? encodeTdReport(p.body.report) : encodeEnclaveReport(p.body.report);
  const signedRegion = concatBytes(header, body);
  const attestationKeyXY = p256PublicKeyXY(p.attestationKey);
  const qeAuthData = p.qeAuthData ?? new Uint8Array(32).fill(0x5a);
  const qeReport = encodeEnclaveReport({
    ...p.qeReport,
    reportData: concatBytes(sha256(concatBytes(attestationKeyXY, qeAuthData)), new Uint8Array(32)),
  });
  const chain = new TextEncoder().encode(p.pckChainPem);
  const pckCertData = new Writer().uint(CERT_DATA_PCK_CHAIN, 2).uint(chain.length, 4).done();
  const qePart = concatBytes(
    qeReport,
    signP256(qeReport, p.pckKey),
    new Writer().uint(qeAuthData.length, 2).done(),
    qeAuthData,
    pckCertData,
    chain,
  );
  const certification = isTdx
    ? concatBytes(new Writer().uint(CERT_DATA_QE_REPORT, 2).uint(qePart.length, 4).done(), qePart)
    : qePart;
  const signatureData = concatBytes(
    signP256(signedRegion, p.attestationKey),
    attestationKeyXY,
    certification,
  );
  return concatBytes(signedRegion, new Writer().uint(signatureData.length, 4).done(), signatureData);
}
