// Multi-party jobs (issues 6 and 12, docs/MULTIPARTY.md): the MultiPartyCoordinator's records
// (updates, the enclave-vouched aggregate, decryption shares), settlement gated on the committee's
// quorum, the committee-timeout path (buyer side: cancellation fee, collateral released) versus the
// provider-timeout path (slashed), the committee's bonds (deposit, forfeit to provider and treasury,
// pull-based return) with the attacks of finding 2 reproduced, every coordinator error, the SDK's
// spec hash, bond arithmetic and recorded-hash check, and the MODEXP measurement behind the
// combiner-statement design.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Address,
  type ContractErrorName,
  decodeFunctionResult,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  parseEther,
  recoverTypedDataAddress,
  type TransactionReceipt,
  toBytes,
  toHex,
  zeroAddress,
} from "viem";
import { publishMarketConfig } from "../../scripts/lib/deploy.ts";
import {
  buildJobTerms,
  newBuyerSecrets,
  newSimulatedEnclave,
  randomBytes32,
  type SimulatedEnclave,
} from "../../scripts/lib/market.ts";
import {
  bondSettlement,
  COMMITTEE_BAD_SHARES_TYPES,
  checkMultiPartySpec,
  committeeFullyBonded,
  ETH,
  FailureReason,
  hashMultiPartySpec,
  indexMask,
  JobStatus,
  type JobTerms,
  MULTI_PARTY_RESULT_DOMAIN,
  type MultiPartySpec,
  MultiPartySpecError,
  maskIndices,
  type multiPartyCoordinatorAbi,
  RecordedHashMismatchError,
  recordedHashOf,
  signCommitteeBadShares,
  signJobFailure,
  signMultiPartyAggregate,
  signMultiPartyResult,
  signTrainingResult,
  unsharedMembers,
  validQuorumPossible,
  verifyRecordedHash,
  ZERO_HASH,
} from "../../sdk/index.ts";
import {
  attestationArgs,
  attestedJob,
  bid,
  CEILING,
  cancelSig,
  connection,
  endBidding,
  loadMarket,
  type Market,
  networkHelpers,
  now,
  type PostedJob,
  PROVIDER_STAKE,
  signedResult,
  viem,
} from "../support/fixture.ts";

const PRICE = CEILING / 2n;
/** Collateral of a bid at the deployment's 50% ratio. */
const COLLATERAL = PRICE / 2n;
/** The injured party's 70% share of a slash (config's slashBuyerShareBps). */
const INJURED_SHARE_BPS = 7_000n;
/** The buyer's 70% share of slashed collateral. */
const TO_BUYER = (COLLATERAL * INJURED_SHARE_BPS) / 10_000n;
/** The provider's cancellation fee on a buyer-side fault: 10% of the price. */
const FEE = (PRICE * 1_000n) / 10_000n;
/** Each committee member's bond in the bonded tests. */
const BOND = parseEther("0.3");
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
function specFor(
  terms: JobTerms,
  parties: readonly Wallet[],
  members: readonly Wallet[],
  memberBond = 0n,
): MultiPartySpec {
  const updateDeadline = terms.attestDeadline + 600n;
  return {
    dataParties: parties.map((w) => w.account.address),
    committee: members.map((w) => w.account.address),
    committeeKeys: members.map((w) => keccak256(toBytes(`x25519 key of ${w.account.address}`))),
    updateDeadline,
    aggregateDeadline: updateDeadline + 600n,
    shareDeadline: updateDeadline + 1_200n,
    memberBond,
  };
}

type MultiPartyJob = PostedJob & {
  spec: MultiPartySpec;
  parties: Wallet[];
  members: Wallet[];
  /** The attested enclave (its signing key settles the job), once attested. */
  enclave?: SimulatedEnclave;
};

/** How a test job is built. */
type JobOptions = {
  /** Alters the spec before the job is posted (and its hash computed). */
  tweak?: (spec: MultiPartySpec, terms: JobTerms) => MultiPartySpec;
  /** The committee's bond (default none). */
  memberBond?: bigint;
  /** Another committee (default wallets 9–11); `threshold` defaults to 2, or 1 for one member. */
  members?: Wallet[];
  threshold?: number;
  /** The job's asset (default ETH). */
  asset?: Address;
  /** Members who deposit their bond before the bid (indices; default all when bonded). */
  bonded?: number[];
};

/** Posts a 3-party job (default 2-of-3 committee, delivery 1 hour after attestation). */
async function postMultiPartyJob(m: Market, o: JobOptions = {}): Promise<MultiPartyJob> {
  const { parties, members: defaultMembers } = await participants();
  const members = o.members ?? defaultMembers;
  const secrets = newBuyerSecrets(m.stranger.account.address);
  const base = buildJobTerms({
    now: await now(),
    secrets,
    priceCeiling: CEILING,
    asset: o.asset,
    configId: await m.jobMarket.read.currentConfigId(),
  });
  const tweak = o.tweak ?? ((spec) => spec);
  const spec = tweak(specFor(base, parties, members, o.memberBond ?? 0n), base);
  const terms: JobTerms = {
    ...base,
    parties: 3,
    threshold: o.threshold ?? Math.min(2, members.length),
    committeeSize: members.length,
    committeeHash: hashMultiPartySpec(spec),
  };
  if (terms.asset !== ETH) {
    await m.stakeToken.write.approve([m.jobMarket.address, terms.priceCeiling], { account: m.buyer.account });
  }
  await m.jobMarket.write.postJob([terms], {
    account: m.buyer.account,
    value: terms.asset === ETH ? terms.priceCeiling : 0n,
  });
  const jobId = await m.jobMarket.read.jobCount();
  return { jobId, terms, secrets, spec, parties, members };
}

