// One describe per outcome of docs/OUTCOMES.md, with the exact money each party ends with: the
// provider's stake (free / locked) and payment (sent, or owed when someone else settled), the
// buyer's refund, the treasury's share of a slash; then the ceiling cases (a verifier out of gas, a
// refund address that rejects ETH) and the attacks of issue 12 (findings 1, 3, 5 and 6) reproduced
// as tests that no longer hurt the honest party. Training proofs come from the TestTrainingVerifier
// double here; JobMarket.realVerifiers.test.ts runs the outcomes with the Groth16 verifier.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Abi,
  type Address,
  encodeErrorResult,
  encodeFunctionData,
  getAddress,
  type Hex,
  hexToBigInt,
  keccak256,
  parseEther,
  parseEventLogs,
  recoverTypedDataAddress,
  toBytes,
  toFunctionSelector,
  toHex,
  zeroAddress,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { publishMarketConfig } from "../../scripts/lib/deploy.ts";
import {
  buildJobTerms,
  newBuyerSecrets,
  newSimulatedEnclave,
  postJob,
  randomBytes32,
  randomFieldElement,
} from "../../scripts/lib/market.ts";
import {
  DEV_PCK_PUBLIC_KEY,
  type DeliveredBlobs,
  ETH,
  enclaveStatementTypes,
  FailureReason,
  type FailureStatement,
  FIELD_MODULUS,
  JobStatus,
  jobMarketDomain,
  SIMULATED_MEASUREMENT,
  TeeType,
  ZERO_HASH,
} from "../../sdk/index.ts";
import {
  type AttestedJob,
  attestationArgs,
  attestedJob,
  bid,
  CEILING,
  connection,
  endBidding,
  INVALID_PROOF,
  loadMarket,
  type Market,
  MODEL_CIPHERTEXT_HASH,
  MODEL_COMMITMENT,
  networkHelpers,
  now,
  type PostedJob,
  PROVIDER_STAKE,
  postTestJob,
  recordDelivery,
  signedFailure,
  signedResult,
  testBlobs,
  viem,
} from "../support/fixture.ts";

const BPS = 10_000n;
/** The agreed price of most tests: half the ceiling. */
const PRICE = CEILING / 2n;
/** Collateral at the first config's 50% ratio. */
const COLLATERAL = (PRICE * 5_000n + BPS - 1n) / BPS;
/** BelowThreshold: the first config's 30% compute share. */
const COMPUTE_PAY = (PRICE * 3_000n) / BPS;
/** BuyerDefaulted: the first config's 10% cancellation fee. */
const FEE = (PRICE * 1_000n) / BPS;
/** Failed: the buyer's 70% of the slashed collateral (rounded up), the rest to the treasury. */
const TO_BUYER = (COLLATERAL * 7_000n + BPS - 1n) / BPS;
const TO_TREASURY = COLLATERAL - TO_BUYER;
/** The first config's limits of DataDelivery (core defaults). */
const AVAILABILITY_WINDOW = 86_400n;
const MAX_SERVABLE_BYTES = 256n * 1024n;
/** `abi.encodeWithSignature("EmptyRevert()")`: how the market reports a verifier that reverted without data. */
const EMPTY_REVERT = toFunctionSelector("EmptyRevert()");
const DEV_PCK_XY = [
  hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(0, 32))),
  hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(32))),
] as const;

// --- helpers -------------------------------------------------------------------------------------

const providerStake = (m: Market, asset: Address = ETH) =>
  m.providerRegistry.read.stakeOf([m.provider.account.address, asset]);

/** Asserts that the transaction emitted no `eventName` event from `contract`. */
async function assertNotEmitted(
  m: Market,
  hash: Hex,
  contract: { address: Address; abi: Abi },
  eventName: string,
): Promise<void> {
  const receipt = await m.publicClient.waitForTransactionReceipt({ hash });
  const logs = parseEventLogs({
    abi: contract.abi,
    logs: receipt.logs.filter((l) => l.address.toLowerCase() === contract.address.toLowerCase()),
  });
  assert.deepEqual(
    logs.filter((l) => l.eventName === eventName),
    [],
    `no ${eventName} event`,
  );
}

/** Submits the job's result, signed by its enclave, from the provider. */
async function submitResult(m: Market, job: AttestedJob, o: Parameters<typeof signedResult>[2] = {}) {
  return m.jobMarket.write.submitResult([job.jobId, job.terms, await signedResult(m, job, o)], {
    account: m.provider.account,
  });
}

/** The failure statement for the job's recorded delivery. */
function statementFor(reason: FailureStatement["reason"], dataHash: Hex): FailureStatement {
  return { reason, dataHash, faultyMembers: 0n };
}

/**
 * After a settlement: the provider's stake is whole (or short of exactly the collateral when
 * `slashed`), nothing is locked, the treasury holds `treasury`, the provider is owed `owed`, and
 * `refund` is claimable — claimed here by a relayer and paid exactly to the committed address.
 */
async function expectSettled(
  m: Market,
  job: PostedJob,
  e: { refund: bigint; owed?: bigint; treasury?: bigint; slashed?: bigint },
) {
  const stake = await providerStake(m);
  assert.equal(stake.locked, 0n, "no collateral stays locked");
  assert.equal(stake.free, PROVIDER_STAKE - (e.slashed ?? 0n), "the provider's stake");
  assert.equal(
    await m.providerRegistry.read.treasuryAccrued([ETH]),
    e.treasury ?? 0n,
    "the treasury's share",
  );
  assert.equal(
    await m.jobMarket.read.owed([ETH, m.provider.account.address]),
    e.owed ?? 0n,
    "owed to the provider",
  );
  assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), e.refund, "the buyer's refund");
  if (e.refund === 0n) return;
  const claim = await m.jobMarket.write.claimRefund(
    [job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt],
    { account: m.relayer.account },
  );
  await viem.assertions.balancesHaveChanged(claim, [
    { address: job.secrets.refundTo, amount: e.refund },
    { address: m.jobMarket.address, amount: -e.refund },
  ]);
  await viem.assertions.emitWithArgs(claim, m.jobMarket, "RefundClaimed", [
    job.jobId,
    getAddress(job.secrets.refundTo),
    e.refund,
  ]);
  // Whatever the market still holds is what it owes.
  assert.equal(await m.publicClient.getBalance({ address: m.jobMarket.address }), e.owed ?? 0n);
}

/** Who the market recovers from a `JobFailure` signature on `jobId`. */
function failureSigner(m: Market, jobId: bigint, statement: FailureStatement, signature: Hex) {
  return recoverTypedDataAddress({
    domain: jobMarketDomain(m.chainId, m.jobMarket.address),
    types: enclaveStatementTypes,
    primaryType: "JobFailure",
    message: { jobId, ...statement },
    signature,
  });
}

