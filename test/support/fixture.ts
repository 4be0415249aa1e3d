// The one contract-test fixture: runs the real LocalDevnet Ignition deployment on the in-process
// chain with the TestTrainingVerifier double in its first market config, and registers and stakes
// two providers.

import { sha256 } from "@noble/hashes/sha2.js";
import { network } from "hardhat";
import { type Address, bytesToHex, type Hex, keccak256, parseEther, toBytes } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { deployLocalDevnet } from "../../scripts/lib/deploy.ts";
import {
  type BuildJobTermsParameters,
  type BuyerSecrets,
  buildJobTerms,
  newBuyerSecrets,
  newSimulatedEnclave,
  postJob,
  type SimulatedEnclave,
  simulatedAttestationArgs,
} from "../../scripts/lib/market.ts";
import {
  type DeliveredBlobs,
  deliveryDataHash,
  type FailureStatement,
  type JobTerms,
  signCancelJob,
  signExtendDelivery,
  signJobFailure,
  signRecordDelivery,
  signTrainingResult,
  type TdReportFields,
  TeeType,
  teeTypeSet,
} from "../../sdk/index.ts";

export const connection = await network.create();
export const { viem, networkHelpers } = connection;

/** Stake each provider deposits in ETH and in the dev token. */
export const PROVIDER_STAKE = parseEther("10");
/** Default price ceiling of test jobs. */
export const CEILING = parseEther("1");
/** Profile TEE types of the test providers. */
export const PROVIDER_TEE_TYPES = teeTypeSet([TeeType.Simulated, TeeType.Tdx]);

async function deployMarket() {
  const trainingVerifier = await viem.deployContract("TestTrainingVerifier");
  const deployment = await deployLocalDevnet(connection, { trainingVerifier: trainingVerifier.address });
  const publicClient = await viem.getPublicClient();
  const [deployer, provider, provider2, buyer, relayer, stranger] = await viem.getWalletClients();
  if (!deployer || !provider || !provider2 || !buyer || !relayer || !stranger)
    throw new Error("need 6 accounts");
  const jobMarket = await viem.getContractAt("JobMarket", deployment.jobMarket);
  const providerRegistry = await viem.getContractAt("ProviderRegistry", deployment.providerRegistry);
  const enclaveRegistry = await viem.getContractAt("EnclaveRegistry", deployment.enclaveRegistry);
  const stakeToken = await viem.getContractAt("DevStakeToken", deployment.stakeToken);
  const multiPartyCoordinator = await viem.getContractAt(
    "MultiPartyCoordinator",
    deployment.multiPartyCoordinator ?? "0x",
  );
  const simulatedVerifier = await viem.getContractAt(
    "IntelQuoteVerifier",
    deployment.simulatedVerifier ?? "0x",
  );
  const intelQuoteVerifier = await viem.getContractAt(
    "IntelQuoteVerifier",
    deployment.intelQuoteVerifier ?? "0x",
  );
  const statementVerifier = await viem.getContractAt(
    "AttestationStatementVerifier",
    deployment.statementVerifier ?? "0x",
  );
  const dataDelivery = await viem.getContractAt("DataDelivery", deployment.dataDelivery ?? "0x");

  for (const p of [provider, provider2]) {
    const as = { account: p.account };
    await providerRegistry.write.register(
      [
        {
          teeTypes: PROVIDER_TEE_TYPES,
          hardwareClass: 3,
          metadataHash: keccak256(toBytes(`profile of ${p.account.address}`)),
          endpointHash: keccak256(toBytes(`https://${p.account.address}.example`)),
        },
      ],
      as,
    );
    await providerRegistry.write.depositEth({ ...as, value: PROVIDER_STAKE });
    await stakeToken.write.faucet([p.account.address, PROVIDER_STAKE * 10n]);
    await stakeToken.write.approve([providerRegistry.address, PROVIDER_STAKE], as);
    await providerRegistry.write.depositToken([PROVIDER_STAKE], as);
  }
  await stakeToken.write.faucet([buyer.account.address, CEILING * 100n]);
  const chainId = await publicClient.getChainId();
  return {
    deployment,
    chainId,
    publicClient,
    deployer,
    provider,
    provider2,
    buyer,
    relayer,
    stranger,
    jobMarket,
    providerRegistry,
    enclaveRegistry,
    stakeToken,
    multiPartyCoordinator,
    dataDelivery,
    simulatedVerifier,
    intelQuoteVerifier,
    statementVerifier,
    trainingVerifier,
  };
}

