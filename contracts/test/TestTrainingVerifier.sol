// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ITrainingVerifier} from "../interfaces/ITrainingVerifier.sol";

/// @notice Test double of {ITrainingVerifier}: accepts exactly the proof bytes "valid" for any claim
///         whose model commitment is non-zero, reverts on the proof bytes "revert", rejects the rest.
///         It checks nothing cryptographic. Never deployed by a deployment module.
contract TestTrainingVerifier is ITrainingVerifier {
    error TestTrainingVerifierReverted();


    function verifyTraining(TrainingClaim calldata claim, bytes calldata proof) external pure returns (bool) {
        if (keccak256(proof) == keccak256("revert")) revert TestTrainingVerifierReverted();
        return claim.modelCommitment != bytes32(0) && keccak256(proof) == keccak256("valid");
    }

    /// @notice Hash of a claim as the tests expect the market to build it.
    function hashClaim(TrainingClaim calldata claim) external pure returns (bytes32) {
        return keccak256(abi.encode(claim));
    }
}
