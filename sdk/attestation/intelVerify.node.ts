import type { Hex } from "viem";
import { bytesEqual, toHex } from "./bytes.ts";
import { children, derInteger, derOid, expectTag, Tag } from "./der.ts";
import { AttestationError } from "./errors.ts";
import {
  checkCollateralWindow,
  type EnclaveIdentity,
  evaluateQeIdentity,
  evaluateTcbInfo,
  type PlatformTcb,
  parseSignedCollateral,
  type SignedCollateral,
  type TcbInfo,
} from "./intelCollateral.ts";
import { INTEL_QE_VENDOR_ID, type IntelQuote, isDebugQuote, parseIntelQuote } from "./intelQuote.ts";
import {
  checkAttestationKeyBinding,
  checkQeReportSignature,
  checkQuoteSignature,
  verifyP256,
} from "./intelSignatures.ts";
import { intelQuoteMeasurement } from "./measurement.ts";
import { type TcbStatus, TcbStatus as TcbStatuses, type TcbStatusName, worseTcbStatus } from "./tcbStatus.ts";
import {
  type Certificate,
  type Crl,
  ecPublicKeyXY,
  oidValuePairs,
  parseCertificate,
  parseCrl,
  pemCertificates,
  verifyCertificateChain,
} from "./x509.node.ts";

/**
 * SHA-256 of the Intel SGX Root CA's SubjectPublicKeyInfo (the root of every PCK chain; certificate
 * "Intel SGX Root CA", valid 2018-05-21 to 2049-12-31, published by Intel at
 * certificates.trustedservices.intel.com/Intel_SGX_Provisioning_Certification_RootCA.pem).
 */
export const INTEL_SGX_ROOT_CA_SPKI_SHA256 =
  "a0af031289f5d5d4132f9186068a7fc13628633ba235777472e29b6b6c67a49e";

/**
 * SHA-256 of the development root's public key (`devCertificateChain().root`, keys derived from
 * public labels): pin it only in development configurations. A constant, so importing the verifier
 * does not build the chain; a test checks it against the chain.
 */
export const DEV_ROOT_CA_SPKI_SHA256 = "e82e25c144ce8ec9cf941e65a9ff1bd660e562107a41046d8b515b080a3843c6";

/** Options of {@link verifyIntelQuote}. */
export type IntelVerifyOptions = {
  /** Validation time for certificates and collateral (real collateral expires; tests pick a time). */
  at: Date;
  /** Accepted roots (SPKI SHA-256). Default: Intel's root only, so development quotes are refused. */
  pinnedRoots?: readonly string[] | undefined;
  /** The 64 bytes the quote's report data must equal (the job binding ‖ zeros). */
  expectedReportData?: Uint8Array | undefined;
  /** Revocation lists (DER or PEM): the PCK CRL (from the Platform/Processor CA) and the root CA CRL. */
  crls?: readonly Uint8Array[] | undefined;
  /** Intel PCS collateral, as the JSON response bodies. */
  tcbInfo?: string | Uint8Array | undefined;
  qeIdentity?: string | Uint8Array | undefined;
  /** PEM chain of the TCB-info/QE-identity signing certificate (Intel sends it in an HTTP header). */
  collateralSigningChain?: string | undefined;
  /** Statuses the policy accepts when collateral is given. Default: UpToDate and SWHardeningNeeded. */
  acceptedTcbStatuses?: readonly TcbStatusName[] | undefined;
  /** Accept debug enclaves (never in production: their memory is readable by the host). */
  allowDebug?: boolean | undefined;
};

/** The PCK certificate's SGX extension fields. */
export type PckInfo = PlatformTcb & { commonName: string; publicKey: Uint8Array; notAfter: Date };

/** What a verified quote attests. */
export type IntelVerification = {
  quote: IntelQuote;
  kind: "tdx" | "sgx";
  measurement: Hex;
  reportData: Uint8Array;
  pck: PckInfo;
  /** Present when TCB info and/or QE identity were given. */
  tcb?:
    | {
        status: TcbStatus;
        platformStatus?: TcbStatus | undefined;
        qeStatus?: TcbStatus | undefined;
        advisoryIds: string[];
        /** "verified" when the collateral signing chain was given, else "unchecked". */
        collateralSignatures: "verified" | "unchecked";
      }
    | undefined;
};