/** The deployed system, restored from a snapshot after the first call. */
export function loadMarket() {
  return networkHelpers.loadFixture(deployMarket);
}
export type Market = Awaited<ReturnType<typeof deployMarket>>;

/**
 * The `ConfigParameters` of a published market config (the current one by default): what
 * `publishConfig` takes, to publish a copy with some fields changed.
 */
export async function configParameters(m: Market, configId?: number) {
  const c = await m.jobMarket.read.configOf([configId ?? (await m.jobMarket.read.currentConfigId())]);
  return {
    trainingVerifier: c.trainingVerifier,
    coordinator: c.coordinator,
    dataDelivery: c.dataDelivery,
    collateralRatioBps: c.collateralRatioBps,
    slashBuyerShareBps: c.slashBuyerShareBps,
    computeShareBps: c.computeShareBps,
    cancellationFeeBps: c.cancellationFeeBps,
    minBidStepBps: c.minBidStepBps,
  };
}

/** Current chain time. */
export async function now(): Promise<bigint> {
  return BigInt(await networkHelpers.time.latest());
}

/** A posted job with its terms and the buyer's secrets. */
export type PostedJob = { jobId: bigint; terms: JobTerms; secrets: BuyerSecrets };

/** Posts a job from the buyer account (token jobs are approved first). */
export async function postTestJob(
  m: Market,
  overrides: Partial<Omit<BuildJobTermsParameters, "now" | "secrets">> = {},
): Promise<PostedJob> {
  const secrets = newBuyerSecrets(m.stranger.account.address);
  const terms = buildJobTerms({ now: await now(), secrets, priceCeiling: CEILING, ...overrides });
  if (terms.asset !== "0x0000000000000000000000000000000000000000") {
    await m.stakeToken.write.approve([m.jobMarket.address, terms.priceCeiling], { account: m.buyer.account });
  }
  const { jobId } = await postJob(m.publicClient, m.buyer, m.deployment, terms);
  return { jobId, terms, secrets };
}

/** Bids `price` from `provider` (default: the first provider). */
export async function bid(m: Market, job: PostedJob, price: bigint, provider = m.provider): Promise<void> {
  await m.jobMarket.write.placeBid([job.jobId, job.terms, price], { account: provider.account });
}

/** Moves time past the bid window. */
export async function endBidding(job: PostedJob): Promise<void> {
  await networkHelpers.time.increaseTo(job.terms.bidDeadline);
}

/** Simulated-TEE attestation arguments for a job (optionally deliberately wrong). */
export async function attestationArgs(
  m: Market,
  job: PostedJob,
  options: {
    enclave?: SimulatedEnclave;
    /** TD report overrides (e.g. another MRTD for another measurement). */
    report?: Omit<TdReportFields, "reportData">;
    reportData?: Hex;
    jobId?: bigint;
  } = {},
) {
  return simulatedAttestationArgs({
    chainId: m.chainId,
    deployment: m.deployment,
    jobId: options.jobId ?? job.jobId,
    enclave: options.enclave ?? newSimulatedEnclave(),
    report: options.report,
    reportData: options.reportData,
  });
}

/** An Attested job with the simulated enclave whose keys the attestation bound. */
export type AttestedJob = PostedJob & { enclave: SimulatedEnclave };

/** Posts (with `overrides`), bids at `price`, closes bidding and attests: returns an Attested job. */
export async function attestedJob(
  m: Market,
  price = CEILING / 2n,
  overrides: Partial<Omit<BuildJobTermsParameters, "now" | "secrets">> = {},
): Promise<AttestedJob> {
  const job = await postTestJob(m, overrides);
  await bid(m, job, price);
  await endBidding(job);
  const enclave = newSimulatedEnclave();
  await m.jobMarket.write.submitAttestation(
    [job.jobId, job.terms, ...(await attestationArgs(m, job, { enclave }))],
    { account: m.provider.account },
  );
  return { ...job, enclave };
}

/** A model commitment and ciphertext hash for test results. */
export const MODEL_COMMITMENT: Hex = keccak256(toBytes("model commitment"));
export const MODEL_CIPHERTEXT_HASH: Hex = keccak256(toBytes("model ciphertext"));

/**
 * The `Result` of `submitResult`, signed by the job's enclave (or `signer`): by default the
 * TestTrainingVerifier's valid proof with the threshold met.
 */
