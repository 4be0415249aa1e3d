import { p384 } from "@noble/curves/nist.js";
import { sha384 } from "@noble/hashes/sha2.js";
import { type Hex, keccak256 } from "viem";
import { ByteReader, bytesEqual, concatBytes, hexToBytes, isAllZero, readU64LE } from "./bytes.ts";
import { AttestationError } from "./errors.ts";

// AMD SEV-SNP attestation reports (SEV-SNP firmware ABI specification, AMD document 56860,
// ATTESTATION_REPORT structure). Browser-safe: the report, its signature and the guest-policy
// checks need no node: module; the certificate chain above the VCEK is verified in
// sevSnpVerify.node.ts. All integers are little-endian, as the firmware writes them.

/** Size of an ATTESTATION_REPORT: 0x2A0 signed bytes followed by a 512-byte signature block. */
export const SEV_SNP_REPORT_SIZE = 0x4a0;
/** The signature covers bytes `0 .. SEV_SNP_SIGNED_LENGTH` of the report. */
export const SEV_SNP_SIGNED_LENGTH = 0x2a0;
/** Oldest report version this parser knows the layout of (the first SNP release). */
export const SEV_SNP_MIN_VERSION = 2;
/** Newest report version this parser knows the layout of. */
export const SEV_SNP_MAX_VERSION = 5;
/** SIGNATURE_ALGO 1: ECDSA P-384 with SHA-384, the only algorithm AMD defines for reports. */
export const SEV_SNP_SIG_ALGO_ECDSA_P384_SHA384 = 1;
/** Guest policy bit 19: DEBUG, the hypervisor may decrypt guest memory (SEV_SNP_DBG_DECRYPT). */
export const SEV_SNP_POLICY_DEBUG_BIT = 19n;

/** The CPU family (CPUID Fn0000_0001 extended + base family) of Zen 3/Zen 4: Milan and Genoa. */
const MILAN_GENOA_FAMILY = 0x19;
/** ECDSA P-384 scalars take 48 bytes; the report reserves 72 per component, the rest zero. */
const P384_SCALAR_BYTES = 48;
const SIGNATURE_COMPONENT_BYTES = 72;

/**
 * A TCB_VERSION in the Milan/Genoa layout: security version numbers of the firmware components.
 * Bytes 2..5 are reserved in that layout; Turin (family 0x1A) packs the fields differently and is
 * not supported.
 */
export type SevSnpTcb = {
  /** Byte 0: PSP bootloader SVN. */
  bootloader: number;
  /** Byte 1: PSP OS (TEE) SVN. */
  tee: number;
  /** Byte 6: SNP firmware SVN. */
  snp: number;
  /** Byte 7: CPU microcode patch level. */
  microcode: number;
};

/** The four TCB component names, in report order (for messages and comparisons). */
export const SEV_SNP_TCB_COMPONENTS = ["bootloader", "tee", "snp", "microcode"] as const;

/** A firmware version as the report states it (CURRENT_* and COMMITTED_* fields). */
export type SevSnpFirmwareVersion = { major: number; minor: number; build: number };

/**
 * A parsed SEV-SNP attestation report. Byte fields are views into {@link SevSnpReport.raw}, a copy
 * of the input, so later changes to the caller's buffer cannot change a report already checked.
 * The signature covers `raw`, not the decoded fields: {@link verifySevSnpReportSignature} checks
 * `raw`, so a report object assembled by hand must keep the two consistent.
 */
