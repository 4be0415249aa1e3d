import { createHash, type KeyObject, verify as verifySignature, X509Certificate } from "node:crypto";
import { bytesEqual } from "./bytes.ts";
import {
  children,
  decodeOne,
  derBitString,
  derInteger,
  derOid,
  derTime,
  expectTag,
  readTlv,
  Tag,
  type Tlv,
} from "./der.ts";
import { AttestationError } from "./errors.ts";

// X.509 certificate chains and CRLs for Intel PCK and AMD VCEK chains. node:crypto verifies the
// signatures (ECDSA and RSA-PSS); the DER walk here extracts what node:crypto does not expose:
// raw names, serials, validity, extensions, and the CRL structure.

/** A parsed certificate: node:crypto's view plus the raw fields the verifiers compare. */
export type Certificate = {
  x509: X509Certificate;
  der: Uint8Array;
  serial: bigint;
  /** DER of the issuer and subject Names (compared byte for byte). */
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex: how roots are pinned. */
  spkiSha256: string;
  /** Extensions by OID: their DER value (the content of extnValue). */
  extensions: Map<string, Uint8Array>;
  /** The subject Common Name, for messages. */
  commonName: string;
};

const OID_COMMON_NAME = "2.5.4.3";

/** Parses one DER certificate. Throws AttestationError (Malformed/Truncated) on bad input. */
export function parseCertificate(derBytes: Uint8Array, what = "certificate"): Certificate {
  const cert = decodeOne(derBytes, Tag.Sequence, what);
  const [tbs] = children(cert, what);
  const fields = children(expectTag(tbs, Tag.Sequence, `${what} TBS`), `${what} TBS`);
  let i = 0;
  if (fields[0]?.tag === 0xa0) i++; // [0] version
  const serial = derInteger(fields[i++], `${what} serial`);
  i++; // signature algorithm
  const issuer = expectTag(fields[i++], Tag.Sequence, `${what} issuer`);
  const validity = children(expectTag(fields[i++], Tag.Sequence, `${what} validity`), `${what} validity`);
  const subject = expectTag(fields[i++], Tag.Sequence, `${what} subject`);
  const spki = expectTag(fields[i++], Tag.Sequence, `${what} public key`);
  const extensions = new Map<string, Uint8Array>();
  for (; i < fields.length; i++) {
    const f = fields[i] as Tlv;
    if (f.tag !== 0xa3) continue;
    const list = children(
      expectTag(children(f, `${what} extensions`)[0], Tag.Sequence, `${what} extensions`),
      what,
    );
    for (const ext of list) {
      const parts = children(expectTag(ext, Tag.Sequence, `${what} extension`), `${what} extension`);
      const oid = derOid(parts[0], `${what} extension id`);
      const value = expectTag(parts[parts.length - 1], Tag.OctetString, `${what} extension ${oid}`).value;
      if (extensions.has(oid)) throw new AttestationError("Malformed", `${what}: duplicate extension ${oid}`);
      extensions.set(oid, value);
    }
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(derBytes);
  } catch (cause) {
    throw new AttestationError("Malformed", `${what}: not an X.509 certificate node:crypto accepts`, {
      cause,
    });
  }
  return {
    x509,
    der: derBytes,
    serial,
    issuer: issuer.raw,
    subject: subject.raw,
    notBefore: derTime(validity[0], `${what} notBefore`),
    notAfter: derTime(validity[1], `${what} notAfter`),
    spkiSha256: createHash("sha256").update(spki.raw).digest("hex"),
    extensions,
    commonName: commonNameOf(subject),
  };
}

function commonNameOf(name: Tlv): string {
  for (const rdn of children(name, "name")) {
    for (const atv of children(rdn, "name attribute")) {
      const [type, value] = children(atv, "name attribute");
      if (type?.tag === Tag.Oid && derOid(type, "name attribute") === OID_COMMON_NAME && value) {
        return new TextDecoder().decode(value.value);
      }
    }
  }
  return "(no common name)";
}

/** Splits a PEM bundle into DER certificates (in order). */
export function pemCertificates(pem: string | Uint8Array, what = "PEM certificate chain"): Uint8Array[] {
  const text = typeof pem === "string" ? pem : new TextDecoder("utf-8", { fatal: false }).decode(pem);
  const out: Uint8Array[] = [];
  const re = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g;
  for (const m of text.matchAll(re))
    out.push(new Uint8Array(Buffer.from((m[1] as string).replace(/\s+/g, ""), "base64")));
  if (out.length === 0) throw new AttestationError("Malformed", `${what}: no PEM certificate found`);
  return out;
}

