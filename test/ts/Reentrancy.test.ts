// Re-entrancy: a malicious ERC-20 used as stake and escrow asset (ReentrantToken) and a malicious ETH
// receiver used as provider or refund address (ReentrantReceiver) call back into the contracts while
// being paid. Every attempt must be refused by the guard and leave the balances exactly as a single,
// honest payout would. A refund address that rejects ETH is owed its refund instead of blocking it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Address,
  encodeErrorResult,
  encodeFunctionData,
  type Hex,
  keccak256,
  parseEther,
  toBytes,
  zeroAddress,
} from "viem";
import { CONFIG_DEFAULTS, CORE_DEFAULTS } from "../../ignition/modules/core.ts";
import { deployLocalDevnet } from "../../scripts/lib/deploy.ts";
import {
  buildJobTerms,
  newBuyerSecrets,
  newSimulatedEnclave,
  postJob,
  type SimulatedEnclave,
  simulatedAttestationArgs,
} from "../../scripts/lib/market.ts";
import { type Deployment, ETH, JobStatus, signTrainingResult, TeeType, teeTypeSet } from "../../sdk/index.ts";
import { connection, networkHelpers, VALID_PROOF, viem } from "../support/fixture.ts";

const DELAY = 7n * 24n * 3600n;
const STAKE = parseEther("10");
const CEILING = parseEther("1");
const PRICE = parseEther("0.6");
const COLLATERAL = (PRICE * 5_000n + 9_999n) / 10_000n;
const TO_BUYER = (COLLATERAL * 7_000n + 9_999n) / 10_000n;
/** The cancellation fee of a buyer-side default at PRICE (10%). */
const FEE = PRICE / 10n;
const PROFILE = {
  teeTypes: teeTypeSet([TeeType.Simulated]),
  hardwareClass: 1,
  metadataHash: keccak256(toBytes("metadata")),
  endpointHash: keccak256(toBytes("endpoint")),
};

async function deployReentrancyFixture() {
  const [deployer, provider, buyer, relayer, treasury] = await viem.getWalletClients();
  if (!deployer || !provider || !buyer || !relayer || !treasury) throw new Error("need 5 accounts");
  const publicClient = await viem.getPublicClient();
  const chainId = await publicClient.getChainId();
  const trainingVerifier = await viem.deployContract("TestTrainingVerifier");

  // The ETH market of the real LocalDevnet deployment.
  const ethDeployment = await deployLocalDevnet(connection, { trainingVerifier: trainingVerifier.address });
  const ethMarket = await viem.getContractAt("JobMarket", ethDeployment.jobMarket);
  const ethRegistry = await viem.getContractAt("ProviderRegistry", ethDeployment.providerRegistry);

  // A second market wired like `deployCore`, with the malicious token as stake and escrow asset. It
  // shares the LocalDevnet enclave registry (Simulated enabled, simulated measurement allowed).
  const token = await viem.deployContract("ReentrantToken");
  const tokenRegistry = await viem.deployContract("ProviderRegistry", [
    deployer.account.address,
    token.address,
    treasury.account.address,
    DELAY,
  ]);
  const tokenMarket = await viem.deployContract("JobMarket", [
    deployer.account.address,
    tokenRegistry.address,
    ethDeployment.enclaveRegistry,
  ]);
  await tokenRegistry.write.setMarket([tokenMarket.address]);
  const tokenDataDelivery = await viem.deployContract("DataDelivery", [
    tokenMarket.address,
    CORE_DEFAULTS.availabilityWindow,
    CORE_DEFAULTS.maxServableBytes,
  ]);
  await tokenMarket.write.publishConfig([
    {
      ...CONFIG_DEFAULTS,
      trainingVerifier: trainingVerifier.address,
      coordinator: zeroAddress,
      dataDelivery: tokenDataDelivery.address,
    },
  ]);
  const tokenDeployment: Deployment = {
    ...ethDeployment,
    jobMarket: tokenMarket.address,
    providerRegistry: tokenRegistry.address,
    dataDelivery: tokenDataDelivery.address,
    stakeToken: token.address,
  };

  // The honest provider stakes in both markets; the buyer holds tokens.
  await ethRegistry.write.register([PROFILE], { account: provider.account });
  await ethRegistry.write.depositEth({ account: provider.account, value: STAKE });
  await tokenRegistry.write.register([PROFILE], { account: provider.account });
  await token.write.mint([provider.account.address, STAKE]);
  await token.write.approve([tokenRegistry.address, STAKE], { account: provider.account });
  await tokenRegistry.write.depositToken([STAKE], { account: provider.account });
  await token.write.mint([buyer.account.address, CEILING * 10n]);

  const receiver = await viem.deployContract("ReentrantReceiver");
  return {
    chainId,
    publicClient,
    deployer,
    provider,
    buyer,
    relayer,
    treasury,
    token,
    tokenRegistry,
    tokenMarket,
    tokenDeployment,
    ethMarket,
    ethRegistry,
    ethDeployment,
    receiver,
  };
}

