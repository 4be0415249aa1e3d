// Every failure path of the JobMarket: each custom error it throws, each piece of bad evidence that
// fails a job and slashes its provider instead of reverting, and each timeout with the exact money
// movements (escrow, the buyer's compensation share and the treasury's share of slashed collateral).
// The no-fault outcomes (BelowThreshold, BuyerDefaulted, Released) are in JobMarket.outcomes.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Address,
  bytesToHex,
  decodeAbiParameters,
  encodeAbiParameters,
  encodeErrorResult,
  encodeFunctionData,
  getAddress,
  type Hex,
  hexToBigInt,
  hexToBytes,
  keccak256,
  parseEther,
  slice,
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
} from "../../scripts/lib/market.ts";
import {
  attestationBinding,
  DEV_PCK_PUBLIC_KEY,
  ETH,
  FailureReason,
  FIELD_MODULUS,
  hashJobTerms,
  JobStatus,
  type JobTerms,
  SIMULATED_MEASUREMENT,
  SIMULATED_TD,
  signExtendDelivery,
  TeeType,
  tdxMeasurement,
  teeTypeSet,
  ZERO_HASH,
} from "../../sdk/index.ts";
import {
  attestationArgs,
  attestedJob,
  bid,
  CEILING,
  cancelSig,
  configParameters,
  connection,
  endBidding,
  INVALID_PROOF,
  loadMarket,
  type Market,
  networkHelpers,
  now,
  type PostedJob,
  PROVIDER_STAKE,
  PROVIDER_TEE_TYPES,
  postTestJob,
  REVERTING_PROOF,
  recordDelivery,
  signedResult,
  VALID_PROOF,
  viem,
} from "../support/fixture.ts";

const DAY = 86_400n;
const MAX_BID_WINDOW = 30n * DAY;
const MAX_JOB_DURATION = 90n * DAY;
const MIN_PRICE_ETH = 10n ** 14n;
/** The first config's minimum bid step: 1% of the leading bid. */
const MIN_BID_STEP_BPS = 100n;
const SIMULATED_ONLY = teeTypeSet([TeeType.Simulated]);
const MODEL = keccak256(toBytes("adapter weights"));
const CIPHERTEXT = keccak256(toBytes("encrypted adapter"));

/** An awkward price whose collateral and slash split both round. */
const ODD_PRICE = 333_333_333_333_333_333n;
/** ceil(ODD_PRICE × 5 000 / 10 000): collateral rounds up. */
const ODD_COLLATERAL = 166_666_666_666_666_667n;
/** ceil(ODD_COLLATERAL × 7 000 / 10 000): the buyer's share rounds up (never zero). */
const ODD_TO_BUYER = 116_666_666_666_666_667n;
/** ODD_COLLATERAL − ODD_TO_BUYER: the treasury gets the rest. */
const ODD_TO_TREASURY = 50_000_000_000_000_000n;

/** Collateral of a bid at the first config's 50% ratio, rounded up. */
function collateralOf(price: bigint): bigint {
  return (price * 5_000n + 9_999n) / 10_000n;
}
/** The buyer's 70% share of slashed collateral, rounded up. */
function buyerShareOf(collateral: bigint): bigint {
  return (collateral * 7_000n + 9_999n) / 10_000n;
}
/** The highest bid accepted below a leading bid: one minimum step (at least 1 wei) lower. */
function maxAcceptedBelow(leading: bigint): bigint {
  const step = (leading * MIN_BID_STEP_BPS) / 10_000n;
  return leading - (step === 0n ? 1n : step);
}
/** A `Result` whose enclave signature no check reaches (the call reverts before). */
const UNSIGNED_RESULT = {
  modelCommitment: MODEL,
  modelCiphertextHash: CIPHERTEXT,
  thresholdMet: true,
  proof: VALID_PROOF,
  enclaveSignature: "0x",
} as const;

type AttestArgs = readonly [number, Hex, Address, Hex];

/** Pins the next block's timestamp, so errors carrying `block.timestamp` can be matched exactly. */
async function pinNextTimestamp(): Promise<bigint> {
  const t = (await now()) + 10n;
  await networkHelpers.time.setNextBlockTimestamp(t);
  return t;
}

/** Valid single-party ETH terms from the buyer's fresh secrets, relative to `at`. */
function termsAt(m: Market, at: bigint, overrides: Partial<JobTerms> = {}): JobTerms {
  return {
    ...buildJobTerms({
      now: at,
      secrets: newBuyerSecrets(m.stranger.account.address),
      priceCeiling: CEILING,
    }),
    ...overrides,
  };
}

/** `postJob` from the buyer with `value` (the ceiling unless given). */
function post(m: Market, terms: JobTerms, value: bigint = terms.asset === ETH ? terms.priceCeiling : 0n) {
  return m.jobMarket.write.postJob([terms], { account: m.buyer.account, value });
}

/** A job bid on by the first provider at `price` whose bid window has ended (not yet closed). */
async function matchedJob(
  m: Market,
  price = CEILING / 2n,
  overrides: Parameters<typeof postTestJob>[1] = {},
): Promise<PostedJob> {
  const job = await postTestJob(m, overrides);
  await bid(m, job, price);
  await endBidding(job);
  return job;
}

async function statusOf(m: Market, job: PostedJob): Promise<number> {
  return m.jobMarket.read.statusOf([job.jobId]);
}

/** Signs a cancellation with the job's owner key at its current nonce, valid a day past the bid window. */
const signCancel = (m: Market, job: PostedJob) =>
  cancelSig(m, job, { deadline: job.terms.bidDeadline + DAY });

