// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {JobStatus} from "../types/JobStatus.sol";
import {IJobMarket} from "./IJobMarket.sol";

/// @title IDataDelivery
/// @notice The on-chain record of a single-party job's data delivery and the rule that settles its
///         availability (docs/OUTCOMES.md). The buyer's owner key records which ciphertext blobs it
///         delivered before the job's data deadline; from then on "the data never arrived" is not a
///         matter of either side's word. A host can cut its own enclave off the network, so the
///         provider may **challenge** the recorded blobs' availability once: anyone (the buyer, a
///         relayer) must then serve every recorded blob as calldata within the availability window,
///         which puts the bytes in the chain's history where the enclave can read them (checked
///         against the recorded SHA-256 content addresses and sizes). An answered challenge moves
///         the job's delivery deadline by the challenge's duration. A lapsed one ends the job as a
///         buyer-side default (`DataUnavailable`) when the delivery is at most {maxServableBytes}
///         (serving it was cheap), and releases the job without fault above that size: serving
///         megabytes as calldata is no reasonable demand, and a provider must not be able to win a
///         cancellation fee by challenging data it could fetch.
/// @dev Holds no funds and has no admin; the market reads {deliveryStatus}. It is pinned per job by
///      the market config (`IJobMarket.MarketConfig.dataDelivery`). Serving costs calldata gas
///      proportional to the data (16 gas per non-zero byte on L1): practical on rollups and for
///      small datasets; larger datasets should use EIP-4844 blobs as the availability layer (not
///      built yet).
interface IDataDelivery {
    /// @notice Where a job's delivery stands.
    enum DeliveryStatus {
        None,
        Recorded,
        Challenged,
        Answered
    }

    /// @notice The record of one job's delivery.
    /// @param dataHash `keccak256(abi.encode(blobIds, sizes))`.
    /// @param challengedAt When the provider challenged availability (0: never).
    /// @param answeredAt When the last challenged blob was served (0: not answered).
    /// @param servedMask Bit i = blob i was served under the challenge.
    /// @param blobCount Number of blobs (at most {maxBlobs}).
    /// @param totalSize Sum of the blob sizes in bytes (saturated at 2^64 − 1).
    struct Delivery {
        bytes32 dataHash;
        uint64 challengedAt;
        uint64 answeredAt;
        uint64 servedMask;
        uint8 blobCount;
        uint64 totalSize;
    }

    /// @notice Thrown when a market address given to the constructor is zero or the window is out of range.
    error DataDeliveryInvalidSetup();
    /// @notice Thrown when the terms passed do not hash to the market's stored terms hash.
    error DataDeliveryTermsMismatch(uint256 jobId);
    /// @notice Thrown when the job is not an Attested single-party job.
    error DataDeliveryInvalidStatus(uint256 jobId, JobStatus status);
    /// @notice Thrown when the job names another data-delivery contract in its config.
    error DataDeliveryNotPinned(uint256 jobId, address pinned);
    /// @notice Thrown when the owner key's signature has expired.
    error DataDeliverySignatureExpired(uint256 deadline);
    /// @notice Thrown when the record is not signed by the job's owner key.
    error DataDeliveryInvalidSignature(address recovered, address ownerKey);
    /// @notice Thrown after the job's data deadline.
    error DataDeliveryDeadlinePassed(uint64 deadline);
    /// @notice Thrown when the delivery was already recorded.
    error DataDeliveryAlreadyRecorded(uint256 jobId);
    /// @notice Thrown when an action needs a recorded delivery and there is none.
    error DataDeliveryNotRecorded(uint256 jobId);
    /// @notice Thrown when a delivery lists no blobs, too many, a zero id or size, or lengths differ.
    error DataDeliveryInvalidBlobs(uint256 blobs, uint256 sizes);
    /// @notice Thrown when the blob list passed does not hash to the recorded delivery.
    error DataDeliveryMismatch(bytes32 recorded, bytes32 given);
    /// @notice Thrown when someone other than the job's provider challenges.
    error DataDeliveryNotProvider(address caller, address provider);
    /// @notice Thrown when the delivery was already challenged (one challenge per job).
    error DataDeliveryAlreadyChallenged(uint256 jobId);
    /// @notice Thrown when serving data for a delivery without a running challenge.
    error DataDeliveryNotChallenged(uint256 jobId);
    /// @notice Thrown when a challenge is answered after its window.
    error DataDeliveryChallengeLapsed(uint64 respondBy);
    /// @notice Thrown when served bytes do not match the recorded blob (SHA-256 and size).
    error DataDeliveryBlobMismatch(uint256 index, bytes32 expectedId, bytes32 actualId);