export type SevSnpReport = {
  /** The whole report as parsed (1184 bytes, a private copy). */
  raw: Uint8Array;
  version: number;
  guestSvn: number;
  /** Guest policy (bit 19 = DEBUG, bit 18 = MIGRATE_MA, bit 16 = SMT, bits 0..15 = minimum ABI). */
  policy: bigint;
  familyId: Uint8Array;
  imageId: Uint8Array;
  /** The VMPL the report was requested from (0 = most privileged). */
  vmpl: number;
  signatureAlgorithm: number;
  currentTcb: SevSnpTcb;
  platformInfo: bigint;
  /** The u32 at 0x48: bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 2..4 SIGNING_KEY. */
  flags: number;
  /** Whether the author key digest is set (AUTHOR_KEY_EN). */
  authorKeyEn: boolean;
  /** Whether the firmware withheld the signature (MASK_CHIP_KEY: the signature block is zero). */
  maskChipKey: boolean;
  /** Which key signed: 0 VCEK, 1 VLEK, 7 none. */
  signingKey: number;
  /** The 64 bytes the guest asked the firmware to bind (here: the job binding, then zeros). */
  reportData: Uint8Array;
  /** The launch measurement (48 bytes). */
  measurement: Uint8Array;
  hostData: Uint8Array;
  idKeyDigest: Uint8Array;
  authorKeyDigest: Uint8Array;
  reportId: Uint8Array;
  reportIdMa: Uint8Array;
  /** The TCB the VCEK that signs this report was derived from. */
  reportedTcb: SevSnpTcb;
  /** CPUID family, model and stepping (report version 3 and later; undefined in version 2). */
  cpuid: { family: number; model: number; stepping: number } | undefined;
  /** The chip's unique id (64 bytes), all zero when the guest set MASK_CHIP_ID. */
  chipId: Uint8Array;
  committedTcb: SevSnpTcb;
  currentVersion: SevSnpFirmwareVersion;
  committedVersion: SevSnpFirmwareVersion;
  launchTcb: SevSnpTcb;
  /** Mitigation vectors at launch and now (zero in reports that predate them). */
  launchMitVector: bigint;
  currentMitVector: bigint;
  /** Signature component r, 72 bytes little-endian as in the report (the top 24 are zero). */
  signatureR: Uint8Array;
  /** Signature component s, 72 bytes little-endian as in the report (the top 24 are zero). */
  signatureS: Uint8Array;
};

/**
 * Parses a 1184-byte SEV-SNP ATTESTATION_REPORT. Checks only the structure (length, version,
 * signature algorithm, TCB layout, reserved bytes); the signature, certificates and policy are
 * checked by {@link verifySevSnpReportSignature}, {@link checkSevSnpPolicy} and
 * `verifySevSnpAttestation`.
 *
 * Reserved bytes must be zero: inside the signed region that rejects layouts this parser would
 * misread; inside the signature block (which the signature cannot cover) it keeps the report
 * non-malleable, so one signed report has exactly one accepted encoding.
 *
 * @throws AttestationError `Truncated` / `Oversized` (length), `Unsupported` (version, algorithm,
 * TCB layout), `Malformed` (non-zero reserved bytes, non-Uint8Array input).
 *
 * @example
 * const report = parseSevSnpReport(readFileSync("report.bin"));
 * report.measurement; // 48 bytes
 */
