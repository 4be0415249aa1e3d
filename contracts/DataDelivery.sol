// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {IDataDelivery} from "./interfaces/IDataDelivery.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {JobStatus} from "./types/JobStatus.sol";

/// @title DataDelivery
/// @notice Records single-party data deliveries and settles their availability by an on-chain
///         challenge. See {IDataDelivery} and docs/OUTCOMES.md.
/// @dev Kept out of the JobMarket (bytecode size; the lifecycle's gas stays untouched). Everything a
///      call needs about the job comes from the market (`getJob`, `configOf`) or from terms checked
///      against the market's stored hash.
contract DataDelivery is IDataDelivery, EIP712 {
    /// @notice EIP-712 type of the owner key's delivery record.
    bytes32 public constant RECORD_DELIVERY_TYPEHASH =
        keccak256("RecordDelivery(uint256 jobId,bytes32 dataHash,uint256 deadline)");
    /// @dev Most blobs per delivery: the served mask is 64 bits.
    uint256 private constant MAX_BLOBS = 64;

    /// @inheritdoc IDataDelivery
    IJobMarket public immutable jobMarket;
    /// @inheritdoc IDataDelivery
    uint64 public immutable availabilityWindow;
    /// @inheritdoc IDataDelivery
    uint64 public immutable maxServableBytes;

    mapping(uint256 jobId => Delivery) private _deliveries;

    /// @param jobMarket_ The market whose jobs this contract records.
    /// @param availabilityWindow_ Seconds to answer a challenge: 1 hour to 7 days.
    /// @param maxServableBytes_ Largest delivery (sum of blob sizes) whose lapsed challenge is the
    ///        buyer's fault; above it, serving on-chain is not a reasonable demand and a lapsed
    ///        challenge releases the job without fault.
    constructor(IJobMarket jobMarket_, uint64 availabilityWindow_, uint64 maxServableBytes_)
        EIP712("BlindTraining DataDelivery", "1")
    {
        if (address(jobMarket_) == address(0) || availabilityWindow_ < 1 hours || availabilityWindow_ > 7 days) {
            revert DataDeliveryInvalidSetup();
        }
        jobMarket = jobMarket_;
        availabilityWindow = availabilityWindow_;
        maxServableBytes = maxServableBytes_;
    }

    /// @inheritdoc IDataDelivery
    function recordDelivery(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        bytes32[] calldata blobIds,
        uint64[] calldata sizes,
        uint256 signatureDeadline,
        bytes calldata signature
    ) external {
        _loadAttested(jobId, terms);
        if (block.timestamp > terms.dataDeadline) revert DataDeliveryDeadlinePassed(terms.dataDeadline);
        Delivery storage delivery = _deliveries[jobId];
        if (delivery.dataHash != bytes32(0)) revert DataDeliveryAlreadyRecorded(jobId);
        (bytes32 dataHash, uint64 totalSize) = _hashBlobs(blobIds, sizes);
        if (block.timestamp > signatureDeadline) revert DataDeliverySignatureExpired(signatureDeadline);
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(RECORD_DELIVERY_TYPEHASH, jobId, dataHash, signatureDeadline)));
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError || recovered != terms.ownerKey) {
            revert DataDeliveryInvalidSignature(recovered, terms.ownerKey);
        }
        delivery.dataHash = dataHash;
        delivery.blobCount = uint8(blobIds.length); // ≤ MAX_BLOBS
        delivery.totalSize = totalSize;
        emit DeliveryRecorded(jobId, dataHash, blobIds, sizes);
    }

    /// @inheritdoc IDataDelivery
    function challengeDelivery(uint256 jobId, IJobMarket.JobTerms calldata terms) external {
        IJobMarket.Job memory job = _loadAttested(jobId, terms);
        if (msg.sender != job.provider) revert DataDeliveryNotProvider(msg.sender, job.provider);
        if (block.timestamp > job.deliveryDeadline) revert DataDeliveryChallengeLapsed(job.deliveryDeadline);
        Delivery storage delivery = _deliveries[jobId];
        if (delivery.dataHash == bytes32(0)) revert DataDeliveryNotRecorded(jobId);
        if (delivery.challengedAt != 0) revert DataDeliveryAlreadyChallenged(jobId);
        delivery.challengedAt = uint64(block.timestamp);
        emit DeliveryChallenged(jobId, uint64(block.timestamp) + availabilityWindow);
    }

    /// @inheritdoc IDataDelivery
    function serveData(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        bytes32[] calldata blobIds,
        uint64[] calldata sizes,
        uint256 index,
        bytes calldata data
    ) external {
        _loadAttested(jobId, terms);
        Delivery storage delivery = _deliveries[jobId];
        uint64 challengedAt = delivery.challengedAt;
        if (challengedAt == 0 || delivery.answeredAt != 0) revert DataDeliveryNotChallenged(jobId);
        uint64 respondBy = challengedAt + availabilityWindow;
        if (block.timestamp > respondBy) revert DataDeliveryChallengeLapsed(respondBy);
        bytes32 given = keccak256(abi.encode(blobIds, sizes));
        if (given != delivery.dataHash) revert DataDeliveryMismatch(delivery.dataHash, given);
        // The lists hash to the record, so their (equal) length is the recorded blob count.
        if (index >= blobIds.length) revert DataDeliveryInvalidBlobs(index, blobIds.length);
        bytes32 actual = sha256(data);
        if (actual != blobIds[index] || data.length != sizes[index]) {
            revert DataDeliveryBlobMismatch(index, blobIds[index], actual);
        }
        uint64 mask = delivery.servedMask | uint64(1 << index); // index < 64
        delivery.servedMask = mask;
        emit BlobServed(jobId, index, actual);
        if (mask == uint64((uint256(1) << blobIds.length) - 1)) {
            delivery.answeredAt = uint64(block.timestamp);
            emit ChallengeAnswered(jobId, uint64(block.timestamp) - challengedAt);
        }
    }

    /// @inheritdoc IDataDelivery
    function deliveryStatus(uint256 jobId)
        external
        view
        returns (DeliveryStatus status, bytes32 dataHash, uint64 respondBy, uint64 extension)
    {
        Delivery storage delivery = _deliveries[jobId];
        dataHash = delivery.dataHash;
        uint64 challengedAt = delivery.challengedAt;
        uint64 answeredAt = delivery.answeredAt;
        if (dataHash == bytes32(0)) return (DeliveryStatus.None, dataHash, 0, 0);
        if (challengedAt == 0) return (DeliveryStatus.Recorded, dataHash, 0, 0);
        if (answeredAt == 0) return (DeliveryStatus.Challenged, dataHash, challengedAt + availabilityWindow, 0);
        return (DeliveryStatus.Answered, dataHash, 0, answeredAt - challengedAt);
    }

    /// @inheritdoc IDataDelivery
    function isServable(uint256 jobId) external view returns (bool) {
        return _deliveries[jobId].totalSize <= maxServableBytes;
    }

    /// @inheritdoc IDataDelivery
    function deliveryOf(uint256 jobId) external view returns (Delivery memory) {
        return _deliveries[jobId];
    }

    /// @inheritdoc IDataDelivery
    function maxBlobs() external pure returns (uint256) {
        return MAX_BLOBS;
    }

    /// @notice The EIP-712 domain separator of delivery records.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @dev Loads an Attested single-party job of the market whose config pins this contract.
    function _loadAttested(uint256 jobId, IJobMarket.JobTerms calldata terms)
        private
        view
        returns (IJobMarket.Job memory job)
    {
        job = jobMarket.getJob(jobId);
        // The market's own definition (IJobMarket.hashTerms), computed here to save a call.
        if (job.termsHash == bytes32(0) || keccak256(abi.encode(terms)) != job.termsHash) {
            revert DataDeliveryTermsMismatch(jobId);
        }
        if (job.status != JobStatus.Attested || terms.parties != 1) revert DataDeliveryInvalidStatus(jobId, job.status);
        address pinned = address(jobMarket.configOf(terms.configId).dataDelivery);
        if (pinned != address(this)) revert DataDeliveryNotPinned(jobId, pinned);
    }

    function _hashBlobs(bytes32[] calldata blobIds, uint64[] calldata sizes)
        private
        pure
        returns (bytes32 dataHash, uint64 totalSize)
    {
        uint256 count = blobIds.length;
        if (count == 0 || count > MAX_BLOBS || sizes.length != count) revert DataDeliveryInvalidBlobs(count, sizes.length);
        uint256 total;
        for (uint256 i; i < count; ++i) {
            if (blobIds[i] == bytes32(0) || sizes[i] == 0) revert DataDeliveryInvalidBlobs(count, sizes.length);
            total += sizes[i];
        }
        // At most 64 sizes below 2^64 each: the sum fits in 71 bits; saturate to 64 for storage.
        totalSize = total > type(uint64).max ? type(uint64).max : uint64(total);
        dataHash = keccak256(abi.encode(blobIds, sizes));
    }
}
