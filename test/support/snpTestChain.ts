// A test SEV-SNP certificate chain (our own ARK → ASK → VCEK) and a report signer, for tests that
// need reports AMD's key never signed: a non-debug guest, a VCEK disagreeing with the report, other
// key types, or a report whose report data is a job binding (the market tests). Reports signed here
// run through exactly the same verifier as real ones; only the pinned root (TEST_ARK_PIN) differs.
// The ARK, ASK and VCEK keys are generated afresh in every process.
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { p384 } from "@noble/curves/nist.js";
import { sha384 } from "@noble/hashes/sha2.js";
import { bigIntToBytesBE, bytesToBigIntBE } from "../../sdk/attestation/bytes.ts";
import { der } from "../../sdk/attestation/der.ts";
import { SEV_SNP_REPORT_SIZE, SEV_SNP_SIGNED_LENGTH, type SevSnpTcb } from "../../sdk/attestation/sevSnp.ts";

// --- report byte helpers -------------------------------------------------------------------------

/** Writes a little-endian u32 at `offset`. */
export function setU32(b: Uint8Array, offset: number, value: number): void {
  new DataView(b.buffer, b.byteOffset).setUint32(offset, value, true);
}

/** Writes a little-endian u64 at `offset`. */
export function setU64(b: Uint8Array, offset: number, value: bigint): void {
  new DataView(b.buffer, b.byteOffset).setBigUint64(offset, value, true);
}

/** A TCB_VERSION (8 bytes) as Milan/Genoa lay it out: bootloader, TEE, 4 reserved, SNP, microcode. */
export function tcbBytes(tcb: SevSnpTcb): number[] {
  return [tcb.bootloader, tcb.tee, 0, 0, 0, 0, tcb.snp, tcb.microcode];
}

/** DER certificate → PEM (one base64 line). */
export const pem = (d: Uint8Array): string =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(d).toString("base64")}\n-----END CERTIFICATE-----\n`;

/** The guest policy's DEBUG bit (bit 19). */
export const POLICY_DEBUG = 1n << 19n;

// --- the test chain (our own ARK → ASK → VCEK) -------------------------------------------------

export const OID_CN = "2.5.4.3";
export const OID_BASIC_CONSTRAINTS = "2.5.29.19";
export const OID_ECDSA_SHA384 = "1.2.840.10045.4.3.3";
export const OID_VCEK_TCB: Record<keyof SevSnpTcb, string> = {
  bootloader: "1.3.6.1.4.1.3704.1.3.1",
  tee: "1.3.6.1.4.1.3704.1.3.2",
  snp: "1.3.6.1.4.1.3704.1.3.3",
  microcode: "1.3.6.1.4.1.3704.1.3.8",
};
export const OID_VCEK_HWID = "1.3.6.1.4.1.3704.1.4";

export const nameOf = (cn: string): Uint8Array => der.seq(der.set(der.seq(der.oid(OID_CN), der.utf8(cn))));

export type CertSpec = {
  subject: Uint8Array;
  issuer: Uint8Array;
  spki: Uint8Array;
  signer: KeyObject;
  ca: boolean;
  extensions?: [string, Uint8Array][];
};

/** A v3 certificate signed with ECDSA-SHA384, valid 2020..2040, built with the project's DER writer. */
export function makeCertificate(spec: CertSpec): Uint8Array {
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

export const spkiOf = (key: KeyObject): Uint8Array =>
  new Uint8Array(key.export({ type: "spki", format: "der" }));
export const ecKeyPair = (curve = "secp384r1") => generateKeyPairSync("ec", { namedCurve: curve });

/** The SPKI of a noble P-384 public key (uncompressed), through node's JWK import. */
export function spkiOfNoble(publicKey: Uint8Array): Uint8Array {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64url");
  return spkiOf(
    createPublicKey({
      key: { kty: "EC", crv: "P-384", x: b64(publicKey.subarray(1, 49)), y: b64(publicKey.subarray(49, 97)) },
      format: "jwk",
    }),
  );
}

/** The test ARK, ASK and VCEK keys (fresh per process), the ARK pin, and the chip id and TCB the VCEK certifies. */
export const TEST_ARK = ecKeyPair();
export const TEST_ASK = ecKeyPair();
export const TEST_VCEK_SECRET = p384.utils.randomSecretKey();
export const TEST_VCEK_PUBLIC = p384.getPublicKey(TEST_VCEK_SECRET, false);
export const TEST_ARK_PIN = createHash("sha256").update(spkiOf(TEST_ARK.publicKey)).digest("hex");
export const TEST_CHIP_ID = Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + 1) & 0xff);
export const TEST_TCB: SevSnpTcb = { bootloader: 3, tee: 0, snp: 8, microcode: 115 };

/** A VCEK certificate (DER) and its ASK ‖ ARK PEM bundle, as `SevSnpVerifyOptions` takes them. */
export type TestChain = { vcek: Uint8Array; chain: string };

/** A chain whose VCEK certifies `tcb` and `hwId` (defaults: the synthetic report's) for `vcekSpki`. */
export function makeTestChain(
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

/** The default test chain: the VCEK certifies TEST_TCB and TEST_CHIP_ID. */
export const TEST_CHAIN = makeTestChain();

// --- reports signed by the test VCEK -------------------------------------------------------------

/** Writes a big-endian 48-byte scalar as the report's 72-byte little-endian component. */
export function writeScalarLE(out: Uint8Array, offset: number, value: bigint): void {
  out.fill(0, offset, offset + 72);
  out.set(bigIntToBytesBE(value, 48).reverse(), offset);
}

/** Signs bytes 0..0x2A0 as the firmware would (r, s little-endian); `highS` uses n - s instead of s. */
export function signReport(bytes: Uint8Array, secret = TEST_VCEK_SECRET, highS = false): Uint8Array {
  const out = bytes.slice();
  const signature = p384.sign(sha384(out.subarray(0, SEV_SNP_SIGNED_LENGTH)), secret, { prehash: false });
  const r = bytesToBigIntBE(signature.subarray(0, 48));
  const s = bytesToBigIntBE(signature.subarray(48, 96));
  writeScalarLE(out, 0x2a0, r);
  writeScalarLE(out, 0x2e8, highS ? p384.Point.Fn.ORDER - s : s);
  return out;
}

/** The report data of {@link syntheticReport} (32 bytes; the other 32 are zero). */
export const SYNTHETIC_REPORT_DATA = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);

/** A version-2 report of a non-debug guest with the test chain's chip id and TCB, unsigned. */
export function syntheticReport(edit?: (b: Uint8Array) => void): Uint8Array {
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
export const withCpuid =
  (version: number, cpuid: [number, number, number]) =>
  (b: Uint8Array): void => {
    setU32(b, 0, version);
    b.set(cpuid, 0x188);
  };

/** Byte offset of the 64-byte report data in a report. */
export const REPORT_DATA_OFFSET = 0x50;

/**
 * A report of the test chain's (non-debug) guest whose 64-byte report data is `reportData` (e.g. a
 * job binding ‖ 32 zero bytes), signed by the test VCEK; `edit` changes other fields before signing.
 */
export function signedReportWithData(reportData: Uint8Array, edit?: (b: Uint8Array) => void): Uint8Array {
  if (reportData.length !== 64)
    throw new RangeError(`report data of ${reportData.length} bytes, expected 64`);
  return signReport(
    syntheticReport((b) => {
      b.set(reportData, REPORT_DATA_OFFSET);
      edit?.(b);
    }),
  );
}
