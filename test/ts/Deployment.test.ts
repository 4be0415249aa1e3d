// The Ignition modules. LocalDevnet wires the development system (dev stake token, Simulated TEE) and
// deploys nothing at all on a chain that is not local. BlindTraining, the production module, does not
// deploy without a training verifier, hands every governed contract to an OpenZeppelin
// TimelockController (accepted after the delay), and settles real jobs: with the real Groth16
// verifier of `segment_test`, a real TDX-layout quote, and a development PCK key that governance
// registers through the timelock on this test chain only, a job reaches Completed and others each
// no-fault outcome. No module deploys a test double. Each deployment runs on its own in-process chain.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { type Future, FutureType, type IgnitionModule } from "@nomicfoundation/ignition-core";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import {
  type Address,
  encodeErrorResult,
  encodeFunctionData,
  getAddress,
  getContract,
  type Hex,
  hexToBigInt,
  hexToBytes,
  keccak256,
  parseEther,
  toBytes,
  toHex,
  zeroAddress,
} from "viem";
import BlindTraining, { TIMELOCK_DELAY } from "../../ignition/modules/BlindTraining.ts";
import { CONFIG_DEFAULTS, CORE_DEFAULTS } from "../../ignition/modules/core.ts";
import LocalDevnet from "../../ignition/modules/LocalDevnet.ts";
import { type CircuitResult, releaseSnarkjs } from "../../scripts/circuits/pipeline.ts";
import { deployBlindTraining } from "../../scripts/governance/production.ts";
import {
  executeOwnershipHandover,
  executeTimelockBatch,
  findOwnershipHandover,
  GovernanceError,
  operationId,
  scheduleTimelockBatch,
  type TimelockCall,
  timelockBatch,
} from "../../scripts/governance/timelock.ts";
import { deployLocalDevnet, deployTrainingVerifier } from "../../scripts/lib/deploy.ts";
import {
  buildJobTerms,
  newBuyerSecrets,
  newSimulatedEnclave,
  postJob,
  randomBytes32,
  randomFieldElement,
  type SimulatedEnclave,
  type Wallet,
} from "../../scripts/lib/market.ts";
import {
  attestationBinding,
  buildIntelQuote,
  createSimulatedEvidence,
  DEV_KEYS,
  DEV_PCK_PUBLIC_KEY,
  type Deployment,
  deliveryDataHash,
  devCertificateChain,
  ETH,
  enclaveRegistryAbi,
  encodeBoundTrainingProof,
  encodeIntelEvidence,
  FailureReason,
  featureBackendId,
  INTEL_TD_QE_MRSIGNER,
  intelQuoteVerifierAbi,
  JobStatus,
  type JobTerms,
  jobCommitments,
  OperationState,
  ownershipHandoverBatch,
  reportDataForBinding,
  SIMULATED_MEASUREMENT,
  SIMULATED_TD,
  signFeatureBinding,
  signRecordDelivery,
  signTrainingResult,
  TeeType,
  TimelockRole,
  teeTypeSet,
  timelockControllerAbi,
} from "../../sdk/index.ts";
import {
  buildSegmentTestCircuit,
  bytes32,
  encodeTrainingProof,
  type ProvenRun,
  proveRun,
  SEGMENT_TEST_RUN,
} from "../support/zk.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const MODULES_DIR = join(ROOT, "ignition", "modules");
const TEST_CONTRACTS_DIR = join(ROOT, "contracts", "test");
const DAY = 86_400n;
/** A stand-in training verifier for wiring tests that settle nothing (never called). */
const PLACEHOLDER_VERIFIER: Address = getAddress("0x00000000000000000000000000000000000b1a5e");
const OZ_TIMELOCK = createRequire(import.meta.url)(
  "@openzeppelin/contracts/build/contracts/TimelockController.json",
) as { abi: unknown[]; deployedBytecode: Hex };

/** Runs `body` on a fresh in-process chain (optionally with another chain id), then closes it. */
async function onFreshChain<T>(
  chainId: number | undefined,
  body: (c: NetworkConnection) => Promise<T>,
): Promise<T> {
  const c = chainId === undefined ? await network.create() : await network.create({ override: { chainId } });
  try {
    return await body(c);
  } finally {
    await c.close();
  }
}

/** Contract names a module deploys, the `Contract.function` calls it makes and the calls it encodes. */
function plan(module: IgnitionModule): { contracts: string[]; calls: string[]; encoded: string[] } {
  const contracts = new Set<string>();
  const calls = new Set<string>();
  const encoded = new Set<string>();
  const visit = (mod: IgnitionModule) => {
    for (const future of mod.futures) {
      if (
        future.type === FutureType.NAMED_ARTIFACT_CONTRACT_DEPLOYMENT ||
        future.type === FutureType.CONTRACT_DEPLOYMENT ||
        future.type === FutureType.NAMED_ARTIFACT_CONTRACT_AT ||
        future.type === FutureType.CONTRACT_AT ||
        future.type === FutureType.NAMED_ARTIFACT_LIBRARY_DEPLOYMENT ||
        future.type === FutureType.LIBRARY_DEPLOYMENT
      ) {
        contracts.add(future.contractName);
      } else if (future.type === FutureType.CONTRACT_CALL) {
        calls.add(`${future.contract.contractName}.${future.functionName}`);
      } else if (future.type === FutureType.ENCODE_FUNCTION_CALL) {
        encoded.add(`${future.contract.contractName}.${future.functionName}`);
      } else {
        calls.add(`${future.type}:${future.id}`);
      }
    }
    for (const sub of mod.submodules) visit(sub);
  };
  visit(module);
  return { contracts: [...contracts].sort(), calls: [...calls].sort(), encoded: [...encoded].sort() };
}

/** Whether `future` waits, directly or through other futures, for `target`. */
function waitsFor(future: Future, target: Future, seen = new Set<Future>()): boolean {
  for (const dep of future.dependencies) {
    if (!("type" in dep) || seen.has(dep)) continue;
    seen.add(dep);
    if (dep === target || waitsFor(dep, target, seen)) return true;
  }
  return false;
}

