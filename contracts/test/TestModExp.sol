// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title TestModExp
/// @notice Test only: measures the gas of one call to the MODEXP precompile (address 0x05) so that
///         docs/MULTIPARTY.md can say what checking a Chaum–Pedersen decryption-share proof on-chain
///         would cost under osaka (EIP-7883 pricing, EIP-7823 input bounds).
contract TestModExp {
    /// @notice Computes `base^exponent mod modulus` with at most `gasLimit` gas for the precompile.
    /// @return ok Whether the precompile succeeded (false: out of gas, or inputs over EIP-7823's bound).
    /// @return gasUsed Gas the STATICCALL consumed: the precompile's price plus the 100 gas of a warm
    ///         call (plus two `GAS` opcodes); the whole `gasLimit` when it failed.
    /// @return result The result, `modulus.length` bytes (zero when it failed).
    function measure(bytes calldata base, bytes calldata exponent, bytes calldata modulus, uint256 gasLimit)
        external
        view
        returns (bool ok, uint256 gasUsed, bytes memory result)
    {
        bytes memory input =
            abi.encodePacked(uint256(base.length), uint256(exponent.length), uint256(modulus.length), base, exponent, modulus);
        result = new bytes(modulus.length);
        uint256 before;
        uint256 remaining;
        assembly ("memory-safe") {
            before := gas()
            ok := staticcall(gasLimit, 0x05, add(input, 32), mload(input), add(result, 32), mload(result))
            remaining := gas()
        }
        gasUsed = before - remaining;
    }
}
