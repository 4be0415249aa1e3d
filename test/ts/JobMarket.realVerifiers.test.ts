// Every outcome of a single-party job with the real verifiers (issue 12): the LocalDevnet deployment
// publishes a market config whose training verifier is Groth16TrainingVerifier over the generated
// verifier of the small `segment_test` circuit (2 segments), and the winner attests with the
// Simulated TEE's development TDX quote, checked by the real IntelQuoteVerifier code. Proofs come
// from the prover (sdk/training/prover.ts) on a small separable task whose best eval accuracy is
// 7500 bp. Each test checks the job's status, the exact events of the market and the provider
// registry in the deciding transaction, and every balance that moves: the provider's wallet and
// collateral, the market, the treasury's accrual and the buyer's refund.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type Abi,
  type Address,
  encodeErrorResult,
  getAddress,
  type Hex,
  keccak256,
  parseEventLogs,
  toBytes,
  toHex,
} from "viem";
import { type CircuitResult, releaseSnarkjs } from "../../scripts/circuits/pipeline.ts";
import { publishMarketConfig } from "../../scripts/lib/deploy.ts";
import { buildJobTerms, newBuyerSecrets, newSimulatedEnclave, postJob } from "../../scripts/lib/market.ts";
import {
  ETH,
  FailureReason,
  groth16TrainingVerifierAbi,
  JobStatus,
  SIMULATED_MEASUREMENT,
  TeeType,
} from "../../sdk/index.ts";
import { jobCommitments } from "../../sdk/training/index.ts";
import {
  type AttestedJob,
  attestationArgs,
  CEILING,
  connection,
  loadMarket,
  type Market,
  networkHelpers,
  now,
  recordDelivery,
  signedFailure,
  signedResult,
  viem,
} from "../support/fixture.ts";
import {
  BN254_BASE_FIELD,
  buildSegmentTestCircuit,
  bytes32,
  deployGroth16Dependencies,
  encodeTrainingProof,
  type ProvenRun,
  proveRun,
  SEGMENT_TEST_RUN,
  type TrainingRun,
} from "../support/zk.ts";

/** Class 1 iff x0 > x1; the last eval row is mislabelled, so the run reaches exactly 3/4 = 7500 bp. */
const RUN = SEGMENT_TEST_RUN;
/** τ = 100 %: the run is below it, and the proof says so. */
const UNREACHABLE_TAU = 10_000;

/** The winning bid of every job here, its collateral (50 %, rounded up) and the config's shares. */
const PRICE = CEILING / 2n;
const COLLATERAL = (PRICE * 5_000n + 9_999n) / 10_000n;
const COMPUTE_SHARE = (PRICE * 3_000n) / 10_000n;
const CANCELLATION_FEE = (PRICE * 1_000n) / 10_000n;
/** The buyer's share of a slash: 70 % of the collateral, rounded up; the rest accrues to the treasury. */
const TO_BUYER = (COLLATERAL * 7_000n + 9_999n) / 10_000n;
const TO_TREASURY = COLLATERAL - TO_BUYER;

const CIPHERTEXT_HASH: Hex = keccak256(toBytes("adapter encrypted to the buyer"));

let circuit: CircuitResult;

/** The fixture with a second market config whose training verifier is the real Groth16 one. */
async function deployRealMarket() {
  const m = await loadMarket();
  const deps = await deployGroth16Dependencies(m.publicClient, m.deployer, circuit);
  const groth16 = await viem.deployContract("Groth16TrainingVerifier", [
    deps.segmentVerifier,
    deps.poseidon4,
    deps.poseidon6,
  ]);
  const configId = await publishMarketConfig(connection, m.deployment, { trainingVerifier: groth16.address });
  return { ...m, groth16, configId };
}
type RealMarket = Awaited<ReturnType<typeof deployRealMarket>>;
const loadRealMarket = () => networkHelpers.loadFixture(deployRealMarket);