export function parseSevSnpReport(bytes: Uint8Array): SevSnpReport {
  if (!(bytes instanceof Uint8Array))
    throw new AttestationError("Malformed", "SEV-SNP report: expected bytes");
  if (bytes.length < SEV_SNP_REPORT_SIZE) {
    throw new AttestationError(
      "Truncated",
      `SEV-SNP report: ${bytes.length} bytes, expected ${SEV_SNP_REPORT_SIZE}`,
    );
  }
  if (bytes.length > SEV_SNP_REPORT_SIZE) {
    throw new AttestationError(
      "Oversized",
      `SEV-SNP report: ${bytes.length} bytes, expected ${SEV_SNP_REPORT_SIZE}`,
    );
  }
  // new Uint8Array(view) copies; bytes.slice() would not when the input is a Node Buffer.
  const raw = new Uint8Array(bytes);
  const r = new ByteReader(raw);

  const version = r.u32("version");
  if (version < SEV_SNP_MIN_VERSION || version > SEV_SNP_MAX_VERSION) {
    throw new AttestationError("Unsupported", `SEV-SNP report version ${version}`, {
      details: `versions ${SEV_SNP_MIN_VERSION} to ${SEV_SNP_MAX_VERSION} are supported`,
    });
  }
  const guestSvn = r.u32("guest SVN");
  const policy = r.u64("policy");
  const familyId = r.take(16, "family id");
  const imageId = r.take(16, "image id");
  const vmpl = r.u32("VMPL");
  const signatureAlgorithm = r.u32("signature algorithm");
  if (signatureAlgorithm !== SEV_SNP_SIG_ALGO_ECDSA_P384_SHA384) {
    throw new AttestationError("Unsupported", `SEV-SNP signature algorithm ${signatureAlgorithm}`, {
      details: "only 1 (ECDSA P-384 with SHA-384) is defined",
    });
  }
  const currentTcb = readTcb(r, "current TCB");
  const platformInfo = r.u64("platform info");
  const flags = r.u32("flags");
  if (flags >>> 5 !== 0)
    throw new AttestationError(
      "Malformed",
      `SEV-SNP report: reserved flag bits set (0x${flags.toString(16)})`,
    );
  expectZero(r.take(4, "reserved 0x4C"), "0x4C");
  const reportData = r.take(64, "report data");
  const measurement = r.take(48, "measurement");
  const hostData = r.take(32, "host data");
  const idKeyDigest = r.take(48, "ID key digest");
  const authorKeyDigest = r.take(48, "author key digest");
  const reportId = r.take(32, "report id");
  const reportIdMa = r.take(32, "report id of the migration agent");
  const reportedTcb = readTcb(r, "reported TCB");
  // 0x188: CPUID family, model, stepping since version 3; reserved (zero) in version 2.
  const cpuidBytes = r.take(3, "CPUID");
  let cpuid: SevSnpReport["cpuid"];
  if (version >= 3) {
    cpuid = {
      family: cpuidBytes[0] as number,
      model: cpuidBytes[1] as number,
      stepping: cpuidBytes[2] as number,
    };
    if (cpuid.family !== MILAN_GENOA_FAMILY) {
      throw new AttestationError(
        "Unsupported",
        `SEV-SNP report from CPU family 0x${cpuid.family.toString(16)}`,
        {
          details: "only Milan and Genoa (family 0x19) TCB layouts are supported",
        },
      );
    }
  } else {
    expectZero(cpuidBytes, "0x188");
  }
  expectZero(r.take(0x1a0 - 0x18b, "reserved 0x18B"), "0x18B");
  const chipId = r.take(64, "chip id");
  const committedTcb = readTcb(r, "committed TCB");
  const currentVersion = readVersion(r, "current version");
  const committedVersion = readVersion(r, "committed version");
  const launchTcb = readTcb(r, "launch TCB");
  // 0x1F8 and 0x200 hold the mitigation vectors in newer reports and are zero before; reading
  // them for every version avoids guessing which version introduced them.
  const launchMitVector = r.u64("launch mitigation vector");
  const currentMitVector = r.u64("current mitigation vector");
  expectZero(r.take(SEV_SNP_SIGNED_LENGTH - 0x208, "reserved 0x208"), "0x208");

  const signatureR = r.take(SIGNATURE_COMPONENT_BYTES, "signature r");
  const signatureS = r.take(SIGNATURE_COMPONENT_BYTES, "signature s");
  // The signature block is not signed: every byte that is not part of r or s must be zero, or a
  // relay could change them without breaking the signature.
  expectZero(signatureR.subarray(P384_SCALAR_BYTES), "signature r (above 384 bits)");
  expectZero(signatureS.subarray(P384_SCALAR_BYTES), "signature s (above 384 bits)");
  expectZero(r.take(r.remaining, "signature reserved"), "signature block 0x330");

  return {
    raw,
    version,
    guestSvn,
    policy,
    familyId,
    imageId,
    vmpl,
    signatureAlgorithm,
    currentTcb,
    platformInfo,
    flags,
    authorKeyEn: (flags & 1) !== 0,
    maskChipKey: (flags & 2) !== 0,
    signingKey: (flags >>> 2) & 7,
    reportData,
    measurement,
    hostData,
    idKeyDigest,
    authorKeyDigest,
    reportId,
    reportIdMa,
    reportedTcb,
    cpuid,
    chipId,
    committedTcb,
    currentVersion,
    committedVersion,
    launchTcb,
    launchMitVector,
    currentMitVector,
    signatureR,
    signatureS,
  };
}

