// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {JobStatus} from "../types/JobStatus.sol";
import {IJobMarket} from "./IJobMarket.sol";

/// @title IMultiPartyCoordinator
/// @notice The on-chain record of a multi-party job (threshold Paillier, MISSION.md §4): each data
///         party's encrypted-update hash, the aggregate ciphertext's hash with the set of updates it
///         includes, and each committee member's decryption-share hash. The {IJobMarket} settles a
///         multi-party job only once {quorumReached}, and asks {committeeFault} who missed a deadline.
/// @dev A job's {MultiPartySpec} is committed to by `terms.committeeHash = keccak256(abi.encode(spec))`
///      and passed as calldata with every call, like the terms (which are checked against the
///      market's stored terms hash). Windows, inclusive of their last second:
///      updates while Attested and `now ≤ updateDeadline`; the aggregate by the job's provider once
///      `now > updateDeadline` (or every party has submitted) and `now ≤ aggregateDeadline`; shares
///      once the aggregate is recorded and `now ≤ shareDeadline`. Recorded hashes are `keccak256` of
///      the bytes they stand for (`sdk/multiParty.ts`, `verifyRecordedHash`).
interface IMultiPartyCoordinator {
    /// @notice Who takes part in a multi-party job, and its deadlines.
    /// @param dataParties The data parties, in index order; `terms.parties` of them, distinct, non-zero.
    /// @param committee The decryption committee, in index order; `terms.committeeSize` members,
    ///        distinct, non-zero (a member may also be a data party).
    /// @param committeeKeys Each member's X25519 public key, to which the enclave (the trusted dealer)
    ///        encrypts that member's Paillier key share; non-zero.
    /// @param updateDeadline Last second for data parties' updates; after the attestation deadline.
    /// @param aggregateDeadline Last second for the provider's aggregate; after `updateDeadline`.
    /// @param shareDeadline Last second for decryption shares; after `aggregateDeadline` and before
    ///        the job's delivery deadline (so the committee always has
    ///        `(aggregateDeadline, shareDeadline]` and the provider `(shareDeadline, delivery]`).
    struct MultiPartySpec {
        address[] dataParties;
        address[] committee;
        bytes32[] committeeKeys;
        uint64 updateDeadline;
        uint64 aggregateDeadline;
        uint64 shareDeadline;
    }

    // ----- errors: job and spec -----
    /// @notice Thrown when a market address given to the constructor is zero.
    error MultiPartyZeroAddress();
    /// @notice Thrown when a job id does not exist in the market.
    error MultiPartyUnknownJob(uint256 jobId);
    /// @notice Thrown when the terms passed do not hash to the job's stored terms hash.
    error MultiPartyTermsMismatch(uint256 jobId, bytes32 expected, bytes32 actual);
    /// @notice Thrown when acting on a single-party job.
    error MultiPartySingleParty(uint256 jobId);
    /// @notice Thrown when the spec passed does not hash to the job's committee hash.
    error MultiPartySpecMismatch(bytes32 expected, bytes32 actual);
    /// @notice Thrown when the spec lists another number of data parties than the terms.
    error MultiPartyPartyCountMismatch(uint256 dataParties, uint8 parties);
    /// @notice Thrown when the committee or its keys do not have the terms' committee size.
    error MultiPartyCommitteeSizeMismatch(uint256 committee, uint256 committeeKeys, uint8 committeeSize);
    /// @notice Thrown when a data party or committee member is the zero address.
    error MultiPartyZeroAccount(uint256 index);
    /// @notice Thrown when an account appears twice among the data parties or among the committee.
    error MultiPartyDuplicateAccount(address account);
    /// @notice Thrown when a committee member's key is zero.
    error MultiPartyEmptyCommitteeKey(uint256 memberIndex);
    /// @notice Thrown when the deadlines are not `attest < update < aggregate < share < delivery`.
    error MultiPartyDeadlinesOutOfOrder(
        uint64 attestDeadline, uint64 updateDeadline, uint64 aggregateDeadline, uint64 shareDeadline, uint64 deliveryDeadline
    );

    // ----- errors: records -----
    /// @notice Thrown when the job is not Attested.
    error MultiPartyInvalidStatus(uint256 jobId, JobStatus status);
    /// @notice Thrown when a party or member index is not below the count.
    error MultiPartyIndexOutOfRange(uint256 index, uint256 count);
    /// @notice Thrown when the caller is not the data party at the index given.
    error MultiPartyNotDataParty(address caller, address party);
    /// @notice Thrown when the caller is not the committee member at the index given.
    error MultiPartyNotCommitteeMember(address caller, address member);
    /// @notice Thrown when the caller is not the job's provider.
    error MultiPartyNotProvider(address caller, address provider);
    /// @notice Thrown when a recorded hash is zero.
    error MultiPartyEmptyHash();
    /// @notice Thrown when a window's last second has passed.
    error MultiPartyDeadlinePassed(uint64 deadline);
    /// @notice Thrown when the aggregate comes while updates may still arrive.
    error MultiPartyUpdateWindowOpen(uint64 updateDeadline);
    /// @notice Thrown when a party records a second update.
    error MultiPartyUpdateAlreadyRecorded(uint256 jobId, uint256 partyIndex);
    /// @notice Thrown when the aggregate is recorded a second time.
    error MultiPartyAggregateAlreadyRecorded(uint256 jobId);
    /// @notice Thrown when no update was recorded, so there is nothing to aggregate.
    error MultiPartyNoUpdates(uint256 jobId);
    /// @notice Thrown when the aggregate's included set is not exactly the parties that recorded an update.
    error MultiPartyIncludedMaskMismatch(uint256 includedMask, uint256 recordedMask);
    /// @notice Thrown when a share comes before the aggregate.
    error MultiPartyAggregateNotRecorded(uint256 jobId);
    /// @notice Thrown when a member records a second share.
    error MultiPartyShareAlreadyRecorded(uint256 jobId, uint256 memberIndex);

