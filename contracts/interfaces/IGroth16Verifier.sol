// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IGroth16Verifier
/// @notice The Groth16 verifier snarkjs generates from a zkey with exactly one public input
///         (`snarkjs zkey export solidityverifier`, build output in `contracts/generated/`).
interface IGroth16Verifier {
    /// @notice Checks a Groth16 proof (BN254) against the verifying key compiled into the contract.
    /// @param pA Proof point A (G1).
    /// @param pB Proof point B (G2, coordinates in snarkjs' order).
    /// @param pC Proof point C (G1).
    /// @param pubSignals The public input.
    /// @return Whether the proof verifies.
    function verifyProof(
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[1] calldata pubSignals
    ) external view returns (bool);
}
