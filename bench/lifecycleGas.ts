// The gas of every market transaction and of the settlement of each outcome of docs/OUTCOMES.md
// (single- and multi-party, each checked for the status it reaches), measured on a fresh
// in-process chain (Hardhat EDR, osaka) with the LocalDevnet Ignition deployment and the
// TestTrainingVerifier double in its config (proof verification excluded; bench:gas adds the real
// Groth16 verifier on top). Shared by `npm run bench:gas` and the gas snapshot check
// (test/ts/GasSnapshot.test.ts, `npm run gas:snapshot`).
//
// Deterministic: every key, salt, commitment, enclave key and deadline derives from a fixed label,
// and each job starts at a fixed chain time (JOB_STRIDE apart), so calldata and storage writes are
// the same on every run; only stored block timestamps vary, and they never change a write's cost.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { x25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { NetworkConnection } from "hardhat/types/network";
import {
  type Address,
  bytesToHex,
  type Hex,
  hexToBytes,
  keccak256,
  parseEther,
  parseEventLogs,
  type TransactionReceipt,
  toBytes,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployLocalDevnet } from "../scripts/lib/deploy.ts";
import {
  type BuyerSecrets,
  buildJobTerms,
  confirm,
  postJob,
  type SimulatedEnclave,
  simulatedAttestationArgs,
} from "../scripts/lib/market.ts";
import {
  type Deployment,
  deliveryDataHash,
  ETH,
  FailureReason,
  FIELD_MODULUS,
  hashMultiPartySpec,
  indexMask,
  JobStatus,
  type JobTerms,
  type MultiPartySpec,
  nameOf,
  SIMULATED_MEASUREMENT,
  signCancelJob,
  signCommitteeBadShares,
  signExtendDelivery,
  signJobFailure,
  signMultiPartyAggregate,
  signMultiPartyResult,
  signPermit,
  signRecordDelivery,
  signTrainingResult,
  TeeType,
  teeTypeSet,
} from "../sdk/index.ts";

/** One measured transaction. */
export type GasRow = {
  key: string;
  gas: bigint;
  note: string;
  /** Part of the committed snapshot (market lifecycle and settlement, measured with the double). */
  snapshot: boolean;
};

/** The steps summed into `lifecycle_total`. */
export const LIFECYCLE_STEPS = [
  "postJob",
  "placeBid",
  "submitAttestation",
  "submitResult",
  "claimRefund",
] as const;

/** First job's chain time: far from today's clock, so every run sees the same deadlines. */
export const T0 = 1_900_000_000n;
/** Chain time between two jobs' starts: longer than a job with an availability challenge (1 day). */
export const JOB_STRIDE = 200_000n;

/** Proof bytes the TestTrainingVerifier accepts ("valid"). */
const VALID_PROOF: Hex = "0x76616c6964";

/** A fixed 32-byte value per label. */
export const labelled = (label: string): Hex => keccak256(toBytes(`blind-training gas ${label}`));
/** A fixed BN254 field element per label. */
export const labelledField = (label: string): Hex =>
  toHex(BigInt(labelled(label)) % FIELD_MODULUS, { size: 32 });

/** Deterministic buyer secrets (refunds to `refundTo`). */
export function labelledSecrets(label: string, refundTo: Address): BuyerSecrets {
  return {
    ownerKey: privateKeyToAccount(labelled(`owner ${label}`)),
    refundTo,
    salt: labelled(`salt ${label}`),
  };
}

/** A deterministic simulated enclave (X25519 key and signing key). */
export function labelledEnclave(label: string): SimulatedEnclave {
  const encryptionPrivateKey = hexToBytes(labelled(`x25519 ${label}`));
  return {
    encryptionPrivateKey,
    encryptionKey: bytesToHex(x25519.getPublicKey(encryptionPrivateKey)),
    signer: privateKeyToAccount(labelled(`signer ${label}`)),
  };
}

/** `bytes` deterministic pseudo-random bytes (a ciphertext's calldata profile: almost no zero byte). */
export function labelledBytes(label: string, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 32)
    out.set(hexToBytes(labelled(`${label} ${i}`)).subarray(0, bytes - i), i);
  return out;
}

