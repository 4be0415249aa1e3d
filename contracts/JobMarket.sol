// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {Governed} from "./access/Governed.sol";
import {IAttestationVerifier} from "./interfaces/IAttestationVerifier.sol";
import {IDataDelivery} from "./interfaces/IDataDelivery.sol";
import {IEnclaveRegistry} from "./interfaces/IEnclaveRegistry.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IMultiPartyCoordinator} from "./interfaces/IMultiPartyCoordinator.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {ITrainingVerifier} from "./interfaces/ITrainingVerifier.sol";
import {AssetTransfers} from "./libraries/AssetTransfers.sol";
import {AttestationBinding} from "./libraries/AttestationBinding.sol";
import {Shares} from "./libraries/Shares.sol";
import {POSEIDON_FIELD_SIZE} from "./poseidon/IPoseidon.sol";
import {FailureReason, JobStatus} from "./types/JobStatus.sol";
import {TeeType, TeeTypeSet} from "./types/TeeType.sol";

/// @title JobMarket
/// @notice Anonymous training jobs: escrow, bidding, attestation, delivery records, settlement by
///         outcome, refunds and slashing. See {IJobMarket} and docs/OUTCOMES.md.
/// @dev Balance invariant, per asset: this contract's balance equals, over all jobs, the escrow of
///      running jobs (the price ceiling) plus the unclaimed refunds of finished ones, plus
///      everything {owed}. Every non-terminal state ends by a deadline that `enforceDeadline` acts
///      on, so no funds can be stuck: Open ends at `bidDeadline`, Matched at `attestDeadline`,
///      Attested at the data or delivery deadline or the end of an availability challenge
///      ({IDataDelivery}), all bounded by `bidDeadline + MAX_JOB_DURATION` plus one availability window.
contract JobMarket is IJobMarket, Governed, EIP712, ReentrancyGuardTransient {
    /// @notice Longest time from posting to the end of the bid window.
    uint64 public constant MAX_BID_WINDOW = 30 days;
    /// @notice Longest time from the end of the bid window to the (extended) delivery deadline.
    uint64 public constant MAX_JOB_DURATION = 90 days;
    /// @notice Highest collateral ratio a config may set (5× the price).
    uint16 public constant MAX_COLLATERAL_RATIO_BPS = 50_000;
    /// @notice Highest minimum bid step a config may set (50 %).
    uint16 public constant MAX_BID_STEP_BPS = 5_000;
    /// @notice Highest quality threshold: 100 % in basis points.
    uint256 public constant MAX_THRESHOLD_BPS = 10_000;
    /// @notice EIP-712 type hash of an owner-key cancellation.
    bytes32 public constant CANCEL_JOB_TYPEHASH = keccak256("CancelJob(uint256 jobId,uint256 nonce,uint256 deadline)");
    /// @notice EIP-712 type hash of an owner-key delivery-deadline extension.
    bytes32 public constant EXTEND_DELIVERY_TYPEHASH =
        keccak256("ExtendDelivery(uint256 jobId,uint64 deliveryDeadline,uint256 nonce,uint256 deadline)");
    /// @notice EIP-712 type hash of the attested enclave's result statement.
    bytes32 public constant TRAINING_RESULT_TYPEHASH = keccak256(
        "TrainingResult(uint256 jobId,bytes32 modelCommitment,bytes32 modelCiphertextHash,bool thresholdMet)"
    );
    /// @notice EIP-712 type hash of the attested enclave's failure statement.
    bytes32 public constant JOB_FAILURE_TYPEHASH =
        keccak256("JobFailure(uint256 jobId,uint8 reason,bytes32 dataHash,uint256 faultyMembers)");

    /// @notice Where providers stake and where collateral is locked and slashed.
    IProviderRegistry public immutable providerRegistry;
    /// @notice Where attestation evidence is verified and measurements are allow-listed.
    IEnclaveRegistry public immutable enclaveRegistry;
    /// @dev The registry's stake token, cached: the only ERC-20 jobs can be paid in.
    address private immutable _stakeToken;

    /// @inheritdoc IJobMarket
    uint256 public jobCount;
    /// @inheritdoc IJobMarket
    uint32 public currentConfigId;
    /// @inheritdoc IJobMarket
    mapping(address asset => uint256) public minPrice;
    /// @inheritdoc IJobMarket
    mapping(address asset => uint256) public minCollateral;
    /// @inheritdoc IJobMarket
    mapping(address ownerKey => uint256) public nonces;
    /// @inheritdoc IJobMarket
    mapping(address asset => mapping(address account => uint256)) public owed;

    mapping(uint256 jobId => Job) private _jobs;
    mapping(uint32 configId => MarketConfig) private _configs;

    /// @param initialOwner Governance (two-step transferable; a timelock in production).
    /// @param providerRegistry_ The provider registry; its market must be set to this contract.
    /// @param enclaveRegistry_ The enclave registry.
    constructor(address initialOwner, IProviderRegistry providerRegistry_, IEnclaveRegistry enclaveRegistry_)
        Ownable(initialOwner)
        EIP712("BlindTraining JobMarket", "1")
    {
        if (address(providerRegistry_) == address(0) || address(enclaveRegistry_) == address(0)) {
            revert JobMarketZeroAddress();
        }
        providerRegistry = providerRegistry_;
        enclaveRegistry = enclaveRegistry_;
        _stakeToken = providerRegistry_.stakeToken();
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
        address asset = terms.asset;
        uint256 minimum = minPrice[asset];
        // A zero minimum still refuses a zero bid.
        if (price == 0 || price < minimum) revert JobMarketBidBelowMinimum(price, minimum);
        if (price > terms.priceCeiling) revert JobMarketBidAboveCeiling(price, terms.priceCeiling);
        MarketConfig storage config = _configs[terms.configId];
        address previous = job.provider;
        uint96 leading = job.price;
        if (previous != address(0)) {
            uint256 step = uint256(leading) * config.minBidStepBps / Shares.BPS;
            // leading ≥ 1 (every accepted bid is non-zero), so leading - max(step, 1) ≥ 0.
            uint256 maxAccepted = leading - (step == 0 ? 1 : step);
            if (price > maxAccepted) revert JobMarketBidNotLower(price, maxAccepted);
        }
        uint8 providerTee = providerRegistry.teeTypesOf(msg.sender);
        if (providerTee & terms.teeTypes == 0) revert JobMarketTeeMismatch(providerTee, terms.teeTypes);

        uint256 byRatio = Shares.mulBpsUp(price, config.collateralRatioBps);
        uint256 floor = minCollateral[asset];
        uint96 collateral = SafeCast.toUint96(byRatio > floor ? byRatio : floor);
        uint96 previousCollateral = job.collateral;
        job.provider = msg.sender;
        job.price = price;
        job.collateral = collateral;
        emit BidPlaced(jobId, msg.sender, price, collateral);

        if (previous != address(0)) providerRegistry.unlockCollateral(previous, asset, previousCollateral);
        providerRegistry.lockCollateral(msg.sender, asset, collateral);
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
            if (_revokedAfter(rejection, job.postedAt)) {
                _release(jobId, job, terms.asset, FailureReason.EvidenceRevoked);
            } else {
                _fail(jobId, job, terms, FailureReason.AttestationRejected);
            }
            return;
        }
        job.status = JobStatus.Attested;
        job.enclaveSigner = enclaveSigner;
        emit AttestationAccepted(jobId, teeType, measurement, enclaveEncryptionKey, enclaveSigner);
    }

    /// @inheritdoc IJobMarket
    function submitResult(uint256 jobId, JobTerms calldata terms, Result calldata result) external nonReentrant {
        Job storage job = _load(jobId, terms);
        _requireActiveProvider(jobId, job, JobStatus.Attested);
        MarketConfig storage config = _configs[terms.configId];
        _requireBeforeDeliveryDeadline(jobId, job, terms, config);
        if (result.modelCommitment == bytes32(0) || result.modelCiphertextHash == bytes32(0)) {
            revert JobMarketEmptyResult();
        }
        if (terms.parties > 1 && !config.coordinator.quorumReached(jobId)) revert JobMarketQuorumNotReached(jobId);
        _requireEnclaveResult(jobId, job.enclaveSigner, result);

        // A multi-party job's adapter is the committee's decrypted aggregate applied to C0 by the
        // attested enclave; the coordinator checks the enclave's signed result (docs/MULTIPARTY.md).
        ITrainingVerifier verifier =
            terms.parties > 1 ? ITrainingVerifier(address(config.coordinator)) : config.trainingVerifier;
        bytes memory rejection = _verifyTraining(verifier, jobId, terms, result);
        if (rejection.length != 0) {
            emit EvidenceRejected(jobId, FailureReason.ProofRejected, rejection);
            _fail(jobId, job, terms, FailureReason.ProofRejected);
            return;
        }

        uint96 price = job.price;
        uint256 paid;
        if (result.thresholdMet) {
            job.status = JobStatus.Completed;
            paid = price;
        } else {
            job.status = JobStatus.BelowThreshold;
            paid = uint256(price) * config.computeShareBps / Shares.BPS;
        }
        emit ProofVerified(jobId, result.modelCommitment, result.modelCiphertextHash, result.thresholdMet);
        emit PaymentReleased(jobId, msg.sender, paid);
        providerRegistry.unlockCollateral(msg.sender, terms.asset, job.collateral);
        if (paid != 0) AssetTransfers.send(terms.asset, msg.sender, paid);
    }

    /// @inheritdoc IJobMarket
    function submitFailure(
        uint256 jobId,
        JobTerms calldata terms,
        FailureStatement calldata statement,
        bytes calldata signature
    ) external nonReentrant {
        Job storage job = _load(jobId, terms);
        if (job.status != JobStatus.Attested) revert JobMarketInvalidStatus(jobId, job.status);
        MarketConfig storage config = _configs[terms.configId];
        _requireBeforeDeliveryDeadline(jobId, job, terms, config);
        FailureReason reason = statement.reason;
        bytes32 recorded;
        if (reason == FailureReason.CommitteeBadShares) {
            if (terms.parties == 1 || statement.faultyMembers == 0) revert JobMarketFailureNotApplicable(reason);
            IMultiPartyCoordinator coordinator = config.coordinator;
            (,,, uint256 shareMask) = coordinator.recordsOf(jobId);
            // Only members who recorded a share can have recorded a bad one.
            if (statement.faultyMembers & ~shareMask != 0) revert JobMarketFailureNotApplicable(reason);
            recorded = coordinator.aggregateHashOf(jobId);
        } else if (
            reason == FailureReason.DataMismatch || reason == FailureReason.DataMalformed
                || reason == FailureReason.DataOverflow
        ) {
            if (terms.parties != 1 || statement.faultyMembers != 0) revert JobMarketFailureNotApplicable(reason);
            (, recorded,,) = config.dataDelivery.deliveryStatus(jobId);
        } else {
            revert JobMarketFailureNotApplicable(reason);
        }
        if (recorded == bytes32(0)) revert JobMarketDeliveryNotRecorded(jobId);
        if (statement.dataHash != recorded) revert JobMarketFailureDataMismatch(recorded, statement.dataHash);
        bytes32 digest = _hashTypedDataV4(
            keccak256(
                abi.encode(JOB_FAILURE_TYPEHASH, jobId, uint8(reason), statement.dataHash, statement.faultyMembers)
            )
        );
        address signer = job.enclaveSigner;
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError || recovered != signer) {
            revert JobMarketFailureSignatureInvalid(recovered, signer);
        }
        _default(jobId, job, terms, reason, statement.faultyMembers);
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
            _fail(jobId, job, terms, FailureReason.AttestationDeadlineMissed);
        } else if (status == JobStatus.Attested) {
            if (terms.parties == 1) _enforceSingleParty(jobId, job, terms);
            else _enforceMultiParty(jobId, job, terms);
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
        job.deliveryDeadline = uint40(newDeadline); // ≤ latest < 2^40
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
        // Pull-based fallback: a refundTo that cannot receive now (a reverting contract, a token
        // blocklist) is owed the amount instead of blocking the claim forever.
        if (!AssetTransfers.trySend(terms.asset, refundTo, amount)) _credit(terms.asset, refundTo, amount);
    }

    /// @inheritdoc IJobMarket
    function withdrawOwed(address asset, address to) external nonReentrant {
        uint256 amount = owed[asset][msg.sender];
        if (amount == 0) revert JobMarketNothingOwed(msg.sender, asset);
        owed[asset][msg.sender] = 0;
        emit OwedWithdrawn(msg.sender, asset, to, amount);
        AssetTransfers.send(asset, to, amount);
    }

    // ----- governance -----

    /// @inheritdoc IJobMarket
    function publishConfig(ConfigParameters calldata p) external onlyOwner returns (uint32 configId) {
        if (address(p.trainingVerifier) == address(0)) revert JobMarketInvalidConfig("trainingVerifier");
        if (p.collateralRatioBps == 0 || p.collateralRatioBps > MAX_COLLATERAL_RATIO_BPS) {
            revert JobMarketInvalidConfig("collateralRatioBps");
        }
        // A non-zero buyer share of a non-zero collateral is never rounded to zero by the registry.
        if (p.slashBuyerShareBps == 0 || p.slashBuyerShareBps > Shares.BPS) {
            revert JobMarketInvalidConfig("slashBuyerShareBps");
        }
        if (p.computeShareBps > Shares.BPS) revert JobMarketInvalidConfig("computeShareBps");
        if (p.cancellationFeeBps > Shares.BPS) revert JobMarketInvalidConfig("cancellationFeeBps");
        if (p.minBidStepBps > MAX_BID_STEP_BPS) revert JobMarketInvalidConfig("minBidStepBps");
        if (address(p.dataDelivery) == address(0)) revert JobMarketInvalidConfig("dataDelivery");
        configId = ++currentConfigId;
        IAttestationVerifier[4] memory verifiers;
        uint8 verified;
        for (uint8 t = 1; t <= 4; ++t) {
            IAttestationVerifier verifier = enclaveRegistry.verifierOf(TeeType(t));
            verifiers[t - 1] = verifier;
            if (address(verifier) != address(0)) verified |= uint8(1) << t;
        }
        _configs[configId] = MarketConfig({
            trainingVerifier: p.trainingVerifier,
            collateralRatioBps: p.collateralRatioBps,
            slashBuyerShareBps: p.slashBuyerShareBps,
            computeShareBps: p.computeShareBps,
            cancellationFeeBps: p.cancellationFeeBps,
            minBidStepBps: p.minBidStepBps,
            verifiedTeeTypes: verified,
            coordinator: p.coordinator,
            dataDelivery: p.dataDelivery,
            attestationVerifiers: verifiers
        });
        emit ConfigPublished(configId, p, verifiers);
    }

    /// @inheritdoc IJobMarket
    function setAssetLimits(address asset, uint256 minPrice_, uint256 minCollateral_) external onlyOwner {
        _requireAsset(asset);
        minPrice[asset] = minPrice_;
        minCollateral[asset] = minCollateral_;
        emit AssetLimitsSet(asset, minPrice_, minCollateral_);
    }

    // ----- views -----

    /// @inheritdoc IJobMarket
    function getJob(uint256 jobId) external view returns (Job memory) {
        return _jobs[jobId];
    }

    /// @inheritdoc IJobMarket
    function configOf(uint32 configId) external view returns (MarketConfig memory) {
        return _configs[configId];
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

    /// @notice The EIP-712 domain separator of owner-key and enclave signatures.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ----- internals: posting -----

    function _post(JobTerms calldata terms) private returns (uint256 jobId) {
        _checkTerms(terms);
        bytes32 termsHash = hashTerms(terms);
        jobId = ++jobCount;
        Job storage job = _jobs[jobId];
        job.termsHash = termsHash;
        job.status = JobStatus.Open;
        // Deadlines are bounded by now + MAX_BID_WINDOW + MAX_JOB_DURATION, far below 2^40 seconds.
        job.deliveryDeadline = uint40(terms.deliveryDeadline);
        job.postedAt = uint40(block.timestamp);
        job.bidDeadline = terms.bidDeadline;
        emit JobPosted(jobId, termsHash, terms);
    }

    function _checkTerms(JobTerms calldata terms) private view {
        _requireAsset(terms.asset);
        if (terms.priceCeiling == 0) revert JobMarketZeroPrice();
        uint256 minimum = minPrice[terms.asset];
        if (terms.priceCeiling < minimum) revert JobMarketPriceBelowMinimum(terms.priceCeiling, minimum);
        uint32 current = currentConfigId;
        if (terms.configId != current) revert JobMarketStaleConfig(terms.configId, current);
        if (!TeeTypeSet.isValid(terms.teeTypes)) revert JobMarketUnknownTeeType(terms.teeTypes);
        uint8 verified = _configs[current].verifiedTeeTypes;
        if (terms.teeTypes & ~verified != 0) revert JobMarketTeeTypeUnverifiable(terms.teeTypes, verified);
        _checkCommitment(terms.specHash, "specHash");
        _checkCommitment(terms.datasetCommitment, "datasetCommitment");
        _checkCommitment(terms.evalCommitment, "evalCommitment");
        if (terms.qualityThreshold > MAX_THRESHOLD_BPS) revert JobMarketThresholdOutOfRange(terms.qualityThreshold);
        if (terms.refundCommitment == bytes32(0)) revert JobMarketEmptyCommitment("refundCommitment");
        if (terms.ownerKey == address(0)) revert JobMarketZeroOwnerKey();
        _checkParties(terms, current);
        _checkDeadlines(terms);
    }

    /// @dev Commitments become public inputs of the training proof: each must be a BN254 field
    ///      element, or the job could never settle.
    function _checkCommitment(bytes32 value, string memory field) private pure {
        if (value == bytes32(0)) revert JobMarketEmptyCommitment(field);
        if (uint256(value) >= POSEIDON_FIELD_SIZE) revert JobMarketNotAFieldElement(field);
    }

    function _checkDeadlines(JobTerms calldata terms) private view {
        if (terms.bidDeadline <= block.timestamp) revert JobMarketDeadlineInPast(terms.bidDeadline, block.timestamp);
        if (terms.bidDeadline > block.timestamp + MAX_BID_WINDOW) {
            revert JobMarketDeadlineTooFar(terms.bidDeadline, block.timestamp + MAX_BID_WINDOW);
        }
        if (
            terms.attestDeadline <= terms.bidDeadline || terms.dataDeadline <= terms.attestDeadline
                || terms.deliveryDeadline <= terms.dataDeadline
        ) {
            revert JobMarketDeadlinesOutOfOrder(
                terms.bidDeadline, terms.attestDeadline, terms.dataDeadline, terms.deliveryDeadline
            );
        }
        uint256 latest = uint256(terms.bidDeadline) + MAX_JOB_DURATION;
        if (terms.deliveryDeadline > latest) revert JobMarketDeadlineTooFar(terms.deliveryDeadline, latest);
    }

    function _checkParties(JobTerms calldata terms, uint32 configId) private view {
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
            if (address(_configs[configId].coordinator) == address(0)) revert JobMarketMultiPartyCoordinatorNotSet();
        }
    }

    function _pullEscrow(JobTerms calldata terms) private {
        uint256 received = AssetTransfers.pull(terms.asset, msg.sender, terms.priceCeiling);
        if (received != terms.priceCeiling) revert JobMarketTokenAmountMismatch(received, terms.priceCeiling);
    }

    // ----- internals: lifecycle -----

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
        // teeType is in the job's set, which holds only types 1..4 with a pinned verifier.
        IAttestationVerifier verifier = _configs[terms.configId].attestationVerifiers[uint8(teeType) - 1];
        uint256 gasBefore = gasleft();
        try enclaveRegistry.verifyEvidenceWith(verifier, teeType, evidence, binding) returns (bytes32 m) {
            if (terms.measurement != bytes32(0) && m != terms.measurement) {
                return (m, abi.encodeWithSelector(JobMarketMeasurementMismatch.selector, m, terms.measurement));
            }
            return (m, "");
        } catch (bytes memory reason) {
            return (bytes32(0), _reasonOrOutOfGas(reason, gasBefore));
        }
    }

    /// @dev Runs the training verifier; returns empty on success or the reason it rejects.
    function _verifyTraining(ITrainingVerifier verifier, uint256 jobId, JobTerms calldata terms, Result calldata result)
        private
        view
        returns (bytes memory rejection)
    {
        ITrainingVerifier.TrainingClaim memory claim = ITrainingVerifier.TrainingClaim({
            chainId: block.chainid,
            market: address(this),
            jobId: jobId,
            provider: msg.sender,
            specHash: terms.specHash,
            datasetCommitment: terms.datasetCommitment,
            evalCommitment: terms.evalCommitment,
            qualityThreshold: terms.qualityThreshold,
            modelCommitment: result.modelCommitment,
            thresholdMet: result.thresholdMet
        });
        uint256 gasBefore = gasleft();
        try verifier.verifyTraining(claim, result.proof) returns (bool valid) {
            if (valid) return "";
            // A pairing precompile that runs out of gas makes a generated verifier return false.
            _revertIfOutOfGas(gasBefore);
            return abi.encodeWithSelector(JobMarketProofInvalid.selector);
        } catch (bytes memory reason) {
            return _reasonOrOutOfGas(reason, gasBefore);
        }
    }

    /// @dev The attested enclave signs the delivered ciphertext together with the proven model, so
    ///      payment is released only for a ciphertext the enclave produced for this job.
    function _requireEnclaveResult(uint256 jobId, address enclaveSigner, Result calldata result) private view {
        bytes32 digest = _hashTypedDataV4(
            keccak256(
                abi.encode(
                    TRAINING_RESULT_TYPEHASH,
                    jobId,
                    result.modelCommitment,
                    result.modelCiphertextHash,
                    result.thresholdMet
                )
            )
        );
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, result.enclaveSignature);
        if (err != ECDSA.RecoverError.NoError || recovered != enclaveSigner) {
            revert JobMarketEnclaveSignatureInvalid(recovered, enclaveSigner);
        }
    }

    /// @dev A verifier that failed after consuming nearly all the gas it was given may have failed for
    ///      lack of gas, also inside a nested call or precompile whose failure it reports with its own
    ///      error (each EIP-150 frame keeps 1/64, so a few nested frames return about 5 %): revert so
    ///      the provider retries with more gas, never slash. An invalid submission still fails once
    ///      enough gas is given, and the deadline bounds the retries.
    function _revertIfOutOfGas(uint256 gasBefore) private view {
        if (gasleft() <= gasBefore / 10) revert JobMarketVerifierOutOfGas();
    }

    /// @dev Empty revert data (out of gas, failed decode) is ambiguous: out of gas reverts the call;
    ///      otherwise a non-empty rejection is returned so "empty" can mean "accepted".
    function _reasonOrOutOfGas(bytes memory reason, uint256 gasBefore) private view returns (bytes memory) {
        _revertIfOutOfGas(gasBefore);
        return reason.length == 0 ? abi.encodeWithSignature("EmptyRevert()") : reason;
    }

    /// @dev Whether `rejection` is {IAttestationVerifier-AttestationRevoked} with a revocation after
    ///      `postedAt`: the provider could not have known when it bid.
    function _revokedAfter(bytes memory rejection, uint40 postedAt) private pure returns (bool) {
        if (rejection.length != 68) return false;
        bytes4 selector;
        uint256 revokedAt;
        // Layout: selector (4 bytes), subject (32), revokedAt (32).
        assembly ("memory-safe") {
            selector := and(mload(add(rejection, 32)), shl(224, 0xffffffff))
            revokedAt := mload(add(rejection, 68))
        }
        return selector == IAttestationVerifier.AttestationRevoked.selector && revokedAt > postedAt;
    }

    /// @dev Reverts after the job's delivery deadline, which an answered availability challenge of a
    ///      single-party job moves by the challenge's duration (read only when it matters).
    function _requireBeforeDeliveryDeadline(
        uint256 jobId,
        Job storage job,
        JobTerms calldata terms,
        MarketConfig storage config
    ) private view {
        uint256 deadline = job.deliveryDeadline;
        if (block.timestamp <= deadline) return;
        if (terms.parties == 1) {
            (,,, uint64 extension) = config.dataDelivery.deliveryStatus(jobId);
            deadline += extension;
        }
        if (block.timestamp > deadline) revert JobMarketDeadlinePassed(uint64(deadline));
    }

    /// @dev Single-party: no delivery recorded by the data deadline, or an availability challenge
    ///      that lapsed unanswered, is the buyer's side; no result by the (moved) delivery deadline
    ///      is the provider's.
    function _enforceSingleParty(uint256 jobId, Job storage job, JobTerms calldata terms) private {
        (IDataDelivery.DeliveryStatus status,, uint64 respondBy, uint64 extension) =
            _configs[terms.configId].dataDelivery.deliveryStatus(jobId);
        if (status == IDataDelivery.DeliveryStatus.None) {
            // Nothing recorded: the chain itself shows the buyer did not deliver.
            if (block.timestamp <= terms.dataDeadline) revert JobMarketDeadlineNotPassed(terms.dataDeadline);
            _default(jobId, job, terms, FailureReason.NoDataDelivered, 0);
            return;
        }
        if (status == IDataDelivery.DeliveryStatus.Challenged) {
            if (block.timestamp <= respondBy) revert JobMarketChallengePending(respondBy);
            // Unserved small data is the buyer's fault; for large data nobody is paid (see IDataDelivery).
            if (_configs[terms.configId].dataDelivery.isServable(jobId)) {
                _default(jobId, job, terms, FailureReason.DataUnavailable, 0);
            } else {
                _release(jobId, job, terms.asset, FailureReason.DataUnavailable);
            }
            return;
        }
        uint64 deadline = uint64(job.deliveryDeadline) + extension;
        if (block.timestamp <= deadline) revert JobMarketDeadlineNotPassed(deadline);
        _fail(jobId, job, terms, FailureReason.DeliveryDeadlineMissed);
    }

    /// @dev Past the delivery deadline: no party update, or an aggregate the committee did not
    ///      decrypt, is the buyer's side; anything else is the provider's.
    function _enforceMultiParty(uint256 jobId, Job storage job, JobTerms calldata terms) private {
        if (block.timestamp <= job.deliveryDeadline) revert JobMarketDeadlineNotPassed(job.deliveryDeadline);
        IMultiPartyCoordinator coordinator = _configs[terms.configId].coordinator;
        (uint256 updateCount,,,) = coordinator.recordsOf(jobId);
        if (updateCount == 0) {
            _default(jobId, job, terms, FailureReason.NoDataDelivered, 0);
            return;
        }
        (bool atFault, uint256 missingMembers) = coordinator.committeeFault(jobId);
        if (atFault) {
            emit CommitteeDefaulted(jobId, missingMembers);
            _default(jobId, job, terms, FailureReason.CommitteeDeadlineMissed, missingMembers);
            return;
        }
        _fail(jobId, job, terms, FailureReason.DeliveryDeadlineMissed);
    }

    /// @dev Provider fault: slashes all of the provider's collateral at the job's pinned buyer share;
    ///      the buyer's share arrives from the registry and is added to the refund.
    function _fail(uint256 jobId, Job storage job, JobTerms calldata terms, FailureReason reason) private {
        uint96 collateral = job.collateral;
        job.status = JobStatus.Failed;
        // The registry is trusted, fixed at deployment, and every entry point of both contracts is
        // non-reentrant, so recording its answer after the call is safe.
        uint256 toBuyer = providerRegistry.slash(
            job.provider, terms.asset, collateral, _configs[terms.configId].slashBuyerShareBps
        );
        job.compensation = uint96(toBuyer); // toBuyer ≤ collateral < 2^96
        emit JobFailed(jobId, reason, collateral, toBuyer);
    }

    /// @dev Buyer-side fault: the provider is paid the pinned cancellation fee (owed unless it is the
    ///      caller) and its collateral is released; the rest of the escrow is refundable.
    function _default(uint256 jobId, Job storage job, JobTerms calldata terms, FailureReason reason, uint256 members)
        private
    {
        job.status = JobStatus.BuyerDefaulted;
        uint256 fee = uint256(job.price) * _configs[terms.configId].cancellationFeeBps / Shares.BPS;
        address provider = job.provider;
        emit JobDefaulted(jobId, reason, fee, members);
        emit PaymentReleased(jobId, provider, fee);
        providerRegistry.unlockCollateral(provider, terms.asset, job.collateral);
        if (fee == 0) return;
        if (msg.sender == provider) AssetTransfers.send(terms.asset, provider, fee);
        else _credit(terms.asset, provider, fee);
    }

    /// @dev Nobody's fault: collateral released, the whole escrow refundable.
    function _release(uint256 jobId, Job storage job, address asset, FailureReason reason) private {
        job.status = JobStatus.Released;
        emit JobReleased(jobId, reason);
        providerRegistry.unlockCollateral(job.provider, asset, job.collateral);
    }

    function _credit(address asset, address account, uint256 amount) private {
        owed[asset][account] += amount;
        emit PaymentOwed(account, asset, amount);
    }

    function _refundable(Job storage job, JobTerms calldata terms) private view returns (uint256) {
        if (job.refundClaimed) return 0;
        JobStatus status = job.status;
        uint256 ceiling = terms.priceCeiling;
        if (status == JobStatus.Cancelled || status == JobStatus.Expired || status == JobStatus.Released) {
            return ceiling;
        }
        // Bid window over without bids: expired in effect, even before anyone closed it.
        if (status == JobStatus.Open && block.timestamp >= job.bidDeadline && job.provider == address(0)) {
            return ceiling;
        }
        if (status == JobStatus.Failed) return ceiling + job.compensation;
        if (status == JobStatus.Completed) return ceiling - job.price;
        if (status == JobStatus.BelowThreshold) {
            return ceiling - uint256(job.price) * _configs[terms.configId].computeShareBps / Shares.BPS;
        }
        if (status == JobStatus.BuyerDefaulted) {
            return ceiling - uint256(job.price) * _configs[terms.configId].cancellationFeeBps / Shares.BPS;
        }
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
}
