// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice Test-only malicious ETH receiver and provider: forwards any call it is told to make
///         and, when ETH arrives, re-enters a target with prepared calldata, recording the outcome.
///         Never deployed by a module.
contract ReentrantReceiver {
    address public target;
    bytes public payload;
    bool public attempted;
    bool public reentered;
    bytes public reentryError;
    bool public rejectEther;

    /// @notice Arms the receiver: the next ETH arrival calls `target_` with `payload_`.
    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
        attempted = false;
    }

    /// @notice Makes this contract refuse ETH outright.
    function setRejectEther(bool reject) external {
        rejectEther = reject;
    }

    /// @notice Calls `to` with `data` and `msg.value`, bubbling up a revert.
    function execute(address to, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = to.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    receive() external payable {
        require(!rejectEther, "ReentrantReceiver: rejecting ether");
        if (target != address(0) && !attempted) {
            attempted = true;
            (bool ok, bytes memory err) = target.call(payload);
            reentered = ok;
            reentryError = err;
        }
    }
}
