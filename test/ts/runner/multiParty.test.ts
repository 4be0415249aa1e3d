// The multi-party flow of a training job (issues 6 and 12, enclave-runner/multiparty): the enclave
// deals a 2-of-3 threshold Paillier key, two of three data parties train locally from C0 and submit
// encrypted clipped updates (party 2 drops out), the provider's enclave aggregates exactly the
// recorded updates and vouches for the aggregate, committee members 0 and 2 decrypt with proofs
// while member 1's wrong share is excluded, and the combined average applied to C0 is the adapter
// the market settles on. Then the crypto paths' refusals (a tampered update, a tampered or
// substituted aggregate, fewer than t valid shares) and the bonded committee: members bond before
// the bid, publish their shares on-chain, the combiner names only the shares it judged bad, its
// statement defaults the job and forfeits exactly those bonds.
//
// Key sizes: the end-to-end flow uses a real 2048-bit key (safe primes searched on all cores); the
// negative tests use 512-bit INSECURE test keys (insecureTestKeyBits), since they exercise checks
// whose outcome does not depend on the key size.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Address, bytesToHex, getAddress, type Hex, parseEther, toHex } from "viem";
import {
  aggregateUpdates,
  combineShares,
  dealJobKey,
  depositMemberBond,
  encodeJsonBlob,
  InsufficientCommitteeSharesError,
  jobIdHex,
  loadDealerOutput,
  loadRecordedAggregate,
  type MultiPartyContext,
  MultiPartyFlowError,
  type MultiPartyWallet,
  publishShare,
  readBonds,
  recordShare,
  reportBadShares,
  SHARE_BLOB_FORMAT,
  type SubmitUpdateResult,
  settleBonds,
  shareAggregate,
  signBadSharesStatement,
  signCombinedResult,
  submitUpdate,
} from "../../../enclave-runner/multiparty/index.ts";
import { trainAllSegments } from "../../../enclave-runner/trainer/sgd.ts";
import {
  buildJobTerms,
  newBuyerSecrets,
  newSimulatedEnclave,
  type SimulatedEnclave,
} from "../../../scripts/lib/market.ts";
import { syntheticTask } from "../../../scripts/lib/syntheticTask.ts";
import { type BlobId, MemoryBlobStore } from "../../../sdk/blobs/blobStore.ts";
import { signTrainingResult } from "../../../sdk/enclaveStatements.ts";
import { generateRecipientKeyPair, type RecipientKeyPair } from "../../../sdk/envelope/index.ts";
import {
  hashMultiPartySpec,
  indexMask,
  type MultiPartySpec,
  RecordedHashMismatchError,
  recordedHashOf,
} from "../../../sdk/multiParty.ts";
import { InsufficientSharesError } from "../../../sdk/paillier/errors.ts";
import { PaillierEncryptor } from "../../../sdk/paillier/paillier.ts";
import { openKeyShare } from "../../../sdk/paillier/seal.ts";
import { decryptionShareBatchToJson } from "../../../sdk/paillier/serialize.ts";
import { createDecryptionShareBatch, type DecryptionShareBatch } from "../../../sdk/paillier/threshold.ts";
import { commitWeights, flattenWeights } from "../../../sdk/training/commitment.ts";
import type { AdapterWeights } from "../../../sdk/training/params.ts";
import { specHash } from "../../../sdk/training/params.ts";
import { getPoseidon } from "../../../sdk/training/poseidon.ts";
import { ETH, FailureReason, JobStatus, type JobTerms } from "../../../sdk/types.ts";
import {
  attestationArgs,
  bid,
  CEILING,
  endBidding,
  loadMarket,
  type Market,
  networkHelpers,
  now,
  viem,
} from "../../support/fixture.ts";
import { SEGMENT_TEST_PARAMS } from "../../support/zk.ts";

const PARAMS = SEGMENT_TEST_PARAMS;
const PRICE = CEILING / 2n;
/** Clip of each update coordinate: below some of the synthetic updates, so clipping is exercised. */
const CLIP = 0.125;
const SCALE = 2 ** 16;
const INSECURE_TEST_KEY_BITS = 512;
/** Each member's bond in the bonded tests. */
const BOND = parseEther("0.25");

