// Sealing key shares to committee members with the project's envelope (sdk/envelope: X25519 +
// HKDF-SHA256 + AES-256-GCM, a fresh ephemeral key per envelope, the job id in the header and bound
// into every chunk).
//
// Sealed plaintext: version 1 ‖ u32 member index ‖ 32-byte commitment to the threshold public key ‖
// s_i (fixed width, big-endian). The envelope authenticates all of it, so on opening the member
// checks that the index is its own and the commitment is the one of the parameters it was given
// (e.g. the one recorded on-chain): a share cannot be moved to another member slot or another key
// without being refused. The plaintext buffer is zeroized once sealed or parsed.
import { decryptEnvelope, encryptEnvelope } from "../envelope/envelope.ts";
import { bigIntToBytes, bitLength, bytesToBigInt, bytesToHex, hexToBytes } from "./bigint.ts";
import { PaillierError, PaillierErrorCode } from "./errors.ts";
import { type ThresholdParametersJson, thresholdParametersToJson } from "./serialize.ts";
import {
  checkThresholdKeyShare,
  type ThresholdDealer,
  type ThresholdKeyShare,
  type ThresholdParameters,
  thresholdPublicKeyCommitment,
} from "./threshold.ts";

/** Version byte of the sealed key-share plaintext. */
export const KEY_SHARE_SEAL_VERSION = 1;

/** A key share encrypted to one committee member (JSON-ready). */
export type SealedKeyShare = {
  readonly index: number;
  /** The member's X25519 public key (32 bytes, hex). */
  readonly recipientPublicKey: `0x${string}`;
  /** The sdk/envelope envelope (hex). */
  readonly envelope: `0x${string}`;
};

/** A committee member: its index (1..l) and X25519 public key. */
export type KeyShareRecipient = { readonly index: number; readonly publicKey: Uint8Array };

function secretWidth(params: ThresholdParameters): number {
  // s_i < n·m < n²; 8 spare bytes.
  return Math.ceil(bitLength(params.publicKey.nSquared) / 8) + 8;
}

/** Seals member `share.index`'s key share to `recipientPublicKey` for job `jobId`. Zeroizes its plaintext buffer. */
export async function sealKeyShare(
  share: ThresholdKeyShare,
  recipientPublicKey: Uint8Array,
  jobId: bigint,
): Promise<SealedKeyShare> {
  if (recipientPublicKey.length !== 32) {
    throw new PaillierError(
      PaillierErrorCode.InvalidArgument,
      "recipient X25519 public key must be 32 bytes",
    );
  }
  const commitment = hexToBytes(thresholdPublicKeyCommitment(share.parameters), "commitment");
  const width = secretWidth(share.parameters);
  const plaintext = new Uint8Array(1 + 4 + 32 + width);
  try {
    plaintext[0] = KEY_SHARE_SEAL_VERSION;
    new DataView(plaintext.buffer).setUint32(1, share.index);
    plaintext.set(commitment, 5);
    plaintext.set(bigIntToBytes(share.secret, width), 37);
    const envelope = await encryptEnvelope({ recipientPublicKey, jobId, plaintext });
    return {
      index: share.index,
      recipientPublicKey: bytesToHex(recipientPublicKey),
      envelope: bytesToHex(envelope),
    };
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Opens a sealed key share with the member's X25519 secret key, for the given job and published
 * parameters, then checks the share against its verification key (v^(Δ·s_i) = v_i). Throws
 * `SealedShareInvalid` if the envelope does not open (wrong key or job, tampering) or was made for
 * another member index or another public key, and `InvalidKeyShare` if the share does not match the
 * published verification key.
 */
export async function openKeyShare(
  sealed: SealedKeyShare,
  recipientSecretKey: Uint8Array,
  jobId: bigint,
  parameters: ThresholdParameters,
): Promise<ThresholdKeyShare> {
  let plaintext: Uint8Array;
  try {
    plaintext = await decryptEnvelope({
      recipientSecretKey,
      jobId,
      envelope: hexToBytes(sealed.envelope, "envelope"),
    });
  } catch (cause) {
    throw new PaillierError(
      PaillierErrorCode.SealedShareInvalid,
      `sealed key share ${sealed.index} does not open`,
      {
        details: "wrong recipient key or job id, or the envelope was modified",
        cause,
      },
    );
  }
  try {
    const invalid = (why: string) => new PaillierError(PaillierErrorCode.SealedShareInvalid, why);
    if (plaintext.length !== 37 + secretWidth(parameters) || plaintext[0] !== KEY_SHARE_SEAL_VERSION) {
      throw invalid("unknown sealed key share encoding");
    }
    const index = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength).getUint32(1);
    if (index !== sealed.index) throw invalid(`sealed key share is for member ${index}, not ${sealed.index}`);
    if (bytesToHex(plaintext.subarray(5, 37)) !== thresholdPublicKeyCommitment(parameters)) {
      throw invalid("sealed key share belongs to another threshold public key");
    }
    const share: ThresholdKeyShare = { index, secret: bytesToBigInt(plaintext.subarray(37)), parameters };
    checkThresholdKeyShare(share);
    return share;
  } finally {
    plaintext.fill(0);
  }
}

/** What the dealer publishes: the public parameters, their commitment, one sealed share per member. */
export type ThresholdDealerOutput = {
  readonly jobId: `0x${string}`;
  readonly parameters: ThresholdParametersJson;
  /** SHA-256 commitment to the threshold public key (record it on-chain). */
  readonly publicKeyCommitment: `0x${string}`;
  readonly sealedShares: readonly SealedKeyShare[];
};

/**
 * Seals every member's key share to its X25519 key and assembles the dealer's public output. Every
 * index 1..l must appear exactly once in `members`. Call `dealer.forget()` afterwards.
 */
export async function publishDealerOutput(
  dealer: ThresholdDealer,
  members: readonly KeyShareRecipient[],
  jobId: bigint,
): Promise<ThresholdDealerOutput> {
  const l = dealer.parameters.committeeSize;
  const indices = members.map((m) => m.index).sort((a, b) => a - b);
  if (indices.length !== l || indices.some((idx, k) => idx !== k + 1)) {
    throw new PaillierError(
      PaillierErrorCode.InvalidArgument,
      `members must list each index 1..${l} exactly once`,
    );
  }
  const sealedShares: SealedKeyShare[] = [];
  for (const member of [...members].sort((a, b) => a.index - b.index)) {
    sealedShares.push(await sealKeyShare(dealer.keyShare(member.index), member.publicKey, jobId));
  }
  return {
    jobId: bytesToHex(bigIntToBytes(jobId, 32)),
    parameters: thresholdParametersToJson(dealer.parameters),
    publicKeyCommitment: dealer.commitment,
    sealedShares,
  };
}
