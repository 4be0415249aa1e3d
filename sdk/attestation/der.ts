import { bigIntToBytesBE, bytesToBigIntBE, concatBytes } from "./bytes.ts";
import { AttestationError } from "./errors.ts";

// A minimal DER (X.690 distinguished encoding) reader and writer: just what X.509 certificates,
// CRLs and the Intel/AMD certificate extensions need. Every read is bounds-checked and fails with
// an AttestationError naming the structure, never with a RangeError.

/** Universal tags used here. */
export const Tag = {
  Boolean: 0x01,
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Enumerated: 0x0a,
  Utf8String: 0x0c,
  PrintableString: 0x13,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  Sequence: 0x30,
  Set: 0x31,
} as const;

/** One decoded TLV: its tag, the whole encoding and the value bytes. */
export type Tlv = {
  tag: number;
  /** The full encoding (tag, length and value). */
  raw: Uint8Array;
  /** The value bytes. */
  value: Uint8Array;
};

/** Reads the TLV at `offset` of `bytes`, checking that it fits. */
export function readTlv(bytes: Uint8Array, offset: number, what: string): Tlv {
  if (offset + 2 > bytes.length) throw new AttestationError("Truncated", `${what}: DER header`);
  const tag = bytes[offset] as number;
  if ((tag & 0x1f) === 0x1f)
    throw new AttestationError("Malformed", `${what}: multi-byte DER tags are not used here`);
  let length = bytes[offset + 1] as number;
  let header = 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0) throw new AttestationError("Malformed", `${what}: indefinite length is not DER`);
    if (n > 4) throw new AttestationError("Malformed", `${what}: DER length of ${n} bytes`);
    if (offset + 2 + n > bytes.length) throw new AttestationError("Truncated", `${what}: DER length`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (bytes[offset + 2 + i] as number);
    if (length < 0x80 || (n > 1 && (bytes[offset + 2] as number) === 0)) {
      throw new AttestationError("Malformed", `${what}: non-minimal DER length`);
    }
    header += n;
  }
  const end = offset + header + length;
  if (end > bytes.length) {
    throw new AttestationError("Truncated", `${what}: DER value of ${length} bytes at offset ${offset}`);
  }
  return { tag, raw: bytes.subarray(offset, end), value: bytes.subarray(offset + header, end) };
}

/** Decodes `bytes` as exactly one TLV with the expected tag (no trailing bytes). */
export function decodeOne(bytes: Uint8Array, expectedTag: number, what: string): Tlv {
  const tlv = readTlv(bytes, 0, what);
  expectTag(tlv, expectedTag, what);
  if (tlv.raw.length !== bytes.length)
    throw new AttestationError("Malformed", `${what}: trailing bytes after DER value`);
  return tlv;
}

/** The children of a constructed TLV (SEQUENCE, SET, context-tagged). */
export function children(tlv: Tlv, what: string): Tlv[] {
  if ((tlv.tag & 0x20) === 0)
    throw new AttestationError("Malformed", `${what}: expected a constructed DER value`);
  const out: Tlv[] = [];
  let offset = 0;
  while (offset < tlv.value.length) {
    const child = readTlv(tlv.value, offset, what);
    out.push(child);
    offset += child.raw.length;
  }
  return out;
}

/** Throws unless `tlv` has `tag`. */
export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (tlv === undefined) throw new AttestationError("Malformed", `${what}: missing`);
  if (tlv.tag !== tag) {
    throw new AttestationError(
      "Malformed",
      `${what}: DER tag 0x${tlv.tag.toString(16)}, expected 0x${tag.toString(16)}`,
    );
  }
  return tlv;
}

/** An INTEGER's value (non-negative; X.509 and CRL serials, SVNs). */
export function derInteger(tlv: Tlv | undefined, what: string): bigint {
  const t = expectTag(tlv, Tag.Integer, what);
  if (t.value.length === 0) throw new AttestationError("Malformed", `${what}: empty INTEGER`);
  if (((t.value[0] as number) & 0x80) !== 0)
    throw new AttestationError("Malformed", `${what}: negative INTEGER`);
  return bytesToBigIntBE(t.value);
}

/** An OBJECT IDENTIFIER in dotted form. */
export function derOid(tlv: Tlv | undefined, what: string): string {
  const t = expectTag(tlv, Tag.Oid, what);
  const v = t.value;
  if (v.length === 0 || ((v[v.length - 1] as number) & 0x80) !== 0) {
    throw new AttestationError("Malformed", `${what}: bad OBJECT IDENTIFIER`);
  }
  const arcs: number[] = [];
  let acc = 0;
  for (const byte of v) {
    if (acc > 2 ** 40) throw new AttestationError("Malformed", `${what}: OBJECT IDENTIFIER arc too large`);
    acc = acc * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(acc < 80 ? Math.floor(acc / 40) : 2, acc < 80 ? acc % 40 : acc - 80);
      else arcs.push(acc);
      acc = 0;
    }
  }
  return arcs.join(".");
}