export async function signedResult(
  m: Market,
  job: AttestedJob,
  o: {
    proof?: Hex;
    thresholdMet?: boolean;
    modelCommitment?: Hex;
    modelCiphertextHash?: Hex;
    signer?: PrivateKeyAccount;
  } = {},
) {
  const result = {
    modelCommitment: o.modelCommitment ?? MODEL_COMMITMENT,
    modelCiphertextHash: o.modelCiphertextHash ?? MODEL_CIPHERTEXT_HASH,
    thresholdMet: o.thresholdMet ?? true,
    proof: o.proof ?? VALID_PROOF,
  };
  const enclaveSignature = await signTrainingResult({
    enclaveKey: o.signer ?? job.enclave.signer,
    chainId: m.chainId,
    jobMarket: m.jobMarket.address,
    jobId: job.jobId,
    ...result,
  });
  return { ...result, enclaveSignature };
}

/** `submitFailure` arguments: `statement` signed by the job's enclave (or `signer`). */
export async function signedFailure(
  m: Market,
  job: AttestedJob,
  statement: FailureStatement,
  signer?: PrivateKeyAccount,
) {
  const signature = await signJobFailure({
    enclaveKey: signer ?? job.enclave.signer,
    chainId: m.chainId,
    jobMarket: m.jobMarket.address,
    jobId: job.jobId,
    statement,
  });
  return [job.jobId, job.terms, statement, signature] as const;
}

/** Two test blobs as the buyer would deliver them (ids are their SHA-256), with their bytes. */
export function testBlobs(): DeliveredBlobs & { data: Uint8Array[] } {
  const data = [new TextEncoder().encode("train ciphertext"), new TextEncoder().encode("eval ciphertext")];
  return {
    data,
    blobIds: data.map((d) => sha256Hex(d)),
    sizes: data.map((d) => BigInt(d.length)),
  };
}

/** Records `blobs` as the job's delivery with the owner key's signature, relayed by the stranger. */
export async function recordDelivery(m: Market, job: PostedJob, blobs: DeliveredBlobs = testBlobs()) {
  const deadline = (await now()) + 86_400n;
  const signature = await signRecordDelivery({
    ownerKey: job.secrets.ownerKey,
    chainId: m.chainId,
    dataDelivery: m.dataDelivery.address,
    jobId: job.jobId,
    deadline,
    ...blobs,
  });
  await m.dataDelivery.write.recordDelivery(
    [job.jobId, job.terms, blobs.blobIds, blobs.sizes, deadline, signature],
    {
      account: m.stranger.account,
    },
  );
  return deliveryDataHash(blobs);
}

/** Proof bytes the TestTrainingVerifier accepts / rejects / reverts on. */
export const VALID_PROOF: Hex = "0x76616c6964"; // "valid"
export const INVALID_PROOF: Hex = "0x6e6f7065"; // "nope"
export const REVERTING_PROOF: Hex = "0x726576657274"; // "revert"

/** Overrides of an owner-key signature, to build deliberately wrong ones. */
export type SignOptions = {
  nonce?: bigint;
  deadline?: bigint;
  key?: PrivateKeyAccount;
  chainId?: number;
  jobMarket?: Address;
  jobId?: bigint;
};

/** Signs `CancelJob` for a job; by default with its owner key, current nonce and the real domain. */
export async function cancelSig(m: Market, job: PostedJob, o: SignOptions = {}) {
  const nonce = o.nonce ?? (await m.jobMarket.read.nonces([job.terms.ownerKey]));
  const deadline = o.deadline ?? (await now()) + 86_400n;
  const signature = await signCancelJob({
    ownerKey: o.key ?? job.secrets.ownerKey,
    chainId: o.chainId ?? m.chainId,
    jobMarket: o.jobMarket ?? m.jobMarket.address,
    jobId: o.jobId ?? job.jobId,
    nonce,
    deadline,
  });
  return [nonce, deadline, signature] as const;
}

/** Signs `ExtendDelivery` to `deliveryDeadline` for a job, with the same defaults. */
export async function extendSig(m: Market, job: PostedJob, deliveryDeadline: bigint, o: SignOptions = {}) {
  const nonce = o.nonce ?? (await m.jobMarket.read.nonces([job.terms.ownerKey]));
  const deadline = o.deadline ?? (await now()) + 86_400n;
  const signature = await signExtendDelivery({
    ownerKey: o.key ?? job.secrets.ownerKey,
    chainId: o.chainId ?? m.chainId,
    jobMarket: o.jobMarket ?? m.jobMarket.address,
    jobId: o.jobId ?? job.jobId,
    nonce,
    deadline,
    deliveryDeadline,
  });
  return [deliveryDeadline, nonce, deadline, signature] as const;
}

/** `cancelJob` relayed by the stranger. */

function sha256Hex(bytes: Uint8Array): Hex {
  return bytesToHex(sha256(bytes));
}
