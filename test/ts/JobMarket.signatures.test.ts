// Owner-key (EIP-712) actions of the JobMarket: cancellation and delivery-deadline extension are
// relayable by anyone, and a signature is good for exactly one action on one job of one market on
// one chain, once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  concat,
  getAddress,
  type Hex,
  numberToHex,
  parseSignature,
  recoverTypedDataAddress,
  serializeCompactSignature,
  signatureToCompactSignature,
  zeroAddress,
} from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { buildJobTerms, newBuyerSecrets, newSimulatedEnclave, postJob } from "../../scripts/lib/market.ts";
import { FailureReason, JobStatus, jobMarketDomain, ownerActionTypes } from "../../sdk/index.ts";
import {
  attestationArgs,
  attestedJob,
  bid,
  CEILING,
  cancelSig,
  endBidding,
  extendSig,
  loadMarket,
  type Market,
  networkHelpers,
  now,
  type PostedJob,
  postTestJob,
  recordDelivery,
  signedResult,
  viem,
} from "../support/fixture.ts";

const DAY = 86_400n;
const MAX_JOB_DURATION = 90n * DAY;
/** Order of the secp256k1 group. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function relayCancel(m: Market, job: PostedJob, sig: readonly [bigint, bigint, Hex]) {
  return m.jobMarket.write.cancelJob([job.jobId, job.terms, ...sig], { account: m.stranger.account });
}

/** `extendDeliveryDeadline` relayed by the stranger. */
function relayExtend(m: Market, job: PostedJob, sig: readonly [bigint, bigint, bigint, Hex]) {
  return m.jobMarket.write.extendDeliveryDeadline([job.jobId, job.terms, ...sig], {
    account: m.stranger.account,
  });
}

/** Who the market would recover from a cancellation signature made over some other payload. */
function recoveredFromCancel(m: Market, jobId: bigint, nonce: bigint, deadline: bigint, signature: Hex) {
  return recoverTypedDataAddress({
    domain: jobMarketDomain(m.chainId, m.jobMarket.address),
    types: ownerActionTypes,
    primaryType: "CancelJob",
    message: { jobId, nonce, deadline },
    signature,
  });
}

/** Posts an ETH job whose owner key is `ownerKey` (to share one key between jobs). */
async function postWithOwnerKey(m: Market, ownerKey: PrivateKeyAccount): Promise<PostedJob> {
  const secrets = { ...newBuyerSecrets(m.stranger.account.address), ownerKey };
  const terms = buildJobTerms({ now: await now(), secrets, priceCeiling: CEILING });
  const { jobId } = await postJob(m.publicClient, m.buyer, m.deployment, terms);
  return { jobId, terms, secrets };
}