/** C0: the adapter after a first run on rows no party holds (non-zero, so "applied to C0" shows). */
const C0: AdapterWeights = (() => {
  const task = syntheticTask(PARAMS, 7);
  return trainAllSegments(task.initialWeights, task.trainRows, PARAMS);
})();
/** Party i's private rows. */
const partyRows = (i: number) => syntheticTask(PARAMS, 11 + i).trainRows;

type Job = {
  context: MultiPartyContext;
  /** The attested enclave: its signing key settles the job. */
  enclave: SimulatedEnclave;
  parties: MultiPartyWallet[];
  members: MultiPartyWallet[];
  memberKeys: RecipientKeyPair[];
};

/**
 * Posts a 3-party job with a 2-of-3 committee (real X25519 keys, real specHash of C0); with a bond,
 * every member deposits it before the bid (depositMemberBond); then bids and attests.
 */
async function attestedMultiPartyJob(m: Market, memberBond = 0n): Promise<Job> {
  const wallets = await viem.getWalletClients();
  const parties = wallets.slice(6, 9);
  const members = wallets.slice(9, 12);
  assert.equal(parties.length + members.length, 6, "need 12 accounts");
  const memberKeys = members.map(() => generateRecipientKeyPair());
  const secrets = newBuyerSecrets(m.stranger.account.address);
  const base = buildJobTerms({
    now: await now(),
    secrets,
    priceCeiling: CEILING,
    configId: await m.jobMarket.read.currentConfigId(),
  });
  const updateDeadline = base.attestDeadline + 600n;
  const spec: MultiPartySpec = {
    dataParties: parties.map((w) => w.account.address),
    committee: members.map((w) => w.account.address),
    committeeKeys: memberKeys.map((k) => bytesToHex(k.publicKey)),
    updateDeadline,
    aggregateDeadline: updateDeadline + 600n,
    shareDeadline: updateDeadline + 1_200n,
    memberBond,
  };
  const poseidon = await getPoseidon();
  const terms: JobTerms = {
    ...base,
    specHash: toHex(specHash(poseidon, commitWeights(poseidon, C0), PARAMS), { size: 32 }),
    parties: 3,
    threshold: 2,
    committeeSize: 3,
    committeeHash: hashMultiPartySpec(spec),
  };
  await m.jobMarket.write.postJob([terms], { account: m.buyer.account, value: terms.priceCeiling });
  const jobId = await m.jobMarket.read.jobCount();
  const context: MultiPartyContext = {
    publicClient: m.publicClient,
    coordinator: m.multiPartyCoordinator.address,
    jobId,
    terms,
    spec,
    blobs: new MemoryBlobStore(),
  };
  if (memberBond !== 0n) {
    for (const [i, wallet] of members.entries()) await depositMemberBond({ context, wallet, memberIndex: i });
  }
  const posted = { jobId, terms, secrets };
  await bid(m, posted, PRICE);
  await endBidding(posted);
  const enclave = newSimulatedEnclave();
  await m.jobMarket.write.submitAttestation(
    [jobId, terms, ...(await attestationArgs(m, posted, { enclave }))],
    {
      account: m.provider.account,
    },
  );
  return { context, enclave, parties, members, memberKeys };
}

const training = (i: number) => ({ initialWeights: C0, params: PARAMS, rows: partyRows(i) });

/** Parties 0 and 1 submit their updates (party 2 drops out). */
async function submitTwo(job: Job, dealerOutputId: BlobId): Promise<SubmitUpdateResult[]> {
  const out: SubmitUpdateResult[] = [];
  for (const i of [0, 1]) {
    const wallet = job.parties[i] as MultiPartyWallet;
    out.push(
      await submitUpdate({
        context: job.context,
        wallet,
        partyIndex: i,
        dealerOutputId,
        training: training(i),
      }),
    );
  }
  return out;
}

/** The reference: party i's update clipped to ±CLIP, computed here from the SGD reference. */
function expectedClippedUpdate(i: number): number[] {
  const after = flattenWeights(trainAllSegments(C0, partyRows(i), PARAMS));
  const before = flattenWeights(C0);
  return after.map((v, j) => {
    const x = Number(v - (before[j] as bigint)) / 2 ** PARAMS.fracBits;
    return Math.max(-CLIP, Math.min(CLIP, x));
  });
}

