// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IMultiPartyCoordinator} from "./interfaces/IMultiPartyCoordinator.sol";
import {ITrainingVerifier} from "./interfaces/ITrainingVerifier.sol";
import {JobStatus} from "./types/JobStatus.sol";

/// @title MultiPartyCoordinator
/// @notice The hashes a multi-party job leaves on-chain: data parties' encrypted updates, the
///         aggregate and the committee's decryption shares. See {IMultiPartyCoordinator} and
///         docs/MULTIPARTY.md.
/// @dev Kept out of the JobMarket (bytecode size, and single-party gas stays untouched). It holds no
///      funds and has no admin; the market reads {quorumReached} and {committeeFault}. Everything a
///      call needs about the job comes from the market (`getJob`) or from calldata checked against
///      hashes the market stores (terms) or the terms carry (spec).
///      It is also the training verifier of multi-party jobs ({verifyTraining}): their adapter is the
///      committee's decrypted aggregate applied to C0 by the attested enclave, which signs that
///      result. This is trust in the attested enclave, not a zero-knowledge proof: the Groth16
///      statement covers single-party SGD only (docs/MULTIPARTY.md, "Settlement").
contract MultiPartyCoordinator is IMultiPartyCoordinator, ITrainingVerifier, EIP712 {
    /// @notice EIP-712 type of the enclave's statement that settles a multi-party job.
    bytes32 public constant MULTI_PARTY_RESULT_TYPEHASH =
        keccak256("MultiPartyResult(uint256 jobId,bytes32 specHash,bytes32 aggregateHash,bytes32 modelCommitment)");

    /// @dev The records of one job. `threshold` and `committeeSize` are copied from the terms by the
    ///      first record call (always an update: the aggregate needs one, shares need the aggregate),
    ///      which also checks the spec's structure once (`specChecked`); later calls check its hash.
    struct Round {
        uint256 updateMask;
        uint256 shareMask;
        bytes32 aggregateHash;
        uint8 updateCount;
        uint8 shareCount;
        uint8 threshold;
        uint8 committeeSize;
        bool specChecked;
    }

    /// @inheritdoc IMultiPartyCoordinator
    IJobMarket public immutable jobMarket;

    mapping(uint256 jobId => Round) private _rounds;
    mapping(uint256 jobId => mapping(uint256 partyIndex => bytes32)) private _updateHashes;
    mapping(uint256 jobId => mapping(uint256 memberIndex => bytes32)) private _shareHashes;

    /// @param jobMarket_ The market whose multi-party jobs this coordinator records.
    constructor(IJobMarket jobMarket_) EIP712("BlindTraining MultiParty", "1") {
        if (address(jobMarket_) == address(0)) revert MultiPartyZeroAddress();
        jobMarket = jobMarket_;
    }

    // ----- settlement -----

    /// @notice Whether `proof` is the job's attested enclave signing (EIP-712, {MULTI_PARTY_RESULT_TYPEHASH})
    ///         that `claim.modelCommitment` is C0 plus the average of the recorded aggregate's
    ///         decryption. The market asks this for multi-party jobs, after checking the quorum.
    /// @dev Never reverts on a bad proof (the market then fails the job as for a rejected proof).
    function verifyTraining(TrainingClaim calldata claim, bytes calldata proof) external view returns (bool valid) {
        if (claim.market != address(jobMarket) || claim.chainId != block.chainid) return false;
        bytes32 aggregateHash = _rounds[claim.jobId].aggregateHash;
        if (aggregateHash == bytes32(0)) return false;
        address enclaveSigner = jobMarket.getJob(claim.jobId).enclaveSigner;
        bytes32 digest = _hashTypedDataV4(
            keccak256(
                abi.encode(
                    MULTI_PARTY_RESULT_TYPEHASH, claim.jobId, claim.specHash, aggregateHash, claim.modelCommitment
                )
            )
        );
        (address recovered, ECDSA.RecoverError recoverError,) = ECDSA.tryRecover(digest, proof);
        return recoverError == ECDSA.RecoverError.NoError && recovered != address(0) && recovered == enclaveSigner;
    }

    // ----- records -----

    /// @inheritdoc IMultiPartyCoordinator
    function recordUpdate(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        MultiPartySpec calldata spec,
        uint256 partyIndex,
        bytes32 updateHash
    ) external {
        (, Round storage round) = _loadAttested(jobId, terms, spec);
        if (block.timestamp > spec.updateDeadline) revert MultiPartyDeadlinePassed(spec.updateDeadline);
        uint256 count = spec.dataParties.length;
        if (partyIndex >= count) revert MultiPartyIndexOutOfRange(partyIndex, count);
        address party = spec.dataParties[partyIndex];
        if (msg.sender != party) revert MultiPartyNotDataParty(msg.sender, party);
        if (updateHash == bytes32(0)) revert MultiPartyEmptyHash();
        uint256 bit = uint256(1) << partyIndex; // partyIndex < parties ≤ 255
        uint256 mask = round.updateMask;
        if (mask & bit != 0) revert MultiPartyUpdateAlreadyRecorded(jobId, partyIndex);

        round.updateMask = mask | bit;
        // At most one update per party, and parties ≤ 255: the count fits in uint8.
        unchecked {
            ++round.updateCount;
        }
        _updateHashes[jobId][partyIndex] = updateHash;
        emit UpdateRecorded(jobId, partyIndex, msg.sender, updateHash);
    }

    /// @inheritdoc IMultiPartyCoordinator
    function recordAggregate(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        MultiPartySpec calldata spec,
        bytes32 aggregateHash,
        uint256 includedMask
    ) external {
        (IJobMarket.Job memory job, Round storage round) = _loadAttested(jobId, terms, spec);
        if (msg.sender != job.provider) revert MultiPartyNotProvider(msg.sender, job.provider);
        if (aggregateHash == bytes32(0)) revert MultiPartyEmptyHash();
        if (round.aggregateHash != bytes32(0)) revert MultiPartyAggregateAlreadyRecorded(jobId);
        if (block.timestamp <= spec.updateDeadline && round.updateCount < spec.dataParties.length) {
            revert MultiPartyUpdateWindowOpen(spec.updateDeadline);
        }
        if (block.timestamp > spec.aggregateDeadline) revert MultiPartyDeadlinePassed(spec.aggregateDeadline);
        uint256 recorded = round.updateMask;
        if (recorded == 0) revert MultiPartyNoUpdates(jobId);
        if (includedMask != recorded) revert MultiPartyIncludedMaskMismatch(includedMask, recorded);

        round.aggregateHash = aggregateHash;
        emit AggregateRecorded(jobId, aggregateHash, includedMask);
    }

    /// @inheritdoc IMultiPartyCoordinator
    function recordShare(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        MultiPartySpec calldata spec,
        uint256 memberIndex,
        bytes32 shareHash
    ) external {
        (, Round storage round) = _loadAttested(jobId, terms, spec);
        if (block.timestamp > spec.shareDeadline) revert MultiPartyDeadlinePassed(spec.shareDeadline);
        uint256 count = spec.committee.length;
        if (memberIndex >= count) revert MultiPartyIndexOutOfRange(memberIndex, count);
        address member = spec.committee[memberIndex];
        if (msg.sender != member) revert MultiPartyNotCommitteeMember(msg.sender, member);
        if (shareHash == bytes32(0)) revert MultiPartyEmptyHash();
        if (round.aggregateHash == bytes32(0)) revert MultiPartyAggregateNotRecorded(jobId);
        uint256 bit = uint256(1) << memberIndex; // memberIndex < committeeSize ≤ 255
        uint256 mask = round.shareMask;
        if (mask & bit != 0) revert MultiPartyShareAlreadyRecorded(jobId, memberIndex);

        mask |= bit;
        round.shareMask = mask;
        uint8 shares;
        // At most one share per member, and committeeSize ≤ 255: the count fits in uint8.
        unchecked {
            shares = ++round.shareCount;
        }
        _shareHashes[jobId][memberIndex] = shareHash;
        emit ShareRecorded(jobId, memberIndex, msg.sender, shareHash);
        if (shares == round.threshold) emit QuorumReached(jobId, mask);
    }

    // ----- views -----

    /// @inheritdoc IMultiPartyCoordinator
    function quorumReached(uint256 jobId) external view returns (bool) {
        Round storage round = _rounds[jobId];
        // Shares exist only after the aggregate, whose first update set a threshold ≥ 1.
        return round.aggregateHash != bytes32(0) && round.shareCount >= round.threshold;
    }

    /// @inheritdoc IMultiPartyCoordinator
    function aggregateRecorded(uint256 jobId) external view returns (bool) {
        return _rounds[jobId].aggregateHash != bytes32(0);
    }

    /// @inheritdoc IMultiPartyCoordinator
    function committeeFault(uint256 jobId) external view returns (bool atFault, uint256 missingMembers) {
        Round storage round = _rounds[jobId];
        atFault = round.aggregateHash != bytes32(0) && round.shareCount < round.threshold;
        missingMembers = ((uint256(1) << round.committeeSize) - 1) & ~round.shareMask;
    }

    /// @inheritdoc IMultiPartyCoordinator
    function updateHashOf(uint256 jobId, uint256 partyIndex) external view returns (bytes32) {
        return _updateHashes[jobId][partyIndex];
    }

    /// @inheritdoc IMultiPartyCoordinator
    function shareHashOf(uint256 jobId, uint256 memberIndex) external view returns (bytes32) {
        return _shareHashes[jobId][memberIndex];
    }

    /// @inheritdoc IMultiPartyCoordinator
    function aggregateHashOf(uint256 jobId) external view returns (bytes32) {
        return _rounds[jobId].aggregateHash;
    }

    /// @inheritdoc IMultiPartyCoordinator
    function recordsOf(uint256 jobId)
        external
        view
        returns (uint256 updateCount, uint256 updateMask, uint256 shareCount, uint256 shareMask)
    {
        Round storage round = _rounds[jobId];
        return (round.updateCount, round.updateMask, round.shareCount, round.shareMask);
    }

    /// @inheritdoc IMultiPartyCoordinator
    function checkSpec(IJobMarket.JobTerms calldata terms, MultiPartySpec calldata spec) external pure {
        _requireSpecHash(terms, spec);
        _checkSpecStructure(terms, spec);
    }

    /// @inheritdoc IMultiPartyCoordinator
    function hashSpec(MultiPartySpec calldata spec) public pure returns (bytes32) {
        return keccak256(abi.encode(spec));
    }

    // ----- internals -----

    /// @dev Loads an Attested multi-party job, checking the terms against the market's stored hash
    ///      and the spec against the terms' committee hash (its structure on the first call only).
    function _loadAttested(uint256 jobId, IJobMarket.JobTerms calldata terms, MultiPartySpec calldata spec)
        private
        returns (IJobMarket.Job memory job, Round storage round)
    {
        job = jobMarket.getJob(jobId);
        if (job.termsHash == bytes32(0)) revert MultiPartyUnknownJob(jobId);
        // The market's own definition (IJobMarket.hashTerms), computed here to save an external call.
        bytes32 given = keccak256(abi.encode(terms));
        if (given != job.termsHash) revert MultiPartyTermsMismatch(jobId, job.termsHash, given);
        if (terms.parties == 1) revert MultiPartySingleParty(jobId);
        if (job.status != JobStatus.Attested) revert MultiPartyInvalidStatus(jobId, job.status);
        _requireSpecHash(terms, spec);
        round = _rounds[jobId];
        if (!round.specChecked) {
            _checkSpecStructure(terms, spec);
            round.specChecked = true;
            round.threshold = terms.threshold;
            round.committeeSize = terms.committeeSize;
        }
    }

    function _requireSpecHash(IJobMarket.JobTerms calldata terms, MultiPartySpec calldata spec) private pure {
        bytes32 given = hashSpec(spec);
        if (given != terms.committeeHash) revert MultiPartySpecMismatch(terms.committeeHash, given);
    }

    function _checkSpecStructure(IJobMarket.JobTerms calldata terms, MultiPartySpec calldata spec) private pure {
        if (spec.dataParties.length != terms.parties) {
            revert MultiPartyPartyCountMismatch(spec.dataParties.length, terms.parties);
        }
        uint256 size = terms.committeeSize;
        if (spec.committee.length != size || spec.committeeKeys.length != size) {
            revert MultiPartyCommitteeSizeMismatch(spec.committee.length, spec.committeeKeys.length, terms.committeeSize);
        }
        _requireDistinctNonZero(spec.dataParties);
        _requireDistinctNonZero(spec.committee);
        for (uint256 i = 0; i < size; ++i) {
            if (spec.committeeKeys[i] == bytes32(0)) revert MultiPartyEmptyCommitteeKey(i);
        }
        if (
            spec.updateDeadline <= terms.attestDeadline || spec.aggregateDeadline <= spec.updateDeadline
                || spec.shareDeadline <= spec.aggregateDeadline || terms.deliveryDeadline <= spec.shareDeadline
        ) {
            revert MultiPartyDeadlinesOutOfOrder(
                terms.attestDeadline, spec.updateDeadline, spec.aggregateDeadline, spec.shareDeadline, terms.deliveryDeadline
            );
        }
    }

    /// @dev Quadratic, but lists are short (≤ 255 by the terms' uint8 counts) and checked once per job.
    function _requireDistinctNonZero(address[] calldata accounts) private pure {
        uint256 n = accounts.length;
        for (uint256 i = 0; i < n; ++i) {
            address a = accounts[i];
            if (a == address(0)) revert MultiPartyZeroAccount(i);
            for (uint256 j = 0; j < i; ++j) {
                if (accounts[j] == a) revert MultiPartyDuplicateAccount(a);
            }
        }
    }
}
