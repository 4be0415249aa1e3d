// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title AttestationBinding
/// @notice The value an enclave's attestation report data must commit to for one job:
///         keccak256(abi.encode(TAG, chainId, market, jobId, enclaveEncryptionKey, enclaveSigner)).
/// @dev Binding chain id, market and job id makes evidence useless for any other job or
///      deployment; binding both enclave keys means the buyer encrypts to a key only that attested
///      enclave holds. TEE report data fields are 64 bytes: this value fills the first 32, the
///      rest is zero.
library AttestationBinding {
    /// @notice Domain tag of the binding, versioned.
    bytes32 internal constant TAG = keccak256("BlindTraining.AttestationBinding.v1");

    /// @notice Computes the report data for a job and an enclave's keys.
    function reportData(
        uint256 chainId,
        address market,
        uint256 jobId,
        bytes32 enclaveEncryptionKey,
        address enclaveSigner
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG, chainId, market, jobId, enclaveEncryptionKey, enclaveSigner));
    }
}