/** A job dealt with a small test key, parties 0 and 1 submitted, the update window over. */
async function aggregatedTestJob(m: Market, memberBond = 0n) {
  const job = await attestedMultiPartyJob(m, memberBond);
  job.context.insecureTestKeyBits = INSECURE_TEST_KEY_BITS;
  const dealt = await dealJobKey({
    context: job.context,
    codec: { clip: CLIP },
    insecureTestKeyBits: INSECURE_TEST_KEY_BITS,
    parallelPrimes: false,
  });
  const updates = await submitTwo(job, dealt.dealerOutputId);
  await networkHelpers.time.increaseTo(job.context.spec.updateDeadline + 1n);
  return { job, dealt, updates };
}

/** Member `member` records a share blob holding `batch` (a forged or replayed one). */
async function recordForgedShare(job: Job, member: number, batch: DecryptionShareBatch, aggregateHash: Hex) {
  const bytes = encodeJsonBlob({
    format: SHARE_BLOB_FORMAT,
    version: 1,
    jobId: jobIdHex(job.context.jobId),
    aggregateHash,
    member,
    batch: decryptionShareBatchToJson(batch),
  });
  const id = await job.context.blobs.put(bytes);
  const wallet = job.members[member] as MultiPartyWallet;
  if (job.context.spec.memberBond === 0n)
    await recordShare(job.context, wallet, member, recordedHashOf(bytes));
  else await publishShare(job.context, wallet, member, bytes);
  return id;
}

/** Flips one bit in the last ciphertext byte of a blob and stores the result (a new blob id). */
async function tampered(job: Job, id: BlobId): Promise<BlobId> {
  const bytes = await job.context.blobs.get(id);
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
  return job.context.blobs.put(bytes);
}

/** Member `member`'s key share, opened with its X25519 secret key. */
async function memberKeyShare(job: Job, dealerOutputId: BlobId, member: number) {
  const dealer = await loadDealerOutput(job.context, dealerOutputId);
  const sealed = dealer.output.dealer.sealedShares[member];
  assert.ok(sealed);
  const secretKey = (job.memberKeys[member] as RecipientKeyPair).secretKey;
  return { dealer, keyShare: await openKeyShare(sealed, secretKey, job.context.jobId, dealer.parameters) };
}

const secretKeyOf = (job: Job, member: number) => (job.memberKeys[member] as RecipientKeyPair).secretKey;

