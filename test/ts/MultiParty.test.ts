// Multi-party jobs (issue 6, docs/MULTIPARTY.md): the MultiPartyCoordinator's records (updates, the
// aggregate, decryption shares), settlement gated on the committee's quorum, the committee-timeout
// path (refund, collateral released) versus the provider-timeout path (slashed), every coordinator
// error, and the SDK's spec hash and recorded-hash check.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Address,
  type ContractErrorName,
  getAddress,
  type Hex,
  keccak256,
  parseEther,
  type TransactionReceipt,
  toBytes,
  zeroAddress,
} from "viem";
import {
  buildJobTerms,
  newBuyerSecrets,
  newSimulatedEnclave,
  randomBytes32,
  type SimulatedEnclave,
} from "../../scripts/lib/market.ts";
import {
  checkMultiPartySpec,
  ETH,
  FailureReason,
  hashMultiPartySpec,
  indexMask,
  JobStatus,
  type JobTerms,
  type MultiPartySpec,
  MultiPartySpecError,
  type multiPartyCoordinatorAbi,
  RecordedHashMismatchError,
  recordedHashOf,
  signMultiPartyResult,
  verifyRecordedHash,
  ZERO_HASH,
} from "../../sdk/index.ts";
import {
  attestationArgs,
  attestedJob,
  bid,
  CEILING,
  endBidding,
  loadMarket,
  type Market,
  networkHelpers,
  now,
  type PostedJob,
  PROVIDER_STAKE,
  VALID_PROOF,
  viem,
} from "../support/fixture.ts";

const PRICE = CEILING / 2n;
/** Collateral of a bid at the deployment's 50% ratio. */
const COLLATERAL = PRICE / 2n;
/** The buyer's 70% share of slashed collateral. */
const TO_BUYER = (COLLATERAL * 7_000n) / 10_000n;
const MODEL = keccak256(toBytes("adapter weights"));
const MODEL_CIPHERTEXT = keccak256(toBytes("encrypted adapter"));

type Wallet = Market["stranger"];

/** Three data parties and a three-member committee (accounts the fixture does not use). */
async function participants(): Promise<{ parties: Wallet[]; members: Wallet[] }> {
  const wallets = await viem.getWalletClients();
  const parties = wallets.slice(6, 9);
  const members = wallets.slice(9, 12);
  assert.equal(parties.length + members.length, 6, "need 12 accounts");
  return { parties, members };
}

/** A spec for `terms` (deadlines 10 minutes apart after the attestation deadline). */
function specFor(terms: JobTerms, parties: readonly Wallet[], members: readonly Wallet[]): MultiPartySpec {
  const updateDeadline = terms.attestDeadline + 600n;
  return {
    dataParties: parties.map((w) => w.account.address),
    committee: members.map((w) => w.account.address),
    committeeKeys: members.map((w) => keccak256(toBytes(`x25519 key of ${w.account.address}`))),
    updateDeadline,
    aggregateDeadline: updateDeadline + 600n,
    shareDeadline: updateDeadline + 1_200n,
  };
}

type MultiPartyJob = PostedJob & {
  spec: MultiPartySpec;
  parties: Wallet[];
  members: Wallet[];
  /** The attested enclave (its signing key settles the job), once attested. */
  enclave?: SimulatedEnclave;
};

/** Posts a 3-party, 2-of-3 job (delivery 1 hour after attestation); `tweak` may alter the spec first. */
async function postMultiPartyJob(
  m: Market,
  tweak: (spec: MultiPartySpec, terms: JobTerms) => MultiPartySpec = (s) => s,
): Promise<MultiPartyJob> {
  const { parties, members } = await participants();
  const secrets = newBuyerSecrets(m.stranger.account.address);
  const base = buildJobTerms({ now: await now(), secrets, priceCeiling: CEILING });
  const spec = tweak(specFor(base, parties, members), base);
  const terms: JobTerms = {
    ...base,
    parties: 3,
    threshold: 2,
    committeeSize: 3,
    committeeHash: hashMultiPartySpec(spec),
  };
  await m.jobMarket.write.postJob([terms], { account: m.buyer.account, value: terms.priceCeiling });
  const jobId = await m.jobMarket.read.jobCount();
  return { jobId, terms, secrets, spec, parties, members };
}

/** A multi-party job bid on at PRICE by the first provider and attested. */
async function attestedMultiPartyJob(
  m: Market,
  tweak?: Parameters<typeof postMultiPartyJob>[1],
): Promise<MultiPartyJob> {
  const job = await postMultiPartyJob(m, tweak);
  await bid(m, job, PRICE);
  await endBidding(job);
  const enclave = newSimulatedEnclave();
  await m.jobMarket.write.submitAttestation(
    [job.jobId, job.terms, ...(await attestationArgs(m, job, { enclave }))],
    {
      account: m.provider.account,
    },
  );
  return { ...job, enclave };
}

/** Ciphertext stand-ins: random bytes per role (the coordinator records only their hashes). */
const updateBytes = (i: number) => toBytes(`party ${i}'s packed Paillier update ${randomBytes32()}`);
const shareBytes = (i: number) => toBytes(`member ${i}'s decryption share and proof ${randomBytes32()}`);