/** A multi-party job (bonded by `o.bonded` when the spec asks for bonds), bid on at PRICE by the first provider and attested. */
async function attestedMultiPartyJob(m: Market, o: JobOptions = {}): Promise<MultiPartyJob> {
  const job = await postMultiPartyJob(m, o);
  if (job.spec.memberBond !== 0n) {
    for (const i of o.bonded ?? job.members.map((_, k) => k)) await depositBond(m, job, i);
  }
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

/** Member `i` deposits its bond (ETH value, or an approved token transfer). */
async function depositBond(m: Market, job: MultiPartyJob, i: number, from = job.members[i]) {
  assert.ok(from);
  const eth = job.terms.asset === ETH;
  if (!eth) {
    await m.stakeToken.write.faucet([from.account.address, job.spec.memberBond]);
    await m.stakeToken.write.approve([m.multiPartyCoordinator.address, job.spec.memberBond], {
      account: from.account,
    });
  }
  return m.multiPartyCoordinator.write.depositBond([job.jobId, job.terms, job.spec, BigInt(i)], {
    account: from.account,
    value: eth ? job.spec.memberBond : 0n,
  });
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
/** The attested enclave's signature vouching for an aggregate (or `signer`'s). */
async function aggregateSignature(
  m: Market,
  job: MultiPartyJob,
  hash: Hex,
  mask: bigint,
  signer = job.enclave?.signer,
): Promise<Hex> {
  assert.ok(signer, "the job is not attested");
  return signMultiPartyAggregate({
    signer,
    chainId: m.chainId,
    coordinator: m.multiPartyCoordinator.address,
    jobId: job.jobId,
    aggregateHash: hash,
    includedMask: mask,
  });
}
async function recordAggregate(
  m: Market,
  job: MultiPartyJob,
  hash: Hex,
  mask: bigint,
  from: Wallet = m.provider,
  signature?: Hex,
) {
  const sig = signature ?? (await aggregateSignature(m, job, hash, mask));
  return m.multiPartyCoordinator.write.recordAggregate([job.jobId, job.terms, job.spec, hash, mask, sig], {
    account: from.account,
  });
}
function recordShare(m: Market, job: MultiPartyJob, i: number, hash: Hex, from = job.members[i]) {
  assert.ok(from);
  return m.multiPartyCoordinator.write.recordShare([job.jobId, job.terms, job.spec, BigInt(i), hash], {
    account: from.account,
  });
}
function publishShare(m: Market, job: MultiPartyJob, i: number, bytes: Uint8Array, from = job.members[i]) {
  assert.ok(from);
  return m.multiPartyCoordinator.write.publishShare(
    [job.jobId, job.terms, job.spec, BigInt(i), toHex(bytes)],
    {
      account: from.account,
    },
  );
}
/** The enclave's signed multi-party result over the recorded aggregate (by `signer`, default the attested enclave). */
/** The market's TrainingClaim for `job` won by the provider, with MODEL and the threshold met. */
function trainingClaimOf(m: Market, job: MultiPartyJob) {
  return {
    chainId: BigInt(m.chainId),
    market: m.jobMarket.address,
    jobId: job.jobId,
    provider: m.provider.account.address,
    specHash: job.terms.specHash,
    datasetCommitment: job.terms.datasetCommitment,
    evalCommitment: job.terms.evalCommitment,
    qualityThreshold: job.terms.qualityThreshold,
    modelCommitment: MODEL,
    thresholdMet: true,
  };
}

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
/**
 * submitResult of MODEL with the threshold met: a multi-party job with its enclave's signed result
 * (or `proof`), a single-party job with the double's VALID_PROOF; both with the enclave's signed
 * TrainingResult.
 */
async function submitResult(m: Market, job: MultiPartyJob, proof?: Hex) {
  const enclave = job.enclave;
  assert.ok(enclave, "the job is not attested");
  const result = {
    modelCommitment: MODEL,
    modelCiphertextHash: MODEL_CIPHERTEXT,
    thresholdMet: true,
    proof: proof ?? (await multiPartyProof(m, job)),
  };
  const enclaveSignature = await signTrainingResult({
    enclaveKey: enclave.signer,
    chainId: m.chainId,
    jobMarket: m.jobMarket.address,
    jobId: job.jobId,
    ...result,
  });
  return m.jobMarket.write.submitResult([job.jobId, job.terms, { ...result, enclaveSignature }], {
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

type Signer = SimulatedEnclave["signer"];

/**
 * `reportBadShares` arguments naming `bad`: the combiner's CommitteeBadShares over the recorded
 * share hashes (or `hashes`) and its JobFailure for the market, by the attested enclave (or others).
 */
async function badSharesArgs(
  m: Market,
  job: MultiPartyJob,
  bad: readonly number[],
  o: { signer?: Signer; failureSigner?: Signer; hashes?: Hex[] } = {},
) {
  const c = m.multiPartyCoordinator;
  const enclave = job.enclave;
  assert.ok(enclave, "the job is not attested");
  const badMembers = indexMask(bad);
  const aggregateHash = await c.read.aggregateHashOf([job.jobId]);
  const badShareHashes =
    o.hashes ?? (await Promise.all(bad.map((i) => c.read.shareHashOf([job.jobId, BigInt(i)]))));
  const committeeSignature = await signCommitteeBadShares({
    signer: o.signer ?? enclave.signer,
    chainId: m.chainId,
    coordinator: c.address,
    jobId: job.jobId,
    aggregateHash,
    badMembers,
    badShareHashes,
  });
  const failureSignature = await signJobFailure({
    enclaveKey: o.failureSigner ?? enclave.signer,
    chainId: m.chainId,
    jobMarket: m.jobMarket.address,
    jobId: job.jobId,
    statement: {
      reason: FailureReason.CommitteeBadShares,
      dataHash: aggregateHash,
      faultyMembers: badMembers,
    },
  });
  return [job.jobId, job.terms, job.spec, badMembers, committeeSignature, failureSignature] as const;
}
function reportBadShares(
  m: Market,
  args: Awaited<ReturnType<typeof badSharesArgs>>,
  from: Wallet = m.provider,
) {
  return m.multiPartyCoordinator.write.reportBadShares([...args], { account: from.account });
}
function reportMissingShares(m: Market, job: MultiPartyJob, from: Wallet = m.provider) {
  return m.multiPartyCoordinator.write.reportMissingShares([job.jobId, job.terms, job.spec], {
    account: from.account,
  });
}
function settleBonds(m: Market, job: MultiPartyJob, from: Wallet = m.stranger) {
  return m.multiPartyCoordinator.write.settleBonds([job.jobId, job.terms, job.spec], {
    account: from.account,
  });
}

/** A bonded (BOND, every member unless `bonded`) 3-party 2-of-3 job: parties 0 and 2 updated, the aggregate recorded. */
async function aggregatedBondedJob(m: Market, o: JobOptions = {}): Promise<MultiPartyJob> {
  const job = await attestedMultiPartyJob(m, { memberBond: BOND, ...o });
  await updatesWithDropout(m, job);
  await recordAggregate(m, job, AGGREGATE, MASK_0_2);
  return job;
}

/** Gas of the bond calls, printed by the last bond test (docs/MULTIPARTY.md). */
const bondGas: Record<string, bigint> = {};
async function gasOf(m: Market, name: string, hash: Promise<Hex>): Promise<TransactionReceipt> {
  const r = await receipt(m, hash);
  bondGas[name] ??= r.gasUsed;
  return r;
}

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

  it("aggregate: not the provider, empty, early, no updates, wrong mask, not vouched for by the enclave, twice, late", async () => {
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
    // Only the attested enclave vouches for an aggregate: the provider's own key, or the enclave's
    // signature of another hash or set, is refused.
    const providerKey = newSimulatedEnclave().signer;
    const enclaveSigner = getAddress((job.enclave as SimulatedEnclave).signer.address);
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordAggregate(
        m,
        job,
        AGGREGATE,
        MASK_0_2,
        m.provider,
        await aggregateSignature(m, job, AGGREGATE, MASK_0_2, providerKey),
      ),
      c,
      "MultiPartyEnclaveSignatureInvalid",
      [getAddress(providerKey.address), enclaveSigner],
    );
    const otherSet = await aggregateSignature(m, job, AGGREGATE, indexMask([0]));
    const recovered = await recoverTypedDataAddress({
      domain: { ...MULTI_PARTY_RESULT_DOMAIN, chainId: m.chainId, verifyingContract: c.address },
      types: {
        MultiPartyAggregate: [
          { name: "jobId", type: "uint256" },
          { name: "aggregateHash", type: "bytes32" },
          { name: "includedMask", type: "uint256" },
        ],
      },
      primaryType: "MultiPartyAggregate",
      message: { jobId: job.jobId, aggregateHash: AGGREGATE, includedMask: MASK_0_2 },
      signature: otherSet,
    });
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordAggregate(m, job, AGGREGATE, MASK_0_2, m.provider, otherSet),
      c,
      "MultiPartyEnclaveSignatureInvalid",
      [recovered, enclaveSigner],
    );
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
    const job = await attestedMultiPartyJob(m, {
      tweak: (s) => ({
        ...s,
        committee: [s.committee[0] as Address, s.committee[1] as Address, s.committee[0] as Address],
      }),
    });
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
  it("a multi-party job cannot be posted under a config without a coordinator (JobMarketMultiPartyCoordinatorNotSet)", async () => {
    const m = await loadMarket();
    await publishMarketConfig(connection, m.deployment, { coordinator: zeroAddress });
    await viem.assertions.revertWithCustomError(
      postMultiPartyJob(m),
      m.jobMarket,
      "JobMarketMultiPartyCoordinatorNotSet",
    );
    // Single-party jobs do not need one.
    const single = await attestedJob(m, PRICE, { configId: await m.jobMarket.read.currentConfigId() });
    assert.equal(await m.jobMarket.read.statusOf([single.jobId]), JobStatus.Attested);
  });

  it("committee timeout: aggregate recorded, 1 of 2 needed shares → BuyerDefaulted, fee to the provider, collateral released", async () => {
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
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobDefaulted", [
      job.jobId,
      FailureReason.CommitteeDeadlineMissed,
      FEE,
      indexMask([0, 2]),
    ]);
    await viem.assertions.emitWithArgs(tx, m.providerRegistry, "StakeUnlocked", [
      getAddress(m.provider.account.address),
      ETH,
      COLLATERAL,
    ]);
    const gasUsed = (await receipt(m, Promise.resolve(await tx))).gasUsed;
    console.log(`      gas: enforceDeadline (committee at fault) ${gasUsed.toLocaleString("en-US")}`);

    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.BuyerDefaulted);
    const stake = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);
    assert.equal(stake.locked, 0n);
    assert.equal(stake.free, PROVIDER_STAKE, "released, not slashed");
    assert.equal(await m.providerRegistry.read.treasuryAccrued([ETH]), treasuryBefore, "nothing slashed");
    // The stranger enforced: the fee is credited to the provider, the rest refundable.
    assert.equal(await m.jobMarket.read.owed([ETH, m.provider.account.address]), FEE);
    assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), CEILING - FEE);
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

  it("no party update at all → BuyerDefaulted(NoDataDelivered): no aggregate can exist", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms], { account: m.provider.account }),
      m.jobMarket,
      "JobDefaulted",
      [job.jobId, FailureReason.NoDataDelivered, FEE, 0n],
    );
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

  it("a new config without a coordinator does not touch a running job: it settles with the coordinator it pinned", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    await updatesWithDropout(m, job);
    await recordAggregate(m, job, AGGREGATE, MASK_0_2);
    await recordShare(m, job, 0, recordedHashOf(shareBytes(0)));
    await recordShare(m, job, 1, recordedHashOf(shareBytes(1)));
    await publishMarketConfig(connection, m.deployment, { coordinator: zeroAddress });
    await viem.assertions.emitWithArgs(submitResult(m, job), m.jobMarket, "PaymentReleased", [
      job.jobId,
      getAddress(m.provider.account.address),
      PRICE,
    ]);
  });

  it("settlement needs the attested enclave's signature over this aggregate and model: anything else fails the job as a rejected proof", async () => {
    const stranger = newSimulatedEnclave().signer;
    for (const [what, proofOf] of [
      ["another key", (m: Market, job: MultiPartyJob) => multiPartyProof(m, job, { signer: stranger })],
      [
        "another model",
        (m: Market, job: MultiPartyJob) => multiPartyProof(m, job, { model: keccak256(toBytes("other")) }),
      ],
      ["the double's valid proof", async () => "0x76616c6964" as Hex],
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
        await m.multiPartyCoordinator.read.verifyTraining([trainingClaimOf(m, job), proof]),
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
    await viem.assertions.emit(
      m.jobMarket.write.submitResult([job.jobId, job.terms, await signedResult(m, job)], {
        account: m.provider.account,
      }),
      m.jobMarket,
      "PaymentReleased",
    );
  });
});