function readTcb(r: ByteReader, field: string): SevSnpTcb {
  const b = r.take(8, field);
  // Non-zero bytes 2..5 mean another layout (Turin puts tee and snp there): decoding it as
  // Milan/Genoa would compare the wrong components, so refuse instead.
  if (!isAllZero(b.subarray(2, 6))) {
    throw new AttestationError(
      "Unsupported",
      `SEV-SNP ${field}: 0x${readU64LE(b).toString(16)} is not in the Milan/Genoa layout`,
    );
  }
  return { bootloader: b[0] as number, tee: b[1] as number, snp: b[6] as number, microcode: b[7] as number };
}

function readVersion(r: ByteReader, field: string): SevSnpFirmwareVersion {
  const b = r.take(4, field);
  expectZero(b.subarray(3), `${field} (reserved byte)`);
  return { build: b[0] as number, minor: b[1] as number, major: b[2] as number };
}

function expectZero(b: Uint8Array, where: string): void {
  if (!isAllZero(b))
    throw new AttestationError("Malformed", `SEV-SNP report: reserved bytes at ${where} are not zero`);
}

/**
 * The measurement identifier the registry and the on-chain statements use for SEV-SNP:
 * `keccak256` of the 48-byte launch measurement (docs/ATTESTATION.md, "Measurements").
 *
 * @example
 * const id = snpMeasurement(parseSevSnpReport(bytes)); // 0x…, 32 bytes
 */
export function snpMeasurement(report: Pick<SevSnpReport, "measurement">): Hex {
  return keccak256(report.measurement);
}

/**
 * Verifies the report's ECDSA P-384/SHA-384 signature over bytes `0..0x2A0` of `report.raw` with
 * the VCEK public key (`x‖y`, 96 bytes, as `ecPublicKeyXY` returns it). Only proves the report
 * comes from the holder of that key: the caller must also establish that the key is a VCEK
 * certified by AMD (`verifySevSnpAttestation` does).
 *
 * High-s signatures are accepted (`lowS: false`): the firmware does not normalise s, and
 * malleability is irrelevant here since reports are not identified by their signature.
 *
 * @throws AttestationError `ReportSignatureInvalid` (bad or withheld signature), `Unsupported`
 * (signed by a key other than a VCEK), `Malformed` (the key is not a P-384 point).
 *
 * @example
 * verifySevSnpReportSignature(report, ecPublicKeyXY(vcek));
 */
export function verifySevSnpReportSignature(report: SevSnpReport, vcekPublicKeyXY: Uint8Array): void {
  if (report.signingKey !== 0) {
    throw new AttestationError("Unsupported", `SEV-SNP report signed by key type ${report.signingKey}`, {
      details: "only VCEK-signed reports (SIGNING_KEY 0) are supported",
    });
  }
  if (report.maskChipKey) {
    throw new AttestationError("ReportSignatureInvalid", "SEV-SNP report is unsigned (MASK_CHIP_KEY is set)");
  }
  if (!(vcekPublicKeyXY instanceof Uint8Array) || vcekPublicKeyXY.length !== 2 * P384_SCALAR_BYTES) {
    throw new AttestationError("Malformed", "VCEK public key: expected 96 bytes (P-384 x‖y)");
  }
  const publicKey = concatBytes(new Uint8Array([4]), vcekPublicKeyXY);
  try {
    p384.Point.fromBytes(publicKey).assertValidity();
  } catch (cause) {
    throw new AttestationError("Malformed", "VCEK public key is not a P-384 point", { cause });
  }
  const signature = concatBytes(leScalarToBE(report.signatureR), leScalarToBE(report.signatureS));
  // Hash explicitly and pass prehash: false, so the digest cannot silently follow a change of
  // the library's default hash.
  const digest = sha384(report.raw.subarray(0, SEV_SNP_SIGNED_LENGTH));
  let valid: boolean;
  try {
    valid = p384.verify(signature, digest, publicKey, { prehash: false, lowS: false, format: "compact" });
  } catch {
    // noble throws for r or s outside [1, n): an invalid signature like any other.
    valid = false;
  }
  if (!valid)
    throw new AttestationError(
      "ReportSignatureInvalid",
      "SEV-SNP report signature does not verify with the VCEK",
    );
}