    /// @notice Emitted when a data party's encrypted update is recorded.
    event UpdateRecorded(uint256 indexed jobId, uint256 indexed partyIndex, address party, bytes32 updateHash);
    /// @notice Emitted when the aggregate ciphertext is recorded; bit i of `includedMask` is party i.
    event AggregateRecorded(uint256 indexed jobId, bytes32 aggregateHash, uint256 includedMask);
    /// @notice Emitted when a committee member's decryption share is recorded.
    event ShareRecorded(uint256 indexed jobId, uint256 indexed memberIndex, address member, bytes32 shareHash);
    /// @notice Emitted with the share that brings the recorded shares to the threshold.
    event QuorumReached(uint256 indexed jobId, uint256 shareMask);

    /// @notice Records data party `partyIndex`'s encrypted-update hash. Only that party, once, while
    ///         the job is Attested and `now ≤ spec.updateDeadline`.
    /// @dev Emits an {UpdateRecorded} event.
    /// @param jobId The job.
    /// @param terms The job's terms.
    /// @param spec The job's multi-party spec.
    /// @param partyIndex The caller's index in `spec.dataParties`.
    /// @param updateHash `keccak256` of the party's update ciphertext.
    function recordUpdate(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        MultiPartySpec calldata spec,
        uint256 partyIndex,
        bytes32 updateHash
    ) external;

    /// @notice Records the aggregate ciphertext's hash. Only the job's provider, once, while the job
    ///         is Attested, after the update window (or once every party submitted) and
    ///         `now ≤ spec.aggregateDeadline`. `includedMask` must be exactly the set of parties that
    ///         recorded an update: a party that dropped out is left out.
    /// @dev Emits an {AggregateRecorded} event.
    /// @param aggregateHash `keccak256` of the aggregate ciphertext (the product of the included updates).
    /// @param includedMask Bit i set = party i's update is included.
    function recordAggregate(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        MultiPartySpec calldata spec,
        bytes32 aggregateHash,
        uint256 includedMask
    ) external;

    /// @notice Records committee member `memberIndex`'s decryption-share hash. Only that member,
    ///         once, while the job is Attested, after the aggregate and `now ≤ spec.shareDeadline`.
    ///         Shares beyond the threshold are accepted (a share the off-chain proof check rejects
    ///         can then be replaced by another member's).
    /// @dev Emits a {ShareRecorded} event, and {QuorumReached} with the threshold-th share.
    /// @param memberIndex The caller's index in `spec.committee`.
    /// @param shareHash `keccak256` of the decryption share with its proof of correctness.
    function recordShare(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        MultiPartySpec calldata spec,
        uint256 memberIndex,
        bytes32 shareHash
    ) external;

    /// @notice The market this coordinator serves.
    function jobMarket() external view returns (IJobMarket);

    /// @notice Whether at least `terms.threshold` decryption shares of the aggregate are recorded.
    function quorumReached(uint256 jobId) external view returns (bool);

    /// @notice Whether the aggregate is recorded.
    function aggregateRecorded(uint256 jobId) external view returns (bool);

    /// @notice Whether the committee, not the provider, is to blame for a missed delivery: the
    ///         aggregate was recorded but fewer than the threshold of shares were. The market asks
    ///         this only after the delivery deadline, which is after the share deadline.
    /// @return atFault True when the aggregate is recorded and the quorum is not reached.
    /// @return missingMembers Bit i set = committee member i recorded no share.
    function committeeFault(uint256 jobId) external view returns (bool atFault, uint256 missingMembers);

    /// @notice Party `partyIndex`'s recorded update hash (zero if none).
    function updateHashOf(uint256 jobId, uint256 partyIndex) external view returns (bytes32);

    /// @notice Member `memberIndex`'s recorded share hash (zero if none).
    function shareHashOf(uint256 jobId, uint256 memberIndex) external view returns (bytes32);

    /// @notice The recorded aggregate hash (zero if none).
    function aggregateHashOf(uint256 jobId) external view returns (bytes32);

    /// @notice Counts and bit sets of the job's records.
    /// @return updateCount Updates recorded.
    /// @return updateMask Bit i set = party i recorded an update (once the aggregate is recorded,
    ///         also the set it includes).
    /// @return shareCount Shares recorded.
    /// @return shareMask Bit i set = member i recorded a share.
    function recordsOf(uint256 jobId)
        external
        view
        returns (uint256 updateCount, uint256 updateMask, uint256 shareCount, uint256 shareMask);

    /// @notice Checks a spec against the job terms with the rules every record call applies, reverting
    ///         with the first violation. Providers call it before bidding on a multi-party job: a job
    ///         whose spec fails cannot progress, and its provider would be slashed at the deadline.
    function checkSpec(IJobMarket.JobTerms calldata terms, MultiPartySpec calldata spec) external pure;

    /// @notice `keccak256(abi.encode(spec))`: the committee hash a job carrying this spec must have.
    function hashSpec(MultiPartySpec calldata spec) external pure returns (bytes32);
}
