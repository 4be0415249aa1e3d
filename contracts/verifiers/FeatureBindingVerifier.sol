// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IJobMarket} from "../interfaces/IJobMarket.sol";
import {ITrainingVerifier} from "../interfaces/ITrainingVerifier.sol";

/// @title FeatureBindingVerifier
/// @notice The training verifier of jobs whose buyer committed to its raw rows only (docs/RAW_DATA.md).
///         The attested enclave featurizes the rows with the base model and signs which feature rows
///         it derived from which raw commitments; the head verifier (Groth16) then checks the proven
///         head training on those feature rows. Settlement needs both: the enclave's binding, signed
///         by the job's attested `enclaveSigner`, and the proof over the feature commitments.
/// @dev Trust split: the TEE covers featurization (and the LoRA adapter, committed in the binding);
///      the proof covers the head. Proof bytes: `abi.encode(FeatureBinding binding, bytes signature,
///      bytes headProof)`. The signature is EIP-712 over {FEATURE_BINDING_TYPEHASH} in the domain
///      `("BlindTraining FeatureBinding", "1", chainId)` without a verifying contract: the struct
///      names the market and the job, so the statement is about one job of one market on one chain,
///      whichever deployment of this contract checks it. The job's terms carry the raw commitments
///      (`datasetCommitment`, `evalCommitment`); the head verifier sees the feature commitments in
///      their place, so its public input binds the feature rows, the job, the provider and C_K.
contract FeatureBindingVerifier is ITrainingVerifier {
    /// @notice What the attested enclave states about the job's data.
    /// @param featureTrainCommitment R_train: Merkle root of the training feature rows it computed.
    /// @param featureEvalCommitment R_eval: Merkle root of the eval feature rows.
    /// @param baseModelHash SHA-256 of the base model file it featurized with (the spec names it).
    /// @param featureBackend `keccak256` of the name of the backend that computed the features.
    /// @param loraCommitment SHA-256 of the LoRA adapter it trained, or zero when the job has none.
    struct FeatureBinding {
        bytes32 featureTrainCommitment;
        bytes32 featureEvalCommitment;
        bytes32 baseModelHash;
        bytes32 featureBackend;
        bytes32 loraCommitment;
    }

    /// @notice EIP-712 type of the enclave's binding statement.
    bytes32 public constant FEATURE_BINDING_TYPEHASH = keccak256(
        "FeatureBinding(address market,uint256 jobId,bytes32 rawTrainCommitment,bytes32 rawEvalCommitment,"
        "bytes32 featureTrainCommitment,bytes32 featureEvalCommitment,bytes32 baseModelHash,"
        "bytes32 featureBackend,bytes32 loraCommitment)"
    );

    bytes32 private constant DOMAIN_TYPEHASH = keccak256("EIP712Domain(string name,string version,uint256 chainId)");
    bytes32 private constant NAME_HASH = keccak256("BlindTraining FeatureBinding");
    bytes32 private constant VERSION_HASH = keccak256("1");

    /// @notice Verifies the proven head training on the feature rows (e.g. Groth16TrainingVerifier).
    ITrainingVerifier public immutable headVerifier;

    /// @notice The head verifier is the zero address.
    error FeatureBindingZeroHeadVerifier();
    /// @notice The job has no attested enclave signer (nothing can have featurized its data).
    error FeatureBindingNoEnclaveSigner(uint256 jobId);
    /// @notice The binding is not signed by the job's attested enclave.
    error FeatureBindingSignatureInvalid(address recovered, address enclaveSigner);
    /// @notice A feature commitment or the base model hash is zero.
    error FeatureBindingEmptyField(string field);

    /// @param headVerifier_ The verifier of the proven head training.
    constructor(ITrainingVerifier headVerifier_) {
        if (address(headVerifier_) == address(0)) revert FeatureBindingZeroHeadVerifier();
        headVerifier = headVerifier_;
    }

    /// @inheritdoc ITrainingVerifier
    /// @dev Reverts naming the first problem (so the market's `EvidenceRejected` says why); otherwise
    ///      returns the head verifier's verdict on the claim with the feature commitments. The signer
    ///      is read from `claim.market`, the market that builds the claim and calls this verifier.
    function verifyTraining(TrainingClaim calldata claim, bytes calldata proof) external view returns (bool) {
        (FeatureBinding memory binding, bytes memory signature, bytes memory headProof) =
            abi.decode(proof, (FeatureBinding, bytes, bytes));
        if (binding.featureTrainCommitment == bytes32(0)) revert FeatureBindingEmptyField("featureTrainCommitment");
        if (binding.featureEvalCommitment == bytes32(0)) revert FeatureBindingEmptyField("featureEvalCommitment");
        if (binding.baseModelHash == bytes32(0)) revert FeatureBindingEmptyField("baseModelHash");

        address enclaveSigner = IJobMarket(claim.market).getJob(claim.jobId).enclaveSigner;
        if (enclaveSigner == address(0)) revert FeatureBindingNoEnclaveSigner(claim.jobId);
        bytes32 digest = bindingDigest(claim.market, claim.jobId, claim.datasetCommitment, claim.evalCommitment, binding);
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError || recovered != enclaveSigner) {
            revert FeatureBindingSignatureInvalid(recovered, enclaveSigner);
        }

        TrainingClaim memory headClaim = claim;
        headClaim.datasetCommitment = binding.featureTrainCommitment;
        headClaim.evalCommitment = binding.featureEvalCommitment;
        return headVerifier.verifyTraining(headClaim, headProof);
    }

    /// @notice The EIP-712 digest the enclave signs for `binding` of job `jobId` on `market`.
    /// @param market The job's market.
    /// @param jobId The job.
    /// @param rawTrainCommitment The job's `datasetCommitment` (raw training rows).
    /// @param rawEvalCommitment The job's `evalCommitment` (raw eval rows).
    /// @param binding What the enclave derived from them.
    /// @return The digest.
    function bindingDigest(
        address market,
        uint256 jobId,
        bytes32 rawTrainCommitment,
        bytes32 rawEvalCommitment,
        FeatureBinding memory binding
    ) public view returns (bytes32) {
        bytes32 domainSeparator = keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid));
        bytes32 structHash = keccak256(
            abi.encode(
                FEATURE_BINDING_TYPEHASH,
                market,
                jobId,
                rawTrainCommitment,
                rawEvalCommitment,
                binding.featureTrainCommitment,
                binding.featureEvalCommitment,
                binding.baseModelHash,
                binding.featureBackend,
                binding.loraCommitment
            )
        );
        return MessageHashUtils.toTypedDataHash(domainSeparator, structHash);
    }
}
