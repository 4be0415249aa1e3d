// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {FailureReason, JobStatus} from "../types/JobStatus.sol";
import {TeeType} from "../types/TeeType.sol";
import {IMultiPartyCoordinator} from "./IMultiPartyCoordinator.sol";
import {ITrainingVerifier} from "./ITrainingVerifier.sol";

/// @title IJobMarket
/// @notice Anonymous confidential-training jobs with escrowed payment, matched by sealed-price
///         descending bids to staked providers, settled only on valid attestation and training
///         evidence, and unwound by timeouts with refunds and slashing.
/// @dev A job's immutable terms are stored as one hash; every call that needs them takes the terms
///      as calldata (they are emitted in full by {JobPosted}). Jobs record no buyer address: buyer
///      actions are EIP-712 signatures by the job's owner key, relayable by anyone, and refunds go
///      to the address whose commitment `keccak256(abi.encode(refundTo, salt))` the job carries.
interface IJobMarket {
    /// @notice The immutable terms of a job.
    /// @param specHash Hash of the job spec: base model id and hash, adapter config, hyper-parameters, steps.
    /// @param datasetCommitment Commitment to the training data.
    /// @param evalCommitment Commitment to the evaluation data.
    /// @param qualityThreshold The metric threshold the delivered model must meet (fixed-point, spec-defined).
    /// @param measurement Required enclave measurement, or zero for any allow-listed one of an accepted type.
    /// @param committeeHash Multi-party jobs: `keccak256(abi.encode(spec))` of the job's
    ///        {IMultiPartyCoordinator-MultiPartySpec} (data parties, committee and its keys, deadlines);
    ///        zero otherwise.
    /// @param asset Payment and collateral asset: `address(0)` for ETH or the registry's stake token.
    /// @param priceCeiling Escrowed amount and the highest acceptable bid.
    /// @param ownerKey Key that authorizes buyer actions (EIP-712); generated for this job.
    /// @param bidDeadline End of the bid window (bids accepted while `block.timestamp < bidDeadline`).
    /// @param attestDeadline Last second for the winner's attestation.
    /// @param deliveryDeadline Last second for the result; the owner key may extend it.
    /// @param teeTypes Bit set of accepted TEE types.
    /// @param parties Number of data parties (1 = single-party).
    /// @param threshold Multi-party: decryption threshold t; zero for single-party.
    /// @param committeeSize Multi-party: committee size n; zero for single-party.
    /// @param refundCommitment `keccak256(abi.encode(refundTo, salt))`.
    struct JobTerms {
        bytes32 specHash;
        bytes32 datasetCommitment;
        bytes32 evalCommitment;
        uint256 qualityThreshold;
        bytes32 measurement;
        bytes32 committeeHash;
        address asset;
        uint96 priceCeiling;
        address ownerKey;
        uint64 bidDeadline;
        uint64 attestDeadline;
        uint64 deliveryDeadline;
        uint8 teeTypes;
        uint8 parties;
        uint8 threshold;
        uint8 committeeSize;
        bytes32 refundCommitment;
    }

    /// @notice The mutable state of a job.
    /// @param termsHash `keccak256(abi.encode(terms))`.
    /// @param status Stored status (see {statusOf} for the effective one).
    /// @param deliveryDeadline Current delivery deadline.
    /// @param bidDeadline End of the bid window (copied from the terms so status is readable without them).
    /// @param refundClaimed Whether the buyer's refund has been paid out.
    /// @param provider Leading bidder while open; the winner afterwards.
    /// @param price Leading bid while open; the agreed price afterwards.
    /// @param collateral Collateral locked from the leading bidder / winner.
    /// @param enclaveSigner The attested enclave's signing address.
    /// @param compensation The buyer's share of slashed collateral, added to the refund.
    struct Job {
        bytes32 termsHash;
        JobStatus status;
        uint64 deliveryDeadline;
        bool refundClaimed;
        address provider;
        uint96 price;
        uint96 collateral;
        uint64 bidDeadline;
        address enclaveSigner;
        uint96 compensation;
    }