describe("JobMarket owner-key signatures: relayed actions", () => {
  it("a cancellation signed by the owner key and relayed by a stranger cancels, unlocks the leader and refunds", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await bid(m, job, CEILING / 2n);
    const locked = (await m.providerRegistry.read.stakeOf([m.provider.account.address, job.terms.asset]))
      .locked;
    assert.equal(locked, CEILING / 4n);

    await viem.assertions.emitWithArgs(
      relayCancel(m, job, await cancelSig(m, job)),
      m.jobMarket,
      "JobCancelled",
      [job.jobId],
    );
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Cancelled);
    assert.equal(await m.jobMarket.read.nonces([job.terms.ownerKey]), 1n);
    const stake = await m.providerRegistry.read.stakeOf([m.provider.account.address, job.terms.asset]);
    assert.equal(stake.locked, 0n, "the leading bidder's collateral is released");
    assert.equal((await m.jobMarket.read.getJob([job.jobId])).collateral, 0n);

    await viem.assertions.balancesHaveChanged(
      m.jobMarket.write.claimRefund([job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt], {
        account: m.relayer.account,
      }),
      [
        { address: job.secrets.refundTo, amount: CEILING },
        { address: m.jobMarket.address, amount: -CEILING },
      ],
    );
    // A cancelled job takes no bids.
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.placeBid([job.jobId, job.terms, 1n], { account: m.provider2.account }),
      m.jobMarket,
      "JobMarketInvalidStatus",
      [job.jobId, JobStatus.Cancelled],
    );
  });

  it("an extension relayed by a stranger moves the delivery deadline", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const newDeadline = job.terms.deliveryDeadline + DAY;
    await viem.assertions.emitWithArgs(
      relayExtend(m, job, await extendSig(m, job, newDeadline)),
      m.jobMarket,
      "DeliveryDeadlineExtended",
      [job.jobId, newDeadline],
    );
    assert.equal(BigInt((await m.jobMarket.read.getJob([job.jobId])).deliveryDeadline), newDeadline);
    assert.equal(await m.jobMarket.read.nonces([job.terms.ownerKey]), 1n);
  });

  it("the extended deadline really extends: a result after the original deadline is accepted and not enforceable", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    await recordDelivery(m, job);
    const original = job.terms.deliveryDeadline;
    const extended = original + DAY;
    await relayExtend(m, job, await extendSig(m, job, extended));

    await networkHelpers.time.setNextBlockTimestamp(original + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobMarketDeadlineNotPassed",
      [extended],
    );
    await networkHelpers.time.setNextBlockTimestamp(extended);
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.submitResult([job.jobId, job.terms, await signedResult(m, job)], {
        account: m.provider.account,
      }),
      m.jobMarket,
      "PaymentReleased",
      [job.jobId, getAddress(m.provider.account.address), CEILING / 2n],
    );
  });

  it("the extended deadline is the one enforced: after it, results are refused and the provider is slashed", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    await recordDelivery(m, job);
    const extended = job.terms.deliveryDeadline + DAY;
    await relayExtend(m, job, await extendSig(m, job, extended));
    const result = await signedResult(m, job);
    await networkHelpers.time.setNextBlockTimestamp(extended + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitResult([job.jobId, job.terms, result], {
        account: m.provider.account,
      }),
      m.jobMarket,
      "JobMarketDeadlinePassed",
      [extended],
    );
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobFailed",
      [job.jobId, FailureReason.DeliveryDeadlineMissed, CEILING / 4n, ((CEILING / 4n) * 7n) / 10n],
    );
  });

  it("an extension signed while the job is still open carries through matching and attestation", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    const extended = job.terms.deliveryDeadline + 7n * DAY;
    await relayExtend(m, job, await extendSig(m, job, extended));
    await bid(m, job, CEILING / 2n);
    await endBidding(job);
    const enclave = newSimulatedEnclave();
    await m.jobMarket.write.submitAttestation(
      [job.jobId, job.terms, ...(await attestationArgs(m, job, { enclave }))],
      { account: m.provider.account },
    );
    assert.equal(BigInt((await m.jobMarket.read.getJob([job.jobId])).deliveryDeadline), extended);
    await recordDelivery(m, job);
    const result = await signedResult(m, { ...job, enclave });
    await networkHelpers.time.setNextBlockTimestamp(job.terms.deliveryDeadline + 1n);
    await viem.assertions.emit(
      m.jobMarket.write.submitResult([job.jobId, job.terms, result], {
        account: m.provider.account,
      }),
      m.jobMarket,
      "ProofVerified",
    );
  });
});

