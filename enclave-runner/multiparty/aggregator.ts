// Role: the aggregator (the provider's enclave, the provider's wallet records), after the update
// deadline or once every party has submitted. Reads which parties recorded an update, fetches each
// blob, checks it against the recorded hash (a tampered or substituted blob is refused, naming the
// party), multiplies the ciphertexts slot-wise, uploads the aggregate and records it with exactly the
// parties included and the enclave's signature vouching for it. The aggregate is deterministic in
// the recorded updates: a committee member who cannot fetch it rebuilds the same bytes
// (`buildAggregate`).
import type { Hex, LocalAccount } from "viem";
import type { BlobId } from "../../sdk/blobs/blobStore.ts";
import {
  indexMask,
  recordedHashOf,
  signMultiPartyAggregate,
  verifyRecordedHash,
} from "../../sdk/multiParty.ts";
import { aggregateCiphertextVectors } from "../../sdk/paillier/paillier.ts";
import {
  checkJob,
  type MultiPartyContext,
  type MultiPartyWallet,
  readRecords,
  readUpdateHash,
  recordAggregate,
} from "./chain.ts";
import { type LoadedDealerOutput, loadDealerOutput } from "./dealer.ts";
import { MultiPartyFlowError } from "./errors.ts";
import { CiphertextVectorKind, decodeCiphertextVector, encodeCiphertextVector } from "./format.ts";

/** Parameters of {@link aggregateUpdates}. */
export type AggregateUpdatesParameters = {
  context: MultiPartyContext;
  /** The job's provider (the coordinator accepts the aggregate from it only). */
  wallet: MultiPartyWallet;
  /** The attested enclave's signing key: it vouches for the aggregate it computed. */
  enclaveSigner: LocalAccount;
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

/** The aggregate of the recorded updates, as bytes (see {@link buildAggregate}). */
export type BuiltAggregate = { bytes: Uint8Array; includedParties: number[]; includedMask: bigint };

/**
 * Builds the aggregate blob from the updates the coordinator recorded: each blob checked against its
 * recorded hash, then multiplied slot-wise. Deterministic: anyone holding the update blobs gets the
 * bytes the enclave vouched for. Throws as {@link aggregateUpdates} does (but never `WindowOpen`).
 *
 * @example
 * const { bytes } = await buildAggregate(context, dealer, updates);
 */
export async function buildAggregate(
  context: MultiPartyContext,
  dealer: Pick<LoadedDealerOutput, "parameters" | "publicKeyCommitment">,
  updates: ReadonlyMap<number, BlobId>,
): Promise<BuiltAggregate> {
  const { parameters: threshold, publicKeyCommitment } = dealer;
  const included = (await readRecords(context)).updaters;
  if (included.length === 0)
    throw new MultiPartyFlowError("NotRecorded", `no data party recorded an update for job ${context.jobId}`);
  const vectors: bigint[][] = [];
  for (const party of included) {
    const id = updates.get(party);
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
  return { bytes, includedParties: included, includedMask: indexMask(included) };
}

/**
 * Aggregates the recorded updates, has the enclave vouch for the aggregate and records it.
 *
 * Throws `WindowOpen` while the update window is open and a party has not submitted, `NotRecorded`
 * when no party submitted, `MissingBlob` when a recorded party's blob id is not in `updates`,
 * `RecordedHashMismatchError` ("party i's update does not match its on-chain hash") for a tampered
 * blob, and `MalformedBlob` for a blob that hashes right but is not a valid update of this job.
 *
 * @example
 * const { aggregateId } = await aggregateUpdates({ context, wallet: provider, enclaveSigner, dealerOutputId, updates });
 */
export async function aggregateUpdates(
  parameters: AggregateUpdatesParameters,
): Promise<AggregateUpdatesResult> {
  const { context, wallet } = parameters;
  checkJob(context);
  const dealer = await loadDealerOutput(context, parameters.dealerOutputId);
  const records = await readRecords(context);
  if (records.updaters.length === 0)
    throw new MultiPartyFlowError("NotRecorded", `no data party recorded an update for job ${context.jobId}`);
  if (records.updaters.length < context.terms.parties) {
    const block = await context.publicClient.getBlock();
    if (block.timestamp <= context.spec.updateDeadline) {
      throw new MultiPartyFlowError(
        "WindowOpen",
        "the update window is open and not every party has submitted",
        {
          details: `${records.updaters.length} of ${context.terms.parties} parties submitted; the window closes after ${context.spec.updateDeadline}`,
        },
      );
    }
  }

  const started = performance.now();
  const { bytes, includedParties, includedMask } = await buildAggregate(context, dealer, parameters.updates);
  const aggregateMs = performance.now() - started;

  const aggregateId = await context.blobs.put(bytes);
  const aggregateHash = recordedHashOf(bytes);
  const enclaveSignature = await signMultiPartyAggregate({
    signer: parameters.enclaveSigner,
    chainId: await context.publicClient.getChainId(),
    coordinator: context.coordinator,
    jobId: context.jobId,
    aggregateHash,
    includedMask,
  });
  await recordAggregate(context, wallet, aggregateHash, includedMask, enclaveSignature);
  return { aggregateId, aggregateHash, includedParties, includedMask, aggregateMs };
}