    // ----- errors: posting -----
    /// @notice Thrown when the price ceiling is zero.
    error JobMarketZeroPrice();
    /// @notice Thrown when the price ceiling is below the minimum for its asset.
    error JobMarketPriceBelowMinimum(uint256 price, uint256 minimum);
    /// @notice Thrown when a deadline is not after the current time.
    error JobMarketDeadlineInPast(uint64 deadline, uint256 nowTimestamp);
    /// @notice Thrown when deadlines are not strictly increasing (bid < attest < delivery).
    error JobMarketDeadlinesOutOfOrder(uint64 bidDeadline, uint64 attestDeadline, uint64 deliveryDeadline);
    /// @notice Thrown when a deadline is further than the maximum job duration.
    error JobMarketDeadlineTooFar(uint64 deadline, uint256 latest);
    /// @notice Thrown when the TEE type set is empty or names unknown types.
    error JobMarketUnknownTeeType(uint8 teeTypes);
    /// @notice Thrown when a required commitment is zero.
    error JobMarketEmptyCommitment(string field);
    /// @notice Thrown when the owner key is the zero address.
    error JobMarketZeroOwnerKey();
    /// @notice Thrown when the party count and committee do not form a valid configuration.
    error JobMarketInvalidParties(uint8 parties, uint8 threshold, uint8 committeeSize);
    /// @notice Thrown when the asset is neither ETH nor the registry's stake token.
    error JobMarketUnsupportedAsset(address asset);
    /// @notice Thrown when the ETH sent does not match what the call needs.
    error JobMarketWrongValue(uint256 sent, uint256 expected);
    /// @notice Thrown when the escrow's token balance did not grow by exactly the price ceiling
    ///         (fee-on-transfer and rebasing tokens are unsupported).
    error JobMarketTokenAmountMismatch(uint256 received, uint256 expected);

    // ----- errors: lifecycle -----
    /// @notice Thrown when a job id does not exist.
    error JobMarketUnknownJob(uint256 jobId);
    /// @notice Thrown when the terms passed do not hash to the job's stored terms hash.
    error JobMarketTermsMismatch(uint256 jobId, bytes32 expected, bytes32 actual);
    /// @notice Thrown when the job is not in the status the action needs.
    error JobMarketInvalidStatus(uint256 jobId, JobStatus status);
    /// @notice Thrown when bidding after the bid window closed.
    error JobMarketBiddingClosed(uint64 bidDeadline);
    /// @notice Thrown when closing the bid window before it has ended.
    error JobMarketBiddingStillOpen(uint64 bidDeadline);
    /// @notice Thrown when a bid exceeds the price ceiling.
    error JobMarketBidAboveCeiling(uint256 bid, uint256 ceiling);
    /// @notice Thrown when a bid does not undercut the leading bid.
    error JobMarketBidNotLower(uint256 bid, uint256 leading);
    /// @notice Thrown when the provider supports none of the job's TEE types.
    error JobMarketTeeMismatch(uint8 providerTeeTypes, uint8 jobTeeTypes);
    /// @notice Thrown when someone other than the job's provider acts for it.
    error JobMarketNotProvider(address caller, address provider);
    /// @notice Thrown when a deadline has passed.
    error JobMarketDeadlinePassed(uint64 deadline);
    /// @notice Thrown when enforcing a deadline that has not passed.
    error JobMarketDeadlineNotPassed(uint64 deadline);
    /// @notice Thrown when a model commitment or ciphertext hash is zero.
    error JobMarketEmptyResult();
    /// @notice Thrown when no training verifier is configured.
    error JobMarketTrainingVerifierNotSet();
    /// @notice Thrown when a refund preimage does not match the job's refund commitment.
    error JobMarketRefundCommitmentMismatch(uint256 jobId);
    /// @notice Thrown when a refund was already paid or nothing is refundable.
    error JobMarketNothingToRefund(uint256 jobId);
    /// @notice Thrown when the job was matched and can no longer be cancelled.
    error JobMarketAlreadyMatched(uint256 jobId, address provider);
    /// @notice Reported in {EvidenceRejected} when the evidence's TEE type is not one the job accepts.
    error JobMarketTeeNotAccepted(TeeType teeType, uint8 jobTeeTypes);
    /// @notice Reported in {EvidenceRejected} when the attested measurement is not the one the job requires.
    error JobMarketMeasurementMismatch(bytes32 measurement, bytes32 required);
    /// @notice Reported in {EvidenceRejected} when the training verifier returned false.
    error JobMarketProofInvalid();
    /// @notice Thrown when an enclave key is zero.
    error JobMarketEmptyEnclaveKey();
    /// @notice Thrown when an extension does not move the delivery deadline later or goes too far.
    error JobMarketInvalidExtension(uint64 current, uint64 requested, uint256 latest);
    /// @notice Thrown when a multi-party job's result comes before a quorum of the committee recorded
    ///         decryption shares of the aggregate (see {IMultiPartyCoordinator-quorumReached}).
    error JobMarketQuorumNotReached(uint256 jobId);
    /// @notice Thrown when posting a multi-party job while no multi-party coordinator is configured.
    error JobMarketMultiPartyCoordinatorNotSet();

