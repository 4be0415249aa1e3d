// Support for the enclave-runner tests: the test base model, a buyer task over it sized for the
// `segment_test` circuit, a zk market (real Groth16TrainingVerifier in a newly published market
// config), a job brought to the point where an enclave attests (posted with the buyer's commitments
// and that config, bid on, bidding over), and the buyer's delivery (upload + on-chain record).
import { x25519 } from "@noble/curves/ed25519.js";
import { bytesToHex } from "viem";
import { type BaseModel, loadOrBuildBaseModel, TEST_SLM_CONFIG } from "../../enclave-runner/model/index.ts";
import type { LabeledText } from "../../enclave-runner/runner/dataset.ts";
import type { JobSpec } from "../../enclave-runner/runner/jobSpec.ts";
import type { CircuitResult } from "../../scripts/circuits/pipeline.ts";
import {
  attestedEnclaveKey,
  type BuyerTask,
  buildJobSpec,
  type Delivery,
  deliverData,
  prepareBuyerTask,
  recordDataDelivery,
  signJobSpec,
} from "../../scripts/lib/buyer.ts";
import { publishMarketConfig } from "../../scripts/lib/deploy.ts";
import { intentRows } from "../../scripts/lib/intentTask.ts";
import { type BuyerSecrets, buildJobTerms, newBuyerSecrets, postJob } from "../../scripts/lib/market.ts";
import type { BlobStore } from "../../sdk/blobs/blobStore.ts";
import type { JobTerms } from "../../sdk/types.ts";
import { CEILING, connection, loadMarket, type Market, networkHelpers, now, viem } from "./fixture.ts";
import { buildSegmentTestCircuit, deployGroth16Dependencies, SEGMENT_TEST_PARAMS } from "./zk.ts";

export const PARAMS = SEGMENT_TEST_PARAMS;
/** Training rows the statement needs (S·K·B). */
export const TRAIN_ROWS = PARAMS.segments * PARAMS.steps * PARAMS.batchSize;

let prerequisites: Promise<{ model: BaseModel; circuit: CircuitResult }> | undefined;

/** The test base model (built once per cache, then loaded) and the segment_test circuit; once per
 *  process (test files run concurrently in one process). */
export function runnerPrerequisites(): Promise<{ model: BaseModel; circuit: CircuitResult }> {
  prerequisites ??= (async () => ({
    model: await loadOrBuildBaseModel(TEST_SLM_CONFIG),
    circuit: await buildSegmentTestCircuit(),
  }))();
  return prerequisites;
}

/** The buyer's rows: intents over the circuit's classes; `marker` is put into every text. */
export function buyerRows(seed = 11, marker?: string): { train: LabeledText[]; eval: LabeledText[] } {
  return {
    train: intentRows(TRAIN_ROWS, PARAMS.classes, seed, marker),
    eval: intentRows(PARAMS.evalRows, PARAMS.classes, seed + 1000, marker),
  };
}

/** Commits to the buyer's raw rows. τ defaults to 25 %: the tiny test model (4 features) learns
 *  (eval loss drops) but 4 eval rows over 2 classes are a coarse measure; these tests are about the
 *  mechanics, quality is measured by bench:runner and the demo on the default model. */
export function buyerTask(rows = buyerRows(), tau = 2500): Promise<BuyerTask> {
  return prepareBuyerTask({ params: PARAMS, ...rows, tau });
}

/** The market with the real verifiers of segment_test in the config `zkConfigId`. */
export type ZkMarket = Market & { zkConfigId: number };

/**
 * The market fixture with a second config whose training verifier is the production shape: the
 * FeatureBindingVerifier (the enclave's signed raw → feature binding) in front of segment_test's
 * Groth16TrainingVerifier (the head proof).
 */
async function deployZkMarket(): Promise<ZkMarket> {
  const m = await loadMarket();
  const { circuit } = await runnerPrerequisites();
  const deps = await deployGroth16Dependencies(m.publicClient, m.deployer, circuit);
  const head = await viem.deployContract("Groth16TrainingVerifier", [
    deps.segmentVerifier,
    deps.poseidon4,
    deps.poseidon6,
  ]);
  const bound = await viem.deployContract("FeatureBindingVerifier", [head.address]);
  const zkConfigId = await publishMarketConfig(connection, m.deployment, { trainingVerifier: bound.address });
  return { ...m, zkConfigId };
}
export const loadZkMarket = () => networkHelpers.loadFixture(deployZkMarket);

/** A job posted with `task`'s commitments, bid on by the provider, bidding over; and its spec. */
export async function jobAwaitingAttestation(
  m: ZkMarket,
  task: BuyerTask,
  edit?: (s: JobSpec) => void,
  options: { resign?: boolean | undefined } = {},
) {
  const { model } = await runnerPrerequisites();
  const secrets = newBuyerSecrets(m.stranger.account.address);
  const terms = {
    ...buildJobTerms({ now: await now(), secrets, priceCeiling: CEILING, configId: m.zkConfigId }),
    ...task.commitments,
  };
  const { jobId } = await postJob(m.publicClient, m.buyer, m.deployment, terms);
  await m.jobMarket.write.placeBid([jobId, terms, CEILING / 2n], { account: m.provider.account });
  await networkHelpers.time.increaseTo(terms.bidDeadline);
  const buyerKey = x25519.utils.randomSecretKey();
  let spec = await buildJobSpec({
    chainId: BigInt(m.chainId),
    market: m.deployment.jobMarket,
    jobId,
    terms,
    model,
    task,
    buyerPublicKey: bytesToHex(x25519.getPublicKey(buyerKey)),
    ownerKey: secrets.ownerKey,
  });
  if (edit) {
    edit(spec);
    // The buyer signs its edit; a provider's edit (`resign: false`) keeps the old signature.
    if (options.resign !== false) spec = await signJobSpec(spec, secrets.ownerKey);
  }
  return { jobId, terms, spec, buyerKey, secrets };
}

/**
 * The buyer's delivery once the market accepted an attestation: `upload` encrypts to the attested
 * key and stores the blobs (default: the task's rows), then the owner key's record is relayed by the
 * stranger. Returns the delivery as recorded.
 */
export async function deliverAndRecord(
  m: Market,
  job: { jobId: bigint; terms: JobTerms; secrets: BuyerSecrets },
  upload: (enclaveKey: `0x${string}`) => Promise<Pick<Delivery, "blobIds" | "sizes">>,
): Promise<Pick<Delivery, "blobIds" | "sizes">> {
  const enclaveKey = await attestedEnclaveKey(m.publicClient, m.deployment.jobMarket, job.jobId);
  const delivery = await upload(enclaveKey);
  await recordDataDelivery({
    publicClient: m.publicClient,
    relayer: m.stranger,
    jobMarket: m.deployment.jobMarket,
    jobId: job.jobId,
    terms: job.terms,
    ownerKey: job.secrets.ownerKey,
    blobs: delivery,
  });
  return delivery;
}

/** Uploads `rows` (with their raw-data salts) for `jobId` (encrypted to `enclaveKey`). */
export const uploadRows =
  (blobs: BlobStore, jobId: bigint, rows: Pick<BuyerTask, "train" | "eval" | "raw">) =>
  (enclaveKey: `0x${string}`) =>
    deliverData(blobs, enclaveKey, jobId, rows);
