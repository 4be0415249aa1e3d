// The Ignition modules: LocalDevnet wires the whole development system (Simulated TEE included);
// BlindTraining, the production module, deploys the same core without any development path; no
// module deploys a test double. Each deployment runs on its own fresh in-process chain.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { FutureType, type IgnitionModule } from "@nomicfoundation/ignition-core";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import { getAddress, hexToBigInt, keccak256, toBytes, toHex, zeroAddress } from "viem";
import BlindTraining from "../../ignition/modules/BlindTraining.ts";
import { CORE_DEFAULTS } from "../../ignition/modules/core.ts";
import LocalDevnet from "../../ignition/modules/LocalDevnet.ts";
import { deployLocalDevnet } from "../../scripts/lib/deploy.ts";
import {
  createSimulatedEvidence,
  DEV_PCK_PUBLIC_KEY,
  ETH,
  SIMULATED_MEASUREMENT,
  TeeType,
} from "../../sdk/index.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const MODULES_DIR = join(ROOT, "ignition", "modules");
const TEST_CONTRACTS_DIR = join(ROOT, "contracts", "test");

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

/** Contract names a module (and its submodules) deploys, and the `Contract.function` calls it makes. */
function plan(module: IgnitionModule): { contracts: string[]; calls: string[] } {
  const contracts = new Set<string>();
  const calls = new Set<string>();
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
      } else if (future.type === FutureType.CONTRACT_CALL || future.type === FutureType.SEND_DATA) {
        calls.add(
          future.type === FutureType.CONTRACT_CALL
            ? `${future.contract.contractName}.${future.functionName}`
            : `sendData:${future.id}`,
        );
      }
    }
    for (const sub of mod.submodules) visit(sub);
  };
  visit(module);
  return { contracts: [...contracts].sort(), calls: [...calls].sort() };
}

async function coreContracts(
  c: NetworkConnection,
  a: { jobMarket: string; providerRegistry: string; enclaveRegistry: string },
) {
  return {
    jobMarket: await c.viem.getContractAt("JobMarket", getAddress(a.jobMarket)),
    providerRegistry: await c.viem.getContractAt("ProviderRegistry", getAddress(a.providerRegistry)),
    enclaveRegistry: await c.viem.getContractAt("EnclaveRegistry", getAddress(a.enclaveRegistry)),
  };
}

