import { bytesEqual, hexToBytes, toHex } from "./bytes.ts";
import { AttestationError } from "./errors.ts";
import type { EnclaveReport } from "./intelQuote.ts";
import { type TcbStatus, tcbStatusFromName } from "./tcbStatus.ts";

// Intel PCS collateral: TCB info (platform TCB levels for one FMSPC) and QE identity (the quoting
// enclave's identity and TCB levels). Formats: Intel "PCS API v4" (TCB info v3, enclave identity
// v2). The signature of each covers the exact bytes of its inner JSON object, so the raw text is
// kept next to the parsed value. Browser-safe.

/** A signed collateral document: the parsed inner object, its raw bytes and the signature. */
export type SignedCollateral<T> = { body: T; signedBytes: Uint8Array; signature: Uint8Array; label: string };

type Svn = { svn: number };
/** One TCB level of a TCB info document. */
export type TcbLevel = {
  tcb: { sgxtcbcomponents: Svn[]; pcesvn: number; tdxtcbcomponents?: Svn[] | undefined };
  tcbDate: string;
  tcbStatus: string;
  advisoryIDs?: string[] | undefined;
};
/** The TCB info object (v2/v3). */
export type TcbInfo = {
  id?: string | undefined;
  version: number;
  issueDate: string;
  nextUpdate: string;
  fmspc: string;
  pceId: string;
  tdxModule?: { mrsigner: string; attributes: string; attributesMask: string } | undefined;
  tdxModuleIdentities?: unknown[] | undefined;
  tcbLevels: TcbLevel[];
};
/** The enclave (QE) identity object (v2). */
export type EnclaveIdentity = {
  id: string;
  version: number;
  issueDate: string;
  nextUpdate: string;
  miscselect: string;
  miscselectMask: string;
  attributes: string;
  attributesMask: string;
  mrsigner: string;
  isvprodid: number;
  tcbLevels: { tcb: { isvsvn: number }; tcbDate: string; tcbStatus: string }[];
};

/** Splits `{"<key>":{...},"signature":"<hex>"}` into the signed object bytes and the signature. */
export function parseSignedCollateral<T>(
  input: string | Uint8Array,
  key: "tcbInfo" | "enclaveIdentity",
): SignedCollateral<T> {
  const text = typeof input === "string" ? input : new TextDecoder().decode(input);
  const label = key === "tcbInfo" ? "TCB info" : "QE identity";
  if (text.length > 256 * 1024)
    throw new AttestationError("Oversized", `${label}: ${text.length} characters`);
  const prefix = `{"${key}":`;
  const m = text.trim().match(/,"signature":"([0-9a-fA-F]{128})"\}$/);
  if (!text.trimStart().startsWith(prefix) || !m) {
    throw new AttestationError(
      "Malformed",
      `${label}: expected {"${key}":{...},"signature":"<128 hex digits>"}`,
    );
  }
  const trimmed = text.trim();
  const inner = trimmed.slice(prefix.length, trimmed.length - m[0].length);
  let body: T;
  try {
    body = JSON.parse(inner) as T;
  } catch (cause) {
    throw new AttestationError("Malformed", `${label}: not JSON`, { cause });
  }
  if (typeof body !== "object" || body === null)
    throw new AttestationError("Malformed", `${label}: not an object`);
  return { body, signedBytes: new TextEncoder().encode(inner), signature: hexToBytes(m[1] as string), label };
}

/** Throws CollateralExpired unless issueDate ≤ at ≤ nextUpdate. */
export function checkCollateralWindow(
  doc: { issueDate: string; nextUpdate: string },
  at: Date,
  label: string,
): void {
  const issued = Date.parse(doc.issueDate);
  const next = Date.parse(doc.nextUpdate);
  if (Number.isNaN(issued) || Number.isNaN(next))
    throw new AttestationError("Malformed", `${label}: bad issueDate/nextUpdate`);
  if (at.getTime() < issued || at.getTime() > next) {
    throw new AttestationError("CollateralExpired", `${label}: not current at ${at.toISOString()}`, {
      details: `issued ${doc.issueDate}, next update ${doc.nextUpdate}`,
    });
  }
}

function status(name: unknown, label: string): TcbStatus {
  const s = typeof name === "string" ? tcbStatusFromName(name) : undefined;
  if (s === undefined)
    throw new AttestationError("Malformed", `${label}: unknown TCB status ${JSON.stringify(name)}`);
  return s;
}

function svns(list: unknown, label: string): number[] {
  if (!Array.isArray(list) || list.length !== 16)
    throw new AttestationError("Malformed", `${label}: expected 16 TCB components`);
  return list.map((c) => {
    const svn = (c as Svn | null)?.svn;
    if (typeof svn !== "number" || !Number.isInteger(svn))
      throw new AttestationError("Malformed", `${label}: TCB component without svn`);
    return svn;
  });
}

/** What the platform reports about its TCB: from the PCK certificate and (TDX) the TD report. */
export type PlatformTcb = {
  fmspc: Uint8Array;
  pceId: Uint8Array;
  /** The 16 SGX TCB component SVNs of the PCK certificate. */
  sgxTcbComponents: readonly number[];
  pceSvn: number;
  /** TDX only: TEE_TCB_SVN (16 bytes), MRSIGNERSEAM and SEAM attributes of the TD report. */
  tdx?: { teeTcbSvn: Uint8Array; mrSignerSeam: Uint8Array; seamAttributes: Uint8Array } | undefined;
};

