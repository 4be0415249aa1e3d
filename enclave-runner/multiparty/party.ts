// Role: a data party, on its own machine with its own rows. Trains locally from the job's C0,
// clips, encodes, packs and encrypts its update under the job's threshold key, uploads the
// ciphertext vector and records its keccak256 on the coordinator from its own wallet.
import type { Hex } from "viem";
import type { BlobId } from "../../sdk/blobs/blobStore.ts";
import { recordedHashOf } from "../../sdk/multiParty.ts";
import { PaillierEncryptor } from "../../sdk/paillier/paillier.ts";
import type { AdapterWeights, DataRow, TrainingParams } from "../../sdk/training/params.ts";
import { checkJobTraining, computeLocalUpdate } from "./adapter.ts";
import {
  checkJob,
  type MultiPartyContext,
  type MultiPartyWallet,
  recordUpdate,
  requireAccount,
} from "./chain.ts";
import { loadDealerOutput } from "./dealer.ts";
import { CiphertextVectorKind, encodeCiphertextVector } from "./format.ts";

/** Parameters of {@link submitUpdate}. */
export type SubmitUpdateParameters = {
  context: MultiPartyContext;
  /** The party's wallet: must be `spec.dataParties[partyIndex]`. */
  wallet: MultiPartyWallet;
  partyIndex: number;
  /** The dealer output's blob id. */
  dealerOutputId: BlobId;
  /** The commitment the enclave attested to, when known (recommended). */
  expectedKeyCommitment?: Hex | undefined;
  /** C0, the hyper-parameters (checked against `terms.specHash`) and the party's own rows (S·K·B). */
  training: { initialWeights: AdapterWeights; params: TrainingParams; rows: readonly DataRow[] };
};

/** Result of {@link submitUpdate}. */
export type SubmitUpdateResult = {
  /** Blob id of the encrypted update: hand it to the aggregator. */
  updateId: BlobId;
  /** keccak256 of the blob, as recorded on-chain. */
  updateHash: Hex;
  /** The party's update as real numbers, before clipping (stays with the party). */
  update: Float64Array;
  /** What was encrypted: the clipped fixed-point integers round(x · scale) ∈ [−Q, Q]. */
  encoded: number[];
  /** The codec's scale (encoded[j] / scale is the clipped value). */
  scale: number;
  /** Milliseconds: local training, encode + encrypt. */
  timings: { trainMs: number; encryptMs: number };
};

/**
 * Trains, encrypts and submits a party's update.
 *
 * @example
 * const { updateId } = await submitUpdate({ context, wallet, partyIndex: 0, dealerOutputId, training });
 */
export async function submitUpdate(parameters: SubmitUpdateParameters): Promise<SubmitUpdateResult> {
  const { context, wallet, partyIndex, training } = parameters;
  checkJob(context);
  requireAccount(wallet, context.spec.dataParties[partyIndex], `data party ${partyIndex}`);
  await checkJobTraining(context.terms, training.initialWeights, training.params);
  const {
    parameters: threshold,
    codec,
    publicKeyCommitment,
  } = await loadDealerOutput(context, parameters.dealerOutputId, parameters.expectedKeyCommitment);

  let started = performance.now();
  const { update } = computeLocalUpdate(training.initialWeights, training.rows, training.params);
  const trainMs = performance.now() - started;

  started = performance.now();
  const encoded = Array.from(update, (x) => codec.quantize(x));
  const ciphertexts = new PaillierEncryptor(threshold.publicKey).encryptMany(codec.encode(update));
  const bytes = encodeCiphertextVector(
    threshold.publicKey,
    {
      kind: CiphertextVectorKind.PartyUpdate,
      index: partyIndex,
      jobId: context.jobId,
      keyCommitment: publicKeyCommitment,
    },
    ciphertexts,
  );
  const encryptMs = performance.now() - started;

  const updateId = await context.blobs.put(bytes);
  const updateHash = recordedHashOf(bytes);
  await recordUpdate(context, wallet, partyIndex, updateHash);
  return { updateId, updateHash, update, encoded, scale: codec.scale, timings: { trainMs, encryptMs } };
}