describe("JobMarket failures: posting", () => {
  it("a zero price ceiling is rejected with JobMarketZeroPrice", async () => {
    const m = await loadMarket();
    const terms = termsAt(m, await now(), { priceCeiling: 0n });
    await viem.assertions.revertWithCustomError(post(m, terms), m.jobMarket, "JobMarketZeroPrice");
  });

  it("a ceiling below the asset's minimum is rejected with JobMarketPriceBelowMinimum(price, minimum)", async () => {
    const m = await loadMarket();
    assert.equal(await m.jobMarket.read.minPrice([ETH]), MIN_PRICE_ETH);
    const terms = termsAt(m, await now(), { priceCeiling: MIN_PRICE_ETH - 1n });
    await viem.assertions.revertWithCustomErrorWithArgs(
      post(m, terms),
      m.jobMarket,
      "JobMarketPriceBelowMinimum",
      [MIN_PRICE_ETH - 1n, MIN_PRICE_ETH],
    );
    // The minimum itself is accepted.
    await post(m, termsAt(m, await now(), { priceCeiling: MIN_PRICE_ETH }));
  });

  it("a token ceiling below the token's minimum is rejected too", async () => {
    const m = await loadMarket();
    const minimum = parseEther("5");
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.setAssetLimits([m.stakeToken.address, minimum, 0n]),
      m.jobMarket,
      "AssetLimitsSet",
      [getAddress(m.stakeToken.address), minimum, 0n],
    );
    const terms = termsAt(m, await now(), { asset: m.stakeToken.address, priceCeiling: minimum - 1n });
    await m.stakeToken.write.approve([m.jobMarket.address, terms.priceCeiling], { account: m.buyer.account });
    await viem.assertions.revertWithCustomErrorWithArgs(
      post(m, terms),
      m.jobMarket,
      "JobMarketPriceBelowMinimum",
      [minimum - 1n, minimum],
    );
  });

  it("a bid deadline at or before now is rejected with JobMarketDeadlineInPast(deadline, now)", async () => {
    const m = await loadMarket();
    const t = await pinNextTimestamp();
    const terms = termsAt(m, t, { bidDeadline: t });
    await viem.assertions.revertWithCustomErrorWithArgs(
      post(m, terms),
      m.jobMarket,
      "JobMarketDeadlineInPast",
      [t, t],
    );
  });

  for (const [name, mutate] of [
    [
      "an attestation deadline not after the bid deadline",
      (t: JobTerms) => ({ attestDeadline: t.bidDeadline }),
    ],
    [
      "a data deadline not after the attestation deadline",
      (t: JobTerms) => ({ dataDeadline: t.attestDeadline }),
    ],
    [
      "a data deadline before the attestation deadline",
      (t: JobTerms) => ({ dataDeadline: t.attestDeadline - 1n }),
    ],
    [
      "a delivery deadline not after the data deadline",
      (t: JobTerms) => ({ deliveryDeadline: t.dataDeadline }),
    ],
    [
      "a delivery deadline at the attestation deadline",
      (t: JobTerms) => ({ deliveryDeadline: t.attestDeadline }),
    ],
  ] as const) {
    it(`${name} is rejected with JobMarketDeadlinesOutOfOrder(bid, attest, data, delivery)`, async () => {
      const m = await loadMarket();
      const good = termsAt(m, await now());
      const terms = { ...good, ...mutate(good) };
      await viem.assertions.revertWithCustomErrorWithArgs(
        post(m, terms),
        m.jobMarket,
        "JobMarketDeadlinesOutOfOrder",
        [terms.bidDeadline, terms.attestDeadline, terms.dataDeadline, terms.deliveryDeadline],
      );
    });
  }

  it("a bid window longer than MAX_BID_WINDOW is rejected with JobMarketDeadlineTooFar(bid, now + 30 days)", async () => {
    const m = await loadMarket();
    assert.equal(await m.jobMarket.read.MAX_BID_WINDOW(), MAX_BID_WINDOW);
    const t = await pinNextTimestamp();
    const terms = termsAt(m, t, { bidDeadline: t + MAX_BID_WINDOW + 1n });
    terms.attestDeadline = terms.bidDeadline + 600n;
    terms.dataDeadline = terms.attestDeadline + 300n;
    terms.deliveryDeadline = terms.attestDeadline + 600n;
    await viem.assertions.revertWithCustomErrorWithArgs(
      post(m, terms),
      m.jobMarket,
      "JobMarketDeadlineTooFar",
      [terms.bidDeadline, t + MAX_BID_WINDOW],
    );
    // Exactly the longest window is accepted.
    const t2 = await pinNextTimestamp();
    const edge = termsAt(m, t2, { bidDeadline: t2 + MAX_BID_WINDOW });
    edge.attestDeadline = edge.bidDeadline + 600n;
    edge.dataDeadline = edge.attestDeadline + 300n;
    edge.deliveryDeadline = edge.attestDeadline + 600n;
    await post(m, edge);
  });

  it("a delivery deadline beyond bid + MAX_JOB_DURATION is rejected with JobMarketDeadlineTooFar(delivery, latest)", async () => {
    const m = await loadMarket();
    const good = termsAt(m, await now());
    const latest = good.bidDeadline + MAX_JOB_DURATION;
    await viem.assertions.revertWithCustomErrorWithArgs(
      post(m, { ...good, deliveryDeadline: latest + 1n }),
      m.jobMarket,
      "JobMarketDeadlineTooFar",
      [latest + 1n, latest],
    );
    await post(m, { ...good, deliveryDeadline: latest });
  });

  for (const teeTypes of [0, 0x01, 0x20, 0xff]) {
    it(`TEE type set 0x${teeTypes.toString(16)} is rejected with JobMarketUnknownTeeType`, async () => {
      const m = await loadMarket();
      const terms = termsAt(m, await now(), { teeTypes });
      await viem.assertions.revertWithCustomErrorWithArgs(
        post(m, terms),
        m.jobMarket,
        "JobMarketUnknownTeeType",
        [teeTypes],
      );
    });
  }

  it("a TEE type the job's config has no verifier for is rejected with JobMarketTeeTypeUnverifiable(types, verified)", async () => {
    const m = await loadMarket();
    const sgx = teeTypeSet([TeeType.Sgx]);
    await m.enclaveRegistry.write.setVerifier([TeeType.Sgx, zeroAddress]);
    // The first config still has an SGX verifier: SGX jobs are accepted under it.
    await post(m, termsAt(m, await now(), { teeTypes: sgx }));
    const configId = await publishMarketConfig(connection, m.deployment, {});
    const verified = teeTypeSet([TeeType.SevSnp, TeeType.Tdx, TeeType.Simulated]);
    assert.equal((await m.jobMarket.read.configOf([configId])).verifiedTeeTypes, verified);
    const terms = termsAt(m, await now(), { teeTypes: sgx | SIMULATED_ONLY, configId });
    await viem.assertions.revertWithCustomErrorWithArgs(
      post(m, terms),
      m.jobMarket,
      "JobMarketTeeTypeUnverifiable",
      [sgx | SIMULATED_ONLY, verified],
    );
    await post(m, termsAt(m, await now(), { configId }));
  });

  it("terms naming another config than the current one are rejected with JobMarketStaleConfig(configId, current)", async () => {
    const m = await loadMarket();
    for (const configId of [0, 2]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        post(m, termsAt(m, await now(), { configId })),
        m.jobMarket,
        "JobMarketStaleConfig",
        [configId, 1],
      );
    }
    const current = await publishMarketConfig(connection, m.deployment, {});
    assert.equal(current, 2);
    await viem.assertions.revertWithCustomErrorWithArgs(
      post(m, termsAt(m, await now(), { configId: 1 })),
      m.jobMarket,
      "JobMarketStaleConfig",
      [1, 2],
    );
    await post(m, termsAt(m, await now(), { configId: 2 }));
  });

  for (const field of ["specHash", "datasetCommitment", "evalCommitment"] as const) {
    it(`a ${field} that is not a BN254 field element is rejected with JobMarketNotAFieldElement("${field}")`, async () => {
      const m = await loadMarket();
      for (const value of [FIELD_MODULUS, 2n ** 256n - 1n]) {
        const terms = termsAt(m, await now(), { [field]: toHex(value, { size: 32 }) });
        await viem.assertions.revertWithCustomErrorWithArgs(
          post(m, terms),
          m.jobMarket,
          "JobMarketNotAFieldElement",
          [field],
        );
      }
      // r − 1, the largest field element, is accepted.
      await post(m, termsAt(m, await now(), { [field]: toHex(FIELD_MODULUS - 1n, { size: 32 }) }));
    });
  }

  it("a quality threshold above 10,000 bp is rejected with JobMarketThresholdOutOfRange(threshold)", async () => {
    const m = await loadMarket();
    await viem.assertions.revertWithCustomErrorWithArgs(
      post(m, termsAt(m, await now(), { qualityThreshold: 10_001n })),
      m.jobMarket,
      "JobMarketThresholdOutOfRange",
      [10_001n],
    );
    await post(m, termsAt(m, await now(), { qualityThreshold: 10_000n }));
  });

  it("a multi-party job under a config without a coordinator is rejected with JobMarketMultiPartyCoordinatorNotSet", async () => {
    const m = await loadMarket();
    const configId = await publishMarketConfig(connection, m.deployment, { coordinator: zeroAddress });
    const multiParty = { parties: 3, threshold: 2, committeeSize: 3, committeeHash: randomBytes32() };
    await viem.assertions.revertWithCustomError(
      post(m, termsAt(m, await now(), { ...multiParty, configId })),
      m.jobMarket,
      "JobMarketMultiPartyCoordinatorNotSet",
    );
    await post(m, termsAt(m, await now(), { configId }));
  });

  for (const field of ["specHash", "datasetCommitment", "evalCommitment", "refundCommitment"] as const) {
    it(`an empty ${field} is rejected with JobMarketEmptyCommitment("${field}")`, async () => {
      const m = await loadMarket();
      const terms = termsAt(m, await now(), { [field]: ZERO_HASH });
      await viem.assertions.revertWithCustomErrorWithArgs(
        post(m, terms),
        m.jobMarket,
        "JobMarketEmptyCommitment",
        [field],
      );
    });
  }

  it('a multi-party job without a committee hash is rejected with JobMarketEmptyCommitment("committeeHash")', async () => {
    const m = await loadMarket();
    const terms = termsAt(m, await now(), { parties: 3, threshold: 2, committeeSize: 3 });
    await viem.assertions.revertWithCustomErrorWithArgs(
      post(m, terms),
      m.jobMarket,
      "JobMarketEmptyCommitment",
      ["committeeHash"],
    );
    await post(m, { ...terms, committeeHash: randomBytes32() });
  });

  it("a zero owner key is rejected with JobMarketZeroOwnerKey", async () => {
    const m = await loadMarket();
    const terms = termsAt(m, await now(), { ownerKey: zeroAddress });
    await viem.assertions.revertWithCustomError(post(m, terms), m.jobMarket, "JobMarketZeroOwnerKey");
  });

  for (const [parties, threshold, committeeSize, committee] of [
    [0, 0, 0, false],
    [1, 1, 0, false],
    [1, 0, 3, false],
    [1, 0, 0, true],
    [3, 0, 3, true],
    [3, 4, 3, true],
  ] as const) {
    it(`parties ${parties}, ${threshold}-of-${committeeSize}${committee ? " with a committee" : ""} is rejected with JobMarketInvalidParties`, async () => {
      const m = await loadMarket();
      const terms = termsAt(m, await now(), {
        parties,
        threshold,
        committeeSize,
        committeeHash: committee ? randomBytes32() : ZERO_HASH,
      });
      await viem.assertions.revertWithCustomErrorWithArgs(
        post(m, terms),
        m.jobMarket,
        "JobMarketInvalidParties",
        [parties, threshold, committeeSize],
      );
    });
  }

  it("an asset other than ETH and the stake token is rejected with JobMarketUnsupportedAsset(asset)", async () => {
    const m = await loadMarket();
    const asset = m.providerRegistry.address;
    await viem.assertions.revertWithCustomErrorWithArgs(
      post(m, termsAt(m, await now(), { asset }), 0n),
      m.jobMarket,
      "JobMarketUnsupportedAsset",
      [getAddress(asset)],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.setAssetLimits([asset, 1n, 1n]),
      m.jobMarket,
      "JobMarketUnsupportedAsset",
      [getAddress(asset)],
    );
  });

  it("postJobWithPermit for an ETH job is rejected with JobMarketUnsupportedAsset(0)", async () => {
    const m = await loadMarket();
    const terms = termsAt(m, await now());
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.postJobWithPermit([terms, 0n, 27, ZERO_HASH, ZERO_HASH], {
        account: m.buyer.account,
      }),
      m.jobMarket,
      "JobMarketUnsupportedAsset",
      [zeroAddress],
    );
  });

  it("an ETH job paid with less or more than its ceiling is rejected with JobMarketWrongValue(sent, ceiling)", async () => {
    const m = await loadMarket();
    const terms = termsAt(m, await now());
    for (const sent of [0n, CEILING - 1n, CEILING + 1n]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        post(m, terms, sent),
        m.jobMarket,
        "JobMarketWrongValue",
        [sent, CEILING],
      );
    }
  });

  it("a token job sent with ETH is rejected with JobMarketWrongValue(sent, 0)", async () => {
    const m = await loadMarket();
    const terms = termsAt(m, await now(), { asset: m.stakeToken.address });
    await m.stakeToken.write.approve([m.jobMarket.address, terms.priceCeiling], { account: m.buyer.account });
    await viem.assertions.revertWithCustomErrorWithArgs(
      post(m, terms, 1n),
      m.jobMarket,
      "JobMarketWrongValue",
      [1n, 0n],
    );
  });

  it("a token transfer that does not deliver exactly the ceiling is rejected with JobMarketTokenAmountMismatch", async () => {
    const m = await loadMarket();
    // A market whose stake token mints one extra unit to the market during the escrow pull.
    const token = await viem.deployContract("ReentrantToken");
    const registry = await viem.deployContract("ProviderRegistry", [
      m.deployer.account.address,
      token.address,
      m.deployer.account.address,
      7n * DAY,
    ]);
    const market = await viem.deployContract("JobMarket", [
      m.deployer.account.address,
      registry.address,
      m.enclaveRegistry.address,
    ]);
    await market.write.publishConfig([
      { ...(await configParameters(m)), dataDelivery: m.dataDelivery.address },
    ]);
    await token.write.mint([m.buyer.account.address, CEILING]);
    await token.write.approve([market.address, CEILING], { account: m.buyer.account });
    await token.write.arm([
      token.address,
      encodeFunctionData({ abi: token.abi, functionName: "mint", args: [market.address, 1n] }),
    ]);
    const terms = termsAt(m, await now(), { asset: token.address });
    await viem.assertions.revertWithCustomErrorWithArgs(
      market.write.postJob([terms], { account: m.buyer.account }),
      market,
      "JobMarketTokenAmountMismatch",
      [CEILING + 1n, CEILING],
    );
  });

  for (const [field, value] of [
    ["trainingVerifier", zeroAddress],
    ["dataDelivery", zeroAddress],
    ["collateralRatioBps", 0],
    ["collateralRatioBps", 50_001],
    ["slashBuyerShareBps", 0],
    ["slashBuyerShareBps", 10_001],
    ["computeShareBps", 10_001],
    ["cancellationFeeBps", 10_001],
    ["minBidStepBps", 5_001],
  ] as const) {
    it(`publishConfig with ${field} = ${value} is rejected with JobMarketInvalidConfig("${field}")`, async () => {
      const m = await loadMarket();
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.jobMarket.write.publishConfig([{ ...(await configParameters(m)), [field]: value }]),
        m.jobMarket,
        "JobMarketInvalidConfig",
        [field],
      );
      assert.equal(await m.jobMarket.read.currentConfigId(), 1);
    });
  }

  it("publishConfig at the limits is accepted and emits ConfigPublished with the registry's verifiers", async () => {
    const m = await loadMarket();
    const parameters = {
      ...(await configParameters(m)),
      collateralRatioBps: 50_000,
      slashBuyerShareBps: 10_000,
      computeShareBps: 10_000,
      cancellationFeeBps: 10_000,
      minBidStepBps: 5_000,
    };
    const verifiers = [
      getAddress(m.statementVerifier.address),
      getAddress(m.intelQuoteVerifier.address),
      getAddress(m.intelQuoteVerifier.address),
      getAddress(m.simulatedVerifier.address),
    ] as const;
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.publishConfig([parameters]),
      m.jobMarket,
      "ConfigPublished",
      [2, parameters, verifiers],
    );
    const config = await m.jobMarket.read.configOf([2]);
    assert.deepEqual(config.attestationVerifiers, verifiers);
    assert.equal(config.collateralRatioBps, 50_000);
    assert.equal(config.minBidStepBps, 5_000);
    // Computing nothing and charging no fee are allowed (zero shares).
    await m.jobMarket.write.publishConfig([{ ...parameters, computeShareBps: 0, cancellationFeeBps: 0 }]);
    assert.equal(await m.jobMarket.read.currentConfigId(), 3);
  });

  it("a zero registry in the constructor is rejected with JobMarketZeroAddress", async () => {
    const m = await loadMarket();
    const error = "JobMarketZeroAddress";
    const expected = new RegExp(`${error}\\(\\)`);
    await assert.rejects(
      viem.deployContract("JobMarket", [m.deployer.account.address, zeroAddress, m.enclaveRegistry.address]),
      expected,
    );
    await assert.rejects(
      viem.deployContract("JobMarket", [m.deployer.account.address, m.providerRegistry.address, zeroAddress]),
      expected,
    );
  });

  it("governance setters are owner-only (OwnableUnauthorizedAccount)", async () => {
    const m = await loadMarket();
    const as = { account: m.stranger.account };
    for (const call of [
      m.jobMarket.write.publishConfig([await configParameters(m)], as),
      m.jobMarket.write.setAssetLimits([ETH, 0n, 0n], as),
    ]) {
      await viem.assertions.revertWithCustomErrorWithArgs(call, m.jobMarket, "OwnableUnauthorizedAccount", [
        getAddress(m.stranger.account.address),
      ]);
    }
  });

  it("ETH from anyone but the provider registry is rejected with JobMarketUnexpectedEther(sender)", async () => {
    const m = await loadMarket();
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.stranger.sendTransaction({ to: m.jobMarket.address, value: 1n }),
      m.jobMarket,
      "JobMarketUnexpectedEther",
      [getAddress(m.stranger.account.address)],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.buyer.sendTransaction({ to: m.jobMarket.address, value: CEILING }),
      m.jobMarket,
      "JobMarketUnexpectedEther",
      [getAddress(m.buyer.account.address)],
    );
  });
});

