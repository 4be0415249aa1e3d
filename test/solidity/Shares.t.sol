// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Shares} from "../../contracts/libraries/Shares.sol";
import {Assertions} from "./utils/Assertions.sol";

/// @notice Fuzz tests of the basis-point arithmetic behind collateral and slashing.
contract SharesTest is Assertions {
    /// @dev mulBpsUp is the exact ceiling of amount*bps/10_000 at the widths the contracts store.
    function testFuzz_mulBpsUp_isExactCeiling(uint96 amount, uint16 bps) public pure {
        uint256 got = Shares.mulBpsUp(amount, bps);
        uint256 product = uint256(amount) * bps;
        // got*10_000 >= product (never rounds down) ...
        assertTrue(got * 10_000 >= product, "mulBpsUp rounds down");
        // ... and (got-1)*10_000 < product (rounds up by less than one unit).
        if (got > 0) assertTrue((got - 1) * 10_000 < product, "mulBpsUp rounds up by a whole unit or more");
        else assertEq(product, 0, "zero result for non-zero product");
    }

    function testFuzz_mulBpsUp_bounds(uint96 amount, uint16 bps) public pure {
        uint256 got = Shares.mulBpsUp(amount, bps);
        uint256 floor = uint256(amount) * bps / 10_000;
        assertTrue(got == floor || got == floor + 1, "within one of the floor");
        // 100% is the identity, 0% is zero, and at most 10_000 bps never exceeds the amount.
        if (bps == 10_000) assertEq(got, amount, "100% of amount");
        if (bps == 0) assertEq(got, 0, "0% of amount");
        if (bps <= 10_000) assertLe(got, amount, "<=100% exceeds amount");
        // Fits the uint96 collateral field whenever bps <= MAX_COLLATERAL_RATIO_BPS and amount*5 fits.
        if (bps <= 50_000 && uint256(amount) * 5 < 2 ** 96) assertTrue(got < 2 ** 96, "collateral fits uint96");
    }

    /// @dev A non-zero share of a non-zero amount is never zero (the buyer's part of a slash), up to
    ///      the 128-bit stake width.
    function testFuzz_mulBpsUp_nonZeroShareOfNonZeroAmountIsNonZero(uint128 amount, uint16 bps) public pure {
        amount = uint128(bound(amount, 1, type(uint128).max));
        bps = uint16(bound(bps, 1, 10_000));
        uint256 got = Shares.mulBpsUp(amount, bps);
        assertTrue(got != 0, "non-zero share of a non-zero amount");
        assertLe(got, amount, "at most the amount");
    }

    function testFuzz_mulBpsUp_monotone(uint96 a, uint96 b, uint16 bps) public pure {
        (uint96 lo, uint96 hi) = a <= b ? (a, b) : (b, a);
        assertLe(Shares.mulBpsUp(lo, bps), Shares.mulBpsUp(hi, bps), "monotone in amount");
    }

    /// @dev The parts of a split always sum to the whole and the first part is the floor.
    function testFuzz_split_partsSumToWhole(uint256 amount, uint256 bps) public pure {
        amount = bound(amount, 0, type(uint128).max);
        bps = bound(bps, 0, 10_000);
        (uint256 first, uint256 second) = Shares.split(amount, bps);
        assertEq(first + second, amount, "first + second");
        assertEq(first, amount * bps / 10_000, "first is the floor");
        assertLe(first, amount, "first <= amount");
        assertLe(second, amount, "second <= amount");
        // The remainder goes to the second part: it is at least its exact share.
        assertTrue(second * 10_000 >= amount * (10_000 - bps), "second >= exact share");
        if (bps == 0) assertEq(second, amount, "0 bps: all to second");
        if (bps == 10_000) assertEq(first, amount, "10_000 bps: all to first");
    }
}
