// The blobs of the multi-party flow. Each one's keccak256 is what the coordinator records (except
// the dealer output, which the caller pins by its id and public-key commitment).
//
// Ciphertext vector (a party's update or the aggregate), binary, big-endian:
//
//   offset  size  field
//        0     4  magic "BTPV"
//        4     1  version = 1
//        5     1  kind: 1 = party update, 2 = aggregate
//        6     2  party index (0 for the aggregate)
//        8    32  job id (uint256)
//       40    32  SHA-256 commitment to the threshold public key (thresholdPublicKeyCommitment)
//       72     4  count: number of ciphertexts
//       76     4  width: bytes per ciphertext = ⌈bits(n²) / 8⌉
//       80     …  count × width bytes: each ciphertext, fixed width (serializePaillierCiphertexts)
//
// Decryption shares of a member, UTF-8 JSON ({@link ShareBlob}): the job, the aggregate's recorded
// hash, the member's on-chain index and its `DecryptionShareBatchJson` (values + one batched
// Chaum–Pedersen proof). Dealer output, UTF-8 JSON ({@link DealerOutputBlob}): the job's committee
// hash, the packing parameters every party must use, and the library's `ThresholdDealerOutput`.
import { bytesToHex, type Hex, hexToBytes, isHex } from "viem";
import { bigIntToBytes, bitLength, bytesToBigInt } from "../../sdk/paillier/bigint.ts";
import {
  assertPaillierCiphertext,
  type PaillierPublicKey,
  serializePaillierCiphertexts,
} from "../../sdk/paillier/paillier.ts";
import type { ThresholdDealerOutput } from "../../sdk/paillier/seal.ts";
import type { DecryptionShareBatchJson } from "../../sdk/paillier/serialize.ts";
import { MultiPartyFlowError } from "./errors.ts";

/** Magic of a ciphertext vector blob. */
export const CIPHERTEXT_VECTOR_MAGIC = "BTPV";
/** Version of the ciphertext vector format. */
export const CIPHERTEXT_VECTOR_VERSION = 1;
/** Bytes before the first ciphertext. */
export const CIPHERTEXT_VECTOR_HEADER_LENGTH = 80;
/** `format` of a share blob. */
export const SHARE_BLOB_FORMAT = "blind-training/paillier-decryption-shares";
/** `format` of a dealer output blob. */
export const DEALER_OUTPUT_BLOB_FORMAT = "blind-training/paillier-dealer-output";

/** What a ciphertext vector holds. */
export const CiphertextVectorKind = { PartyUpdate: 1, Aggregate: 2 } as const;
/** One {@link CiphertextVectorKind}. */
export type CiphertextVectorKind = (typeof CiphertextVectorKind)[keyof typeof CiphertextVectorKind];

/** Header fields of a ciphertext vector, which a reader checks against what it expects. */
export type CiphertextVectorHeader = {
  kind: CiphertextVectorKind;
  /** The party's index for an update, 0 for the aggregate. */
  index: number;
  jobId: bigint;
  /** `thresholdPublicKeyCommitment` of the key the ciphertexts are under. */
  keyCommitment: Hex;
};

/** The packing parameters the dealer fixes for the job (see `PackedCodec`). */
export type CodecConfig = {
  /** Largest number of contributions: the job's `parties`. */
  parties: number;
  /** Fixed-point scale of the encoding (x ↦ round(x · scale)). */
  scale: number;
  /** Every value is clipped to [−clip, clip]. */
  clip: number;
};

/** The dealer's published output (JSON). */
export type DealerOutputBlob = {
  format: typeof DEALER_OUTPUT_BLOB_FORMAT;
  version: 1;
  /** `terms.committeeHash` of the job: binds the output to the spec (committee, keys). */
  committeeHash: Hex;
  codec: CodecConfig;
  dealer: ThresholdDealerOutput;
};

/** A member's decryption shares of the aggregate (JSON). */
export type ShareBlob = {
  format: typeof SHARE_BLOB_FORMAT;
  version: 1;
  /** The job id as 32-byte hex. */
  jobId: Hex;
  /** The recorded aggregate hash these shares decrypt. */
  aggregateHash: Hex;
  /** The member's on-chain index (its key share is `member + 1`). */
  member: number;
  batch: DecryptionShareBatchJson;
};

const malformed = (label: string, why: string) =>
  new MultiPartyFlowError("MalformedBlob", `${label}: ${why}`);

/** The job id as the 32-byte hex used in blobs. */
export function jobIdHex(jobId: bigint): Hex {
  return bytesToHex(bigIntToBytes(jobId, 32));
}

/**
 * Serializes a ciphertext vector (see the file header).
 *
 * @example
 * const bytes = encodeCiphertextVector(publicKey, { kind: 1, index: 0, jobId, keyCommitment }, ciphertexts);
 */
export function encodeCiphertextVector(
  publicKey: PaillierPublicKey,
  header: CiphertextVectorHeader,
  ciphertexts: readonly bigint[],
): Uint8Array {
  const body = serializePaillierCiphertexts(publicKey, ciphertexts);
  const out = new Uint8Array(CIPHERTEXT_VECTOR_HEADER_LENGTH + body.length);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(CIPHERTEXT_VECTOR_MAGIC), 0);
  out[4] = CIPHERTEXT_VECTOR_VERSION;
  out[5] = header.kind;
  view.setUint16(6, header.index);
  out.set(bigIntToBytes(header.jobId, 32), 8);
  out.set(hexToBytes(header.keyCommitment), 40);
  view.setUint32(72, ciphertexts.length);
  view.setUint32(76, ciphertextWidth(publicKey));
  out.set(body, CIPHERTEXT_VECTOR_HEADER_LENGTH);
  return out;
}