/** Measures the market's transactions; returns the rows and what bench:gas needs to go on. */
export async function measureMarketGas(connection: NetworkConnection) {
  const { viem, networkHelpers } = connection;
  const publicClient = await viem.getPublicClient();
  const [deployer, providerA, providerB, buyer, relayer] = await viem.getWalletClients();
  if (!deployer || !providerA || !providerB || !buyer || !relayer) throw new Error("gas: need 5 accounts");
  const chainId = await publicClient.getChainId();

  const double = await viem.deployContract("TestTrainingVerifier");
  const deployment: Deployment = await deployLocalDevnet(connection, { trainingVerifier: double.address });
  const market = await viem.getContractAt("JobMarket", deployment.jobMarket);
  const registry = await viem.getContractAt("ProviderRegistry", deployment.providerRegistry);
  const token = await viem.getContractAt("DevStakeToken", deployment.stakeToken);
  const dataDelivery = await viem.getContractAt("DataDelivery", deployment.dataDelivery ?? "0x");

  const rows: GasRow[] = [];
  const gas: Record<string, bigint> = {};
  const record = (key: string, receipt: TransactionReceipt, note: string, snapshot = true) => {
    if (gas[key] !== undefined) throw new Error(`gas: ${key} measured twice`);
    gas[key] = receipt.gasUsed;
    rows.push({ key, gas: receipt.gasUsed, note, snapshot });
    return receipt;
  };
  const measure = async (key: string, note: string, tx: Promise<Hex>, snapshot = true) =>
    record(key, await confirm(publicClient, tx), note, snapshot);
  const increaseTo = (t: bigint) => networkHelpers.time.increaseTo(t);

  // Providers: register, stake ETH, stake tokens (approve + deposit, and permit in one transaction).
  const profile = (tag: string) => ({
    teeTypes: teeTypeSet([TeeType.Simulated, TeeType.Tdx]),
    hardwareClass: 3,
    metadataHash: labelled(`profile ${tag}`),
    endpointHash: labelled(`endpoint ${tag}`),
  });
  await increaseTo(T0 - JOB_STRIDE);
  await measure(
    "register",
    "provider profile",
    registry.write.register([profile("A")], { account: providerA.account }),
    false,
  );
  await registry.write.register([profile("B")], { account: providerB.account });
  await measure(
    "updateProfile",
    "",
    registry.write.updateProfile([profile("A2")], { account: providerA.account }),
    false,
  );
  await measure(
    "depositEth",
    "first ETH stake",
    registry.write.depositEth({ account: providerA.account, value: parseEther("5") }),
    false,
  );
  await registry.write.depositEth({ account: providerB.account, value: parseEther("5") });
  for (const p of [providerA, providerB]) await token.write.faucet([p.account.address, parseEther("100")]);
  await token.write.approve([registry.address, parseEther("5")], { account: providerA.account });
  await measure(
    "depositToken",
    "after approve",
    registry.write.depositToken([parseEther("5")], { account: providerA.account }),
    false,
  );
  const [, tokenName, tokenVersion] = await token.read.eip712Domain();
  const tokenDomain = { address: token.address, name: tokenName, version: tokenVersion, chainId };
  const permit = await signPermit({
    owner: providerB.account.address,
    signTypedData: (typedData) => providerB.signTypedData(typedData),
    token: tokenDomain,
    spender: registry.address,
    value: parseEther("5"),
    nonce: await token.read.nonces([providerB.account.address]),
    deadline: T0,
  });
  await measure(
    "depositTokenWithPermit",
    "EIP-2612, no approve tx",
    registry.write.depositTokenWithPermit([parseEther("5"), permit.deadline, permit.v, permit.r, permit.s], {
      account: providerB.account,
    }),
    false,
  );

  // Jobs: each starts at its own fixed chain time; terms, keys and signatures derive from its label.
  let jobIndex = 0n;
  const newJob = async (label: string, overrides: Partial<Parameters<typeof buildJobTerms>[0]> = {}) => {
    // Fixed for every job of the snapshot; a caller that moved time further (bench:gas) gets the
    // next round second after it instead.
    const fixed = T0 + JOB_STRIDE * jobIndex++;
    const latest = BigInt(await networkHelpers.time.latest());
    const start = latest < fixed ? fixed : latest - (latest % 1000n) + 1000n;
    await increaseTo(start);
    const secrets = labelledSecrets(label, relayer.account.address);
    const terms: JobTerms = {
      ...buildJobTerms({ now: start, secrets, priceCeiling: parseEther("1"), ...overrides }),
      specHash: labelledField(`spec ${label}`),
      datasetCommitment: labelledField(`R_train ${label}`),
      evalCommitment: labelledField(`R_eval ${label}`),
    };
    return { label, start, secrets, terms };
  };
  type Job = Awaited<ReturnType<typeof newJob>> & { jobId: bigint };
  const post = async (
    job: Awaited<ReturnType<typeof newJob>>,
  ): Promise<Job & { receipt: TransactionReceipt }> => {
    const { jobId, receipt } = await postJob(publicClient, buyer, deployment, job.terms);
    return { ...job, jobId, receipt };
  };
  const bid = (job: Job, price: bigint, provider = providerA) =>
    market.write.placeBid([job.jobId, job.terms, price], { account: provider.account });
  const attest = (job: Job, enclave: SimulatedEnclave, provider = providerA) =>
    market.write.submitAttestation(
      [job.jobId, job.terms, ...simulatedAttestationArgs({ chainId, deployment, jobId: job.jobId, enclave })],
      { account: provider.account },
    );
  /** Posted, bid on at 0.5, bidding over, attested by `enclave`. */
  const attestedJob = async (label: string, enclave = labelledEnclave(label)) => {
    const job = await post(await newJob(label));
    await confirm(publicClient, bid(job, parseEther("0.5")));
    await increaseTo(job.terms.bidDeadline);
    await confirm(publicClient, attest(job, enclave));
    return { ...job, enclave };
  };
  const blobsOf = (label: string, sizes: number[]) => {
    const data = sizes.map((n, i) => labelledBytes(`${label} blob ${i}`, n));
    return { data, blobIds: data.map((d) => bytesToHex(sha256(d))), sizes: sizes.map(BigInt) };
  };
  const recordDelivery = async (job: Job, blobs: { blobIds: Hex[]; sizes: bigint[] }) => {
    const deadline = job.terms.dataDeadline;
    const signature = await signRecordDelivery({
      ownerKey: job.secrets.ownerKey,
      chainId,
      dataDelivery: dataDelivery.address,
      jobId: job.jobId,
      deadline,
      ...blobs,
    });
    return dataDelivery.write.recordDelivery(
      [job.jobId, job.terms, blobs.blobIds, blobs.sizes, deadline, signature],
      {
        account: relayer.account,
      },
    );
  };
  const result = async (
    job: Job & { enclave: SimulatedEnclave },
    thresholdMet: boolean,
    proof = VALID_PROOF,
  ) => {
    const r = {
      modelCommitment: labelled(`C_K ${job.label}`),
      modelCiphertextHash: labelled(`ciphertext ${job.label}`),
      thresholdMet,
      proof,
    };
    const enclaveSignature = await signTrainingResult({
      enclaveKey: job.enclave.signer,
      chainId,
      jobMarket: market.address,
      jobId: job.jobId,
      ...r,
    });
    return { ...r, enclaveSignature };
  };
  const trainingBlobs = [4096, 1024];

  // Job 1, the single-party lifecycle: post → bid → (outbid) → attest (implicit match) → delivery
  // recorded → result (Completed) → refund.
  const job1 = await post(await newJob("lifecycle"));
  record("postJob", job1.receipt, "ETH escrow, first job");
  await measure("placeBid", "first bid: locks collateral", bid(job1, parseEther("0.8"), providerB));
  await measure("placeBid_outbid", "also unlocks the previous leader", bid(job1, parseEther("0.6")));
  await increaseTo(job1.terms.bidDeadline);
  const enclave1 = labelledEnclave("lifecycle");
  await measure(
    "submitAttestation",
    "Simulated TEE: TDX-layout quote on IntelQuoteVerifier, closes bidding implicitly",
    attest(job1, enclave1),
  );
  await measure(
    "recordDelivery",
    "owner-key EIP-712, relayed: 2 blobs (training, eval)",
    recordDelivery(job1, blobsOf("lifecycle", trainingBlobs)),
  );
  await measure(
    "submitResult",
    "Completed, TestTrainingVerifier (no proof cost) + enclave EIP-712 signature",
    market.write.submitResult([job1.jobId, job1.terms, await result({ ...job1, enclave: enclave1 }, true)], {
      account: providerA.account,
    }),
  );
  await measure(
    "claimRefund",
    "unused ceiling back to the committed address",
    market.write.claimRefund([job1.jobId, job1.terms, job1.secrets.refundTo, job1.secrets.salt], {
      account: relayer.account,
    }),
  );

  // BelowThreshold: the proof states thresholdMet = false; the compute share is paid.
  const below = await attestedJob("below");
  await confirm(publicClient, recordDelivery(below, blobsOf("below", trainingBlobs)));
  await measure(
    "submitResult_belowThreshold",
    "BelowThreshold: compute share paid, collateral released",
    market.write.submitResult([below.jobId, below.terms, await result(below, false)], {
      account: providerA.account,
    }),
  );

  // BuyerDefaulted by the enclave's failure statement over the recorded delivery.
  const mismatch = await attestedJob("mismatch");
  const mismatchBlobs = blobsOf("mismatch", trainingBlobs);
  await confirm(publicClient, recordDelivery(mismatch, mismatchBlobs));
  const statement = {
    reason: FailureReason.DataMismatch,
    dataHash: deliveryDataHash(mismatchBlobs),
    faultyMembers: 0n,
  };
  await measure(
    "submitFailure",
    "BuyerDefaulted (DataMismatch): enclave-signed statement, fee sent, collateral released",
    market.write.submitFailure(
      [
        mismatch.jobId,
        mismatch.terms,
        statement,
        await signJobFailure({
          enclaveKey: mismatch.enclave.signer,
          chainId,
          jobMarket: market.address,
          jobId: mismatch.jobId,
          statement,
        }),
      ],
      { account: providerA.account },
    ),
  );

  // BuyerDefaulted (NoDataDelivered), enforced by a relayer: the fee is owed to the provider.
  const noData = await attestedJob("no data");
  await increaseTo(noData.terms.dataDeadline + 1n);
  await measure(
    "enforceDeadline_noData",
    "BuyerDefaulted (NoDataDelivered) by anyone: fee credited to owed, collateral released",
    market.write.enforceDeadline([noData.jobId, noData.terms], { account: relayer.account }),
  );
  await measure(
    "withdrawOwed",
    "the provider withdraws the credited fee",
    market.write.withdrawOwed(["0x0000000000000000000000000000000000000000", providerA.account.address], {
      account: providerA.account,
    }),
  );

  // An availability challenge that lapses: BuyerDefaulted (DataUnavailable).
  const unavailable = await attestedJob("unavailable");
  await confirm(publicClient, recordDelivery(unavailable, blobsOf("unavailable", trainingBlobs)));
  await measure(
    "challengeDelivery",
    "the provider challenges the recorded blobs' availability",
    dataDelivery.write.challengeDelivery([unavailable.jobId, unavailable.terms], {
      account: providerA.account,
    }),
  );
  await increaseTo(unavailable.terms.deliveryDeadline + (await dataDelivery.read.availabilityWindow()) + 1n);
  await measure(
    "enforceDeadline_dataUnavailable",
    "challenge lapsed, delivery ≤ maxServableBytes: BuyerDefaulted (DataUnavailable)",
    market.write.enforceDeadline([unavailable.jobId, unavailable.terms], { account: relayer.account }),
  );

  // Serving a challenged blob: the first blob of two, at 1 KiB and at 4 KiB (two jobs, same state).
  for (const kib of [1, 4]) {
    const job = await attestedJob(`serve ${kib}`);
    const blobs = blobsOf(`serve ${kib}`, [kib * 1024, 1024]);
    await confirm(publicClient, recordDelivery(job, blobs));
    await confirm(
      publicClient,
      dataDelivery.write.challengeDelivery([job.jobId, job.terms], { account: providerA.account }),
    );
    await measure(
      `serveData_${kib}KiB`,
      `one challenged blob of ${kib} KiB as calldata (SHA-256 and size checked)`,
      dataDelivery.write.serveData(
        [job.jobId, job.terms, blobs.blobIds, blobs.sizes, 0n, bytesToHex(blobs.data[0] as Uint8Array)],
        {
          account: relayer.account,
        },
      ),
    );
  }

  // Provider faults: attestation missed (with a separate closeBidding), delivery deadline missed.
  const slash = await post(await newJob("slash"));
  await confirm(publicClient, bid(slash, parseEther("0.5")));
  await increaseTo(slash.terms.bidDeadline);
  await measure(
    "closeBidding",
    "matches the leader",
    market.write.closeBidding([slash.jobId, slash.terms], { account: relayer.account }),
  );
  await increaseTo(slash.terms.attestDeadline + 1n);
  await measure(
    "enforceDeadline_slash",
    "Failed (AttestationDeadlineMissed): slash + refund credit",
    market.write.enforceDeadline([slash.jobId, slash.terms], { account: relayer.account }),
  );

  const late = await attestedJob("late");
  await confirm(publicClient, recordDelivery(late, blobsOf("late", trainingBlobs)));
  const extended = late.terms.deliveryDeadline + 3600n;
  const extendSig = await signExtendDelivery({
    ownerKey: late.secrets.ownerKey,
    chainId,
    jobMarket: market.address,
    jobId: late.jobId,
    nonce: 0n,
    deadline: late.terms.deliveryDeadline,
    deliveryDeadline: extended,
  });
  await measure(
    "extendDeliveryDeadline",
    "owner-key EIP-712, relayed",
    market.write.extendDeliveryDeadline(
      [late.jobId, late.terms, extended, 0n, late.terms.deliveryDeadline, extendSig],
      {
        account: relayer.account,
      },
    ),
  );
  await increaseTo(extended + 1n);
  await measure(
    "enforceDeadline_delivery",
    "Failed (DeliveryDeadlineMissed) after a recorded delivery: slash + refund credit",
    market.write.enforceDeadline([late.jobId, late.terms], { account: relayer.account }),
  );

  // A job nobody bids on expires; a job is cancelled by owner-key signature; a token job with a permit.
  const expire = await post(await newJob("expire"));
  await increaseTo(expire.terms.bidDeadline);
  await measure(
    "closeBidding_expire",
    "no bids: job expires",
    market.write.closeBidding([expire.jobId, expire.terms], { account: relayer.account }),
  );
  const cancel = await post(await newJob("cancel"));
  const cancelSig = await signCancelJob({
    ownerKey: cancel.secrets.ownerKey,
    chainId,
    jobMarket: market.address,
    jobId: cancel.jobId,
    nonce: 0n,
    deadline: cancel.terms.bidDeadline,
  });
  await measure(
    "cancelJob",
    "owner-key EIP-712, relayed",
    market.write.cancelJob([cancel.jobId, cancel.terms, 0n, cancel.terms.bidDeadline, cancelSig], {
      account: relayer.account,
    }),
  );
  const tokenJob = await newJob("token", { asset: token.address });
  await token.write.faucet([buyer.account.address, parseEther("10")]);
  const buyerPermit = await signPermit({
    owner: buyer.account.address,
    signTypedData: (typedData) => buyer.signTypedData(typedData),
    token: tokenDomain,
    spender: market.address,
    value: tokenJob.terms.priceCeiling,
    nonce: await token.read.nonces([buyer.account.address]),
    deadline: tokenJob.terms.bidDeadline,
  });
  await measure(
    "postJobWithPermit",
    "token escrow, EIP-2612",
    market.write.postJobWithPermit(
      [tokenJob.terms, buyerPermit.deadline, buyerPermit.v, buyerPermit.r, buyerPermit.s],
      {
        account: buyer.account,
      },
    ),
  );

  // Governance: a new market config (copies the registry's verifiers; applies to new jobs only).
  const current = await market.read.configOf([await market.read.currentConfigId()]);
  await measure(
    "publishConfig",
    "owner: a new config (training verifier, coordinator, data delivery, shares, 4 attestation verifiers)",
    market.write.publishConfig([
      {
        trainingVerifier: current.trainingVerifier,
        coordinator: current.coordinator,
        dataDelivery: current.dataDelivery,
        collateralRatioBps: current.collateralRatioBps,
        slashBuyerShareBps: current.slashBuyerShareBps,
        computeShareBps: current.computeShareBps,
        cancellationFeeBps: current.cancellationFeeBps,
        minBidStepBps: 200,
      },
    ]),
  );

  // ----- Every other outcome of docs/OUTCOMES.md, each row checked for the status it measures -----
  // Appended after the rows above (so their values cannot move), on jobs posted under the config
  // just published (a job must name the current config).
  const configId = await market.read.currentConfigId();
  const jobEndEvents = ["JobFailed", "JobDefaulted", "JobReleased"] as const;
  /** Throws unless the job is in `status` (and, when given, `receipt` ended it for `reason`). */
  const expectStatus = async (
    label: string,
    jobId: bigint,
    status: JobStatus,
    ended?: { receipt: TransactionReceipt; reason: FailureReason },
  ) => {
    const actual = await market.read.statusOf([jobId]);
    if (actual !== status)
      throw new Error(
        `gas: job "${label}" is ${nameOf(JobStatus, actual)} (${actual}), not ${nameOf(JobStatus, status)}`,
      );
    if (!ended) return;
    const logs = parseEventLogs({ abi: market.abi, logs: ended.receipt.logs, eventName: [...jobEndEvents] });
    const reasons = logs
      .filter((l) => l.address.toLowerCase() === market.address.toLowerCase() && l.args.jobId === jobId)
      .map((l) => l.args.reason);
    if (reasons.length !== 1 || reasons[0] !== ended.reason)
      throw new Error(
        `gas: job "${label}" ended for [${reasons.map((r) => nameOf(FailureReason, r)).join(", ")}], not ${nameOf(FailureReason, ended.reason)}`,
      );
  };
  /** Measures a transaction that ends `job` in `status` for `reason`, and checks that it did. */
  const measureOutcome = async (
    key: string,
    note: string,
    tx: Promise<Hex>,
    job: { label: string; jobId: bigint },
    status: JobStatus,
    reason?: FailureReason,
  ) => {
    const receipt = await measure(key, note, tx);
    await expectStatus(job.label, job.jobId, status, reason === undefined ? undefined : { receipt, reason });
    return receipt;
  };
  /** Throws unless a record reads back as written. */
  const expectEqual = <T>(what: string, actual: T, expected: T) => {
    if (actual !== expected) throw new Error(`gas: ${what} is ${String(actual)}, not ${String(expected)}`);
  };
  /** The provider withdraws a fee credited to it (unmeasured), so every settlement credits from zero. */
  const withdrawFee = () =>
    confirm(
      publicClient,
      market.write.withdrawOwed([ETH, providerA.account.address], { account: providerA.account }),
    );
  /** Posted under the current config, bid on at 0.5, bidding over (not yet attested). */
  const matchedJob = async (label: string) => {
    const job = await post(await newJob(label, { configId }));
    await confirm(publicClient, bid(job, parseEther("0.5")));
    await increaseTo(job.terms.bidDeadline);
    return job;
  };

  // Released (EvidenceRevoked): governance revokes the Simulated measurement after the job was
  // posted; the provider's attestation then releases the job. The measurement is allow-listed again
  // at once (same expiry), so nothing measured later (bench:gas's real lifecycle) sees it revoked.
  const enclaveRegistry = await viem.getContractAt("EnclaveRegistry", deployment.enclaveRegistry);
  const revoked = await matchedJob("revoked");
  const simulated = await enclaveRegistry.read.measurementOf([TeeType.Simulated, SIMULATED_MEASUREMENT]);
  await confirm(
    publicClient,
    enclaveRegistry.write.revokeMeasurement([TeeType.Simulated, SIMULATED_MEASUREMENT]),
  );
  await measureOutcome(
    "submitAttestation_revokedReleased",
    "Released (EvidenceRevoked): measurement revoked after posting; quote checked, collateral released, nobody paid",
    attest(revoked, labelledEnclave("revoked")),
    revoked,
    JobStatus.Released,
    FailureReason.EvidenceRevoked,
  );
  await confirm(
    publicClient,
    enclaveRegistry.write.allowMeasurement([TeeType.Simulated, SIMULATED_MEASUREMENT, simulated.expiresAt]),
  );
  const restored = await enclaveRegistry.read.measurementOf([TeeType.Simulated, SIMULATED_MEASUREMENT]);
  if (restored.revokedAt !== 0n || restored.expiresAt !== simulated.expiresAt)
    throw new Error("gas: the Simulated measurement was not allow-listed again");

  // Failed (AttestationRejected): evidence bound to another job (a replayed quote). The quote is
  // verified in full; its report data then differs from this job's binding.
  const rejected = await matchedJob("rejected");
  await measureOutcome(
    "submitAttestation_rejected",
    "Failed (AttestationRejected): quote bound to another job (full quote check, then report data mismatch): slash + refund credit",
    market.write.submitAttestation(
      [
        rejected.jobId,
        rejected.terms,
        ...simulatedAttestationArgs({
          chainId,
          deployment,
          jobId: rejected.jobId + 1n,
          enclave: labelledEnclave("rejected"),
        }),
      ],
      { account: providerA.account },
    ),
    rejected,
    JobStatus.Failed,
    FailureReason.AttestationRejected,
  );

  // Released (DataUnavailable): a challenged delivery larger than the pinned DataDelivery's
  // maxServableBytes (the default 256 KiB: one blob declared 1 byte larger, never served) lapses.
  const large = await matchedJob("unavailable large");
  const largeEnclave = labelledEnclave("unavailable large");
  await confirm(publicClient, attest(large, largeEnclave));
  const maxServable = await dataDelivery.read.maxServableBytes();
  await confirm(
    publicClient,
    recordDelivery(large, { blobIds: [labelled("unavailable large blob 0")], sizes: [maxServable + 1n] }),
  );
  expectEqual("isServable of the large delivery", await dataDelivery.read.isServable([large.jobId]), false);
  await confirm(
    publicClient,
    dataDelivery.write.challengeDelivery([large.jobId, large.terms], { account: providerA.account }),
  );
  await increaseTo(large.terms.deliveryDeadline + (await dataDelivery.read.availabilityWindow()) + 1n);
  await measureOutcome(
    "enforceDeadline_dataUnavailableReleased",
    `challenge lapsed, delivery > maxServableBytes (${maxServable.toLocaleString("en-US")} B, the default): Released (DataUnavailable)`,
    market.write.enforceDeadline([large.jobId, large.terms], { account: relayer.account }),
    large,
    JobStatus.Released,
    FailureReason.DataUnavailable,
  );

  // Multi-party jobs (MultiPartyCoordinator): 3 data parties, a 2-of-3 committee (wallets 5–10),
  // deadlines 10 minutes apart after the attestation deadline, as in test/ts/MultiParty.test.ts.
  const coordinator = await viem.getContractAt(
    "MultiPartyCoordinator",
    deployment.multiPartyCoordinator ?? "0x",
  );
  const mpWallets = (await viem.getWalletClients()).slice(5, 11);
  const parties = mpWallets.slice(0, 3);
  const members = mpWallets.slice(3, 6);
  if (parties.length !== 3 || members.length !== 3) throw new Error("gas: need 11 accounts");
  const at = <T>(list: readonly T[], i: number): T => {
    const item = list[i];
    if (item === undefined) throw new Error(`gas: no element ${i}`);
    return item;
  };
  const MEMBER_BOND = parseEther("0.3");
  /** A 2,400-byte share blob (a real share of one ciphertext under a 2048-bit key is about 2.4 KB). */
  const SHARE_BYTES = 2_400;
  type MultiPartyJob = Job & { spec: MultiPartySpec; enclave: SimulatedEnclave };
  /** A 3-party job with a 2-of-3 committee (bonded by every member when `memberBond`), bid on and attested. */
  const multiPartyJob = async (
    label: string,
    memberBond = 0n,
    onBond?: (job: Job & { spec: MultiPartySpec }, i: number, tx: Promise<Hex>) => Promise<unknown>,
  ): Promise<MultiPartyJob> => {
    const job = await newJob(label, { configId });
    const updateDeadline = job.terms.attestDeadline + 600n;
    const spec: MultiPartySpec = {
      dataParties: parties.map((w) => w.account.address),
      committee: members.map((w) => w.account.address),
      committeeKeys: members.map((_, i) => labelled(`committee x25519 key ${i}`)),
      updateDeadline,
      aggregateDeadline: updateDeadline + 600n,
      shareDeadline: updateDeadline + 1_200n,
      memberBond,
    };
    const terms: JobTerms = {
      ...job.terms,
      parties: 3,
      threshold: 2,
      committeeSize: 3,
      committeeHash: hashMultiPartySpec(spec),
    };
    const posted = { ...(await post({ ...job, terms })), spec };
    if (memberBond !== 0n) {
      for (const [i, member] of members.entries()) {
        const tx = coordinator.write.depositBond([posted.jobId, terms, spec, BigInt(i)], {
          account: member.account,
          value: memberBond,
        });
        await (onBond ? onBond(posted, i, tx) : confirm(publicClient, tx));
      }
      const [bonded] = await coordinator.read.bondsOf([posted.jobId]);
      expectEqual(`job "${label}" bonded members`, bonded, indexMask([0, 1, 2]));
    }
    await confirm(publicClient, bid(posted, parseEther("0.5")));
    await increaseTo(terms.bidDeadline);
    const enclave = labelledEnclave(label);
    await confirm(publicClient, attest(posted, enclave));
    await expectStatus(label, posted.jobId, JobStatus.Attested);
    return { ...posted, enclave };
  };
  const updateHash = (job: MultiPartyJob, i: number) => labelled(`${job.label} update ${i}`);
  const recordUpdate = (job: MultiPartyJob, i: number) =>
    coordinator.write.recordUpdate([job.jobId, job.terms, job.spec, BigInt(i), updateHash(job, i)], {
      account: at(parties, i).account,
    });
  const aggregateHash = (job: MultiPartyJob) => labelled(`${job.label} aggregate`);
  const MASK_0_2 = indexMask([0, 2]);
  const recordAggregate = async (job: MultiPartyJob) =>
    coordinator.write.recordAggregate(
      [
        job.jobId,
        job.terms,
        job.spec,
        aggregateHash(job),
        MASK_0_2,
        await signMultiPartyAggregate({
          signer: job.enclave.signer,
          chainId,
          coordinator: coordinator.address,
          jobId: job.jobId,
          aggregateHash: aggregateHash(job),
          includedMask: MASK_0_2,
        }),
      ],
      { account: providerA.account },
    );
  /** Parties 0 and 2 record updates (party 1 drops out), time passes the update deadline, the aggregate is recorded. */
  const aggregated = async (job: MultiPartyJob) => {
    for (const i of [0, 2]) await confirm(publicClient, recordUpdate(job, i));
    await increaseTo(job.spec.updateDeadline + 1n);
    await confirm(publicClient, recordAggregate(job));
  };
  const shareHash = (job: MultiPartyJob, i: number) => labelled(`${job.label} share ${i}`);
  const recordShare = (job: MultiPartyJob, i: number) =>
    coordinator.write.recordShare([job.jobId, job.terms, job.spec, BigInt(i), shareHash(job, i)], {
      account: at(members, i).account,
    });
  const shareBytes = (job: MultiPartyJob, i: number) => labelledBytes(`${job.label} share ${i}`, SHARE_BYTES);
  const publishShare = (job: MultiPartyJob, i: number, bytes = shareBytes(job, i)) =>
    coordinator.write.publishShare([job.jobId, job.terms, job.spec, BigInt(i), bytesToHex(bytes)], {
      account: at(members, i).account,
    });
  const MULTI_PARTY_MODEL = labelled("multi-party C_K");
  /** submitResult with the enclave's MultiPartyResult over the recorded aggregate as the proof. */
  const multiPartyResult = async (job: MultiPartyJob) => {
    const r = {
      modelCommitment: MULTI_PARTY_MODEL,
      modelCiphertextHash: labelled(`ciphertext ${job.label}`),
      thresholdMet: true,
      proof: await signMultiPartyResult({
        signer: job.enclave.signer,
        chainId,
        coordinator: coordinator.address,
        jobId: job.jobId,
        specHash: job.terms.specHash,
        aggregateHash: aggregateHash(job),
        modelCommitment: MULTI_PARTY_MODEL,
      }),
    };
    const enclaveSignature = await signTrainingResult({
      enclaveKey: job.enclave.signer,
      chainId,
      jobMarket: market.address,
      jobId: job.jobId,
      ...r,
    });
    return market.write.submitResult([job.jobId, job.terms, { ...r, enclaveSignature }], {
      account: providerA.account,
    });
  };

  // Without bonds, Completed: two updates, the aggregate, two share hashes (the quorum), the result.
  const mp = await multiPartyJob("mp");
  await measure(
    "mp_recordUpdate_first",
    "multi-party: a data party's first update hash of the job (checks the spec's structure once)",
    recordUpdate(mp, 0),
  );
  expectEqual("mp update 0", await coordinator.read.updateHashOf([mp.jobId, 0n]), updateHash(mp, 0));
  await measure("mp_recordUpdate", "multi-party: a further data party's update hash", recordUpdate(mp, 2));
  expectEqual("mp update 2", await coordinator.read.updateHashOf([mp.jobId, 2n]), updateHash(mp, 2));
  await increaseTo(mp.spec.updateDeadline + 1n);
  await measure(
    "mp_recordAggregate",
    "multi-party: the provider records the aggregate hash, vouched for by the enclave's EIP-712 signature",
    recordAggregate(mp),
  );
  expectEqual("mp aggregate", await coordinator.read.aggregateHashOf([mp.jobId]), aggregateHash(mp));
  await measure(
    "mp_recordShare",
    "multi-party, no bonds: a member's first decryption-share hash (below the quorum)",
    recordShare(mp, 1),
  );
  expectEqual("mp share 1", await coordinator.read.shareHashOf([mp.jobId, 1n]), shareHash(mp, 1));
  await confirm(publicClient, recordShare(mp, 2));
  expectEqual("mp quorum", await coordinator.read.quorumReached([mp.jobId]), true);
  await measureOutcome(
    "mp_submitResult",
    "multi-party Completed: quorum checked, the enclave's signed result over the aggregate, collateral released",
    multiPartyResult(mp),
    mp,
    JobStatus.Completed,
  );

  // With bonds (every member 0.3 ETH), Completed: shares published on-chain; every bond returned.
  const bonded = await multiPartyJob("mp bonded", MEMBER_BOND, async (job, i, tx) => {
    if (i !== 0) return confirm(publicClient, tx);
    await measure("mp_depositBond", "multi-party: a committee member's first ETH bond of the job", tx);
    const [mask] = await coordinator.read.bondsOf([job.jobId]);
    expectEqual("mp bonded mask after the first bond", mask, indexMask([0]));
  });
  await aggregated(bonded);
  await measure(
    "mp_publishShare",
    `multi-party, bonded: a member's first share published as calldata (${SHARE_BYTES.toLocaleString("en-US")} B), hash recorded`,
    publishShare(bonded, 0),
  );
  expectEqual(
    "mp bonded share 0",
    await coordinator.read.shareHashOf([bonded.jobId, 0n]),
    keccak256(shareBytes(bonded, 0)),
  );
  await confirm(publicClient, publishShare(bonded, 1));
  await confirm(publicClient, multiPartyResult(bonded));
  await expectStatus("mp bonded", bonded.jobId, JobStatus.Completed);
  await measure(
    "mp_settleBonds",
    "multi-party, Completed: all 3 bonds credited back to their members (pull)",
    coordinator.write.settleBonds([bonded.jobId, bonded.terms, bonded.spec], { account: relayer.account }),
  );
  expectEqual(
    "mp bonded settlement",
    String(await coordinator.read.bondsOf([bonded.jobId])),
    String([indexMask([0, 1, 2]), 0n, true]),
  );

  // BuyerDefaulted (CommitteeBadShares): member 0 publishes garbage, member 1 a valid share, member 2
  // nothing; after the share window the combiner's statement names member 0 and defaults the job.
  const badShares = await multiPartyJob("mp bad shares", MEMBER_BOND);
  await aggregated(badShares);
  const garbage = labelledBytes("mp bad shares garbage 0", SHARE_BYTES);
  await confirm(publicClient, publishShare(badShares, 0, garbage));
  await confirm(publicClient, publishShare(badShares, 1));
  await increaseTo(badShares.spec.shareDeadline + 1n);
  const badMembers = indexMask([0]);
  const committeeSignature = await signCommitteeBadShares({
    signer: badShares.enclave.signer,
    chainId,
    coordinator: coordinator.address,
    jobId: badShares.jobId,
    aggregateHash: aggregateHash(badShares),
    badMembers,
    badShareHashes: [keccak256(garbage)],
  });
  const failureSignature = await signJobFailure({
    enclaveKey: badShares.enclave.signer,
    chainId,
    jobMarket: market.address,
    jobId: badShares.jobId,
    statement: {
      reason: FailureReason.CommitteeBadShares,
      dataHash: aggregateHash(badShares),
      faultyMembers: badMembers,
    },
  });
  await measureOutcome(
    "mp_reportBadShares",
    "BuyerDefaulted (CommitteeBadShares): combiner-signed statement, faults recorded, relayed to the market: fee credited, collateral released",
    coordinator.write.reportBadShares(
      [badShares.jobId, badShares.terms, badShares.spec, badMembers, committeeSignature, failureSignature],
      { account: providerA.account },
    ),
    badShares,
    JobStatus.BuyerDefaulted,
    FailureReason.CommitteeBadShares,
  );
  expectEqual(
    "mp bad shares faults",
    (await coordinator.read.bondsOf([badShares.jobId]))[1],
    indexMask([0, 2]),
  );
  await withdrawFee();

  // BuyerDefaulted (CommitteeDeadlineMissed), bonded: one share of the two needed; the missing
  // members are reported, the deadline enforced by a relayer, two bonds forfeited.
  const missed = await multiPartyJob("mp committee missed", MEMBER_BOND);
  await aggregated(missed);
  await confirm(publicClient, publishShare(missed, 0));
  await increaseTo(missed.spec.shareDeadline + 1n);
  await measure(
    "mp_reportMissingShares",
    "multi-party: after the share window, the members without a share are recorded at fault",
    coordinator.write.reportMissingShares([missed.jobId, missed.terms, missed.spec], {
      account: providerA.account,
    }),
  );
  expectEqual("mp missed faults", (await coordinator.read.bondsOf([missed.jobId]))[1], indexMask([1, 2]));
  await increaseTo(missed.terms.deliveryDeadline + 1n);
  await measureOutcome(
    "mp_enforceDeadline_committeeMissed",
    "BuyerDefaulted (CommitteeDeadlineMissed) by anyone: aggregate recorded, 1 of 2 shares; fee credited, collateral released",
    market.write.enforceDeadline([missed.jobId, missed.terms], { account: relayer.account }),
    missed,
    JobStatus.BuyerDefaulted,
    FailureReason.CommitteeDeadlineMissed,
  );
  await withdrawFee();
  await measure(
    "mp_settleBonds_forfeit",
    "multi-party, BuyerDefaulted: 1 bond returned, 2 forfeited (70 % to the provider, 30 % to the treasury)",
    coordinator.write.settleBonds([missed.jobId, missed.terms, missed.spec], { account: relayer.account }),
  );
  expectEqual(
    "mp missed settlement",
    String(await coordinator.read.bondsOf([missed.jobId])),
    String([indexMask([0, 1, 2]), indexMask([1, 2]), true]),
  );

  // BuyerDefaulted (NoDataDelivered), multi-party: no party recorded an update.
  const noUpdates = await multiPartyJob("mp no updates");
  await increaseTo(noUpdates.terms.deliveryDeadline + 1n);
  await measureOutcome(
    "mp_enforceDeadline_noUpdates",
    "BuyerDefaulted (NoDataDelivered) by anyone: no party update recorded; fee credited, collateral released",
    market.write.enforceDeadline([noUpdates.jobId, noUpdates.terms], { account: relayer.account }),
    noUpdates,
    JobStatus.BuyerDefaulted,
    FailureReason.NoDataDelivered,
  );
  await withdrawFee();

  const statuses: [string, bigint, number][] = [
    ["lifecycle", job1.jobId, JobStatus.Completed],
    ["below", below.jobId, JobStatus.BelowThreshold],
    ["mismatch", mismatch.jobId, JobStatus.BuyerDefaulted],
    ["no data", noData.jobId, JobStatus.BuyerDefaulted],
    ["unavailable", unavailable.jobId, JobStatus.BuyerDefaulted],
    ["slash", slash.jobId, JobStatus.Failed],
    ["late", late.jobId, JobStatus.Failed],
  ];
  for (const [label, jobId, expected] of statuses) {
    const status = await market.read.statusOf([jobId]);
    if (status !== expected)
      throw new Error(`gas: job "${label}" ended in status ${status}, not ${expected}`);
  }

  const lifecycleTotal = LIFECYCLE_STEPS.reduce((sum, k) => sum + (gas[k] ?? 0n), 0n);
  gas.lifecycle_total = lifecycleTotal;
  rows.push({
    key: "lifecycle_total",
    gas: lifecycleTotal,
    note: `${LIFECYCLE_STEPS.join(" + ")} (TestTrainingVerifier)`,
    snapshot: true,
  });
  return {
    rows,
    gas,
    record,
    measure,
    chainId,
    deployment,
    market,
    registry,
    dataDelivery,
    wallets: { deployer, providerA, providerB, buyer, relayer },
    helpers: { newJob, post, bid, attest, recordDelivery, blobsOf, increaseTo },
    nextJobStart: () => T0 + JOB_STRIDE * jobIndex,
  };
}