/** A UTCTime or GeneralizedTime (the forms X.509 allows: `YYMMDDHHMMSSZ` / `YYYYMMDDHHMMSSZ`). */
export function derTime(tlv: Tlv | undefined, what: string): Date {
  if (tlv === undefined) throw new AttestationError("Malformed", `${what}: missing`);
  const s = new TextDecoder().decode(tlv.value);
  // UTCTime has a two-digit year (RFC 5280: 50–99 → 19xx, 00–49 → 20xx); GeneralizedTime four digits.
  const pattern =
    tlv.tag === Tag.UtcTime
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
  const m = tlv.tag === Tag.UtcTime || tlv.tag === Tag.GeneralizedTime ? s.match(pattern) : null;
  if (!m) throw new AttestationError("Malformed", `${what}: not a DER time`);
  const y = Number(m[1]);
  const year = tlv.tag === Tag.GeneralizedTime ? y : y < 50 ? 2000 + y : 1900 + y;
  const [, , mo, d, h, mi, se] = m.map(Number) as number[];
  return new Date(Date.UTC(year, (mo as number) - 1, d, h, mi, se));
}

/** A BIT STRING's bytes (only whole-byte bit strings occur here). */
export function derBitString(tlv: Tlv | undefined, what: string): Uint8Array {
  const t = expectTag(tlv, Tag.BitString, what);
  if (t.value.length === 0 || t.value[0] !== 0)
    throw new AttestationError("Malformed", `${what}: bit string with unused bits`);
  return t.value.subarray(1);
}

// --- writer -----------------------------------------------------------------------------------

/** Encodes one TLV. */
export function encodeTlv(tag: number, value: Uint8Array): Uint8Array {
  const n = value.length;
  let header: number[];
  if (n < 0x80) header = [tag, n];
  else {
    const lenBytes: number[] = [];
    for (let x = n; x > 0; x = Math.floor(x / 256)) lenBytes.unshift(x % 256);
    header = [tag, 0x80 | lenBytes.length, ...lenBytes];
  }
  return concatBytes(Uint8Array.from(header), value);
}

/** Builders for the DER values the development certificate chain needs. */
export const der = {
  seq: (...items: Uint8Array[]) => encodeTlv(Tag.Sequence, concatBytes(...items)),
  set: (...items: Uint8Array[]) => encodeTlv(Tag.Set, concatBytes(...items)),
  /** Context-specific constructed `[n]`. */
  explicit: (n: number, ...items: Uint8Array[]) => encodeTlv(0xa0 | n, concatBytes(...items)),
  int(value: bigint): Uint8Array {
    if (value < 0n) throw new RangeError("negative DER INTEGER");
    let len = 1;
    while (value >> BigInt(8 * len) > 0n) len++;
    let bytes = bigIntToBytesBE(value, len);
    if (((bytes[0] as number) & 0x80) !== 0) bytes = concatBytes(new Uint8Array([0]), bytes);
    return encodeTlv(Tag.Integer, bytes);
  },
  bool: (value: boolean) => encodeTlv(Tag.Boolean, new Uint8Array([value ? 0xff : 0])),
  enumerated: (value: number) => encodeTlv(Tag.Enumerated, new Uint8Array([value])),
  oid(dotted: string): Uint8Array {
    const arcs = dotted.split(".").map(Number);
    const out: number[] = [40 * (arcs[0] as number) + (arcs[1] as number)];
    for (const arc of arcs.slice(2)) {
      const chunk: number[] = [arc & 0x7f];
      for (let x = Math.floor(arc / 128); x > 0; x = Math.floor(x / 128)) chunk.unshift(0x80 | (x & 0x7f));
      out.push(...chunk);
    }
    return encodeTlv(Tag.Oid, Uint8Array.from(out));
  },
  octets: (value: Uint8Array) => encodeTlv(Tag.OctetString, value),
  bits: (value: Uint8Array) => encodeTlv(Tag.BitString, concatBytes(new Uint8Array([0]), value)),
  utf8: (s: string) => encodeTlv(Tag.Utf8String, new TextEncoder().encode(s)),
  /** A certificate time: UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280 §4.1.2.5). */
  time(date: Date): Uint8Array {
    const full = date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
    return date.getUTCFullYear() < 2050
      ? encodeTlv(Tag.UtcTime, new TextEncoder().encode(`${full.slice(2)}Z`))
      : encodeTlv(Tag.GeneralizedTime, new TextEncoder().encode(`${full}Z`));
  },
};