/** The platform's TCB level per the TCB info document (Intel's matching rule: first level all of whose SVNs are met). */
export function evaluateTcbInfo(
  info: TcbInfo,
  platform: PlatformTcb,
): { status: TcbStatus; tcbDate: string; advisoryIds: string[] } {
  const label = "TCB info";
  if (typeof info.fmspc !== "string" || info.fmspc.toLowerCase() !== toHex(platform.fmspc)) {
    throw new AttestationError(
      "CollateralInvalid",
      `${label}: FMSPC ${info.fmspc} is not the platform's ${toHex(platform.fmspc)}`,
    );
  }
  if (typeof info.pceId !== "string" || info.pceId.toLowerCase() !== toHex(platform.pceId)) {
    throw new AttestationError("CollateralInvalid", `${label}: PCE id ${info.pceId} is not the platform's`);
  }
  if (platform.tdx && info.id !== "TDX")
    throw new AttestationError(
      "CollateralInvalid",
      `${label}: a TDX quote needs TDX TCB info, got ${info.id ?? "SGX"}`,
    );
  if (!platform.tdx && info.id === "TDX")
    throw new AttestationError("CollateralInvalid", `${label}: an SGX quote needs SGX TCB info`);
  if (platform.tdx && info.tdxModule) {
    const mrsigner = hexToBytes(info.tdxModule.mrsigner);
    const mask = hexToBytes(info.tdxModule.attributesMask);
    const attributes = hexToBytes(info.tdxModule.attributes);
    const seam = platform.tdx.seamAttributes;
    const masked = seam.map((b, i) => b & (mask[i] ?? 0));
    if (!bytesEqual(mrsigner, platform.tdx.mrSignerSeam) || !bytesEqual(masked, attributes)) {
      throw new AttestationError(
        "CollateralInvalid",
        `${label}: the TDX module (MRSIGNERSEAM / SEAM attributes) is not the one the TCB info describes`,
      );
    }
  }
  if (!Array.isArray(info.tcbLevels)) throw new AttestationError("Malformed", `${label}: no tcbLevels`);
  // With TDX module identities (TCB info v3) and a non-zero TDX module major version, the first two
  // TEE_TCB_SVN bytes describe the module and are matched against its identity instead.
  const tdxStart = platform.tdx && info.tdxModuleIdentities && (platform.tdx.teeTcbSvn[1] ?? 0) > 0 ? 2 : 0;
  for (const level of info.tcbLevels) {
    const sgx = svns(level?.tcb?.sgxtcbcomponents, label);
    if (!sgx.every((svn, i) => (platform.sgxTcbComponents[i] ?? 0) >= svn)) continue;
    if (typeof level.tcb.pcesvn !== "number" || platform.pceSvn < level.tcb.pcesvn) continue;
    if (platform.tdx) {
      const tdx = svns(level.tcb.tdxtcbcomponents, label);
      const tee = platform.tdx.teeTcbSvn;
      if (!tdx.every((svn, i) => i < tdxStart || (tee[i] ?? 0) >= svn)) continue;
    }
    return {
      status: status(level.tcbStatus, label),
      tcbDate: level.tcbDate,
      advisoryIds: level.advisoryIDs ?? [],
    };
  }
  throw new AttestationError(
    "TcbStatusRejected",
    `${label}: the platform's TCB is below every level Intel lists (TCB not supported)`,
  );
}

/** Checks the QE report against the QE identity and returns the QE's TCB status. */
export function evaluateQeIdentity(
  identity: EnclaveIdentity,
  qe: EnclaveReport,
  expectedId: "QE" | "TD_QE",
): TcbStatus {
  const label = "QE identity";
  if (identity.id !== expectedId)
    throw new AttestationError("CollateralInvalid", `${label}: id ${identity.id}, expected ${expectedId}`);
  const maskedEq = (value: Uint8Array, mask: string, expected: string) => {
    const m = hexToBytes(mask);
    const e = hexToBytes(expected);
    return (
      m.length === value.length &&
      e.length === value.length &&
      value.every((b, i) => (b & (m[i] as number)) === e[i])
    );
  };
  const misc = new Uint8Array(4);
  new DataView(misc.buffer).setUint32(0, qe.miscSelect, true);
  const mismatch =
    identity.mrsigner?.toLowerCase() !== toHex(qe.mrSigner)
      ? "MRSIGNER"
      : identity.isvprodid !== qe.isvProdId
        ? "ISVPRODID"
        : !maskedEq(misc, identity.miscselectMask, identity.miscselect)
          ? "MISCSELECT"
          : !maskedEq(qe.attributes, identity.attributesMask, identity.attributes)
            ? "attributes"
            : undefined;
  if (mismatch)
    throw new AttestationError(
      "QeIdentityMismatch",
      `${label}: the quoting enclave's ${mismatch} differs from Intel's QE identity`,
    );
  if (!Array.isArray(identity.tcbLevels)) throw new AttestationError("Malformed", `${label}: no tcbLevels`);
  for (const level of identity.tcbLevels) {
    if (typeof level?.tcb?.isvsvn !== "number")
      throw new AttestationError("Malformed", `${label}: level without isvsvn`);
    if (qe.isvSvn >= level.tcb.isvsvn) return status(level.tcbStatus, label);
  }
  throw new AttestationError(
    "TcbStatusRejected",
    `${label}: the QE's ISVSVN ${qe.isvSvn} is below every level`,
  );
}
