import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { deployCore } from "./core.ts";

/**
 * Production deployment of the market on any EVM chain with the P-256 precompile.
 *
 * Parameters (all optional): `stakeToken` (ERC-20 with EIP-2612 accepted besides ETH; zero address
 * for ETH only), `treasury`, `slashBuyerShareBps`, `unbondingDelay`, `collateralRatioBps`,
 * `minPriceEth`. The deployer owns every contract; hand governance over with
 * `transferOwnership` + `acceptOwnership` (two-step). The Simulated TEE is never enabled here, and
 * the EnclaveRegistry refuses to enable it outside local chain ids.
 */
export default buildModule("BlindTraining", (m) => {
  const stakeToken = m.getParameter("stakeToken", "0x0000000000000000000000000000000000000000");
  return deployCore(m, stakeToken);
});
