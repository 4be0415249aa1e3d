// Drives the JobMarket lifecycle through the SDK's ABIs with plain viem clients. Shared by the demo,
// the gas benchmark and the tests, so all three exercise the same calls.
import { x25519 } from "@noble/curves/ed25519.js";
import {
  type Account,
  type Address,
  bytesToHex,
  type Chain,
  decodeEventLog,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  toHex,
  type WalletClient,
} from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import {
  attestationBinding,
  createSimulatedEvidence,
  type Deployment,
  ETH,
  FIELD_MODULUS,
  type JobTerms,
  jobMarketAbi,
  refundCommitment,
  type TdReportFields,
  TeeType,
  teeTypeSet,
  ZERO_HASH,
} from "../../sdk/index.ts";

/** A wallet client with an account attached. */
export type Wallet = WalletClient<Transport, Chain, Account>;

/** 32 random bytes as hex. */
export function randomBytes32(): Hex {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
}

/** A random BN254 field element as 32-byte hex (what commitments and spec hashes are). */
export function randomFieldElement(): Hex {
  return toHex(BigInt(randomBytes32()) % FIELD_MODULUS, { size: 32 });
}

/** Waits for a transaction and throws if it reverted. */
export async function confirm(
  publicClient: PublicClient,
  hash: Promise<Hex> | Hex,
): Promise<TransactionReceipt> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== "success") throw new Error(`transaction ${receipt.transactionHash} reverted`);
  return receipt;
}

/** The buyer's secrets for one job: the owner key and the refund commitment's preimage. */
export type BuyerSecrets = { ownerKey: PrivateKeyAccount; refundTo: Address; salt: Hex };

/** Creates fresh buyer secrets: a new owner key and a refund salt. */
export function newBuyerSecrets(refundTo: Address): BuyerSecrets {
  return { ownerKey: privateKeyToAccount(generatePrivateKey()), refundTo, salt: randomBytes32() };
}

/** Parameters of {@link buildJobTerms}. */
export type BuildJobTermsParameters = {
  now: bigint;
  secrets: BuyerSecrets;
  priceCeiling: bigint;
  asset?: Address | undefined;
  teeTypes?: number | undefined;
  measurement?: Hex | undefined;
  bidWindow?: bigint | undefined;
  attestWindow?: bigint | undefined;
  /** Seconds from the attestation deadline to the data deadline (default 1,800). */
  dataWindow?: bigint | undefined;
  /** Seconds from the attestation deadline to the delivery deadline (default 3,600). */
  deliveryWindow?: bigint | undefined;
  qualityThreshold?: bigint | undefined;
  /** The market config to name (`jobMarket.read.currentConfigId()`); default 1. */
  configId?: number | undefined;
};

/** Single-party job terms with random commitments and the given economics and windows (seconds). */
export function buildJobTerms(p: BuildJobTermsParameters): JobTerms {
  const bidDeadline = p.now + (p.bidWindow ?? 600n);
  const attestDeadline = bidDeadline + (p.attestWindow ?? 600n);
  return {
    specHash: randomFieldElement(),
    datasetCommitment: randomFieldElement(),
    evalCommitment: randomFieldElement(),
    qualityThreshold: p.qualityThreshold ?? 9_000n,
    measurement: p.measurement ?? ZERO_HASH,
    committeeHash: ZERO_HASH,
    asset: p.asset ?? ETH,
    priceCeiling: p.priceCeiling,
    ownerKey: p.secrets.ownerKey.address,
    bidDeadline,
    attestDeadline,
    deliveryDeadline: attestDeadline + (p.deliveryWindow ?? 3_600n),
    teeTypes: p.teeTypes ?? teeTypeSet([TeeType.Simulated]),
    parties: 1,
    threshold: 0,
    committeeSize: 0,
    refundCommitment: refundCommitment(p.secrets.refundTo, p.secrets.salt),
    dataDeadline: attestDeadline + (p.dataWindow ?? 1_800n),
    configId: p.configId ?? 1,
  };
}

/** Posts a job paid in ETH (or in a token already approved) and returns its id and receipt. */
export async function postJob(
  publicClient: PublicClient,
  wallet: Wallet,
  deployment: Deployment,
  terms: JobTerms,
): Promise<{ jobId: bigint; receipt: TransactionReceipt }> {
  const receipt = await confirm(
    publicClient,
    wallet.writeContract({
      address: deployment.jobMarket,
      abi: jobMarketAbi,
      functionName: "postJob",
      args: [terms],
      value: terms.asset === ETH ? terms.priceCeiling : 0n,
    }),
  );
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== deployment.jobMarket.toLowerCase()) continue;
    const event = decodeEventLog({ abi: jobMarketAbi, data: log.data, topics: log.topics, strict: false });
    if (event.eventName === "JobPosted" && event.args.jobId !== undefined)
      return { jobId: event.args.jobId, receipt };
  }
  throw new Error("postJob: no JobPosted event in the receipt");
}

/** A simulated enclave's keys: a real X25519 key pair for data and a secp256k1 signing key. */
export type SimulatedEnclave = {
  encryptionPrivateKey: Uint8Array;
  encryptionKey: Hex;
  signer: PrivateKeyAccount;
};

/** Creates the keys a (simulated) enclave generates at start. */
export function newSimulatedEnclave(): SimulatedEnclave {
  const encryptionPrivateKey = x25519.utils.randomSecretKey();
  return {
    encryptionPrivateKey,
    encryptionKey: bytesToHex(x25519.getPublicKey(encryptionPrivateKey)),
    signer: privateKeyToAccount(generatePrivateKey()),
  };
}

/** Parameters of {@link simulatedAttestationArgs}. */
export type SimulatedAttestationParameters = {
  chainId: number;
  deployment: Deployment;
  jobId: bigint;
  enclave: SimulatedEnclave;
  /** TD report fields to override (another measurement, a debug TD) to build deliberately wrong evidence. */
  report?: Omit<TdReportFields, "reportData"> | undefined;
  /** Overrides the job binding (to build deliberately wrong evidence). */
  reportData?: Hex | undefined;
};

/**
 * Builds the arguments of `submitAttestation` (minus job id and terms) with Simulated evidence: a
 * development TDX quote whose report data is the job binding (docs/ATTESTATION.md).
 */
export function simulatedAttestationArgs(p: SimulatedAttestationParameters) {
  const reportData =
    p.reportData ??
    attestationBinding({
      chainId: BigInt(p.chainId),
      jobMarket: p.deployment.jobMarket,
      jobId: p.jobId,
      enclaveEncryptionKey: p.enclave.encryptionKey,
      enclaveSigner: p.enclave.signer.address,
    });
  const evidence = createSimulatedEvidence({ reportData, report: p.report });
  return [TeeType.Simulated, p.enclave.encryptionKey, p.enclave.signer.address, evidence] as const;
}
