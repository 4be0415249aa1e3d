// The gas of every market transaction and of each outcome's settlement, measured on a fresh
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
  FailureReason,
  FIELD_MODULUS,
  JobStatus,
  type JobTerms,
  signCancelJob,
  signExtendDelivery,
  signJobFailure,
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