type F = Awaited<ReturnType<typeof deployReentrancyFixture>>;

function load() {
  return networkHelpers.loadFixture(deployReentrancyFixture);
}

/** The revert data of a re-entry the guard refused. */
function guardError(f: F): Hex {
  return encodeErrorResult({ abi: f.tokenMarket.abi, errorName: "ReentrancyGuardReentrantCall" });
}

/** Asserts that the armed attacker tried to re-enter and was refused by the re-entrancy guard. */
async function assertRefused(
  f: F,
  attacker: {
    read: {
      attempted: () => Promise<boolean>;
      reentered: () => Promise<boolean>;
      reentryError: () => Promise<Hex>;
    };
  },
) {
  assert.equal(await attacker.read.attempted(), true, "the re-entry was attempted");
  assert.equal(await attacker.read.reentered(), false, "the re-entry did not succeed");
  assert.equal(
    await attacker.read.reentryError(),
    guardError(f),
    "refused with ReentrancyGuardReentrantCall",
  );
}

async function latest(): Promise<bigint> {
  return BigInt(await networkHelpers.time.latest());
}

/** Posts a job from the buyer with `refundTo` committed; token jobs are approved first. */
async function post(f: F, deployment: Deployment, asset: Address, refundTo: Address) {
  const secrets = newBuyerSecrets(refundTo);
  const terms = buildJobTerms({ now: await latest(), secrets, priceCeiling: CEILING, asset });
  if (asset !== ETH)
    await f.token.write.approve([deployment.jobMarket, CEILING], { account: f.buyer.account });
  const { jobId } = await postJob(f.publicClient, f.buyer, deployment, terms);
  return { jobId, terms, secrets };
}

async function attestArgs(f: F, deployment: Deployment, jobId: bigint, enclave: SimulatedEnclave) {
  return simulatedAttestationArgs({ chainId: f.chainId, deployment, jobId, enclave });
}

const MODEL = keccak256(toBytes("model"));
const CIPHERTEXT = keccak256(toBytes("ciphertext"));

/** The `Result` of `submitResult` on `deployment`'s market, signed by the job's enclave. */
async function resultOf(f: F, deployment: Deployment, jobId: bigint, enclave: SimulatedEnclave) {
  const result = {
    modelCommitment: MODEL,
    modelCiphertextHash: CIPHERTEXT,
    thresholdMet: true,
    proof: VALID_PROOF,
  };
  const enclaveSignature = await signTrainingResult({
    enclaveKey: enclave.signer,
    chainId: f.chainId,
    jobMarket: deployment.jobMarket,
    jobId,
    ...result,
  });
  return { ...result, enclaveSignature };
}