/** Bytes per ciphertext: ⌈bits(n²) / 8⌉. */
export function ciphertextWidth(publicKey: PaillierPublicKey): number {
  return Math.ceil(bitLength(publicKey.nSquared) / 8);
}

/**
 * Parses a ciphertext vector and checks its header against `expected` and every ciphertext against
 * the key (in (0, n²), a unit). Throws `MalformedBlob` naming `label` otherwise.
 */
export function decodeCiphertextVector(
  publicKey: PaillierPublicKey,
  bytes: Uint8Array,
  expected: CiphertextVectorHeader,
  label: string,
): bigint[] {
  if (bytes.length < CIPHERTEXT_VECTOR_HEADER_LENGTH) throw malformed(label, "shorter than the header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== CIPHERTEXT_VECTOR_MAGIC || bytes[4] !== 1)
    throw malformed(label, "not a version 1 ciphertext vector");
  if (bytes[5] !== expected.kind)
    throw malformed(label, `holds kind ${bytes[5]}, expected ${expected.kind} (1 = update, 2 = aggregate)`);
  if (view.getUint16(6) !== expected.index)
    throw malformed(label, `is labelled index ${view.getUint16(6)}, expected ${expected.index}`);
  if (bytesToBigInt(bytes.subarray(8, 40)) !== expected.jobId)
    throw malformed(label, "belongs to another job");
  if (bytesToHex(bytes.subarray(40, 72)) !== expected.keyCommitment.toLowerCase())
    throw malformed(label, "is encrypted under another public key");
  const count = view.getUint32(72);
  const width = view.getUint32(76);
  if (width !== ciphertextWidth(publicKey)) throw malformed(label, `ciphertext width ${width} is wrong`);
  if (count === 0 || bytes.length !== CIPHERTEXT_VECTOR_HEADER_LENGTH + count * width)
    throw malformed(label, `length does not match ${count} ciphertexts of ${width} bytes`);
  const out: bigint[] = new Array(count);
  for (let j = 0; j < count; j++) {
    const start = CIPHERTEXT_VECTOR_HEADER_LENGTH + j * width;
    const c = bytesToBigInt(bytes.subarray(start, start + width));
    try {
      assertPaillierCiphertext(publicKey, c, true);
    } catch (cause) {
      throw new MultiPartyFlowError("MalformedBlob", `${label}: ciphertext ${j} is not valid under the key`, {
        cause,
      });
    }
    out[j] = c;
  }
  return out;
}

/** UTF-8 JSON bytes of a blob object. */
export function encodeJsonBlob(value: DealerOutputBlob | ShareBlob): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function parseJson(bytes: Uint8Array, label: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    // Not quoting the input: V8's message embeds it.
    throw malformed(label, "is not UTF-8 JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw malformed(label, "is not a JSON object");
  return value as Record<string, unknown>;
}

const isHex32 = (v: unknown): v is Hex => typeof v === "string" && isHex(v) && v.length === 66;

/** Parses a dealer output blob (shape only; `loadDealerOutput` checks it against the job). */
export function decodeDealerOutputBlob(bytes: Uint8Array, label = "dealer output"): DealerOutputBlob {
  const v = parseJson(bytes, label);
  if (v.format !== DEALER_OUTPUT_BLOB_FORMAT || v.version !== 1)
    throw malformed(label, `is not a version 1 ${DEALER_OUTPUT_BLOB_FORMAT}`);
  if (!isHex32(v.committeeHash)) throw malformed(label, "committeeHash is not 32 bytes of hex");
  const codec = v.codec as Partial<CodecConfig> | undefined;
  if (
    typeof codec !== "object" ||
    codec === null ||
    typeof codec.parties !== "number" ||
    typeof codec.scale !== "number" ||
    typeof codec.clip !== "number"
  )
    throw malformed(label, "codec must hold numbers parties, scale and clip");
  const dealer = v.dealer as Partial<ThresholdDealerOutput> | undefined;
  if (
    typeof dealer !== "object" ||
    dealer === null ||
    !isHex32(dealer.jobId) ||
    !isHex32(dealer.publicKeyCommitment) ||
    typeof dealer.parameters !== "object" ||
    !Array.isArray(dealer.sealedShares)
  )
    throw malformed(label, "dealer must hold jobId, parameters, publicKeyCommitment and sealedShares");
  return v as DealerOutputBlob;
}

/** Parses a share blob (shape only; the combiner checks it against the job and verifies the proof). */
export function decodeShareBlob(bytes: Uint8Array, label: string): ShareBlob {
  const v = parseJson(bytes, label);
  if (v.format !== SHARE_BLOB_FORMAT || v.version !== 1)
    throw malformed(label, `is not a version 1 ${SHARE_BLOB_FORMAT}`);
  if (!isHex32(v.jobId) || !isHex32(v.aggregateHash))
    throw malformed(label, "jobId and aggregateHash must be 32 bytes");
  if (typeof v.member !== "number" || !Number.isInteger(v.member))
    throw malformed(label, "member is not an integer");
  const batch = v.batch as Partial<DecryptionShareBatchJson> | undefined;
  if (
    typeof batch !== "object" ||
    batch === null ||
    typeof batch.index !== "number" ||
    !Array.isArray(batch.values) ||
    !batch.values.every((x) => typeof x === "string" && isHex(x)) ||
    typeof batch.challenge !== "string" ||
    !isHex(batch.challenge) ||
    typeof batch.response !== "string" ||
    !isHex(batch.response)
  )
    throw malformed(label, "batch must hold index, hex values, challenge and response");
  return v as ShareBlob;
}
