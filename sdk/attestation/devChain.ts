import { p256 } from "@noble/curves/nist.js";
import { sha256, sha384 } from "@noble/hashes/sha2.js";
import { concatBytes, hexToBytes, toHex } from "./bytes.ts";
import { der } from "./der.ts";
import { type BuildIntelQuoteParameters, buildIntelQuote, p256PublicKeyXY } from "./intelQuoteBuilder.ts";
import { tdxMeasurement } from "./measurement.ts";

// The development attestation chain of the Simulated TEE: a root CA, a platform CA and a PCK
// certificate in Intel's shape, and a development quoting enclave. ALL KEYS ARE PUBLIC BY DESIGN
// (derived from fixed labels so every checkout and the LocalDevnet deployment agree): development
// quotes prove nothing about hardware. They exist so that development runs go through the same
// parser and verifiers as production; production configurations pin Intel's root and refuse this one.

const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  prime256v1: "1.2.840.10045.3.1.7",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  basicConstraints: "2.5.29.19",
  sgxExtensions: "1.2.840.113741.1.13.1",
} as const;

/** A P-256 private key derived from a public label (development only). */
export function devKey(label: string): Uint8Array {
  // Reduce a label hash into [1, n-1]; the bias is irrelevant for public development keys.
  const n = p256.Point.CURVE().n;
  const k = (BigInt(`0x${toHex(sha256(new TextEncoder().encode(label)))}`) % (n - 1n)) + 1n;
  return hexToBytes(k.toString(16).padStart(64, "0"));
}

/** Development keys, by role. */
export const DEV_KEYS = {
  root: devKey("blind-training/dev-attestation/root-ca/v1"),
  platform: devKey("blind-training/dev-attestation/platform-ca/v1"),
  pck: devKey("blind-training/dev-attestation/pck/v1"),
  attestation: devKey("blind-training/dev-attestation/qe-attestation-key/v1"),
} as const;

const label = (s: string) => new TextEncoder().encode(s);
/** MRSIGNER of the development quoting enclave (a label hash; Intel's TD QE is dc9e2a7c…). */
export const DEV_QE_MRSIGNER = sha256(label("blind-training/dev-attestation/qe-mrsigner/v1"));
/** FMSPC written into the development PCK certificate. */
export const DEV_FMSPC = hexToBytes("00b1d7000000");

/** The Simulated TD's launch measurements (a label hash stands for a built image). */
export const SIMULATED_TD = {
  mrTd: sha384(label("blind-training/simulated-td/mrtd/v1")),
  rtmrs: [0, 1, 2, 3].map((i) => sha384(label(`blind-training/simulated-td/rtmr${i}/v1`))),
} as const;
/** The measurement the Simulated TD is allow-listed under (TDX rule: keccak256(MRTD ‖ RTMR0..3)). */
export const SIMULATED_MEASUREMENT = tdxMeasurement(SIMULATED_TD);

const VALID_FROM = new Date("2025-01-01T00:00:00Z");
const VALID_TO = new Date("2049-12-31T23:59:59Z");

function name(cn: string): Uint8Array {
  return der.seq(
    der.set(der.seq(der.oid(OID.organization), der.utf8("Blind Training development"))),
    der.set(der.seq(der.oid(OID.commonName), der.utf8(cn))),
  );
}

function spki(privateKey: Uint8Array): Uint8Array {
  return der.seq(
    der.seq(der.oid(OID.ecPublicKey), der.oid(OID.prime256v1)),
    der.bits(p256.getPublicKey(privateKey, false)),
  );
}

/** The SGX extension of a PCK certificate (FMSPC, PCE id, TCB components), in Intel's ASN.1 shape. */
export function sgxPckExtension(p: {
  fmspc: Uint8Array;
  pceId?: Uint8Array;
  cpuSvn?: Uint8Array;
  tcbComponents?: readonly number[];
  pceSvn?: number;
}): Uint8Array {
  const sgx = (suffix: string) => der.oid(`${OID.sgxExtensions}.${suffix}`);
  const components = Array.from({ length: 16 }, (_, i) =>
    der.seq(sgx(`2.${i + 1}`), der.int(BigInt(p.tcbComponents?.[i] ?? 0))),
  );
  return der.seq(
    der.seq(sgx("1"), der.octets(new Uint8Array(16))),
    der.seq(
      sgx("2"),
      der.seq(
        ...components,
        der.seq(sgx("2.17"), der.int(BigInt(p.pceSvn ?? 0))),
        der.seq(sgx("2.18"), der.octets(p.cpuSvn ?? new Uint8Array(16))),
      ),
    ),
    der.seq(sgx("3"), der.octets(p.pceId ?? new Uint8Array(2))),
    der.seq(sgx("4"), der.octets(p.fmspc)),
    der.seq(sgx("5"), der.enumerated(0)),
  );
}

/** Parameters of {@link issueDevCertificate}. */
export type IssueCertificateParameters = {
  serial: bigint;
  subject: string;
  issuer: string;
  subjectKey: Uint8Array;
  issuerKey: Uint8Array;
  ca: boolean;
  validFrom?: Date | undefined;
  validTo?: Date | undefined;
  /** Extra extensions: [oid, DER value]. */
  extensions?: readonly (readonly [string, Uint8Array])[] | undefined;
};

