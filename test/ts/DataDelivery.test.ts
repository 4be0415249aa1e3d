// DataDelivery through viem (contracts/DataDelivery.sol, docs/OUTCOMES.md "Data delivery and
// availability"): the owner key's delivery record (relayed by anyone, EIP-712 in the contract's own
// domain), the provider's one availability challenge, the serving of challenged blobs as calldata
// checked by SHA-256 and size, the status the market settles by, and every custom error with its
// arguments. What the market does with the status is in JobMarket.outcomes.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  bytesToHex,
  decodeFunctionData,
  encodeAbiParameters,
  getAddress,
  type Hex,
  keccak256,
  recoverTypedDataAddress,
  toHex,
  zeroAddress,
} from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { CORE_DEFAULTS } from "../../ignition/modules/core.ts";
import { publishMarketConfig } from "../../scripts/lib/deploy.ts";
import {
  buildJobTerms,
  newBuyerSecrets,
  postJob,
  randomBytes32,
  randomFieldElement,
} from "../../scripts/lib/market.ts";
import {
  type DeliveredBlobs,
  dataDeliveryDomain,
  deliveryDataHash,
  JobStatus,
  type JobTerms,
  jobMarketDomain,
  recordDeliveryTypes,
  signRecordDelivery,
} from "../../sdk/index.ts";
import {
  type AttestedJob,
  attestationArgs,
  attestedJob,
  bid,
  CEILING,
  connection,
  endBidding,
  loadMarket,
  type Market,
  networkHelpers,
  now,
  type PostedJob,
  postTestJob,
  recordDelivery,
  signedResult,
  testBlobs,
  viem,
} from "../support/fixture.ts";

const DAY = 86_400n;
/** DeliveryStatus as numbered on-chain (IDataDelivery.DeliveryStatus). */
const Status = { None: 0, Recorded: 1, Challenged: 2, Answered: 3 } as const;

type Blobs = DeliveredBlobs & { data?: Uint8Array[] };

/** `blobs` with their ids as SHA-256 of `data`. */
function blobsOf(...texts: string[]): Required<Blobs> {
  const data = texts.map((t) => new TextEncoder().encode(t));
  return { data, blobIds: data.map((d) => bytesToHex(sha256(d))), sizes: data.map((d) => BigInt(d.length)) };
}

/** The owner key's record signature for `blobs` (deliberately wrong with the overrides). */
async function recordSig(
  m: Market,
  job: PostedJob,
  blobs: DeliveredBlobs,
  o: {
    key?: PrivateKeyAccount;
    jobId?: bigint;
    deadline?: bigint;
    dataDelivery?: Hex;
    chainId?: number;
  } = {},
) {
  const deadline = o.deadline ?? (await now()) + DAY;
  const signature = await signRecordDelivery({
    ownerKey: o.key ?? job.secrets.ownerKey,
    chainId: o.chainId ?? m.chainId,
    dataDelivery: o.dataDelivery ?? m.dataDelivery.address,
    jobId: o.jobId ?? job.jobId,
    deadline,
    ...blobs,
  });
  return { deadline, signature };
}

/** `recordDelivery` relayed by the stranger. */
function relayRecord(
  m: Market,
  job: PostedJob,
  blobs: DeliveredBlobs,
  sig: { deadline: bigint; signature: Hex },
  terms: JobTerms = job.terms,
) {
  return m.dataDelivery.write.recordDelivery(
    [job.jobId, terms, blobs.blobIds, blobs.sizes, sig.deadline, sig.signature],
    { account: m.stranger.account },
  );
}

/** Who the contract recovers from a record signature for `blobs` on `jobId`. */
function recordSigner(m: Market, jobId: bigint, blobs: DeliveredBlobs, deadline: bigint, signature: Hex) {
  return recoverTypedDataAddress({
    domain: dataDeliveryDomain(m.chainId, m.dataDelivery.address),
    types: recordDeliveryTypes,
    primaryType: "RecordDelivery",
    message: { jobId, dataHash: deliveryDataHash(blobs), deadline },
    signature,
  });
}

const challenge = (m: Market, job: PostedJob, as = m.provider) =>
  m.dataDelivery.write.challengeDelivery([job.jobId, job.terms], { account: as.account });