/** Posts an ETH job with `run`'s commitments under the real config, bids `PRICE` from `winner`,
 *  closes bidding and attests with the Simulated TEE's dev quote (the real IntelQuoteVerifier). */
async function realJob(m: RealMarket, run: TrainingRun, winner = m.provider): Promise<AttestedJob> {
  const secrets = newBuyerSecrets(m.stranger.account.address);
  const terms = {
    ...buildJobTerms({ now: await now(), secrets, priceCeiling: CEILING, configId: m.configId }),
    ...(await jobCommitments(run)),
  };
  const { jobId } = await postJob(m.publicClient, m.buyer, m.deployment, terms);
  const job = { jobId, terms, secrets };
  await m.jobMarket.write.placeBid([jobId, terms, PRICE], { account: winner.account });
  await networkHelpers.time.increaseTo(terms.bidDeadline);
  const enclave = newSimulatedEnclave();
  const args = await attestationArgs(m, job, { enclave });
  const receipt = await m.publicClient.waitForTransactionReceipt({
    hash: await m.jobMarket.write.submitAttestation([jobId, terms, ...args], { account: winner.account }),
  });
  assert.deepEqual(
    marketEvents(m, receipt.logs).filter((e) => e.eventName === "AttestationAccepted"),
    [
      {
        eventName: "AttestationAccepted",
        args: {
          jobId,
          teeType: TeeType.Simulated,
          measurement: SIMULATED_MEASUREMENT,
          enclaveEncryptionKey: enclave.encryptionKey,
          enclaveSigner: enclave.signer.address,
        },
      },
    ],
    "the dev TDX quote passes the real IntelQuoteVerifier",
  );
  return { ...job, enclave };
}

const proofCache = new Map<string, Promise<ProvenRun>>();
/**
 * Proves `run` for `job` as `provider` (default: the first provider). Every test restores the same
 * snapshot, so bindings repeat (job 1 on the same market): each distinct one is proven once.
 */
function prove(m: RealMarket, job: AttestedJob, run: TrainingRun, provider?: Address): Promise<ProvenRun> {
  const binding = {
    chainId: BigInt(m.chainId),
    market: m.jobMarket.address,
    jobId: job.jobId,
    provider: getAddress(provider ?? m.provider.account.address),
  };
  const key = `${binding.chainId}/${binding.market}/${binding.jobId}/${binding.provider}/${run.tau}`;
  let proven = proofCache.get(key);
  if (!proven) {
    proven = proveRun(run, binding, circuit);
    proofCache.set(key, proven);
  }
  return proven;
}

/** The enclave-signed `Result` for a proven run; `thresholdMet` defaults to the proven outcome. */
function resultOf(
  m: RealMarket,
  job: AttestedJob,
  proven: ProvenRun,
  o: { thresholdMet?: boolean; proof?: Hex } = {},
) {
  return signedResult(m, job, {
    modelCommitment: bytes32(proven.commitments.at(-1) ?? 0n),
    modelCiphertextHash: CIPHERTEXT_HASH,
    thresholdMet: o.thresholdMet ?? proven.thresholdMet,
    proof: o.proof ?? encodeTrainingProof(proven.commitments, proven.proofs),
  });
}

type Event = { eventName: string; args: Record<string, unknown> };
type Log = { address: Address; data: Hex; topics: [Hex, ...Hex[]] | [] };

function eventsOf(abi: Abi, address: Address, logs: readonly Log[]): Event[] {
  const mine = logs.filter((l) => getAddress(l.address) === getAddress(address));
  return parseEventLogs({ abi, logs: mine as never }).map((e) => ({
    eventName: e.eventName,
    args: e.args as Record<string, unknown>,
  }));
}
const marketEvents = (m: Market, logs: readonly Log[]) =>
  eventsOf(m.jobMarket.abi, m.jobMarket.address, logs);
const registryEvents = (m: Market, logs: readonly Log[]) =>
  eventsOf(m.providerRegistry.abi, m.providerRegistry.address, logs);

