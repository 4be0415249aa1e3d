import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { DEV_ATTESTATION_SIGNER, SIMULATED_MEASUREMENT } from "../../sdk/simulatedTee.ts";
import { TeeType } from "../../sdk/types.ts";
import { deployCore } from "./core.ts";

/** Allow-list expiry of the simulated measurement on local chains: 2100-01-01. */
const SIMULATED_MEASUREMENT_EXPIRY = 4_102_444_800n;

/**
 * Local development deployment (chain ids 31337 and 1337 only): the core market with a development
 * stake token (ERC-20 with permit and a faucet) and the Simulated TEE path — a
 * SimulatedAttestationVerifier trusting the SDK's development attestation key, registered for the
 * Simulated TEE type, the simulated measurement allow-listed, and Simulated enabled. On any other
 * chain the EnclaveRegistry rejects `setSimulatedEnabled(true)` and this deployment fails.
 */
export default buildModule("LocalDevnet", (m) => {
  const stakeToken = m.contract("DevStakeToken", []);
  const core = deployCore(m, stakeToken);
  const devSigner = m.getParameter("devAttestationSigner", DEV_ATTESTATION_SIGNER);
  const simulatedVerifier = m.contract("SimulatedAttestationVerifier", [devSigner]);
  m.call(core.enclaveRegistry, "setVerifier", [TeeType.Simulated, simulatedVerifier]);
  m.call(core.enclaveRegistry, "allowMeasurement", [
    TeeType.Simulated,
    SIMULATED_MEASUREMENT,
    SIMULATED_MEASUREMENT_EXPIRY,
  ]);
  m.call(core.enclaveRegistry, "setSimulatedEnabled", [true]);
  return { ...core, stakeToken, simulatedVerifier };
});