describe("JobMarket owner-key signatures: rejected signatures", () => {
  it("replaying a used cancellation or extension signature is rejected", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    const extend = await extendSig(m, job, job.terms.deliveryDeadline + DAY);
    await relayExtend(m, job, extend);
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayExtend(m, job, extend),
      m.jobMarket,
      "JobMarketInvalidExtension",
      [extend[0], extend[0], job.terms.bidDeadline + MAX_JOB_DURATION],
    );
    const cancel = await cancelSig(m, job);
    await relayCancel(m, job, cancel);
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayCancel(m, job, cancel),
      m.jobMarket,
      "JobMarketInvalidStatus",
      [job.jobId, JobStatus.Cancelled],
    );
    assert.equal(await m.jobMarket.read.nonces([job.terms.ownerKey]), 2n);
  });

  it("a signature carrying an already used nonce is rejected with JobMarketInvalidNonce(key, signed, expected)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    // Two signatures made at nonce 0: whichever is relayed first consumes it.
    const first = await extendSig(m, job, job.terms.deliveryDeadline + DAY);
    const second = await extendSig(m, job, job.terms.deliveryDeadline + 2n * DAY);
    const cancel = await cancelSig(m, job);
    await relayExtend(m, job, first);
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayExtend(m, job, second),
      m.jobMarket,
      "JobMarketInvalidNonce",
      [getAddress(job.terms.ownerKey), 0n, 1n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayCancel(m, job, cancel),
      m.jobMarket,
      "JobMarketInvalidNonce",
      [getAddress(job.terms.ownerKey), 0n, 1n],
    );
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Open);
  });

  it("a signature carrying a future nonce is rejected with JobMarketInvalidNonce", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayCancel(m, job, await cancelSig(m, job, { nonce: 1n })),
      m.jobMarket,
      "JobMarketInvalidNonce",
      [getAddress(job.terms.ownerKey), 1n, 0n],
    );
  });

  it("a cancellation signed for job A is rejected on job B with the same owner key (cross-job replay)", async () => {
    const m = await loadMarket();
    const ownerKey = privateKeyToAccount(generatePrivateKey());
    const a = await postWithOwnerKey(m, ownerKey);
    const b = await postWithOwnerKey(m, ownerKey);
    const sig = await cancelSig(m, a);
    const recovered = await recoveredFromCancel(m, b.jobId, ...sig);
    assert.notEqual(recovered, ownerKey.address);
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayCancel(m, b, sig),
      m.jobMarket,
      "JobMarketInvalidSignature",
      [recovered, ownerKey.address],
    );
    assert.equal(await m.jobMarket.read.statusOf([b.jobId]), JobStatus.Open);
    await relayCancel(m, a, sig); // still good where it belongs
    assert.equal(await m.jobMarket.read.statusOf([a.jobId]), JobStatus.Cancelled);
  });

  it("an extension signed for job A is rejected on job B (cross-job replay)", async () => {
    const m = await loadMarket();
    const a = await postTestJob(m);
    const b = await postTestJob(m);
    const sig = await extendSig(m, a, b.terms.deliveryDeadline + DAY);
    const [deliveryDeadline, nonce, deadline, signature] = sig;
    const recovered = await recoverTypedDataAddress({
      domain: jobMarketDomain(m.chainId, m.jobMarket.address),
      types: ownerActionTypes,
      primaryType: "ExtendDelivery",
      message: { jobId: b.jobId, deliveryDeadline, nonce, deadline },
      signature,
    });
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayExtend(m, b, sig),
      m.jobMarket,
      "JobMarketInvalidSignature",
      [recovered, b.terms.ownerKey],
    );
    assert.equal(
      BigInt((await m.jobMarket.read.getJob([b.jobId])).deliveryDeadline),
      b.terms.deliveryDeadline,
    );
  });

  it("a signature by a key other than the job's owner key is rejected with JobMarketInvalidSignature(signer, ownerKey)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    const wrong = privateKeyToAccount(generatePrivateKey());
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayCancel(m, job, await cancelSig(m, job, { key: wrong })),
      m.jobMarket,
      "JobMarketInvalidSignature",
      [wrong.address, job.terms.ownerKey],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayExtend(m, job, await extendSig(m, job, job.terms.deliveryDeadline + 1n, { key: wrong })),
      m.jobMarket,
      "JobMarketInvalidSignature",
      [wrong.address, job.terms.ownerKey],
    );
    assert.equal(await m.jobMarket.read.nonces([job.terms.ownerKey]), 0n, "failed attempts use no nonce");
  });

  it("a cancellation signature relayed as an extension is rejected (the action is signed)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    const [nonce, deadline, signature] = await cancelSig(m, job);
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayExtend(m, job, [job.terms.deliveryDeadline + 1n, nonce, deadline, signature]),
      m.jobMarket,
      "JobMarketInvalidSignature",
      [
        await recoverTypedDataAddress({
          domain: jobMarketDomain(m.chainId, m.jobMarket.address),
          types: ownerActionTypes,
          primaryType: "ExtendDelivery",
          message: { jobId: job.jobId, deliveryDeadline: job.terms.deliveryDeadline + 1n, nonce, deadline },
          signature,
        }),
        job.terms.ownerKey,
      ],
    );
  });

  it("a signature for another market (other verifying contract) is rejected", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    const otherMarket = await viem.deployContract("JobMarket", [
      m.deployer.account.address,
      m.providerRegistry.address,
      m.enclaveRegistry.address,
    ]);
    const sig = await cancelSig(m, job, { jobMarket: otherMarket.address });
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayCancel(m, job, sig),
      m.jobMarket,
      "JobMarketInvalidSignature",
      [await recoveredFromCancel(m, job.jobId, ...sig), job.terms.ownerKey],
    );
    assert.notEqual(await otherMarket.read.domainSeparator(), await m.jobMarket.read.domainSeparator());
  });

  for (const chainId of [1, 11_155_111, 1337]) {
    it(`a signature for chain id ${chainId} is rejected on chain 31337`, async () => {
      const m = await loadMarket();
      assert.notEqual(m.chainId, chainId);
      const job = await postTestJob(m);
      const sig = await cancelSig(m, job, { chainId });
      await viem.assertions.revertWithCustomErrorWithArgs(
        relayCancel(m, job, sig),
        m.jobMarket,
        "JobMarketInvalidSignature",
        [await recoveredFromCancel(m, job.jobId, ...sig), job.terms.ownerKey],
      );
    });
  }

  it("a signature under another domain name or version is rejected", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    const real = jobMarketDomain(m.chainId, m.jobMarket.address);
    for (const domain of [
      { ...real, name: "BlindTraining JobMarket v2" },
      { ...real, version: "2" },
    ]) {
      const message = { jobId: job.jobId, nonce: 0n, deadline: (await now()) + DAY };
      const signature = await job.secrets.ownerKey.signTypedData({
        domain,
        types: ownerActionTypes,
        primaryType: "CancelJob",
        message,
      });
      await viem.assertions.revertWithCustomErrorWithArgs(
        relayCancel(m, job, [message.nonce, message.deadline, signature]),
        m.jobMarket,
        "JobMarketInvalidSignature",
        [
          await recoveredFromCancel(m, job.jobId, message.nonce, message.deadline, signature),
          job.terms.ownerKey,
        ],
      );
    }
  });

  it("the malleable (high-s) twin of a valid signature is rejected with JobMarketInvalidSignature(0, ownerKey)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    const [nonce, deadline, signature] = await cancelSig(m, job);
    const { r, s, yParity } = parseSignature(signature);
    const highS = SECP256K1_N - BigInt(s);
    const twin = concat([r, numberToHex(highS, { size: 32 }), yParity === 0 ? "0x1c" : "0x1b"]);
    assert.notEqual(twin, signature);
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayCancel(m, job, [nonce, deadline, twin]),
      m.jobMarket,
      "JobMarketInvalidSignature",
      [zeroAddress, job.terms.ownerKey],
    );
    // The original, low-s form is still good.
    await viem.assertions.emit(
      relayCancel(m, job, [nonce, deadline, signature]),
      m.jobMarket,
      "JobCancelled",
    );
  });

  const GARBAGE: Array<{ name: string; make: (valid: Hex) => Hex }> = [
    { name: "an empty signature", make: () => "0x" },
    { name: "a 2-byte signature", make: () => "0x1234" },
    {
      name: "the 64-byte EIP-2098 compact form",
      make: (v) => serializeCompactSignature(signatureToCompactSignature(parseSignature(v))),
    },
    { name: "65 zero bytes", make: () => numberToHex(0n, { size: 65 }) },
    { name: "a valid signature with v = 29", make: (v) => concat([`0x${v.slice(2, 130)}`, "0x1d"]) },
    { name: "a valid signature with a trailing byte", make: (v) => concat([v, "0x00"]) },
  ];
  for (const g of GARBAGE) {
    it(`${g.name} is rejected with JobMarketInvalidSignature(0, ownerKey)`, async () => {
      const m = await loadMarket();
      const job = await postTestJob(m);
      const [nonce, deadline, signature] = await cancelSig(m, job);
      const bad = g.make(signature);
      assert.notEqual(bad, signature);
      await viem.assertions.revertWithCustomErrorWithArgs(
        relayCancel(m, job, [nonce, deadline, bad]),
        m.jobMarket,
        "JobMarketInvalidSignature",
        [zeroAddress, job.terms.ownerKey],
      );
      assert.equal(await m.jobMarket.read.nonces([job.terms.ownerKey]), 0n);
    });
  }

  it("a signature past its deadline is rejected with JobMarketSignatureExpired(deadline)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    const deadline = (await now()) + 60n;
    const cancel = await cancelSig(m, job, { deadline });
    const extend = await extendSig(m, job, job.terms.deliveryDeadline + 1n, { deadline });
    await networkHelpers.time.setNextBlockTimestamp(deadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayCancel(m, job, cancel),
      m.jobMarket,
      "JobMarketSignatureExpired",
      [deadline],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayExtend(m, job, extend),
      m.jobMarket,
      "JobMarketSignatureExpired",
      [deadline],
    );
  });

  it("a signature is still valid in the last second of its deadline", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    const deadline = (await now()) + 60n;
    const cancel = await cancelSig(m, job, { deadline });
    await networkHelpers.time.setNextBlockTimestamp(deadline);
    await viem.assertions.emit(relayCancel(m, job, cancel), m.jobMarket, "JobCancelled");
  });
});