/** Balances a settlement moves: the provider's wallet and stake, the market, the treasury's accrual. */
async function snapshot(m: Market, provider: Address) {
  const stake = await m.providerRegistry.read.stakeOf([provider, ETH]);
  return {
    wallet: await m.publicClient.getBalance({ address: provider }),
    free: stake.free,
    locked: stake.locked,
    market: await m.publicClient.getBalance({ address: m.jobMarket.address }),
    treasury: await m.providerRegistry.read.treasuryAccrued([ETH]),
  };
}

/** Sends `tx`, returns its receipt and the change of every snapshot field (the sender's gas added back). */
async function settle(m: Market, provider: Address, tx: () => Promise<Hex>) {
  const before = await snapshot(m, provider);
  const receipt = await m.publicClient.waitForTransactionReceipt({ hash: await tx() });
  assert.equal(receipt.status, "success");
  const after = await snapshot(m, provider);
  const gas =
    getAddress(receipt.from) === getAddress(provider) ? receipt.gasUsed * receipt.effectiveGasPrice : 0n;
  return {
    receipt,
    change: {
      wallet: after.wallet + gas - before.wallet,
      free: after.free - before.free,
      locked: after.locked - before.locked,
      market: after.market - before.market,
      treasury: after.treasury - before.treasury,
    },
  };
}

/** Claims the buyer's refund to its committed address and checks the amount; the market then holds
 *  `remaining` (the escrow of other jobs still running, none by default). */
async function expectRefund(m: Market, job: AttestedJob, amount: bigint, remaining = 0n) {
  assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), amount);
  await viem.assertions.balancesHaveChanged(
    m.jobMarket.write.claimRefund([job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt], {
      account: m.relayer.account,
    }),
    [{ address: job.secrets.refundTo, amount }],
  );
  assert.equal(await m.publicClient.getBalance({ address: m.jobMarket.address }), remaining);
}

/** The verifier's revert data, as EvidenceRejected reports it. */
const BASE_FIELD = BN254_BASE_FIELD;

const pointNotOnCurve = (segment: bigint, point: bigint) =>
  encodeErrorResult({
    abi: groth16TrainingVerifierAbi,
    errorName: "Groth16TrainingPointNotOnCurve",
    args: [segment, point],
  });

const segmentInvalid = (segment: bigint) =>
  encodeErrorResult({
    abi: groth16TrainingVerifierAbi,
    errorName: "Groth16TrainingSegmentInvalid",
    args: [segment],
  });

/**
 * Submits a result the real verifier rejects and checks the provider-fault outcome: EvidenceRejected
 * naming the verifier's error, the whole collateral slashed (70 % to the buyer, rounded up), the
 * provider paid nothing, the buyer refunded the ceiling plus its share.
 */
async function expectProofRejected(
  m: RealMarket,
  job: AttestedJob,
  result: Awaited<ReturnType<typeof resultOf>>,
  reason: Hex,
  winner = m.provider,
  remaining = 0n,
) {
  const provider = winner.account.address;
  const { receipt, change } = await settle(m, provider, () =>
    m.jobMarket.write.submitResult([job.jobId, job.terms, result], { account: winner.account }),
  );
  assert.deepEqual(marketEvents(m, receipt.logs), [
    {
      eventName: "EvidenceRejected",
      args: { jobId: job.jobId, stage: FailureReason.ProofRejected, reason },
    },
    {
      eventName: "JobFailed",
      args: {
        jobId: job.jobId,
        reason: FailureReason.ProofRejected,
        slashed: COLLATERAL,
        compensation: TO_BUYER,
      },
    },
  ]);
  assert.deepEqual(registryEvents(m, receipt.logs), [
    {
      eventName: "StakeSlashed",
      args: {
        provider: getAddress(provider),
        asset: ETH,
        amount: COLLATERAL,
        toBuyer: TO_BUYER,
        toTreasury: TO_TREASURY,
      },
    },
  ]);
  assert.deepEqual(change, {
    wallet: 0n,
    free: 0n,
    locked: -COLLATERAL,
    market: TO_BUYER,
    treasury: TO_TREASURY,
  });
  assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Failed);
  await expectRefund(m, job, CEILING + TO_BUYER, remaining);
}