/** `serveData` of blob `index` with `bytes` (its recorded bytes by default), relayed by the stranger. */
function serve(m: Market, job: PostedJob, blobs: Required<Blobs>, index: number, bytes?: Uint8Array) {
  return m.dataDelivery.write.serveData(
    [
      job.jobId,
      job.terms,
      blobs.blobIds,
      blobs.sizes,
      BigInt(index),
      toHex(bytes ?? (blobs.data[index] as Uint8Array)),
    ],
    { account: m.stranger.account },
  );
}

describe("DataDelivery: setup", () => {
  it("is wired to the market with the core defaults and pinned by the first config", async () => {
    const m = await loadMarket();
    assert.equal(await m.dataDelivery.read.jobMarket(), getAddress(m.jobMarket.address));
    assert.equal(await m.dataDelivery.read.availabilityWindow(), CORE_DEFAULTS.availabilityWindow);
    assert.equal(await m.dataDelivery.read.maxServableBytes(), CORE_DEFAULTS.maxServableBytes);
    assert.equal(await m.dataDelivery.read.maxBlobs(), 64n);
    assert.equal((await m.jobMarket.read.configOf([1])).dataDelivery, getAddress(m.dataDelivery.address));
  });

  it("a zero market or an availability window outside 1 hour .. 7 days is rejected with DataDeliveryInvalidSetup", async () => {
    const m = await loadMarket();
    for (const [market, window] of [
      [zeroAddress, DAY],
      [m.jobMarket.address, 3_599n],
      [m.jobMarket.address, 7n * DAY + 1n],
    ] as const) {
      await assert.rejects(
        viem.deployContract("DataDelivery", [market, window, 1n]),
        /DataDeliveryInvalidSetup\(\)/,
      );
    }
    for (const window of [3_600n, 7n * DAY])
      await viem.deployContract("DataDelivery", [m.jobMarket.address, window, 1n]);
  });
});