/** A 72-byte little-endian component as the 48-byte big-endian scalar ECDSA libraries take. */
function leScalarToBE(le: Uint8Array): Uint8Array {
  return le.slice(0, P384_SCALAR_BYTES).reverse();
}

/** What a relying party requires of a (signature-checked) SEV-SNP report. */
export type SevSnpPolicy = {
  /** Accept guests launched with the DEBUG policy bit (default false: their memory is readable). */
  allowDebug?: boolean | undefined;
  /** Lowest acceptable reported TCB, component by component. */
  minimumTcb?: SevSnpTcb | undefined;
  /**
   * The report data the guest must have bound: 64 bytes, or 32 bytes meaning "these, then 32 zero
   * bytes" (the job binding of `attestationBinding` takes the first 32 of the 64). Bytes or 0x-hex.
   */
  expectedReportData?: Uint8Array | Hex | undefined;
};

/**
 * Applies the guest-policy checks to a report: no DEBUG guest unless allowed, reported TCB at
 * least `minimumTcb` in every component, report data equal to the expected binding. Separate from
 * the signature so callers (and tests) can apply it to any parsed report; on its own it proves
 * nothing about where the report came from.
 *
 * @throws AttestationError `DebugEnclave`, `TcbTooLow`, `ReportDataMismatch`, or `Malformed` for a
 * badly sized `expectedReportData`.
 *
 * @example
 * checkSevSnpPolicy(report, { minimumTcb: { bootloader: 3, tee: 0, snp: 8, microcode: 115 }, expectedReportData: binding });
 */
export function checkSevSnpPolicy(report: SevSnpReport, policy: SevSnpPolicy = {}): void {
  if (((report.policy >> SEV_SNP_POLICY_DEBUG_BIT) & 1n) === 1n && policy.allowDebug !== true) {
    throw new AttestationError("DebugEnclave", "SEV-SNP guest policy allows debugging (DEBUG, bit 19)", {
      details: `policy 0x${report.policy.toString(16)}`,
    });
  }
  if (policy.minimumTcb !== undefined) {
    for (const component of SEV_SNP_TCB_COMPONENTS) {
      if (report.reportedTcb[component] < policy.minimumTcb[component]) {
        throw new AttestationError(
          "TcbTooLow",
          `SEV-SNP reported TCB ${component} SVN ${report.reportedTcb[component]} is below the minimum ${policy.minimumTcb[component]}`,
        );
      }
    }
  }
  if (policy.expectedReportData !== undefined) {
    const expected = expectedReportDataBytes(policy.expectedReportData);
    const padded = expected.length === 64 ? expected : concatBytes(expected, new Uint8Array(32));
    if (!bytesEqual(report.reportData, padded)) {
      throw new AttestationError("ReportDataMismatch", "SEV-SNP report data is not the expected binding");
    }
  }
}

function expectedReportDataBytes(value: Uint8Array | Hex): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === "string") {
    if (!/^0x(?:[0-9a-fA-F]{2})*$/.test(value)) {
      throw new AttestationError("Malformed", "expectedReportData: not 0x-prefixed hex");
    }
    bytes = hexToBytes(value.slice(2));
  } else {
    bytes = value;
  }
  if (bytes.length !== 64 && bytes.length !== 32) {
    throw new AttestationError("Malformed", `expectedReportData: ${bytes.length} bytes, expected 32 or 64`);
  }
  return bytes;
}
