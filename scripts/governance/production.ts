// The production deployment: the BlindTraining Ignition module (core market, first config with the
// Groth16 training verifier, TimelockController governance with the ownership handover scheduled),
// returned in the SDK's deployment format.
import type { NetworkConnection } from "hardhat/types/network";
import type { Address } from "viem";
import BlindTraining from "../../ignition/modules/BlindTraining.ts";
import type { Deployment } from "../../sdk/index.ts";

/** Ignition parameters of the BlindTraining module; `trainingVerifier` is required. */
export type BlindTrainingParameters = Record<string, bigint | number | string | boolean> & {
  trainingVerifier: Address;
};

/**
 * Deploys the BlindTraining module on `connection` and returns its addresses. The timelock accepts
 * ownership only after its delay (`findOwnershipHandover` / `executeOwnershipHandover` in
 * ./timelock.ts, or `scripts/governance/accept-ownership.ts`).
 *
 * @param parameters Ignition parameters, e.g. `{ trainingVerifier, governance, timelockDelay: 86400n }`.
 * @param options `deploymentId` of the Ignition journal on persistent networks; `displayUi`.
 * @example
 * const deployment = await deployBlindTraining(connection, { trainingVerifier });
 */
export async function deployBlindTraining(
  connection: NetworkConnection,
  parameters: BlindTrainingParameters,
  options: { deploymentId?: string; displayUi?: boolean } = {},
): Promise<Deployment> {
  const deployed = await connection.ignition.deploy(BlindTraining, {
    parameters: { BlindTraining: parameters },
    displayUi: options.displayUi ?? false,
    ...(options.deploymentId === undefined ? {} : { deploymentId: options.deploymentId }),
  });
  const publicClient = await connection.viem.getPublicClient();
  return {
    chainId: await publicClient.getChainId(),
    jobMarket: deployed.jobMarket.address,
    providerRegistry: deployed.providerRegistry.address,
    enclaveRegistry: deployed.enclaveRegistry.address,
    multiPartyCoordinator: deployed.multiPartyCoordinator.address,
    dataDelivery: deployed.dataDelivery.address,
    timelock: deployed.timelock.address,
    stakeToken: await deployed.providerRegistry.read.stakeToken(),
    intelQuoteVerifier: deployed.intelQuoteVerifier.address,
    statementVerifier: deployed.statementVerifier.address,
    trainingVerifier: parameters.trainingVerifier,
    deployBlock: Number(await publicClient.getBlockNumber()),
  };
}