describe("DataDelivery: recordDelivery", () => {
  it("a record signed by the owner key and relayed by anyone stores the data hash, sizes and emits DeliveryRecorded", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const blobs = testBlobs();
    assert.deepEqual(await m.dataDelivery.read.deliveryStatus([job.jobId]), [
      Status.None,
      `0x${"00".repeat(32)}`,
      0n,
      0n,
    ]);
    const tx = await relayRecord(m, job, blobs, await recordSig(m, job, blobs));
    const dataHash = deliveryDataHash(blobs);
    await viem.assertions.emitWithArgs(tx, m.dataDelivery, "DeliveryRecorded", [
      job.jobId,
      dataHash,
      blobs.blobIds,
      blobs.sizes,
    ]);
    assert.deepEqual(await m.dataDelivery.read.deliveryStatus([job.jobId]), [
      Status.Recorded,
      dataHash,
      0n,
      0n,
    ]);
    const total = blobs.sizes.reduce((a, b) => a + b, 0n);
    assert.deepEqual(await m.dataDelivery.read.deliveryOf([job.jobId]), {
      dataHash,
      challengedAt: 0n,
      answeredAt: 0n,
      servedMask: 0n,
      blobCount: 2,
      totalSize: total,
    });
    assert.equal(await m.dataDelivery.read.isServable([job.jobId]), true);
    // The SDK's hash is the contract's `keccak256(abi.encode(blobIds, sizes))`.
    assert.equal(
      dataHash,
      keccak256(
        encodeAbiParameters([{ type: "bytes32[]" }, { type: "uint64[]" }], [blobs.blobIds, blobs.sizes]),
      ),
    );
  });

  it("the owner key itself may send it, in the last second of the data deadline", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const blobs = testBlobs();
    const sig = await recordSig(m, job, blobs, { deadline: job.terms.dataDeadline });
    await networkHelpers.time.setNextBlockTimestamp(job.terms.dataDeadline);
    await viem.assertions.emit(
      m.dataDelivery.write.recordDelivery(
        [job.jobId, job.terms, blobs.blobIds, blobs.sizes, sig.deadline, sig.signature],
        {
          account: m.buyer.account,
        },
      ),
      m.dataDelivery,
      "DeliveryRecorded",
    );
  });

  it("after the data deadline it is rejected with DataDeliveryDeadlinePassed(dataDeadline)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const blobs = testBlobs();
    const sig = await recordSig(m, job, blobs);
    await networkHelpers.time.setNextBlockTimestamp(job.terms.dataDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayRecord(m, job, blobs, sig),
      m.dataDelivery,
      "DataDeliveryDeadlinePassed",
      [job.terms.dataDeadline],
    );
  });

  it("a second record is rejected with DataDeliveryAlreadyRecorded(jobId), whatever it lists", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    await recordDelivery(m, job);
    for (const blobs of [testBlobs(), blobsOf("other data")]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        relayRecord(m, job, blobs, await recordSig(m, job, blobs)),
        m.dataDelivery,
        "DataDeliveryAlreadyRecorded",
        [job.jobId],
      );
    }
  });

  it("a signature past its own deadline is rejected with DataDeliverySignatureExpired(deadline)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const blobs = testBlobs();
    const deadline = (await now()) + 60n;
    const sig = await recordSig(m, job, blobs, { deadline });
    await networkHelpers.time.setNextBlockTimestamp(deadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayRecord(m, job, blobs, sig),
      m.dataDelivery,
      "DataDeliverySignatureExpired",
      [deadline],
    );
  });

  it("a signature by another key is rejected with DataDeliveryInvalidSignature(signer, ownerKey)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const blobs = testBlobs();
    const other = privateKeyToAccount(generatePrivateKey());
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayRecord(m, job, blobs, await recordSig(m, job, blobs, { key: other })),
      m.dataDelivery,
      "DataDeliveryInvalidSignature",
      [other.address, job.terms.ownerKey],
    );
  });

  it("a signature over other blobs, another job, another domain or chain is rejected with DataDeliveryInvalidSignature", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const blobs = testBlobs();
    const otherBlobs = blobsOf("not what was signed");
    const cases: Array<{ name: string; sig: { deadline: bigint; signature: Hex } }> = [
      { name: "other blobs", sig: await recordSig(m, job, otherBlobs) },
      { name: "another job", sig: await recordSig(m, job, blobs, { jobId: job.jobId + 1n }) },
      {
        name: "another DataDelivery",
        sig: await recordSig(m, job, blobs, { dataDelivery: m.jobMarket.address }),
      },
      { name: "another chain", sig: await recordSig(m, job, blobs, { chainId: 1 }) },
    ];
    // The JobMarket's domain with the same message is another signature too.
    const deadline = (await now()) + DAY;
    const marketDomainSig = await job.secrets.ownerKey.signTypedData({
      domain: jobMarketDomain(m.chainId, m.jobMarket.address),
      types: recordDeliveryTypes,
      primaryType: "RecordDelivery",
      message: { jobId: job.jobId, dataHash: deliveryDataHash(blobs), deadline },
    });
    cases.push({ name: "the JobMarket's domain", sig: { deadline, signature: marketDomainSig } });
    for (const c of cases) {
      const recovered = await recordSigner(m, job.jobId, blobs, c.sig.deadline, c.sig.signature);
      assert.notEqual(recovered, job.terms.ownerKey, c.name);
      await viem.assertions.revertWithCustomErrorWithArgs(
        relayRecord(m, job, blobs, c.sig),
        m.dataDelivery,
        "DataDeliveryInvalidSignature",
        [recovered, job.terms.ownerKey],
      );
    }
    // Malformed signatures recover nobody.
    const { signature } = await recordSig(m, job, blobs);
    for (const bad of ["0x", `${signature.slice(0, 130)}1d`, `${signature}00`] as Hex[]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        relayRecord(m, job, blobs, { deadline: (await now()) + DAY, signature: bad }),
        m.dataDelivery,
        "DataDeliveryInvalidSignature",
        [zeroAddress, job.terms.ownerKey],
      );
    }
    assert.equal((await m.dataDelivery.read.deliveryStatus([job.jobId]))[0], Status.None);
  });

  it("an empty list, mismatched lengths, more than 64 blobs, a zero id or a zero size is rejected with DataDeliveryInvalidBlobs(blobs, sizes)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const id = randomBytes32();
    const many = Array.from({ length: 65 }, () => randomBytes32());
    for (const [blobIds, sizes] of [
      [[], []],
      [[id], []],
      [[id], [1n, 2n]],
      [many, many.map(() => 1n)],
      [
        [id, `0x${"00".repeat(32)}`],
        [1n, 1n],
      ],
      [[id], [0n]],
    ] as [Hex[], bigint[]][]) {
      const blobs = { blobIds, sizes };
      await viem.assertions.revertWithCustomErrorWithArgs(
        relayRecord(m, job, blobs, await recordSig(m, job, blobs)),
        m.dataDelivery,
        "DataDeliveryInvalidBlobs",
        [BigInt(blobIds.length), BigInt(sizes.length)],
      );
    }
    // 64 blobs is the most one record takes.
    const max = { blobIds: many.slice(0, 64), sizes: many.slice(0, 64).map(() => 1n) };
    await relayRecord(m, job, max, await recordSig(m, job, max));
    assert.equal((await m.dataDelivery.read.deliveryOf([job.jobId])).blobCount, 64);
  });

  it("forged terms or an unknown job are rejected with DataDeliveryTermsMismatch(jobId)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const blobs = testBlobs();
    const sig = await recordSig(m, job, blobs);
    for (const terms of [
      { ...job.terms, dataDeadline: job.terms.dataDeadline + DAY },
      { ...job.terms, ownerKey: m.stranger.account.address },
      { ...job.terms, configId: 2 },
    ]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        relayRecord(m, job, blobs, sig, terms),
        m.dataDelivery,
        "DataDeliveryTermsMismatch",
        [job.jobId],
      );
    }
    const unknown = { ...job, jobId: 999n };
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayRecord(m, unknown, blobs, sig),
      m.dataDelivery,
      "DataDeliveryTermsMismatch",
      [999n],
    );
  });

  it("a job not yet attested, already finished, or multi-party is rejected with DataDeliveryInvalidStatus(jobId, status)", async () => {
    const m = await loadMarket();
    const blobs = testBlobs();
    const open = await postTestJob(m);
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayRecord(m, open, blobs, await recordSig(m, open, blobs)),
      m.dataDelivery,
      "DataDeliveryInvalidStatus",
      [open.jobId, JobStatus.Open],
    );
    const done = await attestedJob(m);
    await m.jobMarket.write.submitResult([done.jobId, done.terms, await signedResult(m, done)], {
      account: m.provider.account,
    });
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayRecord(m, done, blobs, await recordSig(m, done, blobs)),
      m.dataDelivery,
      "DataDeliveryInvalidStatus",
      [done.jobId, JobStatus.Completed],
    );
    // A multi-party job's data goes through the coordinator, not here.
    const secrets = newBuyerSecrets(m.stranger.account.address);
    const terms = {
      ...buildJobTerms({ now: await now(), secrets, priceCeiling: CEILING }),
      parties: 2,
      threshold: 1,
      committeeSize: 1,
      committeeHash: randomFieldElement(),
    };
    const { jobId } = await postJob(m.publicClient, m.buyer, m.deployment, terms);
    const multi: PostedJob = { jobId, terms, secrets };
    await bid(m, multi, CEILING / 2n);
    await endBidding(multi);
    await m.jobMarket.write.submitAttestation([jobId, terms, ...(await attestationArgs(m, multi))], {
      account: m.provider.account,
    });
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayRecord(m, multi, blobs, await recordSig(m, multi, blobs)),
      m.dataDelivery,
      "DataDeliveryInvalidStatus",
      [jobId, JobStatus.Attested],
    );
  });

  it("a job whose config pins another DataDelivery is rejected with DataDeliveryNotPinned(jobId, pinned)", async () => {
    const m = await loadMarket();
    const other = await viem.deployContract("DataDelivery", [m.jobMarket.address, DAY, 1024n]);
    const configId = await publishMarketConfig(connection, m.deployment, { dataDelivery: other.address });
    const job = await attestedJob(m, CEILING / 2n, { configId });
    const blobs = testBlobs();
    await viem.assertions.revertWithCustomErrorWithArgs(
      relayRecord(m, job, blobs, await recordSig(m, job, blobs)),
      m.dataDelivery,
      "DataDeliveryNotPinned",
      [job.jobId, getAddress(other.address)],
    );
    // The pinned one records it (signed in its own domain).
    const sig = await recordSig(m, job, blobs, { dataDelivery: other.address });
    await viem.assertions.emit(
      other.write.recordDelivery(
        [job.jobId, job.terms, blobs.blobIds, blobs.sizes, sig.deadline, sig.signature],
        {
          account: m.stranger.account,
        },
      ),
      other,
      "DeliveryRecorded",
    );
  });
});

