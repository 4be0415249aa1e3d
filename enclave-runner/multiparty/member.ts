// Role: committee member i (on-chain index i, Paillier key share i + 1). Bonds before the bid
// deadline when the spec asks for it. Decrypts only the aggregate recorded on-chain: the member
// reads the recorded hash itself and refuses any blob that does not match it, before opening its
// key share — so it can never be used to decrypt a single party's update. When the provider does not
// serve the aggregate, the member rebuilds it from the recorded updates (the enclave vouched for
// exactly that product). Produces its decryption shares with one batched Chaum–Pedersen proof,
// uploads them and records their keccak256 — publishing the bytes on-chain for a bonded job.
import type { Hex, TransactionReceipt } from "viem";
import type { BlobId } from "../../sdk/blobs/blobStore.ts";
import { recordedHashOf, verifyRecordedHash } from "../../sdk/multiParty.ts";
import { openKeyShare } from "../../sdk/paillier/seal.ts";
import { decryptionShareBatchToJson } from "../../sdk/paillier/serialize.ts";
import { createDecryptionShareBatch, type ThresholdParameters } from "../../sdk/paillier/threshold.ts";
import { buildAggregate } from "./aggregator.ts";
import {
  checkJob,
  depositBond,
  type MultiPartyContext,
  type MultiPartyWallet,
  publishShare,
  recordShare,
  requireAccount,
  requireAggregateHash,
} from "./chain.ts";
import { loadDealerOutput } from "./dealer.ts";
import { MultiPartyFlowError } from "./errors.ts";
import {
  CiphertextVectorKind,
  decodeCiphertextVector,
  encodeJsonBlob,
  jobIdHex,
  SHARE_BLOB_FORMAT,
} from "./format.ts";

/** The recorded aggregate, fetched and checked. */
export type RecordedAggregate = { ciphertexts: bigint[]; aggregateHash: Hex };

/**
 * Fetches blob `aggregateId` and checks it against the aggregate hash recorded on-chain (throws
 * `NotRecorded` when none is, `RecordedHashMismatchError` "the aggregate does not match its on-chain
 * hash" for any other bytes), then parses it. With `updates` (the parties' update blob ids), an
 * aggregate blob that cannot be fetched or is not the recorded one is rebuilt from the recorded
 * updates instead, and used if it hashes to the recorded hash.
 */
export async function loadRecordedAggregate(
  context: MultiPartyContext,
  aggregateId: BlobId,
  parameters: ThresholdParameters,
  keyCommitment: Hex,
  updates?: ReadonlyMap<number, BlobId>,
): Promise<RecordedAggregate> {
  const aggregateHash = await requireAggregateHash(context);
  let bytes: Uint8Array;
  try {
    bytes = await context.blobs.get(aggregateId);
    verifyRecordedHash(bytes, aggregateHash, "the aggregate");
  } catch (error) {
    if (updates === undefined) throw error;
    bytes = (await buildAggregate(context, { parameters, publicKeyCommitment: keyCommitment }, updates))
      .bytes;
    verifyRecordedHash(bytes, aggregateHash, "the aggregate rebuilt from the recorded updates");
  }
  const ciphertexts = decodeCiphertextVector(
    parameters.publicKey,
    bytes,
    { kind: CiphertextVectorKind.Aggregate, index: 0, jobId: context.jobId, keyCommitment },
    "the aggregate",
  );
  return { ciphertexts, aggregateHash };
}

/**
 * Deposits this member's bond (`spec.memberBond` in the job's asset) while the job is open for bids:
 * without it the member cannot share a bonded job. Throws `BadJob` when the spec asks for no bond,
 * `NotYourRole` for another account.
 *
 * @example
 * await depositMemberBond({ context, wallet, memberIndex: 0 });
 */
export async function depositMemberBond(parameters: {
  context: MultiPartyContext;
  wallet: MultiPartyWallet;
  memberIndex: number;
}): Promise<TransactionReceipt> {
  const { context, wallet, memberIndex } = parameters;
  checkJob(context);
  requireAccount(wallet, context.spec.committee[memberIndex], `committee member ${memberIndex}`);
  if (context.spec.memberBond === 0n)
    throw new MultiPartyFlowError("BadJob", `job ${context.jobId} asks no bond of its committee`);
  return depositBond(context, wallet, memberIndex);
}

/** Parameters of {@link shareAggregate}. */
export type ShareAggregateParameters = {
  context: MultiPartyContext;
  /** The member's wallet: must be `spec.committee[memberIndex]`. */
  wallet: MultiPartyWallet;
  /** On-chain member index (0-based); the member holds Paillier key share `memberIndex + 1`. */
  memberIndex: number;
  /** The member's X25519 secret key (its public key is `spec.committeeKeys[memberIndex]`). */
  secretKey: Uint8Array;
  dealerOutputId: BlobId;
  /** The aggregate's blob id; its bytes must hash to the recorded aggregate hash. */
  aggregateId: BlobId;
  /**
   * The parties' update blob ids: when given, an aggregate the provider does not serve (or serves
   * wrong) is rebuilt from the recorded updates.
   */
  updates?: ReadonlyMap<number, BlobId> | undefined;
  /** The commitment the enclave attested to, when known (recommended). */
  expectedKeyCommitment?: Hex | undefined;
};

/** Result of {@link shareAggregate}. */
export type ShareAggregateResult = {
  /** Blob id of the share blob: hand it to the combiner. */
  shareId: BlobId;
  /** keccak256 of the share blob, as recorded. */
  shareHash: Hex;
  /** Milliseconds to open the key share and compute the shares with their proof. */
  shareMs: number;
};

/**
 * Decrypts the recorded aggregate into this member's shares with a proof and records them: by hash
 * (`recordShare`) for a job without bonds, by its bytes (`publishShare`) for a bonded job.
 *
 * @example
 * const { shareId } = await shareAggregate({ context, wallet, memberIndex: 0, secretKey, dealerOutputId, aggregateId });
 */
export async function shareAggregate(parameters: ShareAggregateParameters): Promise<ShareAggregateResult> {
  const { context, wallet, memberIndex } = parameters;
  checkJob(context);
  requireAccount(wallet, context.spec.committee[memberIndex], `committee member ${memberIndex}`);
  const dealer = await loadDealerOutput(context, parameters.dealerOutputId, parameters.expectedKeyCommitment);
  const { ciphertexts, aggregateHash } = await loadRecordedAggregate(
    context,
    parameters.aggregateId,
    dealer.parameters,
    dealer.publicKeyCommitment,
    parameters.updates,
  );

  const started = performance.now();
  const sealed = dealer.output.dealer.sealedShares[memberIndex];
  if (sealed === undefined) throw new RangeError(`no sealed share for member ${memberIndex}`);
  const keyShare = await openKeyShare(sealed, parameters.secretKey, context.jobId, dealer.parameters);
  const batch = createDecryptionShareBatch(keyShare, ciphertexts);
  const shareMs = performance.now() - started;

  const bytes = encodeJsonBlob({
    format: SHARE_BLOB_FORMAT,
    version: 1,
    jobId: jobIdHex(context.jobId),
    aggregateHash,
    member: memberIndex,
    batch: decryptionShareBatchToJson(batch),
  });
  const shareId = await context.blobs.put(bytes);
  const shareHash = recordedHashOf(bytes);
  if (context.spec.memberBond === 0n) await recordShare(context, wallet, memberIndex, shareHash);
  else await publishShare(context, wallet, memberIndex, bytes);
  return { shareId, shareHash, shareMs };
}
