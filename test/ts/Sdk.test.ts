// The SDK agrees with the contracts: the same hashes, the same binding, the same term rules.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { hashDomain, keccak256, parseEther, toBytes, toHex } from "viem";
import {
  buildJobTerms,
  newBuyerSecrets,
  newSimulatedEnclave,
  randomBytes32,
} from "../../scripts/lib/market.ts";
import { readDeployment, writeDeployment } from "../../sdk/deployments.node.ts";
import {
  attestationBinding,
  checkJobTerms,
  DeploymentError,
  dataDeliveryDomain,
  ETH,
  enclaveStatementTypes,
  FIELD_MODULUS,
  type JobTerms,
  JobTermsError,
  type jobMarketAbi,
  jobMarketDomain,
  ownerActionTypes,
  parseDeployment,
  recordDeliveryTypes,
  ZERO_HASH,
} from "../../sdk/index.ts";
import { hashJobTerms } from "../../sdk/jobTerms.ts";
import { loadMarket, now, viem } from "../support/fixture.ts";

/** One bad-terms case: how to break the terms, and what the SDK and the contract must say. */
type JobMarketError = Extract<(typeof jobMarketAbi)[number], { type: "error" }>["name"];
type BadTerms = {
  name: string;
  mutate: (t: JobTerms, now: bigint) => JobTerms;
  sdk: RegExp;
  error: JobMarketError;
};

const BAD_TERMS: BadTerms[] = [
  {
    name: "zero price",
    mutate: (t) => ({ ...t, priceCeiling: 0n }),
    sdk: /positive/,
    error: "JobMarketZeroPrice",
  },
  {
    name: "no TEE type",
    mutate: (t) => ({ ...t, teeTypes: 0 }),
    sdk: /teeTypes/,
    error: "JobMarketUnknownTeeType",
  },
  {
    name: "unknown TEE type bit",
    mutate: (t) => ({ ...t, teeTypes: 0x20 }),
    sdk: /unknown TEE/,
    error: "JobMarketUnknownTeeType",
  },
  {
    name: "empty spec hash",
    mutate: (t) => ({ ...t, specHash: ZERO_HASH }),
    sdk: /specHash/,
    error: "JobMarketEmptyCommitment",
  },
  {
    name: "empty dataset commitment",
    mutate: (t) => ({ ...t, datasetCommitment: ZERO_HASH }),
    sdk: /datasetCommitment/,
    error: "JobMarketEmptyCommitment",
  },
  {
    name: "empty refund commitment",
    mutate: (t) => ({ ...t, refundCommitment: ZERO_HASH }),
    sdk: /refundCommitment/,
    error: "JobMarketEmptyCommitment",
  },
  {
    name: "zero owner key",
    mutate: (t) => ({ ...t, ownerKey: ETH }),
    sdk: /ownerKey/,
    error: "JobMarketZeroOwnerKey",
  },
  {
    name: "bid deadline in the past",
    mutate: (t, n) => ({ ...t, bidDeadline: n - 1n }),
    sdk: /future/,
    error: "JobMarketDeadlineInPast",
  },
  {
    name: "attest before bid deadline",
    mutate: (t) => ({ ...t, attestDeadline: t.bidDeadline }),
    sdk: /increasing/,
    error: "JobMarketDeadlinesOutOfOrder",
  },
  {
    name: "delivery before attest deadline",
    mutate: (t) => ({ ...t, deliveryDeadline: t.attestDeadline - 1n }),
    sdk: /increasing/,
    error: "JobMarketDeadlinesOutOfOrder",
  },
  {
    name: "committee on a single-party job",
    mutate: (t) => ({ ...t, threshold: 1 }),
    sdk: /committee/,
    error: "JobMarketInvalidParties",
  },
  {
    name: "spec hash equal to the field modulus",
    mutate: (t) => ({ ...t, specHash: toHex(FIELD_MODULUS, { size: 32 }) }),
    sdk: /specHash must be a BN254 field element/,
    error: "JobMarketNotAFieldElement",
  },
  {
    name: "evaluation commitment above the field modulus",
    mutate: (t) => ({ ...t, evalCommitment: toHex(2n ** 256n - 1n, { size: 32 }) }),
    sdk: /evalCommitment must be a BN254 field element/,
    error: "JobMarketNotAFieldElement",
  },
  {
    name: "quality threshold above 100%",
    mutate: (t) => ({ ...t, qualityThreshold: 10_001n }),
    sdk: /qualityThreshold/,
    error: "JobMarketThresholdOutOfRange",
  },
  {
    name: "data deadline at the attestation deadline",
    mutate: (t) => ({ ...t, dataDeadline: t.attestDeadline }),
    sdk: /increasing/,
    error: "JobMarketDeadlinesOutOfOrder",
  },
  {
    name: "data deadline at the delivery deadline",
    mutate: (t) => ({ ...t, dataDeadline: t.deliveryDeadline }),
    sdk: /increasing/,
    error: "JobMarketDeadlinesOutOfOrder",
  },
];

