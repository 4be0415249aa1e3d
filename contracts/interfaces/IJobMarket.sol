// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {FailureReason, JobStatus} from "../types/JobStatus.sol";
import {TeeType} from "../types/TeeType.sol";
import {IAttestationVerifier} from "./IAttestationVerifier.sol";
import {IDataDelivery} from "./IDataDelivery.sol";
import {IMultiPartyCoordinator} from "./IMultiPartyCoordinator.sol";
import {ITrainingVerifier} from "./ITrainingVerifier.sol";

/// @title IJobMarket
/// @notice Anonymous confidential-training jobs with escrowed payment, matched by descending bids to
///         staked providers, settled only on valid attestation and training evidence, with one rule
///         per outcome (docs/OUTCOMES.md): full price for a proven model meeting the threshold, a
///         compute share for one that misses it, a cancellation fee when the buyer's side makes the
///         job impossible, a slash only for the provider's own fault, and nothing for anybody when
///         governance revoked the enclave mid-job.
/// @dev A job's immutable terms are stored as one hash; every call that needs them takes the terms
///      as calldata (they are emitted in full by {JobPosted}). Jobs record no buyer address: buyer
///      actions are EIP-712 signatures by the job's owner key, relayable by anyone, and refunds go
///      to the address whose commitment `keccak256(abi.encode(refundTo, salt))` the job carries.
///      The rules that settle a job (verifiers, coordinator, slash share, fees) are the
///      {MarketConfig} named by `terms.configId`, pinned when the job is posted: later governance
///      changes apply to new jobs only.
interface IJobMarket {
    /// @notice The immutable terms of a job.
    /// @param specHash Hash of the job spec (base model, adapter config, hyper-parameters, steps, C0);
    ///        a BN254 field element.
    /// @param datasetCommitment Commitment to the training data; a BN254 field element.
    /// @param evalCommitment Commitment to the evaluation data; a BN254 field element.
    /// @param qualityThreshold The metric threshold τ in basis points (at most 10,000).
    /// @param measurement Required enclave measurement, or zero for any allow-listed one of an accepted type.
    /// @param committeeHash Multi-party jobs: `keccak256(abi.encode(spec))` of the job's
    ///        {IMultiPartyCoordinator-MultiPartySpec}; zero otherwise.
    /// @param asset Payment and collateral asset: `address(0)` for ETH or the registry's stake token.
    /// @param priceCeiling Escrowed amount and the highest acceptable bid.
    /// @param ownerKey Key that authorizes buyer actions (EIP-712); generated for this job.
    /// @param bidDeadline End of the bid window (bids accepted while `block.timestamp < bidDeadline`).
    /// @param attestDeadline Last second for the winner's attestation.
    /// @param deliveryDeadline Last second for the result; the owner key may extend it.
    /// @param teeTypes Bit set of accepted TEE types; each must have a verifier in the pinned config.
    /// @param parties Number of data parties (1 = single-party).
    /// @param threshold Multi-party: decryption threshold t; zero for single-party.
    /// @param committeeSize Multi-party: committee size n; zero for single-party.
    /// @param refundCommitment `keccak256(abi.encode(refundTo, salt))`.
    /// @param dataDeadline Last second for the owner key to record the data delivery
    ///        ({IDataDelivery-recordDelivery}); strictly between the attestation and delivery deadlines.
    /// @param configId The market config that settles the job; must be {currentConfigId} when posting.
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
        uint64 dataDeadline;
        uint32 configId;
    }

    /// @notice The mutable state of a job.
    /// @param termsHash `keccak256(abi.encode(terms))`.
    /// @param status Stored status (see {statusOf} for the effective one).
    /// @param refundClaimed Whether the buyer's refund has been paid out (or credited to `refundTo`).
    /// @param provider Leading bidder while open; the winner afterwards.
    /// @param deliveryDeadline Current delivery deadline.
    /// @param postedAt When the job was posted: revocations after it release the job without fault.
    /// @param price Leading bid while open; the agreed price afterwards.
    /// @param collateral Collateral locked from the leading bidder / winner.
    /// @param bidDeadline End of the bid window (copied from the terms so status is readable without them).
    /// @param enclaveSigner The attested enclave's signing address.
    /// @param compensation The buyer's share of slashed collateral, added to the refund.
    struct Job {
        bytes32 termsHash;
        JobStatus status;
        bool refundClaimed;
        address provider;
        uint40 deliveryDeadline;
        uint40 postedAt;
        uint96 price;
        uint96 collateral;
        uint64 bidDeadline;
        address enclaveSigner;
        uint96 compensation;
    }

    /// @notice The rules that settle a job, pinned by `terms.configId` when it is posted.
    /// @param trainingVerifier Verifies single-party training proofs (never zero).
    /// @param collateralRatioBps Collateral locked from the winner, in basis points of its bid (≥ 1).
    /// @param slashBuyerShareBps The buyer's share of slashed collateral (≥ 1; the rest to the treasury).
    /// @param computeShareBps Share of the price paid for a proven model below the threshold.
    /// @param cancellationFeeBps Share of the price paid to the provider on a buyer-side fault.
    /// @param minBidStepBps A new bid must undercut the leading one by at least this share (and 1 wei).
    /// @param verifiedTeeTypes Bit set of TEE types with a verifier in `attestationVerifiers`.
    /// @param coordinator Multi-party coordinator; zero refuses multi-party jobs.
    /// @param dataDelivery Where single-party deliveries are recorded and challenged (never zero).
    /// @param attestationVerifiers Verifier per TEE type (index `teeType - 1`), copied from the
    ///        enclave registry when the config is published.
    struct MarketConfig {
        ITrainingVerifier trainingVerifier;
        uint16 collateralRatioBps;
        uint16 slashBuyerShareBps;
        uint16 computeShareBps;
        uint16 cancellationFeeBps;
        uint16 minBidStepBps;
        uint8 verifiedTeeTypes;
        IMultiPartyCoordinator coordinator;
        IDataDelivery dataDelivery;
        IAttestationVerifier[4] attestationVerifiers;
    }

    /// @notice What governance sets in a new config (the attestation verifiers come from the registry).
    struct ConfigParameters {
        ITrainingVerifier trainingVerifier;
        IMultiPartyCoordinator coordinator;
        IDataDelivery dataDelivery;
        uint16 collateralRatioBps;
        uint16 slashBuyerShareBps;
        uint16 computeShareBps;
        uint16 cancellationFeeBps;
        uint16 minBidStepBps;
    }

    /// @notice The provider's result.
    /// @param modelCommitment Commitment to the trained adapter (C_K).
    /// @param modelCiphertextHash SHA-256 of the adapter encrypted to the buyer (the digest of its blob id).
    /// @param thresholdMet Whether the metric reached τ (proven; decides the payout).
    /// @param proof Verifier-specific training proof.
    /// @param enclaveSignature The attested enclave's EIP-712 signature of
    ///        `TrainingResult(jobId, modelCommitment, modelCiphertextHash, thresholdMet)`: binds the
    ///        delivered ciphertext to the proven model.
    struct Result {
        bytes32 modelCommitment;
        bytes32 modelCiphertextHash;
        bool thresholdMet;
        bytes proof;
        bytes enclaveSignature;
    }

    /// @notice The attested enclave's signed statement that the job cannot succeed on the buyer's side.
    /// @param reason `DataMismatch`, `DataMalformed` or `DataOverflow` (single-party, delivery
    ///        recorded), or `CommitteeBadShares` (multi-party).
    /// @param dataHash What the enclave saw: the recorded delivery's data hash, or for
    ///        `CommitteeBadShares` the coordinator's aggregate hash.
    /// @param faultyMembers `CommitteeBadShares`: bit i = member i's recorded share failed its
    ///        Chaum–Pedersen proof; zero otherwise.
    struct FailureStatement {
        FailureReason reason;
        bytes32 dataHash;
        uint256 faultyMembers;
    }

    // ----- errors: posting -----
    /// @notice Thrown when the price ceiling is zero.
    error JobMarketZeroPrice();
    /// @notice Thrown when the price ceiling is below the minimum for its asset.
    error JobMarketPriceBelowMinimum(uint256 price, uint256 minimum);
    /// @notice Thrown when a deadline is not after the current time.
    error JobMarketDeadlineInPast(uint64 deadline, uint256 nowTimestamp);
    /// @notice Thrown when deadlines are not strictly increasing (bid < attest < data < delivery).
    error JobMarketDeadlinesOutOfOrder(
        uint64 bidDeadline, uint64 attestDeadline, uint64 dataDeadline, uint64 deliveryDeadline
    );
    /// @notice Thrown when a deadline is further than the maximum job duration.
    error JobMarketDeadlineTooFar(uint64 deadline, uint256 latest);
    /// @notice Thrown when the TEE type set is empty or names unknown types.
    error JobMarketUnknownTeeType(uint8 teeTypes);
    /// @notice Thrown when the job accepts a TEE type its config has no verifier for.
    error JobMarketTeeTypeUnverifiable(uint8 teeTypes, uint8 verifiedTeeTypes);
    /// @notice Thrown when a required commitment is zero.
    error JobMarketEmptyCommitment(string field);
    /// @notice Thrown when a commitment is not a BN254 field element (no proof could ever bind it).
    error JobMarketNotAFieldElement(string field);
    /// @notice Thrown when the quality threshold is above 10,000 basis points.
    error JobMarketThresholdOutOfRange(uint256 threshold);
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
    /// @notice Thrown when the terms name a config other than the current one.
    error JobMarketStaleConfig(uint32 configId, uint32 current);
    /// @notice Thrown when posting a multi-party job under a config without a coordinator.
    error JobMarketMultiPartyCoordinatorNotSet();

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
    /// @notice Thrown when a bid is below the asset's minimum price.
    error JobMarketBidBelowMinimum(uint256 bid, uint256 minimum);
    /// @notice Thrown when a bid does not undercut the leading bid by the minimum step.
    error JobMarketBidNotLower(uint256 bid, uint256 maxAccepted);
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
    /// @notice Thrown when a verifier failed without a reason while the call was nearly out of gas:
    ///         the submission reverts (no slash) so the provider can retry with more gas.
    error JobMarketVerifierOutOfGas();
    /// @notice Thrown when the result is not signed by the job's attested enclave.
    error JobMarketEnclaveSignatureInvalid(address recovered, address enclaveSigner);
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

    // ----- errors: delivery and failure statements -----
    /// @notice Thrown when an action needs a recorded delivery and there is none.
    error JobMarketDeliveryNotRecorded(uint256 jobId);
    /// @notice Thrown while an availability challenge runs: the job cannot be timed out before the
    ///         challenge is answered or lapses.
    error JobMarketChallengePending(uint64 respondBy);
    /// @notice Thrown when a failure statement's reason does not apply to this job's state.
    error JobMarketFailureNotApplicable(FailureReason reason);
    /// @notice Thrown when a failure statement names other data than the job's record.
    error JobMarketFailureDataMismatch(bytes32 recorded, bytes32 stated);
    /// @notice Thrown when a failure statement is not signed by the job's attested enclave.
    error JobMarketFailureSignatureInvalid(address recovered, address enclaveSigner);

    // ----- errors: owner-key signatures -----
    /// @notice Thrown when an owner-key signature's own deadline has passed.
    error JobMarketSignatureExpired(uint256 deadline);
    /// @notice Thrown when an owner-key signature was not made by the job's owner key.
    error JobMarketInvalidSignature(address recovered, address ownerKey);
    /// @notice Thrown when the signed nonce is not the owner key's next nonce.
    error JobMarketInvalidNonce(address ownerKey, uint256 signed, uint256 expected);

    // ----- errors: payments and configuration -----
    /// @notice Thrown when ETH arrives from anywhere but the provider registry.
    error JobMarketUnexpectedEther(address sender);
    /// @notice Thrown when a config parameter is out of its allowed range.
    error JobMarketInvalidConfig(string field);
    /// @notice Thrown when a constructor address is zero.
    error JobMarketZeroAddress();
    /// @notice Thrown when withdrawing a credit that is zero.
    error JobMarketNothingOwed(address account, address asset);

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
    event ProofVerified(
        uint256 indexed jobId, bytes32 modelCommitment, bytes32 modelCiphertextHash, bool thresholdMet
    );
    /// @notice Emitted when the provider is paid (or credited, see {owed}) for a job.
    event PaymentReleased(uint256 indexed jobId, address indexed provider, uint256 amount);
    /// @notice Emitted when a matched job fails through its provider's fault; `slashed` collateral,
    ///         of which `compensation` goes to the buyer.
    event JobFailed(uint256 indexed jobId, FailureReason reason, uint256 slashed, uint256 compensation);
    /// @notice Emitted when a job ends through a fault on the buyer's side: the provider receives
    ///         `fee` and its collateral back. `faultyMembers`: committee members named at fault.
    event JobDefaulted(uint256 indexed jobId, FailureReason reason, uint256 fee, uint256 faultyMembers);
    /// @notice Emitted when a job ends without anybody's fault: collateral released, full refund.
    event JobReleased(uint256 indexed jobId, FailureReason reason);
    /// @notice Emitted when a multi-party job's committee did not decrypt the aggregate in time;
    ///         bit i of `missingMembers` set = committee member i recorded no share.
    event CommitteeDefaulted(uint256 indexed jobId, uint256 missingMembers);
    /// @notice Emitted when the owner key extends the delivery deadline.
    event DeliveryDeadlineExtended(uint256 indexed jobId, uint64 deliveryDeadline);
    /// @notice Emitted when the buyer's refund is paid or credited to `refundTo`.
    event RefundClaimed(uint256 indexed jobId, address indexed refundTo, uint256 amount);
    /// @notice Emitted when a payment could not be pushed and is owed instead (see {withdrawOwed}).
    event PaymentOwed(address indexed account, address indexed asset, uint256 amount);
    /// @notice Emitted when an owed amount is withdrawn.
    event OwedWithdrawn(address indexed account, address indexed asset, address to, uint256 amount);
    /// @notice Emitted when governance publishes a config; new jobs must name it. `verifiers` are the
    ///         attestation verifiers per TEE type (index `teeType - 1`) copied from the enclave registry.
    event ConfigPublished(uint32 indexed configId, ConfigParameters parameters, IAttestationVerifier[4] verifiers);
    /// @notice Emitted when an asset's minimum price or minimum collateral changes.
    event AssetLimitsSet(address indexed asset, uint256 minPrice, uint256 minCollateral);

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

    /// @notice Places a bid: at least the asset's minimum price, at most the ceiling, and below the
    ///         leading bid by the config's minimum step (ties go to the earlier bid). Locks the
    ///         bidder's collateral (the config's ratio of the bid, at least the asset's minimum
    ///         collateral) and releases the previous leader's.
    /// @dev Emits a {BidPlaced} event.
    function placeBid(uint256 jobId, JobTerms calldata terms, uint96 price) external;

    /// @notice Closes an ended bid window: the leader is matched, or with no bids the job expires.
    ///         Callable by anyone; the winner's attestation also closes it implicitly.
    /// @dev Emits a {JobMatched} or {JobExpired} event.
    function closeBidding(uint256 jobId, JobTerms calldata terms) external;

    /// @notice Submits the winner's enclave attestation, checked by the verifier pinned in the job's
    ///         config. Valid evidence moves the job to Attested. Evidence that fails only because
    ///         governance revoked its measurement or key after the job was posted releases the job
    ///         without fault; other invalid evidence fails it and slashes the provider. A verifier
    ///         failing without a reason near the end of the gas reverts the call instead.
    /// @dev Emits {AttestationAccepted}, or {EvidenceRejected} and {JobFailed} or {JobReleased}.
    function submitAttestation(
        uint256 jobId,
        JobTerms calldata terms,
        TeeType teeType,
        bytes32 enclaveEncryptionKey,
        address enclaveSigner,
        bytes calldata evidence
    ) external;




    /// @notice Submits the result: the model commitment, the ciphertext hash, the outcome, the
    ///         training proof and the enclave's signature over them. A valid proof with
    ///         `thresholdMet` pays the price; without, the config's compute share (the rest is
    ///         refunded); either way the collateral is released. An invalid proof fails the job and
    ///         slashes the provider. A multi-party job needs {IMultiPartyCoordinator-quorumReached} first.
    /// @dev Emits {ProofVerified} and {PaymentReleased}, or {EvidenceRejected} and {JobFailed}.
    function submitResult(uint256 jobId, JobTerms calldata terms, Result calldata result) external;

    /// @notice Ends the job on a buyer-side fault shown by the attested enclave's EIP-712 statement
    ///         `JobFailure(jobId, reason, dataHash, faultyMembers)`: the provider is paid the
    ///         cancellation fee and its collateral released; the rest is refundable.
    /// @dev Emits {JobDefaulted}.
    function submitFailure(
        uint256 jobId,
        JobTerms calldata terms,
        FailureStatement calldata statement,
        bytes calldata signature
    ) external;

    /// @notice Times out a matched job (callable by anyone): no attestation by its deadline, or no
    ///         result by the delivery deadline (moved by an answered availability challenge, see
    ///         {IDataDelivery}), slashes the provider; no recorded delivery by the data
    ///         deadline (single-party), no party update (multi-party), an unanswered availability
    ///         challenge, or an aggregate the committee did not decrypt are buyer-side defaults.
    /// @dev Emits {JobFailed} or {JobDefaulted} (and {CommitteeDefaulted}).
    function enforceDeadline(uint256 jobId, JobTerms calldata terms) external;

    /// @notice Cancels an unmatched job by owner-key signature (relayable by anyone).
    /// @dev Emits {JobCancelled}.
    function cancelJob(
        uint256 jobId,
        JobTerms calldata terms,
        uint256 nonce,
        uint256 signatureDeadline,
        bytes calldata signature
    ) external;

    /// @notice Extends the delivery deadline by owner-key signature (relayable by anyone).
    /// @dev Emits {DeliveryDeadlineExtended}.
    function extendDeliveryDeadline(
        uint256 jobId,
        JobTerms calldata terms,
        uint64 newDeadline,
        uint256 nonce,
        uint256 signatureDeadline,
        bytes calldata signature
    ) external;

    /// @notice Settles the buyer's refund of a finished job to `refundTo`, revealing the refund
    ///         commitment's preimage. Callable by anyone. The amount is pushed to `refundTo`; if the
    ///         transfer fails it is owed to `refundTo` instead ({withdrawOwed}), so a refund is never stuck.
    /// @dev Emits {RefundClaimed} (and {PaymentOwed} when the push failed).
    function claimRefund(uint256 jobId, JobTerms calldata terms, address refundTo, bytes32 salt) external;

    /// @notice Withdraws everything owed to the caller in `asset` to `to`.
    /// @dev Emits {OwedWithdrawn}.
    function withdrawOwed(address asset, address to) external;

    /// @notice Publishes a new config from the enclave registry's current verifiers and `parameters`;
    ///         it becomes {currentConfigId}. Owner (the timelock) only.
    /// @dev Emits {ConfigPublished}.
    function publishConfig(ConfigParameters calldata parameters) external returns (uint32 configId);

    /// @notice Sets an asset's minimum price (ceilings and bids) and minimum collateral. Owner only.
    /// @dev Emits {AssetLimitsSet}.
    function setAssetLimits(address asset, uint256 minPrice, uint256 minCollateral) external;

    /// @notice The job's stored state.
    function getJob(uint256 jobId) external view returns (Job memory);


    /// @notice A published config.
    function configOf(uint32 configId) external view returns (MarketConfig memory);

    /// @notice The config new jobs must name.
    function currentConfigId() external view returns (uint32);

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

    /// @notice The minimum price ceiling and bid per asset.
    function minPrice(address asset) external view returns (uint256);

    /// @notice The minimum collateral per asset.
    function minCollateral(address asset) external view returns (uint256);

    /// @notice What the market owes `account` in `asset` (payments that could not be pushed).
    function owed(address asset, address account) external view returns (uint256);
}
