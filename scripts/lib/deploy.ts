import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { NetworkConnection } from "hardhat/types/network";
import type { Address } from "viem";
import LocalDevnet from "../../ignition/modules/LocalDevnet.ts";
import { trainingVerifierModule } from "../../ignition/modules/TrainingVerifier.ts";
import { type Deployment, jobMarketAbi, type TrainingParams } from "../../sdk/index.ts";
import { buildCircuits, type CircuitResult, defaultPtauCacheDir } from "../circuits/pipeline.ts";
import { groth16VerifierArtifact } from "../circuits/verifierDeploy.ts";
import { confirm } from "./market.ts";
import { trainingParamsOf } from "./syntheticTask.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const PARAMS_FILE = join(ROOT, "circuits", "params.json");

/**
 * Deploys the LocalDevnet Ignition module (core market, dev stake token, Simulated TEE, first market
 * config) on a connection and returns its addresses in the SDK's deployment format.
 *
 * @param connection A Hardhat network connection (in-process or localhost).
 * @param parameters Ignition parameters for the module; `trainingVerifier` (the first config's
 *        training verifier) is required, e.g. `{ trainingVerifier, collateralRatioBps: 2000 }`.
 */
export async function deployLocalDevnet(
  connection: NetworkConnection,
  parameters: Record<string, bigint | number | string | boolean> & { trainingVerifier: Address },
): Promise<Deployment> {
  const deployed = await connection.ignition.deploy(LocalDevnet, {
    parameters: { LocalDevnet: parameters },
    displayUi: false,
  });
  const publicClient = await connection.viem.getPublicClient();
  return {
    chainId: await publicClient.getChainId(),
    jobMarket: deployed.jobMarket.address,
    providerRegistry: deployed.providerRegistry.address,
    enclaveRegistry: deployed.enclaveRegistry.address,
    multiPartyCoordinator: deployed.multiPartyCoordinator.address,
    dataDelivery: deployed.dataDelivery.address,
    stakeToken: deployed.stakeToken.address,
    intelQuoteVerifier: deployed.intelQuoteVerifier.address,
    statementVerifier: deployed.statementVerifier.address,
    simulatedVerifier: deployed.simulatedVerifier.address,
    trainingVerifier: parameters.trainingVerifier,
    deployBlock: Number(await publicClient.getBlockNumber()),
  };
}

/** Fields of a market config a caller may change in {@link publishMarketConfig}. */
export type MarketConfigOverrides = Partial<{
  trainingVerifier: Address;
  coordinator: Address;
  dataDelivery: Address;
  collateralRatioBps: number;
  slashBuyerShareBps: number;
  computeShareBps: number;
  cancellationFeeBps: number;
  minBidStepBps: number;
}>;

/**
 * Publishes a new market config that copies the current one except for `overrides` (the deployer
 * owns the market on local chains) and returns its id: jobs posted afterwards must name it.
 *
 * @example
 * const configId = await publishMarketConfig(connection, deployment, { trainingVerifier: zk.address });
 */
export async function publishMarketConfig(
  connection: NetworkConnection,
  deployment: Deployment,
  overrides: MarketConfigOverrides,
): Promise<number> {
  const publicClient = await connection.viem.getPublicClient();
  const [deployer] = await connection.viem.getWalletClients();
  if (!deployer) throw new Error("no deployer account");
  const read = { address: deployment.jobMarket, abi: jobMarketAbi } as const;
  const current = await publicClient.readContract({ ...read, functionName: "currentConfigId" });
  const c = await publicClient.readContract({ ...read, functionName: "configOf", args: [current] });
  await confirm(
    publicClient,
    deployer.writeContract({
      ...read,
      functionName: "publishConfig",
      args: [
        {
          trainingVerifier: c.trainingVerifier,
          coordinator: c.coordinator,
          dataDelivery: c.dataDelivery,
          collateralRatioBps: c.collateralRatioBps,
          slashBuyerShareBps: c.slashBuyerShareBps,
          computeShareBps: c.computeShareBps,
          cancellationFeeBps: c.cancellationFeeBps,
          minBidStepBps: c.minBidStepBps,
          ...overrides,
        },
      ],
      account: deployer.account,
    }),
  );
  return publicClient.readContract({ ...read, functionName: "currentConfigId" });
}

/**
 * Builds one main of circuits/params.json (reused when its manifest matches: compile, dev ceremony or
 * `PTAU_FILE`, zkey, verifier) into build/circuits and returns it with its training parameters.
 */
export async function buildTrainingCircuit(
  name: string,
  log: (line: string) => void,
): Promise<{ circuit: CircuitResult; params: TrainingParams }> {
  const entry = (
    JSON.parse(readFileSync(PARAMS_FILE, "utf8")) as { name: string; params: Record<string, number> }[]
  ).find((e) => e.name === name);
  if (!entry) throw new Error(`no circuit named ${name} in ${PARAMS_FILE}`);
  const [circuit] = await buildCircuits({
    root: ROOT,
    paramsFile: PARAMS_FILE,
    outDir: join(ROOT, "build", "circuits"),
    contractsDir: join(ROOT, "contracts", "generated"),
    only: [name],
    ptauCacheDir: defaultPtauCacheDir(),
    ptauFile: process.env.PTAU_FILE,
    log,
  });
  if (!circuit) throw new Error(`circuit ${name} did not build`);
  return { circuit, params: trainingParamsOf(entry.params) };
}

/**
 * Deploys the training verifier of `circuit` with the TrainingVerifier Ignition module: the
 * FeatureBindingVerifier (pass its `address` as `trainingVerifier` to {@link deployLocalDevnet}, or
 * publish it with {@link publishMarketConfig}) in front of the circuit's Groth16TrainingVerifier
 * (`headVerifier`).
 *
 * @returns Both addresses and the gas of the whole deployment.
 */
export async function deployTrainingVerifier(
  connection: NetworkConnection,
  circuit: CircuitResult,
): Promise<{ address: Address; headVerifier: Address; deployGas: bigint }> {
  const publicClient = await connection.viem.getPublicClient();
  const before = await publicClient.getBlockNumber();
  const { trainingVerifier, headVerifier } = await connection.ignition.deploy(
    trainingVerifierModule(await groth16VerifierArtifact(circuit)),
    { displayUi: false },
  );
  let deployGas = 0n;
  for (let n = before + 1n; n <= (await publicClient.getBlockNumber()); n++)
    deployGas += (await publicClient.getBlock({ blockNumber: n })).gasUsed;
  return { address: trainingVerifier.address, headVerifier: headVerifier.address, deployGas };
}