/** Who the market recovers from a `TrainingResult` signature for the result as submitted. */
function resultSigner(
  m: Market,
  jobId: bigint,
  r: { modelCommitment: Hex; modelCiphertextHash: Hex; thresholdMet: boolean; enclaveSignature: Hex },
) {
  return recoverTypedDataAddress({
    domain: jobMarketDomain(m.chainId, m.jobMarket.address),
    types: enclaveStatementTypes,
    primaryType: "TrainingResult",
    message: {
      jobId,
      modelCommitment: r.modelCommitment,
      modelCiphertextHash: r.modelCiphertextHash,
      thresholdMet: r.thresholdMet,
    },
    signature: r.enclaveSignature,
  });
}

/** Challenges the job's recorded delivery from the provider at `at` (or the next block). */
async function challenge(m: Market, job: PostedJob, at?: bigint) {
  if (at !== undefined) await networkHelpers.time.setNextBlockTimestamp(at);
  return m.dataDelivery.write.challengeDelivery([job.jobId, job.terms], { account: m.provider.account });
}

/** Serves blob `index` of `blobs` for the job, relayed by the stranger, at `at` (or the next block). */
async function serve(
  m: Market,
  job: PostedJob,
  blobs: ReturnType<typeof testBlobs>,
  index: number,
  at?: bigint,
) {
  if (at !== undefined) await networkHelpers.time.setNextBlockTimestamp(at);
  return m.dataDelivery.write.serveData(
    [job.jobId, job.terms, blobs.blobIds, blobs.sizes, BigInt(index), toHex(blobs.data[index] as Uint8Array)],
    { account: m.stranger.account },
  );
}

/** Posts an ETH job from the buyer whose committed refund address is `refundTo`. */
async function postWithRefundTo(m: Market, refundTo: Address): Promise<PostedJob> {
  const secrets = newBuyerSecrets(refundTo);
  const terms = buildJobTerms({ now: await now(), secrets, priceCeiling: CEILING });
  const { jobId } = await postJob(m.publicClient, m.buyer, m.deployment, terms);
  return { jobId, terms, secrets };
}

/** A delivery of one blob whose declared size is `size` bytes (never served). */
function declaredBlobs(size: bigint): DeliveredBlobs {
  return { blobIds: [randomBytes32()], sizes: [size] };
}

// --- Completed -----------------------------------------------------------------------------------

describe("outcome Completed: proven, metric ≥ τ", () => {
  it("pays the price, releases the collateral, refunds E − P", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    assert.equal((await providerStake(m)).locked, COLLATERAL);
    await recordDelivery(m, job);
    const tx = await submitResult(m, job);
    await viem.assertions.balancesHaveChanged(tx, [
      { address: m.provider.account.address, amount: PRICE },
      { address: m.jobMarket.address, amount: -PRICE },
    ]);
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "ProofVerified", [
      job.jobId,
      MODEL_COMMITMENT,
      MODEL_CIPHERTEXT_HASH,
      true,
    ]);
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "PaymentReleased", [
      job.jobId,
      getAddress(m.provider.account.address),
      PRICE,
    ]);
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Completed);
    await expectSettled(m, job, { refund: CEILING - PRICE });
  });
});

// --- BelowThreshold ------------------------------------------------------------------------------

describe("outcome BelowThreshold: proven, metric < τ", () => {
  it("pays the compute share, releases the collateral, refunds the rest", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    await recordDelivery(m, job);
    const tx = await submitResult(m, job, { thresholdMet: false });
    await viem.assertions.balancesHaveChanged(tx, [
      { address: m.provider.account.address, amount: COMPUTE_PAY },
      { address: m.jobMarket.address, amount: -COMPUTE_PAY },
    ]);
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "ProofVerified", [
      job.jobId,
      MODEL_COMMITMENT,
      MODEL_CIPHERTEXT_HASH,
      false,
    ]);
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "PaymentReleased", [
      job.jobId,
      getAddress(m.provider.account.address),
      COMPUTE_PAY,
    ]);
    await viem.assertions.emit(tx, m.providerRegistry, "StakeUnlocked");
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.BelowThreshold);
    await expectSettled(m, job, { refund: CEILING - COMPUTE_PAY });
  });

  it("rounds the compute share down (the buyer keeps the dust)", async () => {
    const m = await loadMarket();
    const price = 333_333_333_333_333_333n;
    const paid = 99_999_999_999_999_999n; // floor(price × 3 000 / 10 000)
    assert.equal((price * 3_000n) / BPS, paid);
    const job = await attestedJob(m, price);
    await viem.assertions.balancesHaveChanged(submitResult(m, job, { thresholdMet: false }), [
      { address: m.provider.account.address, amount: paid },
    ]);
    assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), CEILING - paid);
  });

  it("with a config whose compute share is zero: nothing paid, no transfer, the whole escrow refunded", async () => {
    const m = await loadMarket();
    const configId = await publishMarketConfig(connection, m.deployment, { computeShareBps: 0 });
    const job = await attestedJob(m, PRICE, { configId });
    const tx = await submitResult(m, job, { thresholdMet: false });
    await viem.assertions.balancesHaveChanged(tx, [{ address: m.provider.account.address, amount: 0n }]);
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "PaymentReleased", [
      job.jobId,
      getAddress(m.provider.account.address),
      0n,
    ]);
    await expectSettled(m, job, { refund: CEILING });
  });
});

// --- BuyerDefaulted: NoDataDelivered -------------------------------------------------------------

