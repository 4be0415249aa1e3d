// FeatureBindingVerifier: the market pays a job whose buyer committed to raw rows only if the job's
// attested enclave signed which feature rows it derived from them, and the head proof verifies on
// exactly those feature rows. Each attack on the binding (another signer, another job, another
// market, other raw or feature commitments, a flipped signature byte, empty fields, a job without an
// enclave, malformed bytes) is rejected with its reason; through the market, a rejected binding is
// the provider's bad evidence. The real Groth16 head verifier behind it is exercised end to end by
// test/ts/runner/pipeline.test.ts (the runner's bundle settles on the market).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  type Hex,
  keccak256,
  toBytes,
  zeroAddress,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { publishMarketConfig } from "../../scripts/lib/deploy.ts";
import { randomFieldElement } from "../../scripts/lib/market.ts";
import {
  decodeBoundTrainingProof,
  encodeBoundTrainingProof,
  type FeatureBinding,
  type FeatureBindingStatement,
  featureBackendId,
  featureBindingVerifierAbi,
  recoverFeatureBindingSigner,
  signFeatureBinding,
} from "../../sdk/index.ts";
import { FailureReason, JobStatus } from "../../sdk/types.ts";
import {
  type AttestedJob,
  attestedJob,
  connection,
  loadMarket,
  type Market,
  networkHelpers,
  postTestJob,
  signedResult,
  VALID_PROOF,
  viem,
} from "../support/fixture.ts";

const BINDING: FeatureBinding = {
  featureTrainCommitment: randomFieldElement(),
  featureEvalCommitment: randomFieldElement(),
  baseModelHash: keccak256(toBytes("base model file")),
  featureBackend: featureBackendId("builtin-tfjs-wasm"),
  loraCommitment: keccak256(toBytes("lora adapter")),
};

/** The market with a config whose training verifier is FeatureBindingVerifier over a head double
 *  that accepts only BINDING's feature commitments. */
async function deployBoundMarket() {
  const m = await loadMarket();
  const head = await viem.deployContract("TestFeatureClaimVerifier", [
    BINDING.featureTrainCommitment,
    BINDING.featureEvalCommitment,
  ]);
  const verifier = await viem.deployContract("FeatureBindingVerifier", [head.address]);
  const configId = await publishMarketConfig(connection, m.deployment, {
    trainingVerifier: verifier.address,
  });
  return { ...m, verifier, configId };
}
const loadBoundMarket = () => networkHelpers.loadFixture(deployBoundMarket);
type BoundMarket = Awaited<ReturnType<typeof deployBoundMarket>>;

function statementOf(m: Market, job: AttestedJob, binding = BINDING): FeatureBindingStatement {
  return {
    chainId: m.chainId,
    market: m.jobMarket.address,
    jobId: job.jobId,
    rawTrainCommitment: job.terms.datasetCommitment,
    rawEvalCommitment: job.terms.evalCommitment,
    binding,
  };
}

/** The claim the market builds for `job` (provider = the fixture's provider). */
function claimOf(m: Market, job: AttestedJob) {
  return {
    chainId: BigInt(m.chainId),
    market: m.jobMarket.address,
    jobId: job.jobId,
    provider: m.provider.account.address,
    specHash: job.terms.specHash,
    datasetCommitment: job.terms.datasetCommitment,
    evalCommitment: job.terms.evalCommitment,
    qualityThreshold: job.terms.qualityThreshold,
    modelCommitment: keccak256(toBytes("model commitment")),
    thresholdMet: true,
  };
}

/** The bound proof for `job`, signed by `signer` over `statement` (defaults: the job's enclave, honest). */
async function boundProof(
  m: Market,
  job: AttestedJob,
  o: {
    statement?: FeatureBindingStatement;
    signer?: ReturnType<typeof privateKeyToAccount>;
    binding?: FeatureBinding;
  } = {},
): Promise<Hex> {
  const statement = o.statement ?? statementOf(m, job);
  const signature = await signFeatureBinding(o.signer ?? job.enclave.signer, statement);
  return encodeBoundTrainingProof(o.binding ?? statement.binding, signature, VALID_PROOF);
}

/** Asserts `verifyTraining` reverts with `errorName` (and `args`, when given, compared as strings). */
async function rejects(
  m: BoundMarket,
  job: AttestedJob,
  proof: Hex,
  errorName: string,
  args?: readonly unknown[],
) {
  await assert.rejects(m.verifier.read.verifyTraining([claimOf(m, job), proof]), (e: unknown) => {
    const reverted =
      e instanceof BaseError ? e.walk((c) => c instanceof ContractFunctionRevertedError) : null;
    assert.ok(reverted instanceof ContractFunctionRevertedError, String(e));
    assert.equal(reverted.data?.errorName, errorName);
    if (args !== undefined)
      assert.deepEqual(
        (reverted.data?.args ?? []).map((a) => String(a).toLowerCase()),
        args.map((a) => String(a).toLowerCase()),
      );
    return true;
  });
}

