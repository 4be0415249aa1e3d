// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {FailureReason, JobStatus} from "../types/JobStatus.sol";
import {IJobMarket} from "./IJobMarket.sol";

/// @title IMultiPartyCoordinator
/// @notice The on-chain record of a multi-party job (threshold Paillier, MISSION.md §4): each data
///         party's encrypted-update hash, the aggregate ciphertext's hash with the set of updates it
///         includes (vouched for by the attested enclave), each committee member's decryption-share
///         hash, and the committee's bonds. The {IJobMarket} settles a multi-party job only once
///         {quorumReached}, and asks {committeeFault} who missed a deadline. Committee members who
///         fail the job are slashed here, never the provider (docs/MULTIPARTY.md, "Bonds").
/// @dev A job's {MultiPartySpec} is committed to by `terms.committeeHash = keccak256(abi.encode(spec))`
///      and passed as calldata with every call, like the terms (which are checked against the
///      market's stored terms hash). Windows, inclusive of their last second:
///      bonds while the job is Open and `now < terms.bidDeadline`; updates while Attested and
///      `now ≤ updateDeadline`; the aggregate by the job's provider once `now > updateDeadline` (or
///      every party has submitted) and `now ≤ aggregateDeadline`; shares once the aggregate is
///      recorded and `now ≤ shareDeadline`. Recorded hashes are `keccak256` of the bytes they stand
///      for (`sdk/multiParty.ts`, `verifyRecordedHash`).
interface IMultiPartyCoordinator {
    /// @notice Who takes part in a multi-party job, its deadlines and the committee's bond.
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
    /// @param memberBond Bond each member deposits in the job's asset before the bid deadline
    ///        ({depositBond}); zero = no bonds. With bonds, only bonded members may share, and they
    ///        publish their shares on-chain ({publishShare}) so that no share can be withheld.
    struct MultiPartySpec {
        address[] dataParties;
        address[] committee;
        bytes32[] committeeKeys;
        uint64 updateDeadline;
        uint64 aggregateDeadline;
        uint64 shareDeadline;
        uint96 memberBond;
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
    /// @notice Thrown when the aggregate's or a committee statement's signature is not by the job's
    ///         attested enclave signer.
    error MultiPartyEnclaveSignatureInvalid(address recovered, address signer);

    // ----- errors: bonds and faults -----
    /// @notice Thrown when a bond call is made for a job whose spec requires no bond.
    error MultiPartyBondsNotRequired(uint256 jobId);
    /// @notice Thrown when the job's market config names another coordinator.
    error MultiPartyWrongCoordinator(address coordinator);
    /// @notice Thrown when a member deposits its bond a second time.
    error MultiPartyBondAlreadyDeposited(uint256 jobId, uint256 memberIndex);
    /// @notice Thrown when the ETH sent is not the bond (or is not zero for a token bond).
    error MultiPartyWrongBondValue(uint256 sent, uint256 expected);
    /// @notice Thrown when a member without a bond records a share of a job that requires bonds.
    error MultiPartyBondMissing(uint256 jobId, uint256 memberIndex);
    /// @notice Thrown when a share of a bonded job is recorded by hash only: it must be published.
    error MultiPartySharePublicationRequired(uint256 jobId);
    /// @notice Thrown when missing shares are reported while members may still share.
    error MultiPartyShareWindowOpen(uint64 shareDeadline);
    /// @notice Thrown when missing shares are reported although the recorded shares reached t.
    error MultiPartyQuorumReached(uint256 jobId);
    /// @notice Thrown when missing shares are reported a second time.
    error MultiPartyMissingSharesAlreadyReported(uint256 jobId);
    /// @notice Thrown when the members named bad are none, or include one who recorded no share.
    error MultiPartyBadMembersNotRecorded(uint256 badMembers, uint256 shareMask);
    /// @notice Thrown when bad shares are reported while t valid shares can still be had: the
    ///         recorded shares not named bad plus the members who may still share reach t.
    error MultiPartyValidQuorumPossible(uint256 validShares, uint256 openMembers, uint8 threshold);
    /// @notice Thrown when bonds are settled before the job reached a final status.
    error MultiPartyJobNotFinished(uint256 jobId, JobStatus status);
    /// @notice Thrown when a defaulted job's bonds are settled while bad shares may still be
    ///         reported (until its delivery deadline).
    error MultiPartyReportWindowOpen(uint64 deliveryDeadline);
    /// @notice Thrown when the bonds of a job are settled a second time.
    error MultiPartyBondsAlreadySettled(uint256 jobId);
    /// @notice Thrown when withdrawing with nothing owed in the asset.
    error MultiPartyNothingOwed(address account, address asset);

