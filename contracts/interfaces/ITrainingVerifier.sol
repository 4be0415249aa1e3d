// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ITrainingVerifier
/// @notice Checks the proof that a delivered model is the result of the promised training.
/// @dev The market builds the claim from the job's stored terms, the caller (provider) and the
///      submitted model commitment, so a proof cannot be replayed on another job or by another
///      provider. A proof system (e.g. Groth16 over BN254) hashes these into its public input.
interface ITrainingVerifier {
    /// @notice Everything the training proof must be bound to.
    /// @param chainId Chain the market runs on.
    /// @param market The market contract.
    /// @param jobId The job.
    /// @param provider The provider that trained and submits the proof.
    /// @param specHash Hash of the job spec (base model, adapter config, hyper-parameters, steps, C0).
    /// @param datasetCommitment Commitment to the training rows.
    /// @param evalCommitment Commitment to the evaluation rows.
    /// @param qualityThreshold Threshold the evaluated metric must meet.
    /// @param modelCommitment Commitment to the delivered adapter weights (C_K).
    /// @param thresholdMet The outcome the provider claims: whether the delivered model's metric on
    ///        the eval rows reaches `qualityThreshold`. It is part of the proven statement (the
    ///        circuit outputs it instead of asserting it), so a proof for one outcome does not
    ///        verify for the other; the market pays the full price or the compute share by it.
    // The claim is built in memory and passed as calldata, never stored: slot packing saves nothing.
    // solhint-disable-next-line gas-struct-packing
    struct TrainingClaim {
        uint256 chainId;
        address market;
        uint256 jobId;
        address provider;
        bytes32 specHash;
        bytes32 datasetCommitment;
        bytes32 evalCommitment;
        uint256 qualityThreshold;
        bytes32 modelCommitment;
        bool thresholdMet;
    }

    /// @notice Returns true when `proof` proves `claim`. May revert on malformed input.
    /// @param claim The statement to check.
    /// @param proof Verifier-specific proof bytes.
    /// @return valid Whether the proof is valid for the claim.
    function verifyTraining(TrainingClaim calldata claim, bytes calldata proof) external view returns (bool valid);
}