describe("JobMarket failures: unknown jobs and mismatched terms", () => {
  it("a job id that was never posted is rejected with JobMarketUnknownJob(jobId)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    for (const jobId of [0n, job.jobId + 1n]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.jobMarket.write.placeBid([jobId, job.terms, 1n], { account: m.provider.account }),
        m.jobMarket,
        "JobMarketUnknownJob",
        [jobId],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.jobMarket.read.refundableOf([jobId, job.terms]),
        m.jobMarket,
        "JobMarketUnknownJob",
        [jobId],
      );
    }
  });

  // Each call that takes the terms, with a different field forged: all of them are bound by the hash.
  const forged: Array<{
    call: string;
    field: keyof JobTerms;
    send: (m: Market, job: PostedJob, terms: JobTerms) => Promise<unknown>;
  }> = [
    {
      call: "placeBid",
      field: "priceCeiling",
      send: (m, job, terms) =>
        m.jobMarket.write.placeBid([job.jobId, terms, CEILING * 2n], { account: m.provider.account }),
    },
    {
      call: "closeBidding",
      field: "bidDeadline",
      send: (m, job, terms) => m.jobMarket.write.closeBidding([job.jobId, terms]),
    },
    {
      call: "submitAttestation",
      field: "measurement",
      send: async (m, job, terms) =>
        m.jobMarket.write.submitAttestation([job.jobId, terms, ...(await attestationArgs(m, job))], {
          account: m.provider.account,
        }),
    },
    {
      call: "submitResult",
      field: "qualityThreshold",
      send: (m, job, terms) =>
        m.jobMarket.write.submitResult([job.jobId, terms, UNSIGNED_RESULT], {
          account: m.provider.account,
        }),
    },
    {
      call: "submitFailure",
      field: "dataDeadline",
      send: (m, job, terms) =>
        m.jobMarket.write.submitFailure(
          [
            job.jobId,
            terms,
            { reason: FailureReason.DataMismatch, dataHash: ZERO_HASH, faultyMembers: 0n },
            "0x",
          ],
          { account: m.provider.account },
        ),
    },
    {
      call: "placeBid",
      field: "configId",
      send: (m, job, terms) =>
        m.jobMarket.write.placeBid([job.jobId, terms, CEILING], { account: m.provider.account }),
    },
    {
      call: "enforceDeadline",
      field: "attestDeadline",
      send: (m, job, terms) => m.jobMarket.write.enforceDeadline([job.jobId, terms]),
    },
    {
      call: "cancelJob",
      field: "ownerKey",
      send: async (m, job, terms) =>
        m.jobMarket.write.cancelJob([job.jobId, terms, ...(await signCancel(m, job))], {
          account: m.relayer.account,
        }),
    },
    {
      call: "extendDeliveryDeadline",
      field: "deliveryDeadline",
      send: async (m, job, terms) => {
        const newDeadline = job.terms.deliveryDeadline + DAY;
        const deadline = job.terms.bidDeadline;
        const signature = await signExtendDelivery({
          ownerKey: job.secrets.ownerKey,
          chainId: m.chainId,
          jobMarket: m.jobMarket.address,
          jobId: job.jobId,
          nonce: 0n,
          deadline,
          deliveryDeadline: newDeadline,
        });
        return m.jobMarket.write.extendDeliveryDeadline(
          [job.jobId, terms, newDeadline, 0n, deadline, signature],
          {
            account: m.relayer.account,
          },
        );
      },
    },
    {
      call: "claimRefund",
      field: "refundCommitment",
      send: (m, job, terms) =>
        m.jobMarket.write.claimRefund([job.jobId, terms, job.secrets.refundTo, job.secrets.salt], {
          account: m.relayer.account,
        }),
    },
    {
      call: "refundableOf",
      field: "teeTypes",
      send: (m, job, terms) => m.jobMarket.read.refundableOf([job.jobId, terms]),
    },
  ];
  for (const { call, field, send } of forged) {
    it(`${call} with a forged ${field} is rejected with JobMarketTermsMismatch(jobId, stored, given)`, async () => {
      const m = await loadMarket();
      const job = await postTestJob(m);
      const original = job.terms[field];
      const terms: JobTerms = {
        ...job.terms,
        [field]:
          typeof original === "bigint"
            ? original + 1n
            : typeof original === "number"
              ? original ^ teeTypeSet([TeeType.Tdx])
              : field === "ownerKey"
                ? m.stranger.account.address
                : randomBytes32(),
      };
      assert.notEqual(hashJobTerms(terms), hashJobTerms(job.terms));
      await viem.assertions.revertWithCustomErrorWithArgs(
        send(m, job, terms) as Promise<Hex>,
        m.jobMarket,
        "JobMarketTermsMismatch",
        [job.jobId, hashJobTerms(job.terms), hashJobTerms(terms)],
      );
    });
  }
});