/** Issues a P-256 certificate signed with ECDSA-SHA256 (DER). Deterministic. */
export function issueDevCertificate(p: IssueCertificateParameters): Uint8Array {
  const algorithm = der.seq(der.oid(OID.ecdsaWithSha256));
  const extensions = [
    der.seq(
      der.oid(OID.basicConstraints),
      der.bool(true),
      der.octets(der.seq(...(p.ca ? [der.bool(true)] : []))),
    ),
    ...(p.extensions ?? []).map(([oid, value]) => der.seq(der.oid(oid), der.octets(value))),
  ];
  const tbs = der.seq(
    der.explicit(0, der.int(2n)),
    der.int(p.serial),
    algorithm,
    name(p.issuer),
    der.seq(der.time(p.validFrom ?? VALID_FROM), der.time(p.validTo ?? VALID_TO)),
    name(p.subject),
    spki(p.subjectKey),
    der.explicit(3, der.seq(...extensions)),
  );
  const signature = p256.Signature.fromBytes(p256.sign(sha256(tbs), p.issuerKey, { prehash: false })).toBytes(
    "der",
  );
  return der.seq(tbs, algorithm, der.bits(signature));
}

/** DER certificate → PEM. */
export function toPem(derBytes: Uint8Array, kind = "CERTIFICATE"): string {
  let binary = "";
  for (const byte of derBytes) binary += String.fromCharCode(byte);
  const b64 = btoa(binary).replace(/(.{64})/g, "$1\n");
  return `-----BEGIN ${kind}-----\n${b64.replace(/\n$/, "")}\n-----END ${kind}-----\n`;
}

/** The development chain's certificates (DER) and its PEM bundle, leaf first. */
export type DevCertificateChain = { pck: Uint8Array; platform: Uint8Array; root: Uint8Array; pem: string };
let devChain: DevCertificateChain | undefined;

/**
 * The development chain. Deterministic (RFC 6979 signatures over fixed fields), so it is built once
 * per process and shared: every Simulated quote embeds it. Callers must not mutate the arrays.
 */
export function devCertificateChain(): DevCertificateChain {
  devChain ??= issueDevChain();
  return devChain;
}

function issueDevChain(): DevCertificateChain {
  const root = issueDevCertificate({
    serial: 1n,
    subject: "Blind Training DEV Attestation Root CA",
    issuer: "Blind Training DEV Attestation Root CA",
    subjectKey: DEV_KEYS.root,
    issuerKey: DEV_KEYS.root,
    ca: true,
  });
  const platform = issueDevCertificate({
    serial: 2n,
    subject: "Blind Training DEV PCK Platform CA",
    issuer: "Blind Training DEV Attestation Root CA",
    subjectKey: DEV_KEYS.platform,
    issuerKey: DEV_KEYS.root,
    ca: true,
  });
  const pck = issueDevCertificate({
    serial: 3n,
    subject: "Blind Training DEV PCK Certificate",
    issuer: "Blind Training DEV PCK Platform CA",
    subjectKey: DEV_KEYS.pck,
    issuerKey: DEV_KEYS.platform,
    ca: false,
    extensions: [[OID.sgxExtensions, sgxPckExtension({ fmspc: DEV_FMSPC })]],
  });
  return { pck, platform, root, pem: [pck, platform, root].map((c) => toPem(c)).join("") };
}

/** The development PCK public key x‖y (registered on the development IntelQuoteVerifier). */
export const DEV_PCK_PUBLIC_KEY = p256PublicKeyXY(DEV_KEYS.pck);

/** Parameters of {@link buildSimulatedQuote}. */
export type BuildSimulatedQuoteParameters = {
  /** The 64-byte report data (the job binding followed by zeros). */
  reportData: Uint8Array;
  /** Overrides of TD report fields (tests use them to build debug or wrong-measurement quotes). */
  report?: Partial<Extract<BuildIntelQuoteParameters["body"], { kind: "tdx" }>["report"]> | undefined;
};

/**
 * A Simulated-TEE quote: a TDX quote v4 of the Simulated TD, signed by the development QE
 * attestation key, its QE report signed by the development PCK key, the development chain embedded.
 *
 * @example
 * const quote = buildSimulatedQuote({ reportData: reportDataForBinding(binding) });
 */
export function buildSimulatedQuote(p: BuildSimulatedQuoteParameters): Uint8Array {
  return buildIntelQuote({
    body: {
      kind: "tdx",
      report: { mrTd: SIMULATED_TD.mrTd, rtmrs: SIMULATED_TD.rtmrs, ...p.report, reportData: p.reportData },
    },
    attestationKey: DEV_KEYS.attestation,
    pckKey: DEV_KEYS.pck,
    pckChainPem: devCertificateChain().pem,
    qeReport: { mrSigner: DEV_QE_MRSIGNER, isvProdId: 2 },
  });
}

/** The 64-byte report data for a 32-byte job binding (binding ‖ 32 zero bytes). */
export function reportDataForBinding(binding: Uint8Array | `0x${string}`): Uint8Array {
  const b = typeof binding === "string" ? hexToBytes(binding.slice(2)) : binding;
  if (b.length !== 32) throw new RangeError("a job binding is 32 bytes");
  return concatBytes(b, new Uint8Array(32));
}