describe("outcome BuyerDefaulted · NoDataDelivered: no delivery recorded by the data deadline", () => {
  it("enforced by anyone: the fee is owed to the provider, the collateral released, E − fee refunded", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    await networkHelpers.time.increaseTo(job.terms.dataDeadline + 1n);
    const tx = await m.jobMarket.write.enforceDeadline([job.jobId, job.terms], {
      account: m.stranger.account,
    });
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobDefaulted", [
      job.jobId,
      FailureReason.NoDataDelivered,
      FEE,
      0n,
    ]);
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "PaymentReleased", [
      job.jobId,
      getAddress(m.provider.account.address),
      FEE,
    ]);
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "PaymentOwed", [
      getAddress(m.provider.account.address),
      ETH,
      FEE,
    ]);
    await viem.assertions.balancesHaveChanged(tx, [
      { address: m.provider.account.address, amount: 0n },
      { address: m.jobMarket.address, amount: 0n },
    ]);
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.BuyerDefaulted);
    await expectSettled(m, job, { refund: CEILING - FEE, owed: FEE });

    // The provider withdraws what it is owed, to an address of its choice.
    const withdraw = await m.jobMarket.write.withdrawOwed([ETH, m.relayer.account.address], {
      account: m.provider.account,
    });
    await viem.assertions.balancesHaveChanged(withdraw, [
      { address: m.relayer.account.address, amount: FEE },
      { address: m.jobMarket.address, amount: -FEE },
    ]);
    await viem.assertions.emitWithArgs(withdraw, m.jobMarket, "OwedWithdrawn", [
      getAddress(m.provider.account.address),
      ETH,
      getAddress(m.relayer.account.address),
      FEE,
    ]);
    assert.equal(await m.jobMarket.read.owed([ETH, m.provider.account.address]), 0n);
    assert.equal(await m.publicClient.getBalance({ address: m.jobMarket.address }), 0n);
  });

  it("enforced by the provider: the fee is sent to it at once", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    await networkHelpers.time.increaseTo(job.terms.dataDeadline + 1n);
    const tx = await m.jobMarket.write.enforceDeadline([job.jobId, job.terms], {
      account: m.provider.account,
    });
    await viem.assertions.balancesHaveChanged(tx, [
      { address: m.provider.account.address, amount: FEE },
      { address: m.jobMarket.address, amount: -FEE },
    ]);
    await assertNotEmitted(m, tx, m.jobMarket, "PaymentOwed");
    await expectSettled(m, job, { refund: CEILING - FEE });
  });

  it("is not enforceable at the data deadline itself, nor once a delivery is recorded", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    await networkHelpers.time.setNextBlockTimestamp(job.terms.dataDeadline);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobMarketDeadlineNotPassed",
      [job.terms.dataDeadline],
    );
    // Recorded in the last second: from now on only the delivery deadline counts.
    await networkHelpers.time.setNextBlockTimestamp(job.terms.dataDeadline);
    await recordDelivery(m, job);
    await networkHelpers.time.setNextBlockTimestamp(job.terms.dataDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobMarketDeadlineNotPassed",
      [job.terms.deliveryDeadline],
    );
  });

  it("on a token job the fee is owed and withdrawn in the token", async () => {
    const m = await loadMarket();
    const token = m.stakeToken;
    const job = await attestedJob(m, PRICE, { asset: token.address });
    await networkHelpers.time.increaseTo(job.terms.dataDeadline + 1n);
    await m.jobMarket.write.enforceDeadline([job.jobId, job.terms], { account: m.stranger.account });
    assert.equal(await m.jobMarket.read.owed([token.address, m.provider.account.address]), FEE);
    assert.equal(await token.read.balanceOf([m.jobMarket.address]), CEILING);
    const before = await token.read.balanceOf([m.provider.account.address]);
    await m.jobMarket.write.withdrawOwed([token.address, m.provider.account.address], {
      account: m.provider.account,
    });
    assert.equal(await token.read.balanceOf([m.provider.account.address]), before + FEE);
    assert.equal((await providerStake(m, token.address)).locked, 0n);
    assert.equal((await providerStake(m, token.address)).free, PROVIDER_STAKE);
    await m.jobMarket.write.claimRefund([job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt]);
    assert.equal(await token.read.balanceOf([m.jobMarket.address]), 0n);
  });
});

// --- BuyerDefaulted: enclave statements ----------------------------------------------------------

const DATA_REASONS = [
  ["DataMismatch", FailureReason.DataMismatch],
  ["DataMalformed", FailureReason.DataMalformed],
  ["DataOverflow", FailureReason.DataOverflow],
] as const;

for (const [name, reason] of DATA_REASONS) {
  describe(`outcome BuyerDefaulted · ${name}: the attested enclave's statement over the recorded data`, () => {
    it("submitted by the provider: JobDefaulted, the fee sent, the collateral released, E − fee refunded", async () => {
      const m = await loadMarket();
      const job = await attestedJob(m, PRICE);
      const dataHash = await recordDelivery(m, job);
      const tx = await m.jobMarket.write.submitFailure(
        await signedFailure(m, job, statementFor(reason, dataHash)),
        { account: m.provider.account },
      );
      await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobDefaulted", [job.jobId, reason, FEE, 0n]);
      await viem.assertions.balancesHaveChanged(tx, [
        { address: m.provider.account.address, amount: FEE },
        { address: m.jobMarket.address, amount: -FEE },
      ]);
      assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.BuyerDefaulted);
      await expectSettled(m, job, { refund: CEILING - FEE });
    });

    it("relayed by anyone: the fee is owed to the provider", async () => {
      const m = await loadMarket();
      const job = await attestedJob(m, PRICE);
      const dataHash = await recordDelivery(m, job);
      const tx = await m.jobMarket.write.submitFailure(
        await signedFailure(m, job, statementFor(reason, dataHash)),
        { account: m.relayer.account },
      );
      await viem.assertions.emitWithArgs(tx, m.jobMarket, "PaymentOwed", [
        getAddress(m.provider.account.address),
        ETH,
        FEE,
      ]);
      await expectSettled(m, job, { refund: CEILING - FEE, owed: FEE });
    });
  });
}

describe("outcome BuyerDefaulted · data statements: what is refused", () => {
  it("a statement over another data hash is rejected with JobMarketFailureDataMismatch(recorded, stated)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    const recorded = await recordDelivery(m, job);
    const other = keccak256(toBytes("data the buyer never recorded"));
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitFailure(
        await signedFailure(m, job, statementFor(FailureReason.DataMismatch, other)),
        {
          account: m.provider.account,
        },
      ),
      m.jobMarket,
      "JobMarketFailureDataMismatch",
      [recorded, other],
    );
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Attested);
  });

  it("a statement signed by another key (the host's, a stranger's) is rejected with JobMarketFailureSignatureInvalid(signer, enclaveSigner)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    const statement = statementFor(FailureReason.DataMalformed, await recordDelivery(m, job));
    const host = privateKeyToAccount(generatePrivateKey());
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitFailure(await signedFailure(m, job, statement, host), {
        account: m.provider.account,
      }),
      m.jobMarket,
      "JobMarketFailureSignatureInvalid",
      [host.address, job.enclave.signer.address],
    );
    // A mangled signature recovers nobody.
    const [jobId, terms, , signature] = await signedFailure(m, job, statement);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitFailure([jobId, terms, statement, `${signature.slice(0, 130)}1d` as Hex], {
        account: m.provider.account,
      }),
      m.jobMarket,
      "JobMarketFailureSignatureInvalid",
      [zeroAddress, job.enclave.signer.address],
    );
  });

  it("a statement replayed on another job — same enclave keys, same recorded data — is rejected", async () => {
    const m = await loadMarket();
    const a = await attestedJob(m, PRICE);
    // Job B is attested by the very same enclave and records the very same blobs.
    const b0 = await postTestJob(m);
    await bid(m, b0, PRICE);
    await endBidding(b0);
    await m.jobMarket.write.submitAttestation(
      [b0.jobId, b0.terms, ...(await attestationArgs(m, b0, { enclave: a.enclave }))],
      { account: m.provider.account },
    );
    const b: AttestedJob = { ...b0, enclave: a.enclave };
    const dataHash = await recordDelivery(m, a);
    assert.equal(await recordDelivery(m, b), dataHash);
    const statement = statementFor(FailureReason.DataMismatch, dataHash);
    const [, , , signatureForA] = await signedFailure(m, a, statement);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitFailure([b.jobId, b.terms, statement, signatureForA], {
        account: m.provider.account,
      }),
      m.jobMarket,
      "JobMarketFailureSignatureInvalid",
      [await failureSigner(m, b.jobId, statement, signatureForA), a.enclave.signer.address],
    );
    // Another reason than the one signed is another statement too.
    const [, , , mismatchSig] = await signedFailure(m, b, statement);
    const overflow = { ...statement, reason: FailureReason.DataOverflow };
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitFailure([b.jobId, b.terms, overflow, mismatchSig], {
        account: m.provider.account,
      }),
      m.jobMarket,
      "JobMarketFailureSignatureInvalid",
      [await failureSigner(m, b.jobId, overflow, mismatchSig), a.enclave.signer.address],
    );
  });

  it("a statement when nothing is recorded is rejected with JobMarketDeliveryNotRecorded(jobId)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    for (const dataHash of [ZERO_HASH, keccak256(toBytes("made up"))]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.jobMarket.write.submitFailure(
          await signedFailure(m, job, statementFor(FailureReason.DataMismatch, dataHash)),
          {
            account: m.provider.account,
          },
        ),
        m.jobMarket,
        "JobMarketDeliveryNotRecorded",
        [job.jobId],
      );
    }
  });

  it("a reason a statement cannot prove, or faulty members on a single-party job, is rejected with JobMarketFailureNotApplicable(reason)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    const dataHash = await recordDelivery(m, job);
    for (const statement of [
      statementFor(FailureReason.None, dataHash),
      statementFor(FailureReason.NoDataDelivered, dataHash),
      statementFor(FailureReason.DataUnavailable, dataHash),
      statementFor(FailureReason.ProofRejected, dataHash),
      statementFor(FailureReason.EvidenceRevoked, dataHash),
      { reason: FailureReason.CommitteeBadShares, dataHash, faultyMembers: 1n },
      { reason: FailureReason.DataMismatch, dataHash, faultyMembers: 1n },
    ]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.jobMarket.write.submitFailure(await signedFailure(m, job, statement), {
          account: m.provider.account,
        }),
        m.jobMarket,
        "JobMarketFailureNotApplicable",
        [statement.reason],
      );
    }
  });

  it("a statement after the delivery deadline, or on a job no longer Attested, is rejected", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    const args = await signedFailure(
      m,
      job,
      statementFor(FailureReason.DataMismatch, await recordDelivery(m, job)),
    );
    await networkHelpers.time.setNextBlockTimestamp(job.terms.deliveryDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitFailure(args, { account: m.provider.account }),
      m.jobMarket,
      "JobMarketDeadlinePassed",
      [job.terms.deliveryDeadline],
    );
    await m.jobMarket.write.enforceDeadline([job.jobId, job.terms]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitFailure(args, { account: m.provider.account }),
      m.jobMarket,
      "JobMarketInvalidStatus",
      [job.jobId, JobStatus.Failed],
    );
  });
});

