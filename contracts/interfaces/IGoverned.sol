// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IGoverned
/// @notice Governance that can be handed over (two steps) but never renounced: revocations of
///         measurements and keys must stay possible for as long as the contracts are used.
interface IGoverned {
    /// @notice Thrown by `renounceOwnership`, which is disabled.
    error GovernedRenounceDisabled();
}
