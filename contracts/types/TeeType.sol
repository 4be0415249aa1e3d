// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice Trusted-execution environment families the market understands.
/// @dev The numbering is part of the ABI (stored in jobs, provider profiles and events) and is mirrored by
/// `sdk/types.ts`; append new families at the end only. `None` is a sentinel and never valid.
enum TeeType {
    None,
    SevSnp,
    Tdx,
    Sgx,
    Simulated
}

/// @title TeeTypeSet
/// @notice A set of TEE types packed into a `uint8`, bit `i` standing for `TeeType(i)`.
/// @dev Jobs state which families they accept and providers which they support as such a set, so matching is
/// a single AND instead of an array walk.
library TeeTypeSet {
    /// @notice The set of every real and simulated TEE type (bits 1..4); bit 0 (`None`) is never allowed.
    uint8 internal constant ALL = 0x1E;

    /// @notice Whether `set` is non-empty and holds only known TEE types.
    function isValid(uint8 set) internal pure returns (bool) {
        return set != 0 && set & ~ALL == 0;
    }

    /// @notice Whether `set` contains `teeType`.
    function contains(uint8 set, TeeType teeType) internal pure returns (bool) {
        return set & (uint8(1) << uint8(teeType)) != 0;
    }
}
