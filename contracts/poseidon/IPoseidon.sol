// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @dev BN254 scalar field order: circomlib Poseidon works in this field.
uint256 constant POSEIDON_FIELD_SIZE = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

/// @title IPoseidon4
/// @notice circomlib Poseidon with 4 inputs (state width t = 5), deployed from the bytecode that
///         circomlibjs `poseidonContract.createCode(4)` generates (`PoseidonT5`, see
///         scripts/circuits/poseidon.ts). Equals circomlib's `Poseidon(4)` template.
/// @dev The generated code reduces each input modulo POSEIDON_FIELD_SIZE without rejecting it, so
///      x and x + POSEIDON_FIELD_SIZE hash alike: pass only values below POSEIDON_FIELD_SIZE when that
///      matters. The contract also answers `poseidon(bytes32[4])` with the same result.
interface IPoseidon4 {
    /// @param input Four field elements.
    /// @return The Poseidon hash, a field element.
    function poseidon(uint256[4] memory input) external pure returns (uint256);
}

/// @title IPoseidon6
/// @notice circomlib Poseidon with 6 inputs (t = 7), from circomlibjs `createCode(6)` (`PoseidonT7`).
/// @dev Same input reduction caveat as IPoseidon4.
interface IPoseidon6 {
    /// @param input Six field elements.
    /// @return The Poseidon hash, a field element.
    function poseidon(uint256[6] memory input) external pure returns (uint256);
}