function recordUpdate(m: Market, job: MultiPartyJob, i: number, hash: Hex, from = job.parties[i]) {
  assert.ok(from);
  return m.multiPartyCoordinator.write.recordUpdate([job.jobId, job.terms, job.spec, BigInt(i), hash], {
    account: from.account,
  });
}
function recordAggregate(m: Market, job: MultiPartyJob, hash: Hex, mask: bigint, from: Wallet = m.provider) {
  return m.multiPartyCoordinator.write.recordAggregate([job.jobId, job.terms, job.spec, hash, mask], {
    account: from.account,
  });
}
function recordShare(m: Market, job: MultiPartyJob, i: number, hash: Hex, from = job.members[i]) {
  assert.ok(from);
  return m.multiPartyCoordinator.write.recordShare([job.jobId, job.terms, job.spec, BigInt(i), hash], {
    account: from.account,
  });
}
/** The enclave's signed multi-party result over the recorded aggregate (by `signer`, default the attested enclave). */
async function multiPartyProof(
  m: Market,
  job: MultiPartyJob,
  o: { signer?: SimulatedEnclave["signer"]; model?: Hex } = {},
) {
  const signer = o.signer ?? job.enclave?.signer;
  assert.ok(signer, "the job is not attested");
  return signMultiPartyResult({
    signer,
    chainId: m.chainId,
    coordinator: m.multiPartyCoordinator.address,
    jobId: job.jobId,
    specHash: job.terms.specHash,
    aggregateHash: await m.multiPartyCoordinator.read.aggregateHashOf([job.jobId]),
    modelCommitment: o.model ?? MODEL,
  });
}
/** submitResult of MODEL: a multi-party job with its enclave's signed result, a single-party job with the double's VALID_PROOF. */
async function submitResult(m: Market, job: PostedJob | MultiPartyJob, proof?: Hex) {
  const p = proof ?? ("enclave" in job ? await multiPartyProof(m, job) : VALID_PROOF);
  return m.jobMarket.write.submitResult([job.jobId, job.terms, MODEL, MODEL_CIPHERTEXT, p], {
    account: m.provider.account,
  });
}
async function receipt(m: Market, hash: Promise<Hex>): Promise<TransactionReceipt> {
  return m.publicClient.waitForTransactionReceipt({ hash: await hash });
}

/** Parties 0 and 2 record updates (party 1 drops out); time moves past the update deadline. */
async function updatesWithDropout(m: Market, job: MultiPartyJob): Promise<Hex[]> {
  const hashes = [recordedHashOf(updateBytes(0)), recordedHashOf(updateBytes(2))];
  await recordUpdate(m, job, 0, hashes[0] as Hex);
  await recordUpdate(m, job, 2, hashes[1] as Hex);
  await networkHelpers.time.increaseTo(job.spec.updateDeadline + 1n);
  return hashes;
}

const AGGREGATE = keccak256(toBytes("aggregate ciphertext"));
const MASK_0_2 = indexMask([0, 2]);

