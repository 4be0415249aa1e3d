// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

/// @title AssetTransfers
/// @notice Moves native ETH (`asset == address(0)`) or an ERC-20 in and out of a contract.
library AssetTransfers {
    using SafeERC20 for IERC20;

    /// @notice Sends `amount` of `asset` to `to`.
    function send(address asset, address to, uint256 amount) internal {
        if (asset == address(0)) {
            Address.sendValue(payable(to), amount);
        } else {
            IERC20(asset).safeTransfer(to, amount);
        }
    }

    /// @notice Sends `amount` of `asset` to `to`, returning false instead of reverting when the
    ///         transfer fails (a recipient that rejects ETH, a token that refuses the transfer).
    /// @dev ETH is sent with all remaining gas and without copying return data, so a recipient can
    ///      neither make the caller revert nor bloat its memory. Callers credit the amount instead.
    function trySend(address asset, address to, uint256 amount) internal returns (bool ok) {
        if (asset == address(0)) {
            assembly ("memory-safe") {
                ok := call(gas(), to, amount, 0, 0, 0, 0)
            }
        } else {
            ok = SafeERC20.trySafeTransfer(IERC20(asset), to, amount);
        }
    }

    /// @notice Pulls `amount` of `token` from `from` and returns how much actually arrived.
    /// @dev Callers compare the result with `amount` to refuse fee-on-transfer tokens.
    function pull(address token, address from, uint256 amount) internal returns (uint256 received) {
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(from, address(this), amount);
        received = IERC20(token).balanceOf(address(this)) - before;
    }

    /// @notice Applies an EIP-2612 permit, tolerating a failure when the allowance already suffices
    ///         (someone may have front-run the same permit).
    function permitOrAllowance(
        address token,
        address owner,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) internal {
        try IERC20Permit(token).permit(owner, address(this), amount, deadline, v, r, s) {}
        catch {
            // Falls through to transferFrom, which reverts with the token's own error if the
            // allowance is short; a front-run permit leaves the allowance in place.
        }
    }
}