async function contractsOf(c: NetworkConnection, d: Deployment) {
  const required = (a: Address | undefined, name: string): Address => {
    assert.ok(a, `${name} address`);
    return a;
  };
  return {
    jobMarket: await c.viem.getContractAt("JobMarket", d.jobMarket),
    providerRegistry: await c.viem.getContractAt("ProviderRegistry", d.providerRegistry),
    enclaveRegistry: await c.viem.getContractAt("EnclaveRegistry", d.enclaveRegistry),
    intelQuoteVerifier: await c.viem.getContractAt(
      "IntelQuoteVerifier",
      required(d.intelQuoteVerifier, "intelQuoteVerifier"),
    ),
    statementVerifier: await c.viem.getContractAt(
      "AttestationStatementVerifier",
      required(d.statementVerifier, "statementVerifier"),
    ),
    coordinator: await c.viem.getContractAt(
      "MultiPartyCoordinator",
      required(d.multiPartyCoordinator, "multiPartyCoordinator"),
    ),
    dataDelivery: await c.viem.getContractAt("DataDelivery", required(d.dataDelivery, "dataDelivery")),
  };
}

async function timelockOf(c: NetworkConnection, d: Deployment) {
  assert.ok(d.timelock, "timelock address");
  return getContract({
    address: d.timelock,
    abi: timelockControllerAbi,
    client: await c.viem.getPublicClient(),
  });
}

async function wallets(c: NetworkConnection): Promise<Wallet[]> {
  const all = await c.viem.getWalletClients();
  assert.ok(all.length >= 8, "need 8 accounts");
  return all as Wallet[];
}

describe("Ignition: LocalDevnet", () => {
  it("deploys and wires the core, the dev stake token, the Simulated TEE path and the first config", async () => {
    await onFreshChain(undefined, async (c) => {
      const [deployer] = await wallets(c);
      assert.ok(deployer);
      const owner = getAddress(deployer.account.address);
      const d = await deployLocalDevnet(c, { trainingVerifier: PLACEHOLDER_VERIFIER });
      assert.equal(d.chainId, 31337);
      assert.equal(d.timelock, undefined, "the development deployment has no timelock");
      const k = await contractsOf(c, d);
      const publicClient = await c.viem.getPublicClient();
      const addresses = [
        d.jobMarket,
        d.multiPartyCoordinator,
        d.dataDelivery,
        d.providerRegistry,
        d.enclaveRegistry,
        d.stakeToken,
        d.intelQuoteVerifier,
        d.statementVerifier,
        d.simulatedVerifier,
      ];
      assert.equal(new Set(addresses.map((a) => a?.toLowerCase())).size, 9, "nine distinct contracts");
      for (const a of addresses) {
        assert.ok(a);
        assert.notEqual(await publicClient.getCode({ address: a }), undefined, `code at ${a}`);
      }

      // Ownership: the deployer owns everything, with no transfer pending.
      for (const contract of [
        k.jobMarket,
        k.providerRegistry,
        k.enclaveRegistry,
        k.intelQuoteVerifier,
        k.statementVerifier,
      ]) {
        assert.equal(await contract.read.owner(), owner);
        assert.equal(await contract.read.pendingOwner(), zeroAddress);
      }

      // Core wiring and default parameters.
      assert.equal(await k.providerRegistry.read.market(), getAddress(d.jobMarket));
      assert.equal(await k.providerRegistry.read.stakeToken(), getAddress(d.stakeToken));
      assert.equal(await k.providerRegistry.read.treasury(), owner);
      assert.equal(await k.providerRegistry.read.unbondingDelay(), CORE_DEFAULTS.unbondingDelay);
      assert.equal(await k.jobMarket.read.providerRegistry(), getAddress(d.providerRegistry));
      assert.equal(await k.jobMarket.read.enclaveRegistry(), getAddress(d.enclaveRegistry));
      assert.equal(await k.jobMarket.read.minPrice([ETH]), CORE_DEFAULTS.minPriceEth);
      assert.equal(await k.jobMarket.read.minCollateral([ETH]), CORE_DEFAULTS.minCollateralEth);
      assert.equal(await k.coordinator.read.jobMarket(), getAddress(d.jobMarket));
      assert.equal(await k.dataDelivery.read.jobMarket(), getAddress(d.jobMarket));
      assert.equal(await k.dataDelivery.read.availabilityWindow(), CORE_DEFAULTS.availabilityWindow);
      assert.equal(await k.dataDelivery.read.maxServableBytes(), CORE_DEFAULTS.maxServableBytes);

      // The first config: the given training verifier, the defaults, every TEE type's verifier.
      assert.ok(d.simulatedVerifier && d.intelQuoteVerifier && d.statementVerifier && d.dataDelivery);
      assert.equal(await k.jobMarket.read.currentConfigId(), 1);
      assert.deepEqual(await k.jobMarket.read.configOf([1]), {
        trainingVerifier: PLACEHOLDER_VERIFIER,
        ...CONFIG_DEFAULTS,
        verifiedTeeTypes: teeTypeSet([TeeType.SevSnp, TeeType.Tdx, TeeType.Sgx, TeeType.Simulated]),
        coordinator: getAddress(k.coordinator.address),
        dataDelivery: getAddress(d.dataDelivery),
        attestationVerifiers: [
          d.statementVerifier,
          d.intelQuoteVerifier,
          d.intelQuoteVerifier,
          d.simulatedVerifier,
        ],
      });

      // The Simulated TEE path: a development-mode IntelQuoteVerifier trusting the development PCK key.
      const simulated = await c.viem.getContractAt("IntelQuoteVerifier", d.simulatedVerifier);
      assert.equal(await simulated.read.development(), true);
      assert.equal(await simulated.read.owner(), owner);
      const pck = await simulated.read.pckKeyOf([
        hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(0, 32))),
        hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(32))),
      ]);
      assert.equal(pck.expiresAt, 4_102_444_800n);
      assert.equal(
        await k.enclaveRegistry.read.verifierOf([TeeType.Simulated]),
        getAddress(d.simulatedVerifier),
      );
      assert.equal(await k.enclaveRegistry.read.verifierOf([TeeType.Tdx]), getAddress(d.intelQuoteVerifier));
      assert.equal(await k.enclaveRegistry.read.verifierOf([TeeType.Sgx]), getAddress(d.intelQuoteVerifier));
      assert.equal(
        await k.enclaveRegistry.read.verifierOf([TeeType.SevSnp]),
        getAddress(d.statementVerifier),
      );
      assert.equal(await k.intelQuoteVerifier.read.development(), false);
      assert.equal(
        (await k.enclaveRegistry.read.measurementOf([TeeType.Simulated, SIMULATED_MEASUREMENT])).expiresAt,
        4_102_444_800n,
      );
      await k.enclaveRegistry.read.checkMeasurement([TeeType.Simulated, SIMULATED_MEASUREMENT]);
      assert.equal(await k.enclaveRegistry.read.simulatedEnabled(), true);

      // The dev stake token is the one with the faucet and permit.
      const token = await c.viem.getContractAt("DevStakeToken", d.stakeToken);
      assert.equal(await token.read.symbol(), "BTDEV");
      assert.equal(await token.read.totalSupply(), 0n);
    });
  });

  it("applies its Ignition parameters", async () => {
    await onFreshChain(undefined, async (c) => {
      const treasury = (await wallets(c))[7]?.account.address;
      assert.ok(treasury);
      const d = await deployLocalDevnet(c, {
        trainingVerifier: PLACEHOLDER_VERIFIER,
        treasury,
        unbondingDelay: 60n,
        minPriceEth: 5n,
        minCollateralEth: 7n,
        availabilityWindow: 3_600n,
        maxServableBytes: 1_024n,
        collateralRatioBps: 20_000,
        slashBuyerShareBps: 2_500,
        computeShareBps: 4_000,
        cancellationFeeBps: 500,
        minBidStepBps: 250,
      });
      const k = await contractsOf(c, d);
      assert.equal(await k.providerRegistry.read.treasury(), getAddress(treasury));
      assert.equal(await k.providerRegistry.read.unbondingDelay(), 60n);
      assert.equal(await k.jobMarket.read.minPrice([ETH]), 5n);
      assert.equal(await k.jobMarket.read.minCollateral([ETH]), 7n);
      assert.equal(await k.dataDelivery.read.availabilityWindow(), 3_600n);
      assert.equal(await k.dataDelivery.read.maxServableBytes(), 1_024n);
      const config = await k.jobMarket.read.configOf([1]);
      assert.deepEqual(
        [
          config.collateralRatioBps,
          config.slashBuyerShareBps,
          config.computeShareBps,
          config.cancellationFeeBps,
          config.minBidStepBps,
        ],
        [20_000, 2_500, 4_000, 500, 250],
      );
    });
  });

  it("deploys a dev stake token whose open faucet is capped per call", async () => {
    await onFreshChain(undefined, async (c) => {
      const d = await deployLocalDevnet(c, { trainingVerifier: PLACEHOLDER_VERIFIER });
      const token = await c.viem.getContractAt("DevStakeToken", d.stakeToken);
      const [, anyone] = await wallets(c);
      assert.ok(anyone);
      const limit = await token.read.FAUCET_LIMIT();
      assert.equal(limit, 10n ** 24n);
      await token.write.faucet([anyone.account.address, limit], { account: anyone.account });
      assert.equal(await token.read.balanceOf([anyone.account.address]), limit);
      await c.viem.assertions.revertWithCustomErrorWithArgs(
        token.write.faucet([anyone.account.address, limit + 1n], { account: anyone.account }),
        token,
        "DevStakeTokenFaucetLimit",
        [limit + 1n, limit],
      );
    });
  });

  it("deploys nothing on a chain that is not local: every future waits for the dev token, whose constructor reverts", async () => {
    // Structure: the token is the only root, so nothing can be sent before its constructor ran.
    const token = [...LocalDevnet.futures].find((f) => f.id === "LocalDevnet#DevStakeToken");
    assert.ok(token);
    for (const future of LocalDevnet.futures) {
      if (future !== token) assert.ok(waitsFor(future, token), `${future.id} waits for DevStakeToken`);
    }
    await onFreshChain(1, async (c) => {
      const [deployer] = await wallets(c);
      assert.ok(deployer);
      await assert.rejects(
        c.ignition.deploy(LocalDevnet, {
          displayUi: false,
          parameters: { LocalDevnet: { trainingVerifier: PLACEHOLDER_VERIFIER } },
        }),
        (e: Error) => /LocalDevnet#DevStakeToken[\s\S]*DevStakeTokenNotLocalChain\(1\)/.test(e.message),
      );
      const publicClient = await c.viem.getPublicClient();
      assert.equal(await publicClient.getTransactionCount({ address: deployer.account.address }), 0);
      assert.equal(await publicClient.getBlockNumber(), 0n, "not a single transaction was mined");
    });
  });

  it("is not deployed without a training verifier: nothing is sent", async () => {
    await onFreshChain(undefined, async (c) => {
      await assert.rejects(c.ignition.deploy(LocalDevnet, { displayUi: false }), (e: Error) =>
        /Module parameter 'trainingVerifier' requires a value/.test(e.message),
      );
      assert.equal(await (await c.viem.getPublicClient()).getBlockNumber(), 0n);
    });
  });
});