const SGX_EXT = "1.2.840.113741.1.13.1";

/** Reads FMSPC, PCE id, TCB component SVNs and PCE SVN from a PCK certificate. */
export function pckInfo(cert: Certificate): PckInfo {
  const ext = cert.extensions.get(SGX_EXT);
  if (!ext)
    throw new AttestationError("Malformed", `PCK certificate "${cert.commonName}" has no SGX extension`);
  const fields = oidValuePairs(ext, "PCK SGX extension");
  const octets = (suffix: string, length: number) => {
    const v = expectTag(
      fields.get(`${SGX_EXT}.${suffix}`),
      Tag.OctetString,
      `PCK SGX extension .${suffix}`,
    ).value;
    if (v.length !== length)
      throw new AttestationError("Malformed", `PCK SGX extension .${suffix}: ${v.length} bytes`);
    return v;
  };
  const tcb = new Map<string, bigint>();
  for (const item of children(expectTag(fields.get(`${SGX_EXT}.2`), Tag.Sequence, "PCK TCB"), "PCK TCB")) {
    const [oid, value] = children(expectTag(item, Tag.Sequence, "PCK TCB component"), "PCK TCB component");
    if (value?.tag === Tag.Integer)
      tcb.set(derOid(oid, "PCK TCB component"), derInteger(value, "PCK TCB component"));
  }
  // Components .2.1 … .2.16 are the SGX TCB SVNs, .2.17 the PCE SVN.
  const svn = (n: number) => {
    const v = tcb.get(`${SGX_EXT}.2.${n}`);
    if (v === undefined || v > 0xffffn)
      throw new AttestationError("Malformed", `PCK TCB component ${n} missing or out of range`);
    return Number(v);
  };
  return {
    commonName: cert.commonName,
    publicKey: ecPublicKeyXY(cert),
    notAfter: cert.notAfter,
    fmspc: octets("4", 6),
    pceId: octets("3", 2),
    sgxTcbComponents: Array.from({ length: 16 }, (_, i) => svn(i + 1)),
    pceSvn: svn(17),
  };
}

function verifyCollateralSignature(
  doc: SignedCollateral<unknown>,
  chainPem: string,
  options: IntelVerifyOptions,
): void {
  const chain = pemCertificates(chainPem, `${doc.label} signing chain`).map((d, i) =>
    parseCertificate(d, `${doc.label} signing certificate ${i}`),
  );
  verifyCertificateChain(chain, {
    at: options.at,
    pinnedRoots: options.pinnedRoots ?? [INTEL_SGX_ROOT_CA_SPKI_SHA256],
    label: `${doc.label} signing chain`,
  });
  if (!verifyP256(doc.signature, doc.signedBytes, ecPublicKeyXY(chain[0] as Certificate))) {
    throw new AttestationError(
      "CollateralInvalid",
      `${doc.label}: signature does not verify with "${(chain[0] as Certificate).commonName}"`,
    );
  }
}

/**
 * Verifies an Intel TDX v4 or SGX v3 quote end to end: structure, quote signature, PCK chain to a
 * pinned root (and CRLs), QE report signature and attestation-key binding, collateral (TCB info,
 * QE identity) when given, debug mode, and the report data. Throws AttestationError with the code
 * of the first failing check; returns what the quote attests otherwise.
 *
 * @example
 * const v = verifyIntelQuote(quote, { at: new Date(), expectedReportData });
 * v.measurement; // allow-list key
 */
export function verifyIntelQuote(bytes: Uint8Array, options: IntelVerifyOptions): IntelVerification {
  try {
    return verify(bytes, options);
  } catch (cause) {
    // The contract of this function is "AttestationError or a result": anything else that escapes a
    // library (node:crypto, JSON) on hostile input is reported as malformed evidence, cause attached.
    if (cause instanceof AttestationError) throw cause;
    throw new AttestationError("Malformed", "Intel quote verification failed on unexpected input", { cause });
  }
}