describe("JobMarket failures: bidding", () => {
  it("a bid above the ceiling is rejected with JobMarketBidAboveCeiling(bid, ceiling)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.placeBid([job.jobId, job.terms, CEILING + 1n], { account: m.provider.account }),
      m.jobMarket,
      "JobMarketBidAboveCeiling",
      [CEILING + 1n, CEILING],
    );
    await bid(m, job, CEILING); // the ceiling itself is a valid bid
  });

  it("a zero bid or one below the asset's minimum price is rejected with JobMarketBidBelowMinimum(bid, minimum)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    for (const price of [0n, 1n, MIN_PRICE_ETH - 1n]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.jobMarket.write.placeBid([job.jobId, job.terms, price], { account: m.provider.account }),
        m.jobMarket,
        "JobMarketBidBelowMinimum",
        [price, MIN_PRICE_ETH],
      );
    }
    await bid(m, job, MIN_PRICE_ETH);
    // A token without a minimum price still refuses a zero bid.
    assert.equal(await m.jobMarket.read.minPrice([m.stakeToken.address]), 0n);
    const tokenJob = await postTestJob(m, { asset: m.stakeToken.address });
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.placeBid([tokenJob.jobId, tokenJob.terms, 0n], { account: m.provider.account }),
      m.jobMarket,
      "JobMarketBidBelowMinimum",
      [0n, 0n],
    );
  });

  it("a bid not below the leading bid by the minimum step is rejected with JobMarketBidNotLower(bid, maxAccepted)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    const leading = CEILING / 2n;
    const maxAccepted = maxAcceptedBelow(leading);
    assert.equal(maxAccepted, leading - leading / 100n, "1% below");
    await bid(m, job, leading, m.provider);
    for (const price of [leading + 1n, leading, leading - 1n, maxAccepted + 1n]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.jobMarket.write.placeBid([job.jobId, job.terms, price], { account: m.provider2.account }),
        m.jobMarket,
        "JobMarketBidNotLower",
        [price, maxAccepted],
      );
    }
    const j = await m.jobMarket.read.getJob([job.jobId]);
    assert.equal(
      j.provider,
      getAddress(m.provider.account.address),
      "the earlier bid keeps the lead on a tie",
    );
    await bid(m, job, maxAccepted, m.provider2);
    assert.equal((await m.jobMarket.read.getJob([job.jobId])).price, maxAccepted);
  });

  it("a bid at or after the bid deadline is rejected with JobMarketBiddingClosed(bidDeadline)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await networkHelpers.time.setNextBlockTimestamp(job.terms.bidDeadline - 1n);
    await bid(m, job, CEILING); // the last second of the window
    await networkHelpers.time.setNextBlockTimestamp(job.terms.bidDeadline);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.placeBid([job.jobId, job.terms, CEILING / 2n], { account: m.provider2.account }),
      m.jobMarket,
      "JobMarketBiddingClosed",
      [job.terms.bidDeadline],
    );
  });

  it("a bid on a closed job is rejected with JobMarketInvalidStatus(jobId, status)", async () => {
    const m = await loadMarket();
    const job = await matchedJob(m);
    await m.jobMarket.write.closeBidding([job.jobId, job.terms]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.placeBid([job.jobId, job.terms, 1n], { account: m.provider2.account }),
      m.jobMarket,
      "JobMarketInvalidStatus",
      [job.jobId, JobStatus.Matched],
    );
  });

  it("a bid by an unregistered account is rejected with JobMarketTeeMismatch(0, jobTeeTypes)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    assert.equal(await m.providerRegistry.read.isRegistered([m.stranger.account.address]), false);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.placeBid([job.jobId, job.terms, CEILING], { account: m.stranger.account }),
      m.jobMarket,
      "JobMarketTeeMismatch",
      [0, SIMULATED_ONLY],
    );
  });

  it("a bid by a provider supporting none of the job's TEE types is rejected with JobMarketTeeMismatch", async () => {
    const m = await loadMarket();
    const sevSnp = teeTypeSet([TeeType.SevSnp, TeeType.Sgx]);
    const job = await postTestJob(m, { teeTypes: sevSnp });
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.placeBid([job.jobId, job.terms, CEILING], { account: m.provider.account }),
      m.jobMarket,
      "JobMarketTeeMismatch",
      [PROVIDER_TEE_TYPES, sevSnp],
    );
  });

  it("a bid by a registered provider without enough free stake is rejected by the registry", async () => {
    const m = await loadMarket();
    // Registered but never staked.
    await m.providerRegistry.write.register(
      [
        {
          teeTypes: SIMULATED_ONLY,
          hardwareClass: 1,
          metadataHash: randomBytes32(),
          endpointHash: randomBytes32(),
        },
      ],
      { account: m.relayer.account },
    );
    const job = await postTestJob(m);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.placeBid([job.jobId, job.terms, CEILING], { account: m.relayer.account }),
      m.providerRegistry,
      "ProviderRegistryInsufficientStake",
      [0n, collateralOf(CEILING)],
    );
    // A staked provider whose stake is short of a bigger job's collateral.
    const big = parseEther("30");
    const tokenJob = await postTestJob(m, { asset: m.stakeToken.address, priceCeiling: big });
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.placeBid([tokenJob.jobId, tokenJob.terms, big], { account: m.provider.account }),
      m.providerRegistry,
      "ProviderRegistryInsufficientStake",
      [PROVIDER_STAKE, collateralOf(big)],
    );
    assert.equal((await m.jobMarket.read.getJob([tokenJob.jobId])).provider, zeroAddress);
  });

  it("closing the bid window early is rejected with JobMarketBiddingStillOpen(bidDeadline)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await networkHelpers.time.setNextBlockTimestamp(job.terms.bidDeadline - 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.closeBidding([job.jobId, job.terms]),
      m.jobMarket,
      "JobMarketBiddingStillOpen",
      [job.terms.bidDeadline],
    );
  });

  it("closing the bid window twice is rejected with JobMarketInvalidStatus", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await endBidding(job);
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.closeBidding([job.jobId, job.terms]),
      m.jobMarket,
      "JobExpired",
      [job.jobId],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.closeBidding([job.jobId, job.terms]),
      m.jobMarket,
      "JobMarketInvalidStatus",
      [job.jobId, JobStatus.Expired],
    );
  });
});