describe("JobMarket owner-key signatures: invalid extensions", () => {
  it("an extension that does not move the deadline later is rejected with JobMarketInvalidExtension", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    const latest = job.terms.bidDeadline + MAX_JOB_DURATION;
    for (const requested of [
      job.terms.deliveryDeadline,
      job.terms.deliveryDeadline - 1n,
      job.terms.attestDeadline,
    ]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        relayExtend(m, job, await extendSig(m, job, requested)),
        m.jobMarket,
        "JobMarketInvalidExtension",
        [job.terms.deliveryDeadline, requested, latest],
      );
    }
  });

  it("an extension beyond bid deadline + MAX_JOB_DURATION is rejected with JobMarketInvalidExtension", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    const latest = job.terms.bidDeadline + MAX_JOB_DURATION;
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayExtend(m, job, await extendSig(m, job, latest + 1n)),
      m.jobMarket,
      "JobMarketInvalidExtension",
      [job.terms.deliveryDeadline, latest + 1n, latest],
    );
    await viem.assertions.emitWithArgs(
      relayExtend(m, job, await extendSig(m, job, latest)),
      m.jobMarket,
      "DeliveryDeadlineExtended",
      [job.jobId, latest],
    );
  });

  it("an extension of a finished job is rejected with JobMarketInvalidStatus", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    await m.jobMarket.write.submitResult([job.jobId, job.terms, await signedResult(m, job)], {
      account: m.provider.account,
    });
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayExtend(m, job, await extendSig(m, job, job.terms.deliveryDeadline + DAY)),
      m.jobMarket,
      "JobMarketInvalidStatus",
      [job.jobId, JobStatus.Completed],
    );
  });

  it("an extension of a failed job cannot revive it (JobMarketInvalidStatus)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    await recordDelivery(m, job);
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    await m.jobMarket.write.enforceDeadline([job.jobId, job.terms]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayExtend(m, job, await extendSig(m, job, job.terms.deliveryDeadline + DAY)),
      m.jobMarket,
      "JobMarketInvalidStatus",
      [job.jobId, JobStatus.Failed],
    );
  });

  it("an extension of a buyer-defaulted job cannot revive it (JobMarketInvalidStatus)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    // No delivery recorded by the data deadline: the buyer's default.
    await networkHelpers.time.increaseTo(job.terms.dataDeadline + 1n);
    await m.jobMarket.write.enforceDeadline([job.jobId, job.terms]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayExtend(m, job, await extendSig(m, job, job.terms.deliveryDeadline + DAY)),
      m.jobMarket,
      "JobMarketInvalidStatus",
      [job.jobId, JobStatus.BuyerDefaulted],
    );
  });
});
