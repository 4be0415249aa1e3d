// The buyer's side of a training job, shared by the demo, the benchmark and the tests: commit to the
// raw rows (hashing only, docs/RAW_DATA.md: no base model runs here, the enclave featurizes), write
// the job spec for the provider, and — once the market has accepted an enclave's attestation —
// encrypt the data to that enclave's key (read from the AttestationAccepted event, not from the
// provider), upload it and record the delivery on chain with the owner key (relayed by anyone).
import {
  type Address,
  type Hex,
  hexToBytes,
  type LocalAccount,
  type PublicClient,
  parseEventLogs,
  type TransactionReceipt,
  toHex,
} from "viem";
import type { BaseModel } from "../../enclave-runner/model/index.ts";
import { encodeDataset, type LabeledText } from "../../enclave-runner/runner/dataset.ts";
import { JOB_SPEC_VERSION, type JobSpec, jobSpecDocumentHash } from "../../enclave-runner/runner/jobSpec.ts";
import { type BlobId, type BlobStore, blobIdHex } from "../../sdk/blobs/blobStore.ts";
import { encryptEnvelope } from "../../sdk/envelope/index.ts";
import { dataDeliveryAbi, jobMarketAbi } from "../../sdk/generated/abis.ts";
import { signJobSpecDocument, signRecordDelivery } from "../../sdk/ownerActions.ts";
import { commitRawData, type RawDataCommitment } from "../../sdk/rawData.ts";
import {
  type AdapterWeights,
  commitWeights,
  getPoseidon,
  type JobTrainingCommitments,
  specHash,
  type TrainingParams,
} from "../../sdk/training/index.ts";
import type { JobTerms } from "../../sdk/types.ts";
import { confirm, type Wallet } from "./market.ts";

/** All-zero initial adapter weights (C0) for `params`. */
export function zeroWeights(params: TrainingParams): AdapterWeights {
  return {
    weights: Array.from({ length: params.classes }, () => Array.from({ length: params.features }, () => 0n)),
    bias: Array.from({ length: params.classes }, () => 0n),
  };
}

/** The buyer's training data with its raw-data commitments (and their salts) and the terms to post. */
export type BuyerTask = {
  params: TrainingParams;
  initialWeights: AdapterWeights;
  tau: number;
  train: LabeledText[];
  eval: LabeledText[];
  /** The raw-data commitments; their salts go to the enclave inside the encrypted data. */
  raw: { train: RawDataCommitment; eval: RawDataCommitment };
  /** specHash, the raw commitments as `datasetCommitment` / `evalCommitment`, and τ. */
  commitments: JobTrainingCommitments;
};

/**
 * Commits to the buyer's raw rows (SHA-256 Merkle roots, fresh salts) and computes
 * `specHash = Poseidon(C0, hpHash)`: hashing only, what a browser does in milliseconds.
 *
 * @example
 * const task = await prepareBuyerTask({ params, train, eval: evalRows, tau: 5000 });
 */
export async function prepareBuyerTask(p: {
  params: TrainingParams;
  train: LabeledText[];
  eval: LabeledText[];
  tau: number;
  initialWeights?: AdapterWeights;
}): Promise<BuyerTask> {
  const initialWeights = p.initialWeights ?? zeroWeights(p.params);
  const raw = { train: commitRawData(p.train), eval: commitRawData(p.eval) };
  const hash = await getPoseidon();
  const commitments: JobTrainingCommitments = {
    specHash: toHex(specHash(hash, commitWeights(hash, initialWeights), p.params), { size: 32 }),
    datasetCommitment: raw.train.commitment,
    evalCommitment: raw.eval.commitment,
    qualityThreshold: BigInt(p.tau),
  };
  return { ...p, initialWeights, raw, commitments };
}

/**
 * Signs a job spec with the job's owner key (EIP-712 `JobSpecDocument` over its document hash): the
 * enclave runs only a spec its buyer signed.
 */
export async function signJobSpec(spec: JobSpec, ownerKey: LocalAccount): Promise<JobSpec> {
  const documentHash = jobSpecDocumentHash(spec);
  const ownerSignature = await signJobSpecDocument(ownerKey, {
    chainId: Number(spec.chainId),
    jobMarket: spec.market,
    jobId: spec.jobId,
    documentHash,
  });
  return { ...spec, ownerSignature };
}

