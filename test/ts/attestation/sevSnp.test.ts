// Tests of the SEV-SNP report parser and verifier (sdk/attestation/sevSnp.ts, sevSnpVerify.node.ts).
//
// Real-hardware vectors (attestation.bin, vcek.testcer, milan.testcer) come from
// github.com/google/go-sev-guest verify/testdata (commit af1c107), Apache-2.0, Copyright Google LLC.
// They are read in place from the shared test-vector folder (test/support/testVectors.ts) and the
// tests that need them are skipped, with that reason, only when the folder is absent.
//
// AMD's key cannot sign anything new, so the paths that need a differently signed report (a
// non-debug guest, a VCEK disagreeing with the report, other key types) use a test chain built
// in test/support/snpTestChain.ts: our own ARK → ASK → VCEK, pinned explicitly, with the VCEK key
// from @noble/curves. It runs through exactly the same verifier; only the pinned root differs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { p384 } from "@noble/curves/nist.js";
import fc from "fast-check";
import { keccak256 } from "viem";
import { hexToBytes, toHex } from "../../../sdk/attestation/bytes.ts";
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
import {
  ecKeyPair,
  makeCertificate,
  makeTestChain,
  nameOf,
  OID_VCEK_HWID,
  OID_VCEK_TCB,
  POLICY_DEBUG,
  pem,
  SYNTHETIC_REPORT_DATA,
  setU32,
  setU64,
  signReport,
  spkiOf,
  spkiOfNoble,
  syntheticReport,
  TEST_ARK_PIN,
  TEST_ASK,
  TEST_CHAIN,
  TEST_CHIP_ID,
  TEST_TCB,
  TEST_VCEK_PUBLIC,
  TEST_VCEK_SECRET,
  type TestChain,
  withCpuid,
  writeScalarLE,
} from "../../support/snpTestChain.ts";
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

// --- the test chain (test/support/snpTestChain.ts) ----------------------------------------------

function testOptions(
  overrides: Partial<SevSnpVerifyOptions> = {},
  chain: TestChain = TEST_CHAIN,
): SevSnpVerifyOptions {
  return { ...chain, at: AT, pinnedArks: [TEST_ARK_PIN], ...overrides };
}

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
