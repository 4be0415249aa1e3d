// Role: the aggregator (the provider, or its enclave), after the update deadline or once every
// party has submitted. Reads which parties recorded an update, fetches each blob, checks it against
// the recorded hash (a tampered or substituted blob is refused, naming the party), multiplies the
// ciphertexts slot-wise, uploads the aggregate and records it with exactly the parties included.
import type { Hex } from "viem";
import type { BlobId } from "../../sdk/blobs/blobStore.ts";
import { indexMask, recordedHashOf, verifyRecordedHash } from "../../sdk/multiParty.ts";
import { aggregateCiphertextVectors } from "../../sdk/paillier/paillier.ts";
import {
  checkJob,
  type MultiPartyContext,
  type MultiPartyWallet,
  readRecords,
  readUpdateHash,
  recordAggregate,
} from "./chain.ts";
import { loadDealerOutput } from "./dealer.ts";
import { MultiPartyFlowError } from "./errors.ts";
import { CiphertextVectorKind, decodeCiphertextVector, encodeCiphertextVector } from "./format.ts";

/** Parameters of {@link aggregateUpdates}. */
export type AggregateUpdatesParameters = {
  context: MultiPartyContext;
  /** The job's provider (the coordinator accepts the aggregate from it only). */
  wallet: MultiPartyWallet;
  dealerOutputId: BlobId;
  /**
   * The blob ids the parties announced, by party index. Only parties that recorded an update are
   * read; an id for a party that recorded nothing (a dropout) is ignored.
   */
  updates: ReadonlyMap<number, BlobId>;
};

/** Result of {@link aggregateUpdates}. */
export type AggregateUpdatesResult = {
  /** Blob id of the aggregate: hand it to the committee and the combiner. */
  aggregateId: BlobId;
  /** keccak256 of the aggregate blob, as recorded. */
  aggregateHash: Hex;
  /** The parties whose updates are in the aggregate (those that recorded one), ascending. */
  includedParties: number[];
  includedMask: bigint;
  /** Milliseconds to fetch, check and multiply the ciphertexts. */
  aggregateMs: number;
};

/**
 * Aggregates the recorded updates and records the aggregate.
 *
 * Throws `WindowOpen` while the update window is open and a party has not submitted, `NotRecorded`
 * when no party submitted, `MissingBlob` when a recorded party's blob id is not in `updates`,
 * `RecordedHashMismatchError` ("party i's update does not match its on-chain hash") for a tampered
 * blob, and `MalformedBlob` for a blob that hashes right but is not a valid update of this job.
 *
 * @example
 * const { aggregateId } = await aggregateUpdates({ context, wallet: provider, dealerOutputId, updates });
 */
export async function aggregateUpdates(
  parameters: AggregateUpdatesParameters,
): Promise<AggregateUpdatesResult> {
  const { context, wallet } = parameters;
  checkJob(context);
  const { parameters: threshold, publicKeyCommitment } = await loadDealerOutput(
    context,
    parameters.dealerOutputId,
  );
  const records = await readRecords(context);
  const included = records.updaters;
  if (included.length === 0)
    throw new MultiPartyFlowError("NotRecorded", `no data party recorded an update for job ${context.jobId}`);
  if (included.length < context.terms.parties) {
    const block = await context.publicClient.getBlock();
    if (block.timestamp <= context.spec.updateDeadline) {
      throw new MultiPartyFlowError(
        "WindowOpen",
        "the update window is open and not every party has submitted",
        {
          details: `${included.length} of ${context.terms.parties} parties submitted; the window closes after ${context.spec.updateDeadline}`,
        },
      );
    }
  }

  const started = performance.now();
  const vectors: bigint[][] = [];
  for (const party of included) {
    const id = parameters.updates.get(party);
    if (id === undefined)
      throw new MultiPartyFlowError(
        "MissingBlob",
        `party ${party} recorded an update but no blob id was given`,
      );
    const bytes = await context.blobs.get(id);
    const label = `party ${party}'s update`;
    verifyRecordedHash(bytes, await readUpdateHash(context, party), label);
    vectors.push(
      decodeCiphertextVector(
        threshold.publicKey,
        bytes,
        {
          kind: CiphertextVectorKind.PartyUpdate,
          index: party,
          jobId: context.jobId,
          keyCommitment: publicKeyCommitment,
        },
        label,
      ),
    );
  }
  const length = vectors[0]?.length;
  const odd = included.find((_, k) => vectors[k]?.length !== length);
  if (odd !== undefined)
    throw new MultiPartyFlowError(
      "MalformedBlob",
      `party ${odd}'s update has another length than party ${included[0]}'s`,
    );
  const aggregate = aggregateCiphertextVectors(threshold.publicKey, vectors);
  const bytes = encodeCiphertextVector(
    threshold.publicKey,
    {
      kind: CiphertextVectorKind.Aggregate,
      index: 0,
      jobId: context.jobId,
      keyCommitment: publicKeyCommitment,
    },
    aggregate,
  );
  const aggregateMs = performance.now() - started;

  const aggregateId = await context.blobs.put(bytes);
  const aggregateHash = recordedHashOf(bytes);
  const includedMask = indexMask(included);
  await recordAggregate(context, wallet, aggregateHash, includedMask);
  return { aggregateId, aggregateHash, includedParties: included, includedMask, aggregateMs };
}