/** A parsed certificate revocation list. */
export type Crl = {
  tbs: Uint8Array;
  signatureAlgorithm: string;
  signature: Uint8Array;
  issuer: Uint8Array;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  revokedSerials: Set<bigint>;
  /** Label for messages (e.g. "PCK CRL"). */
  label: string;
};

/** Parses a DER (or PEM) X.509 CRL. */
export function parseCrl(input: Uint8Array, label = "CRL"): Crl {
  let bytes = input;
  const text = new TextDecoder().decode(input.subarray(0, 32));
  if (text.startsWith("-----BEGIN X509 CRL-----")) {
    const body = new TextDecoder()
      .decode(input)
      .match(/-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]*?)-----END X509 CRL-----/);
    if (!body) throw new AttestationError("Malformed", `${label}: bad PEM`);
    bytes = new Uint8Array(Buffer.from((body[1] as string).replace(/\s+/g, ""), "base64"));
  }
  const crl = decodeOne(bytes, Tag.Sequence, label);
  const [tbs, alg, sig] = children(crl, label);
  const fields = children(expectTag(tbs, Tag.Sequence, `${label} TBS`), `${label} TBS`);
  let i = 0;
  if (fields[0]?.tag === Tag.Integer) i++; // version
  i++; // signature algorithm
  const issuer = expectTag(fields[i++], Tag.Sequence, `${label} issuer`);
  const thisUpdate = derTime(fields[i++], `${label} thisUpdate`);
  let nextUpdate: Date | undefined;
  if (fields[i] && (fields[i]?.tag === Tag.UtcTime || fields[i]?.tag === Tag.GeneralizedTime)) {
    nextUpdate = derTime(fields[i++], `${label} nextUpdate`);
  }
  const revokedSerials = new Set<bigint>();
  if (fields[i]?.tag === Tag.Sequence) {
    for (const entry of children(fields[i++] as Tlv, `${label} revoked certificates`)) {
      const [serial] = children(expectTag(entry, Tag.Sequence, `${label} entry`), `${label} entry`);
      revokedSerials.add(derInteger(serial, `${label} revoked serial`));
    }
  }
  return {
    tbs: (tbs as Tlv).raw,
    signatureAlgorithm: derOid(
      children(expectTag(alg, Tag.Sequence, `${label} algorithm`), label)[0],
      `${label} algorithm`,
    ),
    signature: derBitString(sig, `${label} signature`),
    issuer: issuer.raw,
    thisUpdate,
    nextUpdate,
    revokedSerials,
    label,
  };
}

const ECDSA_HASH_BY_OID: Record<string, string> = {
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
};

/** Options of {@link verifyCertificateChain}. */
export type ChainOptions = {
  /** The validation time (certificates and CRLs are checked against it). */
  at: Date;
  /** Accepted roots: SHA-256 of their SubjectPublicKeyInfo (lower-case hex). */
  pinnedRoots: readonly string[];
  /** Revocation lists to apply; each must be signed by a certificate of the chain. */
  crls?: readonly Crl[] | undefined;
  /** Label for messages (e.g. "PCK chain"). */
  label: string;
};

/**
 * Verifies a chain given leaf first and ending in a self-signed root: names link, every signature
 * verifies with the next certificate's key, intermediates are CAs, every certificate is valid at
 * `at`, the root is pinned, and no certificate is on a (valid, correctly signed) CRL.
 */