describe("Ignition: BlindTraining (production)", () => {
  it("is not deployed without a training verifier: nothing is sent, so no job could be posted that never settles", async () => {
    await onFreshChain(1, async (c) => {
      await assert.rejects(c.ignition.deploy(BlindTraining, { displayUi: false }), (e: Error) =>
        /BlindTraining#JobMarket\.publishConfig[\s\S]*Module parameter 'trainingVerifier' requires a value/.test(
          e.message,
        ),
      );
      assert.equal(await (await c.viem.getPublicClient()).getBlockNumber(), 0n);
    });
  });

  for (const chainId of [31337, 1, 8453]) {
    it(`deploys the core without the Simulated TEE, the timelock, and schedules the handover (chain id ${chainId})`, async () => {
      await onFreshChain(chainId, async (c) => {
        const [deployer] = await wallets(c);
        assert.ok(deployer);
        const owner = getAddress(deployer.account.address);
        const deployed = await c.ignition.deploy(BlindTraining, {
          displayUi: false,
          parameters: { BlindTraining: { trainingVerifier: PLACEHOLDER_VERIFIER } },
        });
        assert.deepEqual(Object.keys(deployed).sort(), [
          "dataDelivery",
          "enclaveRegistry",
          "intelQuoteVerifier",
          "jobMarket",
          "multiPartyCoordinator",
          "providerRegistry",
          "statementVerifier",
          "timelock",
        ]);
        const publicClient = await c.viem.getPublicClient();
        const d: Deployment = {
          chainId,
          jobMarket: deployed.jobMarket.address,
          providerRegistry: deployed.providerRegistry.address,
          enclaveRegistry: deployed.enclaveRegistry.address,
          multiPartyCoordinator: deployed.multiPartyCoordinator.address,
          dataDelivery: deployed.dataDelivery.address,
          timelock: deployed.timelock.address,
          stakeToken: zeroAddress,
          intelQuoteVerifier: deployed.intelQuoteVerifier.address,
          statementVerifier: deployed.statementVerifier.address,
          deployBlock: Number(await publicClient.getBlockNumber()),
        };
        const k = await contractsOf(c, d);
        const timelock = await timelockOf(c, d);
        assert.equal(await k.providerRegistry.read.market(), getAddress(k.jobMarket.address));
        assert.equal(await k.providerRegistry.read.stakeToken(), zeroAddress, "ETH only by default");
        assert.equal(await k.jobMarket.read.minPrice([ETH]), CORE_DEFAULTS.minPriceEth);
        assert.equal(await k.coordinator.read.jobMarket(), getAddress(k.jobMarket.address));

        // The first config names the training verifier and the production verifiers; no Simulated.
        assert.equal(await k.jobMarket.read.currentConfigId(), 1);
        assert.deepEqual(await k.jobMarket.read.configOf([1]), {
          trainingVerifier: PLACEHOLDER_VERIFIER,
          ...CONFIG_DEFAULTS,
          verifiedTeeTypes: teeTypeSet([TeeType.SevSnp, TeeType.Tdx, TeeType.Sgx]),
          coordinator: getAddress(k.coordinator.address),
          dataDelivery: getAddress(k.dataDelivery.address),
          attestationVerifiers: [
            getAddress(k.statementVerifier.address),
            getAddress(k.intelQuoteVerifier.address),
            getAddress(k.intelQuoteVerifier.address),
            zeroAddress,
          ],
        });
        assert.equal(await k.enclaveRegistry.read.simulatedEnabled(), false);
        assert.equal(await k.enclaveRegistry.read.verifierOf([TeeType.Simulated]), zeroAddress);
        assert.equal(await k.intelQuoteVerifier.read.development(), false);
        // Development evidence presented as TDX: the production verifier knows no PCK key yet.
        await c.viem.assertions.revertWithCustomError(
          k.enclaveRegistry.read.verifyEvidence([
            TeeType.Tdx,
            createSimulatedEvidence({ reportData: keccak256(toBytes("binding")) }),
            keccak256(toBytes("binding")),
          ]),
          k.intelQuoteVerifier,
          "IntelQuotePckKeyUnknown",
        );
        await c.viem.assertions.revertWithCustomError(
          k.enclaveRegistry.read.verifyEvidence([TeeType.Simulated, "0x", keccak256(toBytes("binding"))]),
          k.enclaveRegistry,
          "EnclaveRegistrySimulatedDisabled",
        );

        // The timelock is OpenZeppelin's release, with the default delay, open executors, no
        // external admin, and no proposer left: the deployer renounced its temporary roles.
        assert.equal(await publicClient.getCode({ address: timelock.address }), OZ_TIMELOCK.deployedBytecode);
        assert.equal(await timelock.read.getMinDelay(), TIMELOCK_DELAY);
        assert.equal(TIMELOCK_DELAY, 2n * DAY);
        assert.equal(await timelock.read.hasRole([TimelockRole.Executor, zeroAddress]), true);
        assert.equal(await timelock.read.hasRole([TimelockRole.Admin, timelock.address]), true);
        for (const role of [TimelockRole.Admin, TimelockRole.Proposer, TimelockRole.Canceller])
          assert.equal(await timelock.read.hasRole([role, owner]), false);

        // The handover is started: the deployer still owns everything until the timelock accepts.
        const handover = await findOwnershipHandover(publicClient, d);
        assert.equal(handover.governance, owner, "governance defaults to the deployer");
        assert.equal(handover.state, OperationState.Waiting);
        assert.equal(handover.timelock, getAddress(timelock.address));
        for (const contract of handover.contracts) {
          assert.equal(contract.owner, owner, contract.name);
          assert.equal(contract.pendingOwner, getAddress(timelock.address), contract.name);
        }
        const scheduled = await timelock.getEvents.CallScheduled({ id: handover.id }, { fromBlock: 0n });
        assert.equal(scheduled.length, 7, "five acceptOwnership calls and two role grants");
        const scheduledAt = (await publicClient.getBlock({ blockNumber: scheduled[0]?.blockNumber ?? 0n }))
          .timestamp;
        assert.equal(handover.readyAt, scheduledAt + TIMELOCK_DELAY);
      });
    });
  }

  it("hands ownership to the timelock only after the delay; then governance is the only proposer", async () => {
    await onFreshChain(1, async (c) => {
      const [deployer, , , , , governance, executor] = await wallets(c);
      assert.ok(deployer && governance && executor);
      const publicClient = await c.viem.getPublicClient();
      const d = await deployBlindTraining(c, {
        trainingVerifier: PLACEHOLDER_VERIFIER,
        governance: governance.account.address,
        timelockDelay: DAY,
      });
      const timelock = await timelockOf(c, d);
      const k = await contractsOf(c, d);
      assert.equal(await timelock.read.getMinDelay(), DAY);
      const handover = await findOwnershipHandover(publicClient, d);
      assert.equal(handover.governance, getAddress(governance.account.address));
      assert.equal(
        handover.id,
        operationId(
          ownershipHandoverBatch({
            owned: [
              d.jobMarket,
              d.providerRegistry,
              d.enclaveRegistry,
              d.intelQuoteVerifier ?? "0x",
              d.statementVerifier ?? "0x",
            ],
            timelock: timelock.address,
            governance: governance.account.address,
          }),
        ),
      );
      // Found the same way when the governance account is given.
      assert.equal(
        (await findOwnershipHandover(publicClient, d, { governance: governance.account.address })).id,
        handover.id,
      );
      // Nobody holds a role that could schedule or cancel anything while the handover waits.
      for (const who of [deployer, governance])
        for (const role of [TimelockRole.Proposer, TimelockRole.Canceller])
          assert.equal(await timelock.read.hasRole([role, who.account.address]), false);

      // Before the delay the batch cannot run, through the script's helper or directly.
      await assert.rejects(
        executeOwnershipHandover(publicClient, executor, d, handover),
        (e: unknown) => e instanceof GovernanceError && /not ready yet/.test(e.shortMessage),
      );
      const b = handover.batch;
      await c.viem.assertions.revertWithCustomErrorWithArgs(
        executor.writeContract({
          address: timelock.address,
          abi: timelockControllerAbi,
          functionName: "executeBatch",
          args: [b.targets, b.values, b.payloads, b.predecessor, b.salt],
        }),
        timelock,
        "TimelockUnexpectedOperationState",
        [handover.id, toHex(1n << BigInt(OperationState.Ready), { size: 32 })],
      );

      await c.networkHelpers.time.increaseTo(handover.readyAt);
      const receipt = await executeOwnershipHandover(publicClient, executor, d, handover);
      console.log(`# ownership handover executeBatch: ${receipt.gasUsed} gas`);
      const done = await findOwnershipHandover(publicClient, d);
      assert.equal(done.state, OperationState.Done);
      for (const contract of done.contracts) {
        assert.equal(contract.owner, getAddress(timelock.address), contract.name);
        assert.equal(contract.pendingOwner, zeroAddress, contract.name);
      }
      assert.equal(await timelock.read.hasRole([TimelockRole.Proposer, governance.account.address]), true);
      assert.equal(await timelock.read.hasRole([TimelockRole.Canceller, governance.account.address]), true);
      assert.equal(await timelock.read.hasRole([TimelockRole.Proposer, deployer.account.address]), false);
      // The deployer lost its rights; executing twice is refused.
      await c.viem.assertions.revertWithCustomErrorWithArgs(
        k.jobMarket.write.setAssetLimits([ETH, 1n, 1n], { account: deployer.account }),
        k.jobMarket,
        "OwnableUnauthorizedAccount",
        [getAddress(deployer.account.address)],
      );
      await assert.rejects(
        executeOwnershipHandover(publicClient, executor, d, done),
        (e: unknown) => e instanceof GovernanceError && /already executed/.test(e.shortMessage),
      );
    });
  });

  it("accepts a stake token, a treasury and economics as parameters", async () => {
    await onFreshChain(1, async (c) => {
      const token = await c.viem.deployContract("TestPermitToken");
      const treasury = (await wallets(c))[3]?.account.address;
      assert.ok(treasury);
      const d = await deployBlindTraining(c, {
        trainingVerifier: PLACEHOLDER_VERIFIER,
        stakeToken: token.address,
        treasury,
        minPriceEth: 10n ** 15n,
        slashBuyerShareBps: 9_000,
        computeShareBps: 5_000,
      });
      const k = await contractsOf(c, d);
      assert.equal(d.stakeToken, getAddress(token.address));
      assert.equal(await k.providerRegistry.read.stakeToken(), getAddress(token.address));
      assert.equal(await k.providerRegistry.read.treasury(), getAddress(treasury));
      assert.equal(await k.jobMarket.read.minPrice([ETH]), 10n ** 15n);
      const config = await k.jobMarket.read.configOf([1]);
      assert.equal(config.slashBuyerShareBps, 9_000);
      assert.equal(config.computeShareBps, 5_000);
    });
  });

  it("the timelock ABI in the SDK is OpenZeppelin's", () => {
    const canonical = (abi: readonly unknown[]) =>
      abi
        .map((item) => {
          const i = item as {
            type: string;
            name?: string;
            stateMutability?: string;
            inputs?: { type: string; indexed?: boolean }[];
            outputs?: { type: string }[];
          };
          return JSON.stringify([
            i.type,
            i.name ?? "",
            i.stateMutability ?? "",
            (i.inputs ?? []).map((p) => `${p.type}${p.indexed ? " indexed" : ""}`),
            (i.outputs ?? []).map((p) => p.type),
          ]);
        })
        .sort();
    assert.deepEqual(canonical(timelockControllerAbi), canonical(OZ_TIMELOCK.abi));
  });

  it("the deployment and governance scripts print their usage", async () => {
    const run = promisify(execFile);
    for (const script of ["scripts/deploy-production.ts", "scripts/governance/accept-ownership.ts"]) {
      const { stdout } = await run(process.execPath, [script, "--help"], { cwd: ROOT });
      assert.match(stdout, /^Usage: npx node scripts\//, script);
      assert.match(stdout, /--network <name>/, script);
    }
  });
});

