import type { ArgumentType, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";
import { INTEL_SGX_QE_MRSIGNER, INTEL_TD_QE_MRSIGNER } from "../../sdk/attestation/intelQuote.ts";
import { TcbStatus } from "../../sdk/attestation/tcbStatus.ts";
import { TeeType } from "../../sdk/types.ts";

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
  /** TCB statuses the SEV-SNP statement verifier accepts: UpToDate and SWHardeningNeeded. */
  acceptedTcbStatusMask: (1 << TcbStatus.UpToDate) | (1 << TcbStatus.SWHardeningNeeded),
} as const;

/**
 * Deploys and wires the market: ProviderRegistry, EnclaveRegistry, JobMarket, with the registry's
 * market set to the JobMarket, and the MultiPartyCoordinator of multi-party jobs (docs/MULTIPARTY.md)
 * set as the market's coordinator. Shared by the production module and the local development module.
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
  const multiPartyCoordinator = m.contract("MultiPartyCoordinator", [jobMarket]);
  m.call(jobMarket, "setMultiPartyCoordinator", [multiPartyCoordinator]);

  // Attestation (docs/ATTESTATION.md): TDX and SGX quotes checked on-chain with the P-256
  // precompile against PCK keys governance registers; SEV-SNP as statements of registered verifiers.
  const intelQuoteVerifier = m.contract(
    "IntelQuoteVerifier",
    [
      deployer,
      false,
      m.getParameter("tdxQeMrSigner", INTEL_TD_QE_MRSIGNER),
      m.getParameter("sgxQeMrSigner", INTEL_SGX_QE_MRSIGNER),
    ],
    { id: "IntelQuoteVerifier" },
  );
  const statementVerifier = m.contract("AttestationStatementVerifier", [
    deployer,
    1 << TeeType.SevSnp,
    m.getParameter("acceptedTcbStatusMask", CORE_DEFAULTS.acceptedTcbStatusMask),
  ]);
  m.call(enclaveRegistry, "setVerifier", [TeeType.Tdx, intelQuoteVerifier], { id: "setVerifierTdx" });
  m.call(enclaveRegistry, "setVerifier", [TeeType.Sgx, intelQuoteVerifier], { id: "setVerifierSgx" });
  m.call(enclaveRegistry, "setVerifier", [TeeType.SevSnp, statementVerifier], { id: "setVerifierSevSnp" });
  return {
    providerRegistry,
    enclaveRegistry,
    jobMarket,
    multiPartyCoordinator,
    intelQuoteVerifier,
    statementVerifier,
  };
}