describe("Ignition: LocalDevnet", () => {
  it("deploys and wires the core, the dev stake token and the Simulated TEE path", async () => {
    await onFreshChain(undefined, async (c) => {
      const [deployer] = await c.viem.getWalletClients();
      assert.ok(deployer);
      const owner = getAddress(deployer.account.address);
      const d = await deployLocalDevnet(c);
      assert.equal(d.chainId, 31337);
      const { jobMarket, providerRegistry, enclaveRegistry } = await coreContracts(c, d);
      const publicClient = await c.viem.getPublicClient();
      const addresses = [
        d.jobMarket,
        d.multiPartyCoordinator,
        d.providerRegistry,
        d.enclaveRegistry,
        d.stakeToken,
        d.intelQuoteVerifier,
        d.statementVerifier,
        d.simulatedVerifier,
      ];
      assert.equal(new Set(addresses.map((a) => a?.toLowerCase())).size, 8, "eight distinct contracts");
      for (const a of addresses) {
        assert.ok(a);
        assert.notEqual(await publicClient.getCode({ address: a }), undefined, `code at ${a}`);
      }

      // Ownership: the deployer owns everything, with no transfer pending.
      for (const contract of [jobMarket, providerRegistry, enclaveRegistry]) {
        assert.equal(await contract.read.owner(), owner);
        assert.equal(await contract.read.pendingOwner(), zeroAddress);
      }

      // Core wiring and default parameters.
      assert.equal(await providerRegistry.read.market(), getAddress(d.jobMarket));
      assert.equal(await providerRegistry.read.stakeToken(), getAddress(d.stakeToken));
      assert.equal(await providerRegistry.read.treasury(), owner);
      assert.equal(await providerRegistry.read.slashBuyerShareBps(), CORE_DEFAULTS.slashBuyerShareBps);
      assert.equal(await providerRegistry.read.unbondingDelay(), CORE_DEFAULTS.unbondingDelay);
      assert.equal(await jobMarket.read.providerRegistry(), getAddress(d.providerRegistry));
      assert.equal(await jobMarket.read.enclaveRegistry(), getAddress(d.enclaveRegistry));
      assert.equal(await jobMarket.read.collateralRatioBps(), CORE_DEFAULTS.collateralRatioBps);
      assert.equal(await jobMarket.read.minPrice([ETH]), CORE_DEFAULTS.minPriceEth);
      assert.equal(
        await jobMarket.read.trainingVerifier(),
        zeroAddress,
        "no training verifier is configured",
      );
      assert.ok(d.multiPartyCoordinator);
      assert.equal(await jobMarket.read.multiPartyCoordinator(), getAddress(d.multiPartyCoordinator));
      const coordinator = await c.viem.getContractAt("MultiPartyCoordinator", d.multiPartyCoordinator);
      assert.equal(await coordinator.read.jobMarket(), getAddress(d.jobMarket));

      // The Simulated TEE path: a development-mode IntelQuoteVerifier trusting the development PCK key.
      assert.ok(d.simulatedVerifier && d.intelQuoteVerifier && d.statementVerifier);
      const verifier = await c.viem.getContractAt("IntelQuoteVerifier", d.simulatedVerifier);
      assert.equal(await verifier.read.development(), true);
      const pck = await verifier.read.pckKeyOf([
        hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(0, 32))),
        hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(32))),
      ]);
      assert.deepEqual(pck, { expiresAt: 4_102_444_800n, revoked: false });
      assert.equal(
        await enclaveRegistry.read.verifierOf([TeeType.Simulated]),
        getAddress(d.simulatedVerifier),
      );
      // The production verifiers are wired as on a real chain.
      assert.equal(await enclaveRegistry.read.verifierOf([TeeType.Tdx]), getAddress(d.intelQuoteVerifier));
      assert.equal(await enclaveRegistry.read.verifierOf([TeeType.Sgx]), getAddress(d.intelQuoteVerifier));
      assert.equal(await enclaveRegistry.read.verifierOf([TeeType.SevSnp]), getAddress(d.statementVerifier));
      const production = await c.viem.getContractAt("IntelQuoteVerifier", d.intelQuoteVerifier);
      assert.equal(await production.read.development(), false);
      assert.deepEqual(await enclaveRegistry.read.measurementOf([TeeType.Simulated, SIMULATED_MEASUREMENT]), {
        expiresAt: 4_102_444_800n,
        revoked: false,
      });
      await enclaveRegistry.read.checkMeasurement([TeeType.Simulated, SIMULATED_MEASUREMENT]);
      assert.equal(await enclaveRegistry.read.simulatedEnabled(), true);

      // The dev stake token is the one with the faucet and permit.
      const token = await c.viem.getContractAt("DevStakeToken", d.stakeToken);
      assert.equal(await token.read.symbol(), "BTDEV");
      assert.equal(await token.read.totalSupply(), 0n);
    });
  });

  it("applies its Ignition parameters", async () => {
    await onFreshChain(undefined, async (c) => {
      const wallets = await c.viem.getWalletClients();
      const treasury = wallets[7]?.account.address;
      assert.ok(treasury);
      const d = await deployLocalDevnet(c, {
        treasury,
        slashBuyerShareBps: 2_500,
        unbondingDelay: 60n,
        collateralRatioBps: 20_000,
        minPriceEth: 5n,
      });
      const { jobMarket, providerRegistry } = await coreContracts(c, d);
      assert.equal(await providerRegistry.read.treasury(), getAddress(treasury));
      assert.equal(await providerRegistry.read.slashBuyerShareBps(), 2_500);
      assert.equal(await providerRegistry.read.unbondingDelay(), 60n);
      assert.equal(await jobMarket.read.collateralRatioBps(), 20_000);
      assert.equal(await jobMarket.read.minPrice([ETH]), 5n);
    });
  });

  it("deploys a dev stake token whose open faucet is capped per call", async () => {
    await onFreshChain(undefined, async (c) => {
      const d = await deployLocalDevnet(c);
      const token = await c.viem.getContractAt("DevStakeToken", d.stakeToken);
      const [, anyone] = await c.viem.getWalletClients();
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

  it("cannot be deployed on a chain that is not local: enabling Simulated reverts", async () => {
    await onFreshChain(1, async (c) => {
      await assert.rejects(c.ignition.deploy(LocalDevnet, { displayUi: false }), (e: Error) =>
        /setSimulatedEnabled|EnclaveRegistrySimulatedOnlyOnLocalChain/.test(String(e.message)),
      );
    });
  });
});

describe("Ignition: BlindTraining (production)", () => {
  for (const chainId of [31337, 1, 8453]) {
    it(`deploys the core without the Simulated TEE on chain id ${chainId}`, async () => {
      await onFreshChain(chainId, async (c) => {
        const [deployer] = await c.viem.getWalletClients();
        assert.ok(deployer);
        const owner = getAddress(deployer.account.address);
        const deployed = await c.ignition.deploy(BlindTraining, { displayUi: false });
        assert.deepEqual(Object.keys(deployed).sort(), [
          "enclaveRegistry",
          "intelQuoteVerifier",
          "jobMarket",
          "multiPartyCoordinator",
          "providerRegistry",
          "statementVerifier",
        ]);
        const { jobMarket, providerRegistry, enclaveRegistry } = await coreContracts(c, {
          jobMarket: deployed.jobMarket.address,
          providerRegistry: deployed.providerRegistry.address,
          enclaveRegistry: deployed.enclaveRegistry.address,
        });
        for (const contract of [jobMarket, providerRegistry, enclaveRegistry])
          assert.equal(await contract.read.owner(), owner);
        assert.equal(await providerRegistry.read.market(), getAddress(jobMarket.address));
        assert.equal(await providerRegistry.read.stakeToken(), zeroAddress, "ETH only by default");
        assert.equal(await jobMarket.read.providerRegistry(), getAddress(providerRegistry.address));
        assert.equal(await jobMarket.read.enclaveRegistry(), getAddress(enclaveRegistry.address));
        assert.equal(await jobMarket.read.minPrice([ETH]), CORE_DEFAULTS.minPriceEth);
        assert.equal(
          await jobMarket.read.multiPartyCoordinator(),
          getAddress(deployed.multiPartyCoordinator.address),
        );
        const coordinator = await c.viem.getContractAt(
          "MultiPartyCoordinator",
          deployed.multiPartyCoordinator.address,
        );
        assert.equal(await coordinator.read.jobMarket(), getAddress(jobMarket.address));

        // No development path: Simulated disabled and without a verifier, nothing allow-listed; the
        // production verifiers are wired (TDX and SGX quotes, SEV-SNP statements) and trust no key yet.
        assert.equal(await enclaveRegistry.read.simulatedEnabled(), false);
        assert.equal(await enclaveRegistry.read.verifierOf([TeeType.Simulated]), zeroAddress);
        const intel = await c.viem.getContractAt("IntelQuoteVerifier", deployed.intelQuoteVerifier.address);
        assert.equal(await intel.read.development(), false);
        assert.equal(await intel.read.owner(), owner);
        for (const t of [TeeType.Tdx, TeeType.Sgx])
          assert.equal(await enclaveRegistry.read.verifierOf([t]), getAddress(intel.address));
        assert.equal(
          await enclaveRegistry.read.verifierOf([TeeType.SevSnp]),
          getAddress(deployed.statementVerifier.address),
        );
        // Development evidence presented as TDX: the production verifier does not know the development PCK key.
        await c.viem.assertions.revertWithCustomError(
          enclaveRegistry.read.verifyEvidence([
            TeeType.Tdx,
            createSimulatedEvidence({ reportData: keccak256(toBytes("binding")) }),
            keccak256(toBytes("binding")),
          ]),
          intel,
          "IntelQuotePckKeyUnknown",
        );
        assert.deepEqual(
          await enclaveRegistry.read.measurementOf([TeeType.Simulated, SIMULATED_MEASUREMENT]),
          {
            expiresAt: 0n,
            revoked: false,
          },
        );
        await c.viem.assertions.revertWithCustomError(
          enclaveRegistry.read.verifyEvidence([TeeType.Simulated, "0x", keccak256(toBytes("binding"))]),
          enclaveRegistry,
          "EnclaveRegistrySimulatedDisabled",
        );
      });
    });
  }

  it("accepts a stake token and economics as parameters", async () => {
    await onFreshChain(1, async (c) => {
      const token = await c.viem.deployContract("DevStakeToken");
      const wallets = await c.viem.getWalletClients();
      const treasury = wallets[3]?.account.address;
      assert.ok(treasury);
      const deployed = await c.ignition.deploy(BlindTraining, {
        displayUi: false,
        parameters: { BlindTraining: { stakeToken: token.address, treasury, slashBuyerShareBps: 9_000 } },
      });
      const providerRegistry = await c.viem.getContractAt(
        "ProviderRegistry",
        deployed.providerRegistry.address,
      );
      assert.equal(await providerRegistry.read.stakeToken(), getAddress(token.address));
      assert.equal(await providerRegistry.read.treasury(), getAddress(treasury));
      assert.equal(await providerRegistry.read.slashBuyerShareBps(), 9_000);
    });
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
      "EnclaveRegistry",
      "IntelQuoteVerifier",
      "JobMarket",
      "MultiPartyCoordinator",
      "ProviderRegistry",
    ]);
    assert.deepEqual(production.calls, [
      "EnclaveRegistry.setVerifier",
      "JobMarket.setMinPrice",
      "JobMarket.setMultiPartyCoordinator",
      "ProviderRegistry.setMarket",
    ]);

    const local = plan(LocalDevnet);
    assert.deepEqual(local.contracts, [
      "AttestationStatementVerifier",
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
      "JobMarket.setMinPrice",
      "JobMarket.setMultiPartyCoordinator",
      "ProviderRegistry.setMarket",
    ]);
    for (const name of [...production.contracts, ...local.contracts])
      assert.ok(!testContracts.includes(name), `${name} is a test contract`);
  });
});
