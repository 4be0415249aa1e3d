import { type Address, encodeAbiParameters, type Hex, keccak256, toBytes } from "viem";

/** Domain tag of the attestation binding (`AttestationBinding.TAG`). */
export const ATTESTATION_BINDING_TAG: Hex = keccak256(toBytes("BlindTraining.AttestationBinding.v1"));

/** Parameters of {@link attestationBinding}. */
export type AttestationBindingParameters = {
  chainId: bigint;
  jobMarket: Address;
  jobId: bigint;
  /** The enclave's X25519 data-encryption public key (32 bytes). */
  enclaveEncryptionKey: Hex;
  /** The enclave's signing address. */
  enclaveSigner: Address;
};

/**
 * The report data an enclave's attestation must commit to for one job (first 32 of the 64
 * report-data bytes; the rest zero): `keccak256(abi.encode(TAG, chainId, market, jobId, encKey, signer))`.
 * Identical to `JobMarket.attestationBinding`.
 *
 * @example
 * const reportData = attestationBinding({ chainId: 31337n, jobMarket, jobId: 1n, enclaveEncryptionKey, enclaveSigner });
 */
export function attestationBinding(p: AttestationBindingParameters): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "uint256" },
        { type: "address" },
        { type: "uint256" },
        { type: "bytes32" },
        { type: "address" },
      ],
      [ATTESTATION_BINDING_TAG, p.chainId, p.jobMarket, p.jobId, p.enclaveEncryptionKey, p.enclaveSigner],
    ),
  );
}