describe("multi-party training flow (enclave-runner/multiparty)", () => {
  it("3 parties (one drops out), 2-of-3 committee, one bad share: the averaged update lands on C0 and settles", async () => {
    assert.equal(PARAMS.features, 4);
    assert.equal(PARAMS.classes, 2);
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    const { context } = job;
    const coordinator = m.multiPartyCoordinator;
    const timings: Record<string, number> = {};

    // Dealer (in the enclave): a real 2048-bit key; the shares sealed to the members' X25519 keys.
    const dealt = await dealJobKey({ context, codec: { clip: CLIP } });
    timings.keygen_2048 = dealt.keygenMs;
    const { dealerOutputId, publicKeyCommitment } = dealt;
    const loaded = await loadDealerOutput(context, dealerOutputId, publicKeyCommitment);
    assert.equal(loaded.parameters.publicKey.bits, 2048);
    assert.equal(loaded.parameters.threshold, 2);
    assert.deepEqual(
      dealt.output.dealer.sealedShares.map((s) => s.recipientPublicKey),
      context.spec.committeeKeys.map((k) => k.toLowerCase()),
    );
    assert.equal(loaded.codec.clip, CLIP);
    assert.equal(loaded.codec.parties, 3);

    // Parties 0 and 1 train locally and submit; party 2 trains but drops out before submitting.
    const updates = await submitTwo(job, dealerOutputId);
    timings.encrypt_per_party = Math.max(...updates.map((u) => u.timings.encryptMs));
    const expected = [expectedClippedUpdate(0), expectedClippedUpdate(1)];
    updates.forEach((u, i) => {
      assert.equal(u.update.length, PARAMS.classes * (PARAMS.features + 1));
      assert.deepEqual(
        u.encoded.map((q) => q / u.scale),
        expected[i],
        `party ${i} encrypted its clipped update`,
      );
    });
    assert.ok(
      updates.some((u) => u.update.some((x) => Math.abs(x) > CLIP)),
      "some coordinate is clipped, so the test sees clipping",
    );
    const dropout = await context.blobs.put(new TextEncoder().encode("party 2's update, never recorded"));
    assert.deepEqual(await coordinator.read.recordsOf([context.jobId]), [2n, indexMask([0, 1]), 0n, 0n]);

    // The aggregator waits for the window: not every party submitted.
    const updateBlobs = new Map<number, BlobId>([
      [0, updates[0]?.updateId as BlobId],
      [1, updates[1]?.updateId as BlobId],
      [2, dropout],
    ]);
    await assert.rejects(
      aggregateUpdates({
        context,
        wallet: m.provider,
        enclaveSigner: job.enclave.signer,
        dealerOutputId,
        updates: updateBlobs,
      }),
      (e: unknown) => e instanceof MultiPartyFlowError && e.code === "WindowOpen",
    );
    await networkHelpers.time.increaseTo(context.spec.updateDeadline + 1n);
    const aggregated = await aggregateUpdates({
      context,
      wallet: m.provider,
      enclaveSigner: job.enclave.signer,
      dealerOutputId,
      updates: updateBlobs,
    });
    timings.aggregate = aggregated.aggregateMs;
    assert.deepEqual(aggregated.includedParties, [0, 1]);
    assert.equal(aggregated.includedMask, indexMask([0, 1]));
    assert.equal(await coordinator.read.aggregateHashOf([context.jobId]), aggregated.aggregateHash);

    // Members 0 and 2 decrypt the recorded aggregate; member 1 records a share with a wrong exponent.
    const { aggregateId, aggregateHash } = aggregated;
    const shares = new Map<number, BlobId>();
    for (const member of [0, 2]) {
      const r = await shareAggregate({
        context,
        wallet: job.members[member] as MultiPartyWallet,
        memberIndex: member,
        secretKey: secretKeyOf(job, member),
        dealerOutputId,
        aggregateId,
        expectedKeyCommitment: publicKeyCommitment,
      });
      timings[`share_member_${member}`] = r.shareMs;
      assert.equal(await coordinator.read.shareHashOf([context.jobId, BigInt(member)]), r.shareHash);
      shares.set(member, r.shareId);
    }
    const { keyShare } = await memberKeyShare(job, dealerOutputId, 1);
    const { ciphertexts } = await loadRecordedAggregate(
      context,
      aggregateId,
      loaded.parameters,
      publicKeyCommitment,
    );
    const wrongExponent = createDecryptionShareBatch(
      { ...keyShare, secret: keyShare.secret + 1n },
      ciphertexts,
    );
    shares.set(1, await recordForgedShare(job, 1, wrongExponent, aggregateHash));
    assert.equal(await coordinator.read.quorumReached([context.jobId]), true);

    // Combine: member 1 is excluded and named; t valid shares remain.
    const combined = await combineShares({
      context,
      dealerOutputId,
      aggregateId,
      shares,
      training: { initialWeights: C0, params: PARAMS },
      expectedKeyCommitment: publicKeyCommitment,
    });
    timings.combine = combined.combineMs;
    assert.deepEqual(combined.usedMembers, [0, 2]);
    assert.deepEqual(combined.rejected, [{ member: 1, reason: "proof does not verify" }]);
    assert.equal(combined.contributions, 2);
    assert.deepEqual(combined.includedParties, [0, 1]);

    // The decoded sum is exactly what the two parties encoded (and their clipped updates, to 1/scale).
    const [u0, u1] = updates as [SubmitUpdateResult, SubmitUpdateResult];
    assert.deepEqual(
      Array.from(combined.sumIntegers),
      u0.encoded.map((q, j) => q + (u1.encoded[j] as number)),
    );
    const [e0, e1] = expected as [number[], number[]];
    combined.sum.forEach((s, j) => {
      assert.ok(Math.abs(s - ((e0[j] as number) + (e1[j] as number))) <= 1 / SCALE, `sum[${j}]`);
    });

    // New weights: C0 + the average, rounded half away from zero, computed independently here.
    const c0 = flattenWeights(C0);
    const want = c0.map((w, j) => {
      const avg = (((e0[j] as number) + (e1[j] as number)) / 2) * 2 ** PARAMS.fracBits;
      return w + BigInt(Math.sign(avg) * Math.round(Math.abs(avg)));
    });
    assert.deepEqual(flattenWeights(combined.weights), want);
    assert.notDeepEqual(flattenWeights(combined.weights), c0);

    // Settlement: the attested enclave signs the combined adapter's commitment over the recorded
    // aggregate (MultiPartyCoordinator.verifyTraining; trust in the enclave, not a ZK proof).
    const poseidon = await getPoseidon();
    const modelCommitment = toHex(commitWeights(poseidon, combined.weights), { size: 32 });
    const result = await signCombinedResult(context, job.enclave.signer, combined.weights);
    assert.equal(result.modelCommitment, modelCommitment);
    const delivered = {
      modelCommitment: result.modelCommitment,
      modelCiphertextHash: aggregateHash, // stands for the encrypted adapter's hash
      thresholdMet: true,
      proof: result.proof,
    };
    const enclaveSignature = await signTrainingResult({
      enclaveKey: job.enclave.signer,
      chainId: m.chainId,
      jobMarket: m.jobMarket.address,
      jobId: context.jobId,
      ...delivered,
    });
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.submitResult([context.jobId, context.terms, { ...delivered, enclaveSignature }], {
        account: m.provider.account,
      }),
      m.jobMarket,
      "PaymentReleased",
      [context.jobId, getAddress(m.provider.account.address as Address), PRICE],
    );
    assert.equal(await m.jobMarket.read.statusOf([context.jobId]), JobStatus.Completed);

    console.log("      timings (ms, 2048-bit key, 10 values, 1 ciphertext per vector):");
    for (const [k, v] of Object.entries(timings))
      console.log(`        ${k.padEnd(20)} ${v.toFixed(0).padStart(7)}`);
  });

  it("the aggregator rejects a tampered party blob, naming the party, and records nothing", async () => {
    const m = await loadMarket();
    const { job, dealt, updates } = await aggregatedTestJob(m);
    const { context } = job;
    const id0 = updates[0]?.updateId as BlobId;
    const id1 = updates[1]?.updateId as BlobId;
    const run = (u: [number, BlobId][]) =>
      aggregateUpdates({
        context,
        wallet: m.provider,
        enclaveSigner: job.enclave.signer,
        dealerOutputId: dealt.dealerOutputId,
        updates: new Map(u),
      });

    await assert.rejects(
      run([
        [0, id0],
        [1, await tampered(job, id1)],
      ]),
      (e: unknown) =>
        e instanceof RecordedHashMismatchError &&
        e.shortMessage === "party 1's update does not match its on-chain hash" &&
        e.expected === updates[1]?.updateHash,
    );
    // Party 0's (valid) ciphertext handed in as party 1's: refused the same way.
    await assert.rejects(
      run([
        [0, id0],
        [1, id0],
      ]),
      /party 1's update does not match its on-chain hash/,
    );
    await assert.rejects(
      run([[0, id0]]),
      (e: unknown) =>
        e instanceof MultiPartyFlowError &&
        e.code === "MissingBlob" &&
        e.shortMessage === "MissingBlob: party 1 recorded an update but no blob id was given",
    );
    assert.equal(await m.multiPartyCoordinator.read.aggregateRecorded([context.jobId]), false);
    // The untampered blobs still aggregate.
    const ok = await run([
      [0, id0],
      [1, id1],
    ]);
    assert.deepEqual(ok.includedParties, [0, 1]);
  });

  it("a member refuses a tampered aggregate and never decrypts a party's update", async () => {
    const m = await loadMarket();
    const job = await attestedMultiPartyJob(m);
    job.context.insecureTestKeyBits = INSECURE_TEST_KEY_BITS;
    const { context } = job;
    const dealt = await dealJobKey({
      context,
      codec: { clip: CLIP },
      insecureTestKeyBits: INSECURE_TEST_KEY_BITS,
      parallelPrimes: false,
    });
    const updates = await submitTwo(job, dealt.dealerOutputId);
    const share = (aggregateId: BlobId) =>
      shareAggregate({
        context,
        wallet: job.members[0] as MultiPartyWallet,
        memberIndex: 0,
        secretKey: secretKeyOf(job, 0),
        dealerOutputId: dealt.dealerOutputId,
        aggregateId,
      });
    const party0 = updates[0]?.updateId as BlobId;

    // Before any aggregate is recorded, a member decrypts nothing — not even a valid party ciphertext.
    await assert.rejects(
      share(party0),
      (e: unknown) =>
        e instanceof MultiPartyFlowError &&
        e.code === "NotRecorded" &&
        /no recorded aggregate/.test(e.message),
    );

    await networkHelpers.time.increaseTo(context.spec.updateDeadline + 1n);
    const aggregated = await aggregateUpdates({
      context,
      wallet: m.provider,
      enclaveSigner: job.enclave.signer,
      dealerOutputId: dealt.dealerOutputId,
      updates: new Map(updates.map((u, i) => [i, u.updateId])),
    });
    // After it: a party's individual update is not the recorded aggregate, nor is a tampered copy.
    for (const id of [party0, await tampered(job, aggregated.aggregateId)]) {
      await assert.rejects(
        share(id),
        (e: unknown) =>
          e instanceof RecordedHashMismatchError &&
          e.shortMessage === "the aggregate does not match its on-chain hash" &&
          e.expected === aggregated.aggregateHash,
      );
    }
    // The combiner refuses it too.
    await assert.rejects(
      combineShares({
        context,
        dealerOutputId: dealt.dealerOutputId,
        aggregateId: party0,
        shares: new Map(),
        training: { initialWeights: C0, params: PARAMS },
      }),
      RecordedHashMismatchError,
    );
    assert.deepEqual(await m.multiPartyCoordinator.read.recordsOf([context.jobId]), [
      2n,
      indexMask([0, 1]),
      0n,
      0n,
    ]);
    // The genuine aggregate is accepted by the same member.
    const ok = await share(aggregated.aggregateId);
    assert.equal(await m.multiPartyCoordinator.read.shareHashOf([context.jobId, 0n]), ok.shareHash);
  });

  it("fewer than t valid shares throws InsufficientSharesError naming the bad members", async () => {
    const m = await loadMarket();
    const { job, dealt, updates } = await aggregatedTestJob(m);
    const { context } = job;
    const { dealerOutputId } = dealt;
    const aggregated = await aggregateUpdates({
      context,
      wallet: m.provider,
      enclaveSigner: job.enclave.signer,
      dealerOutputId,
      updates: new Map(updates.map((u, i) => [i, u.updateId])),
    });
    const { aggregateId, aggregateHash } = aggregated;

    // Member 0 honest; member 1 a wrong exponent; member 2 a valid proof for other ciphertexts (replay).
    const honest = await shareAggregate({
      context,
      wallet: job.members[0] as MultiPartyWallet,
      memberIndex: 0,
      secretKey: secretKeyOf(job, 0),
      dealerOutputId,
      aggregateId,
    });
    const one = await memberKeyShare(job, dealerOutputId, 1);
    const { ciphertexts } = await loadRecordedAggregate(
      context,
      aggregateId,
      one.dealer.parameters,
      one.dealer.publicKeyCommitment,
    );
    const wrong = createDecryptionShareBatch(
      { ...one.keyShare, secret: one.keyShare.secret + 1n },
      ciphertexts,
    );
    const two = await memberKeyShare(job, dealerOutputId, 2);
    const other = new PaillierEncryptor(two.dealer.parameters.publicKey).encryptMany(
      two.dealer.codec.encode(new Float64Array(10).fill(0.125)),
    );
    const replay = createDecryptionShareBatch(two.keyShare, other);
    const shares = new Map<number, BlobId>([
      [0, honest.shareId],
      [1, await recordForgedShare(job, 1, wrong, aggregateHash)],
      [2, await recordForgedShare(job, 2, replay, aggregateHash)],
    ]);
    assert.equal(
      await m.multiPartyCoordinator.read.quorumReached([context.jobId]),
      true,
      "the chain counts hashes",
    );

    const combine = (s: Map<number, BlobId>) =>
      combineShares({
        context,
        dealerOutputId,
        aggregateId,
        shares: s,
        training: { initialWeights: C0, params: PARAMS },
      });
    const recorded = await Promise.all(
      [1n, 2n].map((i) => m.multiPartyCoordinator.read.shareHashOf([context.jobId, i])),
    );
    await assert.rejects(combine(shares), (e: unknown) => {
      assert.ok(e instanceof InsufficientSharesError);
      assert.ok(e instanceof InsufficientCommitteeSharesError);
      assert.equal(
        e.shortMessage,
        "only 1 valid decryption share(s), 2 needed; invalid shares from member(s) 2, 3",
      );
      assert.deepEqual(e.validIndices, [1]);
      assert.deepEqual(e.badIndices, [2, 3]);
      assert.deepEqual(e.rejectedMembers, [
        { member: 1, reason: "proof does not verify" },
        { member: 2, reason: "proof does not verify" },
      ]);
      // Both failed on the bytes the members recorded: they are answerable for them.
      assert.deepEqual(
        e.faultyShares.map((f) => [f.member, f.shareHash]),
        [1, 2].map((i) => [i, recorded[i - 1]]),
      );
      return true;
    });

    // A share blob that is not the recorded one (member 2's bytes offered for member 0) is named too.
    await assert.rejects(
      combine(
        new Map([
          [0, shares.get(2) as BlobId],
          [2, honest.shareId],
        ]),
      ),
      (e: unknown) =>
        e instanceof InsufficientCommitteeSharesError &&
        e.validIndices.length === 0 &&
        e.rejectedMembers.every((r) => r.reason === "share blob does not match its on-chain hash") &&
        e.rejectedMembers.map((r) => r.member).join() === "0,2" &&
        // Bytes that are not the member's record may be the host's doing: nobody is named.
        e.faultyShares.length === 0,
    );
  });

  it("bonded committee: members bond before the bid and publish their shares; the combiner names only shares it judged bad, and its statement defaults the job and forfeits exactly those bonds", async () => {
    const m = await loadMarket();
    const { job, dealt, updates } = await aggregatedTestJob(m, BOND);
    const { context } = job;
    const { dealerOutputId } = dealt;
    assert.deepEqual(await readBonds(context), { bondedMask: 7n, faultyMask: 0n, settled: false });
    const updateIds = new Map(updates.map((u, i) => [i, u.updateId]));
    const aggregated = await aggregateUpdates({
      context,
      wallet: m.provider,
      enclaveSigner: job.enclave.signer,
      dealerOutputId,
      updates: updateIds,
    });
    // The provider never serves the aggregate: member 0 rebuilds it from the recorded updates (the
    // enclave vouched for exactly that product), so it cannot be blamed for not sharing.
    const unserved = await context.blobs.put(new TextEncoder().encode("not the aggregate"));
    const honest = await shareAggregate({
      context,
      wallet: job.members[0] as MultiPartyWallet,
      memberIndex: 0,
      secretKey: secretKeyOf(job, 0),
      dealerOutputId,
      aggregateId: unserved,
      updates: updateIds,
    });
    // Published on-chain: the coordinator recorded keccak256 of the bytes the member sent.
    assert.equal(await m.multiPartyCoordinator.read.shareHashOf([context.jobId, 0n]), honest.shareHash);

    // Member 1 publishes a share with a wrong exponent.
    const one = await memberKeyShare(job, dealerOutputId, 1);
    const { ciphertexts } = await loadRecordedAggregate(
      context,
      aggregated.aggregateId,
      one.dealer.parameters,
      one.dealer.publicKeyCommitment,
    );
    await recordForgedShare(
      job,
      1,
      createDecryptionShareBatch({ ...one.keyShare, secret: one.keyShare.secret + 1n }, ciphertexts),
      aggregated.aggregateHash,
    );
    const combine = (shares: Map<number, BlobId>) =>
      combineShares({
        context,
        dealerOutputId,
        aggregateId: aggregated.aggregateId,
        shares,
        training: { initialWeights: C0, params: PARAMS },
      });
    // The host hands its enclave no blob for member 1 and member 1's id for member 0: the combiner
    // reads the published bytes instead, so neither trick changes who is named.
    const first = await combine(new Map()).catch((e: unknown) => e);
    assert.ok(first instanceof InsufficientCommitteeSharesError);
    assert.deepEqual(first.validIndices, [1]);
    assert.deepEqual(
      first.faultyShares.map((f) => f.member),
      [1],
    );
    // Member 2 may still share: one valid share and one open seat can reach t = 2.
    await assert.rejects(
      signBadSharesStatement({
        context,
        enclaveSigner: job.enclave.signer,
        faultyShares: first.faultyShares,
      }),
      (e: unknown) => e instanceof MultiPartyFlowError && e.code === "ValidQuorumPossible",
    );

    // Member 2 publishes a valid proof for other ciphertexts (a replay).
    const two = await memberKeyShare(job, dealerOutputId, 2);
    const other = new PaillierEncryptor(two.dealer.parameters.publicKey).encryptMany(
      two.dealer.codec.encode(new Float64Array(10).fill(0.125)),
    );
    const replayId = await recordForgedShare(
      job,
      2,
      createDecryptionShareBatch(two.keyShare, other),
      aggregated.aggregateHash,
    );
    const second = await combine(new Map([[0, replayId]])).catch((e: unknown) => e);
    assert.ok(second instanceof InsufficientCommitteeSharesError);
    assert.deepEqual(second.validIndices, [1], "member 0's published share is used");
    assert.deepEqual(
      second.faultyShares.map((f) => [f.member, f.reason]),
      [
        [1, "proof does not verify"],
        [2, "proof does not verify"],
      ],
    );
    await assert.rejects(
      signBadSharesStatement({ context, enclaveSigner: job.enclave.signer, faultyShares: [] }),
      (e: unknown) => e instanceof MultiPartyFlowError && e.code === "NotRecorded",
    );

    // No valid quorum is possible any more: the enclave signs, the provider reports.
    const statement = await signBadSharesStatement({
      context,
      enclaveSigner: job.enclave.signer,
      faultyShares: second.faultyShares,
    });
    assert.equal(statement.badMembers, indexMask([1, 2]));
    await viem.assertions.emitWithArgs(
      reportBadShares(context, m.provider, statement).then((r) => r.transactionHash),
      m.jobMarket,
      "JobDefaulted",
      [context.jobId, FailureReason.CommitteeBadShares, (PRICE * 1_000n) / 10_000n, indexMask([1, 2])],
    );
    assert.equal(await m.jobMarket.read.statusOf([context.jobId]), JobStatus.BuyerDefaulted);
    assert.deepEqual(await readBonds(context), {
      bondedMask: 7n,
      faultyMask: indexMask([1, 2]),
      settled: false,
    });
    // Bonds of a defaulted job settle after its delivery deadline (bad shares may be reported until then).
    await networkHelpers.time.increaseTo(context.terms.deliveryDeadline + 1n);
    await settleBonds(context, m.stranger);
    const owed = (a: Address) => m.multiPartyCoordinator.read.owed([ETH, a]);
    assert.equal(await owed(context.spec.committee[0] as Address), BOND);
    assert.equal(await owed(context.spec.committee[1] as Address), 0n);
    assert.equal(await owed(m.provider.account.address), (2n * BOND * 7_000n + 9_999n) / 10_000n);

    // A member of a job that asks no bond is told so.
    const unbonded = await attestedMultiPartyJob(m);
    await assert.rejects(
      depositMemberBond({
        context: unbonded.context,
        wallet: unbonded.members[0] as MultiPartyWallet,
        memberIndex: 0,
      }),
      (e: unknown) =>
        e instanceof MultiPartyFlowError && e.code === "BadJob" && /asks no bond/.test(e.message),
    );
  });
});