describe("JobMarket failures: attestation reverts", () => {
  it("an attestation by someone other than the winner is rejected with JobMarketNotProvider(caller, winner)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await bid(m, job, CEILING / 2n + CEILING / 50n, m.provider2);
    await bid(m, job, CEILING / 2n, m.provider);
    await endBidding(job);
    const args = await attestationArgs(m, job);
    for (const caller of [m.provider2, m.stranger]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.jobMarket.write.submitAttestation([job.jobId, job.terms, ...args], { account: caller.account }),
        m.jobMarket,
        "JobMarketNotProvider",
        [getAddress(caller.account.address), getAddress(m.provider.account.address)],
      );
    }
  });

  it("an attestation after the attestation deadline is rejected with JobMarketDeadlinePassed(attestDeadline)", async () => {
    const m = await loadMarket();
    const job = await matchedJob(m);
    const args = await attestationArgs(m, job);
    await networkHelpers.time.setNextBlockTimestamp(job.terms.attestDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitAttestation([job.jobId, job.terms, ...args], { account: m.provider.account }),
      m.jobMarket,
      "JobMarketDeadlinePassed",
      [job.terms.attestDeadline],
    );
    // The deadline itself is still in time.
    await networkHelpers.time.setNextBlockTimestamp(job.terms.attestDeadline);
    await viem.assertions.emit(
      m.jobMarket.write.submitAttestation([job.jobId, job.terms, ...args], { account: m.provider.account }),
      m.jobMarket,
      "AttestationAccepted",
    );
  });

  it("an attestation during the bid window is rejected with JobMarketBiddingStillOpen", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await bid(m, job, CEILING / 2n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitAttestation([job.jobId, job.terms, ...(await attestationArgs(m, job))], {
        account: m.provider.account,
      }),
      m.jobMarket,
      "JobMarketBiddingStillOpen",
      [job.terms.bidDeadline],
    );
  });

  it("a second attestation is rejected with JobMarketInvalidStatus(jobId, Attested)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitAttestation([job.jobId, job.terms, ...(await attestationArgs(m, job))], {
        account: m.provider.account,
      }),
      m.jobMarket,
      "JobMarketInvalidStatus",
      [job.jobId, JobStatus.Attested],
    );
  });

  it("an attestation on a job that expired without bids is rejected with JobMarketInvalidStatus(jobId, Expired)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await endBidding(job);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitAttestation([job.jobId, job.terms, ...(await attestationArgs(m, job))], {
        account: m.provider.account,
      }),
      m.jobMarket,
      "JobMarketInvalidStatus",
      [job.jobId, JobStatus.Expired],
    );
  });

  it("a zero enclave key or signer is rejected with JobMarketEmptyEnclaveKey", async () => {
    const m = await loadMarket();
    const job = await matchedJob(m);
    const [teeType, encKey, signer, evidence] = await attestationArgs(m, job);
    for (const [k, s] of [
      [ZERO_HASH, signer],
      [encKey, zeroAddress],
    ] as const) {
      await viem.assertions.revertWithCustomError(
        m.jobMarket.write.submitAttestation([job.jobId, job.terms, teeType, k, s, evidence], {
          account: m.provider.account,
        }),
        m.jobMarket,
        "JobMarketEmptyEnclaveKey",
      );
    }
  });
});

/** A bad-evidence case: the attestation transaction succeeds, fails the job and slashes. */
type EvidenceCase = {
  name: string;
  overrides?: Parameters<typeof postTestJob>[1];
  /** Runs before the job is posted. */
  setup?: (m: Market) => Promise<void>;
  /** Runs after the bid window ended, before the attestation. */
  before?: (m: Market, job: PostedJob) => Promise<void>;
  args: (m: Market, job: PostedJob) => Promise<AttestArgs>;
  /** The revert data the market reports in EvidenceRejected. `at` is the attestation's timestamp. */
  reason: (m: Market, job: PostedJob, args: AttestArgs, at: bigint) => Hex | Promise<Hex>;
};

// Other builds of the Simulated TD: another MRTD gives another measurement.
const OTHER_MRTD = new Uint8Array(48).fill(0x0e);
const SHORT_LIVED_MRTD = new Uint8Array(48).fill(0x05);
const OTHER_MEASUREMENT = tdxMeasurement({ mrTd: OTHER_MRTD, rtmrs: SIMULATED_TD.rtmrs });
const SHORT_LIVED_MEASUREMENT = tdxMeasurement({ mrTd: SHORT_LIVED_MRTD, rtmrs: SIMULATED_TD.rtmrs });
const ZERO_WORD = `0x${"00".repeat(32)}` as const;
/** The quote inside IntelQuoteVerifier evidence, and evidence rebuilt around a changed quote. */
const quoteOf = (evidence: Hex) =>
  decodeAbiParameters([{ type: "bytes" }, { type: "uint256" }, { type: "uint256" }], evidence);
/** TDX body offset of the report data inside the quote (48-byte header + 520). */
const REPORT_DATA_OFFSET = 48 + 520;
/** The development PCK key's coordinates, as the Simulated verifier registers it. */
const DEV_PCK_XY = [
  hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(0, 32))),
  hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(32))),
] as const;

