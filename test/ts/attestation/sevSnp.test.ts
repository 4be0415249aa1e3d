// Tests of the SEV-SNP report parser and verifier (sdk/attestation/sevSnp.ts, sevSnpVerify.node.ts).
//
// Real-hardware vectors (attestation.bin, vcek.testcer, milan.testcer) come from
// github.com/google/go-sev-guest verify/testdata (commit af1c107), Apache-2.0, Copyright Google LLC.
// They are read in place from the shared test-vector folder (test/support/testVectors.ts) and the
// tests that need them are skipped, with that reason, only when the folder is absent.
//
// AMD's key cannot sign anything new, so the paths that need a differently signed report (a
// non-debug guest, a VCEK disagreeing with the report, other key types) use a test chain built
// here: our own ARK → ASK → VCEK, pinned explicitly, with the VCEK key from @noble/curves. It runs
// through exactly the same verifier; only the pinned root differs.
import assert from "node:assert/strict";
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { describe, it } from "node:test";
import { p384 } from "@noble/curves/nist.js";
import { sha384 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import { keccak256 } from "viem";
import { bigIntToBytesBE, bytesToBigIntBE, hexToBytes, toHex } from "../../../sdk/attestation/bytes.ts";
import { der } from "../../../sdk/attestation/der.ts";
import { AttestationError, type AttestationErrorCode } from "../../../sdk/attestation/errors.ts";
import {
  checkSevSnpPolicy,
  parseSevSnpReport,
  SEV_SNP_REPORT_SIZE,
  SEV_SNP_SIGNED_LENGTH,
  type SevSnpReport,
  type SevSnpTcb,
  snpMeasurement,
  verifySevSnpReportSignature,
} from "../../../sdk/attestation/sevSnp.ts";
import {
  AMD_ARK_MILAN_SPKI_SHA256,
  type SevSnpVerifyOptions,
  verifySevSnpAttestation,
} from "../../../sdk/attestation/sevSnpVerify.node.ts";
import { TcbStatus } from "../../../sdk/attestation/tcbStatus.ts";
import { ecPublicKeyXY, parseCertificate, pemCertificates } from "../../../sdk/attestation/x509.node.ts";
import { readTestVector, skipReason, vectorsAvailable } from "../../support/testVectors.ts";

// --- helpers ------------------------------------------------------------------------------------

/** Runs `fn` and returns the AttestationError it throws, failing on success or on any other error. */
function attestationErrorOf(fn: () => unknown): AttestationError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (caught === undefined) assert.fail("expected an AttestationError, but the call succeeded");
  if (!(caught instanceof AttestationError))
    assert.fail(`expected an AttestationError, got ${String(caught)}`);
  return caught;
}

function expectCode(fn: () => unknown, code: AttestationErrorCode, message?: RegExp): AttestationError {
  const error = attestationErrorOf(fn);
  assert.equal(error.code, code, error.message);
  if (message) assert.match(error.message, message);
  return error;
}

function setU32(b: Uint8Array, offset: number, value: number): void {
  new DataView(b.buffer, b.byteOffset).setUint32(offset, value, true);
}

function setU64(b: Uint8Array, offset: number, value: bigint): void {
  new DataView(b.buffer, b.byteOffset).setBigUint64(offset, value, true);
}

function tcbBytes(tcb: SevSnpTcb): number[] {
  return [tcb.bootloader, tcb.tee, 0, 0, 0, 0, tcb.snp, tcb.microcode];
}