    /// @notice Emitted when a data party's encrypted update is recorded.
    event UpdateRecorded(uint256 indexed jobId, uint256 indexed partyIndex, address party, bytes32 updateHash);
    /// @notice Emitted when the aggregate ciphertext is recorded; bit i of `includedMask` is party i.
    event AggregateRecorded(uint256 indexed jobId, bytes32 aggregateHash, uint256 includedMask);
    /// @notice Emitted when a committee member's decryption share is recorded.
    event ShareRecorded(uint256 indexed jobId, uint256 indexed memberIndex, address member, bytes32 shareHash);
    /// @notice Emitted with the share that brings the recorded shares to the threshold.
    event QuorumReached(uint256 indexed jobId, uint256 shareMask);
    /// @notice Emitted when a share is published: `share` is the bytes whose keccak256 is recorded.
    event SharePublished(uint256 indexed jobId, uint256 indexed memberIndex, bytes share);
    /// @notice Emitted when a committee member deposits its bond.
    event BondDeposited(uint256 indexed jobId, uint256 indexed memberIndex, address member, uint256 amount);
    /// @notice Emitted when members are found at fault: `CommitteeDeadlineMissed` (no share while the
    ///         quorum failed) or `CommitteeBadShares` (named by the attested combiner).
    /// @param faultyMembers All members at fault so far (bit i = member i).
    event CommitteeFaultRecorded(uint256 indexed jobId, FailureReason reason, uint256 faultyMembers);
    /// @notice Emitted when a finished job's bonds are settled: returned bonds and the provider's and
    ///         treasury's parts of the forfeited ones are credited to {owed}.
    event BondsSettled(
        uint256 indexed jobId, uint256 returnedMembers, uint256 forfeitedMembers, uint256 toProvider, uint256 toTreasury
    );
    /// @notice Emitted when an amount is credited to an account's {owed} balance.
    event PaymentOwed(address indexed account, address indexed asset, uint256 amount);
    /// @notice Emitted when an account withdraws what it is owed.
    event OwedWithdrawn(address indexed account, address indexed asset, address to, uint256 amount);

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
    ///         recorded an update: a party that dropped out is left out. The attested enclave vouches
    ///         that the hash is that of the product of the included updates, so a provider cannot
    ///         record a bogus aggregate that honest members would refuse to decrypt (and then be
    ///         blamed for not sharing).
    /// @dev Emits an {AggregateRecorded} event.
    /// @param aggregateHash `keccak256` of the aggregate ciphertext (the product of the included updates).
    /// @param includedMask Bit i set = party i's update is included.
    /// @param enclaveSignature The job's enclave signer's EIP-712 signature of
    ///        `MultiPartyAggregate(jobId, aggregateHash, includedMask)` in this contract's domain.
    function recordAggregate(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        MultiPartySpec calldata spec,
        bytes32 aggregateHash,
        uint256 includedMask,
        bytes calldata enclaveSignature
    ) external;

    /// @notice Records committee member `memberIndex`'s decryption-share hash. Only that member,
    ///         once, while the job is Attested, after the aggregate and `now ≤ spec.shareDeadline`.
    ///         Shares beyond the threshold are accepted (a share the off-chain proof check rejects
    ///         can then be replaced by another member's). Jobs without bonds only: a bonded job's
    ///         shares are published ({publishShare}).
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

    /// @notice Records member `memberIndex`'s decryption share by its bytes: the same rules as
    ///         {recordShare} plus, when the spec requires bonds, a deposited bond. The bytes are in the
    ///         transaction and the {SharePublished} event, so the share is available to the combiner
    ///         whatever the member does afterwards: withheld bytes cannot stall a bonded job.
    /// @dev Emits {ShareRecorded} and {SharePublished} events, and {QuorumReached} with the
    ///      threshold-th share.
    /// @param share The decryption share blob with its proof; its `keccak256` is recorded.
    function publishShare(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        MultiPartySpec calldata spec,
        uint256 memberIndex,
        bytes calldata share
    ) external;

