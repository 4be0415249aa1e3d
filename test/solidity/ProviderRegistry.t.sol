// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IProviderRegistry} from "../../contracts/interfaces/IProviderRegistry.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Fuzz tests of stake accounting: deposits, unbonding requests and withdrawals under
///         fuzzed amounts, delays and times, in ETH and in the stake token.
contract ProviderRegistryTest is MarketFixture {
    address internal constant P = address(0x1001);

    function setUp() public {
        vm.warp(START_TIME);
        _deployMarket();
        _register(P, TEE_SIMULATED);
    }

    function _deposit(address asset, uint256 amount) internal {
        if (asset == address(0)) _depositEth(P, amount);
        else _depositToken(P, amount);
    }

    function _balance(address asset, address who) internal view returns (uint256) {
        return asset == address(0) ? who.balance : token.balanceOf(who);
    }

    function _total(address asset) internal view returns (uint256) {
        IProviderRegistry.Stake memory s = registry.stakeOf(P, asset);
        return uint256(s.free) + s.locked + s.unbonding + registry.treasuryAccrued(asset);
    }

    /// @dev deposit → request → wait → withdraw moves exactly the requested amount, only once the
    ///      (fuzzed) unbonding delay has fully elapsed, and the registry's balance always equals the
    ///      stake it accounts for.
    function testFuzz_registry_depositRequestWithdraw(
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

        _deposit(asset, deposit);
        assertEq(registry.stakeOf(P, asset).free, deposit, "free after deposit");
        assertEq(_balance(asset, address(registry)), deposit, "registry holds deposit");

        vm.prank(P);
        registry.requestWithdrawal(asset, request);
        IProviderRegistry.Stake memory s = registry.stakeOf(P, asset);
        uint64 readyAt = uint64(block.timestamp) + delay;
        assertEq(s.free, deposit - request, "free after request");
        assertEq(s.unbonding, request, "unbonding after request");
        assertEq(s.unbondingReadyAt, readyAt, "ready at");
        assertEq(_total(asset), _balance(asset, address(registry)), "balance == accounted stake");

        vm.warp(block.timestamp + wait);
        uint256 before = _balance(asset, P);
        if (wait < delay) {
            vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryUnbonding.selector, readyAt));
        }
        vm.prank(P);
        registry.withdraw(asset);
        uint256 paid = wait < delay ? 0 : request;
        assertEq(_balance(asset, P) - before, paid, "paid out");
        s = registry.stakeOf(P, asset);
        assertEq(s.unbonding, request - paid, "unbonding left");
        assertEq(s.free, deposit - request, "free untouched by withdrawal");
        assertEq(_balance(asset, address(registry)), uint256(deposit) - paid, "registry balance");
        assertEq(_total(asset), _balance(asset, address(registry)), "balance == accounted stake");

        if (paid != 0) {
            vm.expectRevert(IProviderRegistry.ProviderRegistryNothingToWithdraw.selector);
            vm.prank(P);
            registry.withdraw(asset);
        }
    }

    /// @dev Several deposits and requests: the totals add up, and each request restarts the clock
    ///      for the whole unbonding amount.
    function testFuzz_registry_repeatedRequestsAccumulate(uint96[4] memory deposits, uint96[4] memory requests, uint32[4] memory gaps)
        public
    {
        uint256 deposited;
        uint256 requested;
        uint64 readyAt;
        for (uint256 i = 0; i < 4; i++) {
            uint256 d = bound(deposits[i], 1, 1e24);
            _depositEth(P, d);
            deposited += d;
            uint256 free = deposited - requested;
            uint256 r = bound(requests[i], 0, free + 1);
            if (r == 0) vm.expectRevert(IProviderRegistry.ProviderRegistryZeroAmount.selector);
            else if (r > free) {
                vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryInsufficientStake.selector, free, r));
            }
            vm.prank(P);
            registry.requestWithdrawal(address(0), r);
            if (r != 0 && r <= free) {
                requested += r;
                readyAt = uint64(block.timestamp) + UNBONDING_DELAY;
            }
            IProviderRegistry.Stake memory s = registry.stakeOf(P, address(0));
            assertEq(s.free, deposited - requested, "free");
            assertEq(s.unbonding, requested, "unbonding");
            assertEq(s.unbondingReadyAt, requested == 0 ? 0 : readyAt, "ready at");
            assertEq(address(registry).balance, deposited, "registry balance");
            vm.warp(block.timestamp + bound(gaps[i], 0, 10 days));
        }
        if (requested == 0) return;
        if (block.timestamp < readyAt) {
            vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryUnbonding.selector, readyAt));
            vm.prank(P);
            registry.withdraw(address(0));
            vm.warp(readyAt);
        }
        uint256 before = P.balance;
        vm.prank(P);
        registry.withdraw(address(0));
        assertEq(P.balance - before, requested, "withdrawn");
        assertEq(address(registry).balance, deposited - requested, "left in registry");
    }

    function testFuzz_registry_depositRejectsZeroAndOversized(uint256 amount, bool registered) public {
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
    function testFuzz_registry_marketOnly(address caller, uint256 amount) public {
        vm.assume(caller != address(market));
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
    function testFuzz_registry_lockedStakeIsNotWithdrawable(uint96 deposit, uint96 locked, uint96 request) public {
        deposit = uint96(bound(deposit, 2, 1e24));
        locked = uint96(bound(locked, 1, deposit));
        _depositEth(P, deposit);
        vm.prank(address(market));
        registry.lockCollateral(P, address(0), locked);
        uint256 free = deposit - locked;
        request = uint96(bound(request, free + 1, deposit));
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryInsufficientStake.selector, free, request));
        vm.prank(P);
        registry.requestWithdrawal(address(0), request);
    }
}
