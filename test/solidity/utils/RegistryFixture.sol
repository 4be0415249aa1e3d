// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IProviderRegistry} from "../../../contracts/interfaces/IProviderRegistry.sol";
import {ProviderRegistry} from "../../../contracts/ProviderRegistry.sol";
import {TestPermitToken} from "../../../contracts/test/TestPermitToken.sol";
import {TeeType} from "../../../contracts/types/TeeType.sol";

import {Assertions} from "./Assertions.sol";
import {vm} from "./Vm.sol";

/// @notice Deploys a ProviderRegistry on its own (this contract is its owner) with a plain address as
///         its market, so lock, unlock and slash can be driven directly without the JobMarket.
abstract contract RegistryFixture is Assertions {
    /// @dev ignition/modules/core.ts default.
    uint64 internal constant UNBONDING_DELAY = 7 days;
    address internal constant TREASURY = address(0x7EA5);
    /// @dev An account without code standing in for the market (receives the buyer's share of a slash).
    address internal constant MARKET = address(0x3A4E7);
    /// @dev A realistic start time so "now - x" never underflows.
    uint256 internal constant START_TIME = 1_750_000_000;
    uint8 internal constant TEE_SIMULATED = uint8(1) << uint8(TeeType.Simulated);

    ProviderRegistry internal registry;
    TestPermitToken internal token;

    function _deployRegistry() internal {
        token = new TestPermitToken();
        registry = new ProviderRegistry(address(this), address(token), TREASURY, UNBONDING_DELAY);
        registry.setMarket(MARKET);
    }

    function _register(address provider) internal {
        vm.prank(provider);
        registry.register(
            IProviderRegistry.Profile({
                teeTypes: TEE_SIMULATED,
                hardwareClass: 1,
                metadataHash: keccak256(abi.encode("meta", provider)),
                endpointHash: keccak256(abi.encode("endpoint", provider))
            })
        );
    }

    function _deposit(address provider, address asset, uint256 amount) internal {
        if (asset == address(0)) {
            vm.deal(provider, provider.balance + amount);
            vm.prank(provider);
            registry.depositEth{value: amount}();
        } else {
            token.mint(provider, amount);
            vm.prank(provider);
            token.approve(address(registry), amount);
            vm.prank(provider);
            registry.depositToken(amount);
        }
    }

    function _balance(address asset, address who) internal view returns (uint256) {
        return asset == address(0) ? who.balance : token.balanceOf(who);
    }

    /// @dev `amount * bps / 10_000` rounded up, written independently of contracts/libraries/Shares.sol.
    function _ceilBps(uint256 amount, uint256 bps) internal pure returns (uint256) {
        uint256 product = amount * bps;
        return product / 10_000 + (product % 10_000 == 0 ? 0 : 1);
    }
}
