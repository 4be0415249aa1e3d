// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title P256
/// @notice ECDSA signature verification on NIST P-256 (secp256r1) through the precompile at `0x100`
///         (EIP-7951, same interface as RIP-7212).
/// @dev The precompile takes 160 bytes `hash ‖ r ‖ s ‖ x ‖ y` and returns the 32-byte word 1 when the
///      signature is valid and empty output otherwise (about 6,900 gas). Every outcome other than exactly
///      that word — invalid signature, malformed input, a failed call, and a chain WITHOUT the precompile
///      (calling an empty account succeeds with empty output) — reads as `false`. So on a chain that lacks
///      the precompile every check fails closed: nothing verifies, nothing is wrongly accepted.
library P256 {
    /// @notice Address of the P-256 verification precompile (EIP-7951 / RIP-7212).
    address internal constant VERIFIER = address(0x100);

    /// @notice Whether `(r, s)` is a valid ECDSA-P256 signature of `hash` by the public key `(x, y)`.
    /// @param hash The message digest that was signed (e.g. SHA-256 of the message).
    /// @param r The signature's r (big-endian).
    /// @param s The signature's s (big-endian).
    /// @param x The public key's affine x coordinate (big-endian).
    /// @param y The public key's affine y coordinate (big-endian).
    /// @return valid True only if the precompile answered exactly the 32-byte word 1.
    function verify(bytes32 hash, bytes32 r, bytes32 s, bytes32 x, bytes32 y) internal view returns (bool valid) {
        address verifier = VERIFIER;
        assembly ("memory-safe") {
            // Input at the free memory pointer (not reserved: it is only scratch for this call).
            let input := mload(0x40)
            mstore(input, hash)
            mstore(add(input, 0x20), r)
            mstore(add(input, 0x40), s)
            mstore(add(input, 0x60), x)
            mstore(add(input, 0x80), y)
            // Clear the output word first: on failure the precompile returns nothing and the
            // scratch space would otherwise keep whatever was there.
            mstore(0x00, 0)
            let success := staticcall(gas(), verifier, input, 0xa0, 0x00, 0x20)
            valid := and(success, and(eq(returndatasize(), 0x20), eq(mload(0x00), 1)))
        }
    }
}
