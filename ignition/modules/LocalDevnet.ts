import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { toHex } from "viem";
import {
  DEV_PCK_PUBLIC_KEY,
  DEV_QE_MRSIGNER,
  SIMULATED_MEASUREMENT,
} from "../../sdk/attestation/devChain.ts";
import { TeeType } from "../../sdk/types.ts";
import { deployCore, publishConfig } from "./core.ts";

/** Allow-list expiry of the simulated measurement and the development PCK key on local chains: 2100-01-01. */
const DEV_EXPIRY = 4_102_444_800n;

/**
 * Local development deployment (chain ids 31337 and 1337 only): the core market with a development
 * stake token (ERC-20 with permit and a faucet) and the Simulated TEE path — a second
 * IntelQuoteVerifier in development mode (it accepts only the Simulated TEE type) trusting the
 * development quoting enclave and PCK key of `sdk/attestation/devChain.ts`, registered for the
 * Simulated TEE type, the Simulated TD's measurement allow-listed, and Simulated enabled.
 *
 * Parameter `trainingVerifier` (required): the ITrainingVerifier of the first market config.
 *
 * The development token is deployed first and its constructor reverts on any other chain id; every
 * other contract waits for it, so on a public chain this module deploys nothing at all.
 */
export default buildModule("LocalDevnet", (m) => {
  const stakeToken = m.contract("DevStakeToken", []);
  const core = deployCore(m, stakeToken, { after: [stakeToken] });
  const deployer = m.getAccount(0);
  const simulatedVerifier = m.contract(
    "IntelQuoteVerifier",
    [deployer, true, toHex(DEV_QE_MRSIGNER), toHex(new Uint8Array(32))],
    { id: "SimulatedQuoteVerifier", after: [stakeToken] },
  );
  m.call(simulatedVerifier, "registerPckKey", [
    BigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(0, 32))),
    BigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(32))),
    DEV_EXPIRY,
  ]);
  const setSimulated = m.call(core.enclaveRegistry, "setVerifier", [TeeType.Simulated, simulatedVerifier], {
    id: "setVerifierSimulated",
  });
  m.call(core.enclaveRegistry, "allowMeasurement", [TeeType.Simulated, SIMULATED_MEASUREMENT, DEV_EXPIRY]);
  m.call(core.enclaveRegistry, "setSimulatedEnabled", [true]);
  publishConfig(m, core, m.getParameter<string>("trainingVerifier"), [setSimulated]);
  const { setVerifiers: _, ...contracts } = core;
  return { ...contracts, stakeToken, simulatedVerifier };
});