describe("DataDelivery: challengeDelivery", () => {
  it("the provider challenges once: DeliveryChallenged(jobId, now + window), status Challenged", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const dataHash = await recordDelivery(m, job);
    const at = (await now()) + 5n;
    await networkHelpers.time.setNextBlockTimestamp(at);
    await viem.assertions.emitWithArgs(challenge(m, job), m.dataDelivery, "DeliveryChallenged", [
      job.jobId,
      at + DAY,
    ]);
    assert.deepEqual(await m.dataDelivery.read.deliveryStatus([job.jobId]), [
      Status.Challenged,
      dataHash,
      at + DAY,
      0n,
    ]);
    assert.equal((await m.dataDelivery.read.deliveryOf([job.jobId])).challengedAt, at);
    await viem.assertions.revertWithCustomErrorWithArgs(
      challenge(m, job),
      m.dataDelivery,
      "DataDeliveryAlreadyChallenged",
      [job.jobId],
    );
  });

  it("anyone but the provider is rejected with DataDeliveryNotProvider(caller, provider)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    await recordDelivery(m, job);
    for (const caller of [m.buyer, m.provider2, m.stranger]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        challenge(m, job, caller),
        m.dataDelivery,
        "DataDeliveryNotProvider",
        [getAddress(caller.account.address), getAddress(m.provider.account.address)],
      );
    }
  });

  it("without a record it is rejected with DataDeliveryNotRecorded(jobId)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    await viem.assertions.revertWithCustomErrorWithArgs(
      challenge(m, job),
      m.dataDelivery,
      "DataDeliveryNotRecorded",
      [job.jobId],
    );
  });

  it("after the delivery deadline it is rejected with DataDeliveryChallengeLapsed(deliveryDeadline)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    await recordDelivery(m, job);
    await networkHelpers.time.setNextBlockTimestamp(job.terms.deliveryDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      challenge(m, job),
      m.dataDelivery,
      "DataDeliveryChallengeLapsed",
      [job.terms.deliveryDeadline],
    );
    // The deadline itself is still in time.
    await networkHelpers.time.setNextBlockTimestamp(job.terms.deliveryDeadline);
    await viem.assertions.emit(challenge(m, job), m.dataDelivery, "DeliveryChallenged");
  });
});

