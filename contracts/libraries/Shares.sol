// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Shares
/// @notice Basis-point arithmetic for collateral and slashing, rounding in the protocol's favour:
///         collateral rounds up (a provider never locks less than the ratio says) and a split
///         gives the rounding remainder to the second part, so the parts always sum to the whole.
library Shares {
    /// @notice 100% in basis points.
    uint256 internal constant BPS = 10_000;

    /// @notice `amount * bps / 10_000`, rounded up: never zero when both `amount` and `bps` are non-zero.
    /// @dev Cannot overflow for amount < 2^128 and bps < 2^16, the widths the contracts store.
    function mulBpsUp(uint256 amount, uint256 bps) internal pure returns (uint256) {
        return (amount * bps + BPS - 1) / BPS;
    }

    /// @notice Splits `amount` into `first = floor(amount * bps / 10_000)` and `second = amount - first`.
    /// @dev Requires bps ≤ 10_000 (checked where it is configured), so `first ≤ amount`.
    function split(uint256 amount, uint256 bps) internal pure returns (uint256 first, uint256 second) {
        first = amount * bps / BPS;
        // first ≤ amount because bps ≤ BPS.
        unchecked {
            second = amount - first;
        }
    }
}
