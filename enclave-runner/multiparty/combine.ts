// Role: the combiner (anyone; e.g. the enclave, which then proves and delivers the adapter).
// Fetches the members' share blobs (falling back to the bytes bonded members published on-chain),
// checks each against its recorded hash, verifies the batched proofs, combines t valid shares
// (invalid ones are excluded and named), decodes the sum of the included parties' clipped updates
// and applies their average to C0. Only shares whose bytes hash to the member's own record and
// still fail are *attributable* (`faultyShares`): a blob that is unavailable or not the recorded
// one may be the host's doing (it controls the enclave's network), so it never names a member.
import type { Hex } from "viem";
import type { BlobId } from "../../sdk/blobs/blobStore.ts";
import { recordedHashOf } from "../../sdk/multiParty.ts";
import { InsufficientSharesError, type RejectedShare } from "../../sdk/paillier/errors.ts";
import { decryptionShareBatchFromJson } from "../../sdk/paillier/serialize.ts";
import { combineDecryptionShareBatches, type DecryptionShareBatch } from "../../sdk/paillier/threshold.ts";
import type { AdapterWeights, TrainingParams } from "../../sdk/training/params.ts";
import { applyAveragedUpdate, checkJobTraining } from "./adapter.ts";
import {
  checkJob,
  type MultiPartyContext,
  readPublishedShares,
  readRecords,
  readShareHash,
} from "./chain.ts";
import { loadDealerOutput } from "./dealer.ts";
import { decodeShareBlob, jobIdHex } from "./format.ts";
import { loadRecordedAggregate } from "./member.ts";

/** A member's share blob that was not used, and why. `member` is the on-chain index. */
export type RejectedMemberShare = { member: number; reason: string };

/**
 * A rejected share the member is answerable for: its bytes hash to the share hash the member
 * recorded (`shareHash`), and they are malformed or fail their proof. What the combiner names in
 * its `CommitteeBadShares` statement (settle.ts).
 */
export type FaultyMemberShare = RejectedMemberShare & { shareHash: Hex };

/**
 * Fewer than t shares verified. Extends the library's error (whose `rejected` / `badIndices` use
 * Paillier key-share indices, on-chain index + 1) with the on-chain member indices.
 */
export class InsufficientCommitteeSharesError extends InsufficientSharesError {
  override name = "InsufficientCommitteeSharesError";
  /** Every rejected member by on-chain index, with the reason. */
  readonly rejectedMembers: readonly RejectedMemberShare[];
  /** The rejected members answerable for their share (see {@link FaultyMemberShare}), by index. */
  readonly faultyShares: readonly FaultyMemberShare[];

  constructor(
    threshold: number,
    validIndices: readonly number[],
    rejected: readonly RejectedShare[],
    faultyShares: readonly FaultyMemberShare[] = [],
  ) {
    super(threshold, validIndices, rejected);
    this.rejectedMembers = rejected.map((r) => ({ member: r.index - 1, reason: r.reason }));
    this.faultyShares = faultyShares;
  }
}

/** Parameters of {@link combineShares}. */
export type CombineSharesParameters = {
  context: MultiPartyContext;
  dealerOutputId: BlobId;
  aggregateId: BlobId;
  /**
   * Share blob ids the members announced, by on-chain member index. Shares bonded members published
   * on-chain are used without an id, and in place of a blob that is unavailable or not the recorded one.
   */
  shares: ReadonlyMap<number, BlobId>;
  /** C0 and the hyper-parameters (checked against `terms.specHash`). */
  training: { initialWeights: AdapterWeights; params: TrainingParams };
  expectedKeyCommitment?: Hex | undefined;
};

/** Result of {@link combineShares}. */
export type CombineSharesResult = {
  /** C0 + the average of the included parties' clipped updates, fixed point (F fraction bits). */
  weights: AdapterWeights;
  /** Σ of the included parties' clipped updates, real numbers (multiples of 1 / scale). */
  sum: Float64Array;
  /** The same sums as integers at the codec's scale. */
  sumIntegers: Float64Array;
  /** How many updates the aggregate holds (= parties included). */
  contributions: number;
  includedParties: number[];
  /** Members whose shares were combined (on-chain indices). */
  usedMembers: number[];
  /** Members whose shares were excluded, with the reason. */
  rejected: RejectedMemberShare[];
  /** The excluded members answerable for their share (bytes = their record, proof or format bad). */
  faultyShares: FaultyMemberShare[];
  /** Milliseconds to check, verify and combine the shares and decode. */
  combineMs: number;
};

/**
 * Combines the committee's shares into the new adapter weights.
 *
 * Throws {@link InsufficientCommitteeSharesError} (an `InsufficientSharesError`) naming every
 * rejected share when fewer than t verify; `RecordedHashMismatchError` when the aggregate blob is
 * not the recorded one; `WeightOverflow` when a weight leaves the 16-bit range.
 *
 * @example
 * const { weights, sum } = await combineShares({ context, dealerOutputId, aggregateId, shares, training });
 */