    /// @notice Emitted when the owner key records the data delivery.
    event DeliveryRecorded(uint256 indexed jobId, bytes32 dataHash, bytes32[] blobIds, uint64[] sizes);
    /// @notice Emitted when the provider challenges the recorded blobs' availability.
    event DeliveryChallenged(uint256 indexed jobId, uint64 respondBy);
    /// @notice Emitted when a challenged blob is served on-chain (its bytes are this call's calldata).
    event BlobServed(uint256 indexed jobId, uint256 index, bytes32 blobId);
    /// @notice Emitted when every challenged blob was served; the job's delivery deadline moves by
    ///         `extension` seconds.
    event ChallengeAnswered(uint256 indexed jobId, uint64 extension);

    /// @notice Records the buyer's data delivery by owner-key signature (relayable): the blobs the
    ///         enclave must read. Only while the job is Attested and by `terms.dataDeadline`; once.
    /// @dev Emits {DeliveryRecorded}.
    /// @param blobIds SHA-256 of each ciphertext blob (the blob store's content address).
    /// @param sizes Each blob's size in bytes.
    /// @param signatureDeadline Last second the signature is valid.
    /// @param signature The owner key's EIP-712 signature (this contract's domain) of
    ///        `RecordDelivery(jobId, keccak256(abi.encode(blobIds, sizes)), deadline)`; one record
    ///        per job, so it needs no nonce.
    function recordDelivery(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        bytes32[] calldata blobIds,
        uint64[] calldata sizes,
        uint256 signatureDeadline,
        bytes calldata signature
    ) external;

    /// @notice The provider states that the recorded blobs are unavailable: every blob must be served
    ///         within {availabilityWindow}. Once per job, while Attested and before the delivery deadline.
    /// @dev Emits {DeliveryChallenged}.
    function challengeDelivery(uint256 jobId, IJobMarket.JobTerms calldata terms) external;

    /// @notice Serves one challenged blob as calldata; callable by anyone.
    /// @dev Emits {BlobServed} (and {ChallengeAnswered} for the last one).
    function serveData(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        bytes32[] calldata blobIds,
        uint64[] calldata sizes,
        uint256 index,
        bytes calldata data
    ) external;

    /// @notice The job's delivery as the market settles it.
    /// @return status Where the delivery stands.
    /// @return dataHash The recorded data hash (zero if none).
    /// @return respondBy While Challenged: the last second to answer.
    /// @return extension Seconds the delivery deadline moved by an answered challenge.
    function deliveryStatus(uint256 jobId)
        external
        view
        returns (DeliveryStatus status, bytes32 dataHash, uint64 respondBy, uint64 extension);

    /// @notice Whether the job's recorded delivery is small enough (≤ {maxServableBytes}) that a lapsed
    ///         challenge is the buyer's fault.
    function isServable(uint256 jobId) external view returns (bool);

    /// @notice The job's delivery record.
    function deliveryOf(uint256 jobId) external view returns (Delivery memory);

    /// @notice The market whose jobs this contract records.
    function jobMarket() external view returns (IJobMarket);

    /// @notice Seconds the buyer's side has to answer a challenge.
    function availabilityWindow() external view returns (uint64);

    /// @notice Largest delivery (bytes) whose unanswered challenge is a buyer-side default.
    function maxServableBytes() external view returns (uint64);

    /// @notice Most blobs one delivery may list.
    function maxBlobs() external pure returns (uint256);
}