    // ----- errors: owner-key signatures -----
    /// @notice Thrown when an owner-key signature's own deadline has passed.
    error JobMarketSignatureExpired(uint256 deadline);
    /// @notice Thrown when an owner-key signature was not made by the job's owner key.
    error JobMarketInvalidSignature(address recovered, address ownerKey);
    /// @notice Thrown when the signed nonce is not the owner key's next nonce.
    error JobMarketInvalidNonce(address ownerKey, uint256 signed, uint256 expected);

    // ----- errors: configuration -----
    /// @notice Thrown when ETH arrives from anywhere but the provider registry.
    error JobMarketUnexpectedEther(address sender);
    /// @notice Thrown when the collateral ratio is outside its allowed range.
    error JobMarketInvalidCollateralRatio(uint256 bps, uint256 max);
    /// @notice Thrown when a constructor address is zero.
    error JobMarketZeroAddress();

    /// @notice Emitted when a job is posted; carries all its terms.
    event JobPosted(uint256 indexed jobId, bytes32 indexed termsHash, JobTerms terms);
    /// @notice Emitted when a bid becomes the leading bid.
    event BidPlaced(uint256 indexed jobId, address indexed provider, uint256 price, uint256 collateral);
    /// @notice Emitted when the bid window closes with a winner.
    event JobMatched(uint256 indexed jobId, address indexed provider, uint256 price, uint256 collateral);
    /// @notice Emitted when the bid window closes without bids.
    event JobExpired(uint256 indexed jobId);
    /// @notice Emitted when the owner key cancels an unmatched job.
    event JobCancelled(uint256 indexed jobId);
    /// @notice Emitted when the winner's attestation is accepted; buyers encrypt data to `enclaveEncryptionKey`.
    event AttestationAccepted(
        uint256 indexed jobId, TeeType teeType, bytes32 measurement, bytes32 enclaveEncryptionKey, address enclaveSigner
    );
    /// @notice Emitted when submitted evidence is rejected; `reason` is the verifier's revert data.
    event EvidenceRejected(uint256 indexed jobId, FailureReason indexed stage, bytes reason);
    /// @notice Emitted when the training proof is verified and the result accepted.
    event ProofVerified(uint256 indexed jobId, bytes32 modelCommitment, bytes32 modelCiphertextHash);
    /// @notice Emitted when the provider is paid.
    event PaymentReleased(uint256 indexed jobId, address indexed provider, uint256 amount);
    /// @notice Emitted when a matched job fails; its provider's collateral is slashed (`slashed`, of
    ///         which `compensation` goes to the buyer), except for `CommitteeDeadlineMissed` (both zero).
    event JobFailed(uint256 indexed jobId, FailureReason reason, uint256 slashed, uint256 compensation);
    /// @notice Emitted when a multi-party job fails because its committee did not decrypt the
    ///         aggregate in time; bit i of `missingMembers` set = committee member i recorded no share.
    event CommitteeDefaulted(uint256 indexed jobId, uint256 missingMembers);
    /// @notice Emitted when the owner key extends the delivery deadline.
    event DeliveryDeadlineExtended(uint256 indexed jobId, uint64 deliveryDeadline);
    /// @notice Emitted when the buyer's refund is paid.
    event RefundClaimed(uint256 indexed jobId, address indexed refundTo, uint256 amount);
    /// @notice Emitted when the training verifier changes.
    event TrainingVerifierSet(address verifier);
    /// @notice Emitted when the multi-party coordinator changes.
    event MultiPartyCoordinatorSet(address coordinator);
    /// @notice Emitted when the collateral ratio changes.
    event CollateralRatioSet(uint16 bps);
    /// @notice Emitted when an asset's minimum price changes.
    event MinPriceSet(address indexed asset, uint256 minPrice);