// ----- the production module settles real jobs -----------------------------------------------------

/** Meets τ = 7500 exactly and misses 7501 (see SEGMENT_TEST_RUN). */
const RUN = SEGMENT_TEST_RUN;

const CEILING = parseEther("1");
const PRICE = CEILING / 2n;
const TDX_ONLY = teeTypeSet([TeeType.Tdx]);
/** Expiry of what governance trusts in these tests (one year of chain time). */
const TRUST_FOR = 365n * DAY;

describe("BlindTraining settles real jobs: real TDX-layout quotes and Groth16 proofs, governed by the timelock", () => {
  let c: NetworkConnection;
  let circuit: CircuitResult;

  before(async () => {
    const t0 = performance.now();
    circuit = await buildSegmentTestCircuit();
    console.log(`# segment_test ${circuit.status} in ${Math.round(performance.now() - t0)} ms`);
    c = await network.create();
  });

  after(async () => {
    await c?.close();
    await releaseSnarkjs();
  });

  /** Governance (the deployer) schedules `calls` on the timelock, waits out the delay, anyone executes. */
  async function throughTimelock(
    p: {
      publicClient: Awaited<ReturnType<NetworkConnection["viem"]["getPublicClient"]>>;
      governance: Wallet;
      executor: Wallet;
      timelock: Address;
    },
    calls: TimelockCall[],
    label: string,
  ) {
    const batch = timelockBatch(calls, keccak256(toBytes(label)));
    const scheduled = await scheduleTimelockBatch(p.publicClient, p.governance, p.timelock, batch);
    assert.equal(scheduled.state, OperationState.Waiting);
    await c.networkHelpers.time.increaseTo(scheduled.readyAt);
    return executeTimelockBatch(p.publicClient, p.executor, p.timelock, batch);
  }

  /**
   * The production module with the real training verifier, after the handover; governance then
   * trusts, through the timelock and on this test chain only, the development PCK key and the
   * Simulated TD's measurement as a TDX measurement. One provider offering TDX stakes 10 ETH.
   */
  async function production() {
    const publicClient = await c.viem.getPublicClient();
    const [deployer, provider, buyer, stranger] = await wallets(c);
    assert.ok(deployer && provider && buyer && stranger);
    const zk = await deployTrainingVerifier(c, circuit);
    const deployment = await deployBlindTraining(c, { trainingVerifier: zk.address });
    assert.ok(deployment.timelock);
    const handover = await findOwnershipHandover(publicClient, deployment);
    await c.networkHelpers.time.increaseTo(handover.readyAt);
    await executeOwnershipHandover(publicClient, stranger, deployment, handover);

    const k = await contractsOf(c, deployment);
    const gov = { publicClient, governance: deployer, executor: stranger, timelock: deployment.timelock };
    const expiresAt = BigInt(await c.networkHelpers.time.latest()) + TRUST_FOR;
    await throughTimelock(
      gov,
      [
        {
          to: k.intelQuoteVerifier.address,
          data: encodeFunctionData({
            abi: intelQuoteVerifierAbi,
            functionName: "registerPckKey",
            args: [
              hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(0, 32))),
              hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(32))),
              expiresAt,
            ],
          }),
        },
        {
          to: k.enclaveRegistry.address,
          data: encodeFunctionData({
            abi: enclaveRegistryAbi,
            functionName: "allowMeasurement",
            args: [TeeType.Tdx, SIMULATED_MEASUREMENT, expiresAt],
          }),
        },
      ],
      "trust the development platform on this test chain",
    );

    await k.providerRegistry.write.register(
      [
        {
          teeTypes: TDX_ONLY,
          hardwareClass: 3,
          metadataHash: keccak256(toBytes("TDX provider")),
          endpointHash: keccak256(toBytes("https://provider.example")),
        },
      ],
      { account: provider.account },
    );
    await k.providerRegistry.write.depositEth({ account: provider.account, value: parseEther("10") });
    return {
      ...k,
      deployment,
      gov,
      publicClient,
      deployer,
      provider,
      buyer,
      stranger,
      chainId: deployment.chainId,
    };
  }
  type Production = Awaited<ReturnType<typeof production>>;
  const load = () => c.networkHelpers.loadFixture(production);

  type Job = { jobId: bigint; terms: JobTerms; secrets: ReturnType<typeof newBuyerSecrets> };

  /** The buyer posts a TDX job with the run's commitments and threshold `tau`; the provider bids PRICE. */
  async function postedJob(
    p: Production,
    tau: number,
    windows: { attestWindow?: bigint } = {},
  ): Promise<Job> {
    const secrets = newBuyerSecrets(p.stranger.account.address);
    const terms: JobTerms = {
      ...buildJobTerms({
        now: BigInt(await c.networkHelpers.time.latest()),
        secrets,
        priceCeiling: CEILING,
        teeTypes: TDX_ONLY,
        ...windows,
      }),
      ...(await jobCommitments({ ...RUN, tau })),
      // The buyer's raw-data commitments: the enclave binds them to RUN's feature rows.
      datasetCommitment: randomFieldElement(),
      evalCommitment: randomFieldElement(),
    };
    const { jobId } = await postJob(p.publicClient, p.buyer as Wallet, p.deployment, terms);
    await p.jobMarket.write.placeBid([jobId, terms, PRICE], { account: p.provider.account });
    return { jobId, terms, secrets };
  }

  /** A TDX quote v4 of the Simulated TD binding the job and `enclave`'s keys, signed by the development chain with Intel's TD QE identity. */
  function tdxAttestation(p: Production, job: Job, enclave: SimulatedEnclave) {
    const binding = attestationBinding({
      chainId: BigInt(p.chainId),
      jobMarket: p.jobMarket.address,
      jobId: job.jobId,
      enclaveEncryptionKey: enclave.encryptionKey,
      enclaveSigner: enclave.signer.address,
    });
    const quote = buildIntelQuote({
      body: {
        kind: "tdx",
        report: {
          mrTd: SIMULATED_TD.mrTd,
          rtmrs: SIMULATED_TD.rtmrs,
          reportData: reportDataForBinding(binding),
        },
      },
      attestationKey: DEV_KEYS.attestation,
      pckKey: DEV_KEYS.pck,
      pckChainPem: devCertificateChain().pem,
      qeReport: { mrSigner: hexToBytes(INTEL_TD_QE_MRSIGNER), isvProdId: 2 },
    });
    return [
      job.jobId,
      job.terms,
      TeeType.Tdx,
      enclave.encryptionKey,
      enclave.signer.address,
      encodeIntelEvidence(quote, DEV_PCK_PUBLIC_KEY),
    ] as const;
  }

  /** Bidding over, the provider attests with a real TDX quote: the job is Attested. */
  async function attestedJob(p: Production, tau: number): Promise<Job & { enclave: SimulatedEnclave }> {
    const job = await postedJob(p, tau);
    await c.networkHelpers.time.increaseTo(job.terms.bidDeadline);
    const enclave = newSimulatedEnclave();
    const hash = await p.jobMarket.write.submitAttestation(tdxAttestation(p, job, enclave), {
      account: p.provider.account,
    });
    await c.viem.assertions.emitWithArgs(hash, p.jobMarket, "AttestationAccepted", [
      job.jobId,
      TeeType.Tdx,
      SIMULATED_MEASUREMENT,
      enclave.encryptionKey,
      getAddress(enclave.signer.address),
    ]);
    return { ...job, enclave };
  }

  /** The buyer's owner key records the delivered blobs (relayed by a stranger). */
  async function recordDelivery(p: Production, job: Job) {
    const blobs = { blobIds: [randomBytes32(), randomBytes32()], sizes: [4_096n, 1_024n] };
    const deadline = BigInt(await c.networkHelpers.time.latest()) + DAY;
    const signature = await signRecordDelivery({
      ownerKey: job.secrets.ownerKey,
      chainId: p.chainId,
      dataDelivery: p.dataDelivery.address,
      jobId: job.jobId,
      deadline,
      ...blobs,
    });
    await p.dataDelivery.write.recordDelivery(
      [job.jobId, job.terms, blobs.blobIds, blobs.sizes, deadline, signature],
      {
        account: p.stranger.account,
      },
    );
    return deliveryDataHash(blobs);
  }

  /** Proofs by (job, τ): the fixture restores the chain, so every test's first job has the same id. */
  const proofs = new Map<string, ProvenRun>();
  async function proven(p: Production, job: Job, tau: number): Promise<ProvenRun> {
    const key = `${job.jobId}/${tau}`;
    let run = proofs.get(key);
    if (!run) {
      run = await proveRun(
        { ...RUN, tau },
        {
          chainId: BigInt(p.chainId),
          market: p.jobMarket.address,
          jobId: job.jobId,
          provider: getAddress(p.provider.account.address),
        },
        circuit,
      );
      console.log(`# job ${job.jobId}, τ ${tau}: prove ms per segment ${run.proveMs.join(", ")}`);
      proofs.set(key, run);
    }
    return run;
  }

  /**
   * The provider submits the real proof, bound by the enclave's signed FeatureBinding of the job's
   * raw commitments to RUN's feature rows, with the enclave's signature over the result.
   */
  async function submitProvenResult(p: Production, job: Job & { enclave: SimulatedEnclave }, run: ProvenRun) {
    const features = await jobCommitments({ ...RUN, tau: Number(job.terms.qualityThreshold) });
    const binding = {
      featureTrainCommitment: features.datasetCommitment,
      featureEvalCommitment: features.evalCommitment,
      baseModelHash: randomBytes32(),
      featureBackend: featureBackendId("builtin"),
      loraCommitment: bytes32(0n),
    };
    const bindingSignature = await signFeatureBinding(job.enclave.signer, {
      chainId: p.chainId,
      market: p.jobMarket.address,
      jobId: job.jobId,
      rawTrainCommitment: job.terms.datasetCommitment,
      rawEvalCommitment: job.terms.evalCommitment,
      binding,
    });
    const result = {
      modelCommitment: bytes32(run.commitments.at(-1) ?? 0n),
      modelCiphertextHash: randomBytes32(),
      thresholdMet: run.thresholdMet,
      proof: encodeBoundTrainingProof(
        binding,
        bindingSignature,
        encodeTrainingProof(run.commitments, run.proofs),
      ),
    };
    const enclaveSignature = await signTrainingResult({
      enclaveKey: job.enclave.signer,
      chainId: p.chainId,
      jobMarket: p.jobMarket.address,
      jobId: job.jobId,
      ...result,
    });
    const hash = await p.jobMarket.write.submitResult(
      [job.jobId, job.terms, { ...result, enclaveSignature }],
      {
        account: p.provider.account,
      },
    );
    return { hash, result };
  }

  /** The buyer's refund arrives at refundTo; the provider's collateral is free again and whole. */
  async function expectRefundAndCollateralBack(p: Production, job: Job, refund: bigint) {
    assert.equal(await p.jobMarket.read.refundableOf([job.jobId, job.terms]), refund);
    const claim = await p.jobMarket.write.claimRefund(
      [job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt],
      { account: p.stranger.account },
    );
    await c.viem.assertions.emitWithArgs(claim, p.jobMarket, "RefundClaimed", [
      job.jobId,
      getAddress(job.secrets.refundTo),
      refund,
    ]);
    const stake = await p.providerRegistry.read.stakeOf([p.provider.account.address, ETH]);
    assert.equal(stake.locked, 0n, "collateral released");
    assert.equal(stake.free, parseEther("10"), "nothing slashed");
  }

  it("a proven job meeting τ completes: full price to the provider, the rest refunded", async () => {
    const p = await load();
    const job = await attestedJob(p, RUN.tau);
    await recordDelivery(p, job);
    const run = await proven(p, job, RUN.tau);
    assert.equal(run.thresholdMet, true);
    const { hash, result } = await submitProvenResult(p, job, run);
    await c.viem.assertions.emitWithArgs(hash, p.jobMarket, "ProofVerified", [
      job.jobId,
      result.modelCommitment,
      result.modelCiphertextHash,
      true,
    ]);
    await c.viem.assertions.emitWithArgs(hash, p.jobMarket, "PaymentReleased", [
      job.jobId,
      getAddress(p.provider.account.address),
      PRICE,
    ]);
    await c.viem.assertions.balancesHaveChanged(hash, [
      { address: p.provider.account.address, amount: PRICE },
    ]);
    const receipt = await p.publicClient.waitForTransactionReceipt({ hash });
    console.log(`# production submitResult, 2-segment Groth16 proof: ${receipt.gasUsed} gas`);
    assert.equal(await p.jobMarket.read.statusOf([job.jobId]), JobStatus.Completed);
    await expectRefundAndCollateralBack(p, job, CEILING - PRICE);
  });

  it("a proven job below τ (proof of thresholdMet = false) pays the compute share, refunds the rest, slashes nothing", async () => {
    const p = await load();
    const tau = RUN.tau + 1;
    const job = await attestedJob(p, tau);
    await recordDelivery(p, job);
    const run = await proven(p, job, tau);
    assert.equal(run.thresholdMet, false, "3/4 correct misses τ = 7501");
    const share = (PRICE * BigInt(CONFIG_DEFAULTS.computeShareBps)) / 10_000n;
    const { hash, result } = await submitProvenResult(p, job, run);
    await c.viem.assertions.emitWithArgs(hash, p.jobMarket, "ProofVerified", [
      job.jobId,
      result.modelCommitment,
      result.modelCiphertextHash,
      false,
    ]);
    await c.viem.assertions.balancesHaveChanged(hash, [
      { address: p.provider.account.address, amount: share },
    ]);
    assert.equal(await p.jobMarket.read.statusOf([job.jobId]), JobStatus.BelowThreshold);
    await expectRefundAndCollateralBack(p, job, CEILING - share);
  });

  it("no delivery recorded by the data deadline: BuyerDefaulted(NoDataDelivered), the provider earns the cancellation fee", async () => {
    const p = await load();
    const job = await attestedJob(p, RUN.tau);
    await c.viem.assertions.revertWithCustomErrorWithArgs(
      p.jobMarket.write.enforceDeadline([job.jobId, job.terms], { account: p.provider.account }),
      p.jobMarket,
      "JobMarketDeadlineNotPassed",
      [job.terms.dataDeadline],
    );
    await c.networkHelpers.time.increaseTo(job.terms.dataDeadline + 1n);
    const fee = (PRICE * BigInt(CONFIG_DEFAULTS.cancellationFeeBps)) / 10_000n;
    const hash = await p.jobMarket.write.enforceDeadline([job.jobId, job.terms], {
      account: p.provider.account,
    });
    await c.viem.assertions.emitWithArgs(hash, p.jobMarket, "JobDefaulted", [
      job.jobId,
      FailureReason.NoDataDelivered,
      fee,
      0n,
    ]);
    await c.viem.assertions.balancesHaveChanged(hash, [{ address: p.provider.account.address, amount: fee }]);
    assert.equal(await p.jobMarket.read.statusOf([job.jobId]), JobStatus.BuyerDefaulted);
    await expectRefundAndCollateralBack(p, job, CEILING - fee);
  });

  it("a measurement revoked through the timelock after posting releases the job without fault; a job posted after is slashed", async () => {
    const p = await load();
    // Attestation may come up to 3 days after bidding: the revocation waits out the 2-day delay.
    const job = await postedJob(p, RUN.tau, { attestWindow: 3n * DAY });
    const postedAt = BigInt(await c.networkHelpers.time.latest());
    const revoke = await throughTimelock(
      p.gov,
      [
        {
          to: p.enclaveRegistry.address,
          data: encodeFunctionData({
            abi: enclaveRegistryAbi,
            functionName: "revokeMeasurement",
            args: [TeeType.Tdx, SIMULATED_MEASUREMENT],
          }),
        },
      ],
      "revoke the Simulated TD measurement",
    );
    const revokedAt = (await p.publicClient.getBlock({ blockNumber: revoke.blockNumber })).timestamp;
    assert.ok(revokedAt >= postedAt + TIMELOCK_DELAY, "a revocation waits out the timelock's delay");

    const hash = await p.jobMarket.write.submitAttestation(tdxAttestation(p, job, newSimulatedEnclave()), {
      account: p.provider.account,
    });
    await c.viem.assertions.emitWithArgs(hash, p.jobMarket, "EvidenceRejected", [
      job.jobId,
      FailureReason.AttestationRejected,
      encodeErrorResult({
        abi: p.enclaveRegistry.abi,
        errorName: "AttestationRevoked",
        args: [SIMULATED_MEASUREMENT, revokedAt],
      }),
    ]);
    await c.viem.assertions.emitWithArgs(hash, p.jobMarket, "JobReleased", [
      job.jobId,
      FailureReason.EvidenceRevoked,
    ]);
    assert.equal(await p.jobMarket.read.statusOf([job.jobId]), JobStatus.Released);
    await expectRefundAndCollateralBack(p, job, CEILING);

    // The provider could have known of the revocation before bidding on this one: its own fault.
    const late = await postedJob(p, RUN.tau);
    await c.networkHelpers.time.increaseTo(late.terms.bidDeadline);
    const failed = await p.jobMarket.write.submitAttestation(tdxAttestation(p, late, newSimulatedEnclave()), {
      account: p.provider.account,
    });
    await c.viem.assertions.emit(failed, p.jobMarket, "JobFailed");
    assert.equal(await p.jobMarket.read.statusOf([late.jobId]), JobStatus.Failed);
  });

  it("governance acts only through the timelock: its direct calls revert, its scheduled ones wait out the delay", async () => {
    const p = await load();
    await c.viem.assertions.revertWithCustomErrorWithArgs(
      p.enclaveRegistry.write.revokeMeasurement([TeeType.Tdx, SIMULATED_MEASUREMENT], {
        account: p.deployer.account,
      }),
      p.enclaveRegistry,
      "OwnableUnauthorizedAccount",
      [getAddress(p.deployer.account.address)],
    );
    const batch = timelockBatch(
      [
        {
          to: p.jobMarket.address,
          data: encodeFunctionData({
            abi: p.jobMarket.abi,
            functionName: "setAssetLimits",
            args: [ETH, 1n, 1n],
          }),
        },
      ],
      keccak256(toBytes("lower the ETH minimums")),
    );
    const scheduled = await scheduleTimelockBatch(p.publicClient, p.deployer, p.gov.timelock, batch);
    await c.networkHelpers.time.increaseTo(scheduled.readyAt - 2n);
    await assert.rejects(
      executeTimelockBatch(p.publicClient, p.stranger, p.gov.timelock, batch),
      (e: unknown) => e instanceof GovernanceError,
    );
    assert.equal(await p.jobMarket.read.minPrice([ETH]), CORE_DEFAULTS.minPriceEth);
    await c.networkHelpers.time.increaseTo(scheduled.readyAt);
    await executeTimelockBatch(p.publicClient, p.stranger, p.gov.timelock, batch);
    assert.equal(await p.jobMarket.read.minPrice([ETH]), 1n);
  });
});