    /// @notice Deposits committee member `memberIndex`'s bond of `spec.memberBond` in the job's
    ///         asset (ETH as `msg.value`, or the stake token by `transferFrom` after an approval).
    ///         Only that member, once, while the job is Open and `now < terms.bidDeadline`: the
    ///         committee's bonds are fixed before the provider is bound by its bid. The bond is locked
    ///         until the job is final, then returned or forfeited by {settleBonds}.
    /// @dev Emits a {BondDeposited} event.
    function depositBond(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        MultiPartySpec calldata spec,
        uint256 memberIndex
    ) external payable;

    /// @notice Records that the committee missed its window: once the share deadline has passed with
    ///         the aggregate recorded, fewer than t shares and the job still Attested, every member
    ///         without a recorded share is at fault (the market will default the job as
    ///         `CommitteeDeadlineMissed`). Anyone may call it, once, while the job is Attested.
    /// @dev Emits a {CommitteeFaultRecorded} event.
    function reportMissingShares(uint256 jobId, IJobMarket.JobTerms calldata terms, MultiPartySpec calldata spec)
        external;

    /// @notice Records the attested combiner's finding that the shares of `badMembers` fail their
    ///         Chaum–Pedersen proofs. While the job is Attested it also relays the combiner's
    ///         `JobFailure(CommitteeBadShares)` statement to {IJobMarket-submitFailure} in the same
    ///         transaction (the job becomes BuyerDefaulted; the cancellation fee is credited to the
    ///         provider's {IJobMarket-owed}), and once the share window is over the members without a
    ///         share are at fault too. On a job already BuyerDefaulted (the `JobFailure` reached the
    ///         market another way, e.g. copied out of this call by a front-runner) it records the
    ///         named members only, until the job's delivery deadline. Accepted only when `badMembers`
    ///         recorded shares and no t valid shares can be had any more:
    ///         `(recorded − bad) + (members who may still share) < t`. Anyone may relay it.
    /// @dev Emits a {CommitteeFaultRecorded} event, then (Attested) the market's {IJobMarket-JobDefaulted}.
    /// @param badMembers Bit i = member i's recorded share failed its proof.
    /// @param committeeSignature The enclave signer's EIP-712 signature, in this contract's domain, of
    ///        `CommitteeBadShares(jobId, aggregateHash, badMembers, badShareHashes)` with the recorded
    ///        share hashes of `badMembers` in index order: it binds the very bytes the combiner judged.
    /// @param failureSignature The enclave signer's `JobFailure(jobId, CommitteeBadShares,
    ///        aggregateHash, badMembers)` signature for the market (ignored once the job has ended).
    function reportBadShares(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        MultiPartySpec calldata spec,
        uint256 badMembers,
        bytes calldata committeeSignature,
        bytes calldata failureSignature
    ) external;

    /// @notice Settles the bonds of a job in a final status (`statusOf ≥ Completed`; a BuyerDefaulted
    ///         job only after its delivery deadline, while bad shares may still be reported): bonds of members
    ///         found at fault are forfeited, the provider's part being the job config's injured-party
    ///         share (`slashBuyerShareBps`, rounded up) and the rest the provider registry's
    ///         treasury's; every other bond is returned. Everything is credited to {owed}. Anyone, once.
    /// @dev Emits a {BondsSettled} event and a {PaymentOwed} event per credit.
    function settleBonds(uint256 jobId, IJobMarket.JobTerms calldata terms, MultiPartySpec calldata spec) external;

    /// @notice Sends everything owed to the caller in `asset` (ETH: `address(0)`) to `to`.
    /// @dev Emits an {OwedWithdrawn} event.
    function withdrawOwed(address asset, address to) external;

    /// @notice The market this coordinator serves.
    function jobMarket() external view returns (IJobMarket);

    /// @notice What `account` can withdraw in `asset`: returned bonds and forfeited bonds' parts.
    function owed(address asset, address account) external view returns (uint256);

    /// @notice The committee's bonds and faults of a job.
    /// @return bondedMembers Bit i set = member i deposited its bond.
    /// @return faultyMembers Bit i set = member i was found at fault.
    /// @return settled Whether {settleBonds} has run.
    function bondsOf(uint256 jobId) external view returns (uint256 bondedMembers, uint256 faultyMembers, bool settled);

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