/** A snapshot: transaction → gas. */
export type GasSnapshot = Record<string, number>;

/** The snapshot rows of a measurement. */
export function snapshotOf(rows: readonly GasRow[]): GasSnapshot {
  return Object.fromEntries(rows.filter((r) => r.snapshot).map((r) => [r.key, Number(r.gas)]));
}

/** The result of {@link compareSnapshot}. */
export type SnapshotComparison = {
  /** Transactions that grew by more than the tolerance, or appeared, or disappeared. */
  failures: string[];
  /** Every difference, one aligned line each (for the report). */
  lines: string[];
};

/**
 * Compares a measurement with the committed snapshot: a transaction that grew by more than
 * `toleranceBps` (default 200 = 2 %), a new one and a missing one fail; a shrink is reported only.
 */
export function compareSnapshot(
  committed: GasSnapshot,
  measured: GasSnapshot,
  toleranceBps = 200,
): SnapshotComparison {
  const failures: string[] = [];
  const lines: string[] = [];
  const width = Math.max(...[...Object.keys(committed), ...Object.keys(measured)].map((k) => k.length));
  const fmt = (n: number) => n.toLocaleString("en-US").padStart(10);
  for (const key of new Set([...Object.keys(committed), ...Object.keys(measured)])) {
    const before = committed[key];
    const after = measured[key];
    if (before === undefined) {
      failures.push(key);
      lines.push(`+ ${key.padEnd(width)} ${"—".padStart(10)} → ${fmt(after ?? 0)}  new, not in the snapshot`);
      continue;
    }
    if (after === undefined) {
      failures.push(key);
      lines.push(`- ${key.padEnd(width)} ${fmt(before)} → ${"—".padStart(10)}  no longer measured`);
      continue;
    }
    if (after === before) continue;
    const change = ((after - before) / before) * 100;
    const grew = (after - before) * 10_000 > before * toleranceBps;
    if (grew) failures.push(key);
    lines.push(
      `${grew ? "!" : " "} ${key.padEnd(width)} ${fmt(before)} → ${fmt(after)}  ${change >= 0 ? "+" : ""}${change.toFixed(2)} %${grew ? `  > ${toleranceBps / 100} %` : ""}`,
    );
  }
  return { failures, lines };
}

/** The committed snapshot file. */
export const SNAPSHOT_FILE = join(import.meta.dirname, "gas-snapshot.json");

/** Reads the committed snapshot ({} when there is none yet). */
export function readSnapshot(file = SNAPSHOT_FILE): GasSnapshot {
  if (!existsSync(file)) return {};
  const { transactions } = JSON.parse(readFileSync(file, "utf8")) as { transactions: GasSnapshot };
  return transactions;
}

/** Writes a snapshot (sorted by key, atomically). */
export function writeSnapshot(snapshot: GasSnapshot, file = SNAPSHOT_FILE): void {
  const sorted = Object.fromEntries(Object.entries(snapshot).sort(([a], [b]) => a.localeCompare(b)));
  const body = {
    _about:
      "Gas of the market's lifecycle and settlement transactions (bench/lifecycleGas.ts, TestTrainingVerifier double, deterministic inputs). Checked by test/ts/GasSnapshot.test.ts in npm test: a transaction more than 2 % above its value here fails. Update with npm run gas:snapshot.",
    transactions: sorted,
  };
  writeFileSync(`${file}.tmp`, `${JSON.stringify(body, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}