// --- BuyerDefaulted / Released: DataUnavailable --------------------------------------------------

describe("outcome BuyerDefaulted · DataUnavailable: a challenge the buyer's side did not answer", () => {
  it("a lapsed challenge of a small delivery is the buyer's default: fee, collateral released, E − fee", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    await recordDelivery(m, job);
    await challenge(m, job);
    const respondBy = (await now()) + AVAILABILITY_WINDOW;
    assert.equal((await m.dataDelivery.read.deliveryStatus([job.jobId]))[2], respondBy);
    // While the challenge runs nothing can be timed out, not even after the delivery deadline.
    await networkHelpers.time.setNextBlockTimestamp(respondBy);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobMarketChallengePending",
      [respondBy],
    );
    await networkHelpers.time.setNextBlockTimestamp(respondBy + 1n);
    const tx = await m.jobMarket.write.enforceDeadline([job.jobId, job.terms], {
      account: m.provider.account,
    });
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobDefaulted", [
      job.jobId,
      FailureReason.DataUnavailable,
      FEE,
      0n,
    ]);
    await viem.assertions.balancesHaveChanged(tx, [{ address: m.provider.account.address, amount: FEE }]);
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.BuyerDefaulted);
    await expectSettled(m, job, { refund: CEILING - FEE });
  });

  it("a delivery of exactly maxServableBytes is still the buyer's to serve", async () => {
    const m = await loadMarket();
    assert.equal(await m.dataDelivery.read.maxServableBytes(), MAX_SERVABLE_BYTES);
    const job = await attestedJob(m, PRICE);
    await recordDelivery(m, job, declaredBlobs(MAX_SERVABLE_BYTES));
    assert.equal(await m.dataDelivery.read.isServable([job.jobId]), true);
    await challenge(m, job);
    await networkHelpers.time.increase(AVAILABILITY_WINDOW + 1n);
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms], { account: m.stranger.account }),
      m.jobMarket,
      "JobDefaulted",
      [job.jobId, FailureReason.DataUnavailable, FEE, 0n],
    );
    await expectSettled(m, job, { refund: CEILING - FEE, owed: FEE });
  });

  it("a lapsed challenge of a larger delivery is Released: nobody paid, collateral released, the whole escrow refunded", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    await recordDelivery(m, job, declaredBlobs(MAX_SERVABLE_BYTES + 1n));
    assert.equal(await m.dataDelivery.read.isServable([job.jobId]), false);
    await challenge(m, job);
    await networkHelpers.time.increase(AVAILABILITY_WINDOW + 1n);
    const tx = await m.jobMarket.write.enforceDeadline([job.jobId, job.terms], {
      account: m.provider.account,
    });
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobReleased", [
      job.jobId,
      FailureReason.DataUnavailable,
    ]);
    await assertNotEmitted(m, tx, m.jobMarket, "PaymentReleased");
    await viem.assertions.balancesHaveChanged(tx, [{ address: m.jobMarket.address, amount: 0n }]);
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Released);
    await expectSettled(m, job, { refund: CEILING });
  });
});

describe("challenge answered: the delivery deadline moves by the challenge's duration", () => {
  it("a result after the original deadline but within the moved one completes the job", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    const blobs = testBlobs();
    await recordDelivery(m, job, blobs);
    const challengedAt = job.terms.deliveryDeadline - 100n;
    await challenge(m, job, challengedAt);
    await serve(m, job, blobs, 1, challengedAt + 10n);
    const answer = await serve(m, job, blobs, 0, challengedAt + 1_000n);
    await viem.assertions.emitWithArgs(answer, m.dataDelivery, "ChallengeAnswered", [job.jobId, 1_000n]);
    const moved = job.terms.deliveryDeadline + 1_000n;
    assert.deepEqual(await m.dataDelivery.read.deliveryStatus([job.jobId]), [
      3,
      await recordedHash(m, job),
      0n,
      1_000n,
    ]);

    const result = await signedResult(m, job);
    await networkHelpers.time.setNextBlockTimestamp(moved);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobMarketDeadlineNotPassed",
      [moved],
    );
    // The reverted probe mined no block: the result lands in the moved deadline's last second.
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.submitResult([job.jobId, job.terms, result], { account: m.provider.account }),
      m.jobMarket,
      "PaymentReleased",
      [job.jobId, getAddress(m.provider.account.address), PRICE],
    );
  });

  it("after the moved deadline the provider is at fault: slashed", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    const blobs = testBlobs();
    await recordDelivery(m, job, blobs);
    const challengedAt = job.terms.deliveryDeadline - 100n;
    await challenge(m, job, challengedAt);
    await serve(m, job, blobs, 0, challengedAt + 500n);
    await serve(m, job, blobs, 1, challengedAt + 600n);
    const moved = job.terms.deliveryDeadline + 600n;
    const result = await signedResult(m, job);
    await networkHelpers.time.setNextBlockTimestamp(moved + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitResult([job.jobId, job.terms, result], { account: m.provider.account }),
      m.jobMarket,
      "JobMarketDeadlinePassed",
      [moved],
    );
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobFailed",
      [job.jobId, FailureReason.DeliveryDeadlineMissed, COLLATERAL, TO_BUYER],
    );
    await expectSettled(m, job, { refund: CEILING + TO_BUYER, treasury: TO_TREASURY, slashed: COLLATERAL });
  });
});

