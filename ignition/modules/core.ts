import type { ArgumentType, Future, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";
import { INTEL_SGX_QE_MRSIGNER, INTEL_TD_QE_MRSIGNER } from "../../sdk/attestation/intelQuote.ts";
import { TcbStatus } from "../../sdk/attestation/tcbStatus.ts";
import { ETH, TeeType } from "../../sdk/types.ts";

/** Default parameters of the core deployment; every one can be overridden by an Ignition parameter. */
export const CORE_DEFAULTS = {
  /** Unbonding delay of provider stake: 7 days. */
  unbondingDelay: 7n * 24n * 3600n,
  /** Smallest ETH price ceiling and bid: 0.0001 ETH (a one-wei bid cannot win a job). */
  minPriceEth: 10n ** 14n,
  /** Smallest ETH collateral of a winning bid: 0.00005 ETH. */
  minCollateralEth: 5n * 10n ** 13n,
  /** Seconds the buyer's side has to serve challenged data on-chain: 1 day. */
  availabilityWindow: 24n * 3600n,
  /** Largest delivery whose unanswered challenge is the buyer's fault: 256 KiB (about 4 M gas of L1 calldata). */
  maxServableBytes: 256n * 1024n,
  /** TCB statuses the SEV-SNP statement verifier accepts: UpToDate and SWHardeningNeeded. */
  acceptedTcbStatusMask: (1 << TcbStatus.UpToDate) | (1 << TcbStatus.SWHardeningNeeded),
} as const;

/** Default rules of the first market config (`IJobMarket.ConfigParameters`, docs/OUTCOMES.md). */
export const CONFIG_DEFAULTS = {
  /** Collateral locked per job: 50% of the agreed price. */
  collateralRatioBps: 5_000,
  /** The buyer's share of slashed collateral (70%); the rest goes to the treasury. */
  slashBuyerShareBps: 7_000,
  /** Paid for a proven model below the threshold: 30% of the price. */
  computeShareBps: 3_000,
  /** Paid to the provider when the buyer's side makes the job impossible: 10% of the price. */
  cancellationFeeBps: 1_000,
  /** A new bid must undercut the leading one by at least 1%. */
  minBidStepBps: 100,
} as const;

/** Options of {@link deployCore}. */
export type DeployCoreOptions = {
  /** Futures every root deployment waits for (the development module's chain-id guard). */
  after?: Future[] | undefined;
};

/**
 * Deploys and wires the market: ProviderRegistry, EnclaveRegistry, JobMarket (the registry's market
 * set to it), the MultiPartyCoordinator of multi-party jobs (docs/MULTIPARTY.md), the DataDelivery
 * records of single-party jobs, and the attestation verifiers per TEE type. No config is published
 * here: {@link publishConfig} does it once every verifier is in place. Shared by the production
 * module and the local development module.
 *
 * @param m The module builder.
 * @param stakeToken The ERC-20 accepted besides ETH: an address parameter or a contract future.
 * @returns The deployed contract futures.
 */
export function deployCore(
  m: IgnitionModuleBuilder,
  stakeToken: ArgumentType,
  options: DeployCoreOptions = {},
) {
  const after = options.after ?? [];
  const deployer = m.getAccount(0);
  const treasury = m.getParameter("treasury", deployer);
  const unbondingDelay = m.getParameter("unbondingDelay", CORE_DEFAULTS.unbondingDelay);

  const providerRegistry = m.contract("ProviderRegistry", [deployer, stakeToken, treasury, unbondingDelay], {
    after,
  });
  const enclaveRegistry = m.contract("EnclaveRegistry", [deployer], { after });
  const jobMarket = m.contract("JobMarket", [deployer, providerRegistry, enclaveRegistry]);
  m.call(providerRegistry, "setMarket", [jobMarket]);
  m.call(jobMarket, "setAssetLimits", [
    ETH,
    m.getParameter("minPriceEth", CORE_DEFAULTS.minPriceEth),
    m.getParameter("minCollateralEth", CORE_DEFAULTS.minCollateralEth),
  ]);
  const multiPartyCoordinator = m.contract("MultiPartyCoordinator", [jobMarket]);
  const dataDelivery = m.contract("DataDelivery", [
    jobMarket,
    m.getParameter("availabilityWindow", CORE_DEFAULTS.availabilityWindow),
    m.getParameter("maxServableBytes", CORE_DEFAULTS.maxServableBytes),
  ]);

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
    { id: "IntelQuoteVerifier", after },
  );
  const statementVerifier = m.contract(
    "AttestationStatementVerifier",
    [
      deployer,
      1 << TeeType.SevSnp,
      m.getParameter("acceptedTcbStatusMask", CORE_DEFAULTS.acceptedTcbStatusMask),
    ],
    { after },
  );
  const setVerifiers = [
    m.call(enclaveRegistry, "setVerifier", [TeeType.Tdx, intelQuoteVerifier], { id: "setVerifierTdx" }),
    m.call(enclaveRegistry, "setVerifier", [TeeType.Sgx, intelQuoteVerifier], { id: "setVerifierSgx" }),
    m.call(enclaveRegistry, "setVerifier", [TeeType.SevSnp, statementVerifier], { id: "setVerifierSevSnp" }),
  ];
  return {
    providerRegistry,
    enclaveRegistry,
    jobMarket,
    multiPartyCoordinator,
    dataDelivery,
    intelQuoteVerifier,
    statementVerifier,
    setVerifiers,
  };
}

/**
 * Publishes the market's config (`JobMarket.publishConfig`): the training verifier, the coordinator
 * and data-delivery contracts, the economics of {@link CONFIG_DEFAULTS} (each an Ignition parameter),
 * and the enclave registry's verifiers as they are once `after` has run. Jobs can be posted only
 * after it, so a deployment without a training verifier cannot take a job it could never settle.
 */
export function publishConfig(
  m: IgnitionModuleBuilder,
  core: ReturnType<typeof deployCore>,
  trainingVerifier: ArgumentType,
  after: Future[],
) {
  const p = (name: keyof typeof CONFIG_DEFAULTS) => m.getParameter(name, CONFIG_DEFAULTS[name]);
  return m.call(
    core.jobMarket,
    "publishConfig",
    [
      {
        trainingVerifier,
        coordinator: core.multiPartyCoordinator,
        dataDelivery: core.dataDelivery,
        collateralRatioBps: p("collateralRatioBps"),
        slashBuyerShareBps: p("slashBuyerShareBps"),
        computeShareBps: p("computeShareBps"),
        cancellationFeeBps: p("cancellationFeeBps"),
        minBidStepBps: p("minBidStepBps"),
      },
    ],
    { after: [...core.setVerifiers, ...after] },
  );
}