describe("Ignition modules deploy no test double", () => {
  const testContracts = readdirSync(TEST_CONTRACTS_DIR)
    .filter((f) => f.endsWith(".sol"))
    .map((f) => f.slice(0, -".sol".length));

  it("no module source names a test contract", () => {
    assert.ok(testContracts.length >= 4, `found test contracts: ${testContracts.join(", ")}`);
    const files = readdirSync(MODULES_DIR).filter((f) => f.endsWith(".ts"));
    assert.ok(files.includes("BlindTraining.ts") && files.includes("LocalDevnet.ts"));
    for (const file of files) {
      const source = readFileSync(join(MODULES_DIR, file), "utf8");
      assert.doesNotMatch(source, /Test|Reentrant|Mock/, `${file} mentions a test double`);
      for (const name of testContracts) assert.ok(!source.includes(name), `${file} mentions ${name}`);
    }
  });

  it("the modules deploy exactly the expected contracts and make exactly the expected calls", () => {
    const production = plan(BlindTraining);
    assert.deepEqual(production.contracts, [
      "AttestationStatementVerifier",
      "DataDelivery",
      "EnclaveRegistry",
      "IntelQuoteVerifier",
      "JobMarket",
      "MultiPartyCoordinator",
      "ProviderRegistry",
      "TimelockController",
    ]);
    assert.deepEqual(production.calls, [
      "AttestationStatementVerifier.transferOwnership",
      "EnclaveRegistry.setVerifier",
      "EnclaveRegistry.transferOwnership",
      "IntelQuoteVerifier.transferOwnership",
      "JobMarket.publishConfig",
      "JobMarket.setAssetLimits",
      "JobMarket.transferOwnership",
      "ProviderRegistry.setMarket",
      "ProviderRegistry.transferOwnership",
      "TimelockController.renounceRole",
      "TimelockController.scheduleBatch",
    ]);
    assert.deepEqual(production.encoded, [
      "AttestationStatementVerifier.acceptOwnership",
      "EnclaveRegistry.acceptOwnership",
      "IntelQuoteVerifier.acceptOwnership",
      "JobMarket.acceptOwnership",
      "ProviderRegistry.acceptOwnership",
      "TimelockController.grantRole",
    ]);

    const local = plan(LocalDevnet);
    assert.deepEqual(local.contracts, [
      "AttestationStatementVerifier",
      "DataDelivery",
      "DevStakeToken",
      "EnclaveRegistry",
      "IntelQuoteVerifier",
      "JobMarket",
      "MultiPartyCoordinator",
      "ProviderRegistry",
    ]);
    assert.deepEqual(local.calls, [
      "EnclaveRegistry.allowMeasurement",
      "EnclaveRegistry.setSimulatedEnabled",
      "EnclaveRegistry.setVerifier",
      "IntelQuoteVerifier.registerPckKey",
      "JobMarket.publishConfig",
      "JobMarket.setAssetLimits",
      "ProviderRegistry.setMarket",
    ]);
    assert.deepEqual(local.encoded, []);
    for (const name of [...production.contracts, ...local.contracts])
      assert.ok(!testContracts.includes(name), `${name} is a test contract`);
  });
});