describe("DataDelivery: serveData", () => {
  it("anyone serves each blob as calldata: BlobServed per blob, ChallengeAnswered(extension) with the last", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const blobs = testBlobs() as Required<Blobs>;
    const dataHash = await recordDelivery(m, job, blobs);
    const challengedAt = (await now()) + 10n;
    await networkHelpers.time.setNextBlockTimestamp(challengedAt);
    await challenge(m, job);

    await networkHelpers.time.setNextBlockTimestamp(challengedAt + 100n);
    const first = await serve(m, job, blobs, 1);
    await viem.assertions.emitWithArgs(first, m.dataDelivery, "BlobServed", [
      job.jobId,
      1n,
      blobs.blobIds[1] as Hex,
    ]);
    assert.equal((await m.dataDelivery.read.deliveryOf([job.jobId])).servedMask, 0b10n);
    assert.equal((await m.dataDelivery.read.deliveryStatus([job.jobId]))[0], Status.Challenged);
    // Serving a blob again changes nothing.
    await serve(m, job, blobs, 1);
    assert.equal((await m.dataDelivery.read.deliveryOf([job.jobId])).servedMask, 0b10n);

    await networkHelpers.time.setNextBlockTimestamp(challengedAt + 700n);
    const last = await serve(m, job, blobs, 0);
    await viem.assertions.emitWithArgs(last, m.dataDelivery, "BlobServed", [
      job.jobId,
      0n,
      blobs.blobIds[0] as Hex,
    ]);
    await viem.assertions.emitWithArgs(last, m.dataDelivery, "ChallengeAnswered", [job.jobId, 700n]);
    assert.deepEqual(await m.dataDelivery.read.deliveryStatus([job.jobId]), [
      Status.Answered,
      dataHash,
      0n,
      700n,
    ]);
    const delivery = await m.dataDelivery.read.deliveryOf([job.jobId]);
    assert.equal(delivery.answeredAt, challengedAt + 700n);
    assert.equal(delivery.servedMask, 0b11n);

    // The bytes are in the chain's history: the enclave reads them from the transaction's input.
    const tx = await m.publicClient.getTransaction({ hash: last });
    const { args } = decodeFunctionData({ abi: m.dataDelivery.abi, data: tx.input });
    assert.equal(args?.[5], toHex(blobs.data[0] as Uint8Array));

    await viem.assertions.revertWithCustomErrorWithArgs(
      serve(m, job, blobs, 0),
      m.dataDelivery,
      "DataDeliveryNotChallenged",
      [job.jobId],
    );
  });

  it("serving without a challenge is rejected with DataDeliveryNotChallenged(jobId)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const blobs = testBlobs() as Required<Blobs>;
    await recordDelivery(m, job, blobs);
    await viem.assertions.revertWithCustomErrorWithArgs(
      serve(m, job, blobs, 0),
      m.dataDelivery,
      "DataDeliveryNotChallenged",
      [job.jobId],
    );
  });

  it("serving after the availability window is rejected with DataDeliveryChallengeLapsed(respondBy)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const blobs = testBlobs() as Required<Blobs>;
    await recordDelivery(m, job, blobs);
    await challenge(m, job);
    const respondBy = (await now()) + DAY;
    await networkHelpers.time.setNextBlockTimestamp(respondBy + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      serve(m, job, blobs, 0),
      m.dataDelivery,
      "DataDeliveryChallengeLapsed",
      [respondBy],
    );
    await networkHelpers.time.setNextBlockTimestamp(respondBy);
    await viem.assertions.emit(serve(m, job, blobs, 0), m.dataDelivery, "BlobServed");
  });

  it("a blob list other than the record is rejected with DataDeliveryMismatch(recorded, given)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const blobs = testBlobs() as Required<Blobs>;
    const recorded = await recordDelivery(m, job, blobs);
    await challenge(m, job);
    const other = blobsOf("train ciphertext");
    await viem.assertions.revertWithCustomErrorWithArgs(
      serve(m, job, other, 0),
      m.dataDelivery,
      "DataDeliveryMismatch",
      [recorded, deliveryDataHash(other)],
    );
  });

  it("an index past the list is rejected with DataDeliveryInvalidBlobs(index, blobs)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const blobs = testBlobs() as Required<Blobs>;
    await recordDelivery(m, job, blobs);
    await challenge(m, job);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.dataDelivery.write.serveData([job.jobId, job.terms, blobs.blobIds, blobs.sizes, 2n, "0x00"], {
        account: m.stranger.account,
      }),
      m.dataDelivery,
      "DataDeliveryInvalidBlobs",
      [2n, 2n],
    );
  });

  it("other bytes, or the right bytes under a wrongly recorded size, are rejected with DataDeliveryBlobMismatch(index, expected, actual)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const blobs = testBlobs() as Required<Blobs>;
    await recordDelivery(m, job, blobs);
    await challenge(m, job);
    const wrong = new TextEncoder().encode("not the train ciphertext");
    await viem.assertions.revertWithCustomErrorWithArgs(
      serve(m, job, blobs, 0, wrong),
      m.dataDelivery,
      "DataDeliveryBlobMismatch",
      [0n, blobs.blobIds[0] as Hex, bytesToHex(sha256(wrong))],
    );

    // A buyer that recorded the wrong size cannot answer its own challenge.
    const liar = await attestedJob(m);
    const misSized = { ...blobs, sizes: [(blobs.sizes[0] as bigint) + 1n, blobs.sizes[1] as bigint] };
    await recordDelivery(m, liar, misSized);
    await challenge(m, liar);
    await viem.assertions.revertWithCustomErrorWithArgs(
      serve(m, liar, misSized, 0),
      m.dataDelivery,
      "DataDeliveryBlobMismatch",
      [0n, blobs.blobIds[0] as Hex, blobs.blobIds[0] as Hex],
    );
  });

  it("a job that left Attested takes no more serving or challenges (DataDeliveryInvalidStatus)", async () => {
    const m = await loadMarket();
    const job: AttestedJob = await attestedJob(m);
    const blobs = testBlobs() as Required<Blobs>;
    await recordDelivery(m, job, blobs);
    await challenge(m, job);
    await networkHelpers.time.increase(DAY + 1n);
    await m.jobMarket.write.enforceDeadline([job.jobId, job.terms]);
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.BuyerDefaulted);
    await viem.assertions.revertWithCustomErrorWithArgs(
      serve(m, job, blobs, 0),
      m.dataDelivery,
      "DataDeliveryInvalidStatus",
      [job.jobId, JobStatus.BuyerDefaulted],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      challenge(m, job),
      m.dataDelivery,
      "DataDeliveryInvalidStatus",
      [job.jobId, JobStatus.BuyerDefaulted],
    );
  });
});