describe("FeatureBindingVerifier", () => {
  it("accepts the job's enclave binding and hands the head verifier the feature commitments, not the raw ones", async () => {
    const m = await loadBoundMarket();
    const job = await attestedJob(m, undefined, { configId: m.configId });
    const proof = await boundProof(m, job);
    assert.equal(await m.verifier.read.verifyTraining([claimOf(m, job), proof]), true);
    // The SDK's digest is the contract's.
    const statement = statementOf(m, job);
    const signature = decodeBoundTrainingProof(proof).signature;
    assert.equal(
      (await recoverFeatureBindingSigner(statement, signature)).toLowerCase(),
      job.enclave.signer.address.toLowerCase(),
    );
    // The head double accepts only BINDING's feature commitments: a binding of other feature rows,
    // honestly signed, is the head verifier's "no".
    const other = { ...BINDING, featureTrainCommitment: randomFieldElement() };
    const proofOther = await boundProof(m, job, { statement: statementOf(m, job, other) });
    assert.equal(await m.verifier.read.verifyTraining([claimOf(m, job), proofOther]), false);
  });

  it("attack: a binding signed by another key (the provider's own, not the attested enclave) is rejected", async () => {
    const m = await loadBoundMarket();
    const job = await attestedJob(m, undefined, { configId: m.configId });
    const mallory = privateKeyToAccount(generatePrivateKey());
    await rejects(m, job, await boundProof(m, job, { signer: mallory }), "FeatureBindingSignatureInvalid", [
      mallory.address,
      job.enclave.signer.address,
    ]);
  });

  it("attack: a binding replayed from another job, market or chain, or over other raw commitments, is rejected", async () => {
    const m = await loadBoundMarket();
    const job = await attestedJob(m, undefined, { configId: m.configId });
    const honest = statementOf(m, job);
    for (const statement of [
      { ...honest, jobId: job.jobId + 1n },
      { ...honest, market: m.deployment.providerRegistry },
      { ...honest, chainId: m.chainId + 1 },
      { ...honest, rawTrainCommitment: randomFieldElement() },
      { ...honest, rawEvalCommitment: honest.rawTrainCommitment },
    ])
      await rejects(m, job, await boundProof(m, job, { statement }), "FeatureBindingSignatureInvalid");
  });

  it("attack: a signed binding whose fields are changed afterwards (each field, and a flipped signature byte) is rejected", async () => {
    const m = await loadBoundMarket();
    const job = await attestedJob(m, undefined, { configId: m.configId });
    const flip = (h: Hex): Hex =>
      `${h.slice(0, -2)}${(Number.parseInt(h.slice(-2), 16) ^ 1).toString(16).padStart(2, "0")}` as Hex;
    for (const field of Object.keys(BINDING) as (keyof FeatureBinding)[])
      await rejects(
        m,
        job,
        await boundProof(m, job, { binding: { ...BINDING, [field]: flip(BINDING[field]) } }),
        "FeatureBindingSignatureInvalid",
      );
    const proof = await boundProof(m, job);
    const { binding, signature, headProof } = decodeBoundTrainingProof(proof);
    const badSignature =
      `${signature.slice(0, 10)}${(Number.parseInt(signature.slice(10, 12), 16) ^ 0x80).toString(16).padStart(2, "0")}${signature.slice(12)}` as Hex;
    await rejects(
      m,
      job,
      encodeBoundTrainingProof(binding, badSignature, headProof),
      "FeatureBindingSignatureInvalid",
    );
  });

  it("rejects empty feature commitments or base model hash, a job without an enclave, and malformed bytes", async () => {
    const m = await loadBoundMarket();
    const job = await attestedJob(m, undefined, { configId: m.configId });
    const zero = `0x${"00".repeat(32)}` as Hex;
    for (const field of ["featureTrainCommitment", "featureEvalCommitment", "baseModelHash"] as const)
      await rejects(
        m,
        job,
        await boundProof(m, job, { statement: statementOf(m, job, { ...BINDING, [field]: zero }) }),
        "FeatureBindingEmptyField",
        [field],
      );
    // No LoRA is a valid binding (zero LoRA commitment): the job trained only the head.
    const noLora = await boundProof(m, job, {
      statement: statementOf(m, job, { ...BINDING, loraCommitment: zero }),
    });
    assert.equal(await m.verifier.read.verifyTraining([claimOf(m, job), noLora]), true);

    const open = await postTestJob(m, { configId: m.configId });
    const openJob = { ...open, enclave: job.enclave };
    await rejects(m, openJob, await boundProof(m, openJob), "FeatureBindingNoEnclaveSigner", [open.jobId]);
    await assert.rejects(m.verifier.read.verifyTraining([claimOf(m, job), "0x1234"]));
    await assert.rejects(
      viem.deployContract("FeatureBindingVerifier", [zeroAddress]),
      /FeatureBindingZeroHeadVerifier/,
    );
  });

  it("through the market: an honest binding pays the provider; a forged one fails the job as the provider's bad evidence", async () => {
    const m = await loadBoundMarket();
    const good = await attestedJob(m, undefined, { configId: m.configId });
    await m.jobMarket.write.submitResult(
      [good.jobId, good.terms, await signedResult(m, good, { proof: await boundProof(m, good) })],
      { account: m.provider.account },
    );
    assert.equal(await m.jobMarket.read.statusOf([good.jobId]), JobStatus.Completed);

    const bad = await attestedJob(m, undefined, { configId: m.configId });
    const forged = await boundProof(m, bad, { signer: privateKeyToAccount(generatePrivateKey()) });
    const tx = await m.jobMarket.write.submitResult(
      [bad.jobId, bad.terms, await signedResult(m, bad, { proof: forged })],
      {
        account: m.provider.account,
      },
    );
    const receipt = await m.publicClient.waitForTransactionReceipt({ hash: tx });
    assert.equal(receipt.status, "success");
    assert.equal(await m.jobMarket.read.statusOf([bad.jobId]), JobStatus.Failed);
    const rejected = (
      await m.jobMarket.getEvents.EvidenceRejected({ jobId: bad.jobId }, { fromBlock: receipt.blockNumber })
    ).at(-1);
    assert.equal(rejected?.args.stage, FailureReason.ProofRejected);
    assert.equal(
      decodeErrorResult({ abi: featureBindingVerifierAbi, data: rejected?.args.reason as Hex }).errorName,
      "FeatureBindingSignatureInvalid",
    );
  });
});