describe("MultiPartyCoordinator: a 3-party job with a 2-of-3 committee", () => {
  it("records updates (one party drops out), the aggregate and shares; settles only after the quorum", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    const c = m.multiPartyCoordinator;
    const gas: Record<string, bigint> = {};

    // Updates: parties 0 and 2; party 1 drops out.
    const update0 = updateBytes(0);
    const update2 = updateBytes(2);
    const first = await receipt(m, recordUpdate(m, job, 0, recordedHashOf(update0)));
    gas.recordUpdate_first = first.gasUsed;
    const tx2 = recordUpdate(m, job, 2, recordedHashOf(update2));
    await viem.assertions.emitWithArgs(tx2, c, "UpdateRecorded", [
      job.jobId,
      2n,
      getAddress(job.spec.dataParties[2] as Address),
      recordedHashOf(update2),
    ]);
    gas.recordUpdate = (await receipt(m, Promise.resolve(await tx2))).gasUsed;
    assert.equal(await c.read.updateHashOf([job.jobId, 0n]), recordedHashOf(update0));
    assert.equal(await c.read.updateHashOf([job.jobId, 1n]), ZERO_HASH);
    assert.deepEqual(await c.read.recordsOf([job.jobId]), [2n, MASK_0_2, 0n, 0n]);

    // Nothing to settle on yet.
    await viem.assertions.revertWithCustomErrorWithArgs(
      submitResult(m, job),
      m.jobMarket,
      "JobMarketQuorumNotReached",
      [job.jobId],
    );

    // The aggregate, after the update window, including exactly parties 0 and 2.
    await networkHelpers.time.increaseTo(job.spec.updateDeadline + 1n);
    assert.equal(await c.read.aggregateRecorded([job.jobId]), false);
    const aggTx = recordAggregate(m, job, AGGREGATE, MASK_0_2);
    await viem.assertions.emitWithArgs(aggTx, c, "AggregateRecorded", [job.jobId, AGGREGATE, MASK_0_2]);
    gas.recordAggregate = (await receipt(m, Promise.resolve(await aggTx))).gasUsed;
    assert.equal(await c.read.aggregateRecorded([job.jobId]), true);
    assert.equal(await c.read.aggregateHashOf([job.jobId]), AGGREGATE);

    // One share is not a quorum.
    const share1 = recordedHashOf(shareBytes(1));
    gas.recordShare = (await receipt(m, recordShare(m, job, 1, share1))).gasUsed;
    assert.equal(await c.read.quorumReached([job.jobId]), false);
    assert.deepEqual(await c.read.committeeFault([job.jobId]), [true, indexMask([0, 2])]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      submitResult(m, job),
      m.jobMarket,
      "JobMarketQuorumNotReached",
      [job.jobId],
    );

    // The second share reaches the threshold.
    const share2 = recordedHashOf(shareBytes(2));
    const quorumTx = recordShare(m, job, 2, share2);
    await viem.assertions.emitWithArgs(quorumTx, c, "QuorumReached", [job.jobId, indexMask([1, 2])]);
    await viem.assertions.emitWithArgs(quorumTx, c, "ShareRecorded", [
      job.jobId,
      2n,
      getAddress(job.spec.committee[2] as Address),
      share2,
    ]);
    gas.recordShare_quorum = (await receipt(m, Promise.resolve(await quorumTx))).gasUsed;
    assert.equal(await c.read.quorumReached([job.jobId]), true);
    assert.deepEqual(await c.read.committeeFault([job.jobId]), [false, indexMask([0])]);
    assert.equal(await c.read.shareHashOf([job.jobId, 2n]), share2);
    assert.deepEqual(await c.read.recordsOf([job.jobId]), [2n, MASK_0_2, 2n, indexMask([1, 2])]);

    // A third share beyond the threshold is still accepted (a bad share can be replaced).
    await recordShare(m, job, 0, recordedHashOf(shareBytes(0)));
    assert.deepEqual(await c.read.committeeFault([job.jobId]), [false, 0n]);

    // Settlement: paid, collateral released.
    const settle = submitResult(m, job);
    await viem.assertions.emitWithArgs(settle, m.jobMarket, "PaymentReleased", [
      job.jobId,
      getAddress(m.provider.account.address),
      PRICE,
    ]);
    gas.submitResult_multiParty = (await receipt(m, Promise.resolve(await settle))).gasUsed;
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Completed);
    const stake = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);
    assert.equal(stake.locked, 0n);
    assert.equal(stake.free, PROVIDER_STAKE);

    // After settlement nothing more is recorded.
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordShare(m, job, 1, share1),
      c,
      "MultiPartyInvalidStatus",
      [job.jobId, JobStatus.Completed],
    );

    console.log("      gas (docs/MULTIPARTY.md):");
    for (const [k, v] of Object.entries(gas)) {
      console.log(`        ${k.padEnd(24)} ${v.toLocaleString("en-US").padStart(8)}`);
      assert.ok(v < 150_000n, `${k} costs ${v} gas`);
    }
  });

  it("accepts the aggregate before the update deadline once every party has submitted", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    for (const i of [0, 1]) await recordUpdate(m, job, i, recordedHashOf(updateBytes(i)));
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordAggregate(m, job, AGGREGATE, indexMask([0, 1])),
      m.multiPartyCoordinator,
      "MultiPartyUpdateWindowOpen",
      [job.spec.updateDeadline],
    );
    await recordUpdate(m, job, 2, recordedHashOf(updateBytes(2)));
    assert.ok((await now()) < job.spec.updateDeadline);
    await viem.assertions.emitWithArgs(
      recordAggregate(m, job, AGGREGATE, indexMask([0, 1, 2])),
      m.multiPartyCoordinator,
      "AggregateRecorded",
      [job.jobId, AGGREGATE, 7n],
    );
  });

  it("every window is inclusive of its last second", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    const c = m.multiPartyCoordinator;
    await networkHelpers.time.setNextBlockTimestamp(job.spec.updateDeadline);
    await recordUpdate(m, job, 1, recordedHashOf(updateBytes(1)));
    await networkHelpers.time.setNextBlockTimestamp(job.spec.aggregateDeadline);
    await recordAggregate(m, job, AGGREGATE, indexMask([1]));
    await recordShare(m, job, 0, recordedHashOf(shareBytes(0)));
    await networkHelpers.time.setNextBlockTimestamp(job.spec.shareDeadline);
    await recordShare(m, job, 1, recordedHashOf(shareBytes(1)));
    assert.equal(await c.read.quorumReached([job.jobId]), true);
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordShare(m, job, 2, recordedHashOf(shareBytes(2))),
      c,
      "MultiPartyDeadlinePassed",
      [job.spec.shareDeadline],
    );
  });
});

