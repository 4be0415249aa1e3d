// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IGoverned} from "../../contracts/interfaces/IGoverned.sol";
import {IProviderRegistry} from "../../contracts/interfaces/IProviderRegistry.sol";
import {RegistryFixture} from "./utils/RegistryFixture.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Fuzz tests of stake accounting: deposits, per-request unbonding and withdrawals under
///         fuzzed amounts, delays and times, in ETH and in the stake token; the slash split.
contract ProviderRegistryTest is RegistryFixture {
    address internal constant P = address(0x1001);
    uint256 internal constant MAX_REQUESTS = 8;

    function setUp() public {
        vm.warp(START_TIME);
        _deployRegistry();
        _register(P);
    }

    function _total(address asset) internal view returns (uint256) {
        IProviderRegistry.Stake memory s = registry.stakeOf(P, asset);
        return uint256(s.free) + s.locked + s.unbonding + registry.treasuryAccrued(asset);
    }

    function _request(address asset, uint256 amount) internal returns (uint64 id) {
        vm.prank(P);
        id = registry.requestWithdrawal(asset, amount);
    }

    function _withdraw(address asset) internal returns (uint256 paid) {
        uint256 before = _balance(asset, P);
        vm.prank(P);
        paid = registry.withdraw(asset);
        assertEq(_balance(asset, P) - before, paid, "withdraw returns what it pays");
    }

    function _expectUnbonding(uint64 readyAt) internal {
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryUnbonding.selector, readyAt));
    }

    // ----- deposit → request → withdraw -----

    /// @dev deposit → request → wait → withdraw moves exactly the requested amount, only once the
    ///      (fuzzed) unbonding delay has fully elapsed, and the registry's balance always equals the
    ///      stake it accounts for.
    function testFuzz_withdraw_paysOnlyAfterTheDelay(
        uint128 deposit,
        uint128 request,
        uint64 delay,
        uint64 wait,
        bool tokenAsset
    ) public {
        address asset = tokenAsset ? address(token) : address(0);
        delay = uint64(bound(delay, 0, registry.MAX_UNBONDING_DELAY()));
        registry.setUnbondingDelay(delay);
        deposit = uint128(bound(deposit, 1, 1e30));
        request = uint128(bound(request, 1, deposit));
        wait = uint64(bound(wait, 0, 2 * uint256(delay) + 1));

        _deposit(P, asset, deposit);
        assertEq(registry.stakeOf(P, asset).free, deposit, "free after deposit");
        assertEq(_balance(asset, address(registry)), deposit, "registry holds deposit");

        assertEq(_request(asset, request), 0, "first request id");
        IProviderRegistry.Stake memory s = registry.stakeOf(P, asset);
        uint64 readyAt = uint64(block.timestamp) + delay;
        assertEq(s.free, deposit - request, "free after request");
        assertEq(s.unbonding, request, "unbonding after request");
        assertEq(s.unbondingReadyAt, readyAt, "ready at");
        IProviderRegistry.UnbondingRequest[] memory pending = registry.pendingWithdrawals(P, asset);
        assertEq(pending.length, 1, "one pending request");
        assertEq(pending[0].id, 0, "pending id");
        assertEq(pending[0].readyAt, readyAt, "pending ready at");
        assertEq(pending[0].amount, request, "pending amount");
        assertEq(_total(asset), _balance(asset, address(registry)), "balance == accounted stake");

        vm.warp(block.timestamp + wait);
        uint256 paid;
        if (wait < delay) {
            _expectUnbonding(readyAt);
            vm.prank(P);
            registry.withdraw(asset);
        } else {
            paid = _withdraw(asset);
            assertEq(paid, request, "paid the request");
        }
        s = registry.stakeOf(P, asset);
        assertEq(s.unbonding, request - paid, "unbonding left");
        assertEq(s.unbondingReadyAt, paid == 0 ? readyAt : 0, "ready at left");
        assertEq(registry.pendingWithdrawals(P, asset).length, paid == 0 ? 1 : 0, "pending left");
        assertEq(s.free, deposit - request, "free untouched by withdrawal");
        assertEq(_balance(asset, address(registry)), uint256(deposit) - paid, "registry balance");
        assertEq(_total(asset), _balance(asset, address(registry)), "balance == accounted stake");

        if (paid != 0) {
            vm.expectRevert(IProviderRegistry.ProviderRegistryNothingToWithdraw.selector);
            vm.prank(P);
            registry.withdraw(asset);
        }
    }

    // ----- per-request unbonding -----

    /// @dev Any sequence of requests under any delays (the delay changes between requests, so a later
    ///      request can mature first) and any gaps: a new request never moves an earlier one's clock,
    ///      each request is paid exactly from its own readyAt on (not a second earlier), every matured
    ///      request is paid whatever its position, and the pending list, `unbonding` and
    ///      `unbondingReadyAt` always describe the unpaid requests.
    function testFuzz_withdraw_eachRequestMaturesAtItsOwnReadyAt(
        uint64[MAX_REQUESTS] memory delays,
        uint32[MAX_REQUESTS] memory gaps,
        uint96[MAX_REQUESTS] memory amounts,
        uint256 count,
        bool tokenAsset
    ) public {
        address asset = tokenAsset ? address(token) : address(0);
        uint256 n = bound(count, 1, MAX_REQUESTS);
        uint64[] memory readyAt = new uint64[](n);
        uint256[] memory amount = new uint256[](n);
        bool[] memory paid = new bool[](n);
        uint256 deposited;
        for (uint256 i = 0; i < n; i++) {
            amount[i] = bound(amounts[i], 1, 1e24);
            deposited += amount[i];
        }
        _deposit(P, asset, deposited);

        // The time is tracked here: with viaIR, `block.timestamp` read after `vm.warp` in the same
        // test function can be the value the optimizer read first.
        uint64 now_ = uint64(START_TIME);
        for (uint256 i = 0; i < n; i++) {
            uint64 delay = uint64(bound(delays[i], 0, registry.MAX_UNBONDING_DELAY()));
            registry.setUnbondingDelay(delay);
            readyAt[i] = now_ + delay;
            assertEq(_request(asset, amount[i]), i, "sequential request id");
            // The earlier requests keep their own readyAt.
            _assertPending(asset, readyAt, amount, paid, i + 1);
            now_ += uint64(bound(gaps[i], 0, 30 days));
            vm.warp(now_);
        }
        assertEq(registry.stakeOf(P, asset).free, 0, "everything requested");

        while (true) {
            (bool any, uint64 next) = _earliestUnpaid(readyAt, paid, n);
            if (!any) break;
            if (next > now_) {
                // One second before the earliest readyAt nothing is payable.
                vm.warp(next - 1);
                _expectUnbonding(next);
                vm.prank(P);
                registry.withdraw(asset);
                now_ = next;
                vm.warp(now_);
            }
            uint256 expected;
            for (uint256 i = 0; i < n; i++) {
                if (!paid[i] && readyAt[i] <= now_) {
                    expected += amount[i];
                    paid[i] = true;
                }
            }
            assertEq(_withdraw(asset), expected, "pays exactly the matured requests");
            _assertPending(asset, readyAt, amount, paid, n);
            assertEq(_total(asset), _balance(asset, address(registry)), "balance == accounted stake");
        }
        assertEq(_balance(asset, address(registry)), 0, "everything paid");
        vm.expectRevert(IProviderRegistry.ProviderRegistryNothingToWithdraw.selector);
        vm.prank(P);
        registry.withdraw(asset);
    }

    /// @dev The pending list is the unpaid requests among the first `made`, in request order, and the
    ///      stake's totals agree with it.
    function _assertPending(
        address asset,
        uint64[] memory readyAt,
        uint256[] memory amount,
        bool[] memory paid,
        uint256 made
    ) internal view {
        IProviderRegistry.UnbondingRequest[] memory pending = registry.pendingWithdrawals(P, asset);
        uint256 k;
        uint256 unbonding;
        uint64 earliest = type(uint64).max;
        for (uint256 i = 0; i < made; i++) {
            if (paid[i]) continue;
            assertTrue(k < pending.length, "a pending request is missing");
            assertEq(pending[k].id, i, "pending id, in request order");
            assertEq(pending[k].readyAt, readyAt[i], "pending ready at");
            assertEq(pending[k].amount, amount[i], "pending amount");
            unbonding += amount[i];
            if (readyAt[i] < earliest) earliest = readyAt[i];
            k++;
        }
        assertEq(pending.length, k, "no extra pending request");
        IProviderRegistry.Stake memory s = registry.stakeOf(P, asset);
        assertEq(s.unbonding, unbonding, "unbonding == sum of pending");
        assertEq(s.unbondingReadyAt, k == 0 ? 0 : earliest, "unbondingReadyAt == earliest pending");
    }

    function _earliestUnpaid(uint64[] memory readyAt, bool[] memory paid, uint256 n)
        internal
        pure
        returns (bool any, uint64 earliest)
    {
        earliest = type(uint64).max;
        for (uint256 i = 0; i < n; i++) {
            if (!paid[i] && readyAt[i] <= earliest) {
                any = true;
                earliest = readyAt[i];
            }
        }
    }

    /// @dev A shorter delay set after a request lets a later request mature first: it is paid on its
    ///      own, the earlier one stays pending with its clock, and the list keeps request order.
    function test_withdraw_paysALaterRequestThatMaturesFirst() public {
        _deposit(P, address(0), 100);
        uint64 t0 = uint64(block.timestamp);
        registry.setUnbondingDelay(10 days);
        _request(address(0), 1); // id 0, ready at t0 + 10 days
        registry.setUnbondingDelay(1 days);
        _request(address(0), 2); // id 1, ready at t0 + 1 day
        registry.setUnbondingDelay(5 days);
        _request(address(0), 4); // id 2, ready at t0 + 5 days
        assertEq(registry.stakeOf(P, address(0)).unbondingReadyAt, t0 + 1 days, "earliest");

        vm.warp(t0 + 1 days - 1);
        _expectUnbonding(t0 + 1 days);
        vm.prank(P);
        registry.withdraw(address(0));
        vm.warp(t0 + 1 days);
        assertEq(_withdraw(address(0)), 2, "only the request ready at +1 day");
        IProviderRegistry.UnbondingRequest[] memory pending = registry.pendingWithdrawals(P, address(0));
        assertEq(pending.length, 2, "two left");
        assertEq(pending[0].id, 0, "first left: id 0");
        assertEq(pending[1].id, 2, "second left: id 2");
        IProviderRegistry.Stake memory s = registry.stakeOf(P, address(0));
        assertEq(s.unbonding, 5, "unbonding");
        assertEq(s.unbondingReadyAt, t0 + 5 days, "next ready at");

        vm.warp(t0 + 5 days);
        assertEq(_withdraw(address(0)), 4, "the request ready at +5 days");
        // A new request under a 1-day delay matures before the 10-day one and is paid with it.
        registry.setUnbondingDelay(1 days);
        assertEq(_request(address(0), 8), 3, "ids keep counting");
        assertEq(registry.stakeOf(P, address(0)).unbondingReadyAt, t0 + 6 days, "new earliest");
        vm.warp(t0 + 10 days);
        assertEq(_withdraw(address(0)), 1 + 8, "both matured requests");
        s = registry.stakeOf(P, address(0));
        assertEq(s.unbonding, 0, "nothing unbonding");
        assertEq(s.unbondingReadyAt, 0, "no ready at");
        assertEq(s.free, 100 - 15, "free");
    }

    /// @dev A provider can have at most MAX_PENDING_WITHDRAWALS requests pending per asset, so a
    ///      withdrawal touches a bounded number of slots however many dust requests it made; once
    ///      paid, it can request again. The cap is per asset.
    function test_requestWithdrawal_capsPendingRequestsAndBoundsWithdraw() public {
        uint256 max = registry.MAX_PENDING_WITHDRAWALS();
        assertEq(max, 32, "cap");
        _deposit(P, address(0), 1000);
        _deposit(P, address(token), 1);
        for (uint256 i = 0; i < max; i++) {
            assertEq(_request(address(0), 1), i, "id");
        }
        vm.expectRevert(
            abi.encodeWithSelector(IProviderRegistry.ProviderRegistryTooManyPendingWithdrawals.selector, max)
        );
        vm.prank(P);
        registry.requestWithdrawal(address(0), 1);
        // The other asset has its own list.
        assertEq(_request(address(token), 1), 0, "token request id");

        vm.warp(block.timestamp + UNBONDING_DELAY);
        uint256 gasBefore = gasleft();
        uint256 paid = _withdraw(address(0));
        uint256 gasUsed = gasBefore - gasleft();
        assertEq(paid, max, "all requests paid");
        // The slots are warm in this one-transaction test; test/ts/ProviderRegistry.test.ts measures
        // the same withdrawal as a real transaction (about 178k gas).
        assertLe(gasUsed, 400_000, "withdrawing the most requests a provider can have stays cheap");
        assertEq(registry.pendingWithdrawals(P, address(0)).length, 0, "none pending");
        assertEq(_request(address(0), 1), max, "requests again, ids keep counting");
    }

    function test_withdraw_revertsWhenNothingIsPending() public {
        _deposit(P, address(0), 1);
        vm.expectRevert(IProviderRegistry.ProviderRegistryNothingToWithdraw.selector);
        vm.prank(P);
        registry.withdraw(address(0));
    }

    // ----- deposits and market-only actions -----

    function testFuzz_depositEth_rejectsZeroAndOversized(uint256 amount, bool registered) public {
        address who = registered ? P : address(0x9999);
        vm.deal(who, type(uint256).max);
        if (!registered) {
            vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryNotRegistered.selector, who));
        } else if (amount == 0) {
            vm.expectRevert(IProviderRegistry.ProviderRegistryZeroAmount.selector);
        } else if (amount > type(uint128).max) {
            vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryAmountTooLarge.selector, amount));
        }
        vm.prank(who);
        registry.depositEth{value: amount}();
        bool ok = registered && amount != 0 && amount <= type(uint128).max;
        assertEq(registry.stakeOf(who, address(0)).free, ok ? amount : 0, "credited");
        assertEq(address(registry).balance, ok ? amount : 0, "held");
    }

    /// @dev Only the market can lock, unlock or slash, whatever the caller.
    function testFuzz_lockUnlockSlash_marketOnly(address caller, uint256 amount) public {
        vm.assume(caller != MARKET);
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryNotMarket.selector, caller));
        vm.prank(caller);
        registry.lockCollateral(P, address(0), amount);
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryNotMarket.selector, caller));
        vm.prank(caller);
        registry.unlockCollateral(P, address(0), amount);
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryNotMarket.selector, caller));
        vm.prank(caller);
        registry.slash(P, address(0), amount, 7_000);
    }

    /// @dev Locked collateral cannot enter unbonding.
    function testFuzz_requestWithdrawal_lockedStakeIsNotWithdrawable(uint96 deposit, uint96 locked, uint96 request)
        public
    {
        deposit = uint96(bound(deposit, 2, 1e24));
        locked = uint96(bound(locked, 1, deposit));
        _deposit(P, address(0), deposit);
        vm.prank(MARKET);
        registry.lockCollateral(P, address(0), locked);
        uint256 free = deposit - locked;
        request = uint96(bound(request, free + 1, deposit));
        vm.expectRevert(
            abi.encodeWithSelector(IProviderRegistry.ProviderRegistryInsufficientStake.selector, free, request)
        );
        vm.prank(P);
        registry.requestWithdrawal(address(0), request);
    }

    // ----- slash -----

    /// @dev The buyer's part of a slash is the job's share of the amount rounded up: never zero for a
    ///      non-zero share of a non-zero amount, never more than the amount; the rest accrues to the
    ///      treasury and the registry's balance still equals the stake it accounts for.
    function testFuzz_slash_buyerShareIsRoundedUpAndNeverZero(
        uint128 amount,
        uint16 buyerShareBps,
        uint128 extra,
        bool tokenAsset
    ) public {
        address asset = tokenAsset ? address(token) : address(0);
        amount = uint128(bound(amount, 1, 1e30));
        extra = uint128(bound(extra, 0, 1e30));
        buyerShareBps = uint16(bound(buyerShareBps, 0, 10_000));
        _deposit(P, asset, uint256(amount) + extra);
        vm.prank(MARKET);
        registry.lockCollateral(P, asset, amount);

        uint256 marketBefore = _balance(asset, MARKET);
        vm.prank(MARKET);
        uint256 toBuyer = registry.slash(P, asset, amount, buyerShareBps);
        assertEq(toBuyer, _ceilBps(amount, buyerShareBps), "buyer's part is the ceiling");
        if (buyerShareBps != 0) assertTrue(toBuyer != 0, "a non-zero share of a non-zero amount is never zero");
        else assertEq(toBuyer, 0, "0% gives nothing");
        assertLe(toBuyer, amount, "never more than the amount");
        assertEq(_balance(asset, MARKET) - marketBefore, toBuyer, "buyer's part sent to the market");
        assertEq(registry.treasuryAccrued(asset), amount - toBuyer, "the rest accrues to the treasury");
        IProviderRegistry.Stake memory s = registry.stakeOf(P, asset);
        assertEq(s.locked, 0, "locked collateral consumed");
        assertEq(s.free, extra, "free stake untouched");
        assertEq(_total(asset), _balance(asset, address(registry)), "balance == accounted stake");
    }

    function testFuzz_slash_rejectsAShareAbove100Percent(uint16 buyerShareBps) public {
        buyerShareBps = uint16(bound(buyerShareBps, 10_001, type(uint16).max));
        _deposit(P, address(0), 1);
        vm.prank(MARKET);
        registry.lockCollateral(P, address(0), 1);
        vm.expectRevert(
            abi.encodeWithSelector(IProviderRegistry.ProviderRegistryInvalidBps.selector, uint256(buyerShareBps))
        );
        vm.prank(MARKET);
        registry.slash(P, address(0), 1, buyerShareBps);
    }

    // ----- governance -----

    function test_renounceOwnership_isDisabled() public {
        vm.expectRevert(IGoverned.GovernedRenounceDisabled.selector);
        registry.renounceOwnership();
        assertEq(registry.owner(), address(this), "still owned");
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, P));
        vm.prank(P);
        registry.renounceOwnership();
    }
}