function verify(bytes: Uint8Array, options: IntelVerifyOptions): IntelVerification {
  if (!(options.at instanceof Date) || Number.isNaN(options.at.getTime())) {
    throw new AttestationError("Malformed", "the validation time is not a valid Date");
  }
  const quote = parseIntelQuote(bytes);
  if (toHex(quote.header.qeVendorId) !== INTEL_QE_VENDOR_ID) {
    throw new AttestationError(
      "Unsupported",
      `QE vendor id ${toHex(quote.header.qeVendorId)} is not Intel's`,
    );
  }
  checkQuoteSignature(quote);
  const chain = pemCertificates(quote.pckChainPem, "PCK chain").map((d, i) =>
    parseCertificate(d, `PCK chain certificate ${i}`),
  );
  const crls: Crl[] = (options.crls ?? []).map((c, i) => parseCrl(c, `CRL ${i}`));
  verifyCertificateChain(chain, {
    at: options.at,
    pinnedRoots: options.pinnedRoots ?? [INTEL_SGX_ROOT_CA_SPKI_SHA256],
    crls,
    label: "PCK chain",
  });
  const pck = pckInfo(chain[0] as Certificate);
  checkQeReportSignature(quote, pck.publicKey);
  checkAttestationKeyBinding(quote);

  let tcb: IntelVerification["tcb"];
  if (options.tcbInfo !== undefined || options.qeIdentity !== undefined) {
    let platformStatus: TcbStatus | undefined;
    let qeStatus: TcbStatus | undefined;
    let advisoryIds: string[] = [];
    const signingChain = options.collateralSigningChain;
    if (options.tcbInfo !== undefined) {
      const doc = parseSignedCollateral<TcbInfo>(options.tcbInfo, "tcbInfo");
      if (signingChain) verifyCollateralSignature(doc, signingChain, options);
      checkCollateralWindow(doc.body, options.at, doc.label);
      const report = quote.body.report;
      const evaluated = evaluateTcbInfo(doc.body, {
        ...pck,
        tdx:
          quote.body.kind === "tdx" && "teeTcbSvn" in report
            ? {
                teeTcbSvn: report.teeTcbSvn,
                mrSignerSeam: report.mrSignerSeam,
                seamAttributes: report.seamAttributes,
              }
            : undefined,
      });
      platformStatus = evaluated.status;
      advisoryIds = evaluated.advisoryIds;
    }
    if (options.qeIdentity !== undefined) {
      const doc = parseSignedCollateral<EnclaveIdentity>(options.qeIdentity, "enclaveIdentity");
      if (signingChain) verifyCollateralSignature(doc, signingChain, options);
      checkCollateralWindow(doc.body, options.at, doc.label);
      qeStatus = evaluateQeIdentity(doc.body, quote.qeReport, quote.body.kind === "tdx" ? "TD_QE" : "QE");
    }
    const status = worseTcbStatus(platformStatus ?? TcbStatuses.UpToDate, qeStatus ?? TcbStatuses.UpToDate);
    const accepted = (options.acceptedTcbStatuses ?? ["UpToDate", "SWHardeningNeeded"]).map(
      (n) => TcbStatuses[n],
    );
    if (!accepted.includes(status)) {
      const name = Object.entries(TcbStatuses).find(([, v]) => v === status)?.[0];
      throw new AttestationError("TcbStatusRejected", `TCB status ${name} is not accepted by the policy`, {
        details: advisoryIds.length ? `advisories: ${advisoryIds.join(", ")}` : undefined,
      });
    }
    tcb = {
      status,
      platformStatus,
      qeStatus,
      advisoryIds,
      collateralSignatures: signingChain ? "verified" : "unchecked",
    };
  }

  if (isDebugQuote(quote) && !options.allowDebug) {
    throw new AttestationError(
      "DebugEnclave",
      `the ${quote.body.kind === "tdx" ? "TD" : "enclave"} runs in debug mode`,
    );
  }
  const reportData = quote.body.report.reportData;
  if (options.expectedReportData !== undefined && !bytesEqual(reportData, options.expectedReportData)) {
    throw new AttestationError(
      "ReportDataMismatch",
      "the quote's report data is not the expected job binding",
      {
        details: `quote has ${toHex(reportData)}, expected ${toHex(options.expectedReportData)}`,
      },
    );
  }
  return { quote, kind: quote.body.kind, measurement: intelQuoteMeasurement(quote), reportData, pck, tcb };
}
