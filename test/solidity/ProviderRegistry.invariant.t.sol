// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IProviderRegistry} from "../../contracts/interfaces/IProviderRegistry.sol";
import {ProviderRegistry} from "../../contracts/ProviderRegistry.sol";
import {Assertions} from "./utils/Assertions.sol";
import {RegistryFixture} from "./utils/RegistryFixture.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Invariants of the ProviderRegistry alone under random sequences of deposits, withdrawal
///         requests under changing delays, withdrawals, market locks, unlocks and slashes, treasury
///         payouts and time jumps: the registry's balance equals the stake it accounts for, each
///         provider's pending requests are exactly the model's (each with its own readyAt, in request
///         order), and every call succeeds, reverts or pays exactly as the model says. The handler is
///         in this file so that a single-file run always has its artifact.
contract ProviderRegistryInvariantTest is Assertions {
    ProviderRegistryHandler internal handler;
    ProviderRegistry internal registry;

    /// @dev Selector list as forge-std's StdInvariant declares it.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    function setUp() public {
        vm.warp(1_750_000_000);
        handler = new ProviderRegistryHandler();
        registry = handler.registryUnderTest();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: handler.actions()});
    }

    /// @dev Every call's success or exact revert, and every payment, matched the model.
    function invariant_callsMatchModel() public view {
        if (handler.violations() != 0) revert(string.concat("model violation: ", handler.firstViolation()));
    }

    /// @dev Per asset, the registry's balance is the providers' free + locked + unbonding stake plus
    ///      the treasury's accrual, by the contract's own views and by the model.
    function invariant_balanceEqualsAccountedStake() public view {
        for (uint256 a = 0; a < 2; a++) {
            address asset = handler.assetAt(a);
            uint256 accounted = registry.treasuryAccrued(asset);
            for (uint256 p = 0; p < 2; p++) {
                IProviderRegistry.Stake memory s = registry.stakeOf(handler.providerAt(p), asset);
                accounted += uint256(s.free) + s.locked + s.unbonding;
            }
            uint256 balance = handler.balanceOf(asset, address(registry));
            assertEq(balance, accounted, "registry balance == free + locked + unbonding + treasury");
            assertEq(balance, handler.ghostOwed(asset), "registry balance == model");
        }
    }

    /// @dev Each provider's pending requests are the model's, in request order with increasing ids,
    ///      at most MAX_PENDING_WITHDRAWALS; `unbonding` is their sum and `unbondingReadyAt` the
    ///      earliest of their readyAt (0 when none).
    function invariant_pendingRequestsMatchModel() public view {
        for (uint256 p = 0; p < 2; p++) {
            for (uint256 a = 0; a < 2; a++) {
                address provider = handler.providerAt(p);
                address asset = handler.assetAt(a);
                IProviderRegistry.UnbondingRequest[] memory pending = registry.pendingWithdrawals(provider, asset);
                IProviderRegistry.UnbondingRequest[] memory ghost = handler.ghostPending(provider, asset);
                assertEq(pending.length, ghost.length, "pending count");
                assertLe(pending.length, registry.MAX_PENDING_WITHDRAWALS(), "at most the cap");
                uint256 sum;
                uint64 earliest = type(uint64).max;
                for (uint256 i = 0; i < pending.length; i++) {
                    assertEq(pending[i].id, ghost[i].id, "request id");
                    assertEq(pending[i].readyAt, ghost[i].readyAt, "request ready at");
                    assertEq(pending[i].amount, ghost[i].amount, "request amount");
                    if (i > 0) assertTrue(pending[i].id > pending[i - 1].id, "request order");
                    sum += pending[i].amount;
                    if (pending[i].readyAt < earliest) earliest = pending[i].readyAt;
                }
                IProviderRegistry.Stake memory s = registry.stakeOf(provider, asset);
                assertEq(s.unbonding, sum, "unbonding == sum of pending requests");
                assertEq(s.unbondingReadyAt, pending.length == 0 ? 0 : earliest, "unbondingReadyAt == earliest");
                assertEq(s.free, handler.ghostFree(provider, asset), "free == model");
                assertEq(s.locked, handler.ghostLocked(provider, asset), "locked == model");
            }
        }
    }
}

