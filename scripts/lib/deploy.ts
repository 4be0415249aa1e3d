import type { NetworkConnection } from "hardhat/types/network";
import LocalDevnet from "../../ignition/modules/LocalDevnet.ts";
import type { Deployment } from "../../sdk/index.ts";

/**
 * Deploys the LocalDevnet Ignition module (core market, dev stake token, Simulated TEE) on a
 * connection and returns its addresses in the SDK's deployment format.
 *
 * @param connection A Hardhat network connection (in-process or localhost).
 * @param parameters Ignition parameters for the module, e.g. `{ collateralRatioBps: 2000 }`.
 */
export async function deployLocalDevnet(
  connection: NetworkConnection,
  parameters: Record<string, bigint | number | string | boolean> = {},
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
    stakeToken: deployed.stakeToken.address,
    simulatedVerifier: deployed.simulatedVerifier.address,
    deployBlock: Number(await publicClient.getBlockNumber()),
  };
}
