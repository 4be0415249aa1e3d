// The buyer's side of a training job, shared by the demo, the benchmark and the tests: compute the
// commitments of the private data with the public base model before posting, write the job spec
// for the provider, and — once the market has accepted an enclave's attestation — encrypt the data
// to that enclave's key (read from the AttestationAccepted event, not from the provider) and upload it.
import { type Address, type Hex, hexToBytes, type PublicClient, parseEventLogs } from "viem";
import type { BaseModel, Featurizer } from "../../enclave-runner/model/index.ts";
import { encodeDataset, type LabeledText } from "../../enclave-runner/runner/dataset.ts";
import { JOB_SPEC_VERSION, type JobSpec } from "../../enclave-runner/runner/jobSpec.ts";
import type { Delivery } from "../../enclave-runner/runner/pipeline.ts";
import type { BlobStore } from "../../sdk/blobs/blobStore.ts";
import { encryptEnvelope } from "../../sdk/envelope/index.ts";
import { jobMarketAbi } from "../../sdk/generated/abis.ts";
import {
  type AdapterWeights,
  type DataRow,
  type JobTrainingCommitments,
  jobCommitments,
  type TrainingParams,
} from "../../sdk/training/index.ts";
import type { JobTerms } from "../../sdk/types.ts";

/** All-zero initial adapter weights (C0) for `params`. */
export function zeroWeights(params: TrainingParams): AdapterWeights {
  return {
    weights: Array.from({ length: params.classes }, () => Array.from({ length: params.features }, () => 0n)),
    bias: Array.from({ length: params.classes }, () => 0n),
  };
}

/** The buyer's training data with its feature rows and the commitments to post. */
export type BuyerTask = {
  params: TrainingParams;
  initialWeights: AdapterWeights;
  tau: number;
  train: LabeledText[];
  eval: LabeledText[];
  trainRows: DataRow[];
  evalRows: DataRow[];
  commitments: JobTrainingCommitments;
};

/** Featurizes the buyer's rows with the public base model and computes specHash, R_train, R_eval. */
export async function prepareBuyerTask(
  featurizer: Featurizer,
  p: {
    params: TrainingParams;
    train: LabeledText[];
    eval: LabeledText[];
    tau: number;
    initialWeights?: AdapterWeights;
  },
): Promise<BuyerTask> {
  const initialWeights = p.initialWeights ?? zeroWeights(p.params);
  const features = featurizer.featurize([...p.train, ...p.eval].map((r) => r.text));
  const trainRows = p.train.map((r, i) => ({ x: features[i] as bigint[], y: r.label }));
  const evalRows = p.eval.map((r, i) => ({ x: features[p.train.length + i] as bigint[], y: r.label }));
  const commitments = await jobCommitments({
    params: p.params,
    initialWeights,
    trainRows,
    evalRows,
    tau: p.tau,
  });
  return { ...p, initialWeights, trainRows, evalRows, commitments };
}

/** The job spec the buyer hands the provider. */
export function buildJobSpec(p: {
  chainId: bigint;
  market: Address;
  jobId: bigint;
  terms: JobTerms;
  model: BaseModel;
  task: BuyerTask;
  buyerPublicKey: Hex;
  maxDatasetBytes?: number;
}): JobSpec {
  return {
    version: JOB_SPEC_VERSION,
    chainId: p.chainId,
    market: p.market,
    jobId: p.jobId,
    terms: p.terms,
    baseModel: { name: p.model.config.name, sha256: p.model.sha256 },
    training: { params: p.task.params, initialWeights: p.task.initialWeights, tau: p.task.tau },
    buyerPublicKey: p.buyerPublicKey,
    maxDatasetBytes: p.maxDatasetBytes ?? 16 * 1024 * 1024,
  };
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

/** Encrypts both datasets to the enclave's key for this job and uploads them. */
export async function deliverData(
  blobs: BlobStore,
  enclaveKey: Hex,
  jobId: bigint,
  data:
    | { train: readonly LabeledText[]; eval: readonly LabeledText[] }
    | { trainBytes: Uint8Array; evalBytes: Uint8Array },
): Promise<Delivery> {
  const [train, evalBytes] =
    "trainBytes" in data
      ? [data.trainBytes, data.evalBytes]
      : [encodeDataset(data.train), encodeDataset(data.eval)];
  const seal = (plaintext: Uint8Array) =>
    encryptEnvelope({ plaintext, recipientPublicKey: hexToBytes(enclaveKey), jobId }).then((e) =>
      blobs.put(e),
    );
  return { train: await seal(train), eval: await seal(evalBytes) };
}