/** The recorded data hash of the job's delivery. */
async function recordedHash(m: Market, job: PostedJob): Promise<Hex> {
  return (await m.dataDelivery.read.deliveryOf([job.jobId])).dataHash;
}

// --- Released: EvidenceRevoked -------------------------------------------------------------------

describe("outcome Released · EvidenceRevoked: governance revoked the enclave after the job was posted", () => {
  for (const [what, revoke, subject] of [
    [
      "the measurement",
      (m: Market) => m.enclaveRegistry.write.revokeMeasurement([TeeType.Simulated, SIMULATED_MEASUREMENT]),
      async (m: Market) => ({
        abi: m.enclaveRegistry.abi,
        subject: SIMULATED_MEASUREMENT,
        revokedAt: (await m.enclaveRegistry.read.measurementOf([TeeType.Simulated, SIMULATED_MEASUREMENT]))
          .revokedAt,
      }),
    ],
    [
      "the platform's PCK key",
      (m: Market) => m.simulatedVerifier.write.revokePckKey(DEV_PCK_XY),
      async (m: Market) => ({
        abi: m.simulatedVerifier.abi,
        subject: await m.simulatedVerifier.read.pckKeyHash(DEV_PCK_XY),
        revokedAt: (await m.simulatedVerifier.read.pckKeyOf(DEV_PCK_XY)).revokedAt,
      }),
    ],
  ] as const) {
    it(`${what} revoked after posting: JobReleased, nobody paid, collateral released, the whole escrow refunded`, async () => {
      const m = await loadMarket();
      const job = await postTestJob(m);
      await bid(m, job, PRICE);
      await endBidding(job);
      await revoke(m);
      const { abi, subject: s, revokedAt } = await subject(m);
      assert.ok(revokedAt > BigInt((await m.jobMarket.read.getJob([job.jobId])).postedAt));
      const tx = await m.jobMarket.write.submitAttestation(
        [job.jobId, job.terms, ...(await attestationArgs(m, job))],
        {
          account: m.provider.account,
        },
      );
      await viem.assertions.emitWithArgs(tx, m.jobMarket, "EvidenceRejected", [
        job.jobId,
        FailureReason.AttestationRejected,
        encodeErrorResult({ abi, errorName: "AttestationRevoked", args: [s, revokedAt] }),
      ]);
      await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobReleased", [
        job.jobId,
        FailureReason.EvidenceRevoked,
      ]);
      await assertNotEmitted(m, tx, m.jobMarket, "JobFailed");
      await assertNotEmitted(m, tx, m.providerRegistry, "StakeSlashed");
      assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Released);
      await expectSettled(m, job, { refund: CEILING });
    });

    it(`${what} revoked before posting: Failed — the provider bid on a job it could not attest`, async () => {
      const m = await loadMarket();
      await revoke(m);
      const { abi, subject: s, revokedAt } = await subject(m);
      await networkHelpers.time.increase(1);
      const job = await postTestJob(m);
      await bid(m, job, PRICE);
      await endBidding(job);
      const tx = await m.jobMarket.write.submitAttestation(
        [job.jobId, job.terms, ...(await attestationArgs(m, job))],
        {
          account: m.provider.account,
        },
      );
      await viem.assertions.emitWithArgs(tx, m.jobMarket, "EvidenceRejected", [
        job.jobId,
        FailureReason.AttestationRejected,
        encodeErrorResult({ abi, errorName: "AttestationRevoked", args: [s, revokedAt] }),
      ]);
      await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobFailed", [
        job.jobId,
        FailureReason.AttestationRejected,
        COLLATERAL,
        TO_BUYER,
      ]);
      assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Failed);
      await expectSettled(m, job, { refund: CEILING + TO_BUYER, treasury: TO_TREASURY, slashed: COLLATERAL });
    });
  }
});

// --- Failed --------------------------------------------------------------------------------------

describe("outcome Failed: the provider's fault", () => {
  it("data recorded, no result by the delivery deadline: slashed at the config's buyer share, rounded up", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    await recordDelivery(m, job);
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    const tx = await m.jobMarket.write.enforceDeadline([job.jobId, job.terms], {
      account: m.stranger.account,
    });
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobFailed", [
      job.jobId,
      FailureReason.DeliveryDeadlineMissed,
      COLLATERAL,
      TO_BUYER,
    ]);
    await viem.assertions.emitWithArgs(tx, m.providerRegistry, "StakeSlashed", [
      getAddress(m.provider.account.address),
      ETH,
      COLLATERAL,
      TO_BUYER,
      TO_TREASURY,
    ]);
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Failed);
    await expectSettled(m, job, { refund: CEILING + TO_BUYER, treasury: TO_TREASURY, slashed: COLLATERAL });
  });

  it("an invalid proof: slashed", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    await recordDelivery(m, job);
    await viem.assertions.emitWithArgs(
      submitResult(m, job, { proof: INVALID_PROOF }),
      m.jobMarket,
      "JobFailed",
      [job.jobId, FailureReason.ProofRejected, COLLATERAL, TO_BUYER],
    );
    await expectSettled(m, job, { refund: CEILING + TO_BUYER, treasury: TO_TREASURY, slashed: COLLATERAL });
  });

  it("no attestation by its deadline: slashed", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await bid(m, job, PRICE);
    await networkHelpers.time.increaseTo(job.terms.attestDeadline + 1n);
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobFailed",
      [job.jobId, FailureReason.AttestationDeadlineMissed, COLLATERAL, TO_BUYER],
    );
    await expectSettled(m, job, { refund: CEILING + TO_BUYER, treasury: TO_TREASURY, slashed: COLLATERAL });
  });
});

// --- refunds that cannot be pushed ---------------------------------------------------------------