describe("re-entrancy through a malicious stake/escrow token", () => {
  it("refuses a re-entry into withdraw while the registry pays out unbonded stake", async () => {
    const f = await load();
    await f.tokenRegistry.write.requestWithdrawal([f.token.address, STAKE], { account: f.provider.account });
    await networkHelpers.time.increase(DELAY);
    await f.token.write.arm([
      f.tokenRegistry.address,
      encodeFunctionData({ abi: f.tokenRegistry.abi, functionName: "withdraw", args: [f.token.address] }),
    ]);
    await f.tokenRegistry.write.withdraw([f.token.address], { account: f.provider.account });
    await assertRefused(f, f.token);
    assert.equal(await f.token.read.balanceOf([f.provider.account.address]), STAKE);
    assert.equal(await f.token.read.balanceOf([f.tokenRegistry.address]), 0n);
    assert.deepEqual(await f.tokenRegistry.read.stakeOf([f.provider.account.address, f.token.address]), {
      free: 0n,
      locked: 0n,
      unbonding: 0n,
      unbondingReadyAt: 0n,
    });
  });

  it("refuses a re-entry into the registry while a deposit is being pulled", async () => {
    const f = await load();
    await f.token.write.mint([f.provider.account.address, 5n]);
    await f.token.write.approve([f.tokenRegistry.address, 5n], { account: f.provider.account });
    await f.token.write.arm([
      f.tokenRegistry.address,
      encodeFunctionData({ abi: f.tokenRegistry.abi, functionName: "depositToken", args: [5n] }),
    ]);
    await f.tokenRegistry.write.depositToken([5n], { account: f.provider.account });
    await assertRefused(f, f.token);
    assert.equal(
      (await f.tokenRegistry.read.stakeOf([f.provider.account.address, f.token.address])).free,
      STAKE + 5n,
    );
    assert.equal(await f.token.read.balanceOf([f.tokenRegistry.address]), STAKE + 5n);
  });

  it("refuses a re-entry into claimRefund while the registry pays the slash share to the market", async () => {
    const f = await load();
    const job = await post(f, f.tokenDeployment, f.token.address, f.relayer.account.address);
    await f.tokenMarket.write.placeBid([job.jobId, job.terms, PRICE], { account: f.provider.account });
    await networkHelpers.time.increaseTo(job.terms.attestDeadline + 1n);
    // While the slash is under way the job is Failed but its compensation is not yet recorded: a refund
    // claimed now would pay the bare ceiling and forfeit the buyer's share of the collateral.
    await f.token.write.arm([
      f.tokenMarket.address,
      encodeFunctionData({
        abi: f.tokenMarket.abi,
        functionName: "claimRefund",
        args: [job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt],
      }),
    ]);
    await f.tokenMarket.write.enforceDeadline([job.jobId, job.terms], { account: f.relayer.account });
    await assertRefused(f, f.token);
    assert.equal(await f.tokenMarket.read.statusOf([job.jobId]), JobStatus.Failed);
    assert.equal(await f.token.read.balanceOf([f.relayer.account.address]), 0n);
    assert.equal(await f.tokenMarket.read.refundableOf([job.jobId, job.terms]), CEILING + TO_BUYER);
    assert.equal(await f.token.read.balanceOf([f.tokenMarket.address]), CEILING + TO_BUYER);
    assert.equal(await f.tokenRegistry.read.treasuryAccrued([f.token.address]), COLLATERAL - TO_BUYER);

    await f.tokenMarket.write.claimRefund([job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt]);
    assert.equal(await f.token.read.balanceOf([f.relayer.account.address]), CEILING + TO_BUYER);
    assert.equal(await f.token.read.balanceOf([f.tokenMarket.address]), 0n);
  });

  it("refuses a re-entry into claimRefund while the market pays the provider", async () => {
    const f = await load();
    const job = await post(f, f.tokenDeployment, f.token.address, f.relayer.account.address);
    await f.tokenMarket.write.placeBid([job.jobId, job.terms, PRICE], { account: f.provider.account });
    await networkHelpers.time.increaseTo(job.terms.bidDeadline);
    const enclave = newSimulatedEnclave();
    await f.tokenMarket.write.submitAttestation(
      [job.jobId, job.terms, ...(await attestArgs(f, f.tokenDeployment, job.jobId, enclave))],
      { account: f.provider.account },
    );
    await f.token.write.arm([
      f.tokenMarket.address,
      encodeFunctionData({
        abi: f.tokenMarket.abi,
        functionName: "claimRefund",
        args: [job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt],
      }),
    ]);
    await f.tokenMarket.write.submitResult(
      [job.jobId, job.terms, await resultOf(f, f.tokenDeployment, job.jobId, enclave)],
      { account: f.provider.account },
    );
    await assertRefused(f, f.token);
    assert.equal(await f.tokenMarket.read.statusOf([job.jobId]), JobStatus.Completed);
    assert.equal(await f.token.read.balanceOf([f.provider.account.address]), PRICE);
    assert.equal(await f.token.read.balanceOf([f.relayer.account.address]), 0n);
    assert.equal(await f.token.read.balanceOf([f.tokenMarket.address]), CEILING - PRICE);
    assert.equal(
      (await f.tokenRegistry.read.stakeOf([f.provider.account.address, f.token.address])).locked,
      0n,
    );
  });

  it("refuses a second claimRefund from inside the first", async () => {
    const f = await load();
    const job = await post(f, f.tokenDeployment, f.token.address, f.relayer.account.address);
    await networkHelpers.time.increaseTo(job.terms.bidDeadline);
    await f.tokenMarket.write.closeBidding([job.jobId, job.terms]);
    assert.equal(await f.tokenMarket.read.statusOf([job.jobId]), JobStatus.Expired);
    const claim = encodeFunctionData({
      abi: f.tokenMarket.abi,
      functionName: "claimRefund",
      args: [job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt],
    });
    await f.token.write.arm([f.tokenMarket.address, claim]);
    await f.tokenMarket.write.claimRefund([job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt]);
    await assertRefused(f, f.token);
    assert.equal(await f.token.read.balanceOf([f.relayer.account.address]), CEILING);
    assert.equal(await f.token.read.balanceOf([f.tokenMarket.address]), 0n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.tokenMarket.write.claimRefund([job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt]),
      f.tokenMarket,
      "JobMarketNothingToRefund",
      [job.jobId],
    );
  });

  it("refuses a re-entry into the market while the escrow of a new job is being pulled", async () => {
    const f = await load();
    const expired = await post(f, f.tokenDeployment, f.token.address, f.relayer.account.address);
    await networkHelpers.time.increaseTo(expired.terms.bidDeadline);
    await f.tokenMarket.write.closeBidding([expired.jobId, expired.terms]);
    await f.token.write.arm([
      f.tokenMarket.address,
      encodeFunctionData({
        abi: f.tokenMarket.abi,
        functionName: "claimRefund",
        args: [expired.jobId, expired.terms, expired.secrets.refundTo, expired.secrets.salt],
      }),
    ]);
    await post(f, f.tokenDeployment, f.token.address, f.relayer.account.address);
    await assertRefused(f, f.token);
    assert.equal(await f.token.read.balanceOf([f.tokenMarket.address]), CEILING * 2n);
    assert.equal(await f.tokenMarket.read.refundableOf([expired.jobId, expired.terms]), CEILING);
  });
});

