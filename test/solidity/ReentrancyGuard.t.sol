// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {RegistryFixture} from "./utils/RegistryFixture.sol";
import {vm} from "./utils/Vm.sol";

/// @notice The reentrancy guard seen from the inside: the provider is this contract, and the ETH its
///         withdrawal pays makes it call back into the registry before the first call has returned.
///         (test/ts/Reentrancy.test.ts covers every payout path of the market, the registry and the
///         coordinator with an attacker contract; this test is the one that asserts the guard's own
///         error with `vm.expectRevert`, which the error-coverage check counts.)
contract ReentrancyGuardTest is RegistryFixture {
    bool internal armed;
    uint256 internal reentries;

    function setUp() public {
        vm.warp(START_TIME);
        _deployRegistry();
        _register(address(this));
        registry.setUnbondingDelay(0);
    }

    receive() external payable {
        if (!armed) return;
        armed = false;
        reentries++;
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        registry.withdraw(address(0));
    }

    /// @dev The re-entered withdraw reverts with the guard's error; the outer one pays exactly once.
    function test_withdraw_reentryFromTheEtherTransferIsRefused() public {
        vm.deal(address(this), 1 ether);
        registry.depositEth{value: 1 ether}();
        registry.requestWithdrawal(address(0), 1 ether);
        armed = true;
        uint256 paid = registry.withdraw(address(0));
        assertEq(reentries, 1, "the payout called back once");
        assertEq(paid, 1 ether, "paid once");
        assertEq(address(this).balance, 1 ether, "nothing paid twice");
        assertEq(address(registry).balance, 0, "registry emptied exactly");
    }
}