describe("refunds: a refund address that rejects ETH is owed, never stuck", () => {
  it("claimRefund to a contract that rejects ETH credits owed; withdrawOwed pays it out", async () => {
    const m = await loadMarket();
    const receiver = await viem.deployContract("ReentrantReceiver");
    await receiver.write.setRejectEther([true]);
    // A job whose committed refund address is the receiver contract, ending BelowThreshold.
    const job = await postWithRefundTo(m, receiver.address);
    const { jobId, terms, secrets } = job;
    await bid(m, job, PRICE);
    await endBidding(job);
    const enclave = newSimulatedEnclave();
    await m.jobMarket.write.submitAttestation(
      [jobId, terms, ...(await attestationArgs(m, job, { enclave }))],
      {
        account: m.provider.account,
      },
    );
    await submitResult(m, { ...job, enclave }, { thresholdMet: false });
    const refund = CEILING - COMPUTE_PAY;
    const claim = await m.jobMarket.write.claimRefund([jobId, terms, receiver.address, secrets.salt], {
      account: m.relayer.account,
    });
    await viem.assertions.emitWithArgs(claim, m.jobMarket, "RefundClaimed", [
      jobId,
      receiver.address,
      refund,
    ]);
    await viem.assertions.emitWithArgs(claim, m.jobMarket, "PaymentOwed", [receiver.address, ETH, refund]);
    await viem.assertions.balancesHaveChanged(claim, [
      { address: receiver.address, amount: 0n },
      { address: m.jobMarket.address, amount: 0n },
    ]);
    assert.equal(await m.jobMarket.read.owed([ETH, receiver.address]), refund);
    assert.equal(await m.jobMarket.read.refundableOf([jobId, terms]), 0n);
    await viem.assertions.balancesHaveChanged(
      receiver.write.execute([
        m.jobMarket.address,
        encodeFunctionData({
          abi: m.jobMarket.abi,
          functionName: "withdrawOwed",
          args: [ETH, m.stranger.account.address],
        }),
      ]),
      [
        { address: m.stranger.account.address, amount: refund },
        { address: m.jobMarket.address, amount: -refund },
      ],
    );
    assert.equal(await m.jobMarket.read.owed([ETH, receiver.address]), 0n);
  });
});

// --- ceiling cases: verifiers out of gas ---------------------------------------------------------

/** Gas the hungry test verifier burns per check. */
const HUNGRY_GAS = 2_000_000n;

describe("ceiling cases: a verifier out of gas reverts the submission instead of failing the job", () => {
  it("submitResult with too little gas for the training verifier reverts JobMarketVerifierOutOfGas; with enough it completes", async () => {
    const m = await loadMarket();
    const hungry = await viem.deployContract("TestGasHungryVerifier", [HUNGRY_GAS, SIMULATED_MEASUREMENT]);
    const configId = await publishMarketConfig(connection, m.deployment, {
      trainingVerifier: hungry.address,
    });
    const job = await attestedJob(m, PRICE, { configId });
    await recordDelivery(m, job);
    const result = await signedResult(m, job);
    for (const gas of [400_000n, 1_000_000n, 1_900_000n]) {
      await viem.assertions.revertWithCustomError(
        m.jobMarket.write.submitResult([job.jobId, job.terms, result], { account: m.provider.account, gas }),
        m.jobMarket,
        "JobMarketVerifierOutOfGas",
      );
      assert.equal(
        await m.jobMarket.read.statusOf([job.jobId]),
        JobStatus.Attested,
        "no slash, retry possible",
      );
      assert.equal((await providerStake(m)).locked, COLLATERAL);
    }
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.submitResult([job.jobId, job.terms, result], {
        account: m.provider.account,
        gas: 3_000_000n,
      }),
      m.jobMarket,
      "PaymentReleased",
      [job.jobId, getAddress(m.provider.account.address), PRICE],
    );
    await expectSettled(m, job, { refund: CEILING - PRICE });
  });

  it("a verifier reverting without data while gas remains is a rejection: Failed, slashed", async () => {
    const m = await loadMarket();
    const hungry = await viem.deployContract("TestGasHungryVerifier", [0n, SIMULATED_MEASUREMENT]);
    const configId = await publishMarketConfig(connection, m.deployment, {
      trainingVerifier: hungry.address,
    });
    const job = await attestedJob(m, PRICE, { configId });
    await recordDelivery(m, job);
    const tx = await submitResult(m, job, { proof: toHex(toBytes("revert-empty")) });
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "EvidenceRejected", [
      job.jobId,
      FailureReason.ProofRejected,
      EMPTY_REVERT,
    ]);
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobFailed", [
      job.jobId,
      FailureReason.ProofRejected,
      COLLATERAL,
      TO_BUYER,
    ]);
  });

  // The attestation verifier runs one call deeper (market → EnclaveRegistry → verifier): when the
  // verifier runs out of gas, the registry's frame keeps 1/64 of its gas and hands it back, so the
  // market sees about 1/64 + 63/64² ≈ 3.1% of its gas left — above the 1/63 an earlier check
  // allowed, which failed and slashed the job at 3–4.8 M gas here.
  it("submitAttestation with too little gas for the attestation verifier reverts JobMarketVerifierOutOfGas; with enough it attests", async () => {
    const m = await loadMarket();
    const burn = 5_000_000n;
    const hungry = await viem.deployContract("TestGasHungryVerifier", [burn, SIMULATED_MEASUREMENT]);
    await m.enclaveRegistry.write.setVerifier([TeeType.Simulated, hungry.address]);
    const configId = await publishMarketConfig(connection, m.deployment, {});
    const job = await postTestJob(m, { configId });
    await bid(m, job, PRICE);
    await endBidding(job);
    const [teeType, encryptionKey, signer] = await attestationArgs(m, job);
    const args = [job.jobId, job.terms, teeType, encryptionKey, signer, "0x01"] as const;
    for (const gas of [3_000_000n, 4_000_000n, 4_800_000n]) {
      await viem.assertions.revertWithCustomError(
        m.jobMarket.write.submitAttestation(args, { account: m.provider.account, gas }),
        m.jobMarket,
        "JobMarketVerifierOutOfGas",
      );
      assert.equal(
        await m.jobMarket.read.statusOf([job.jobId]),
        JobStatus.Matched,
        "no slash, retry possible",
      );
    }
    await viem.assertions.emit(
      m.jobMarket.write.submitAttestation(args, { account: m.provider.account, gas: 6_000_000n }),
      m.jobMarket,
      "AttestationAccepted",
    );
  });
});

// --- attacks -------------------------------------------------------------------------------------