const EVIDENCE_CASES: EvidenceCase[] = [
  {
    name: "report data that is not the job binding",
    args: (m, job) => attestationArgs(m, job, { reportData: keccak256(toBytes("not the binding")) }),
    reason: (m, job, args) =>
      encodeErrorResult({
        abi: m.simulatedVerifier.abi,
        errorName: "IntelQuoteReportDataMismatch",
        args: [
          keccak256(toBytes("not the binding")),
          ZERO_WORD,
          attestationBinding({
            chainId: BigInt(m.chainId),
            jobMarket: m.jobMarket.address,
            jobId: job.jobId,
            enclaveEncryptionKey: args[1],
            enclaveSigner: args[2],
          }),
        ],
      }),
  },
  {
    name: "evidence bound to another job",
    args: (m, job) => attestationArgs(m, job, { jobId: job.jobId + 1n }),
    reason: (m, job, args) => {
      const binding = (jobId: bigint) =>
        attestationBinding({
          chainId: BigInt(m.chainId),
          jobMarket: m.jobMarket.address,
          jobId,
          enclaveEncryptionKey: args[1],
          enclaveSigner: args[2],
        });
      return encodeErrorResult({
        abi: m.simulatedVerifier.abi,
        errorName: "IntelQuoteReportDataMismatch",
        args: [binding(job.jobId + 1n), ZERO_WORD, binding(job.jobId)],
      });
    },
  },
  {
    name: "evidence for another enclave signer than the one submitted",
    args: async (m, job) => {
      const [teeType, encKey, , evidence] = await attestationArgs(m, job);
      return [teeType, encKey, m.stranger.account.address, evidence] as const;
    },
    reason: (m, job, args) => {
      // The evidence commits to its own enclave's signer; the market binds the submitted one.
      const [quote] = quoteOf(args[3]);
      const committed = slice(quote, REPORT_DATA_OFFSET, REPORT_DATA_OFFSET + 32);
      return encodeErrorResult({
        abi: m.simulatedVerifier.abi,
        errorName: "IntelQuoteReportDataMismatch",
        args: [
          committed,
          ZERO_WORD,
          attestationBinding({
            chainId: BigInt(m.chainId),
            jobMarket: m.jobMarket.address,
            jobId: job.jobId,
            enclaveEncryptionKey: args[1],
            enclaveSigner: args[2],
          }),
        ],
      });
    },
  },
  {
    name: "a measurement that was never allow-listed",
    args: (m, job) => attestationArgs(m, job, { report: { mrTd: OTHER_MRTD } }),
    reason: (m) =>
      encodeErrorResult({
        abi: m.enclaveRegistry.abi,
        errorName: "EnclaveRegistryMeasurementNotAllowed",
        args: [TeeType.Simulated, OTHER_MEASUREMENT],
      }),
  },
  {
    // Revoked after posting, the job would be Released (JobMarket.outcomes.test.ts): revoked before,
    // the provider bid on a job its enclave could not attest.
    name: "a measurement revoked before the job was posted",
    setup: async (m) => {
      await m.enclaveRegistry.write.revokeMeasurement([TeeType.Simulated, SIMULATED_MEASUREMENT]);
    },
    args: (m, job) => attestationArgs(m, job),
    reason: async (m, job) => {
      const { revokedAt } = await m.enclaveRegistry.read.measurementOf([
        TeeType.Simulated,
        SIMULATED_MEASUREMENT,
      ]);
      assert.ok(revokedAt > 0n && revokedAt < BigInt((await m.jobMarket.read.getJob([job.jobId])).postedAt));
      return encodeErrorResult({
        abi: m.enclaveRegistry.abi,
        errorName: "AttestationRevoked",
        args: [SIMULATED_MEASUREMENT, revokedAt],
      });
    },
  },
  {
    name: "an allow-listing that has expired",
    setup: async (m) => {
      await m.enclaveRegistry.write.allowMeasurement([
        TeeType.Simulated,
        SHORT_LIVED_MEASUREMENT,
        (await now()) + 300n,
      ]);
    },
    args: (m, job) => attestationArgs(m, job, { report: { mrTd: SHORT_LIVED_MRTD } }),
    reason: async (m, _job, _args, at) => {
      const { expiresAt } = await m.enclaveRegistry.read.measurementOf([
        TeeType.Simulated,
        SHORT_LIVED_MEASUREMENT,
      ]);
      assert.ok(expiresAt > 0n && expiresAt < at);
      return encodeErrorResult({
        abi: m.enclaveRegistry.abi,
        errorName: "EnclaveRegistryMeasurementExpired",
        args: [TeeType.Simulated, SHORT_LIVED_MEASUREMENT, expiresAt],
      });
    },
  },
  {
    name: "a quote from a platform whose PCK key governance revoked before the job was posted",
    setup: async (m) => {
      await m.simulatedVerifier.write.revokePckKey(DEV_PCK_XY);
    },
    args: (m, job) => attestationArgs(m, job),
    reason: async (m) =>
      encodeErrorResult({
        abi: m.simulatedVerifier.abi,
        errorName: "AttestationRevoked",
        args: [
          await m.simulatedVerifier.read.pckKeyHash(DEV_PCK_XY),
          (await m.simulatedVerifier.read.pckKeyOf(DEV_PCK_XY)).revokedAt,
        ],
      }),
  },
  {
    name: "a quote changed after signing (one byte of MRCONFIGID)",
    args: async (m, job) => {
      const [teeType, encKey, signer, evidence] = await attestationArgs(m, job);
      const [quote, x, y] = quoteOf(evidence);
      const bytes = hexToBytes(quote);
      bytes[48 + 200] = (bytes[48 + 200] as number) ^ 0x80; // inside MRCONFIGID: signed, not measured
      const tampered = encodeAbiParameters(
        [{ type: "bytes" }, { type: "uint256" }, { type: "uint256" }],
        [bytesToHex(bytes), x, y],
      );
      return [teeType, encKey, signer, tampered] as const;
    },
    reason: (m) =>
      encodeErrorResult({ abi: m.simulatedVerifier.abi, errorName: "IntelQuoteSignatureInvalid" }),
  },
  {
    name: "undecodable evidence",
    args: async (m, job) => {
      const [teeType, encKey, signer] = await attestationArgs(m, job);
      return [teeType, encKey, signer, "0xdeadbeef"] as const;
    },
    reason: (m) =>
      encodeErrorResult({ abi: m.simulatedVerifier.abi, errorName: "IntelQuoteMalformedEvidence" }),
  },
  {
    name: "a TEE type the job does not accept",
    overrides: { teeTypes: teeTypeSet([TeeType.Tdx]) },
    args: (m, job) => attestationArgs(m, job),
    reason: (m) =>
      encodeErrorResult({
        abi: m.jobMarket.abi,
        errorName: "JobMarketTeeNotAccepted",
        args: [TeeType.Simulated, teeTypeSet([TeeType.Tdx])],
      }),
  },
  {
    // The job's config pins the production IntelQuoteVerifier for TDX: development evidence
    // claiming to be TDX comes from a PCK key it never registered.
    name: "Simulated evidence submitted as TDX",
    overrides: { teeTypes: teeTypeSet([TeeType.Tdx, TeeType.Simulated]) },
    args: async (m, job) => {
      const [, encKey, signer, evidence] = await attestationArgs(m, job);
      return [TeeType.Tdx, encKey, signer, evidence] as const;
    },
    reason: async (m) =>
      encodeErrorResult({
        abi: m.intelQuoteVerifier.abi,
        errorName: "IntelQuotePckKeyUnknown",
        args: [await m.intelQuoteVerifier.read.pckKeyHash(DEV_PCK_XY)],
      }),
  },
  {
    name: "Simulated evidence while the Simulated TEE was disabled before the job was posted",
    setup: async (m) => {
      await m.enclaveRegistry.write.setSimulatedEnabled([false]);
    },
    args: (m, job) => attestationArgs(m, job),
    reason: (m) =>
      encodeErrorResult({ abi: m.enclaveRegistry.abi, errorName: "EnclaveRegistrySimulatedDisabled" }),
  },
  {
    name: "an allow-listed measurement other than the one the job requires",
    overrides: { measurement: OTHER_MEASUREMENT },
    args: (m, job) => attestationArgs(m, job),
    reason: (m) =>
      encodeErrorResult({
        abi: m.jobMarket.abi,
        errorName: "JobMarketMeasurementMismatch",
        args: [SIMULATED_MEASUREMENT, OTHER_MEASUREMENT],
      }),
  },
];

describe("JobMarket failures: bad evidence fails the job and slashes (no revert)", () => {
  for (const c of EVIDENCE_CASES) {
    it(`attestation with ${c.name} → EvidenceRejected + JobFailed, provider slashed`, async () => {
      const m = await loadMarket();
      await c.setup?.(m);
      const job = await matchedJob(m, ODD_PRICE, c.overrides ?? {});
      await c.before?.(m, job);
      const args = await c.args(m, job);
      const at = await pinNextTimestamp();
      const reason = await c.reason(m, job, args, at);
      const treasuryBefore = await m.providerRegistry.read.treasuryAccrued([ETH]);
      const stakeBefore = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);
      assert.equal(stakeBefore.locked, ODD_COLLATERAL);

      const tx = await m.jobMarket.write.submitAttestation([job.jobId, job.terms, ...args], {
        account: m.provider.account,
      });
      const receipt = await m.publicClient.waitForTransactionReceipt({ hash: tx });
      assert.equal(receipt.status, "success", "bad evidence must not revert");
      await viem.assertions.emitWithArgs(tx, m.jobMarket, "EvidenceRejected", [
        job.jobId,
        FailureReason.AttestationRejected,
        reason,
      ]);
      await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobFailed", [
        job.jobId,
        FailureReason.AttestationRejected,
        ODD_COLLATERAL,
        ODD_TO_BUYER,
      ]);
      await viem.assertions.balancesHaveChanged(tx, [
        { address: m.jobMarket.address, amount: ODD_TO_BUYER },
        { address: m.providerRegistry.address, amount: -ODD_TO_BUYER },
      ]);
      assert.equal(await statusOf(m, job), JobStatus.Failed);
      const stake = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);
      assert.equal(stake.locked, 0n);
      assert.equal(stake.free, stakeBefore.free, "only the locked collateral is slashed");
      assert.equal(await m.providerRegistry.read.treasuryAccrued([ETH]), treasuryBefore + ODD_TO_TREASURY);
      assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), CEILING + ODD_TO_BUYER);
      // A failed job takes no further evidence.
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.jobMarket.write.submitAttestation([job.jobId, job.terms, ...(await attestationArgs(m, job))], {
          account: m.provider.account,
        }),
        m.jobMarket,
        "JobMarketInvalidStatus",
        [job.jobId, JobStatus.Failed],
      );
    });
  }

  for (const [proof, label, reason] of [
    [
      INVALID_PROOF,
      "a proof the verifier rejects",
      (m: Market) => encodeErrorResult({ abi: m.jobMarket.abi, errorName: "JobMarketProofInvalid" }),
    ],
    [
      REVERTING_PROOF,
      "a proof the verifier reverts on",
      (m: Market) =>
        encodeErrorResult({ abi: m.trainingVerifier.abi, errorName: "TestTrainingVerifierReverted" }),
    ],
  ] as const) {
    it(`a result with ${label} → EvidenceRejected(ProofRejected) + JobFailed, provider slashed, no payment`, async () => {
      const m = await loadMarket();
      const job = await attestedJob(m, ODD_PRICE);
      const treasuryBefore = await m.providerRegistry.read.treasuryAccrued([ETH]);
      const tx = await m.jobMarket.write.submitResult(
        [job.jobId, job.terms, await signedResult(m, job, { proof })],
        {
          account: m.provider.account,
        },
      );
      await viem.assertions.emitWithArgs(tx, m.jobMarket, "EvidenceRejected", [
        job.jobId,
        FailureReason.ProofRejected,
        reason(m),
      ]);
      await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobFailed", [
        job.jobId,
        FailureReason.ProofRejected,
        ODD_COLLATERAL,
        ODD_TO_BUYER,
      ]);
      await viem.assertions.balancesHaveChanged(tx, [
        { address: m.jobMarket.address, amount: ODD_TO_BUYER },
        { address: m.providerRegistry.address, amount: -ODD_TO_BUYER },
      ]);
      assert.equal(await statusOf(m, job), JobStatus.Failed);
      assert.equal((await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH])).locked, 0n);
      assert.equal(await m.providerRegistry.read.treasuryAccrued([ETH]), treasuryBefore + ODD_TO_TREASURY);
      assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), CEILING + ODD_TO_BUYER);
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.jobMarket.write.submitResult([job.jobId, job.terms, await signedResult(m, job)], {
          account: m.provider.account,
        }),
        m.jobMarket,
        "JobMarketInvalidStatus",
        [job.jobId, JobStatus.Failed],
      );
    });
  }
});