describe("Committee bonds (issue 12, finding 2): faulty members are slashed, never the provider", () => {
  it("members bond in ETH before the bid deadline, so a provider sees a fully bonded committee before it bids", async () => {
    const m = await loadMarket();
    const c = m.multiPartyCoordinator;
    const job = await postMultiPartyJob(m, { memberBond: BOND });
    assert.deepEqual(await c.read.bondsOf([job.jobId]), [0n, 0n, false]);
    assert.equal(committeeFullyBonded(job.spec, 0n), false);
    const before = await m.publicClient.getBalance({ address: c.address });
    const tx = depositBond(m, job, 0);
    await viem.assertions.emitWithArgs(tx, c, "BondDeposited", [
      job.jobId,
      0n,
      getAddress(job.spec.committee[0] as Address),
      BOND,
    ]);
    await gasOf(m, "depositBond (ETH)", tx);
    for (const i of [1, 2]) await depositBond(m, job, i);
    assert.equal(await m.publicClient.getBalance({ address: c.address }), before + 3n * BOND);
    const [bonded] = await c.read.bondsOf([job.jobId]);
    assert.equal(bonded, indexMask([0, 1, 2]));
    assert.equal(committeeFullyBonded(job.spec, bonded), true);
  });

  it("token jobs bond in the stake token; a job that expires without bids returns every bond (pull-based)", async () => {
    const m = await loadMarket();
    const c = m.multiPartyCoordinator;
    const job = await postMultiPartyJob(m, { memberBond: BOND, asset: m.stakeToken.address });
    await gasOf(m, "depositBond (token)", depositBond(m, job, 0));
    await depositBond(m, job, 2);
    assert.equal(await m.stakeToken.read.balanceOf([c.address]), 2n * BOND);
    await networkHelpers.time.increaseTo(job.terms.bidDeadline);
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Expired);
    await viem.assertions.emitWithArgs(settleBonds(m, job), c, "BondsSettled", [
      job.jobId,
      indexMask([0, 2]),
      0n,
      0n,
      0n,
    ]);
    const member = job.members[2] as Wallet;
    assert.equal(await c.read.owed([m.stakeToken.address, member.account.address]), BOND);
    const before = await m.stakeToken.read.balanceOf([m.stranger.account.address]);
    await c.write.withdrawOwed([m.stakeToken.address, m.stranger.account.address], {
      account: member.account,
    });
    assert.equal(await m.stakeToken.read.balanceOf([m.stranger.account.address]), before + BOND);
    assert.equal(await m.stakeToken.read.balanceOf([c.address]), BOND, "member 0's bond is still owed");
  });

  it("bond errors: no bond asked, not the member, index, wrong value, twice, after the bid deadline, cancelled, another coordinator", async () => {
    const m = await loadMarket();
    const c = m.multiPartyCoordinator;
    const unbonded = await postMultiPartyJob(m);
    await viem.assertions.revertWithCustomErrorWithArgs(
      c.write.depositBond([unbonded.jobId, unbonded.terms, unbonded.spec, 0n], {
        account: (unbonded.members[0] as Wallet).account,
      }),
      c,
      "MultiPartyBondsNotRequired",
      [unbonded.jobId],
    );

    const job = await postMultiPartyJob(m, { memberBond: BOND });
    const member0 = job.members[0] as Wallet;
    const deposit = (i: bigint, from: Wallet, value: bigint) =>
      c.write.depositBond([job.jobId, job.terms, job.spec, i], { account: from.account, value });
    await viem.assertions.revertWithCustomErrorWithArgs(
      deposit(0n, job.parties[0] as Wallet, BOND),
      c,
      "MultiPartyNotCommitteeMember",
      [getAddress(job.spec.dataParties[0] as Address), getAddress(member0.account.address)],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      deposit(3n, member0, BOND),
      c,
      "MultiPartyIndexOutOfRange",
      [3n, 3n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      deposit(0n, member0, BOND - 1n),
      c,
      "MultiPartyWrongBondValue",
      [BOND - 1n, BOND],
    );
    await deposit(0n, member0, BOND);
    await viem.assertions.revertWithCustomErrorWithArgs(
      deposit(0n, member0, BOND),
      c,
      "MultiPartyBondAlreadyDeposited",
      [job.jobId, 0n],
    );
    await networkHelpers.time.increaseTo(job.terms.bidDeadline);
    await viem.assertions.revertWithCustomErrorWithArgs(
      depositBond(m, job, 1),
      c,
      "MultiPartyDeadlinePassed",
      [job.terms.bidDeadline],
    );

    // ETH sent with a token bond.
    const tokenJob = await postMultiPartyJob(m, { memberBond: BOND, asset: m.stakeToken.address });
    await viem.assertions.revertWithCustomErrorWithArgs(
      c.write.depositBond([tokenJob.jobId, tokenJob.terms, tokenJob.spec, 0n], {
        account: member0.account,
        value: BOND,
      }),
      c,
      "MultiPartyWrongBondValue",
      [BOND, 0n],
    );

    // A cancelled job takes no bond.
    const cancelled = await postMultiPartyJob(m, { memberBond: BOND });
    await m.jobMarket.write.cancelJob(
      [cancelled.jobId, cancelled.terms, ...(await cancelSig(m, cancelled))],
      {
        account: m.relayer.account,
      },
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      depositBond(m, cancelled, 0),
      c,
      "MultiPartyInvalidStatus",
      [cancelled.jobId, JobStatus.Cancelled],
    );

    // A bond deposited with a coordinator the job's config does not name would never count.
    const other = await viem.deployContract("MultiPartyCoordinator", [m.jobMarket.address]);
    const fresh = await postMultiPartyJob(m, { memberBond: BOND });
    await viem.assertions.revertWithCustomErrorWithArgs(
      other.write.depositBond([fresh.jobId, fresh.terms, fresh.spec, 0n], {
        account: member0.account,
        value: BOND,
      }),
      other,
      "MultiPartyWrongCoordinator",
      [getAddress(c.address)],
    );
  });

  it("shares of a bonded job: only from bonded members, and published on-chain (never a bare hash that could be withheld)", async () => {
    const m = await loadMarket();
    const c = m.multiPartyCoordinator;
    const job = await aggregatedBondedJob(m, { bonded: [0, 1] });
    await viem.assertions.revertWithCustomErrorWithArgs(
      recordShare(m, job, 0, recordedHashOf(shareBytes(0))),
      c,
      "MultiPartySharePublicationRequired",
      [job.jobId],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      publishShare(m, job, 2, shareBytes(2)),
      c,
      "MultiPartyBondMissing",
      [job.jobId, 2n],
    );
    const bytes = shareBytes(0);
    const tx = publishShare(m, job, 0, bytes);
    await viem.assertions.emitWithArgs(tx, c, "SharePublished", [job.jobId, 0n, toHex(bytes)]);
    await viem.assertions.emitWithArgs(tx, c, "ShareRecorded", [
      job.jobId,
      0n,
      getAddress(job.spec.committee[0] as Address),
      keccak256(bytes),
    ]);
    await gasOf(m, "publishShare (first, 80-byte stand-in)", tx);
    assert.equal(await c.read.shareHashOf([job.jobId, 0n]), recordedHashOf(bytes));
    // A real share blob of one ciphertext under a 2048-bit key is about 2.4 KB of JSON.
    const realistic = crypto.getRandomValues(new Uint8Array(2_400));
    const quorum = publishShare(m, job, 1, realistic);
    await gasOf(m, "publishShare (2,400-byte share)", quorum);
    await viem.assertions.emitWithArgs(quorum, c, "QuorumReached", [job.jobId, indexMask([0, 1])]);
  });

  it("an honest committee of a completed job gets every bond back: settled once the job is final, withdrawn by pull", async () => {
    const m = await loadMarket();
    const c = m.multiPartyCoordinator;
    const job = await aggregatedBondedJob(m);
    for (const i of [0, 1]) await publishShare(m, job, i, shareBytes(i));
    await viem.assertions.revertWithCustomErrorWithArgs(settleBonds(m, job), c, "MultiPartyJobNotFinished", [
      job.jobId,
      JobStatus.Attested,
    ]);
    await submitResult(m, job);
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Completed);
    const tx = settleBonds(m, job);
    await viem.assertions.emitWithArgs(tx, c, "BondsSettled", [job.jobId, indexMask([0, 1, 2]), 0n, 0n, 0n]);
    await gasOf(m, "settleBonds (3 returned)", tx);
    await viem.assertions.revertWithCustomErrorWithArgs(
      settleBonds(m, job),
      c,
      "MultiPartyBondsAlreadySettled",
      [job.jobId],
    );
    for (const member of job.members) assert.equal(await c.read.owed([ETH, member.account.address]), BOND);

    const member = job.members[1] as Wallet;
    await viem.assertions.revertWithCustomError(
      c.write.withdrawOwed([ETH, zeroAddress], { account: member.account }),
      c,
      "MultiPartyZeroAddress",
    );
    const withdraw = c.write.withdrawOwed([ETH, m.stranger.account.address], { account: member.account });
    await viem.assertions.balancesHaveChanged(withdraw, [
      { address: m.stranger.account.address, amount: BOND },
      { address: c.address, amount: -BOND },
    ]);
    await gasOf(m, "withdrawOwed (ETH)", withdraw);
    await viem.assertions.revertWithCustomErrorWithArgs(
      c.write.withdrawOwed([ETH, m.stranger.account.address], { account: member.account }),
      c,
      "MultiPartyNothingOwed",
      [getAddress(member.account.address), ETH],
    );

    // A job whose spec asks for no bond has nothing to settle.
    const unbonded = await attestedMultiPartyJob(m);
    await viem.assertions.revertWithCustomErrorWithArgs(
      settleBonds(m, unbonded),
      c,
      "MultiPartyBondsNotRequired",
      [unbonded.jobId],
    );
  });

  it("every other end of a bonded job returns every bond: cancelled, provider never attested (Failed)", async () => {
    const m = await loadMarket();
    const c = m.multiPartyCoordinator;
    const cancelled = await postMultiPartyJob(m, { memberBond: BOND });
    for (const i of [0, 1, 2]) await depositBond(m, cancelled, i);
    await m.jobMarket.write.cancelJob(
      [cancelled.jobId, cancelled.terms, ...(await cancelSig(m, cancelled))],
      {
        account: m.relayer.account,
      },
    );
    await viem.assertions.emitWithArgs(settleBonds(m, cancelled), c, "BondsSettled", [
      cancelled.jobId,
      7n,
      0n,
      0n,
      0n,
    ]);

    const failed = await postMultiPartyJob(m, { memberBond: BOND });
    for (const i of [0, 1, 2]) await depositBond(m, failed, i);
    await bid(m, failed, PRICE);
    await networkHelpers.time.increaseTo(failed.terms.attestDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      settleBonds(m, failed),
      c,
      "MultiPartyJobNotFinished",
      [failed.jobId, JobStatus.Matched],
    );
    await m.jobMarket.write.enforceDeadline([failed.jobId, failed.terms]);
    assert.equal(await m.jobMarket.read.statusOf([failed.jobId]), JobStatus.Failed);
    await viem.assertions.emitWithArgs(settleBonds(m, failed), c, "BondsSettled", [
      failed.jobId,
      7n,
      0n,
      0n,
      0n,
    ]);
    for (const member of failed.members)
      assert.equal(await c.read.owed([ETH, member.account.address]), 2n * BOND);
  });

  it("attack: a bonded member colludes with the buyer and withholds its share → its bond is forfeited (70% provider, 30% treasury); the provider keeps its collateral and is paid the fee", async () => {
    const m = await loadMarket();
    const c = m.multiPartyCoordinator;
    const job = await aggregatedBondedJob(m);
    await publishShare(m, job, 0, shareBytes(0));
    // Members 1 and 2 decrypt off-chain with the buyer and record nothing.
    await viem.assertions.revertWithCustomErrorWithArgs(
      reportMissingShares(m, job),
      c,
      "MultiPartyShareWindowOpen",
      [job.spec.shareDeadline],
    );
    await networkHelpers.time.increaseTo(job.spec.shareDeadline + 1n);
    const tx = reportMissingShares(m, job);
    await viem.assertions.emitWithArgs(tx, c, "CommitteeFaultRecorded", [
      job.jobId,
      FailureReason.CommitteeDeadlineMissed,
      indexMask([1, 2]),
    ]);
    await gasOf(m, "reportMissingShares", tx);
    await viem.assertions.revertWithCustomErrorWithArgs(
      reportMissingShares(m, job),
      c,
      "MultiPartyMissingSharesAlreadyReported",
      [job.jobId],
    );
    // The buyer's own agent enforces the deadline: a buyer-side default.
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms], { account: m.buyer.account }),
      m.jobMarket,
      "JobDefaulted",
      [job.jobId, FailureReason.CommitteeDeadlineMissed, FEE, indexMask([1, 2])],
    );

    const expected = bondSettlement({
      spec: job.spec,
      bondedMask: 7n,
      faultyMask: indexMask([1, 2]),
      injuredShareBps: INJURED_SHARE_BPS,
    });
    assert.equal(expected.toProvider, (2n * BOND * 7_000n + 9_999n) / 10_000n);
    const settle = settleBonds(m, job);
    await viem.assertions.emitWithArgs(settle, c, "BondsSettled", [
      job.jobId,
      indexMask([0]),
      indexMask([1, 2]),
      expected.toProvider,
      expected.toTreasury,
    ]);
    await gasOf(m, "settleBonds (1 returned, 2 forfeited)", settle);
    const treasury = await m.providerRegistry.read.treasury();
    assert.equal(await c.read.owed([ETH, m.provider.account.address]), expected.toProvider);
    assert.equal(await c.read.owed([ETH, treasury]), expected.toTreasury);
    assert.equal(await c.read.owed([ETH, job.spec.committee[0] as Address]), BOND);
    assert.equal(await c.read.owed([ETH, job.spec.committee[1] as Address]), 0n);
    // The provider: collateral intact, the fee owed by the market, 70% of two bonds by the coordinator.
    const stake = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);
    assert.deepEqual([stake.free, stake.locked], [PROVIDER_STAKE, 0n]);
    assert.equal(await m.jobMarket.read.owed([ETH, m.provider.account.address]), FEE);
  });

  it("attack: colluding members publish garbage shares → the attested combiner names them, reportBadShares defaults the job, they forfeit (and so does a member that never shared)", async () => {
    const m = await loadMarket();
    const c = m.multiPartyCoordinator;
    const job = await aggregatedBondedJob(m);
    // Member 0 garbage, member 1 valid, member 2 withholds: the quorum counts two hashes.
    await publishShare(m, job, 0, toBytes("garbage that fails its Chaum–Pedersen proof"));
    await publishShare(m, job, 1, shareBytes(1));
    assert.equal(await c.read.quorumReached([job.jobId]), true);
    // While member 2 may still share, one valid share plus one open seat can still reach t = 2.
    await viem.assertions.revertWithCustomErrorWithArgs(
      reportBadShares(m, await badSharesArgs(m, job, [0])),
      c,
      "MultiPartyValidQuorumPossible",
      [1n, 1n, 2],
    );
    assert.equal(
      validQuorumPossible({
        threshold: 2,
        committeeSize: 3,
        shareMask: 3n,
        badMembers: 1n,
        windowOver: false,
      }),
      true,
    );
    await networkHelpers.time.increaseTo(job.spec.shareDeadline + 1n);
    const tx = reportBadShares(m, await badSharesArgs(m, job, [0]), m.stranger);
    await viem.assertions.emitWithArgs(tx, c, "CommitteeFaultRecorded", [
      job.jobId,
      FailureReason.CommitteeBadShares,
      indexMask([0, 2]),
    ]);
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobDefaulted", [
      job.jobId,
      FailureReason.CommitteeBadShares,
      FEE,
      indexMask([0]),
    ]);
    await gasOf(m, "reportBadShares (+ market submitFailure)", tx);
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.BuyerDefaulted);
    // Relayed by the coordinator: the fee is credited to the provider in the market.
    assert.equal(await m.jobMarket.read.owed([ETH, m.provider.account.address]), FEE);
    const expected = bondSettlement({
      spec: job.spec,
      bondedMask: 7n,
      faultyMask: indexMask([0, 2]),
      injuredShareBps: INJURED_SHARE_BPS,
    });
    // Bad shares of a defaulted job may still be reported until its delivery deadline.
    await viem.assertions.revertWithCustomErrorWithArgs(
      settleBonds(m, job),
      c,
      "MultiPartyReportWindowOpen",
      [job.terms.deliveryDeadline],
    );
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    await viem.assertions.emitWithArgs(settleBonds(m, job), c, "BondsSettled", [
      job.jobId,
      indexMask([1]),
      indexMask([0, 2]),
      expected.toProvider,
      expected.toTreasury,
    ]);
    assert.deepEqual(
      expected.returned.map((r) => r.member),
      [1],
    );
  });

  it("too many bad shares for any quorum: the statement is accepted before the share deadline, and a member who had not shared yet is not blamed", async () => {
    const m = await loadMarket();
    const c = m.multiPartyCoordinator;
    const job = await aggregatedBondedJob(m);
    await publishShare(m, job, 0, toBytes("garbage 0"));
    await publishShare(m, job, 1, toBytes("garbage 1"));
    assert.ok((await now()) < job.spec.shareDeadline);
    await viem.assertions.emitWithArgs(
      reportBadShares(m, await badSharesArgs(m, job, [0, 1])),
      c,
      "CommitteeFaultRecorded",
      [job.jobId, FailureReason.CommitteeBadShares, indexMask([0, 1])],
    );
    const [, faulty] = await c.read.bondsOf([job.jobId]);
    assert.equal(faulty, indexMask([0, 1]), "member 2's window was still open");
  });

  it("attack: a buyer that fills every seat with its own keys gains nothing by withholding — every seat's bond goes", async () => {
    const m = await loadMarket();
    const c = m.multiPartyCoordinator;
    const buyerKeys = (await viem.getWalletClients()).slice(12, 15);
    assert.equal(buyerKeys.length, 3, "need 15 accounts");
    // One address cannot take several seats: each seat is bonded separately.
    const sameKey = await postMultiPartyJob(m, {
      memberBond: BOND,
      tweak: (s) => ({
        ...s,
        committee: [m.buyer.account.address, m.buyer.account.address, m.buyer.account.address],
      }),
    });
    await viem.assertions.revertWithCustomErrorWithArgs(
      c.write.depositBond([sameKey.jobId, sameKey.terms, sameKey.spec, 0n], {
        account: m.buyer.account,
        value: BOND,
      }),
      c,
      "MultiPartyDuplicateAccount",
      [getAddress(m.buyer.account.address)],
    );

    const job = await aggregatedBondedJob(m, { members: buyerKeys });
    await networkHelpers.time.increaseTo(job.spec.shareDeadline + 1n);
    await viem.assertions.emitWithArgs(reportMissingShares(m, job), c, "CommitteeFaultRecorded", [
      job.jobId,
      FailureReason.CommitteeDeadlineMissed,
      7n,
    ]);
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    await m.jobMarket.write.enforceDeadline([job.jobId, job.terms], { account: m.provider.account });
    const expected = bondSettlement({
      spec: job.spec,
      bondedMask: 7n,
      faultyMask: 7n,
      injuredShareBps: INJURED_SHARE_BPS,
    });
    await viem.assertions.emitWithArgs(settleBonds(m, job), c, "BondsSettled", [
      job.jobId,
      0n,
      7n,
      expected.toProvider,
      expected.toTreasury,
    ]);
    // The buyer's refund is the escrow less the fee; its three bonds are gone.
    assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), CEILING - FEE);
    for (const key of buyerKeys) assert.equal(await c.read.owed([ETH, key.account.address]), 0n);
    assert.equal(expected.toProvider + expected.toTreasury, 3n * BOND);
  });

  it("attack: bad shares cannot be reported before an aggregate exists (nothing was decrypted yet)", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m, { memberBond: BOND });
    await updatesWithDropout(m, job);
    const args = await badSharesArgs(m, job, [0], { hashes: [keccak256(toBytes("some share"))] });
    await viem.assertions.revertWithCustomErrorWithArgs(
      reportBadShares(m, args),
      m.multiPartyCoordinator,
      "MultiPartyAggregateNotRecorded",
      [job.jobId],
    );
  });

  it("a valid multi-party result verifies only for its own market and chain", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    await updatesWithDropout(m, job);
    await recordAggregate(m, job, AGGREGATE, MASK_0_2);
    await recordShare(m, job, 0, recordedHashOf(shareBytes(0)));
    await recordShare(m, job, 1, recordedHashOf(shareBytes(1)));
    const proof = await multiPartyProof(m, job);
    const claim = trainingClaimOf(m, job);
    const verify = (c: typeof claim) => m.multiPartyCoordinator.read.verifyTraining([c, proof]);
    assert.equal(await verify(claim), true, "its own market and chain");
    assert.equal(await verify({ ...claim, market: m.stranger.account.address }), false, "another market");
    assert.equal(await verify({ ...claim, chainId: claim.chainId + 1n }), false, "another chain");
  });

  it("attack: a provider cannot get members slashed — missing shares only when the committee's own records show it", async () => {
    const m = await loadMarket();
    const c = m.multiPartyCoordinator;
    // No aggregate: the committee had nothing to decrypt.
    const noAggregate = await attestedMultiPartyJob(m, { memberBond: BOND });
    await updatesWithDropout(m, noAggregate);
    await networkHelpers.time.increaseTo(noAggregate.spec.shareDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      reportMissingShares(m, noAggregate),
      c,
      "MultiPartyAggregateNotRecorded",
      [noAggregate.jobId],
    );
    // The quorum was recorded: a missing third share is no fault.
    const job = await aggregatedBondedJob(m);
    for (const i of [0, 1]) await publishShare(m, job, i, shareBytes(i));
    await networkHelpers.time.increaseTo(job.spec.shareDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      reportMissingShares(m, job),
      c,
      "MultiPartyQuorumReached",
      [job.jobId],
    );
    // Once the job is final nothing more can be reported.
    await submitResult(m, job);
    await viem.assertions.revertWithCustomErrorWithArgs(
      reportMissingShares(m, job),
      c,
      "MultiPartyInvalidStatus",
      [job.jobId, JobStatus.Completed],
    );
  });

  it("attack: a provider cannot get members slashed — bad shares only by the attested combiner's statement about the recorded bytes", async () => {
    const m = await loadMarket();
    const c = m.multiPartyCoordinator;
    const job = await aggregatedBondedJob(m);
    for (const i of [0, 1]) await publishShare(m, job, i, shareBytes(i));
    await networkHelpers.time.increaseTo(job.spec.shareDeadline + 1n);
    const enclaveSigner = getAddress((job.enclave as SimulatedEnclave).signer.address);
    const shareMask = indexMask([0, 1]);

    // Signed by the provider's own key instead of the attested enclave's.
    const providerKey = newSimulatedEnclave().signer;
    await viem.assertions.revertWithCustomErrorWithArgs(
      reportBadShares(m, await badSharesArgs(m, job, [0, 1], { signer: providerKey })),
      c,
      "MultiPartyEnclaveSignatureInvalid",
      [getAddress(providerKey.address), enclaveSigner],
    );
    // The host fed its enclave forged bytes for member 0: the enclave signs their hash, which is not
    // the hash member 0 recorded, so the coordinator recovers another signer.
    const forged = await badSharesArgs(m, job, [0, 1], {
      hashes: [recordedHashOf(toBytes("forged by the host")), await c.read.shareHashOf([job.jobId, 1n])],
    });
    const recovered = await recoverTypedDataAddress({
      domain: { ...MULTI_PARTY_RESULT_DOMAIN, chainId: m.chainId, verifyingContract: c.address },
      types: COMMITTEE_BAD_SHARES_TYPES,
      primaryType: "CommitteeBadShares",
      message: {
        jobId: job.jobId,
        aggregateHash: AGGREGATE,
        badMembers: shareMask,
        badShareHashes: await Promise.all([0n, 1n].map((i) => c.read.shareHashOf([job.jobId, i]))),
      },
      signature: forged[4],
    });
    await viem.assertions.revertWithCustomErrorWithArgs(
      reportBadShares(m, forged),
      c,
      "MultiPartyEnclaveSignatureInvalid",
      [recovered, enclaveSigner],
    );
    // Naming a member that recorded no share, or nobody.
    await viem.assertions.revertWithCustomErrorWithArgs(
      reportBadShares(m, await badSharesArgs(m, job, [2], { hashes: [ZERO_HASH] })),
      c,
      "MultiPartyBadMembersNotRecorded",
      [indexMask([2]), shareMask],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      reportBadShares(m, await badSharesArgs(m, job, [])),
      c,
      "MultiPartyBadMembersNotRecorded",
      [0n, shareMask],
    );
    // A JobFailure the market does not accept reverts the whole report: nothing is recorded.
    await viem.assertions.revertWithCustomErrorWithArgs(
      reportBadShares(m, await badSharesArgs(m, job, [0, 1], { failureSigner: providerKey })),
      m.jobMarket,
      "JobMarketFailureSignatureInvalid",
      [getAddress(providerKey.address), enclaveSigner],
    );
    assert.deepEqual(await c.read.bondsOf([job.jobId]), [7n, 0n, false]);

    // With t valid shares recorded, naming one bad share cannot fail the job.
    const full = await aggregatedBondedJob(m);
    for (const i of [0, 1, 2]) await publishShare(m, full, i, shareBytes(i));
    await networkHelpers.time.increaseTo(full.spec.shareDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      reportBadShares(m, await badSharesArgs(m, full, [0])),
      c,
      "MultiPartyValidQuorumPossible",
      [2n, 0n, 2],
    );
  });

  it("attack: the colluders front-run reportBadShares with its JobFailure sent straight to the market → the job defaults without the coordinator, yet the combiner's statement still forfeits the bad members until the delivery deadline", async () => {
    const m = await loadMarket();
    const c = m.multiPartyCoordinator;
    const job = await aggregatedBondedJob(m);
    await publishShare(m, job, 0, toBytes("garbage"));
    await publishShare(m, job, 1, shareBytes(1));
    await networkHelpers.time.increaseTo(job.spec.shareDeadline + 1n);
    const args = await badSharesArgs(m, job, [0]);
    // A colluder copies the JobFailure signature out of the provider's pending transaction.
    await m.jobMarket.write.submitFailure(
      [
        job.jobId,
        job.terms,
        { reason: FailureReason.CommitteeBadShares, dataHash: AGGREGATE, faultyMembers: args[3] },
        args[5],
      ],
      { account: (job.members[0] as Wallet).account },
    );
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.BuyerDefaulted);
    assert.deepEqual(await c.read.bondsOf([job.jobId]), [7n, 0n, false], "no fault recorded yet");
    // The provider's report still lands: the named member only (the market may have ended the job
    // before member 2's window closed), and no second JobFailure.
    const tx = reportBadShares(m, args);
    await viem.assertions.emitWithArgs(tx, c, "CommitteeFaultRecorded", [
      job.jobId,
      FailureReason.CommitteeBadShares,
      indexMask([0]),
    ]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      settleBonds(m, job),
      c,
      "MultiPartyReportWindowOpen",
      [job.terms.deliveryDeadline],
    );
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      reportBadShares(m, args),
      c,
      "MultiPartyDeadlinePassed",
      [job.terms.deliveryDeadline],
    );
    const expected = bondSettlement({
      spec: job.spec,
      bondedMask: 7n,
      faultyMask: indexMask([0]),
      injuredShareBps: INJURED_SHARE_BPS,
    });
    await viem.assertions.emitWithArgs(settleBonds(m, job), c, "BondsSettled", [
      job.jobId,
      indexMask([1, 2]),
      indexMask([0]),
      expected.toProvider,
      expected.toTreasury,
    ]);
  });

  it("a defaulted job for another reason takes no bad-shares report: only Attested or BuyerDefaulted jobs, with an aggregate", async () => {
    const m = await loadMarket();
    const c = m.multiPartyCoordinator;
    const job = await aggregatedBondedJob(m);
    for (const i of [0, 1]) await publishShare(m, job, i, shareBytes(i));
    await submitResult(m, job);
    await viem.assertions.revertWithCustomErrorWithArgs(
      reportBadShares(m, await badSharesArgs(m, job, [0])),
      c,
      "MultiPartyInvalidStatus",
      [job.jobId, JobStatus.Completed],
    );
  });

  it("gas of the bond calls (docs/MULTIPARTY.md)", () => {
    console.log("      gas (docs/MULTIPARTY.md, bonds):");
    for (const [k, v] of Object.entries(bondGas)) {
      console.log(`        ${k.padEnd(42)} ${v.toLocaleString("en-US").padStart(8)}`);
    }
    assert.ok(Object.keys(bondGas).length >= 8, "every bond call was measured");
  });
});