export async function combineShares(parameters: CombineSharesParameters): Promise<CombineSharesResult> {
  const { context, training } = parameters;
  checkJob(context);
  await checkJobTraining(context.terms, training.initialWeights, training.params);
  const dealer = await loadDealerOutput(context, parameters.dealerOutputId, parameters.expectedKeyCommitment);
  const { ciphertexts, aggregateHash } = await loadRecordedAggregate(
    context,
    parameters.aggregateId,
    dealer.parameters,
    dealer.publicKeyCommitment,
  );
  const records = await readRecords(context);
  const published = await readPublishedShares(context);

  const started = performance.now();
  const rejected: RejectedShare[] = [];
  const faultyShares: FaultyMemberShare[] = [];
  const judged = new Map<number, Hex>();
  const batches: DecryptionShareBatch[] = [];
  const members = [...new Set([...parameters.shares.keys(), ...published.keys()])].sort((a, b) => a - b);
  for (const member of members) {
    const screened = await screenShare(context, member, parameters.shares.get(member), {
      recorded: records.sharers.includes(member),
      aggregateHash,
      batches,
      published: published.get(member),
    });
    if (screened.shareHash !== undefined) judged.set(member, screened.shareHash);
    if (screened.reason === undefined) continue;
    rejected.push({ index: member + 1, reason: screened.reason });
    if (screened.shareHash !== undefined)
      faultyShares.push({ member, reason: screened.reason, shareHash: screened.shareHash });
  }
  // Proof failures come from bytes that hash to the member's record: the member is answerable.
  const proofFaults = (failed: readonly RejectedShare[]) =>
    failed.map((r) => ({ member: r.index - 1, reason: r.reason, shareHash: judged.get(r.index - 1) as Hex }));
  let combined: ReturnType<typeof combineDecryptionShareBatches>;
  try {
    combined = combineDecryptionShareBatches(dealer.parameters, ciphertexts, batches);
  } catch (error) {
    if (!(error instanceof InsufficientSharesError)) throw error;
    throw new InsufficientCommitteeSharesError(
      error.threshold,
      error.validIndices,
      [...rejected, ...error.rejected],
      sortByMember([...faultyShares, ...proofFaults(error.rejected)]),
    );
  }
  rejected.push(...combined.rejected);

  const contributions = records.updaters.length;
  const length = training.initialWeights.bias.length * (training.params.features + 1);
  const sumIntegers = dealer.codec.decodeIntegers(combined.plaintexts, { contributions, length });
  const sum = sumIntegers.map((v) => v / dealer.codec.scale);
  const weights = applyAveragedUpdate(
    training.initialWeights,
    sumIntegers,
    contributions,
    dealer.codec.scale,
    training.params.fracBits,
  );
  const combineMs = performance.now() - started;
  return {
    weights,
    sum,
    sumIntegers,
    contributions,
    includedParties: records.updaters,
    usedMembers: combined.used.map((i) => i - 1),
    rejected: rejected.map((r) => ({ member: r.index - 1, reason: r.reason })),
    faultyShares: sortByMember([...faultyShares, ...proofFaults(combined.rejected)]),
    combineMs,
  };
}

function sortByMember<T extends { member: number }>(list: T[]): T[] {
  return list.sort((a, b) => a.member - b.member);
}

/**
 * Fetches and checks one member's share (its blob, else the bytes it published on-chain); pushes its
 * batch, or returns why it is rejected. `shareHash` is set once bytes hashing to the member's record
 * were found: a rejection from then on is the member's own.
 */
async function screenShare(
  context: MultiPartyContext,
  member: number,
  id: BlobId | undefined,
  state: {
    recorded: boolean;
    aggregateHash: Hex;
    batches: DecryptionShareBatch[];
    published: Uint8Array | undefined;
  },
): Promise<{ reason?: string; shareHash?: Hex }> {
  if (!state.recorded) return { reason: "no share recorded on-chain" };
  const recordedHash = (await readShareHash(context, member)).toLowerCase() as Hex;
  let bytes: Uint8Array | undefined;
  let problem = "share blob unavailable (no blob id)";
  if (id !== undefined) {
    try {
      bytes = await context.blobs.get(id);
      if (recordedHashOf(bytes) !== recordedHash) {
        problem = "share blob does not match its on-chain hash";
        bytes = undefined;
      }
    } catch (error) {
      problem = `share blob unavailable (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`;
    }
  }
  if (
    bytes === undefined &&
    state.published !== undefined &&
    recordedHashOf(state.published) === recordedHash
  )
    bytes = state.published;
  if (bytes === undefined) return { reason: problem };
  const reason = parseShare(context, member, bytes, state);
  return reason === undefined ? { shareHash: recordedHash } : { reason, shareHash: recordedHash };
}

/** Parses a share blob whose bytes are the member's record; pushes its batch or returns why not. */
function parseShare(
  context: MultiPartyContext,
  member: number,
  bytes: Uint8Array,
  state: { aggregateHash: Hex; batches: DecryptionShareBatch[] },
): string | undefined {
  try {
    const blob = decodeShareBlob(bytes, `member ${member}'s shares`);
    if (blob.member !== member) return `share blob is labelled member ${blob.member}`;
    if (blob.jobId.toLowerCase() !== jobIdHex(context.jobId)) return "share blob is for another job";
    if (blob.aggregateHash.toLowerCase() !== state.aggregateHash.toLowerCase())
      return "share blob is for another aggregate";
    if (blob.batch.index !== member + 1)
      return `share blob claims key share ${blob.batch.index}, not ${member + 1}`;
    state.batches.push(decryptionShareBatchFromJson(blob.batch));
    return undefined;
  } catch (error) {
    return `malformed share blob (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`;
  }
}
