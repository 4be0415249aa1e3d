// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {IGoverned} from "../interfaces/IGoverned.sol";

/// @title Governed
/// @notice OpenZeppelin's two-step ownership without `renounceOwnership`: an owner-less registry
///         could never revoke a compromised measurement or key again. In production the owner is a
///         `TimelockController`, so every governance action waits out its delay.
abstract contract Governed is IGoverned, Ownable2Step {
    /// @notice Always reverts: ownership can be transferred (two steps) but not renounced.
    function renounceOwnership() public view override onlyOwner {
        revert GovernedRenounceDisabled();
    }
}