/** EIP-7883 price of one MODEXP call (osaka): max(500, mult_complexity × iteration_count). */
function modexpPrice(
  baseLength: number,
  exponent: bigint,
  exponentLength: number,
  modulusLength: number,
): bigint {
  const maxLength = Math.max(baseLength, modulusLength);
  const words = BigInt(Math.ceil(maxLength / 8));
  const complexity = maxLength > 32 ? 2n * words * words : 16n;
  // The bit length counted is that of the exponent's FIRST 32 bytes (its most significant ones).
  const head = exponentLength <= 32 ? exponent : exponent >> BigInt(8 * (exponentLength - 32));
  const headBits = head === 0n ? 0n : BigInt(head.toString(2).length);
  let iterations: bigint;
  if (exponentLength <= 32) iterations = head === 0n ? 0n : headBits - 1n;
  else iterations = 16n * BigInt(exponentLength - 32) + (head === 0n ? 0n : headBits - 1n);
  if (iterations < 1n) iterations = 1n;
  const price = complexity * iterations;
  return price > 500n ? price : 500n;
}

function randomOperand(bytes: number): bigint {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  b[0] = (b[0] as number) | 0x80; // full length
  b[bytes - 1] = (b[bytes - 1] as number) | 1; // odd (a modulus n² is odd)
  return BigInt(toHex(b));
}

