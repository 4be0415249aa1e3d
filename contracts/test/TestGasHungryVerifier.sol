// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IAttestationVerifier} from "../interfaces/IAttestationVerifier.sol";
import {ITrainingVerifier} from "../interfaces/ITrainingVerifier.sol";
import {TeeType} from "../types/TeeType.sol";

/// @notice Test double of a verifier that needs a lot of gas, to show that a submission given too
///         little gas reverts (`JobMarketVerifierOutOfGas`) instead of failing the job. Both checks
///         first burn `gasToBurn` gas (a loop that runs out of gas, leaving no revert data, when the
///         call was given less); the proof or evidence bytes "revert-empty" revert without data at
///         once, with plenty of gas left. Training: accepts the proof bytes "valid" for a non-zero
///         model commitment. Attestation: returns `measurement`. Never deployed by a deployment module.
contract TestGasHungryVerifier is ITrainingVerifier, IAttestationVerifier {
    /// @notice Gas each check burns before answering.
    uint256 public immutable gasToBurn;
    /// @notice What `verifyEvidence` returns.
    bytes32 public immutable measurement;

    constructor(uint256 gasToBurn_, bytes32 measurement_) {
        gasToBurn = gasToBurn_;
        measurement = measurement_;
    }

    function verifyTraining(TrainingClaim calldata claim, bytes calldata proof) external view returns (bool) {
        _revertEmptyIf(proof);
        _burn();
        return claim.modelCommitment != bytes32(0) && keccak256(proof) == keccak256("valid");
    }

    function verifyEvidence(TeeType, bytes calldata evidence, bytes32) external view returns (bytes32) {
        _revertEmptyIf(evidence);
        _burn();
        return measurement;
    }

    function _revertEmptyIf(bytes calldata data) private pure {
        if (keccak256(data) == keccak256("revert-empty")) {
            assembly ("memory-safe") {
                revert(0, 0)
            }
        }
    }

    function _burn() private view {
        uint256 start = gasleft();
        uint256 x;
        while (start - gasleft() < gasToBurn) {
            x = uint256(keccak256(abi.encode(x)));
        }
    }
}