describe("MultiPartyCoordinator errors", () => {
  it("a zero market in the constructor is rejected with MultiPartyZeroAddress", async () => {
    const error = "MultiPartyZeroAddress";
    await assert.rejects(
      viem.deployContract("MultiPartyCoordinator", [zeroAddress]),
      new RegExp(`${error}\\(\\)`),
    );
  });

  it("an unknown job, forged terms and a single-party job are rejected", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    const c = m.multiPartyCoordinator;
    const h = recordedHashOf(updateBytes(0));
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordUpdate(m, { ...job, jobId: 999n }, 0, h),
      c,
      "MultiPartyUnknownJob",
      [999n],
    );
    const forged = { ...job.terms, threshold: 1 };
    const stored = await m.jobMarket.read.hashTerms([job.terms]);
    const given = await m.jobMarket.read.hashTerms([forged]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordUpdate(m, { ...job, terms: forged }, 0, h),
      c,
      "MultiPartyTermsMismatch",
      [job.jobId, stored, given],
    );
    const single = await attestedJob(m);
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordUpdate(m, { ...job, jobId: single.jobId, terms: single.terms }, 0, h),
      c,
      "MultiPartySingleParty",
      [single.jobId],
    );
  });

  it("a spec that is not the job's is rejected with MultiPartySpecMismatch(committeeHash, given)", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    const stranger = m.stranger.account.address;
    // Swapping party 0 for the stranger lets the stranger pass the caller check, but not the hash check.
    const spec = { ...job.spec, dataParties: [stranger, ...job.spec.dataParties.slice(1)] };
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordUpdate(m, { ...job, spec }, 0, recordedHashOf(updateBytes(0)), m.stranger),
      m.multiPartyCoordinator,
      "MultiPartySpecMismatch",
      [job.terms.committeeHash, hashMultiPartySpec(spec)],
    );
  });

  it("records on a job that is not Attested are rejected with MultiPartyInvalidStatus", async () => {
    const m = await loadMarket();
    const job = await postMultiPartyJob(m);
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordUpdate(m, job, 0, recordedHashOf(updateBytes(0))),
      m.multiPartyCoordinator,
      "MultiPartyInvalidStatus",
      [job.jobId, JobStatus.Open],
    );
  });

  it("updates: wrong party, index out of range, empty hash, twice, late", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    const c = m.multiPartyCoordinator;
    const h = recordedHashOf(updateBytes(0));
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordUpdate(m, job, 0, h, job.parties[1]),
      c,
      "MultiPartyNotDataParty",
      [getAddress(job.spec.dataParties[1] as Address), getAddress(job.spec.dataParties[0] as Address)],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordUpdate(m, job, 3, h, job.parties[0]),
      c,
      "MultiPartyIndexOutOfRange",
      [3n, 3n],
    );
    await viem.assertions.revertWithCustomError(recordUpdate(m, job, 0, ZERO_HASH), c, "MultiPartyEmptyHash");
    await recordUpdate(m, job, 0, h);
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordUpdate(m, job, 0, h),
      c,
      "MultiPartyUpdateAlreadyRecorded",
      [job.jobId, 0n],
    );
    await networkHelpers.time.increaseTo(job.spec.updateDeadline);
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordUpdate(m, job, 1, recordedHashOf(updateBytes(1))),
      c,
      "MultiPartyDeadlinePassed",
      [job.spec.updateDeadline],
    );
  });

  it("aggregate: not the provider, empty, early, no updates, wrong mask, twice, late", async () => {
    const m = await loadMarket();
    const c = m.multiPartyCoordinator;

    // No update at all: nothing to aggregate.
    const empty = await attestedMultiPartyJob(m);
    await networkHelpers.time.increaseTo(empty.spec.updateDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordAggregate(m, empty, AGGREGATE, 0n),
      c,
      "MultiPartyNoUpdates",
      [empty.jobId],
    );

    const job = await attestedMultiPartyJob(m);
    await recordUpdate(m, job, 0, recordedHashOf(updateBytes(0)));
    await recordUpdate(m, job, 2, recordedHashOf(updateBytes(2)));
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordAggregate(m, job, AGGREGATE, MASK_0_2),
      c,
      "MultiPartyUpdateWindowOpen",
      [job.spec.updateDeadline],
    );
    await networkHelpers.time.increaseTo(job.spec.updateDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordAggregate(m, job, AGGREGATE, MASK_0_2, m.provider2),
      c,
      "MultiPartyNotProvider",
      [getAddress(m.provider2.account.address), getAddress(m.provider.account.address)],
    );
    await viem.assertions.revertWithCustomError(
      recordAggregate(m, job, ZERO_HASH, MASK_0_2),
      c,
      "MultiPartyEmptyHash",
    );
    // The dropped-out party 1 cannot be included; neither can a recorded party be left out.
    for (const mask of [indexMask([0, 1, 2]), indexMask([0]), indexMask([0, 2, 3]), 0n]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        recordAggregate(m, job, AGGREGATE, mask),
        c,
        "MultiPartyIncludedMaskMismatch",
        [mask, MASK_0_2],
      );
    }
    await recordAggregate(m, job, AGGREGATE, MASK_0_2);
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordAggregate(m, job, keccak256(toBytes("another")), MASK_0_2),
      c,
      "MultiPartyAggregateAlreadyRecorded",
      [job.jobId],
    );

    const late = await attestedMultiPartyJob(m);
    await recordUpdate(m, late, 1, recordedHashOf(updateBytes(1)));
    await networkHelpers.time.increaseTo(late.spec.aggregateDeadline);
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordAggregate(m, late, AGGREGATE, indexMask([1])),
      c,
      "MultiPartyDeadlinePassed",
      [late.spec.aggregateDeadline],
    );
  });

  it("shares: before the aggregate, not the member, index out of range, empty, twice, late", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    const c = m.multiPartyCoordinator;
    const h = recordedHashOf(shareBytes(0));
    await updatesWithDropout(m, job);
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordShare(m, job, 0, h),
      c,
      "MultiPartyAggregateNotRecorded",
      [job.jobId],
    );
    await recordAggregate(m, job, AGGREGATE, MASK_0_2);
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordShare(m, job, 0, h, job.members[1]),
      c,
      "MultiPartyNotCommitteeMember",
      [getAddress(job.spec.committee[1] as Address), getAddress(job.spec.committee[0] as Address)],
    );
    // A data party is no committee member.
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordShare(m, job, 0, h, job.parties[0]),
      c,
      "MultiPartyNotCommitteeMember",
      [getAddress(job.spec.dataParties[0] as Address), getAddress(job.spec.committee[0] as Address)],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordShare(m, job, 7, h, job.members[0]),
      c,
      "MultiPartyIndexOutOfRange",
      [7n, 3n],
    );
    await viem.assertions.revertWithCustomError(recordShare(m, job, 0, ZERO_HASH), c, "MultiPartyEmptyHash");
    await recordShare(m, job, 0, h);
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordShare(m, job, 0, h),
      c,
      "MultiPartyShareAlreadyRecorded",
      [job.jobId, 0n],
    );
    await networkHelpers.time.increaseTo(job.spec.shareDeadline);
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordShare(m, job, 1, recordedHashOf(shareBytes(1))),
      c,
      "MultiPartyDeadlinePassed",
      [job.spec.shareDeadline],
    );
    assert.equal(await c.read.quorumReached([job.jobId]), false);
  });

  it("a job posted with a malformed spec cannot record anything: the first record names the flaw", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m, (s) => ({
      ...s,
      committee: [s.committee[0] as Address, s.committee[1] as Address, s.committee[0] as Address],
    }));
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordUpdate(m, job, 0, recordedHashOf(updateBytes(0))),
      m.multiPartyCoordinator,
      "MultiPartyDuplicateAccount",
      [getAddress(job.spec.committee[0] as Address)],
    );
  });

  describe("checkSpec names every structural flaw", () => {
    const cases: {
      name: string;
      error: ContractErrorName<typeof multiPartyCoordinatorAbi>;
      tweak: (s: MultiPartySpec, t: JobTerms) => MultiPartySpec;
      args: (s: MultiPartySpec, t: JobTerms) => readonly unknown[];
    }[] = [
      {
        name: "two data parties for three",
        error: "MultiPartyPartyCountMismatch",
        tweak: (s) => ({ ...s, dataParties: s.dataParties.slice(0, 2) }),
        args: (_s, t) => [2n, t.parties],
      },
      {
        name: "a committee of four for three",
        error: "MultiPartyCommitteeSizeMismatch",
        tweak: (s) => ({
          ...s,
          committee: [...s.committee, "0x00000000000000000000000000000000000000aa"],
          committeeKeys: [...s.committeeKeys, randomBytes32()],
        }),
        args: (_s, t) => [4n, 4n, t.committeeSize],
      },
      {
        name: "a missing committee key",
        error: "MultiPartyCommitteeSizeMismatch",
        tweak: (s) => ({ ...s, committeeKeys: s.committeeKeys.slice(1) }),
        args: (_s, t) => [3n, 2n, t.committeeSize],
      },
      {
        name: "a zero data party",
        error: "MultiPartyZeroAccount",
        tweak: (s) => ({
          ...s,
          dataParties: [s.dataParties[0] as Address, zeroAddress, s.dataParties[2] as Address],
        }),
        args: () => [1n],
      },
      {
        name: "a zero committee member",
        error: "MultiPartyZeroAccount",
        tweak: (s) => ({ ...s, committee: [zeroAddress, ...s.committee.slice(1)] }),
        args: () => [0n],
      },
      {
        name: "a repeated data party",
        error: "MultiPartyDuplicateAccount",
        tweak: (s) => ({ ...s, dataParties: [...s.dataParties.slice(0, 2), s.dataParties[1] as Address] }),
        args: (s) => [getAddress(s.dataParties[1] as Address)],
      },
      {
        name: "a zero committee key",
        error: "MultiPartyEmptyCommitteeKey",
        tweak: (s) => ({ ...s, committeeKeys: [...s.committeeKeys.slice(0, 2), ZERO_HASH] }),
        args: () => [2n],
      },
      {
        name: "updates due before the attestation deadline",
        error: "MultiPartyDeadlinesOutOfOrder",
        tweak: (s, t) => ({ ...s, updateDeadline: t.attestDeadline }),
        args: (s, t) => [
          t.attestDeadline,
          s.updateDeadline,
          s.aggregateDeadline,
          s.shareDeadline,
          t.deliveryDeadline,
        ],
      },
      {
        name: "the aggregate due with the updates",
        error: "MultiPartyDeadlinesOutOfOrder",
        tweak: (s) => ({ ...s, aggregateDeadline: s.updateDeadline }),
        args: (s, t) => [
          t.attestDeadline,
          s.updateDeadline,
          s.aggregateDeadline,
          s.shareDeadline,
          t.deliveryDeadline,
        ],
      },
      {
        name: "shares due with the aggregate",
        error: "MultiPartyDeadlinesOutOfOrder",
        tweak: (s) => ({ ...s, shareDeadline: s.aggregateDeadline }),
        args: (s, t) => [
          t.attestDeadline,
          s.updateDeadline,
          s.aggregateDeadline,
          s.shareDeadline,
          t.deliveryDeadline,
        ],
      },
      {
        name: "shares due at the delivery deadline (no time left to deliver)",
        error: "MultiPartyDeadlinesOutOfOrder",
        tweak: (s, t) => ({ ...s, shareDeadline: t.deliveryDeadline }),
        args: (s, t) => [
          t.attestDeadline,
          s.updateDeadline,
          s.aggregateDeadline,
          s.shareDeadline,
          t.deliveryDeadline,
        ],
      },
    ];
    for (const { name, error, tweak, args } of cases) {
      it(`${name} → ${error}`, async () => {
        const m = await loadMarket();
        const { parties, members } = await participants();
        const base = buildJobTerms({
          now: await now(),
          secrets: newBuyerSecrets(zeroAddress),
          priceCeiling: CEILING,
        });
        const spec = tweak(specFor(base, parties, members), base);
        const terms = {
          ...base,
          parties: 3,
          threshold: 2,
          committeeSize: 3,
          committeeHash: hashMultiPartySpec(spec),
        };
        await viem.assertions.revertWithCustomErrorWithArgs(
          m.multiPartyCoordinator.read.checkSpec([terms, spec]),
          m.multiPartyCoordinator,
          error,
          // The table mixes errors, so their argument tuples are checked at run time only.
          args(spec, terms) as never,
        );
        // The SDK check rejects the same spec before anything reaches the chain.
        assert.throws(() => checkMultiPartySpec({ spec, terms }), MultiPartySpecError);
      });
    }

    it("a valid spec passes, and checkSpec also rejects a spec the terms do not commit to", async () => {
      const m = await loadMarket();
      const job = await postMultiPartyJob(m);
      await m.multiPartyCoordinator.read.checkSpec([job.terms, job.spec]);
      checkMultiPartySpec({ spec: job.spec, terms: job.terms });
      const other = { ...job.spec, shareDeadline: job.spec.shareDeadline + 1n };
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.multiPartyCoordinator.read.checkSpec([job.terms, other]),
        m.multiPartyCoordinator,
        "MultiPartySpecMismatch",
        [job.terms.committeeHash, hashMultiPartySpec(other)],
      );
    });
  });
});

