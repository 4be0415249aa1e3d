import { type Address, encodeAbiParameters, type Hex, keccak256, toBytes } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { TeeType } from "./types.ts";

/**
 * The development attestation key of the Simulated TEE. PUBLIC BY DESIGN: Simulated evidence proves
 * nothing about hardware; the EnclaveRegistry accepts it only on local chains (31337/1337) where
 * the LocalDevnet module enabled it. Derived from a fixed label so every checkout agrees.
 */
export const DEV_ATTESTATION_PRIVATE_KEY: Hex = keccak256(toBytes("blind-training/dev-attestation-key/v1"));
/** Address of {@link DEV_ATTESTATION_PRIVATE_KEY}. */
export const DEV_ATTESTATION_SIGNER: Address = privateKeyToAccount(DEV_ATTESTATION_PRIVATE_KEY).address;
/** Measurement of the simulated enclave, allow-listed on local chains. */
export const SIMULATED_MEASUREMENT: Hex = keccak256(toBytes("blind-training/simulated-enclave/v1"));

/** Parameters of {@link createSimulatedEvidence}. */
export type CreateSimulatedEvidenceParameters = {
  chainId: number;
  /** The SimulatedAttestationVerifier contract (EIP-712 verifying contract). */
  verifier: Address;
  /** The job binding (see `attestationBinding`). */
  reportData: Hex;
  /** Defaults to {@link SIMULATED_MEASUREMENT}. */
  measurement?: Hex | undefined;
  /** Statement expiry, seconds since the epoch. */
  expiresAt: bigint;
  /** Defaults to {@link DEV_ATTESTATION_PRIVATE_KEY}. */
  signingKey?: Hex | undefined;
};

/**
 * Creates Simulated-TEE evidence: an EIP-712 `SimulatedQuote` statement signed by the development
 * key, ABI-encoded as `SimulatedAttestationVerifier` expects.
 *
 * @returns The evidence bytes for `JobMarket.submitAttestation`.
 * @example
 * const evidence = await createSimulatedEvidence({ chainId: 31337, verifier, reportData, expiresAt });
 */
export async function createSimulatedEvidence(p: CreateSimulatedEvidenceParameters): Promise<Hex> {
  const measurement = p.measurement ?? SIMULATED_MEASUREMENT;
  const signer = privateKeyToAccount(p.signingKey ?? DEV_ATTESTATION_PRIVATE_KEY);
  const signature = await signer.signTypedData({
    domain: {
      name: "BlindTraining SimulatedTEE",
      version: "1",
      chainId: p.chainId,
      verifyingContract: p.verifier,
    },
    types: {
      SimulatedQuote: [
        { name: "teeType", type: "uint8" },
        { name: "measurement", type: "bytes32" },
        { name: "reportData", type: "bytes32" },
        { name: "expiresAt", type: "uint64" },
      ],
    },
    primaryType: "SimulatedQuote",
    message: { teeType: TeeType.Simulated, measurement, reportData: p.reportData, expiresAt: p.expiresAt },
  });
  return encodeAbiParameters(
    [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint64" }, { type: "bytes" }],
    [measurement, p.reportData, p.expiresAt, signature],
  );
}
