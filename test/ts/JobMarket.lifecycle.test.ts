import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, keccak256, toBytes } from "viem";
import { newSimulatedEnclave } from "../../scripts/lib/market.ts";
import { JobStatus, SIMULATED_MEASUREMENT, TeeType } from "../../sdk/index.ts";
import {
  attestationArgs,
  bid,
  CEILING,
  endBidding,
  loadMarket,
  postTestJob,
  recordDelivery,
  signedResult,
  viem,
} from "../support/fixture.ts";

describe("JobMarket lifecycle (ETH)", () => {
  it("runs post → bid → match → attest → delivery → result → payout → refund of the unused ceiling", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Open);
    assert.equal(
      await m.jobMarket.read.hashTerms([job.terms]),
      (await m.jobMarket.read.getJob([job.jobId])).termsHash,
    );

    const price = CEILING / 2n;
    // The second bid undercuts the first by more than the config's 1% minimum step.
    await bid(m, job, (price * 102n) / 100n, m.provider2);
    await bid(m, job, price, m.provider);
    const collateral = (price * 5_000n + 9_999n) / 10_000n;
    let stake = await m.providerRegistry.read.stakeOf([m.provider.account.address, job.terms.asset]);
    assert.equal(stake.locked, collateral);
    const outbid = await m.providerRegistry.read.stakeOf([m.provider2.account.address, job.terms.asset]);
    assert.equal(outbid.locked, 0n, "the outbid provider's collateral is released");

    await endBidding(job);
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Matched);
    const enclave = newSimulatedEnclave();
    const args = await attestationArgs(m, job, { enclave });
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.submitAttestation([job.jobId, job.terms, ...args], { account: m.provider.account }),
      m.jobMarket,
      "AttestationAccepted",
      [job.jobId, TeeType.Simulated, SIMULATED_MEASUREMENT, args[1], getAddress(args[2])],
    );
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Attested);

    // The buyer's owner key records the delivered blobs (relayed by a stranger).
    await recordDelivery(m, job);

    const result = await signedResult(
      m,
      { ...job, enclave },
      {
        modelCommitment: keccak256(toBytes("adapter weights")),
        modelCiphertextHash: keccak256(toBytes("encrypted adapter")),
      },
    );
    const tx = await m.jobMarket.write.submitResult([job.jobId, job.terms, result], {
      account: m.provider.account,
    });
    await viem.assertions.balancesHaveChanged(tx, [
      { address: m.provider.account.address, amount: price },
      { address: m.jobMarket.address, amount: -price },
    ]);
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "ProofVerified", [
      job.jobId,
      result.modelCommitment,
      result.modelCiphertextHash,
      true,
    ]);
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "PaymentReleased", [
      job.jobId,
      getAddress(m.provider.account.address),
      price,
    ]);
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Completed);
    stake = await m.providerRegistry.read.stakeOf([m.provider.account.address, job.terms.asset]);
    assert.equal(stake.locked, 0n);

    assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), CEILING - price);
    await viem.assertions.balancesHaveChanged(
      m.jobMarket.write.claimRefund([job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt], {
        account: m.relayer.account,
      }),
      [{ address: job.secrets.refundTo, amount: CEILING - price }],
    );
    assert.equal(await m.publicClient.getBalance({ address: m.jobMarket.address }), 0n);
  });

  it("a refund claimed after a bid window without bids expires the job in the same call", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await endBidding(job);
    assert.equal((await m.jobMarket.read.getJob([job.jobId])).status, JobStatus.Open, "nobody closed it yet");
    assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), CEILING);
    const claim = m.jobMarket.write.claimRefund(
      [job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt],
      {
        account: m.relayer.account,
      },
    );
    await viem.assertions.emitWithArgs(claim, m.jobMarket, "JobExpired", [job.jobId]);
    assert.equal((await m.jobMarket.read.getJob([job.jobId])).status, JobStatus.Expired);
    assert.equal(await m.publicClient.getBalance({ address: m.jobMarket.address }), 0n);
  });

  it("a refund claimed after a bid window with a leader matches the job and refunds nothing", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await bid(m, job, CEILING);
    await endBidding(job);
    assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), 0n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.claimRefund([job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt], {
        account: m.relayer.account,
      }),
      m.jobMarket,
      "JobMarketNothingToRefund",
      [job.jobId],
    );
  });
});