describe("attacks on the honest provider (issue 12, finding 1)", () => {
  it("attack: buyer withholds the data → no slash; the provider gets the cancellation fee", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    // The buyer never records a delivery and waits for the provider's deadline to slash it.
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    const tx = await m.jobMarket.write.enforceDeadline([job.jobId, job.terms], { account: m.buyer.account });
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobDefaulted", [
      job.jobId,
      FailureReason.NoDataDelivered,
      FEE,
      0n,
    ]);
    await assertNotEmitted(m, tx, m.providerRegistry, "StakeSlashed");
    await expectSettled(m, job, { refund: CEILING - FEE, owed: FEE });
  });

  it("attack: buyer records data that does not match its commitments → no slash; the provider gets the fee", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    const dataHash = await recordDelivery(m, job, testBlobs());
    // The enclave decrypts the blobs, finds they do not hash to datasetCommitment and says so.
    await m.jobMarket.write.submitFailure(
      await signedFailure(m, job, statementFor(FailureReason.DataMismatch, dataHash)),
      {
        account: m.provider.account,
      },
    );
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms], { account: m.buyer.account }),
      m.jobMarket,
      "JobMarketInvalidStatus",
      [job.jobId, JobStatus.BuyerDefaulted],
    );
    await expectSettled(m, job, { refund: CEILING - FEE });
  });

  it("attack: buyer sets τ above the achievable metric → no slash; the provider gets the compute share", async () => {
    const m = await loadMarket();
    // τ = 100%: no model reaches it, the proof states thresholdMet = false instead of failing.
    const job = await attestedJob(m, PRICE, { qualityThreshold: 10_000n });
    await recordDelivery(m, job);
    const tx = await submitResult(m, job, { thresholdMet: false });
    await viem.assertions.balancesHaveChanged(tx, [
      { address: m.provider.account.address, amount: COMPUTE_PAY },
    ]);
    await assertNotEmitted(m, tx, m.providerRegistry, "StakeSlashed");
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.BelowThreshold);
    await expectSettled(m, job, { refund: CEILING - COMPUTE_PAY });
  });

  it("attack: buyer delivers data that overflows the fixed-point format → no slash; the provider gets the fee", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    const dataHash = await recordDelivery(m, job);
    const tx = await m.jobMarket.write.submitFailure(
      await signedFailure(m, job, statementFor(FailureReason.DataOverflow, dataHash)),
      { account: m.provider.account },
    );
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobDefaulted", [
      job.jobId,
      FailureReason.DataOverflow,
      FEE,
      0n,
    ]);
    await viem.assertions.balancesHaveChanged(tx, [{ address: m.provider.account.address, amount: FEE }]);
    await expectSettled(m, job, { refund: CEILING - FEE });
  });

  it("attack: a specHash (or commitment) ≥ the field modulus, which no proof could bind, is refused at posting", async () => {
    const m = await loadMarket();
    for (const field of ["specHash", "datasetCommitment", "evalCommitment"] as const) {
      const terms = {
        ...buildJobTerms({
          now: await now(),
          secrets: newBuyerSecrets(m.stranger.account.address),
          priceCeiling: CEILING,
        }),
        [field]: toHex(FIELD_MODULUS + 1n, { size: 32 }),
      };
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.jobMarket.write.postJob([terms], { account: m.buyer.account, value: CEILING }),
        m.jobMarket,
        "JobMarketNotAFieldElement",
        [field],
      );
    }
    assert.ok(BigInt(randomFieldElement()) < FIELD_MODULUS);
  });
});

describe("attacks through governance mid-job (issue 12, finding 3): a running job settles by its pinned config", () => {
  it("attack: governance swaps the training verifier → the running job still completes with its own", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    // The coordinator rejects every single-party claim: as a training verifier it would fail any proof.
    const swapped = await publishMarketConfig(connection, m.deployment, {
      trainingVerifier: m.multiPartyCoordinator.address,
    });
    assert.equal(
      (await m.jobMarket.read.configOf([swapped])).trainingVerifier,
      m.multiPartyCoordinator.address,
    );
    await viem.assertions.emitWithArgs(submitResult(m, job), m.jobMarket, "PaymentReleased", [
      job.jobId,
      getAddress(m.provider.account.address),
      PRICE,
    ]);
    await expectSettled(m, job, { refund: CEILING - PRICE });
    // A job posted under the new config is judged by the new verifier.
    const next = await attestedJob(m, PRICE, { configId: swapped });
    await viem.assertions.emit(submitResult(m, next), m.jobMarket, "JobFailed");
  });

  it("attack: governance lowers the buyer's slash share → a failing running job still pays the buyer its pinned share", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    await recordDelivery(m, job);
    await publishMarketConfig(connection, m.deployment, { slashBuyerShareBps: 1 });
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobFailed",
      [job.jobId, FailureReason.DeliveryDeadlineMissed, COLLATERAL, TO_BUYER],
    );
    await expectSettled(m, job, { refund: CEILING + TO_BUYER, treasury: TO_TREASURY, slashed: COLLATERAL });
  });

  it("attack: governance raises the fees or shares → the running job pays its pinned compute share", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    await publishMarketConfig(connection, m.deployment, { computeShareBps: 0, cancellationFeeBps: 0 });
    await viem.assertions.balancesHaveChanged(submitResult(m, job, { thresholdMet: false }), [
      { address: m.provider.account.address, amount: COMPUTE_PAY },
    ]);
    await expectSettled(m, job, { refund: CEILING - COMPUTE_PAY });
  });

  it("attack: governance unsets the coordinator → a running multi-party job still settles through its own", async () => {
    const m = await loadMarket();
    // A multi-party job (3 parties, 2-of-3) posted under config 1.
    const secrets = newBuyerSecrets(m.stranger.account.address);
    const terms = {
      ...buildJobTerms({ now: await now(), secrets, priceCeiling: CEILING }),
      parties: 3,
      threshold: 2,
      committeeSize: 3,
      committeeHash: randomBytes32(),
    };
    const { jobId } = await postJob(m.publicClient, m.buyer, m.deployment, terms);
    const mp: PostedJob = { jobId, terms, secrets };
    await bid(m, mp, PRICE);
    await endBidding(mp);
    await m.jobMarket.write.submitAttestation([mp.jobId, mp.terms, ...(await attestationArgs(m, mp))], {
      account: m.provider.account,
    });
    // Governance removes multi-party support (and swaps the training verifier) for new jobs.
    const next = await publishMarketConfig(connection, m.deployment, {
      coordinator: zeroAddress,
      trainingVerifier: m.multiPartyCoordinator.address,
    });
    assert.equal((await m.jobMarket.read.configOf([next])).coordinator, zeroAddress);
    // The running job's pinned coordinator shows no party ever sent an update: the buyer's default.
    await networkHelpers.time.increaseTo(mp.terms.deliveryDeadline + 1n);
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.enforceDeadline([mp.jobId, mp.terms], { account: m.provider.account }),
      m.jobMarket,
      "JobDefaulted",
      [mp.jobId, FailureReason.NoDataDelivered, FEE, 0n],
    );
  });

  it("attack: governance unsets or swaps the attestation verifier (registry setVerifier) → the running job still attests", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await bid(m, job, PRICE);
    await endBidding(job);
    // Unset, then pointed at a verifier that refuses this evidence, then a new config published.
    await m.enclaveRegistry.write.setVerifier([TeeType.Simulated, zeroAddress]);
    await m.enclaveRegistry.write.setVerifier([TeeType.Simulated, m.statementVerifier.address]);
    const next = await publishMarketConfig(connection, m.deployment, {});
    assert.equal(
      (await m.jobMarket.read.configOf([next])).attestationVerifiers[TeeType.Simulated - 1],
      m.statementVerifier.address,
    );
    await viem.assertions.emit(
      m.jobMarket.write.submitAttestation([job.jobId, job.terms, ...(await attestationArgs(m, job))], {
        account: m.provider.account,
      }),
      m.jobMarket,
      "AttestationAccepted",
    );
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Attested);
  });

  it("attack: renounceOwnership (which would freeze revocations) reverts on every governed contract", async () => {
    const m = await loadMarket();
    const owner = { account: m.deployer.account };
    for (const contract of [
      m.jobMarket,
      m.providerRegistry,
      m.enclaveRegistry,
      m.intelQuoteVerifier,
      m.simulatedVerifier,
      m.statementVerifier,
    ] as const) {
      await viem.assertions.revertWithCustomError(
        (contract.read.renounceOwnership as (o: typeof owner) => Promise<unknown>)(owner),
        contract,
        "GovernedRenounceDisabled",
      );
      assert.equal(await contract.read.owner(), getAddress(m.deployer.account.address));
    }
  });
});