export function verifyCertificateChain(chain: readonly Certificate[], options: ChainOptions): void {
  const { label, at } = options;
  if (chain.length < 2)
    throw new AttestationError("CertificateChainInvalid", `${label}: needs at least a leaf and a root`);
  if (chain.length > 6)
    throw new AttestationError(
      "CertificateChainInvalid",
      `${label}: ${chain.length} certificates is too long`,
    );
  for (const [index, cert] of chain.entries()) {
    if (at < cert.notBefore || at > cert.notAfter) {
      throw new AttestationError(
        "CertificateExpired",
        `${label}: "${cert.commonName}" is not valid at ${at.toISOString()}`,
        {
          details: `valid from ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}`,
        },
      );
    }
    const issuer = chain[Math.min(index + 1, chain.length - 1)] as Certificate;
    if (!bytesEqual(cert.issuer, issuer.subject)) {
      throw new AttestationError(
        "CertificateChainInvalid",
        `${label}: "${cert.commonName}" is not issued by "${issuer.commonName}"`,
      );
    }
    if (index > 0 && !cert.x509.ca) {
      throw new AttestationError(
        "CertificateChainInvalid",
        `${label}: "${cert.commonName}" signs certificates but is not a CA`,
      );
    }
    if (!safeVerify(cert.x509, issuer.x509.publicKey)) {
      throw new AttestationError(
        "CertificateChainInvalid",
        `${label}: signature of "${cert.commonName}" does not verify with "${issuer.commonName}"`,
      );
    }
  }
  const root = chain[chain.length - 1] as Certificate;
  if (!options.pinnedRoots.includes(root.spkiSha256)) {
    throw new AttestationError("UntrustedRoot", `${label}: root "${root.commonName}" is not a pinned root`, {
      details: `its public key SHA-256 is ${root.spkiSha256}`,
    });
  }
  for (const crl of options.crls ?? []) applyCrl(crl, chain, options);
}

function applyCrl(crl: Crl, chain: readonly Certificate[], options: ChainOptions): void {
  const issuer = chain.find((c) => bytesEqual(c.subject, crl.issuer));
  if (!issuer)
    throw new AttestationError(
      "CollateralInvalid",
      `${crl.label}: its issuer is not in the ${options.label}`,
    );
  const hash = ECDSA_HASH_BY_OID[crl.signatureAlgorithm];
  if (!hash)
    throw new AttestationError("Unsupported", `${crl.label}: signature algorithm ${crl.signatureAlgorithm}`);
  if (!safeVerifyRaw(hash, crl.tbs, issuer.x509.publicKey, crl.signature)) {
    throw new AttestationError(
      "CollateralInvalid",
      `${crl.label}: signature does not verify with "${issuer.commonName}"`,
    );
  }
  if (options.at < crl.thisUpdate || (crl.nextUpdate !== undefined && options.at > crl.nextUpdate)) {
    throw new AttestationError(
      "CollateralExpired",
      `${crl.label}: not current at ${options.at.toISOString()}`,
      {
        details: `issued ${crl.thisUpdate.toISOString()}, next update ${crl.nextUpdate?.toISOString() ?? "none"}`,
      },
    );
  }
  for (const cert of chain) {
    if (bytesEqual(cert.issuer, crl.issuer) && cert !== issuer && crl.revokedSerials.has(cert.serial)) {
      throw new AttestationError(
        "CertificateRevoked",
        `${options.label}: "${cert.commonName}" (serial ${cert.serial.toString(16)}) is on the ${crl.label}`,
      );
    }
  }
}

function safeVerify(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.verify(key);
  } catch {
    return false;
  }
}

function safeVerifyRaw(hash: string, data: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  try {
    return verifySignature(hash, data, key, signature);
  } catch {
    return false;
  }
}

/** The raw uncompressed P-256/P-384 point (x‖y, no 0x04 prefix) of a certificate's EC key. */
export function ecPublicKeyXY(cert: Certificate): Uint8Array {
  const jwk = cert.x509.publicKey.export({ format: "jwk" });
  if (jwk.kty !== "EC" || !jwk.x || !jwk.y) {
    throw new AttestationError("Unsupported", `"${cert.commonName}" does not hold an EC public key`);
  }
  return new Uint8Array([...Buffer.from(jwk.x, "base64url"), ...Buffer.from(jwk.y, "base64url")]);
}

/** Walks DER nested SEQUENCEs of (OID, value) pairs, as the Intel SGX extension uses. */
export function oidValuePairs(bytes: Uint8Array, what: string): Map<string, Tlv> {
  const out = new Map<string, Tlv>();
  const seq = readTlv(bytes, 0, what);
  for (const item of children(expectTag(seq, Tag.Sequence, what), what)) {
    const [oid, value] = children(expectTag(item, Tag.Sequence, what), what);
    if (!value) throw new AttestationError("Malformed", `${what}: entry without value`);
    out.set(derOid(oid, what), value);
  }
  return out;
}