describe("JobMarket with multi-party jobs", () => {
  it("a multi-party job cannot be posted while no coordinator is set (JobMarketMultiPartyCoordinatorNotSet)", async () => {
    const m = await loadMarket();
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.setMultiPartyCoordinator([zeroAddress]),
      m.jobMarket,
      "MultiPartyCoordinatorSet",
      [zeroAddress],
    );
    await viem.assertions.revertWithCustomError(
      postMultiPartyJob(m),
      m.jobMarket,
      "JobMarketMultiPartyCoordinatorNotSet",
    );
    // Single-party jobs do not need one.
    const single = await attestedJob(m);
    assert.equal(await m.jobMarket.read.statusOf([single.jobId]), JobStatus.Attested);
  });

  it("committee timeout: aggregate recorded, 1 of 2 needed shares → Failed, refund in full, collateral released", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    await updatesWithDropout(m, job);
    await recordAggregate(m, job, AGGREGATE, MASK_0_2);
    await recordShare(m, job, 1, recordedHashOf(shareBytes(1)));

    // Before the delivery deadline nothing can be enforced.
    await networkHelpers.time.increaseTo(job.spec.shareDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobMarketDeadlineNotPassed",
      [job.terms.deliveryDeadline],
    );
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    const treasuryBefore = await m.providerRegistry.read.treasuryAccrued([ETH]);
    const tx = m.jobMarket.write.enforceDeadline([job.jobId, job.terms], { account: m.stranger.account });
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "CommitteeDefaulted", [job.jobId, indexMask([0, 2])]);
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobFailed", [
      job.jobId,
      FailureReason.CommitteeDeadlineMissed,
      0n,
      0n,
    ]);
    await viem.assertions.emitWithArgs(tx, m.providerRegistry, "StakeUnlocked", [
      getAddress(m.provider.account.address),
      ETH,
      COLLATERAL,
    ]);
    const gasUsed = (await receipt(m, Promise.resolve(await tx))).gasUsed;
    console.log(`      gas: enforceDeadline (committee at fault) ${gasUsed.toLocaleString("en-US")}`);

    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Failed);
    const stake = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);
    assert.equal(stake.locked, 0n);
    assert.equal(stake.free, PROVIDER_STAKE, "released, not slashed");
    assert.equal(await m.providerRegistry.read.treasuryAccrued([ETH]), treasuryBefore, "nothing slashed");
    assert.equal((await m.jobMarket.read.getJob([job.jobId])).compensation, 0n);
    assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), CEILING);
    await viem.assertions.balancesHaveChanged(
      m.jobMarket.write.claimRefund([job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt], {
        account: m.relayer.account,
      }),
      [
        { address: job.secrets.refundTo, amount: CEILING },
        { address: m.jobMarket.address, amount: -CEILING },
      ],
    );
  });

  it("provider timeout: the aggregate never recorded → the provider is slashed as for any missed delivery", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    await updatesWithDropout(m, job);
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    assert.deepEqual(await m.multiPartyCoordinator.read.committeeFault([job.jobId]), [
      false,
      indexMask([0, 1, 2]),
    ]);
    const tx = m.jobMarket.write.enforceDeadline([job.jobId, job.terms]);
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobFailed", [
      job.jobId,
      FailureReason.DeliveryDeadlineMissed,
      COLLATERAL,
      TO_BUYER,
    ]);
    const stake = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);
    assert.equal(stake.locked, 0n);
    assert.equal(stake.free, PROVIDER_STAKE - COLLATERAL);
    assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), CEILING + TO_BUYER);
  });

  it("provider timeout after the quorum: the committee did its part, the provider is slashed", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    await updatesWithDropout(m, job);
    await recordAggregate(m, job, AGGREGATE, MASK_0_2);
    await recordShare(m, job, 0, recordedHashOf(shareBytes(0)));
    await recordShare(m, job, 1, recordedHashOf(shareBytes(1)));
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      submitResult(m, job),
      m.jobMarket,
      "JobMarketDeadlinePassed",
      [job.terms.deliveryDeadline],
    );
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobFailed",
      [job.jobId, FailureReason.DeliveryDeadlineMissed, COLLATERAL, TO_BUYER],
    );
  });

  it("a coordinator removed by governance blocks settlement but never the timeout (provider path)", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    await updatesWithDropout(m, job);
    await recordAggregate(m, job, AGGREGATE, MASK_0_2);
    await recordShare(m, job, 0, recordedHashOf(shareBytes(0)));
    await recordShare(m, job, 1, recordedHashOf(shareBytes(1)));
    await m.jobMarket.write.setMultiPartyCoordinator([zeroAddress]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      submitResult(m, job),
      m.jobMarket,
      "JobMarketQuorumNotReached",
      [job.jobId],
    );
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobFailed",
      [job.jobId, FailureReason.DeliveryDeadlineMissed, COLLATERAL, TO_BUYER],
    );
  });

  it("settlement needs the attested enclave's signature over this aggregate and model: anything else fails the job as a rejected proof", async () => {
    const stranger = newSimulatedEnclave().signer;
    for (const [what, proofOf] of [
      ["another key", (m: Market, job: MultiPartyJob) => multiPartyProof(m, job, { signer: stranger })],
      [
        "another model",
        (m: Market, job: MultiPartyJob) => multiPartyProof(m, job, { model: keccak256(toBytes("other")) }),
      ],
      ["the double's VALID_PROOF", async () => VALID_PROOF],
      ["an empty proof", async () => "0x" as Hex],
    ] as const) {
      const m = await loadMarket();
      const job = await attestedMultiPartyJob(m);
      await updatesWithDropout(m, job);
      await recordAggregate(m, job, AGGREGATE, MASK_0_2);
      await recordShare(m, job, 0, recordedHashOf(shareBytes(0)));
      await recordShare(m, job, 1, recordedHashOf(shareBytes(1)));
      const proof = await proofOf(m, job);
      assert.equal(
        await m.multiPartyCoordinator.read.verifyTraining([
          {
            chainId: BigInt(m.chainId),
            market: m.jobMarket.address,
            jobId: job.jobId,
            provider: m.provider.account.address,
            specHash: job.terms.specHash,
            datasetCommitment: job.terms.datasetCommitment,
            evalCommitment: job.terms.evalCommitment,
            qualityThreshold: job.terms.qualityThreshold,
            modelCommitment: MODEL,
          },
          proof,
        ]),
        false,
        what,
      );
      await viem.assertions.emitWithArgs(submitResult(m, job, proof), m.jobMarket, "JobFailed", [
        job.jobId,
        FailureReason.ProofRejected,
        COLLATERAL,
        TO_BUYER,
      ]);
      assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Failed, what);
    }
  });

  it("single-party jobs are unaffected: they settle without any coordinator record", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    await viem.assertions.emit(submitResult(m, job), m.jobMarket, "PaymentReleased");
  });
});

