// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ITrainingVerifier} from "../interfaces/ITrainingVerifier.sol";

/// @notice Test double of a head verifier behind {FeatureBindingVerifier}: accepts the proof bytes
///         "valid" only for a claim whose data commitments are the feature commitments given at
///         deployment, so a test sees which commitments the wrapper passed on. Checks nothing
///         cryptographic. Never deployed by a deployment module.
contract TestFeatureClaimVerifier is ITrainingVerifier {
    bytes32 public immutable expectedTrain;
    bytes32 public immutable expectedEval;

    constructor(bytes32 expectedTrain_, bytes32 expectedEval_) {
        expectedTrain = expectedTrain_;
        expectedEval = expectedEval_;
    }

    function verifyTraining(TrainingClaim calldata claim, bytes calldata proof) external view returns (bool) {
        return claim.datasetCommitment == expectedTrain && claim.evalCommitment == expectedEval
            && keccak256(proof) == keccak256("valid");
    }
}