describe("JobMarket failures: results", () => {
  it("a result from someone other than the provider is rejected with JobMarketNotProvider", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const result = await signedResult(m, job);
    for (const caller of [m.provider2, m.buyer]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.jobMarket.write.submitResult([job.jobId, job.terms, result], {
          account: caller.account,
        }),
        m.jobMarket,
        "JobMarketNotProvider",
        [getAddress(caller.account.address), getAddress(m.provider.account.address)],
      );
    }
  });

  it("a result before attestation is rejected with JobMarketInvalidStatus(jobId, Matched)", async () => {
    const m = await loadMarket();
    const job = await matchedJob(m);
    await m.jobMarket.write.closeBidding([job.jobId, job.terms]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitResult([job.jobId, job.terms, UNSIGNED_RESULT], {
        account: m.provider.account,
      }),
      m.jobMarket,
      "JobMarketInvalidStatus",
      [job.jobId, JobStatus.Matched],
    );
  });

  it("a second result is rejected with JobMarketInvalidStatus(jobId, Completed)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const result = await signedResult(m, job);
    const submit = () =>
      m.jobMarket.write.submitResult([job.jobId, job.terms, result], {
        account: m.provider.account,
      });
    await submit();
    await viem.assertions.revertWithCustomErrorWithArgs(submit(), m.jobMarket, "JobMarketInvalidStatus", [
      job.jobId,
      JobStatus.Completed,
    ]);
  });

  it("a result after the delivery deadline is rejected with JobMarketDeadlinePassed(deliveryDeadline)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    const result = await signedResult(m, job);
    const submit = () =>
      m.jobMarket.write.submitResult([job.jobId, job.terms, result], {
        account: m.provider.account,
      });
    await networkHelpers.time.setNextBlockTimestamp(job.terms.deliveryDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(submit(), m.jobMarket, "JobMarketDeadlinePassed", [
      job.terms.deliveryDeadline,
    ]);
    await networkHelpers.time.setNextBlockTimestamp(job.terms.deliveryDeadline);
    await viem.assertions.emit(submit(), m.jobMarket, "PaymentReleased"); // the last second is in time
  });

  it("an empty model commitment or ciphertext hash is rejected with JobMarketEmptyResult", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    for (const [modelCommitment, modelCiphertextHash] of [
      [ZERO_HASH, CIPHERTEXT],
      [MODEL, ZERO_HASH],
    ] as const) {
      const result = await signedResult(m, job, { modelCommitment, modelCiphertextHash });
      await viem.assertions.revertWithCustomError(
        m.jobMarket.write.submitResult([job.jobId, job.terms, result], {
          account: m.provider.account,
        }),
        m.jobMarket,
        "JobMarketEmptyResult",
      );
    }
  });

  it("a result after the data deadline without a recorded delivery is still accepted (the record protects the provider only)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    // The data may have reached the enclave without a record (the record only protects the provider).
    await networkHelpers.time.setNextBlockTimestamp(job.terms.dataDeadline + 1n);
    await viem.assertions.emit(
      m.jobMarket.write.submitResult([job.jobId, job.terms, await signedResult(m, job)], {
        account: m.provider.account,
      }),
      m.jobMarket,
      "ProofVerified",
    );
    assert.equal(await statusOf(m, job), JobStatus.Completed);
  });
});