/** The EIP-712 `encodeType` of a primary type without referenced structs: `Name(type name,…)`. */
function encodeType(name: string, fields: readonly { name: string; type: string }[]): string {
  return `${name}(${fields.map((f) => `${f.type} ${f.name}`).join(",")})`;
}

describe("SDK ↔ contracts", () => {
  it("hashJobTerms equals JobMarket.hashTerms for random terms", async () => {
    const m = await loadMarket();
    for (let i = 0; i < 5; i++) {
      const terms = buildJobTerms({
        now: await now(),
        secrets: newBuyerSecrets(m.stranger.account.address),
        priceCeiling: BigInt(i + 1) * parseEther("0.3"),
        qualityThreshold: BigInt(i * 1000),
      });
      assert.equal(hashJobTerms(terms), await m.jobMarket.read.hashTerms([terms]));
    }
  });

  it("attestationBinding equals JobMarket.attestationBinding", async () => {
    const m = await loadMarket();
    const enclave = newSimulatedEnclave();
    const onChain = await m.jobMarket.read.attestationBinding([
      7n,
      enclave.encryptionKey,
      enclave.signer.address,
    ]);
    const local = attestationBinding({
      chainId: BigInt(m.chainId),
      jobMarket: m.jobMarket.address,
      jobId: 7n,
      enclaveEncryptionKey: enclave.encryptionKey,
      enclaveSigner: enclave.signer.address,
    });
    assert.equal(local, onChain);
    const otherJob = await m.jobMarket.read.attestationBinding([
      8n,
      enclave.encryptionKey,
      enclave.signer.address,
    ]);
    assert.notEqual(local, otherJob);
  });

  it("the EIP-712 domains and types of owner-key, enclave and delivery statements equal the contracts'", async () => {
    const m = await loadMarket();
    const types = {
      EIP712Domain: [
        { name: "name", type: "string" },
        { name: "version", type: "string" },
        { name: "chainId", type: "uint256" },
        { name: "verifyingContract", type: "address" },
      ],
    } as const;
    assert.equal(
      hashDomain({
        domain: { ...jobMarketDomain(m.chainId, m.jobMarket.address), chainId: BigInt(m.chainId) },
        types,
      }),
      await m.jobMarket.read.domainSeparator(),
    );
    assert.equal(
      hashDomain({
        domain: { ...dataDeliveryDomain(m.chainId, m.dataDelivery.address), chainId: BigInt(m.chainId) },
        types,
      }),
      await m.dataDelivery.read.domainSeparator(),
    );
    const typeHash = (name: string, fields: readonly { name: string; type: string }[]) =>
      keccak256(toBytes(encodeType(name, fields)));
    assert.equal(
      typeHash("CancelJob", ownerActionTypes.CancelJob),
      await m.jobMarket.read.CANCEL_JOB_TYPEHASH(),
    );
    assert.equal(
      typeHash("ExtendDelivery", ownerActionTypes.ExtendDelivery),
      await m.jobMarket.read.EXTEND_DELIVERY_TYPEHASH(),
    );
    assert.equal(
      typeHash("TrainingResult", enclaveStatementTypes.TrainingResult),
      await m.jobMarket.read.TRAINING_RESULT_TYPEHASH(),
    );
    assert.equal(
      typeHash("JobFailure", enclaveStatementTypes.JobFailure),
      await m.jobMarket.read.JOB_FAILURE_TYPEHASH(),
    );
    assert.equal(
      typeHash("RecordDelivery", recordDeliveryTypes.RecordDelivery),
      await m.dataDelivery.read.RECORD_DELIVERY_TYPEHASH(),
    );
  });

  for (const bad of BAD_TERMS) {
    it(`bad terms (${bad.name}) are rejected by the SDK and by the contract with ${bad.error}`, async () => {
      const m = await loadMarket();
      const t = await now();
      const good = buildJobTerms({
        now: t,
        secrets: newBuyerSecrets(m.stranger.account.address),
        priceCeiling: parseEther("1"),
      });
      checkJobTerms({ terms: good, now: t });
      const terms = bad.mutate(good, t);
      assert.throws(
        () => checkJobTerms({ terms, now: t + 1n }),
        (e: unknown) => e instanceof JobTermsError && bad.sdk.test(e.shortMessage),
      );
      await viem.assertions.revertWithCustomError(
        m.jobMarket.write.postJob([terms], { account: m.buyer.account, value: terms.priceCeiling }),
        m.jobMarket,
        bad.error,
      );
    });
  }

  it("an asset other than ETH and the stake token is rejected by both", async () => {
    const m = await loadMarket();
    const t = await now();
    const terms = {
      ...buildJobTerms({ now: t, secrets: newBuyerSecrets(m.stranger.account.address), priceCeiling: 1000n }),
      asset: m.jobMarket.address,
    };
    assert.throws(() => checkJobTerms({ terms, now: t, stakeToken: m.stakeToken.address }), JobTermsError);
    await viem.assertions.revertWithCustomError(
      m.jobMarket.write.postJob([terms], { account: m.buyer.account }),
      m.jobMarket,
      "JobMarketUnsupportedAsset",
    );
  });
});