/// @notice Drives the registry with bounded random actions and keeps a model of what it must hold.
contract ProviderRegistryHandler is RegistryFixture {
    uint256 internal constant MAX_AMOUNT = 1e24;

    address[2] internal _providers = [address(0xA11CE), address(0xB0B)];

    mapping(address provider => mapping(address asset => uint256)) public ghostFree;
    mapping(address provider => mapping(address asset => uint256)) public ghostLocked;
    mapping(address provider => mapping(address asset => IProviderRegistry.UnbondingRequest[])) internal _pending;
    mapping(address provider => mapping(address asset => uint64)) internal _nextId;
    mapping(address asset => uint256) public ghostTreasury;

    uint256 public violations;
    string public firstViolation;

    constructor() {
        _deployRegistry();
        _register(_providers[0]);
        _register(_providers[1]);
    }

    // ----- views for the invariants -----

    function registryUnderTest() external view returns (ProviderRegistry) {
        return registry;
    }

    function providerAt(uint256 i) external view returns (address) {
        return _providers[i];
    }

    function assetAt(uint256 i) public view returns (address) {
        return i == 0 ? address(0) : address(token);
    }

    function balanceOf(address asset, address who) external view returns (uint256) {
        return _balance(asset, who);
    }

    function ghostPending(address provider, address asset)
        external
        view
        returns (IProviderRegistry.UnbondingRequest[] memory)
    {
        return _pending[provider][asset];
    }

    /// @notice What the registry owes in `asset` by the model.
    function ghostOwed(address asset) external view returns (uint256 owed) {
        owed = ghostTreasury[asset];
        for (uint256 p = 0; p < 2; p++) {
            address provider = _providers[p];
            owed += ghostFree[provider][asset] + ghostLocked[provider][asset];
            IProviderRegistry.UnbondingRequest[] storage pending = _pending[provider][asset];
            for (uint256 i = 0; i < pending.length; i++) {
                owed += pending[i].amount;
            }
        }
    }

    function actions() external pure returns (bytes4[] memory s) {
        s = new bytes4[](12);
        s[0] = this.deposit.selector;
        s[1] = this.requestWithdrawal.selector;
        s[2] = this.requestWithdrawal.selector;
        s[3] = this.requestWithdrawal.selector;
        s[4] = this.withdraw.selector;
        s[5] = this.withdraw.selector;
        s[6] = this.lock.selector;
        s[7] = this.unlock.selector;
        s[8] = this.slash.selector;
        s[9] = this.setUnbondingDelay.selector;
        s[10] = this.warp.selector;
        s[11] = this.withdrawTreasury.selector;
    }

    // ----- actions -----

    function deposit(uint256 providerSeed, bool tokenAsset, uint256 amount) external {
        (address provider, address asset) = _pick(providerSeed, tokenAsset);
        amount = bound(amount, 1, MAX_AMOUNT);
        _deposit(provider, asset, amount);
        ghostFree[provider][asset] += amount;
    }

    function requestWithdrawal(uint256 providerSeed, bool tokenAsset, uint256 amount) external {
        (address provider, address asset) = _pick(providerSeed, tokenAsset);
        uint256 free = ghostFree[provider][asset];
        amount = bound(amount, 0, free + 1);
        IProviderRegistry.UnbondingRequest[] storage pending = _pending[provider][asset];
        bytes memory expectedError;
        if (amount == 0) {
            expectedError = abi.encodeWithSelector(IProviderRegistry.ProviderRegistryZeroAmount.selector);
        } else if (amount > free) {
            expectedError =
                abi.encodeWithSelector(IProviderRegistry.ProviderRegistryInsufficientStake.selector, free, amount);
        } else if (pending.length >= registry.MAX_PENDING_WITHDRAWALS()) {
            expectedError = abi.encodeWithSelector(
                IProviderRegistry.ProviderRegistryTooManyPendingWithdrawals.selector, registry.MAX_PENDING_WITHDRAWALS()
            );
        }
        vm.prank(provider);
        (bool ok, bytes memory result) =
            address(registry).call(abi.encodeCall(registry.requestWithdrawal, (asset, amount)));
        if (!_outcome(ok, result, expectedError, "requestWithdrawal")) return;
        uint64 id = _nextId[provider][asset]++;
        if (abi.decode(result, (uint64)) != id) _violate("requestWithdrawal: request id");
        pending.push(
            IProviderRegistry.UnbondingRequest({
                id: id,
                readyAt: uint64(block.timestamp) + registry.unbondingDelay(),
                amount: uint128(amount)
            })
        );
        ghostFree[provider][asset] = free - amount;
    }

    function withdraw(uint256 providerSeed, bool tokenAsset) external {
        (address provider, address asset) = _pick(providerSeed, tokenAsset);
        IProviderRegistry.UnbondingRequest[] storage pending = _pending[provider][asset];
        uint256 matured;
        uint64 earliest = type(uint64).max;
        for (uint256 i = 0; i < pending.length; i++) {
            if (pending[i].readyAt <= block.timestamp) matured += pending[i].amount;
            if (pending[i].readyAt < earliest) earliest = pending[i].readyAt;
        }
        bytes memory expectedError;
        if (pending.length == 0) {
            expectedError = abi.encodeWithSelector(IProviderRegistry.ProviderRegistryNothingToWithdraw.selector);
        } else if (matured == 0) {
            expectedError = abi.encodeWithSelector(IProviderRegistry.ProviderRegistryUnbonding.selector, earliest);
        }
        uint256 before = _balance(asset, provider);
        vm.prank(provider);
        (bool ok, bytes memory result) = address(registry).call(abi.encodeCall(registry.withdraw, (asset)));
        if (!_outcome(ok, result, expectedError, "withdraw")) return;
        if (abi.decode(result, (uint256)) != matured) _violate("withdraw: returned amount");
        if (_balance(asset, provider) - before != matured) _violate("withdraw: paid amount");
        // Keep the unmatured requests in order.
        uint256 kept;
        for (uint256 i = 0; i < pending.length; i++) {
            if (pending[i].readyAt > block.timestamp) pending[kept++] = pending[i];
        }
        while (pending.length > kept) pending.pop();
    }

    function lock(uint256 providerSeed, bool tokenAsset, uint256 amount) external {
        (address provider, address asset) = _pick(providerSeed, tokenAsset);
        uint256 free = ghostFree[provider][asset];
        if (free == 0) return;
        amount = bound(amount, 1, free);
        vm.prank(MARKET);
        registry.lockCollateral(provider, asset, amount);
        ghostFree[provider][asset] = free - amount;
        ghostLocked[provider][asset] += amount;
    }

    function unlock(uint256 providerSeed, bool tokenAsset, uint256 amount) external {
        (address provider, address asset) = _pick(providerSeed, tokenAsset);
        uint256 locked = ghostLocked[provider][asset];
        if (locked == 0) return;
        amount = bound(amount, 1, locked);
        vm.prank(MARKET);
        registry.unlockCollateral(provider, asset, amount);
        ghostLocked[provider][asset] = locked - amount;
        ghostFree[provider][asset] += amount;
    }

    function slash(uint256 providerSeed, bool tokenAsset, uint256 amount, uint16 buyerShareBps) external {
        (address provider, address asset) = _pick(providerSeed, tokenAsset);
        uint256 locked = ghostLocked[provider][asset];
        if (locked == 0) return;
        amount = bound(amount, 1, locked);
        buyerShareBps = uint16(bound(buyerShareBps, 0, 10_000));
        uint256 expectedToBuyer = _ceilBps(amount, buyerShareBps);
        uint256 before = _balance(asset, MARKET);
        vm.prank(MARKET);
        uint256 toBuyer = registry.slash(provider, asset, amount, buyerShareBps);
        if (toBuyer != expectedToBuyer) _violate("slash: buyer's part");
        if (_balance(asset, MARKET) - before != expectedToBuyer) _violate("slash: paid to the market");
        ghostLocked[provider][asset] = locked - amount;
        ghostTreasury[asset] += amount - expectedToBuyer;
    }

    function setUnbondingDelay(uint64 delay) external {
        registry.setUnbondingDelay(uint64(bound(delay, 0, registry.MAX_UNBONDING_DELAY())));
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 0, 20 days));
    }

    function withdrawTreasury(bool tokenAsset) external {
        address asset = assetAt(tokenAsset ? 1 : 0);
        uint256 accrued = ghostTreasury[asset];
        bytes memory expectedError;
        if (accrued == 0) {
            expectedError = abi.encodeWithSelector(IProviderRegistry.ProviderRegistryNothingToWithdraw.selector);
        }
        uint256 before = _balance(asset, TREASURY);
        (bool ok, bytes memory result) = address(registry).call(abi.encodeCall(registry.withdrawTreasury, (asset)));
        if (!_outcome(ok, result, expectedError, "withdrawTreasury")) return;
        if (_balance(asset, TREASURY) - before != accrued) _violate("withdrawTreasury: paid amount");
        ghostTreasury[asset] = 0;
    }

    // ----- helpers -----

    function _pick(uint256 providerSeed, bool tokenAsset) internal view returns (address, address) {
        return (_providers[providerSeed % 2], assetAt(tokenAsset ? 1 : 0));
    }

    /// @dev Records a violation unless the call succeeded when no error was expected or reverted with
    ///      exactly the expected error; returns whether it succeeded.
    function _outcome(bool ok, bytes memory result, bytes memory expectedError, string memory what)
        internal
        returns (bool)
    {
        if (expectedError.length == 0) {
            if (!ok) _violate(string.concat(what, ": unexpected revert"));
        } else if (ok) {
            _violate(string.concat(what, ": expected a revert"));
        } else if (keccak256(result) != keccak256(expectedError)) {
            _violate(string.concat(what, ": wrong revert"));
        }
        return ok && expectedError.length == 0;
    }

    function _violate(string memory what) internal {
        if (violations == 0) firstViolation = what;
        violations++;
    }
}
