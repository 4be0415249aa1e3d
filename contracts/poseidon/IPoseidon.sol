// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @dev BN254 scalar field order: circomlib Poseidon works in this field.
uint256 constant POSEIDON_FIELD_SIZE = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

/// @title IPoseidon4
/// @notice circomlib Poseidon with 4 inputs (state width t = 5); equals circomlib's `Poseidon(4)`.
///         Implemented by `PoseidonT5` (Solidity generated from circomlibjs' constants, which rejects
///         inputs ≥ POSEIDON_FIELD_SIZE) and by circomlibjs' own bytecode (scripts/circuits/poseidon.ts,
///         the gas baseline, which silently reduces them: callers must reject values ≥ the field size
///         where distinct inputs must not collide).
interface IPoseidon4 {
    /// @param input Four field elements.
    /// @return The Poseidon hash, a field element.
    function poseidon(uint256[4] memory input) external pure returns (uint256);
}

/// @title IPoseidon6
/// @notice circomlib Poseidon with 6 inputs (t = 7); `PoseidonT7`, or circomlibjs `createCode(6)`.
/// @dev Same input caveat as IPoseidon4.
interface IPoseidon6 {
    /// @param input Six field elements.
    /// @return The Poseidon hash, a field element.
    function poseidon(uint256[6] memory input) external pure returns (uint256);
}