describe("attacks on bids and compensation (issue 12, finding 5)", () => {
  it("attack: a one-wei bid is refused (JobMarketBidBelowMinimum)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    const minimum = await m.jobMarket.read.minPrice([ETH]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.placeBid([job.jobId, job.terms, 1n], { account: m.provider.account }),
      m.jobMarket,
      "JobMarketBidBelowMinimum",
      [1n, minimum],
    );
  });

  it("attack: undercutting by a wei is refused; the bid step is enforced (JobMarketBidNotLower)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await bid(m, job, PRICE, m.provider2);
    const maxAccepted = PRICE - (PRICE * 100n) / BPS;
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.placeBid([job.jobId, job.terms, PRICE - 1n], { account: m.provider.account }),
      m.jobMarket,
      "JobMarketBidNotLower",
      [PRICE - 1n, maxAccepted],
    );
    await bid(m, job, maxAccepted);
    // Near the minimum price the step is at least one wei.
    const low = await postTestJob(m, { asset: m.stakeToken.address });
    await bid(m, low, 50n, m.provider2);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.placeBid([low.jobId, low.terms, 50n], { account: m.provider.account }),
      m.jobMarket,
      "JobMarketBidNotLower",
      [50n, 49n],
    );
  });

  it("attack: collateral never below the asset's minimum, whatever the config's ratio", async () => {
    const m = await loadMarket();
    const minCollateral = await m.jobMarket.read.minCollateral([ETH]);
    const minPrice = await m.jobMarket.read.minPrice([ETH]);
    assert.ok(minCollateral > 0n);
    const configId = await publishMarketConfig(connection, m.deployment, { collateralRatioBps: 1 });
    const job = await postTestJob(m, { configId });
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.placeBid([job.jobId, job.terms, minPrice], { account: m.provider.account }),
      m.jobMarket,
      "BidPlaced",
      [job.jobId, getAddress(m.provider.account.address), minPrice, minCollateral],
    );
    assert.equal((await providerStake(m)).locked, minCollateral);
    // Governance raising the minimum applies to the next bid; the leader's collateral stays as locked.
    await m.jobMarket.write.setAssetLimits([ETH, minPrice, parseEther("0.2")]);
    assert.equal((await m.jobMarket.read.getJob([job.jobId])).collateral, minCollateral);
    const job2 = await postTestJob(m, { configId });
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.placeBid([job2.jobId, job2.terms, minPrice], { account: m.provider2.account }),
      m.jobMarket,
      "BidPlaced",
      [job2.jobId, getAddress(m.provider2.account.address), minPrice, parseEther("0.2")],
    );
  });

  it("attack: the buyer's compensation for an accepted bid is never zero (1-wei token bid, 1 bp ratio and share)", async () => {
    const m = await loadMarket();
    const token = m.stakeToken.address;
    assert.equal(await m.jobMarket.read.minPrice([token]), 0n);
    assert.equal(await m.jobMarket.read.minCollateral([token]), 0n);
    const configId = await publishMarketConfig(connection, m.deployment, {
      collateralRatioBps: 1,
      slashBuyerShareBps: 1,
    });
    const job = await postTestJob(m, { asset: token, configId });
    await bid(m, job, 1n);
    assert.equal((await m.jobMarket.read.getJob([job.jobId])).collateral, 1n, "ceil(1 × 1 bp) = 1");
    await networkHelpers.time.increaseTo(job.terms.attestDeadline + 1n);
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobFailed",
      [job.jobId, FailureReason.AttestationDeadlineMissed, 1n, 1n],
    );
    assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), CEILING + 1n);
  });
});

describe("attacks on delivery (issue 12, finding 6): a result must be signed by the attested enclave", () => {
  it("attack: a result signed by another key is refused (JobMarketEnclaveSignatureInvalid), the job stays open to the real one", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    const host = privateKeyToAccount(generatePrivateKey());
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitResult([job.jobId, job.terms, await signedResult(m, job, { signer: host })], {
        account: m.provider.account,
      }),
      m.jobMarket,
      "JobMarketEnclaveSignatureInvalid",
      [host.address, job.enclave.signer.address],
    );
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Attested);
    assert.equal((await providerStake(m)).locked, COLLATERAL, "a bad signature reverts, it does not slash");
    await viem.assertions.emit(submitResult(m, job), m.jobMarket, "ProofVerified");
  });

  it("attack: a ciphertext hash or model commitment other than the signed one is refused", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    const signed = await signedResult(m, job);
    for (const forged of [
      { ...signed, modelCiphertextHash: keccak256(toBytes("a ciphertext nobody can decrypt")) },
      { ...signed, modelCommitment: keccak256(toBytes("another model")) },
    ]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.jobMarket.write.submitResult([job.jobId, job.terms, forged], { account: m.provider.account }),
        m.jobMarket,
        "JobMarketEnclaveSignatureInvalid",
        [await resultSigner(m, job.jobId, forged), job.enclave.signer.address],
      );
    }
  });

  it("attack: flipping the outcome bit the enclave signed (below → met, for the full price) is refused", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, PRICE);
    const signed = await signedResult(m, job, { thresholdMet: false });
    const flipped = { ...signed, thresholdMet: true };
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitResult([job.jobId, job.terms, flipped], { account: m.provider.account }),
      m.jobMarket,
      "JobMarketEnclaveSignatureInvalid",
      [await resultSigner(m, job.jobId, flipped), job.enclave.signer.address],
    );
    // An empty or malformed signature recovers nobody.
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitResult([job.jobId, job.terms, { ...signed, enclaveSignature: "0x" }], {
        account: m.provider.account,
      }),
      m.jobMarket,
      "JobMarketEnclaveSignatureInvalid",
      [zeroAddress, job.enclave.signer.address],
    );
  });

  it("attack: a result signed for another job by the same enclave is refused", async () => {
    const m = await loadMarket();
    const a = await attestedJob(m, PRICE);
    const b0 = await postTestJob(m);
    await bid(m, b0, PRICE);
    await endBidding(b0);
    await m.jobMarket.write.submitAttestation(
      [b0.jobId, b0.terms, ...(await attestationArgs(m, b0, { enclave: a.enclave }))],
      { account: m.provider.account },
    );
    const resultForA = await signedResult(m, a);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitResult([b0.jobId, b0.terms, resultForA], { account: m.provider.account }),
      m.jobMarket,
      "JobMarketEnclaveSignatureInvalid",
      [await resultSigner(m, b0.jobId, resultForA), a.enclave.signer.address],
    );
  });
});
