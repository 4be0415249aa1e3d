// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IMultiPartyCoordinator} from "./interfaces/IMultiPartyCoordinator.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {ITrainingVerifier} from "./interfaces/ITrainingVerifier.sol";
import {AssetTransfers} from "./libraries/AssetTransfers.sol";
import {Shares} from "./libraries/Shares.sol";
import {FailureReason, JobStatus} from "./types/JobStatus.sol";

/// @dev The market's provider-registry getter (public on `JobMarket`, not part of {IJobMarket}).
interface IJobMarketRegistry {
    function providerRegistry() external view returns (IProviderRegistry);
}

/// @title MultiPartyCoordinator
/// @notice The hashes a multi-party job leaves on-chain: data parties' encrypted updates, the
///         aggregate and the committee's decryption shares, and the committee's bonds. See
///         {IMultiPartyCoordinator} and docs/MULTIPARTY.md.
/// @dev Kept out of the JobMarket (bytecode size, and single-party gas stays untouched). It has no
///      admin; the market reads {quorumReached} and {committeeFault}. Everything a call needs about
///      the job comes from the market (`getJob`, `statusOf`, `configOf`) or from calldata checked
///      against hashes the market stores (terms) or the terms carry (spec).
///      It is also the training verifier of multi-party jobs ({verifyTraining}): their adapter is the
///      committee's decrypted aggregate applied to C0 by the attested enclave, which signs that
///      result. This is trust in the attested enclave, not a zero-knowledge proof: the Groth16
///      statement covers single-party SGD only (docs/MULTIPARTY.md, "Settlement").
///      Bonds: the only funds it holds. Balance invariant per asset: the balance equals the bonds of
///      unsettled jobs plus everything {owed}. Faults are recorded only while the job is Attested,
///      from the committee's own records ({reportMissingShares}) or the attested combiner's signed
///      statement ({reportBadShares}); bonds are settled only once the job is final, so nothing
///      recorded later can move them, and every deposited bond ends in {owed}.
contract MultiPartyCoordinator is IMultiPartyCoordinator, ITrainingVerifier, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice EIP-712 type of the enclave's statement that settles a multi-party job.
    bytes32 public constant MULTI_PARTY_RESULT_TYPEHASH =
        keccak256("MultiPartyResult(uint256 jobId,bytes32 specHash,bytes32 aggregateHash,bytes32 modelCommitment)");
    /// @notice EIP-712 type of the enclave's statement that the aggregate is the included updates' product.
    bytes32 public constant MULTI_PARTY_AGGREGATE_TYPEHASH =
        keccak256("MultiPartyAggregate(uint256 jobId,bytes32 aggregateHash,uint256 includedMask)");
    /// @notice EIP-712 type of the combiner's statement naming the members whose shares fail their proofs.
    bytes32 public constant COMMITTEE_BAD_SHARES_TYPEHASH = keccak256(
        "CommitteeBadShares(uint256 jobId,bytes32 aggregateHash,uint256 badMembers,bytes32[] badShareHashes)"
    );

    /// @dev The records of one job. `threshold` and `committeeSize` are copied from the terms by the
    ///      first call that checks the spec's structure (`specChecked`: a bond or the first update);
    ///      later calls check its hash. `bondedMask` and `faultyMask` are the committee's bonds and
    ///      faults; `missingReported` and `bondsSettled` make those calls once-only.
    struct Round {
        uint256 updateMask;
        uint256 shareMask;
        bytes32 aggregateHash;
        uint8 updateCount;
        uint8 shareCount;
        uint8 threshold;
        uint8 committeeSize;
        bool specChecked;
        bool missingReported;
        bool bondsSettled;
        uint256 bondedMask;
        uint256 faultyMask;
    }

    /// @inheritdoc IMultiPartyCoordinator
    IJobMarket public immutable jobMarket;
    /// @notice The market's provider registry, whose treasury receives the rest of forfeited bonds.
    IProviderRegistry public immutable providerRegistry;

    /// @inheritdoc IMultiPartyCoordinator
    mapping(address asset => mapping(address account => uint256)) public owed;

    mapping(uint256 jobId => Round) private _rounds;
    mapping(uint256 jobId => mapping(uint256 partyIndex => bytes32)) private _updateHashes;
    mapping(uint256 jobId => mapping(uint256 memberIndex => bytes32)) private _shareHashes;

    /// @param jobMarket_ The market whose multi-party jobs this coordinator records.
    constructor(IJobMarket jobMarket_) EIP712("BlindTraining MultiParty", "1") {
        if (address(jobMarket_) == address(0)) revert MultiPartyZeroAddress();
        jobMarket = jobMarket_;
        providerRegistry = IJobMarketRegistry(address(jobMarket_)).providerRegistry();
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
        uint256 includedMask,
        bytes calldata enclaveSignature
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
        _requireEnclaveSignature(
            keccak256(abi.encode(MULTI_PARTY_AGGREGATE_TYPEHASH, jobId, aggregateHash, includedMask)),
            enclaveSignature,
            job.enclaveSigner
        );

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
        if (spec.memberBond != 0) revert MultiPartySharePublicationRequired(jobId);
        _recordShare(jobId, terms, spec, memberIndex, shareHash);
    }

    /// @inheritdoc IMultiPartyCoordinator
    function publishShare(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        MultiPartySpec calldata spec,
        uint256 memberIndex,
        bytes calldata share
    ) external {
        _recordShare(jobId, terms, spec, memberIndex, keccak256(share));
        emit SharePublished(jobId, memberIndex, share);
    }

    // ----- bonds and faults -----

    /// @inheritdoc IMultiPartyCoordinator
    function depositBond(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        MultiPartySpec calldata spec,
        uint256 memberIndex
    ) external payable nonReentrant {
        (IJobMarket.Job memory job, Round storage round) = _load(jobId, terms, spec);
        uint256 bond = spec.memberBond;
        if (bond == 0) revert MultiPartyBondsNotRequired(jobId);
        if (job.status != JobStatus.Open) revert MultiPartyInvalidStatus(jobId, job.status);
        if (block.timestamp >= terms.bidDeadline) revert MultiPartyDeadlinePassed(terms.bidDeadline);
        address configured = address(jobMarket.configOf(terms.configId).coordinator);
        if (configured != address(this)) revert MultiPartyWrongCoordinator(configured);
        uint256 count = spec.committee.length;
        if (memberIndex >= count) revert MultiPartyIndexOutOfRange(memberIndex, count);
        address member = spec.committee[memberIndex];
        if (msg.sender != member) revert MultiPartyNotCommitteeMember(msg.sender, member);
        uint256 bit = uint256(1) << memberIndex; // memberIndex < committeeSize ≤ 255
        uint256 mask = round.bondedMask;
        if (mask & bit != 0) revert MultiPartyBondAlreadyDeposited(jobId, memberIndex);
        address asset = terms.asset;
        if (msg.value != (asset == address(0) ? bond : 0)) {
            revert MultiPartyWrongBondValue(msg.value, asset == address(0) ? bond : 0);
        }

        round.bondedMask = mask | bit;
        emit BondDeposited(jobId, memberIndex, member, bond);
        // The asset is the market's stake token, vetted when the job was posted (its escrow arrived
        // in full, so the token does not take a fee on transfer).
        if (asset != address(0)) IERC20(asset).safeTransferFrom(member, address(this), bond);
    }

    /// @inheritdoc IMultiPartyCoordinator
    function reportMissingShares(uint256 jobId, IJobMarket.JobTerms calldata terms, MultiPartySpec calldata spec)
        external
        nonReentrant
    {
        (, Round storage round) = _loadAttested(jobId, terms, spec);
        if (block.timestamp <= spec.shareDeadline) revert MultiPartyShareWindowOpen(spec.shareDeadline);
        if (round.aggregateHash == bytes32(0)) revert MultiPartyAggregateNotRecorded(jobId);
        if (round.shareCount >= round.threshold) revert MultiPartyQuorumReached(jobId);
        if (round.missingReported) revert MultiPartyMissingSharesAlreadyReported(jobId);

        round.missingReported = true;
        uint256 faulty = round.faultyMask | _unshared(round);
        round.faultyMask = faulty;
        emit CommitteeFaultRecorded(jobId, FailureReason.CommitteeDeadlineMissed, faulty);
    }

    /// @inheritdoc IMultiPartyCoordinator
    function reportBadShares(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        MultiPartySpec calldata spec,
        uint256 badMembers,
        bytes calldata committeeSignature,
        bytes calldata failureSignature
    ) external nonReentrant {
        (IJobMarket.Job memory job, Round storage round) = _load(jobId, terms, spec);
        // Attested: the statement also ends the job. BuyerDefaulted: the market already accepted a
        // JobFailure sent to it directly (or copied out of this call by a front-runner); the faults
        // are still recorded until the delivery deadline, after which the bonds can be settled.
        bool running = job.status == JobStatus.Attested;
        if (!running) {
            if (job.status != JobStatus.BuyerDefaulted) revert MultiPartyInvalidStatus(jobId, job.status);
            if (block.timestamp > job.deliveryDeadline) revert MultiPartyDeadlinePassed(uint64(job.deliveryDeadline));
        }
        bytes32 aggregateHash = round.aggregateHash;
        if (aggregateHash == bytes32(0)) revert MultiPartyAggregateNotRecorded(jobId);
        uint256 shareMask = round.shareMask;
        if (badMembers == 0 || badMembers & ~shareMask != 0) {
            revert MultiPartyBadMembersNotRecorded(badMembers, shareMask);
        }
        bool windowOver = block.timestamp > spec.shareDeadline;
        // Once the job has ended nobody can share any more.
        _requireNoValidQuorum(round, badMembers, windowOver || !running);
        _requireEnclaveSignature(
            keccak256(
                abi.encode(
                    COMMITTEE_BAD_SHARES_TYPEHASH, jobId, aggregateHash, badMembers, _shareHashesOf(jobId, badMembers)
                )
            ),
            committeeSignature,
            job.enclaveSigner
        );

        uint256 faulty = round.faultyMask | badMembers;
        // After the window, members who never shared share the blame for the missing valid quorum.
        // Not after an ended job: the market may have ended it before their window closed.
        if (running && windowOver) faulty |= _unshared(round);
        round.faultyMask = faulty;
        emit CommitteeFaultRecorded(jobId, FailureReason.CommitteeBadShares, faulty);
        if (running) _relayFailure(jobId, terms, aggregateHash, badMembers, failureSignature);
    }

    /// @inheritdoc IMultiPartyCoordinator
    function settleBonds(uint256 jobId, IJobMarket.JobTerms calldata terms, MultiPartySpec calldata spec)
        external
        nonReentrant
    {
        (IJobMarket.Job memory job, Round storage round) = _load(jobId, terms, spec);
        uint256 bond = spec.memberBond;
        if (bond == 0) revert MultiPartyBondsNotRequired(jobId);
        JobStatus status = jobMarket.statusOf(jobId);
        if (uint8(status) < uint8(JobStatus.Completed)) revert MultiPartyJobNotFinished(jobId, status);
        // Bad shares of a defaulted job may still be reported until its delivery deadline.
        if (status == JobStatus.BuyerDefaulted && block.timestamp <= job.deliveryDeadline) {
            revert MultiPartyReportWindowOpen(uint64(job.deliveryDeadline));
        }
        if (round.bondsSettled) revert MultiPartyBondsAlreadySettled(jobId);

        round.bondsSettled = true;
        uint256 bonded = round.bondedMask;
        uint256 forfeitedMask = bonded & round.faultyMask;
        uint256 returnedMask = bonded & ~forfeitedMask;
        address asset = terms.asset;
        uint256 toProvider;
        uint256 toTreasury;
        if (forfeitedMask != 0) {
            // At most 255 bonds below 2^96 each: no overflow.
            uint256 forfeited = _popcount(forfeitedMask) * bond;
            toProvider = Shares.mulBpsUp(forfeited, jobMarket.configOf(terms.configId).slashBuyerShareBps);
            // toProvider ≤ forfeited: the share is at most 100 % (checked when the config was published).
            unchecked {
                toTreasury = forfeited - toProvider;
            }
        }
        emit BondsSettled(jobId, returnedMask, forfeitedMask, toProvider, toTreasury);
        uint256 count = spec.committee.length;
        for (uint256 i = 0; i < count; ++i) {
            if (returnedMask & (uint256(1) << i) != 0) _credit(asset, spec.committee[i], bond);
        }
        if (toProvider != 0) _credit(asset, job.provider, toProvider);
        if (toTreasury != 0) _credit(asset, providerRegistry.treasury(), toTreasury);
    }

    /// @inheritdoc IMultiPartyCoordinator
    function withdrawOwed(address asset, address to) external nonReentrant {
        if (to == address(0)) revert MultiPartyZeroAddress();
        uint256 amount = owed[asset][msg.sender];
        if (amount == 0) revert MultiPartyNothingOwed(msg.sender, asset);
        owed[asset][msg.sender] = 0;
        emit OwedWithdrawn(msg.sender, asset, to, amount);
        AssetTransfers.send(asset, to, amount);
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
    function bondsOf(uint256 jobId) external view returns (uint256 bondedMembers, uint256 faultyMembers, bool settled) {
        Round storage round = _rounds[jobId];
        return (round.bondedMask, round.faultyMask, round.bondsSettled);
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

    /// @dev Loads a multi-party job, checking the terms against the market's stored hash and the
    ///      spec against the terms' committee hash (its structure on the first call only).
    function _load(uint256 jobId, IJobMarket.JobTerms calldata terms, MultiPartySpec calldata spec)
        private
        returns (IJobMarket.Job memory job, Round storage round)
    {
        job = jobMarket.getJob(jobId);
        if (job.termsHash == bytes32(0)) revert MultiPartyUnknownJob(jobId);
        // The market's own definition (IJobMarket.hashTerms), computed here to save an external call.
        bytes32 given = keccak256(abi.encode(terms));
        if (given != job.termsHash) revert MultiPartyTermsMismatch(jobId, job.termsHash, given);
        if (terms.parties == 1) revert MultiPartySingleParty(jobId);
        _requireSpecHash(terms, spec);
        round = _rounds[jobId];
        if (!round.specChecked) {
            _checkSpecStructure(terms, spec);
            round.specChecked = true;
            round.threshold = terms.threshold;
            round.committeeSize = terms.committeeSize;
        }
    }

    /// @dev {_load} for a job that must be Attested.
    function _loadAttested(uint256 jobId, IJobMarket.JobTerms calldata terms, MultiPartySpec calldata spec)
        private
        returns (IJobMarket.Job memory job, Round storage round)
    {
        (job, round) = _load(jobId, terms, spec);
        if (job.status != JobStatus.Attested) revert MultiPartyInvalidStatus(jobId, job.status);
    }

    /// @dev Records member `memberIndex`'s share hash (the shared part of recordShare / publishShare).
    function _recordShare(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        MultiPartySpec calldata spec,
        uint256 memberIndex,
        bytes32 shareHash
    ) private {
        (, Round storage round) = _loadAttested(jobId, terms, spec);
        if (block.timestamp > spec.shareDeadline) revert MultiPartyDeadlinePassed(spec.shareDeadline);
        uint256 count = spec.committee.length;
        if (memberIndex >= count) revert MultiPartyIndexOutOfRange(memberIndex, count);
        address member = spec.committee[memberIndex];
        if (msg.sender != member) revert MultiPartyNotCommitteeMember(msg.sender, member);
        if (shareHash == bytes32(0)) revert MultiPartyEmptyHash();
        if (round.aggregateHash == bytes32(0)) revert MultiPartyAggregateNotRecorded(jobId);
        uint256 bit = uint256(1) << memberIndex; // memberIndex < committeeSize ≤ 255
        if (spec.memberBond != 0 && round.bondedMask & bit == 0) revert MultiPartyBondMissing(jobId, memberIndex);
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

    /// @dev Hands the combiner's `JobFailure(CommitteeBadShares)` to the market, which checks it
    ///      again (its own signature, the aggregate hash, the members ⊆ recorded shares) and reverts
    ///      this whole call if it does not accept it.
    function _relayFailure(
        uint256 jobId,
        IJobMarket.JobTerms calldata terms,
        bytes32 aggregateHash,
        uint256 badMembers,
        bytes calldata failureSignature
    ) private {
        jobMarket.submitFailure(
            jobId,
            terms,
            IJobMarket.FailureStatement({
                reason: FailureReason.CommitteeBadShares, dataHash: aggregateHash, faultyMembers: badMembers
            }),
            failureSignature
        );
    }

    /// @dev Reverts while t valid shares can still be had: the recorded shares not named bad plus
    ///      the members who may still share (none once the window is over).
    function _requireNoValidQuorum(Round storage round, uint256 badMembers, bool windowOver) private view {
        uint256 shares = round.shareCount;
        uint256 validShares;
        uint256 openMembers;
        // bad ⊆ recorded shares, so bad ≤ shares; shares ≤ committeeSize.
        unchecked {
            validShares = shares - _popcount(badMembers);
            openMembers = windowOver ? 0 : round.committeeSize - shares;
        }
        if (validShares + openMembers >= round.threshold) {
            revert MultiPartyValidQuorumPossible(validShares, openMembers, round.threshold);
        }
    }

    /// @dev Reverts unless `signature` is the job's enclave signer's over `structHash` (this domain).
    function _requireEnclaveSignature(bytes32 structHash, bytes calldata signature, address signer) private view {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
        if (err != ECDSA.RecoverError.NoError || recovered != signer) {
            revert MultiPartyEnclaveSignatureInvalid(recovered, signer);
        }
    }

    /// @dev EIP-712 `bytes32[]` encoding of the recorded share hashes of `members`, in index order.
    function _shareHashesOf(uint256 jobId, uint256 members) private view returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](_popcount(members));
        uint256 k;
        for (uint256 i = 0; members >> i != 0; ++i) {
            if ((members >> i) & 1 != 0) hashes[k++] = _shareHashes[jobId][i];
        }
        return keccak256(abi.encodePacked(hashes));
    }

    /// @dev The committee members who recorded no share.
    function _unshared(Round storage round) private view returns (uint256) {
        return ((uint256(1) << round.committeeSize) - 1) & ~round.shareMask;
    }

    function _credit(address asset, address account, uint256 amount) private {
        owed[asset][account] += amount;
        emit PaymentOwed(account, asset, amount);
    }

    function _popcount(uint256 x) private pure returns (uint256 count) {
        // At most 256 iterations, each clearing the lowest set bit.
        unchecked {
            for (; x != 0; ++count) {
                x &= x - 1;
            }
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