    /// @notice Posts a job paid in ETH (`msg.value` must equal `terms.priceCeiling`) or in the stake
    ///         token (pulled with `transferFrom`; needs a prior approval).
    /// @dev Emits a {JobPosted} event.
    /// @param terms The job's terms.
    /// @return jobId The new job's id.
    function postJob(JobTerms calldata terms) external payable returns (uint256 jobId);

    /// @notice Posts a job paid in the stake token using an EIP-2612 permit from the funding address.
    /// @dev Emits a {JobPosted} event.
    /// @return jobId The new job's id.
    function postJobWithPermit(JobTerms calldata terms, uint256 permitDeadline, uint8 v, bytes32 r, bytes32 s)
        external
        returns (uint256 jobId);

    /// @notice Places a bid; it must be at most the ceiling and strictly below the leading bid (ties
    ///         go to the earlier bid). Locks the bidder's collateral and releases the previous leader's.
    /// @dev Emits a {BidPlaced} event.
    /// @param jobId The job.
    /// @param terms The job's terms.
    /// @param price The bid.
    function placeBid(uint256 jobId, JobTerms calldata terms, uint96 price) external;

    /// @notice Closes an ended bid window: the leader is matched, or with no bids the job expires.
    ///         Callable by anyone; the winner's attestation also closes it implicitly.
    /// @dev Emits a {JobMatched} or {JobExpired} event.
    function closeBidding(uint256 jobId, JobTerms calldata terms) external;

    /// @notice Submits the winner's enclave attestation. Valid evidence moves the job to Attested;
    ///         invalid evidence fails the job and slashes the provider.
    /// @dev Emits {AttestationAccepted}, or {EvidenceRejected} and {JobFailed}.
    /// @param jobId The job.
    /// @param terms The job's terms.
    /// @param teeType The TEE type of the evidence.
    /// @param enclaveEncryptionKey The enclave's X25519 data-encryption public key.
    /// @param enclaveSigner The enclave's signing address.
    /// @param evidence The attestation evidence, bound to {attestationBinding}.
    function submitAttestation(
        uint256 jobId,
        JobTerms calldata terms,
        TeeType teeType,
        bytes32 enclaveEncryptionKey,
        address enclaveSigner,
        bytes calldata evidence
    ) external;

    /// @notice Submits the trained model's commitment, its ciphertext hash and the training proof.
    ///         A valid proof pays the provider and releases the collateral; an invalid one fails the
    ///         job and slashes the provider. A multi-party job needs {IMultiPartyCoordinator-quorumReached}
    ///         first (else `JobMarketQuorumNotReached`).
    /// @dev Emits {ProofVerified} and {PaymentReleased}, or {EvidenceRejected} and {JobFailed}.
    function submitResult(
        uint256 jobId,
        JobTerms calldata terms,
        bytes32 modelCommitment,
        bytes32 modelCiphertextHash,
        bytes calldata proof
    ) external;

    /// @notice Fails a matched job whose attestation or delivery deadline passed, slashing the
    ///         provider. Callable by anyone. A multi-party job whose aggregate was recorded but not
    ///         decrypted by a quorum (see {IMultiPartyCoordinator-committeeFault}) fails through its
    ///         committee's fault instead: the provider's collateral is released, not slashed, and the
    ///         buyer's escrow is refundable in full.
    /// @dev Emits {JobFailed} (and {CommitteeDefaulted} on the committee's fault).
    function enforceDeadline(uint256 jobId, JobTerms calldata terms) external;