describe("JobMarket failures: timeouts", () => {
  it("enforceDeadline during the bid window is rejected with JobMarketBiddingStillOpen", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await bid(m, job, CEILING);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobMarketBiddingStillOpen",
      [job.terms.bidDeadline],
    );
  });

  it("enforceDeadline on a matched job before the attestation deadline is rejected with JobMarketDeadlineNotPassed", async () => {
    const m = await loadMarket();
    const job = await matchedJob(m);
    // The first call only closes the ended bid window; a second finds the attestation deadline unpassed.
    await viem.assertions.emit(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobMatched",
    );
    assert.equal(await statusOf(m, job), JobStatus.Matched);
    await networkHelpers.time.setNextBlockTimestamp(job.terms.attestDeadline);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobMarketDeadlineNotPassed",
      [job.terms.attestDeadline],
    );
  });

  it("enforceDeadline on an attested job without a delivery record before the data deadline is rejected with JobMarketDeadlineNotPassed(dataDeadline)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    await networkHelpers.time.setNextBlockTimestamp(job.terms.dataDeadline);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobMarketDeadlineNotPassed",
      [job.terms.dataDeadline],
    );
  });

  it("enforceDeadline on an attested job with a recorded delivery before the delivery deadline is rejected with JobMarketDeadlineNotPassed(deliveryDeadline)", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    await recordDelivery(m, job);
    await networkHelpers.time.setNextBlockTimestamp(job.terms.deliveryDeadline);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobMarketDeadlineNotPassed",
      [job.terms.deliveryDeadline],
    );
  });

  it("enforceDeadline on a finished job is rejected with JobMarketInvalidStatus", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m);
    await m.jobMarket.write.submitResult([job.jobId, job.terms, await signedResult(m, job)], {
      account: m.provider.account,
    });
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobMarketInvalidStatus",
      [job.jobId, JobStatus.Completed],
    );
  });

  it("no bids → Expired, the full ceiling refunded to the committed address, nothing slashed", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await endBidding(job);
    assert.equal(await statusOf(m, job), JobStatus.Expired);
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms], { account: m.relayer.account }),
      m.jobMarket,
      "JobExpired",
      [job.jobId],
    );
    assert.equal((await m.jobMarket.read.getJob([job.jobId])).status, JobStatus.Expired);
    assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), CEILING);
    const claim = m.jobMarket.write.claimRefund(
      [job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt],
      {
        account: m.relayer.account,
      },
    );
    await viem.assertions.balancesHaveChanged(claim, [
      { address: job.secrets.refundTo, amount: CEILING },
      { address: m.jobMarket.address, amount: -CEILING },
    ]);
    assert.equal(await m.publicClient.getBalance({ address: m.jobMarket.address }), 0n);
    assert.equal(await m.providerRegistry.read.treasuryAccrued([ETH]), 0n);
  });

  it("attestation missed → one enforceDeadline closes, fails and slashes; refund = ceiling + buyer share", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await bid(m, job, ODD_PRICE);
    const registryBefore = await m.publicClient.getBalance({ address: m.providerRegistry.address });
    await networkHelpers.time.increaseTo(job.terms.attestDeadline + 1n);
    assert.equal(await statusOf(m, job), JobStatus.Matched);
    const tx = await m.jobMarket.write.enforceDeadline([job.jobId, job.terms], {
      account: m.stranger.account,
    });
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobMatched", [
      job.jobId,
      getAddress(m.provider.account.address),
      ODD_PRICE,
      ODD_COLLATERAL,
    ]);
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobFailed", [
      job.jobId,
      FailureReason.AttestationDeadlineMissed,
      ODD_COLLATERAL,
      ODD_TO_BUYER,
    ]);
    await viem.assertions.balancesHaveChanged(tx, [
      { address: m.jobMarket.address, amount: ODD_TO_BUYER },
      { address: m.providerRegistry.address, amount: -ODD_TO_BUYER },
    ]);
    assert.equal(await statusOf(m, job), JobStatus.Failed);
    const stake = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);
    assert.equal(stake.locked, 0n);
    assert.equal(stake.free, PROVIDER_STAKE - ODD_COLLATERAL, "the provider loses exactly the collateral");
    assert.equal(await m.providerRegistry.read.treasuryAccrued([ETH]), ODD_TO_TREASURY);
    assert.equal(
      await m.publicClient.getBalance({ address: m.providerRegistry.address }),
      registryBefore - ODD_TO_BUYER,
    );

    await viem.assertions.balancesHaveChanged(
      m.jobMarket.write.claimRefund([job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt], {
        account: m.relayer.account,
      }),
      [
        { address: job.secrets.refundTo, amount: CEILING + ODD_TO_BUYER },
        { address: m.jobMarket.address, amount: -(CEILING + ODD_TO_BUYER) },
      ],
    );
    assert.equal(await m.publicClient.getBalance({ address: m.jobMarket.address }), 0n);
    // The treasury's share is withdrawable by anyone to the treasury, exactly once.
    await viem.assertions.balancesHaveChanged(
      m.providerRegistry.write.withdrawTreasury([ETH], { account: m.relayer.account }),
      [
        { address: m.deployer.account.address, amount: ODD_TO_TREASURY },
        { address: m.providerRegistry.address, amount: -ODD_TO_TREASURY },
      ],
    );
    assert.equal(
      await m.publicClient.getBalance({ address: m.providerRegistry.address }),
      PROVIDER_STAKE * 2n - ODD_COLLATERAL,
      "the registry holds exactly the remaining ETH stake",
    );
  });

  it("data recorded, result missed → enforceDeadline fails and slashes; refund = ceiling + buyer share", async () => {
    const m = await loadMarket();
    const job = await attestedJob(m, ODD_PRICE);
    // With a recorded delivery the data was the buyer's to give and the result the provider's to make.
    await recordDelivery(m, job);
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    const tx = await m.jobMarket.write.enforceDeadline([job.jobId, job.terms], {
      account: m.stranger.account,
    });
    await viem.assertions.emitWithArgs(tx, m.jobMarket, "JobFailed", [
      job.jobId,
      FailureReason.DeliveryDeadlineMissed,
      ODD_COLLATERAL,
      ODD_TO_BUYER,
    ]);
    await viem.assertions.balancesHaveChanged(tx, [
      { address: m.jobMarket.address, amount: ODD_TO_BUYER },
      { address: m.providerRegistry.address, amount: -ODD_TO_BUYER },
    ]);
    const stake = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);
    assert.equal(stake.locked, 0n);
    assert.equal(stake.free, PROVIDER_STAKE - ODD_COLLATERAL);
    assert.equal(await m.providerRegistry.read.treasuryAccrued([ETH]), ODD_TO_TREASURY);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobMarketInvalidStatus",
      [job.jobId, JobStatus.Failed],
    );
    await viem.assertions.balancesHaveChanged(
      m.jobMarket.write.claimRefund([job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt], {
        account: m.relayer.account,
      }),
      [{ address: job.secrets.refundTo, amount: CEILING + ODD_TO_BUYER }],
    );
    assert.equal(await m.publicClient.getBalance({ address: m.jobMarket.address }), 0n);
  });

  it("result missed on a token job moves the token balances exactly", async () => {
    const m = await loadMarket();
    const ceiling = parseEther("3");
    const price = parseEther("2") + 1n;
    const collateral = collateralOf(price);
    const toBuyer = buyerShareOf(collateral);
    assert.equal(collateral, parseEther("1") + 1n);
    assert.equal(toBuyer, parseEther("0.7") + 1n, "the buyer's share rounds up");
    const token = m.stakeToken;
    const balance = (a: Address) => token.read.balanceOf([a]);
    const job = await postTestJob(m, { asset: token.address, priceCeiling: ceiling });
    await bid(m, job, price);
    await endBidding(job);
    await m.jobMarket.write.submitAttestation([job.jobId, job.terms, ...(await attestationArgs(m, job))], {
      account: m.provider.account,
    });
    await recordDelivery(m, job);
    const marketBefore = await balance(m.jobMarket.address);
    const registryBefore = await balance(m.providerRegistry.address);
    assert.equal(marketBefore, ceiling);
    await networkHelpers.time.increaseTo(job.terms.deliveryDeadline + 1n);
    await viem.assertions.emitWithArgs(
      m.jobMarket.write.enforceDeadline([job.jobId, job.terms]),
      m.jobMarket,
      "JobFailed",
      [job.jobId, FailureReason.DeliveryDeadlineMissed, collateral, toBuyer],
    );
    assert.equal(await balance(m.jobMarket.address), ceiling + toBuyer);
    assert.equal(await balance(m.providerRegistry.address), registryBefore - toBuyer);
    assert.equal(await m.providerRegistry.read.treasuryAccrued([token.address]), collateral - toBuyer);
    const stake = await m.providerRegistry.read.stakeOf([m.provider.account.address, token.address]);
    assert.equal(stake.locked, 0n);
    assert.equal(stake.free, PROVIDER_STAKE - collateral);

    const refundBefore = await balance(job.secrets.refundTo);
    await m.jobMarket.write.claimRefund([job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt]);
    assert.equal(await balance(job.secrets.refundTo), refundBefore + ceiling + toBuyer);
    assert.equal(await balance(m.jobMarket.address), 0n);
  });
});

describe("JobMarket failures: refunds and cancellation", () => {
  it("a refund with the wrong preimage is rejected with JobMarketRefundCommitmentMismatch(jobId)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await endBidding(job);
    await m.jobMarket.write.closeBidding([job.jobId, job.terms]);
    for (const [to, salt] of [
      [m.relayer.account.address, job.secrets.salt],
      [job.secrets.refundTo, randomBytes32()],
    ] as const) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.jobMarket.write.claimRefund([job.jobId, job.terms, to, salt], { account: m.relayer.account }),
        m.jobMarket,
        "JobMarketRefundCommitmentMismatch",
        [job.jobId],
      );
    }
    assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), CEILING);
  });

  it("a second refund is rejected with JobMarketNothingToRefund(jobId)", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    await endBidding(job);
    await m.jobMarket.write.closeBidding([job.jobId, job.terms]);
    const claim = () =>
      m.jobMarket.write.claimRefund([job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt], {
        account: m.relayer.account,
      });
    await viem.assertions.emitWithArgs(claim(), m.jobMarket, "RefundClaimed", [
      job.jobId,
      getAddress(job.secrets.refundTo),
      CEILING,
    ]);
    await viem.assertions.revertWithCustomErrorWithArgs(claim(), m.jobMarket, "JobMarketNothingToRefund", [
      job.jobId,
    ]);
    assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), 0n);
  });

  it("a refund while the job runs, or after it completed at the full ceiling, is rejected with JobMarketNothingToRefund", async () => {
    const m = await loadMarket();
    const job = await postTestJob(m);
    const claim = () =>
      m.jobMarket.write.claimRefund([job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt], {
        account: m.relayer.account,
      });
    await viem.assertions.revertWithCustomErrorWithArgs(claim(), m.jobMarket, "JobMarketNothingToRefund", [
      job.jobId,
    ]);
    await bid(m, job, CEILING);
    await endBidding(job);
    const enclave = newSimulatedEnclave();
    await m.jobMarket.write.submitAttestation(
      [job.jobId, job.terms, ...(await attestationArgs(m, job, { enclave }))],
      { account: m.provider.account },
    );
    await viem.assertions.revertWithCustomErrorWithArgs(claim(), m.jobMarket, "JobMarketNothingToRefund", [
      job.jobId,
    ]);
    await m.jobMarket.write.submitResult([job.jobId, job.terms, await signedResult(m, { ...job, enclave })], {
      account: m.provider.account,
    });
    await viem.assertions.revertWithCustomErrorWithArgs(claim(), m.jobMarket, "JobMarketNothingToRefund", [
      job.jobId,
    ]);
  });

  it("a cancellation after the bid window ended with a leader is rejected with JobMarketAlreadyMatched", async () => {
    const m = await loadMarket();
    const job = await matchedJob(m);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.cancelJob([job.jobId, job.terms, ...(await signCancel(m, job))], {
        account: m.relayer.account,
      }),
      m.jobMarket,
      "JobMarketAlreadyMatched",
      [job.jobId, getAddress(m.provider.account.address)],
    );
    assert.equal(await m.jobMarket.read.nonces([job.terms.ownerKey]), 0n, "a failed cancel uses no nonce");
  });

  it("a cancellation after bidding was closed is rejected with JobMarketInvalidStatus(jobId, Matched)", async () => {
    const m = await loadMarket();
    const job = await matchedJob(m);
    await m.jobMarket.write.closeBidding([job.jobId, job.terms]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.cancelJob([job.jobId, job.terms, ...(await signCancel(m, job))], {
        account: m.relayer.account,
      }),
      m.jobMarket,
      "JobMarketInvalidStatus",
      [job.jobId, JobStatus.Matched],
    );
  });

  it("withdrawing an owed amount of zero is rejected with JobMarketNothingOwed(account, asset)", async () => {
    const m = await loadMarket();
    for (const asset of [ETH, m.stakeToken.address]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.jobMarket.write.withdrawOwed([asset, m.stranger.account.address], { account: m.stranger.account }),
        m.jobMarket,
        "JobMarketNothingOwed",
        [getAddress(m.stranger.account.address), getAddress(asset)],
      );
    }
  });
});