/** The job spec the buyer hands the provider, signed by the job's owner key. */
export function buildJobSpec(p: {
  chainId: bigint;
  market: Address;
  jobId: bigint;
  terms: JobTerms;
  model: BaseModel;
  task: BuyerTask;
  buyerPublicKey: Hex;
  maxDatasetBytes?: number;
  /** The job's owner key: it signs the spec. */
  ownerKey: LocalAccount;
}): Promise<JobSpec> {
  return signJobSpec(
    {
      version: JOB_SPEC_VERSION,
      chainId: p.chainId,
      market: p.market,
      jobId: p.jobId,
      terms: p.terms,
      baseModel: { name: p.model.config.name, sha256: p.model.sha256 },
      training: { params: p.task.params, initialWeights: p.task.initialWeights, tau: p.task.tau },
      buyerPublicKey: p.buyerPublicKey,
      maxDatasetBytes: p.maxDatasetBytes ?? 16 * 1024 * 1024,
    },
    p.ownerKey,
  );
}

/** The X25519 key the market accepted for job `jobId` (from its AttestationAccepted event). */
export async function attestedEnclaveKey(client: PublicClient, market: Address, jobId: bigint): Promise<Hex> {
  const logs = await client.getContractEvents({
    address: market,
    abi: jobMarketAbi,
    eventName: "AttestationAccepted",
    args: { jobId },
    fromBlock: 0n,
  });
  const last = parseEventLogs({ abi: jobMarketAbi, logs, eventName: "AttestationAccepted" }).at(-1);
  if (!last) throw new Error(`job ${jobId} has no accepted attestation yet`);
  return last.args.enclaveEncryptionKey;
}

/** The buyer's uploaded delivery: the two envelopes' blob ids and, as recorded on chain, their SHA-256 and sizes. */
export type Delivery = {
  train: BlobId;
  eval: BlobId;
  /** [train, eval] as `DataDelivery.recordDelivery` takes them. */
  blobIds: Hex[];
  sizes: bigint[];
};

/** Encrypts both datasets to the enclave's key for this job and uploads them (training set, then eval set). */
export async function deliverData(
  blobs: BlobStore,
  enclaveKey: Hex,
  jobId: bigint,
  data: Pick<BuyerTask, "train" | "eval" | "raw"> | { trainBytes: Uint8Array; evalBytes: Uint8Array },
): Promise<Delivery> {
  const [train, evalBytes] =
    "trainBytes" in data
      ? [data.trainBytes, data.evalBytes]
      : [encodeDataset(data.train, data.raw.train.salt), encodeDataset(data.eval, data.raw.eval.salt)];
  const seal = async (plaintext: Uint8Array) => {
    const envelope = await encryptEnvelope({ plaintext, recipientPublicKey: hexToBytes(enclaveKey), jobId });
    return { id: await blobs.put(envelope), size: BigInt(envelope.length) };
  };
  const t = await seal(train);
  const e = await seal(evalBytes);
  return {
    train: t.id,
    eval: e.id,
    blobIds: [t.id, e.id].map((id) => `0x${blobIdHex(id)}` as Hex),
    sizes: [t.size, e.size],
  };
}

/** Parameters of {@link recordDataDelivery}. */
export type RecordDataDeliveryParameters = {
  publicClient: PublicClient;
  /** Whoever relays the owner key's signature (pays the gas; learns nothing). */
  relayer: Wallet;
  jobMarket: Address;
  jobId: bigint;
  terms: JobTerms;
  /** The job's owner key: it signs, it never sends. */
  ownerKey: LocalAccount;
  /** The blobs, in the order the enclave reads them (training set, eval set). */
  blobs: { blobIds: readonly Hex[]; sizes: readonly bigint[] };
  /** Last second the signature is valid (default: the job's data deadline). */
  deadline?: bigint | undefined;
};

/**
 * Records the delivery on the DataDelivery contract the job's config pins: the owner key signs
 * `RecordDelivery(jobId, dataHash, deadline)` and `relayer` sends it. Without this record by the
 * data deadline the job ends `BuyerDefaulted` (`NoDataDelivered`); the enclave reads exactly these blobs.
 *
 * @returns The receipt of `recordDelivery`.
 */
export async function recordDataDelivery(p: RecordDataDeliveryParameters): Promise<TransactionReceipt> {
  const config = await p.publicClient.readContract({
    address: p.jobMarket,
    abi: jobMarketAbi,
    functionName: "configOf",
    args: [p.terms.configId],
  });
  const deadline = p.deadline ?? p.terms.dataDeadline;
  const signature = await signRecordDelivery({
    ownerKey: p.ownerKey,
    chainId: await p.publicClient.getChainId(),
    dataDelivery: config.dataDelivery,
    jobId: p.jobId,
    deadline,
    ...p.blobs,
  });
  return confirm(
    p.publicClient,
    p.relayer.writeContract({
      address: config.dataDelivery,
      abi: dataDeliveryAbi,
      functionName: "recordDelivery",
      args: [p.jobId, p.terms, p.blobs.blobIds, p.blobs.sizes, deadline, signature],
      account: p.relayer.account,
    }),
  );
}
