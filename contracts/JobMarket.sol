// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IEnclaveRegistry} from "./interfaces/IEnclaveRegistry.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IMultiPartyCoordinator} from "./interfaces/IMultiPartyCoordinator.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {ITrainingVerifier} from "./interfaces/ITrainingVerifier.sol";
import {AssetTransfers} from "./libraries/AssetTransfers.sol";
import {AttestationBinding} from "./libraries/AttestationBinding.sol";
import {Shares} from "./libraries/Shares.sol";
import {FailureReason, JobStatus} from "./types/JobStatus.sol";
import {TeeType, TeeTypeSet} from "./types/TeeType.sol";

/// @title JobMarket
/// @notice Anonymous training jobs: escrow, bidding, attestation, settlement, refunds and slashing.
///         See {IJobMarket}.
/// @dev Balance invariant, per asset: this contract's balance equals, over all jobs, the escrow of
///      running jobs (the price ceiling) plus the unclaimed refunds of finished ones. Every
///      non-terminal state ends by a deadline that `enforceDeadline` acts on, so no funds can be
///      stuck: Open ends at `bidDeadline`, Matched at `attestDeadline`, Attested at the delivery
///      deadline, which is bounded by `bidDeadline + MAX_JOB_DURATION`.
contract JobMarket is IJobMarket, Ownable2Step, EIP712, ReentrancyGuardTransient {
    /// @notice Longest time from posting to the end of the bid window.
    uint64 public constant MAX_BID_WINDOW = 30 days;
    /// @notice Longest time from the end of the bid window to the (extended) delivery deadline.
    uint64 public constant MAX_JOB_DURATION = 90 days;
    /// @notice Highest collateral ratio governance may set (5× the price).
    uint16 public constant MAX_COLLATERAL_RATIO_BPS = 50_000;
    /// @notice EIP-712 type hash of an owner-key cancellation.
    bytes32 public constant CANCEL_JOB_TYPEHASH = keccak256("CancelJob(uint256 jobId,uint256 nonce,uint256 deadline)");
    /// @notice EIP-712 type hash of an owner-key delivery-deadline extension.
    bytes32 public constant EXTEND_DELIVERY_TYPEHASH =
        keccak256("ExtendDelivery(uint256 jobId,uint64 deliveryDeadline,uint256 nonce,uint256 deadline)");

    /// @notice Where providers stake and where collateral is locked and slashed.
    IProviderRegistry public immutable providerRegistry;
    /// @notice Where attestation evidence is verified and measurements are allow-listed.
    IEnclaveRegistry public immutable enclaveRegistry;
    /// @dev The registry's stake token, cached: the only ERC-20 jobs can be paid in.
    address private immutable _stakeToken;

    /// @inheritdoc IJobMarket
    ITrainingVerifier public trainingVerifier;
    /// @inheritdoc IJobMarket
    uint16 public collateralRatioBps;
    /// @inheritdoc IJobMarket
    IMultiPartyCoordinator public multiPartyCoordinator;
    /// @inheritdoc IJobMarket
    uint256 public jobCount;
    /// @inheritdoc IJobMarket
    mapping(address asset => uint256) public minPrice;
    /// @inheritdoc IJobMarket
    mapping(address ownerKey => uint256) public nonces;

    mapping(uint256 jobId => Job) private _jobs;

    /// @param initialOwner Governance (two-step transferable).
    /// @param providerRegistry_ The provider registry; its market must be set to this contract.
    /// @param enclaveRegistry_ The enclave registry.
    /// @param collateralRatioBps_ Collateral locked from bidders, in basis points of the bid.
    constructor(
        address initialOwner,
        IProviderRegistry providerRegistry_,
        IEnclaveRegistry enclaveRegistry_,
        uint16 collateralRatioBps_
    ) Ownable(initialOwner) EIP712("BlindTraining JobMarket", "1") {
        if (address(providerRegistry_) == address(0) || address(enclaveRegistry_) == address(0)) {
            revert JobMarketZeroAddress();
        }
        providerRegistry = providerRegistry_;
        enclaveRegistry = enclaveRegistry_;
        _stakeToken = providerRegistry_.stakeToken();
        _setCollateralRatio(collateralRatioBps_);
    }

    /// @notice Accepts the buyer's share of slashed ETH collateral from the provider registry only.
    receive() external payable {
        if (msg.sender != address(providerRegistry)) revert JobMarketUnexpectedEther(msg.sender);
    }

    // ----- posting -----

    /// @inheritdoc IJobMarket
    function postJob(JobTerms calldata terms) external payable nonReentrant returns (uint256 jobId) {
        jobId = _post(terms);
        if (terms.asset == address(0)) {
            if (msg.value != terms.priceCeiling) revert JobMarketWrongValue(msg.value, terms.priceCeiling);
        } else {
            if (msg.value != 0) revert JobMarketWrongValue(msg.value, 0);
            _pullEscrow(terms);
        }
    }

    /// @inheritdoc IJobMarket
    function postJobWithPermit(JobTerms calldata terms, uint256 permitDeadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
        returns (uint256 jobId)
    {
        if (terms.asset == address(0)) revert JobMarketUnsupportedAsset(address(0));
        jobId = _post(terms);
        AssetTransfers.permitOrAllowance(terms.asset, msg.sender, terms.priceCeiling, permitDeadline, v, r, s);
        _pullEscrow(terms);
    }

    // ----- matching -----

    /// @inheritdoc IJobMarket
    function placeBid(uint256 jobId, JobTerms calldata terms, uint96 price) external nonReentrant {
        Job storage job = _load(jobId, terms);
        if (job.status != JobStatus.Open) revert JobMarketInvalidStatus(jobId, job.status);
        if (block.timestamp >= terms.bidDeadline) revert JobMarketBiddingClosed(terms.bidDeadline);
        if (price == 0) revert JobMarketZeroPrice();
        if (price > terms.priceCeiling) revert JobMarketBidAboveCeiling(price, terms.priceCeiling);
        address previous = job.provider;
        if (previous != address(0) && price >= job.price) revert JobMarketBidNotLower(price, job.price);
        uint8 providerTee = providerRegistry.teeTypesOf(msg.sender);
        if (providerTee & terms.teeTypes == 0) revert JobMarketTeeMismatch(providerTee, terms.teeTypes);

        uint96 previousCollateral = job.collateral;
        uint96 collateral = SafeCast.toUint96(Shares.mulBpsUp(price, collateralRatioBps));
        job.provider = msg.sender;
        job.price = price;
        job.collateral = collateral;
        emit BidPlaced(jobId, msg.sender, price, collateral);

        if (previous != address(0)) providerRegistry.unlockCollateral(previous, terms.asset, previousCollateral);
        providerRegistry.lockCollateral(msg.sender, terms.asset, collateral);
    }

    /// @inheritdoc IJobMarket
    function closeBidding(uint256 jobId, JobTerms calldata terms) external {
        Job storage job = _load(jobId, terms);
        if (job.status != JobStatus.Open) revert JobMarketInvalidStatus(jobId, job.status);
        _closeBidding(jobId, job);
    }

    // ----- evidence -----

    /// @inheritdoc IJobMarket
    function submitAttestation(
        uint256 jobId,
        JobTerms calldata terms,
        TeeType teeType,
        bytes32 enclaveEncryptionKey,
        address enclaveSigner,
        bytes calldata evidence
    ) external nonReentrant {
        Job storage job = _load(jobId, terms);
        // The winner's first action closes an ended bid window, saving a separate transaction.
        if (job.status == JobStatus.Open) _closeBidding(jobId, job);
        _requireActiveProvider(jobId, job, JobStatus.Matched);
        if (block.timestamp > terms.attestDeadline) revert JobMarketDeadlinePassed(terms.attestDeadline);
        if (enclaveEncryptionKey == bytes32(0) || enclaveSigner == address(0)) revert JobMarketEmptyEnclaveKey();

        bytes32 binding =
            AttestationBinding.reportData(block.chainid, address(this), jobId, enclaveEncryptionKey, enclaveSigner);
        (bytes32 measurement, bytes memory rejection) = _checkAttestation(terms, teeType, evidence, binding);
        if (rejection.length != 0) {
            emit EvidenceRejected(jobId, FailureReason.AttestationRejected, rejection);
            _fail(jobId, job, terms.asset, FailureReason.AttestationRejected);
            return;
        }
        job.status = JobStatus.Attested;
        job.enclaveSigner = enclaveSigner;
        emit AttestationAccepted(jobId, teeType, measurement, enclaveEncryptionKey, enclaveSigner);
    }

    /// @inheritdoc IJobMarket
    function submitResult(
        uint256 jobId,
        JobTerms calldata terms,
        bytes32 modelCommitment,
        bytes32 modelCiphertextHash,
        bytes calldata proof
    ) external nonReentrant {
        Job storage job = _load(jobId, terms);
        _requireActiveProvider(jobId, job, JobStatus.Attested);
        if (block.timestamp > job.deliveryDeadline) revert JobMarketDeadlinePassed(job.deliveryDeadline);
        if (modelCommitment == bytes32(0) || modelCiphertextHash == bytes32(0)) revert JobMarketEmptyResult();
        if (terms.parties > 1) _requireQuorum(jobId);
        // A multi-party job's adapter is the committee's decrypted aggregate applied to C0 by the
        // attested enclave; the coordinator checks the enclave's signed result (docs/MULTIPARTY.md).
        ITrainingVerifier verifier =
            terms.parties > 1 ? ITrainingVerifier(address(multiPartyCoordinator)) : trainingVerifier;
        if (address(verifier) == address(0)) revert JobMarketTrainingVerifierNotSet();

        ITrainingVerifier.TrainingClaim memory claim = ITrainingVerifier.TrainingClaim({
            chainId: block.chainid,
            market: address(this),
            jobId: jobId,
            provider: msg.sender,
            specHash: terms.specHash,
            datasetCommitment: terms.datasetCommitment,
            evalCommitment: terms.evalCommitment,
            qualityThreshold: terms.qualityThreshold,
            modelCommitment: modelCommitment
        });
        bytes memory rejection;
        try verifier.verifyTraining(claim, proof) returns (bool valid) {
            if (!valid) rejection = abi.encodeWithSelector(JobMarketProofInvalid.selector);
        } catch (bytes memory reason) {
            rejection = _nonEmpty(reason);
        }
        if (rejection.length != 0) {
            emit EvidenceRejected(jobId, FailureReason.ProofRejected, rejection);
            _fail(jobId, job, terms.asset, FailureReason.ProofRejected);
            return;
        }

        uint96 price = job.price;
        job.status = JobStatus.Completed;
        emit ProofVerified(jobId, modelCommitment, modelCiphertextHash);
        emit PaymentReleased(jobId, msg.sender, price);
        providerRegistry.unlockCollateral(msg.sender, terms.asset, job.collateral);
        AssetTransfers.send(terms.asset, msg.sender, price);
    }

    // ----- timeouts -----

    /// @inheritdoc IJobMarket
    function enforceDeadline(uint256 jobId, JobTerms calldata terms) external nonReentrant {
        Job storage job = _load(jobId, terms);
        JobStatus status = job.status;
        if (status == JobStatus.Open) {
            _closeBidding(jobId, job);
            // A matched job whose attestation deadline has also passed fails in the same call.
            if (job.status != JobStatus.Matched || block.timestamp <= terms.attestDeadline) return;
            status = JobStatus.Matched;
        }
        if (status == JobStatus.Matched) {
            if (block.timestamp <= terms.attestDeadline) revert JobMarketDeadlineNotPassed(terms.attestDeadline);
            _fail(jobId, job, terms.asset, FailureReason.AttestationDeadlineMissed);
        } else if (status == JobStatus.Attested) {
            if (block.timestamp <= job.deliveryDeadline) revert JobMarketDeadlineNotPassed(job.deliveryDeadline);
            if (terms.parties > 1 && _failIfCommitteeAtFault(jobId, job, terms.asset)) return;
            _fail(jobId, job, terms.asset, FailureReason.DeliveryDeadlineMissed);
        } else {
            revert JobMarketInvalidStatus(jobId, status);
        }
    }

    // ----- owner-key actions -----

    /// @inheritdoc IJobMarket
    function cancelJob(
        uint256 jobId,
        JobTerms calldata terms,
        uint256 nonce,
        uint256 signatureDeadline,
        bytes calldata signature
    ) external nonReentrant {
        Job storage job = _load(jobId, terms);
        if (job.status != JobStatus.Open) revert JobMarketInvalidStatus(jobId, job.status);
        address leader = job.provider;
        if (leader != address(0) && block.timestamp >= terms.bidDeadline) revert JobMarketAlreadyMatched(jobId, leader);
        _useOwnerSignature(
            terms.ownerKey,
            keccak256(abi.encode(CANCEL_JOB_TYPEHASH, jobId, nonce, signatureDeadline)),
            nonce,
            signatureDeadline,
            signature
        );

        uint96 collateral = job.collateral;
        job.status = JobStatus.Cancelled;
        job.collateral = 0;
        emit JobCancelled(jobId);
        if (leader != address(0)) providerRegistry.unlockCollateral(leader, terms.asset, collateral);
    }

    /// @inheritdoc IJobMarket
    function extendDeliveryDeadline(
        uint256 jobId,
        JobTerms calldata terms,
        uint64 newDeadline,
        uint256 nonce,
        uint256 signatureDeadline,
        bytes calldata signature
    ) external {
        Job storage job = _load(jobId, terms);
        JobStatus status = job.status;
        if (status != JobStatus.Open && status != JobStatus.Matched && status != JobStatus.Attested) {
            revert JobMarketInvalidStatus(jobId, status);
        }
        uint64 current = job.deliveryDeadline;
        uint256 latest = uint256(terms.bidDeadline) + MAX_JOB_DURATION;
        if (newDeadline <= current || newDeadline > latest) revert JobMarketInvalidExtension(current, newDeadline, latest);
        _useOwnerSignature(
            terms.ownerKey,
            keccak256(abi.encode(EXTEND_DELIVERY_TYPEHASH, jobId, newDeadline, nonce, signatureDeadline)),
            nonce,
            signatureDeadline,
            signature
        );
        job.deliveryDeadline = newDeadline;
        emit DeliveryDeadlineExtended(jobId, newDeadline);
    }

    /// @inheritdoc IJobMarket
    function claimRefund(uint256 jobId, JobTerms calldata terms, address refundTo, bytes32 salt)
        external
        nonReentrant
    {
        Job storage job = _load(jobId, terms);
        // An ended bid window is closed here, so a job nobody bid on is refundable without a
        // separate closeBidding transaction.
        if (job.status == JobStatus.Open && block.timestamp >= job.bidDeadline) _closeBidding(jobId, job);
        uint256 amount = _refundable(job, terms);
        if (amount == 0) revert JobMarketNothingToRefund(jobId);
        if (keccak256(abi.encode(refundTo, salt)) != terms.refundCommitment) {
            revert JobMarketRefundCommitmentMismatch(jobId);
        }
        job.refundClaimed = true;
        emit RefundClaimed(jobId, refundTo, amount);
        AssetTransfers.send(terms.asset, refundTo, amount);
    }

    // ----- governance -----

    /// @inheritdoc IJobMarket
    function setTrainingVerifier(ITrainingVerifier verifier) external onlyOwner {
        trainingVerifier = verifier;
        emit TrainingVerifierSet(address(verifier));
    }

    /// @inheritdoc IJobMarket
    function setMultiPartyCoordinator(IMultiPartyCoordinator coordinator) external onlyOwner {
        multiPartyCoordinator = coordinator;
        emit MultiPartyCoordinatorSet(address(coordinator));
    }

    /// @inheritdoc IJobMarket
    function setCollateralRatio(uint16 bps) external onlyOwner {
        _setCollateralRatio(bps);
    }

    /// @inheritdoc IJobMarket
    function setMinPrice(address asset, uint256 minPrice_) external onlyOwner {
        _requireAsset(asset);
        minPrice[asset] = minPrice_;
        emit MinPriceSet(asset, minPrice_);
    }

    // ----- views -----

    /// @inheritdoc IJobMarket
    function getJob(uint256 jobId) external view returns (Job memory) {
        return _jobs[jobId];
    }

    /// @inheritdoc IJobMarket
    function statusOf(uint256 jobId) external view returns (JobStatus) {
        Job storage job = _jobs[jobId];
        if (job.status == JobStatus.Open && block.timestamp >= job.bidDeadline) {
            return job.provider == address(0) ? JobStatus.Expired : JobStatus.Matched;
        }
        return job.status;
    }

    /// @inheritdoc IJobMarket
    function refundableOf(uint256 jobId, JobTerms calldata terms) external view returns (uint256) {
        return _refundable(_load(jobId, terms), terms);
    }

    /// @inheritdoc IJobMarket
    function attestationBinding(uint256 jobId, bytes32 enclaveEncryptionKey, address enclaveSigner)
        external
        view
        returns (bytes32)
    {
        return AttestationBinding.reportData(block.chainid, address(this), jobId, enclaveEncryptionKey, enclaveSigner);
    }

    /// @inheritdoc IJobMarket
    function hashTerms(JobTerms calldata terms) public pure returns (bytes32) {
        return keccak256(abi.encode(terms));
    }

    /// @notice The EIP-712 domain separator of owner-key signatures.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ----- internals -----

    function _post(JobTerms calldata terms) private returns (uint256 jobId) {
        _checkTerms(terms);
        bytes32 termsHash = hashTerms(terms);
        jobId = ++jobCount;
        Job storage job = _jobs[jobId];
        job.termsHash = termsHash;
        job.status = JobStatus.Open;
        job.deliveryDeadline = terms.deliveryDeadline;
        job.bidDeadline = terms.bidDeadline;
        emit JobPosted(jobId, termsHash, terms);
    }

    function _checkTerms(JobTerms calldata terms) private view {
        _requireAsset(terms.asset);
        if (terms.priceCeiling == 0) revert JobMarketZeroPrice();
        uint256 minimum = minPrice[terms.asset];
        if (terms.priceCeiling < minimum) revert JobMarketPriceBelowMinimum(terms.priceCeiling, minimum);
        if (!TeeTypeSet.isValid(terms.teeTypes)) revert JobMarketUnknownTeeType(terms.teeTypes);
        if (terms.specHash == bytes32(0)) revert JobMarketEmptyCommitment("specHash");
        if (terms.datasetCommitment == bytes32(0)) revert JobMarketEmptyCommitment("datasetCommitment");
        if (terms.evalCommitment == bytes32(0)) revert JobMarketEmptyCommitment("evalCommitment");
        if (terms.refundCommitment == bytes32(0)) revert JobMarketEmptyCommitment("refundCommitment");
        if (terms.ownerKey == address(0)) revert JobMarketZeroOwnerKey();
        _checkParties(terms);
        if (terms.bidDeadline <= block.timestamp) revert JobMarketDeadlineInPast(terms.bidDeadline, block.timestamp);
        if (terms.bidDeadline > block.timestamp + MAX_BID_WINDOW) {
            revert JobMarketDeadlineTooFar(terms.bidDeadline, block.timestamp + MAX_BID_WINDOW);
        }
        if (terms.attestDeadline <= terms.bidDeadline || terms.deliveryDeadline <= terms.attestDeadline) {
            revert JobMarketDeadlinesOutOfOrder(terms.bidDeadline, terms.attestDeadline, terms.deliveryDeadline);
        }
        uint256 latest = uint256(terms.bidDeadline) + MAX_JOB_DURATION;
        if (terms.deliveryDeadline > latest) revert JobMarketDeadlineTooFar(terms.deliveryDeadline, latest);
    }

    function _checkParties(JobTerms calldata terms) private view {
        uint8 parties = terms.parties;
        if (parties == 1) {
            if (terms.threshold != 0 || terms.committeeSize != 0 || terms.committeeHash != bytes32(0)) {
                revert JobMarketInvalidParties(parties, terms.threshold, terms.committeeSize);
            }
        } else {
            if (parties == 0 || terms.threshold == 0 || terms.threshold > terms.committeeSize) {
                revert JobMarketInvalidParties(parties, terms.threshold, terms.committeeSize);
            }
            if (terms.committeeHash == bytes32(0)) revert JobMarketEmptyCommitment("committeeHash");
            if (address(multiPartyCoordinator) == address(0)) revert JobMarketMultiPartyCoordinatorNotSet();
        }
    }

    function _pullEscrow(JobTerms calldata terms) private {
        uint256 received = AssetTransfers.pull(terms.asset, msg.sender, terms.priceCeiling);
        if (received != terms.priceCeiling) revert JobMarketTokenAmountMismatch(received, terms.priceCeiling);
    }

    function _load(uint256 jobId, JobTerms calldata terms) private view returns (Job storage job) {
        job = _jobs[jobId];
        bytes32 stored = job.termsHash;
        if (stored == bytes32(0)) revert JobMarketUnknownJob(jobId);
        bytes32 given = hashTerms(terms);
        if (given != stored) revert JobMarketTermsMismatch(jobId, stored, given);
    }

    /// @dev Moves an Open job whose bid window ended to Matched (with a leader) or Expired.
    function _closeBidding(uint256 jobId, Job storage job) private {
        uint64 bidDeadline = job.bidDeadline;
        if (block.timestamp < bidDeadline) revert JobMarketBiddingStillOpen(bidDeadline);
        address winner = job.provider;
        if (winner == address(0)) {
            job.status = JobStatus.Expired;
            emit JobExpired(jobId);
        } else {
            job.status = JobStatus.Matched;
            emit JobMatched(jobId, winner, job.price, job.collateral);
        }
    }

    function _requireActiveProvider(uint256 jobId, Job storage job, JobStatus expected) private view {
        if (job.status != expected) revert JobMarketInvalidStatus(jobId, job.status);
        if (msg.sender != job.provider) revert JobMarketNotProvider(msg.sender, job.provider);
    }

    /// @dev Returns the measurement, or empty-on-success revert data describing why the evidence fails.
    function _checkAttestation(JobTerms calldata terms, TeeType teeType, bytes calldata evidence, bytes32 binding)
        private
        view
        returns (bytes32 measurement, bytes memory rejection)
    {
        if (!TeeTypeSet.contains(terms.teeTypes, teeType)) {
            return (bytes32(0), abi.encodeWithSelector(JobMarketTeeNotAccepted.selector, teeType, terms.teeTypes));
        }
        try enclaveRegistry.verifyEvidence(teeType, evidence, binding) returns (bytes32 m) {
            if (terms.measurement != bytes32(0) && m != terms.measurement) {
                return (m, abi.encodeWithSelector(JobMarketMeasurementMismatch.selector, m, terms.measurement));
            }
            return (m, "");
        } catch (bytes memory reason) {
            return (bytes32(0), _nonEmpty(reason));
        }
    }

    /// @dev Fails a Matched or Attested job: slashes all of the provider's collateral; the buyer's
    ///      share arrives from the registry and is added to the refund.
    function _fail(uint256 jobId, Job storage job, address asset, FailureReason reason) private {
        uint96 collateral = job.collateral;
        job.status = JobStatus.Failed;
        // The registry is trusted, fixed at deployment, and every entry point of both contracts is
        // non-reentrant, so recording its answer after the call is safe.
        uint256 toBuyer = providerRegistry.slash(job.provider, asset, collateral);
        job.compensation = uint96(toBuyer); // toBuyer ≤ collateral < 2^96
        emit JobFailed(jobId, reason, collateral, toBuyer);
    }

    /// @dev A multi-party job settles only once the committee decrypted the aggregate.
    function _requireQuorum(uint256 jobId) private view {
        IMultiPartyCoordinator coordinator = multiPartyCoordinator;
        if (address(coordinator) == address(0) || !coordinator.quorumReached(jobId)) {
            revert JobMarketQuorumNotReached(jobId);
        }
    }

    /// @dev A multi-party job past its delivery deadline whose aggregate was recorded but not
    ///      decrypted by a quorum failed through the committee's fault, not the provider's: the job
    ///      fails, the buyer's full escrow becomes refundable and the provider's collateral is
    ///      released, not slashed. Returns false (nothing done) when the provider is to blame.
    function _failIfCommitteeAtFault(uint256 jobId, Job storage job, address asset) private returns (bool) {
        IMultiPartyCoordinator coordinator = multiPartyCoordinator;
        // Without a coordinator (governance removed it) nothing shows the committee at fault.
        if (address(coordinator) == address(0)) return false;
        (bool atFault, uint256 missingMembers) = coordinator.committeeFault(jobId);
        if (!atFault) return false;
        job.status = JobStatus.Failed;
        emit CommitteeDefaulted(jobId, missingMembers);
        emit JobFailed(jobId, FailureReason.CommitteeDeadlineMissed, 0, 0);
        providerRegistry.unlockCollateral(job.provider, asset, job.collateral);
        return true;
    }

    function _refundable(Job storage job, JobTerms calldata terms) private view returns (uint256) {
        if (job.refundClaimed) return 0;
        JobStatus status = job.status;
        if (status == JobStatus.Cancelled || status == JobStatus.Expired) return terms.priceCeiling;
        // Bid window over without bids: expired in effect, even before anyone closed it.
        if (status == JobStatus.Open && block.timestamp >= job.bidDeadline && job.provider == address(0)) {
            return terms.priceCeiling;
        }
        if (status == JobStatus.Failed) return uint256(terms.priceCeiling) + job.compensation;
        if (status == JobStatus.Completed) return terms.priceCeiling - job.price;
        return 0;
    }

    function _useOwnerSignature(
        address ownerKey,
        bytes32 structHash,
        uint256 nonce,
        uint256 signatureDeadline,
        bytes calldata signature
    ) private {
        if (block.timestamp > signatureDeadline) revert JobMarketSignatureExpired(signatureDeadline);
        uint256 expected = nonces[ownerKey];
        if (nonce != expected) revert JobMarketInvalidNonce(ownerKey, nonce, expected);
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
        if (err != ECDSA.RecoverError.NoError || recovered != ownerKey) {
            revert JobMarketInvalidSignature(recovered, ownerKey);
        }
        // A nonce is a counter of signatures used; it cannot reach 2^256.
        unchecked {
            nonces[ownerKey] = expected + 1;
        }
    }

    function _requireAsset(address asset) private view {
        if (asset != address(0) && asset != _stakeToken) revert JobMarketUnsupportedAsset(asset);
    }

    function _setCollateralRatio(uint16 bps) private {
        if (bps > MAX_COLLATERAL_RATIO_BPS) revert JobMarketInvalidCollateralRatio(bps, MAX_COLLATERAL_RATIO_BPS);
        collateralRatioBps = bps;
        emit CollateralRatioSet(bps);
    }

    /// @dev A verifier that reverts without data (e.g. out of gas, failed decode) still yields a
    ///      non-empty rejection, so "empty" can mean "accepted".
    function _nonEmpty(bytes memory reason) private pure returns (bytes memory) {
        return reason.length == 0 ? abi.encodeWithSignature("EmptyRevert()") : reason;
    }
}