describe("re-entrancy through a malicious ETH receiver", () => {
  /** Makes the receiver contract a registered provider with `STAKE` ETH in the ETH registry. */
  async function receiverAsProvider(f: F) {
    const r = f.ethRegistry;
    await f.receiver.write.execute([
      r.address,
      encodeFunctionData({ abi: r.abi, functionName: "register", args: [PROFILE] }),
    ]);
    await f.receiver.write.execute(
      [r.address, encodeFunctionData({ abi: r.abi, functionName: "depositEth" })],
      {
        value: STAKE,
      },
    );
    assert.equal((await r.read.stakeOf([f.receiver.address, ETH])).free, STAKE);
  }

  it("refuses a re-entry into withdraw when the provider is a contract", async () => {
    const f = await load();
    await receiverAsProvider(f);
    const r = f.ethRegistry;
    await f.receiver.write.execute([
      r.address,
      encodeFunctionData({ abi: r.abi, functionName: "requestWithdrawal", args: [ETH, STAKE] }),
    ]);
    await networkHelpers.time.increase(DELAY);
    const withdraw = encodeFunctionData({ abi: r.abi, functionName: "withdraw", args: [ETH] });
    await f.receiver.write.arm([r.address, withdraw]);
    const registryBefore = await f.publicClient.getBalance({ address: r.address });
    await f.receiver.write.execute([r.address, withdraw]);
    await assertRefused(f, f.receiver);
    assert.equal(await f.publicClient.getBalance({ address: f.receiver.address }), STAKE);
    assert.equal(await f.publicClient.getBalance({ address: r.address }), registryBefore - STAKE);
    assert.equal((await r.read.stakeOf([f.receiver.address, ETH])).unbonding, 0n);
  });

  it("refuses a re-entry into claimRefund when the refund address is a contract", async () => {
    const f = await load();
    const job = await post(f, f.ethDeployment, ETH, f.receiver.address);
    await networkHelpers.time.increaseTo(job.terms.bidDeadline);
    const args = [job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt] as const;
    await f.receiver.write.arm([
      f.ethMarket.address,
      encodeFunctionData({ abi: f.ethMarket.abi, functionName: "claimRefund", args }),
    ]);
    await f.ethMarket.write.closeBidding([job.jobId, job.terms]);
    await viem.assertions.balancesHaveChanged(
      f.ethMarket.write.claimRefund(args, { account: f.relayer.account }),
      [
        { address: f.receiver.address, amount: CEILING },
        { address: f.ethMarket.address, amount: -CEILING },
      ],
    );
    await assertRefused(f, f.receiver);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.ethMarket.write.claimRefund(args),
      f.ethMarket,
      "JobMarketNothingToRefund",
      [job.jobId],
    );
  });

  it("refuses a provider contract that re-enters submitResult when paid", async () => {
    const f = await load();
    await receiverAsProvider(f);
    const m = f.ethMarket;
    const job = await post(f, f.ethDeployment, ETH, f.relayer.account.address);
    await f.receiver.write.execute([
      m.address,
      encodeFunctionData({ abi: m.abi, functionName: "placeBid", args: [job.jobId, job.terms, PRICE] }),
    ]);
    await networkHelpers.time.increaseTo(job.terms.bidDeadline);
    const enclave = newSimulatedEnclave();
    const att = await attestArgs(f, f.ethDeployment, job.jobId, enclave);
    await f.receiver.write.execute([
      m.address,
      encodeFunctionData({
        abi: m.abi,
        functionName: "submitAttestation",
        args: [job.jobId, job.terms, ...att],
      }),
    ]);
    const submit = encodeFunctionData({
      abi: m.abi,
      functionName: "submitResult",
      args: [job.jobId, job.terms, await resultOf(f, f.ethDeployment, job.jobId, enclave)],
    });
    await f.receiver.write.arm([m.address, submit]); // tries to be paid twice
    await viem.assertions.balancesHaveChanged(f.receiver.write.execute([m.address, submit]), [
      { address: f.receiver.address, amount: PRICE },
      { address: m.address, amount: -PRICE },
    ]);
    await assertRefused(f, f.receiver);
    assert.equal(await m.read.statusOf([job.jobId]), JobStatus.Completed);
    assert.equal(await m.read.refundableOf([job.jobId, job.terms]), CEILING - PRICE);
    assert.deepEqual(await f.ethRegistry.read.stakeOf([f.receiver.address, ETH]), {
      free: STAKE,
      locked: 0n,
      unbonding: 0n,
      unbondingReadyAt: 0n,
    });
  });

  it("owes the refund when the refund address rejects ETH; the owed amount is withdrawn later to any address", async () => {
    const f = await load();
    const job = await post(f, f.ethDeployment, ETH, f.receiver.address);
    await networkHelpers.time.increaseTo(job.terms.bidDeadline);
    await f.ethMarket.write.closeBidding([job.jobId, job.terms]);
    const args = [job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt] as const;
    await f.receiver.write.setRejectEther([true]);
    // The claim succeeds: the push fails and the refund is owed to refundTo (it used to revert).
    const claim = await f.ethMarket.write.claimRefund(args, { account: f.relayer.account });
    await viem.assertions.emitWithArgs(claim, f.ethMarket, "RefundClaimed", [
      job.jobId,
      f.receiver.address,
      CEILING,
    ]);
    await viem.assertions.emitWithArgs(claim, f.ethMarket, "PaymentOwed", [f.receiver.address, ETH, CEILING]);
    assert.equal(await f.publicClient.getBalance({ address: f.receiver.address }), 0n);
    assert.equal(await f.publicClient.getBalance({ address: f.ethMarket.address }), CEILING);
    assert.equal(await f.ethMarket.read.owed([ETH, f.receiver.address]), CEILING);
    assert.equal(await f.ethMarket.read.refundableOf([job.jobId, job.terms]), 0n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.ethMarket.write.claimRefund(args),
      f.ethMarket,
      "JobMarketNothingToRefund",
      [job.jobId],
    );
    // Still rejecting ETH, the refund address withdraws to another address of its choice.
    const withdraw = encodeFunctionData({
      abi: f.ethMarket.abi,
      functionName: "withdrawOwed",
      args: [ETH, f.treasury.account.address],
    });
    const tx = await f.receiver.write.execute([f.ethMarket.address, withdraw]);
    await viem.assertions.balancesHaveChanged(tx, [
      { address: f.treasury.account.address, amount: CEILING },
      { address: f.ethMarket.address, amount: -CEILING },
    ]);
    await viem.assertions.emitWithArgs(tx, f.ethMarket, "OwedWithdrawn", [
      f.receiver.address,
      ETH,
      f.treasury.account.address,
      CEILING,
    ]);
    assert.equal(await f.ethMarket.read.owed([ETH, f.receiver.address]), 0n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.receiver.write.execute([f.ethMarket.address, withdraw]),
      f.ethMarket,
      "JobMarketNothingOwed",
      [f.receiver.address, ETH],
    );
  });

  it("refuses a re-entry into withdrawOwed while the owed amount is paid out", async () => {
    const f = await load();
    const job = await post(f, f.ethDeployment, ETH, f.receiver.address);
    await networkHelpers.time.increaseTo(job.terms.bidDeadline);
    await f.receiver.write.setRejectEther([true]);
    await f.ethMarket.write.claimRefund([job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt]);
    await f.receiver.write.setRejectEther([false]);
    const withdraw = encodeFunctionData({
      abi: f.ethMarket.abi,
      functionName: "withdrawOwed",
      args: [ETH, f.receiver.address],
    });
    await f.receiver.write.arm([f.ethMarket.address, withdraw]);
    await viem.assertions.balancesHaveChanged(f.receiver.write.execute([f.ethMarket.address, withdraw]), [
      { address: f.receiver.address, amount: CEILING },
      { address: f.ethMarket.address, amount: -CEILING },
    ]);
    await assertRefused(f, f.receiver);
    assert.equal(await f.ethMarket.read.owed([ETH, f.receiver.address]), 0n);
  });

  it("refuses a provider contract that re-enters enforceDeadline when paid the cancellation fee", async () => {
    const f = await load();
    await receiverAsProvider(f);
    const m = f.ethMarket;
    const job = await post(f, f.ethDeployment, ETH, f.relayer.account.address);
    await f.receiver.write.execute([
      m.address,
      encodeFunctionData({ abi: m.abi, functionName: "placeBid", args: [job.jobId, job.terms, PRICE] }),
    ]);
    await networkHelpers.time.increaseTo(job.terms.bidDeadline);
    const att = await attestArgs(f, f.ethDeployment, job.jobId, newSimulatedEnclave());
    await f.receiver.write.execute([
      m.address,
      encodeFunctionData({
        abi: m.abi,
        functionName: "submitAttestation",
        args: [job.jobId, job.terms, ...att],
      }),
    ]);
    // No delivery recorded by the data deadline: the provider itself enforces and is paid the fee.
    await networkHelpers.time.increaseTo(job.terms.dataDeadline + 1n);
    const enforce = encodeFunctionData({
      abi: m.abi,
      functionName: "enforceDeadline",
      args: [job.jobId, job.terms],
    });
    await f.receiver.write.arm([m.address, enforce]); // tries to be paid twice
    await viem.assertions.balancesHaveChanged(f.receiver.write.execute([m.address, enforce]), [
      { address: f.receiver.address, amount: FEE },
      { address: m.address, amount: -FEE },
    ]);
    await assertRefused(f, f.receiver);
    assert.equal(await m.read.statusOf([job.jobId]), JobStatus.BuyerDefaulted);
    assert.equal(await m.read.owed([ETH, f.receiver.address]), 0n);
    assert.equal(await m.read.refundableOf([job.jobId, job.terms]), CEILING - FEE);
    assert.deepEqual(await f.ethRegistry.read.stakeOf([f.receiver.address, ETH]), {
      free: STAKE,
      locked: 0n,
      unbonding: 0n,
      unbondingReadyAt: 0n,
    });
  });

  it("keeps unbonded stake withdrawable when the provider contract rejects ETH", async () => {
    const f = await load();
    await receiverAsProvider(f);
    const r = f.ethRegistry;
    await f.receiver.write.execute([
      r.address,
      encodeFunctionData({ abi: r.abi, functionName: "requestWithdrawal", args: [ETH, STAKE] }),
    ]);
    await networkHelpers.time.increase(DELAY);
    const withdraw = encodeFunctionData({ abi: r.abi, functionName: "withdraw", args: [ETH] });
    await f.receiver.write.setRejectEther([true]);
    await viem.assertions.revertWith(
      f.receiver.write.execute([r.address, withdraw]),
      "ReentrantReceiver: rejecting ether",
    );
    assert.equal((await r.read.stakeOf([f.receiver.address, ETH])).unbonding, STAKE);
    await f.receiver.write.setRejectEther([false]);
    await f.receiver.write.execute([r.address, withdraw]);
    assert.equal(await f.publicClient.getBalance({ address: f.receiver.address }), STAKE);
  });
});