describe("deployment files", () => {
  const valid = {
    chainId: 31337,
    jobMarket: "0x0000000000000000000000000000000000000001",
    providerRegistry: "0x0000000000000000000000000000000000000002",
    enclaveRegistry: "0x0000000000000000000000000000000000000003",
    stakeToken: "0x0000000000000000000000000000000000000004",
    deployBlock: 9,
  } as const;

  it("round-trips through writeDeployment / readDeployment", () => {
    const dir = mkdtempSync(join(tmpdir(), "bt-deployments-"));
    try {
      writeDeployment(valid, dir);
      assert.deepEqual(readDeployment(31337, dir), valid);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a missing, non-JSON or malformed file gives a DeploymentError naming the problem", () => {
    const dir = mkdtempSync(join(tmpdir(), "bt-deployments-"));
    try {
      assert.throws(
        () => readDeployment(1, dir),
        (e: unknown) => e instanceof DeploymentError && /npm run chain/.test(e.message),
      );
      writeFileSync(join(dir, "5.json"), "{ not json");
      assert.throws(
        () => readDeployment(5, dir),
        (e: unknown) => e instanceof DeploymentError && /not valid JSON/.test(e.message),
      );
      assert.throws(() => parseDeployment([], "x"), /not a JSON object/);
      assert.throws(
        () => parseDeployment({ ...valid, jobMarket: "0x12" }, "x"),
        /jobMarket must be an address/,
      );
      assert.throws(() => parseDeployment({ ...valid, chainId: "1" }, "x"), /chainId must be an integer/);
      assert.throws(() => parseDeployment({ ...valid, simulatedVerifier: 5 }, "x"), /simulatedVerifier/);
      assert.throws(() => parseDeployment({ ...valid, deployBlock: undefined }, "x"), /deployBlock/);
      assert.equal(
        parseDeployment({ ...valid, simulatedVerifier: randomBytes32().slice(0, 42) }, "x").chainId,
        31337,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
