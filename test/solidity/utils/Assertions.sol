// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @notice Minimal assertions (no forge-std): each reverts with a message naming the values.
abstract contract Assertions {
    function assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert(string.concat("assertTrue failed: ", what));
    }

    function assertEq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) {
            revert(string.concat(what, ": ", Strings.toString(a), " != ", Strings.toString(b)));
        }
    }

    function assertEq(address a, address b, string memory what) internal pure {
        if (a != b) {
            revert(string.concat(what, ": ", Strings.toHexString(a), " != ", Strings.toHexString(b)));
        }
    }

    function assertEq(bytes32 a, bytes32 b, string memory what) internal pure {
        if (a != b) {
            revert(
                string.concat(what, ": ", Strings.toHexString(uint256(a), 32), " != ", Strings.toHexString(uint256(b), 32))
            );
        }
    }

    function assertLe(uint256 a, uint256 b, string memory what) internal pure {
        if (a > b) revert(string.concat(what, ": ", Strings.toString(a), " > ", Strings.toString(b)));
    }

    /// @dev Maps `x` into [lo, hi] (inclusive) keeping small inputs stable, like forge-std's bound.
    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        require(lo <= hi, "bound: lo > hi");
        if (x >= lo && x <= hi) return x;
        uint256 size = hi - lo;
        if (size == type(uint256).max) return x;
        return lo + x % (size + 1);
    }
}