const pem = (d: Uint8Array): string =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(d).toString("base64")}\n-----END CERTIFICATE-----\n`;

const POLICY_DEBUG = 1n << 19n;

// --- the real vector ----------------------------------------------------------------------------

const withVectors = { skip: skipReason };
/** The validation time of the real vector: inside the VCEK's validity (2022-09-24 .. 2029-09-24). */
const AT = new Date("2024-01-01T00:00:00Z");
const REAL_MEASUREMENT =
  "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01";
const REAL_CHIP_ID =
  "3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e53786184ca39e359669a2b76a1936776b564ea464cdce40c05f63c9b610c5068b006b5d";
const REAL_TCB: SevSnpTcb = { bootloader: 2, tee: 0, snp: 5, microcode: 0x44 };
const REAL_REPORT_DATA = new Uint8Array(64);
REAL_REPORT_DATA.set([1, 2, 3, 4, 5]);

type Vectors = { report: Uint8Array; vcek: Uint8Array; chain: string };
const loaded: Vectors | undefined = vectorsAvailable
  ? {
      report: readTestVector("sev-snp/attestation.bin"),
      vcek: readTestVector("sev-snp/vcek.testcer"),
      chain: new TextDecoder().decode(readTestVector("sev-snp/milan.testcer")),
    }
  : undefined;

function real(): Vectors {
  if (loaded === undefined) throw new Error("test vectors absent: this test should have been skipped");
  return loaded;
}

/** Options accepting the real report. It was taken from a debug guest, hence allowDebug. */
function realOptions(overrides: Partial<SevSnpVerifyOptions> = {}): SevSnpVerifyOptions {
  return { vcek: real().vcek, chain: real().chain, at: AT, allowDebug: true, ...overrides };
}

// --- a test chain (our own ARK → ASK → VCEK) and signer -----------------------------------------

const OID_CN = "2.5.4.3";
const OID_BASIC_CONSTRAINTS = "2.5.29.19";
const OID_ECDSA_SHA384 = "1.2.840.10045.4.3.3";
const OID_VCEK_TCB: Record<keyof SevSnpTcb, string> = {
  bootloader: "1.3.6.1.4.1.3704.1.3.1",
  tee: "1.3.6.1.4.1.3704.1.3.2",
  snp: "1.3.6.1.4.1.3704.1.3.3",
  microcode: "1.3.6.1.4.1.3704.1.3.8",
};
const OID_VCEK_HWID = "1.3.6.1.4.1.3704.1.4";

const nameOf = (cn: string): Uint8Array => der.seq(der.set(der.seq(der.oid(OID_CN), der.utf8(cn))));

type CertSpec = {
  subject: Uint8Array;
  issuer: Uint8Array;
  spki: Uint8Array;
  signer: KeyObject;
  ca: boolean;
  extensions?: [string, Uint8Array][];
};

/** A v3 certificate signed with ECDSA-SHA384, valid 2020..2040, built with the project's DER writer. */
function makeCertificate(spec: CertSpec): Uint8Array {
  const algorithm = der.seq(der.oid(OID_ECDSA_SHA384));
  const extensions = (spec.extensions ?? []).map(([oid, value]) => der.seq(der.oid(oid), der.octets(value)));
  if (spec.ca) {
    extensions.unshift(
      der.seq(der.oid(OID_BASIC_CONSTRAINTS), der.bool(true), der.octets(der.seq(der.bool(true)))),
    );
  }
  const tbs = der.seq(
    der.explicit(0, der.int(2n)),
    der.int(1n),
    algorithm,
    spec.issuer,
    der.seq(der.time(new Date("2020-01-01T00:00:00Z")), der.time(new Date("2040-01-01T00:00:00Z"))),
    spec.subject,
    spec.spki,
    der.explicit(3, der.seq(...extensions)),
  );
  return der.seq(tbs, algorithm, der.bits(new Uint8Array(sign("sha384", tbs, spec.signer))));
}

const spkiOf = (key: KeyObject): Uint8Array => new Uint8Array(key.export({ type: "spki", format: "der" }));
const ecKeyPair = (curve = "secp384r1") => generateKeyPairSync("ec", { namedCurve: curve });

/** The SPKI of a noble P-384 public key (uncompressed), through node's JWK import. */
function spkiOfNoble(publicKey: Uint8Array): Uint8Array {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64url");
  return spkiOf(
    createPublicKey({
      key: { kty: "EC", crv: "P-384", x: b64(publicKey.subarray(1, 49)), y: b64(publicKey.subarray(49, 97)) },
      format: "jwk",
    }),
  );
}

const TEST_ARK = ecKeyPair();
const TEST_ASK = ecKeyPair();
const TEST_VCEK_SECRET = p384.utils.randomSecretKey();
const TEST_VCEK_PUBLIC = p384.getPublicKey(TEST_VCEK_SECRET, false);
const TEST_ARK_PIN = createHash("sha256").update(spkiOf(TEST_ARK.publicKey)).digest("hex");
const TEST_CHIP_ID = Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + 1) & 0xff);
const TEST_TCB: SevSnpTcb = { bootloader: 3, tee: 0, snp: 8, microcode: 115 };

type TestChain = { vcek: Uint8Array; chain: string };

/** A chain whose VCEK certifies `tcb` and `hwId` (defaults: the synthetic report's) for `vcekSpki`. */
function makeTestChain(
  options: { tcb?: SevSnpTcb; hwId?: Uint8Array | undefined; vcekSpki?: Uint8Array } = {},
): TestChain {
  const arkName = nameOf("Test-ARK");
  const askName = nameOf("Test-ASK");
  const ark = makeCertificate({
    subject: arkName,
    issuer: arkName,
    spki: spkiOf(TEST_ARK.publicKey),
    signer: TEST_ARK.privateKey,
    ca: true,
  });
  const ask = makeCertificate({
    subject: askName,
    issuer: arkName,
    spki: spkiOf(TEST_ASK.publicKey),
    signer: TEST_ARK.privateKey,
    ca: true,
  });
  const tcb = options.tcb ?? TEST_TCB;
  const extensions: [string, Uint8Array][] = Object.entries(OID_VCEK_TCB).map(([component, oid]) => [
    oid,
    der.int(BigInt(tcb[component as keyof SevSnpTcb])),
  ]);
  // Like AMD's: the chip id bytes are the extension value itself, not a nested OCTET STRING.
  const hwId = "hwId" in options ? options.hwId : TEST_CHIP_ID;
  if (hwId !== undefined) extensions.push([OID_VCEK_HWID, hwId]);
  const vcek = makeCertificate({
    subject: nameOf("SEV-VCEK"),
    issuer: askName,
    spki: options.vcekSpki ?? spkiOfNoble(TEST_VCEK_PUBLIC),
    signer: TEST_ASK.privateKey,
    ca: false,
    extensions,
  });
  return { vcek, chain: pem(ask) + pem(ark) };
}

const TEST_CHAIN = makeTestChain();

function testOptions(
  overrides: Partial<SevSnpVerifyOptions> = {},
  chain: TestChain = TEST_CHAIN,
): SevSnpVerifyOptions {
  return { ...chain, at: AT, pinnedArks: [TEST_ARK_PIN], ...overrides };
}

/** Writes a big-endian 48-byte scalar as the report's 72-byte little-endian component. */
function writeScalarLE(out: Uint8Array, offset: number, value: bigint): void {
  out.fill(0, offset, offset + 72);
  out.set(bigIntToBytesBE(value, 48).reverse(), offset);
}

/** Signs bytes 0..0x2A0 as the firmware would (r, s little-endian); `highS` uses n - s instead of s. */
function signReport(bytes: Uint8Array, secret = TEST_VCEK_SECRET, highS = false): Uint8Array {
  const out = bytes.slice();
  const signature = p384.sign(sha384(out.subarray(0, SEV_SNP_SIGNED_LENGTH)), secret, { prehash: false });
  const r = bytesToBigIntBE(signature.subarray(0, 48));
  const s = bytesToBigIntBE(signature.subarray(48, 96));
  writeScalarLE(out, 0x2a0, r);
  writeScalarLE(out, 0x2e8, highS ? p384.Point.Fn.ORDER - s : s);
  return out;
}

const SYNTHETIC_REPORT_DATA = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);

/** A version-2 report of a non-debug guest with the test chain's chip id and TCB, unsigned. */
function syntheticReport(edit?: (b: Uint8Array) => void): Uint8Array {
  const b = new Uint8Array(SEV_SNP_REPORT_SIZE);
  setU32(b, 0x00, 2);
  setU64(b, 0x08, 0x30000n); // SMT allowed, reserved bit 17 (must be one), no DEBUG
  setU32(b, 0x34, 1);
  for (const offset of [0x38, 0x180, 0x1e0, 0x1f0]) b.set(tcbBytes(TEST_TCB), offset);
  setU64(b, 0x40, 1n);
  b.set(SYNTHETIC_REPORT_DATA, 0x50);
  b.fill(0x5a, 0x90, 0xc0); // measurement
  b.set(TEST_CHIP_ID, 0x1a0);
  b.set([3, 49, 1, 0, 3, 49, 1, 0], 0x1e8);
  edit?.(b);
  return b;
}

/** An edit setting the report version and the CPUID family, model and stepping at 0x188. */
const withCpuid =
  (version: number, cpuid: [number, number, number]) =>
  (b: Uint8Array): void => {
    setU32(b, 0, version);
    b.set(cpuid, 0x188);
  };

// --- tests --------------------------------------------------------------------------------------

describe("SEV-SNP: the real report (go-sev-guest vector)", () => {
  it("parses into the ABI fields", withVectors, () => {
    const report = parseSevSnpReport(real().report);
    assert.equal(report.version, 2);
    assert.equal(report.signatureAlgorithm, 1);
    assert.equal(report.guestSvn, 0);
    assert.equal(report.vmpl, 0);
    assert.equal(report.policy, 0xb0000n); // SMT, reserved bit 17, and DEBUG (bit 19)
    assert.equal(report.signingKey, 0);
    assert.equal(report.maskChipKey, false);
    assert.equal(toHex(report.measurement), REAL_MEASUREMENT);
    assert.equal(toHex(report.chipId), REAL_CHIP_ID);
    assert.deepEqual(report.reportData, REAL_REPORT_DATA);
    for (const tcb of [report.currentTcb, report.reportedTcb, report.committedTcb, report.launchTcb]) {
      assert.deepEqual(tcb, REAL_TCB);
    }
    assert.deepEqual(report.currentVersion, { major: 1, minor: 49, build: 3 });
    assert.equal(report.cpuid, undefined);
    assert.equal(snpMeasurement(report), keccak256(`0x${REAL_MEASUREMENT}`));
  });

  it("verifies: VCEK → ASK → ARK-Milan, signature, TCB and hwID", withVectors, () => {
    const result = verifySevSnpAttestation(
      real().report,
      realOptions({ expectedReportData: REAL_REPORT_DATA, minimumTcb: REAL_TCB }),
    );
    assert.equal(result.measurement, keccak256(`0x${REAL_MEASUREMENT}`));
    assert.equal(result.reportData, `0x${toHex(REAL_REPORT_DATA)}`);
    assert.equal(result.tcbStatus, TcbStatus.UpToDate);
    assert.deepEqual(result.reportedTcb, REAL_TCB);
    assert.equal(result.vcek.commonName, "SEV-VCEK");
    assert.equal(result.vcek.productName, "Milan-B0");
    assert.equal(result.arkSpkiSha256, AMD_ARK_MILAN_SPKI_SHA256);
    assert.equal(result.validUntil.toISOString(), "2029-09-24T00:55:28.000Z");
    // The expected report data may be given as 0x-hex, or as the 32-byte binding (rest zero).
    verifySevSnpAttestation(
      real().report,
      realOptions({ expectedReportData: `0x${toHex(REAL_REPORT_DATA)}` }),
    );
    verifySevSnpAttestation(
      real().report,
      realOptions({ expectedReportData: REAL_REPORT_DATA.slice(0, 32) }),
    );
  });

  it("the pinned ARK-Milan hash is the SPKI SHA-256 of the vector's ARK", withVectors, () => {
    const [ask, ark] = pemCertificates(real().chain).map((d) => parseCertificate(d));
    assert.equal(ask?.commonName, "SEV-Milan");
    assert.equal(ark?.commonName, "ARK-Milan");
    assert.equal(ark?.spkiSha256, AMD_ARK_MILAN_SPKI_SHA256);
  });

  it("the VCEK's hwID extension is the raw 64-byte chip id (no inner OCTET STRING)", withVectors, () => {
    const vcek = parseCertificate(real().vcek);
    assert.equal(toHex(vcek.extensions.get(OID_VCEK_HWID) ?? new Uint8Array()), REAL_CHIP_ID);
    // The TCB extensions, by contrast, are DER INTEGERs.
    assert.equal(toHex(vcek.extensions.get(OID_VCEK_TCB.microcode) ?? new Uint8Array()), "020144");
  });

  it("is a debug guest: the default policy rejects it with DebugEnclave", withVectors, () => {
    expectCode(
      () => verifySevSnpAttestation(real().report, realOptions({ allowDebug: undefined })),
      "DebugEnclave",
    );
    expectCode(
      () => verifySevSnpAttestation(real().report, realOptions({ allowDebug: false })),
      "DebugEnclave",
    );
  });

  it("rejects a bit flip in every byte of the signed region (672 cases)", withVectors, () => {
    const codes = new Map<string, number>();
    for (let offset = 0; offset < SEV_SNP_SIGNED_LENGTH; offset++) {
      const bytes = real().report.slice();
      bytes[offset] = (bytes[offset] as number) ^ 0x01;
      // Where the parser itself refuses the flipped byte (version, algorithm, reserved bytes, TCB
      // layout), the verifier must report that; everywhere else the signature must catch it.
      let parseCode: AttestationErrorCode | undefined;
      try {
        parseSevSnpReport(bytes);
      } catch (e) {
        assert.ok(e instanceof AttestationError, `offset 0x${offset.toString(16)}: ${String(e)}`);
        parseCode = e.code;
      }
      const error = attestationErrorOf(() => verifySevSnpAttestation(bytes, realOptions()));
      assert.equal(
        error.code,
        parseCode ?? "ReportSignatureInvalid",
        `offset 0x${offset.toString(16)}: ${error.message}`,
      );
      codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
    }
    // Most of the signed region is data only the signature protects.
    assert.ok((codes.get("ReportSignatureInvalid") ?? 0) > 400, JSON.stringify([...codes]));
  });

  it("rejects a bit flip in every byte of the signature block (512 cases)", withVectors, () => {
    for (let offset = SEV_SNP_SIGNED_LENGTH; offset < SEV_SNP_REPORT_SIZE; offset++) {
      const bytes = real().report.slice();
      bytes[offset] = (bytes[offset] as number) ^ 0x01;
      const inScalar = (offset >= 0x2a0 && offset < 0x2a0 + 48) || (offset >= 0x2e8 && offset < 0x2e8 + 48);
      // r and s are checked by the signature; every other byte of the block must be zero.
      expectCode(
        () => verifySevSnpAttestation(bytes, realOptions()),
        inScalar ? "ReportSignatureInvalid" : "Malformed",
      );
    }
  });

  it("rejects a root that is not pinned (UntrustedRoot)", withVectors, () => {
    expectCode(
      () => verifySevSnpAttestation(real().report, realOptions({ pinnedArks: ["00".repeat(32)] })),
      "UntrustedRoot",
    );
    const ask = parseCertificate(pemCertificates(real().chain)[0] as Uint8Array);
    expectCode(
      () => verifySevSnpAttestation(real().report, realOptions({ pinnedArks: [ask.spkiSha256] })),
      "UntrustedRoot",
    );
    expectCode(
      () => verifySevSnpAttestation(real().report, realOptions({ pinnedArks: [] })),
      "UntrustedRoot",
    );
    // Pins compare case-insensitively.
    verifySevSnpAttestation(
      real().report,
      realOptions({ pinnedArks: [AMD_ARK_MILAN_SPKI_SHA256.toUpperCase()] }),
    );
  });

  it("rejects a validation time outside the VCEK's validity (CertificateExpired)", withVectors, () => {
    expectCode(
      () => verifySevSnpAttestation(real().report, realOptions({ at: new Date("2030-01-01T00:00:00Z") })),
      "CertificateExpired",
      /SEV-VCEK/,
    );
    expectCode(
      () => verifySevSnpAttestation(real().report, realOptions({ at: new Date("2022-01-01T00:00:00Z") })),
      "CertificateExpired",
    );
    expectCode(
      () => verifySevSnpAttestation(real().report, realOptions({ at: new Date(Number.NaN) })),
      "Malformed",
    );
  });

  it("rejects other report data (ReportDataMismatch)", withVectors, () => {
    const other = REAL_REPORT_DATA.slice();
    other[63] = 1;
    expectCode(
      () => verifySevSnpAttestation(real().report, realOptions({ expectedReportData: other })),
      "ReportDataMismatch",
    );
    expectCode(
      () =>
        verifySevSnpAttestation(real().report, realOptions({ expectedReportData: `0x${"00".repeat(32)}` })),
      "ReportDataMismatch",
    );
    expectCode(
      () => verifySevSnpAttestation(real().report, realOptions({ expectedReportData: new Uint8Array(31) })),
      "Malformed",
    );
    expectCode(
      () => verifySevSnpAttestation(real().report, realOptions({ expectedReportData: "0x0g" })),
      "Malformed",
    );
  });

  it("rejects a reported TCB below the minimum, in each component (TcbTooLow)", withVectors, () => {
    for (const component of ["bootloader", "tee", "snp", "microcode"] as const) {
      const minimumTcb = { ...REAL_TCB, [component]: REAL_TCB[component] + 1 };
      expectCode(
        () => verifySevSnpAttestation(real().report, realOptions({ minimumTcb })),
        "TcbTooLow",
        new RegExp(component),
      );
    }
    verifySevSnpAttestation(
      real().report,
      realOptions({ minimumTcb: { bootloader: 0, tee: 0, snp: 0, microcode: 0 } }),
    );
  });

  it("rejects a VCEK that does not chain to the ASK", withVectors, () => {
    const [askDer, arkDer] = pemCertificates(real().chain) as [Uint8Array, Uint8Array];
    // The ASK or ARK in the VCEK's place: not issued by the ASK.
    expectCode(
      () => verifySevSnpAttestation(real().report, realOptions({ vcek: askDer })),
      "CertificateChainInvalid",
    );
    expectCode(
      () => verifySevSnpAttestation(real().report, realOptions({ vcek: arkDer })),
      "CertificateChainInvalid",
    );
    // A forged VCEK naming AMD's ASK as issuer, signed by another key, for a report signed by the forger.
    const forger = ecKeyPair();
    const forged = makeCertificate({
      subject: nameOf("SEV-VCEK"),
      issuer: parseCertificate(askDer).subject,
      spki: spkiOfNoble(TEST_VCEK_PUBLIC),
      signer: forger.privateKey,
      ca: false,
      extensions: [[OID_VCEK_HWID, hexToBytes(REAL_CHIP_ID)]],
    });
    const report = signReport(real().report);
    verifySevSnpReportSignature(parseSevSnpReport(report), TEST_VCEK_PUBLIC.subarray(1));
    expectCode(
      () => verifySevSnpAttestation(report, realOptions({ vcek: forged })),
      "CertificateChainInvalid",
      /does not verify/,
    );
    // A VCEK from the test chain with AMD's ASK and ARK.
    expectCode(
      () => verifySevSnpAttestation(report, realOptions({ vcek: TEST_CHAIN.vcek })),
      "CertificateChainInvalid",
    );
  });

  it("rejects a broken chain bundle", withVectors, () => {
    const [askDer, arkDer] = pemCertificates(real().chain) as [Uint8Array, Uint8Array];
    expectCode(
      () => verifySevSnpAttestation(real().report, realOptions({ chain: pem(arkDer) + pem(askDer) })),
      "CertificateChainInvalid",
    );
    expectCode(
      () => verifySevSnpAttestation(real().report, realOptions({ chain: pem(askDer) })),
      "CertificateChainInvalid",
    );
    expectCode(
      () => verifySevSnpAttestation(real().report, realOptions({ chain: pem(arkDer) })),
      "CertificateChainInvalid",
    );
    expectCode(() => verifySevSnpAttestation(real().report, realOptions({ chain: "" })), "Malformed");
    // The bundle may also be given as bytes.
    verifySevSnpAttestation(real().report, realOptions({ chain: new TextEncoder().encode(real().chain) }));
  });

  it("rejects a bit flip in every byte of the VCEK certificate", withVectors, () => {
    const codes = new Map<string, number>();
    for (let offset = 0; offset < real().vcek.length; offset++) {
      const vcek = real().vcek.slice();
      vcek[offset] = (vcek[offset] as number) ^ 0x01;
      const error = attestationErrorOf(() => verifySevSnpAttestation(real().report, realOptions({ vcek })));
      assert.ok(
        ["CertificateChainInvalid", "CertificateExpired", "Malformed", "Truncated"].includes(error.code),
        `offset ${offset}: ${error.message}`,
      );
      codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
    }
    assert.ok(
      (codes.get("CertificateChainInvalid") ?? 0) > real().vcek.length / 2,
      JSON.stringify([...codes]),
    );
  });

  it("rejects every shorter length (Truncated) and longer ones (Oversized)", withVectors, () => {
    for (let length = 0; length < SEV_SNP_REPORT_SIZE; length += 7) {
      const bytes = real().report.slice(0, length);
      expectCode(() => parseSevSnpReport(bytes), "Truncated");
      expectCode(() => verifySevSnpAttestation(bytes, realOptions()), "Truncated");
    }
    expectCode(() => parseSevSnpReport(real().report.slice(0, SEV_SNP_REPORT_SIZE - 1)), "Truncated");
    for (const extra of [1, 2, 100, 4000]) {
      const bytes = new Uint8Array(SEV_SNP_REPORT_SIZE + extra);
      bytes.set(real().report);
      expectCode(() => parseSevSnpReport(bytes), "Oversized");
      expectCode(() => verifySevSnpAttestation(bytes, realOptions()), "Oversized");
    }
  });

  it(
    "property: random mutations of the real report are rejected unless they change nothing",
    withVectors,
    () => {
      const original = real().report;
      fc.assert(
        fc.property(
          fc.array(
            fc.record({ offset: fc.nat(SEV_SNP_REPORT_SIZE - 1), xor: fc.integer({ min: 1, max: 255 }) }),
            {
              minLength: 1,
              maxLength: 6,
            },
          ),
          // Mostly same-length mutations (the interesting ones); one in ten also changes the length.
          fc.oneof(
            { arbitrary: fc.constant(null), weight: 9 },
            { arbitrary: fc.nat(2 * SEV_SNP_REPORT_SIZE), weight: 1 },
          ),
          (flips, newLength) => {
            let bytes = original.slice();
            for (const { offset, xor } of flips) bytes[offset] = (bytes[offset] as number) ^ xor;
            if (newLength !== null) {
              const resized = new Uint8Array(newLength);
              resized.set(bytes.subarray(0, newLength));
              bytes = resized;
            }
            const unchanged = bytes.length === original.length && bytes.every((x, i) => x === original[i]);
            if (unchanged) verifySevSnpAttestation(bytes, realOptions());
            else attestationErrorOf(() => verifySevSnpAttestation(bytes, realOptions()));
          },
        ),
        { numRuns: 2500 },
      );
    },
  );
});

describe("SEV-SNP: reports signed by a test chain", () => {
  const good = signReport(syntheticReport());

  it("a non-debug report verifies under the default policy", () => {
    const result = verifySevSnpAttestation(
      good,
      testOptions({ expectedReportData: SYNTHETIC_REPORT_DATA, minimumTcb: TEST_TCB }),
    );
    assert.deepEqual(result.reportedTcb, TEST_TCB);
    assert.equal(result.measurement, keccak256(new Uint8Array(48).fill(0x5a)));
    assert.equal(result.vcek.productName, undefined);
    assert.equal(result.arkSpkiSha256, TEST_ARK_PIN);
  });

  it("the same report is rejected with the AMD pin (UntrustedRoot)", () => {
    expectCode(() => verifySevSnpAttestation(good, testOptions({ pinnedArks: undefined })), "UntrustedRoot");
  });

  it("a debug guest is rejected (DebugEnclave) unless allowDebug", () => {
    const debug = signReport(syntheticReport((b) => setU64(b, 0x08, 0x30000n | POLICY_DEBUG)));
    const report = parseSevSnpReport(debug);
    verifySevSnpReportSignature(report, TEST_VCEK_PUBLIC.subarray(1));
    expectCode(() => checkSevSnpPolicy(report, {}), "DebugEnclave", /bit 19/);
    expectCode(() => verifySevSnpAttestation(debug, testOptions()), "DebugEnclave");
    checkSevSnpPolicy(report, { allowDebug: true });
    verifySevSnpAttestation(debug, testOptions({ allowDebug: true }));
  });

  it("checkSevSnpPolicy on a parsed report whose policy is changed", () => {
    const report: SevSnpReport = parseSevSnpReport(good);
    checkSevSnpPolicy(report);
    expectCode(() => checkSevSnpPolicy({ ...report, policy: report.policy | POLICY_DEBUG }), "DebugEnclave");
    checkSevSnpPolicy({ ...report, policy: report.policy | (1n << 18n) | (1n << 20n) }); // other bits: no verdict
    expectCode(
      () => checkSevSnpPolicy(report, { minimumTcb: { ...TEST_TCB, microcode: TEST_TCB.microcode + 1 } }),
      "TcbTooLow",
    );
    expectCode(
      () => checkSevSnpPolicy(report, { expectedReportData: new Uint8Array(64) }),
      "ReportDataMismatch",
    );
  });

  it("a VCEK certifying another TCB is rejected (TcbTooLow: disagrees with VCEK)", () => {
    for (const component of ["bootloader", "tee", "snp", "microcode"] as const) {
      const chain = makeTestChain({ tcb: { ...TEST_TCB, [component]: TEST_TCB[component] + 1 } });
      expectCode(
        () => verifySevSnpAttestation(good, testOptions({}, chain)),
        "TcbTooLow",
        /disagrees with VCEK/,
      );
    }
  });

  it("a VCEK of another chip is rejected; a masked chip id skips the comparison", () => {
    const otherChip = makeTestChain({ hwId: new Uint8Array(64).fill(9) });
    expectCode(
      () => verifySevSnpAttestation(good, testOptions({}, otherChip)),
      "CertificateChainInvalid",
      /another chip/,
    );
    const masked = signReport(syntheticReport((b) => b.fill(0, 0x1a0, 0x1e0)));
    verifySevSnpAttestation(masked, testOptions({}, otherChip));
    expectCode(
      () => verifySevSnpAttestation(good, testOptions({}, makeTestChain({ hwId: undefined }))),
      "Malformed",
      /hwID/,
    );
    expectCode(
      () => verifySevSnpAttestation(good, testOptions({}, makeTestChain({ hwId: der.octets(TEST_CHIP_ID) }))),
      "Malformed",
      /66 bytes/,
    );
  });

  it("a VCEK without TCB extensions, or with non-INTEGER ones, is Malformed", () => {
    const { chain } = TEST_CHAIN;
    const vcekSpki = spkiOfNoble(TEST_VCEK_PUBLIC);
    const askName = nameOf("Test-ASK");
    const build = (extensions: [string, Uint8Array][]) => ({
      vcek: makeCertificate({
        subject: nameOf("SEV-VCEK"),
        issuer: askName,
        spki: vcekSpki,
        signer: TEST_ASK.privateKey,
        ca: false,
        extensions,
      }),
      chain,
    });
    const tcbExtensions = (value: (v: number) => Uint8Array): [string, Uint8Array][] =>
      Object.entries(OID_VCEK_TCB).map(([c, oid]) => [oid, value(TEST_TCB[c as keyof SevSnpTcb])]);
    expectCode(
      () => verifySevSnpAttestation(good, testOptions({}, build([[OID_VCEK_HWID, TEST_CHIP_ID]]))),
      "Malformed",
      /missing/,
    );
    expectCode(
      () =>
        verifySevSnpAttestation(
          good,
          testOptions({}, build(tcbExtensions((v) => der.octets(Uint8Array.of(v))))),
        ),
      "Malformed",
    );
    expectCode(
      () => verifySevSnpAttestation(good, testOptions({}, build(tcbExtensions(() => der.int(256n))))),
      "Malformed",
      /does not fit/,
    );
  });

  it("a report signed by another key is rejected (ReportSignatureInvalid)", () => {
    const other = signReport(syntheticReport(), p384.utils.randomSecretKey());
    expectCode(() => verifySevSnpAttestation(other, testOptions()), "ReportSignatureInvalid");
  });

  it("a high-s signature is accepted (the firmware does not normalise s)", () => {
    const highS = signReport(syntheticReport(), TEST_VCEK_SECRET, true);
    verifySevSnpAttestation(highS, testOptions());
  });

  it("r or s of zero, or at least the group order, is rejected", () => {
    const n = p384.Point.Fn.ORDER;
    for (const [offset, value] of [
      [0x2a0, 0n],
      [0x2e8, 0n],
      [0x2a0, n],
      [0x2e8, n + 1n],
      [0x2e8, (1n << 384n) - 1n],
    ] as const) {
      const bytes = good.slice();
      writeScalarLE(bytes, offset, value);
      expectCode(() => verifySevSnpAttestation(bytes, testOptions()), "ReportSignatureInvalid");
    }
  });

  it("VLEK-signed and chip-key-masked reports are refused", () => {
    const vlek = signReport(syntheticReport((b) => setU32(b, 0x48, 1 << 2)));
    expectCode(() => verifySevSnpAttestation(vlek, testOptions()), "Unsupported", /key type 1/);
    const masked = signReport(syntheticReport((b) => setU32(b, 0x48, 2)));
    expectCode(
      () => verifySevSnpAttestation(masked, testOptions()),
      "ReportSignatureInvalid",
      /MASK_CHIP_KEY/,
    );
    expectCode(() => parseSevSnpReport(syntheticReport((b) => setU32(b, 0x48, 1 << 5))), "Malformed");
  });

  it("a VCEK with a P-256 key is refused (Unsupported)", () => {
    const chain = makeTestChain({ vcekSpki: spkiOf(ecKeyPair("prime256v1").publicKey) });
    expectCode(() => verifySevSnpAttestation(good, testOptions({}, chain)), "Unsupported", /P-384/);
  });

  it("verifySevSnpReportSignature checks the key's size and curve", () => {
    const report = parseSevSnpReport(good);
    verifySevSnpReportSignature(report, TEST_VCEK_PUBLIC.subarray(1));
    verifySevSnpReportSignature(report, ecPublicKeyXY(parseCertificate(TEST_CHAIN.vcek)));
    expectCode(() => verifySevSnpReportSignature(report, TEST_VCEK_PUBLIC), "Malformed", /96 bytes/);
    expectCode(
      () => verifySevSnpReportSignature(report, new Uint8Array(96).fill(1)),
      "Malformed",
      /P-384 point/,
    );
  });

  it("versions 2 to 5 parse; others, another algorithm or another CPU family do not", () => {
    for (const version of [0, 1, 6, 0xffffffff]) {
      expectCode(
        () => parseSevSnpReport(syntheticReport((b) => setU32(b, 0, version))),
        "Unsupported",
        /version/,
      );
    }
    for (const version of [3, 4, 5]) {
      const report = parseSevSnpReport(syntheticReport(withCpuid(version, [0x19, 0x01, 0x01])));
      assert.deepEqual(report.cpuid, { family: 0x19, model: 1, stepping: 1 });
      verifySevSnpAttestation(signReport(report.raw), testOptions());
    }
    // Turin (family 0x1A) packs the TCB differently.
    expectCode(() => parseSevSnpReport(syntheticReport(withCpuid(3, [0x1a, 0x02, 0x01]))), "Unsupported");
    expectCode(() => parseSevSnpReport(syntheticReport((b) => b.set([0x1a], 0x188))), "Malformed"); // reserved in v2
    for (const algorithm of [0, 2]) {
      expectCode(
        () => parseSevSnpReport(syntheticReport((b) => setU32(b, 0x34, algorithm))),
        "Unsupported",
        /algorithm/,
      );
    }
    expectCode(
      () => parseSevSnpReport(syntheticReport((b) => b.fill(1, 0x183, 0x184))),
      "Unsupported",
      /Milan\/Genoa/,
    );
  });

  it("the parsed report is a copy: changing the input afterwards changes nothing", () => {
    // A Node Buffer too, whose slice() is a view rather than a copy.
    for (const bytes of [good.slice(), Buffer.from(good)]) {
      const report = parseSevSnpReport(bytes);
      bytes.fill(0);
      verifySevSnpReportSignature(report, TEST_VCEK_PUBLIC.subarray(1));
      assert.equal(report.version, 2);
    }
  });

  it("property: arbitrary bytes only ever fail with AttestationError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 2000 }), (bytes) => {
        attestationErrorOf(() => parseSevSnpReport(bytes));
        attestationErrorOf(() => verifySevSnpAttestation(bytes, testOptions()));
      }),
      { numRuns: 5000 },
    );
  });

  it("property: mutated reports and arbitrary policies are rejected unless nothing changed", () => {
    const tcb = fc.record({
      bootloader: fc.integer({ min: 0, max: 255 }),
      tee: fc.integer({ min: 0, max: 255 }),
      snp: fc.integer({ min: 0, max: 255 }),
      microcode: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ offset: fc.nat(SEV_SNP_REPORT_SIZE - 1), value: fc.integer({ min: 0, max: 255 }) }),
          {
            maxLength: 4,
          },
        ),
        fc.option(tcb),
        fc.option(
          fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 70 }), fc.constant(SYNTHETIC_REPORT_DATA)),
        ),
        fc.boolean(),
        (writes, minimumTcb, expectedReportData, allowDebug) => {
          const bytes = good.slice();
          for (const { offset, value } of writes) bytes[offset] = value;
          const options = testOptions({
            minimumTcb: minimumTcb ?? undefined,
            expectedReportData: expectedReportData ?? undefined,
            allowDebug,
          });
          const unchanged = bytes.every((x, i) => x === good[i]);
          let accepted = false;
          try {
            verifySevSnpAttestation(bytes, options);
            accepted = true;
          } catch (e) {
            assert.ok(e instanceof AttestationError, String(e));
          }
          if (accepted) assert.ok(unchanged, "a changed report was accepted");
          // Policy alone, on whatever parses: only AttestationErrors.
          try {
            checkSevSnpPolicy(parseSevSnpReport(bytes), options);
          } catch (e) {
            assert.ok(e instanceof AttestationError, String(e));
          }
        },
      ),
      { numRuns: 2500 },
    );
  });
});