describe("SDK: multi-party spec and recorded hashes", () => {
  it("hashMultiPartySpec equals the coordinator's hashSpec and the posted committee hash", async () => {
    const m = await loadMarket();
    const job = await postMultiPartyJob(m);
    assert.equal(await m.multiPartyCoordinator.read.hashSpec([job.spec]), hashMultiPartySpec(job.spec));
    assert.equal(job.terms.committeeHash, hashMultiPartySpec(job.spec));
    // Any field changes the hash.
    const fields: MultiPartySpec[] = [
      { ...job.spec, dataParties: [...job.spec.dataParties].reverse() },
      { ...job.spec, committeeKeys: [randomBytes32(), ...job.spec.committeeKeys.slice(1)] },
      { ...job.spec, updateDeadline: job.spec.updateDeadline + 1n },
      { ...job.spec, aggregateDeadline: job.spec.aggregateDeadline + 1n },
    ];
    for (const spec of fields) {
      const onChain = await m.multiPartyCoordinator.read.hashSpec([spec]);
      assert.equal(onChain, hashMultiPartySpec(spec));
      assert.notEqual(onChain, job.terms.committeeHash);
    }
  });

  it("verifyRecordedHash accepts the recorded ciphertext and rejects a tampered one, naming both hashes", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    const ciphertext = updateBytes(0);
    await recordUpdate(m, job, 0, recordedHashOf(ciphertext));
    const recorded = await m.multiPartyCoordinator.read.updateHashOf([job.jobId, 0n]);
    assert.equal(recorded, keccak256(ciphertext), "the recorded hash is keccak256 of the bytes");
    verifyRecordedHash(ciphertext, recorded, "party 0's update");

    const tampered = ciphertext.slice();
    tampered[5] = (tampered[5] ?? 0) ^ 1;
    assert.throws(
      () => verifyRecordedHash(tampered, recorded, "party 0's update"),
      (e: unknown) =>
        e instanceof RecordedHashMismatchError &&
        e.shortMessage === "party 0's update does not match its on-chain hash" &&
        e.expected === recorded &&
        e.actual === keccak256(tampered) &&
        e.message.includes(recorded) &&
        e.message.includes(keccak256(tampered)),
    );
    // Truncation and an empty blob are caught too.
    assert.throws(() => verifyRecordedHash(ciphertext.slice(1), recorded), RecordedHashMismatchError);
    assert.throws(() => verifyRecordedHash(new Uint8Array(), recorded), /ciphertext does not match/);
    // Upper-case hex from another client is the same hash.
    verifyRecordedHash(ciphertext, `0x${recorded.slice(2).toUpperCase()}`);
  });

  it("checkMultiPartySpec gives precise messages", async () => {
    const { parties, members } = await participants();
    const base = buildJobTerms({
      now: 1_000n,
      secrets: newBuyerSecrets(zeroAddress),
      priceCeiling: parseEther("1"),
    });
    const spec = specFor(base, parties, members);
    const terms = {
      ...base,
      parties: 3,
      threshold: 2,
      committeeSize: 3,
      committeeHash: hashMultiPartySpec(spec),
    };
    checkMultiPartySpec({ spec });
    checkMultiPartySpec({ spec, terms });
    const expect = (s: MultiPartySpec, t: JobTerms | undefined, message: RegExp) =>
      assert.throws(
        () => checkMultiPartySpec({ spec: s, terms: t }),
        (e: unknown) => e instanceof MultiPartySpecError && message.test(e.message),
      );
    expect({ ...spec, dataParties: [] }, undefined, /^dataParties must not be empty/);
    expect(
      { ...spec, committee: [...spec.committee.slice(0, 2), spec.committee[0] as Address] },
      undefined,
      /^committee\[2\] repeats committee\[0\]/,
    );
    expect({ ...spec, dataParties: [zeroAddress] }, undefined, /^dataParties\[0\] is the zero address/);
    expect({ ...spec, committee: ["0x1234" as Address] }, undefined, /^committee\[0\] is not an address/);
    expect(
      { ...spec, committeeKeys: spec.committeeKeys.slice(1) },
      undefined,
      /^committeeKeys has 2 keys for 3/,
    );
    expect({ ...spec, committeeKeys: ["0x12", ...spec.committeeKeys.slice(1)] }, undefined, /not 32 bytes/);
    expect(
      { ...spec, committeeKeys: [ZERO_HASH, ...spec.committeeKeys.slice(1)] },
      undefined,
      /\[0\] is zero/,
    );
    expect({ ...spec, shareDeadline: spec.aggregateDeadline }, undefined, /strictly increasing/);
    expect(spec, { ...terms, parties: 4 }, /name 4 parties but the spec lists 3/);
    expect(spec, { ...terms, committeeSize: 2 }, /committee of 2 but the spec lists 3/);
    expect(spec, { ...terms, threshold: 0 }, /threshold 0 is not in 1\.\.3/);
    expect(spec, { ...terms, attestDeadline: spec.updateDeadline }, /after the attestation deadline/);
    expect(spec, { ...terms, deliveryDeadline: spec.shareDeadline }, /before the delivery deadline/);
    expect(spec, { ...terms, committeeHash: randomBytes32() }, /committeeHash is not the hash of this spec/);
    assert.equal(indexMask([]), 0n);
    assert.equal(indexMask([0, 2]), 5n);
    assert.equal(indexMask([254]), 1n << 254n);
    assert.throws(() => indexMask([255]), /index 255 is not in 0\.\.254/);
    assert.throws(() => indexMask([-1]), MultiPartySpecError);
  });
});
