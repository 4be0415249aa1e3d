import { createRequire } from "node:module";
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { Artifact } from "@nomicfoundation/ignition-core";
import { zeroAddress, zeroHash } from "viem";
import { OWNERSHIP_HANDOVER_SALT, TimelockRole } from "../../sdk/timelock.ts";
import { deployCore, publishConfig } from "./core.ts";

/** Default delay of every governance action: 2 days. */
export const TIMELOCK_DELAY = 2n * 24n * 3600n;

/**
 * OpenZeppelin Contracts 5's TimelockController exactly as the package ships it compiled
 * (`build/contracts/`), so anyone can compare the deployed code with the published release.
 */
const TIMELOCK_ARTIFACT = createRequire(import.meta.url)(
  "@openzeppelin/contracts/build/contracts/TimelockController.json",
) as Artifact;

/**
 * Production deployment of the market on any EVM chain with the P-256 precompile, governed by an
 * OpenZeppelin `TimelockController`.
 *
 * Parameters: `trainingVerifier` (required, no default: the Groth16 training verifier of the first
 * market config, deployed by `scripts/deploy-production.ts`; without it no job could ever settle, so
 * the module does not build), `governance` (the timelock's proposer and canceller; default the
 * deployer), `timelockDelay` (default {@link TIMELOCK_DELAY}), and those of `deployCore` and
 * `publishConfig` (`stakeToken`, `treasury`, `unbondingDelay`, `minPriceEth`, `minCollateralEth`,
 * `collateralRatioBps`, `slashBuyerShareBps`, …). The Simulated TEE is never enabled here, and the
 * EnclaveRegistry refuses to enable it outside local chain ids.
 *
 * Ownership handover (README, "Deploy to any EVM chain"): the deployer wires everything and publishes
 * the first config, then starts `transferOwnership(timelock)` on each Ownable2Step contract, schedules
 * on the timelock one batch (salt {@link OWNERSHIP_HANDOVER_SALT}, see `ownershipHandoverBatch` in
 * sdk/timelock.ts) of their `acceptOwnership()` followed by the grant of the proposer and canceller
 * roles to `governance`, and renounces its own temporary proposer and canceller roles. Executors are
 * open (the zero address), so after the delay anyone runs the batch
 * (`scripts/governance/accept-ownership.ts`). The timelock administers itself: from then on only
 * operations `governance` schedules, executed after the delay, change anything.
 */
export default buildModule("BlindTraining", (m) => {
  const deployer = m.getAccount(0);
  const stakeToken = m.getParameter("stakeToken", zeroAddress);
  const governance = m.getParameter("governance", deployer);
  const timelockDelay = m.getParameter("timelockDelay", TIMELOCK_DELAY);

  const core = deployCore(m, stakeToken);
  const configured = publishConfig(m, core, m.getParameter<string>("trainingVerifier"), []);

  // The deployer is the only proposer until it has scheduled the handover; no extra admin.
  const timelock = m.contract("TimelockController", TIMELOCK_ARTIFACT, [
    timelockDelay,
    [deployer],
    [zeroAddress],
    zeroAddress,
  ]);
  const owned = [
    core.jobMarket,
    core.providerRegistry,
    core.enclaveRegistry,
    core.intelQuoteVerifier,
    core.statementVerifier,
  ];
  // Ownable2Step: the deployer keeps its rights until the timelock accepts, after every setup call.
  const transfers = owned.map((contract) =>
    m.call(contract, "transferOwnership", [timelock], { after: [configured] }),
  );
  const accepts = owned.map((contract) => m.encodeFunctionCall(contract, "acceptOwnership", []));
  const grant = (role: string, id: string) =>
    m.encodeFunctionCall(timelock, "grantRole", [role, governance], { id });
  const schedule = m.call(
    timelock,
    "scheduleBatch",
    [
      [...owned, timelock, timelock],
      [...owned.map(() => 0n), 0n, 0n],
      [
        ...accepts,
        grant(TimelockRole.Proposer, "grantProposer"),
        grant(TimelockRole.Canceller, "grantCanceller"),
      ],
      zeroHash,
      OWNERSHIP_HANDOVER_SALT,
      timelockDelay,
    ],
    { id: "scheduleOwnershipHandover", after: transfers },
  );
  m.call(timelock, "renounceRole", [TimelockRole.Proposer, deployer], {
    id: "renounceProposer",
    after: [schedule],
  });
  m.call(timelock, "renounceRole", [TimelockRole.Canceller, deployer], {
    id: "renounceCanceller",
    after: [schedule],
  });

  const { setVerifiers: _, ...contracts } = core;
  return { ...contracts, timelock };
});