function modPowReference(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

describe("MODEXP (0x05) under osaka: what checking a share proof on-chain would cost", () => {
  it("4096-bit operands (n² of a 2048-bit key): measured gas = EIP-7883's price; one proof needs ~147 M gas, over 8 transactions' cap", async () => {
    const m = await loadMarket();
    const modexp = await viem.deployContract("TestModExp");
    const TX_GAS_CAP = 1n << 24n; // EIP-7825 (osaka): the most one transaction may use
    const MOD_BYTES = 512;
    const modulus = randomOperand(MOD_BYTES);
    const base = randomOperand(MOD_BYTES) % modulus;
    const hex = (v: bigint, bytes: number) => toHex(v, { size: bytes });
    // An eth_call with exactly the transaction cap (EDR refuses more under osaka).
    const measure = async (exponent: bigint, bytes: number) => {
      const args = [hex(base, MOD_BYTES), hex(exponent, bytes), hex(modulus, MOD_BYTES), TX_GAS_CAP] as const;
      const { data } = await m.publicClient.call({
        to: modexp.address,
        data: encodeFunctionData({ abi: modexp.abi, functionName: "measure", args }),
        gas: TX_GAS_CAP,
      });
      return decodeFunctionResult({ abi: modexp.abi, functionName: "measure", data: data ?? "0x" });
    };

    // The share proof's exponents (sdk/paillier/threshold.ts, verifyDecryptionShare): c^4, the
    // 256-bit challenge e twice, and the response z < 2^(R+1), R = |n²| + |Δ| + 256 + 128, twice.
    const delta = 6n; // Δ = 3! for a committee of 3
    const responseBits = 4096 + delta.toString(2).length + 256 + 128 + 1;
    const rows: [string, number][] = [
      ["exponent 4 (c^4)", 1],
      ["256-bit exponent (challenge e)", 32],
      ["1024-bit exponent", 128],
      ["4096-bit exponent", 512],
      [`${responseBits}-bit exponent (response z)`, Math.ceil(responseBits / 8)],
    ];
    const table: string[] = [];
    let overhead: bigint | undefined;
    const price: Record<string, bigint> = {};
    for (const [label, bytes] of rows) {
      const exponent = bytes === 1 ? 4n : randomOperand(bytes);
      const expected = modexpPrice(MOD_BYTES, exponent, bytes, MOD_BYTES);
      price[label] = expected;
      const [ok, gasUsed, result] = await measure(exponent, bytes);
      if (expected < TX_GAS_CAP) {
        assert.equal(ok, true, label);
        assert.equal(BigInt(result), modPowReference(base, exponent, modulus), `${label}: the result`);
        // The STATICCALL's warm access and two GAS opcodes on top of the precompile's price.
        overhead ??= gasUsed - expected;
        assert.equal(gasUsed - expected, overhead, `${label}: measured = EIP-7883 price + call overhead`);
        table.push(`${label.padEnd(36)} ${gasUsed.toLocaleString("en-US").padStart(12)} (measured)`);
      } else {
        assert.equal(ok, false, `${label} cannot run within a transaction's gas`);
        table.push(
          `${label.padEnd(36)} ${expected.toLocaleString("en-US").padStart(12)} (EIP-7883; out of gas)`,
        );
      }
    }
    assert.equal(overhead, 132n);
    const z = price[rows[4]?.[0] as string] as bigint;
    const e = price[rows[1]?.[0] as string] as bigint;
    const c4 = price[rows[0]?.[0] as string] as bigint;
    const perProof = 2n * z + 2n * e + c4;
    console.log("      MODEXP, 4096-bit base and modulus (osaka, EIP-7883):");
    for (const line of table) console.log(`        ${line}`);
    console.log(
      `        one share proof ≥ ${perProof.toLocaleString("en-US")} gas (2 z + 2 e + c^4, without the modular products), ` +
        `${(Number(perProof) / Number(TX_GAS_CAP)).toFixed(1)} × the 2^24 transaction cap`,
    );
    assert.ok(z > TX_GAS_CAP * 4n, "one response exponentiation alone exceeds four transactions");
    assert.ok(perProof > 8n * TX_GAS_CAP);
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
      { ...job.spec, memberBond: 1n },
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
    expect({ ...spec, memberBond: -1n }, undefined, /^memberBond must be an integer in \[0, 2\^96\)/);
    expect({ ...spec, memberBond: 1n << 96n }, undefined, /^memberBond must be an integer/);
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

describe("SDK: committee bonds", () => {
  it("mask helpers, the valid-quorum rule and the settlement split mirror the coordinator", () => {
    assert.deepEqual(maskIndices(0n), []);
    assert.deepEqual(maskIndices(indexMask([0, 2, 254])), [0, 2, 254]);
    assert.equal(unsharedMembers(3, indexMask([1])), indexMask([0, 2]));
    assert.equal(unsharedMembers(3, 7n), 0n);
    const spec = {
      committee: [
        "0x00000000000000000000000000000000000000a1" as Address,
        "0x00000000000000000000000000000000000000a2" as Address,
        "0x00000000000000000000000000000000000000a3" as Address,
      ],
      memberBond: 10n,
    };
    assert.equal(committeeFullyBonded({ ...spec, memberBond: 0n }, 0n), true, "no bonds asked");
    assert.equal(committeeFullyBonded(spec, 3n), false);
    assert.equal(committeeFullyBonded(spec, 7n), true);
    // 2-of-3: the window open with one share recorded and none bad can still make it; bad shares count out.
    const q = { threshold: 2, committeeSize: 3 };
    assert.equal(validQuorumPossible({ ...q, shareMask: 1n, badMembers: 0n, windowOver: false }), true);
    assert.equal(validQuorumPossible({ ...q, shareMask: 3n, badMembers: 3n, windowOver: false }), false);
    assert.equal(validQuorumPossible({ ...q, shareMask: 3n, badMembers: 1n, windowOver: true }), false);
    assert.equal(validQuorumPossible({ ...q, shareMask: 7n, badMembers: 1n, windowOver: true }), true);
    // A bad member outside the recorded shares does not count against the valid ones.
    assert.equal(validQuorumPossible({ ...q, shareMask: 3n, badMembers: 4n, windowOver: true }), true);
    // Forfeits: the provider's share rounds up, the parts sum to the whole; unbonded faulty members forfeit nothing.
    const s = bondSettlement({
      spec,
      bondedMask: indexMask([0, 1]),
      faultyMask: indexMask([1, 2]),
      injuredShareBps: 7_000,
    });
    assert.deepEqual(s.returned, [{ member: 0, account: spec.committee[0], amount: 10n }]);
    assert.equal(s.forfeitedMembers, indexMask([1]));
    assert.deepEqual([s.toProvider, s.toTreasury], [7n, 3n]);
    const odd = bondSettlement({
      spec: { ...spec, memberBond: 3n },
      bondedMask: 1n,
      faultyMask: 1n,
      injuredShareBps: 5_000,
    });
    assert.deepEqual([odd.toProvider, odd.toTreasury], [2n, 1n]);
  });
});