before(async () => {
  circuit = await buildSegmentTestCircuit();
});

after(async () => {
  await releaseSnarkjs();
});

describe("JobMarket outcomes with the real verifiers (Groth16 segment_test, dev TDX quote)", () => {
  it("Completed: a real proof with the threshold met pays the price and releases the collateral", async () => {
    const m = await loadRealMarket();
    const job = await realJob(m, RUN);
    const proven = await prove(m, job, RUN);
    assert.equal(proven.thresholdMet, true);
    const result = await resultOf(m, job, proven);
    const { receipt, change } = await settle(m, m.provider.account.address, () =>
      m.jobMarket.write.submitResult([job.jobId, job.terms, result], { account: m.provider.account }),
    );
    assert.deepEqual(marketEvents(m, receipt.logs), [
      {
        eventName: "ProofVerified",
        args: {
          jobId: job.jobId,
          modelCommitment: result.modelCommitment,
          modelCiphertextHash: CIPHERTEXT_HASH,
          thresholdMet: true,
        },
      },
      {
        eventName: "PaymentReleased",
        args: { jobId: job.jobId, provider: getAddress(m.provider.account.address), amount: PRICE },
      },
    ]);
    assert.deepEqual(registryEvents(m, receipt.logs), [
      {
        eventName: "StakeUnlocked",
        args: { provider: getAddress(m.provider.account.address), asset: ETH, amount: COLLATERAL },
      },
    ]);
    assert.deepEqual(change, {
      wallet: PRICE,
      free: COLLATERAL,
      locked: -COLLATERAL,
      market: -PRICE,
      treasury: 0n,
    });
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Completed);
    await expectRefund(m, job, CEILING - PRICE);
  });

  it("BelowThreshold: a real proof that the run missed τ = 100 % pays the compute share, no slash", async () => {
    const m = await loadRealMarket();
    const run = { ...RUN, tau: UNREACHABLE_TAU };
    const job = await realJob(m, run);
    const proven = await prove(m, job, run);
    assert.equal(proven.thresholdMet, false);
    const result = await resultOf(m, job, proven);
    const { receipt, change } = await settle(m, m.provider.account.address, () =>
      m.jobMarket.write.submitResult([job.jobId, job.terms, result], { account: m.provider.account }),
    );
    assert.deepEqual(marketEvents(m, receipt.logs), [
      {
        eventName: "ProofVerified",
        args: {
          jobId: job.jobId,
          modelCommitment: result.modelCommitment,
          modelCiphertextHash: CIPHERTEXT_HASH,
          thresholdMet: false,
        },
      },
      {
        eventName: "PaymentReleased",
        args: { jobId: job.jobId, provider: getAddress(m.provider.account.address), amount: COMPUTE_SHARE },
      },
    ]);
    assert.deepEqual(registryEvents(m, receipt.logs), [
      {
        eventName: "StakeUnlocked",
        args: { provider: getAddress(m.provider.account.address), asset: ETH, amount: COLLATERAL },
      },
    ]);
    assert.deepEqual(change, {
      wallet: COMPUTE_SHARE,
      free: COLLATERAL,
      locked: -COLLATERAL,
      market: -COMPUTE_SHARE,
      treasury: 0n,
    });
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.BelowThreshold);
    await expectRefund(m, job, CEILING - COMPUTE_SHARE);
  });

  it("a proof with one flipped byte fails the job: EvidenceRejected names the segment, provider slashed", async () => {
    const m = await loadRealMarket();
    const job = await realJob(m, RUN);
    const proven = await prove(m, job, RUN);
    const proof = toBytes(encodeTrainingProof(proven.commitments, proven.proofs));
    // Layout: 2 offsets, then [S+1, C_0, C_1, C_2]: flip the lowest byte of the intermediate C_1, which
    // both segments' public inputs hash.
    const c1LastByte = 32 * 5 - 1;
    proof[c1LastByte] = (proof[c1LastByte] ?? 0) ^ 0x01;
    const result = await resultOf(m, job, proven, { proof: toHex(proof) });
    await expectProofRejected(m, job, result, segmentInvalid(0n));
  });

  it("a proof point with a flipped byte (off the curve) fails the job with PointNotOnCurve, not as out of gas", async () => {
    const m = await loadRealMarket();
    const job = await realJob(m, RUN);
    const proven = await prove(m, job, RUN);
    const [first, ...rest] = proven.proofs;
    assert.ok(first);
    // A.x of segment 0: the pairing precompile would burn all its gas on this point.
    const tampered = [[first[0] ^ 1n, ...first.slice(1)] as unknown as typeof first, ...rest];
    const result = await resultOf(m, job, proven, {
      proof: encodeTrainingProof(proven.commitments, tampered),
    });
    await expectProofRejected(m, job, result, pointNotOnCurve(0n, 0n));
  });

  it("a G2 point off the twist is named too", async () => {
    const m = await loadRealMarket();
    const job = await realJob(m, RUN);
    const proven = await prove(m, job, RUN);
    const last = proven.proofs.length - 1;
    const B_Y_IMAG = 4;
    const offTwist = proven.proofs.map((p, i) =>
      i === last ? p.map((v, k) => (k === B_Y_IMAG ? v ^ 1n : v)) : p,
    );
    const result = await resultOf(m, job, proven, {
      proof: encodeTrainingProof(proven.commitments, offTwist as typeof proven.proofs),
    });
    await expectProofRejected(m, job, result, pointNotOnCurve(BigInt(last), 1n));
  });

  it("a coordinate not reduced mod p (the same point plus p) is named too", async () => {
    const m = await loadRealMarket();
    const job = await realJob(m, RUN);
    const proven = await prove(m, job, RUN);
    const C_Y = 7;
    const unreduced = proven.proofs.map((p, i) =>
      i === 0 ? p.map((v, k) => (k === C_Y ? v + BASE_FIELD : v)) : p,
    );
    const result = await resultOf(m, job, proven, {
      proof: encodeTrainingProof(proven.commitments, unreduced as typeof proven.proofs),
    });
    await expectProofRejected(m, job, result, pointNotOnCurve(0n, 2n));
  });

  it("a below-threshold proof claimed as threshold met fails the job (the last segment proves the outcome)", async () => {
    const m = await loadRealMarket();
    const run = { ...RUN, tau: UNREACHABLE_TAU };
    const job = await realJob(m, run);
    const proven = await prove(m, job, run);
    assert.equal(proven.thresholdMet, false);
    const result = await resultOf(m, job, proven, { thresholdMet: true });
    await expectProofRejected(m, job, result, segmentInvalid(1n));
  });

  it("a threshold-met proof claimed as below the threshold fails the job too", async () => {
    const m = await loadRealMarket();
    const job = await realJob(m, RUN);
    const proven = await prove(m, job, RUN);
    const result = await resultOf(m, job, proven, { thresholdMet: false });
    await expectProofRejected(m, job, result, segmentInvalid(1n));
  });

  it("a proof replayed on another job with the same commitments is rejected; on its own job it completes", async () => {
    const m = await loadRealMarket();
    const original = await realJob(m, RUN);
    const other = await realJob(m, RUN);
    assert.equal(other.terms.specHash, original.terms.specHash);
    const proven = await prove(m, original, RUN);
    const replayed = await resultOf(m, other, proven);
    await expectProofRejected(m, other, replayed, segmentInvalid(0n), m.provider, CEILING);

    const result = await resultOf(m, original, proven);
    await m.jobMarket.write.submitResult([original.jobId, original.terms, result], {
      account: m.provider.account,
    });
    assert.equal(await m.jobMarket.read.statusOf([original.jobId]), JobStatus.Completed);
    await expectRefund(m, original, CEILING - PRICE);
  });

  it("a proof made for another provider is rejected when the job's winner submits it", async () => {
    const m = await loadRealMarket();
    const job = await realJob(m, RUN, m.provider2);
    const proven = await prove(m, job, RUN, m.provider.account.address);
    const result = await resultOf(m, job, proven);
    await expectProofRejected(m, job, result, segmentInvalid(0n), m.provider2);
  });

  it("BuyerDefaulted(DataMismatch): the enclave's statement over the recorded data pays the cancellation fee", async () => {
    const m = await loadRealMarket();
    const job = await realJob(m, RUN);
    const dataHash = await recordDelivery(m, job);
    const args = await signedFailure(m, job, {
      reason: FailureReason.DataMismatch,
      dataHash,
      faultyMembers: 0n,
    });
    const { receipt, change } = await settle(m, m.provider.account.address, () =>
      m.jobMarket.write.submitFailure(args, { account: m.provider.account }),
    );
    assert.deepEqual(marketEvents(m, receipt.logs), [
      {
        eventName: "JobDefaulted",
        args: {
          jobId: job.jobId,
          reason: FailureReason.DataMismatch,
          fee: CANCELLATION_FEE,
          faultyMembers: 0n,
        },
      },
      {
        eventName: "PaymentReleased",
        args: {
          jobId: job.jobId,
          provider: getAddress(m.provider.account.address),
          amount: CANCELLATION_FEE,
        },
      },
    ]);
    assert.deepEqual(registryEvents(m, receipt.logs), [
      {
        eventName: "StakeUnlocked",
        args: { provider: getAddress(m.provider.account.address), asset: ETH, amount: COLLATERAL },
      },
    ]);
    assert.deepEqual(change, {
      wallet: CANCELLATION_FEE,
      free: COLLATERAL,
      locked: -COLLATERAL,
      market: -CANCELLATION_FEE,
      treasury: 0n,
    });
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.BuyerDefaulted);
    assert.equal(await m.jobMarket.read.owed([ETH, m.provider.account.address]), 0n, "paid, not owed");
    await expectRefund(m, job, CEILING - CANCELLATION_FEE);
  });

  it("Failed(DeliveryDeadlineMissed): data recorded, no result by the deadline, anyone slashes the provider", async () => {
    const m = await loadRealMarket();
    const job = await realJob(m, RUN);
    await recordDelivery(m, job);
    // The next block is at the delivery deadline: not passed yet; the one after is.
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline - 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms], { account: m.stranger.account }),
      m.jobMarket,
      "JobMarketDeadlineNotPassed",
      [job.terms.deliveryDeadline],
    );
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline);
    const { receipt, change } = await settle(m, m.provider.account.address, () =>
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms], { account: m.stranger.account }),
    );
    assert.deepEqual(marketEvents(m, receipt.logs), [
      {
        eventName: "JobFailed",
        args: {
          jobId: job.jobId,
          reason: FailureReason.DeliveryDeadlineMissed,
          slashed: COLLATERAL,
          compensation: TO_BUYER,
        },
      },
    ]);
    assert.deepEqual(registryEvents(m, receipt.logs), [
      {
        eventName: "StakeSlashed",
        args: {
          provider: getAddress(m.provider.account.address),
          asset: ETH,
          amount: COLLATERAL,
          toBuyer: TO_BUYER,
          toTreasury: TO_TREASURY,
        },
      },
    ]);
    assert.deepEqual(change, {
      wallet: 0n,
      free: 0n,
      locked: -COLLATERAL,
      market: TO_BUYER,
      treasury: TO_TREASURY,
    });
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Failed);
    await expectRefund(m, job, CEILING + TO_BUYER);
  });
});