    /// @notice Cancels an unmatched job by owner-key signature (relayable by anyone).
    /// @dev Emits {JobCancelled}.
    /// @param nonce The owner key's next nonce (see {nonces}).
    /// @param signatureDeadline Last second the signature is valid.
    /// @param signature The owner key's EIP-712 signature of `CancelJob(jobId, nonce, deadline)`.
    function cancelJob(
        uint256 jobId,
        JobTerms calldata terms,
        uint256 nonce,
        uint256 signatureDeadline,
        bytes calldata signature
    ) external;

    /// @notice Extends the delivery deadline by owner-key signature (relayable by anyone).
    /// @dev Emits {DeliveryDeadlineExtended}.
    /// @param newDeadline The new delivery deadline; later than the current one and within the
    ///        maximum job duration from the bid deadline.
    /// @param nonce The owner key's next nonce (see {nonces}).
    /// @param signatureDeadline Last second the signature is valid.
    /// @param signature The owner key's EIP-712 signature of
    ///        `ExtendDelivery(jobId, newDeadline, nonce, deadline)`.
    function extendDeliveryDeadline(
        uint256 jobId,
        JobTerms calldata terms,
        uint64 newDeadline,
        uint256 nonce,
        uint256 signatureDeadline,
        bytes calldata signature
    ) external;

    /// @notice Pays the buyer's refund of a finished job to `refundTo`, revealing the refund
    ///         commitment's preimage. Callable by anyone; funds go only to the committed address.
    ///         A job whose bid window ended without bids expires in the same call.
    /// @dev Emits {RefundClaimed} (and {JobExpired} or {JobMatched} when it closes the bidding).
    function claimRefund(uint256 jobId, JobTerms calldata terms, address refundTo, bytes32 salt) external;

    /// @notice Sets the training verifier. Owner only.
    /// @dev Emits {TrainingVerifierSet}.
    function setTrainingVerifier(ITrainingVerifier verifier) external;

    /// @notice Sets the multi-party coordinator (zero disables posting multi-party jobs). Owner only.
    ///         Its records are per coordinator: replace it only while no multi-party job runs.
    /// @dev Emits {MultiPartyCoordinatorSet}.
    function setMultiPartyCoordinator(IMultiPartyCoordinator coordinator) external;

    /// @notice Sets the collateral ratio (basis points of the price) for future bids. Owner only.
    /// @dev Emits {CollateralRatioSet}.
    function setCollateralRatio(uint16 bps) external;

    /// @notice Sets an asset's minimum price ceiling. Owner only.
    /// @dev Emits {MinPriceSet}.
    function setMinPrice(address asset, uint256 minPrice) external;

    /// @notice The job's stored state.
    function getJob(uint256 jobId) external view returns (Job memory);

    /// @notice The job's effective status (an ended bid window counts as Matched or Expired).
    function statusOf(uint256 jobId) external view returns (JobStatus);

    /// @notice The amount the buyer can claim now (zero while the job runs or after the claim).
    function refundableOf(uint256 jobId, JobTerms calldata terms) external view returns (uint256);

    /// @notice The report data an enclave must commit to for this job.
    function attestationBinding(uint256 jobId, bytes32 enclaveEncryptionKey, address enclaveSigner)
        external
        view
        returns (bytes32);

    /// @notice Hash of job terms as stored.
    function hashTerms(JobTerms calldata terms) external pure returns (bytes32);

    /// @notice The next nonce of an owner key.
    function nonces(address ownerKey) external view returns (uint256);

    /// @notice Number of jobs posted; ids run from 1 to this value.
    function jobCount() external view returns (uint256);

    /// @notice The training verifier.
    function trainingVerifier() external view returns (ITrainingVerifier);

    /// @notice The multi-party coordinator that records multi-party jobs' updates, aggregate and shares.
    function multiPartyCoordinator() external view returns (IMultiPartyCoordinator);

    /// @notice Collateral locked from the winner, in basis points of the price.
    function collateralRatioBps() external view returns (uint16);

    /// @notice The minimum price ceiling per asset.
    function minPrice(address asset) external view returns (uint256);
}
