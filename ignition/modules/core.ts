import type { ArgumentType, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";

/** Default parameters of the core deployment; every one can be overridden by an Ignition parameter. */
export const CORE_DEFAULTS = {
  /** The buyer's share of slashed collateral (70%); the rest goes to the treasury. */
  slashBuyerShareBps: 7_000,
  /** Unbonding delay of provider stake: 7 days. */
  unbondingDelay: 7n * 24n * 3600n,
  /** Collateral locked per job: 50% of the agreed price. */
  collateralRatioBps: 5_000,
  /** Smallest ETH price ceiling a job may post: 0.0001 ETH. */
  minPriceEth: 10n ** 14n,
} as const;

/**
 * Deploys and wires the market: ProviderRegistry, EnclaveRegistry, JobMarket, with the registry's
 * market set to the JobMarket. Shared by the production module and the local development module.
 *
 * @param m The module builder.
 * @param stakeToken The ERC-20 accepted besides ETH: an address parameter or a contract future.
 * @returns The deployed contract futures.
 */
export function deployCore(m: IgnitionModuleBuilder, stakeToken: ArgumentType) {
  const deployer = m.getAccount(0);
  const treasury = m.getParameter("treasury", deployer);
  const slashBuyerShareBps = m.getParameter("slashBuyerShareBps", CORE_DEFAULTS.slashBuyerShareBps);
  const unbondingDelay = m.getParameter("unbondingDelay", CORE_DEFAULTS.unbondingDelay);
  const collateralRatioBps = m.getParameter("collateralRatioBps", CORE_DEFAULTS.collateralRatioBps);
  const minPriceEth = m.getParameter("minPriceEth", CORE_DEFAULTS.minPriceEth);

  const providerRegistry = m.contract("ProviderRegistry", [
    deployer,
    stakeToken,
    treasury,
    slashBuyerShareBps,
    unbondingDelay,
  ]);
  const enclaveRegistry = m.contract("EnclaveRegistry", [deployer]);
  const jobMarket = m.contract("JobMarket", [
    deployer,
    providerRegistry,
    enclaveRegistry,
    collateralRatioBps,
  ]);
  m.call(providerRegistry, "setMarket", [jobMarket]);
  m.call(jobMarket, "setMinPrice", ["0x0000000000000000000000000000000000000000", minPriceEth]);
  return { providerRegistry, enclaveRegistry, jobMarket };
}
