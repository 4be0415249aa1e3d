// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DataDelivery} from "../../contracts/DataDelivery.sol";
import {IDataDelivery} from "../../contracts/interfaces/IDataDelivery.sol";
import {IJobMarket} from "../../contracts/interfaces/IJobMarket.sol";
import {FailureReason, JobStatus} from "../../contracts/types/JobStatus.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Tests of the on-chain delivery record and its availability challenge: recording (owner-key
///         signature, data deadline, once, blob-list validation), challenging (the provider only,
///         once, before the delivery deadline), serving (SHA-256 and size, within the window),
///         `deliveryStatus`, and how the market settles each state.
contract DataDeliveryTest is MarketFixture {
    uint256 internal constant OWNER_PK = 0x0A11CE;
    uint256 internal constant ENCLAVE_PK = 0xE5C1;
    address internal constant PROVIDER = address(0x1001);
    address internal constant OTHER = address(0x1002);
    address internal constant REFUND_TO = address(0xBEEF);
    address internal constant RELAYER = address(0x4E1A);
    uint96 internal constant CEILING = 2 ether;
    uint96 internal constant PRICE = 1 ether;
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    function setUp() public {
        vm.warp(START_TIME);
        _deployMarket();
        _register(PROVIDER, TEE_SIMULATED);
        _register(OTHER, TEE_SIMULATED);
        _depositEth(PROVIDER, 100 ether);
        _depositEth(OTHER, 100 ether);
    }

    // ----- fixtures -----

    function _postJob() internal returns (uint256 jobId, IJobMarket.JobTerms memory t) {
        t = _terms(address(0), CEILING, vm.addr(OWNER_PK), REFUND_TO, bytes32("salt"), 1 days, 1 days, 4 days);
        jobId = _post(t);
    }

    /// @dev A single-party job attested by PROVIDER (bid window 1 day, attest 1 day, data deadline
    ///      2 days later, delivery deadline 4 days after the attestation deadline).
    function _attestedJob() internal returns (uint256 jobId, IJobMarket.JobTerms memory t) {
        (jobId, t) = _postJob();
        vm.prank(PROVIDER);
        market.placeBid(jobId, t, PRICE);
        vm.warp(t.bidDeadline);
        _attest(PROVIDER, jobId, t, ENCLAVE_PK);
    }

    function _recordBlobs(uint256 jobId, IJobMarket.JobTerms memory t, uint256 count)
        internal
        returns (bytes[] memory data, bytes32[] memory ids, uint64[] memory sizes)
    {
        (data, ids, sizes) = _blobs(count, bytes32(jobId));
        _record(OWNER_PK, jobId, t, ids, sizes);
    }

    function _status(uint256 jobId) internal view returns (IDataDelivery.DeliveryStatus status) {
        (status,,,) = dataDelivery.deliveryStatus(jobId);
    }

    function _serveAll(
        uint256 jobId,
        IJobMarket.JobTerms memory t,
        bytes[] memory data,
        bytes32[] memory ids,
        uint64[] memory sizes
    ) internal {
        for (uint256 i = 0; i < data.length; i++) {
            vm.prank(RELAYER);
            dataDelivery.serveData(jobId, t, ids, sizes, i, data[i]);
        }
    }

    function _recover(bytes32 digest, bytes memory sig) internal pure returns (address) {
        (bytes32 r, bytes32 s) = abi.decode(sig, (bytes32, bytes32));
        return ecrecover(digest, uint8(sig[64]), r, s);
    }

    // ----- constructor -----

    function testFuzz_constructor_refusesZeroMarketAndWindowsOutOfRange(uint64 window, bool zeroMarket) public {
        if (!zeroMarket) vm.assume(window < 1 hours || window > 7 days);
        vm.expectRevert(abi.encodeWithSelector(IDataDelivery.DataDeliveryInvalidSetup.selector));
        new DataDelivery(zeroMarket ? IJobMarket(address(0)) : market, window, MAX_SERVABLE_BYTES);
    }

    // ----- recordDelivery -----

    /// @dev Any relayer may submit the owner key's record; it stores the data hash, count and total
    ///      size (saturated at 2^64 − 1), exactly once.
    function testFuzz_recordDelivery_storesTheOwnerKeysRecordOnce(uint8 count, uint64[4] memory rawSizes) public {
        count = uint8(bound(count, 1, 4));
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attestedJob();
        bytes32[] memory ids = new bytes32[](count);
        uint64[] memory sizes = new uint64[](count);
        uint256 total;
        for (uint256 i = 0; i < count; i++) {
            ids[i] = keccak256(abi.encode("blob", i));
            sizes[i] = uint64(bound(rawSizes[i], 1, type(uint64).max));
            total += sizes[i];
        }
        uint256 deadline = _now() + 1 hours;
        bytes32 dataHash = _dataHash(ids, sizes);
        bytes memory sig = _recordSig(OWNER_PK, dataDelivery, jobId, dataHash, deadline);
        vm.prank(RELAYER);
        dataDelivery.recordDelivery(jobId, t, ids, sizes, deadline, sig);

        IDataDelivery.Delivery memory d = dataDelivery.deliveryOf(jobId);
        assertEq(d.dataHash, dataHash, "data hash");
        assertEq(d.blobCount, count, "blob count");
        assertEq(d.totalSize, total > type(uint64).max ? type(uint64).max : total, "total size, saturated");
        assertEq(d.challengedAt, 0, "not challenged");
        (IDataDelivery.DeliveryStatus status, bytes32 recorded, uint64 respondBy, uint64 extension) =
            dataDelivery.deliveryStatus(jobId);
        assertEq(uint256(status), uint256(IDataDelivery.DeliveryStatus.Recorded), "recorded");
        assertEq(recorded, dataHash, "status data hash");
        assertEq(respondBy, 0, "no challenge");
        assertEq(extension, 0, "no extension");
        assertTrue(dataDelivery.isServable(jobId) == (total <= MAX_SERVABLE_BYTES), "servable by size");

        vm.expectRevert(abi.encodeWithSelector(IDataDelivery.DataDeliveryAlreadyRecorded.selector, jobId));
        dataDelivery.recordDelivery(jobId, t, ids, sizes, deadline, sig);
    }

    function testFuzz_recordDelivery_refusesOtherSigners(uint256 otherPk) public {
        otherPk = bound(otherPk, 1, SECP256K1_N - 1);
        vm.assume(otherPk != OWNER_PK);
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attestedJob();
        (, bytes32[] memory ids, uint64[] memory sizes) = _blobs(2, "x");
        uint256 deadline = _now() + 1 hours;
        bytes memory sig = _recordSig(otherPk, dataDelivery, jobId, _dataHash(ids, sizes), deadline);
        vm.expectRevert(
            abi.encodeWithSelector(IDataDelivery.DataDeliveryInvalidSignature.selector, vm.addr(otherPk), t.ownerKey)
        );
        dataDelivery.recordDelivery(jobId, t, ids, sizes, deadline, sig);
        assertEq(uint256(_status(jobId)), uint256(IDataDelivery.DeliveryStatus.None), "nothing recorded");
    }

    /// @dev A signature over other blobs, another job, or another DataDelivery does not authorize this record.
    function test_recordDelivery_signatureBindsBlobsJobAndContract() public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attestedJob();
        (, bytes32[] memory ids, uint64[] memory sizes) = _blobs(2, "x");
        uint256 deadline = _now() + 1 hours;
        bytes32 dataHash = _dataHash(ids, sizes);
        DataDelivery other = new DataDelivery(market, AVAILABILITY_WINDOW, MAX_SERVABLE_BYTES);
        bytes[3] memory sigs = [
            _recordSig(OWNER_PK, dataDelivery, jobId, keccak256("other blobs"), deadline),
            _recordSig(OWNER_PK, dataDelivery, jobId + 1, dataHash, deadline),
            _recordSig(OWNER_PK, other, jobId, dataHash, deadline)
        ];
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                dataDelivery.domainSeparator(),
                keccak256(abi.encode(dataDelivery.RECORD_DELIVERY_TYPEHASH(), jobId, dataHash, deadline))
            )
        );
        for (uint256 i = 0; i < sigs.length; i++) {
            // Each recovers some other address than the owner key from this record's digest.
            address recovered = _recover(digest, sigs[i]);
            assertTrue(recovered != t.ownerKey, "another signer");
            vm.expectRevert(
                abi.encodeWithSelector(IDataDelivery.DataDeliveryInvalidSignature.selector, recovered, t.ownerKey)
            );
            dataDelivery.recordDelivery(jobId, t, ids, sizes, deadline, sigs[i]);
        }
        assertEq(uint256(_status(jobId)), uint256(IDataDelivery.DeliveryStatus.None), "nothing recorded");
    }

    function testFuzz_recordDelivery_refusesExpiredSignature(uint256 deadline) public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attestedJob();
        deadline = bound(deadline, 0, _now() - 1);
        (, bytes32[] memory ids, uint64[] memory sizes) = _blobs(1, "x");
        bytes memory sig = _recordSig(OWNER_PK, dataDelivery, jobId, _dataHash(ids, sizes), deadline);
        vm.expectRevert(abi.encodeWithSelector(IDataDelivery.DataDeliverySignatureExpired.selector, deadline));
        dataDelivery.recordDelivery(jobId, t, ids, sizes, deadline, sig);
    }

    /// @dev Recording is possible up to and including the data deadline's second, not after.
    function testFuzz_recordDelivery_onlyByTheDataDeadline(uint32 late) public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attestedJob();
        vm.warp(t.dataDeadline);
        (, bytes32[] memory ids, uint64[] memory sizes) = _blobs(1, "x");
        _record(OWNER_PK, jobId, t, ids, sizes);
        assertEq(uint256(_status(jobId)), uint256(IDataDelivery.DeliveryStatus.Recorded), "at the deadline");

        (uint256 job2, IJobMarket.JobTerms memory t2) = _postJob();
        vm.prank(PROVIDER);
        market.placeBid(job2, t2, PRICE);
        vm.warp(t2.bidDeadline);
        _attest(PROVIDER, job2, t2, ENCLAVE_PK);
        vm.warp(uint256(t2.dataDeadline) + bound(late, 1, 2 days));
        uint256 deadline = _now() + 1 hours;
        bytes memory sig = _recordSig(OWNER_PK, dataDelivery, job2, _dataHash(ids, sizes), deadline);
        vm.expectRevert(abi.encodeWithSelector(IDataDelivery.DataDeliveryDeadlinePassed.selector, t2.dataDeadline));
        dataDelivery.recordDelivery(job2, t2, ids, sizes, deadline, sig);
    }

    /// @dev Empty lists, more than 64 blobs, lists of different lengths, a zero id or a zero size
    ///      are refused with both lengths.
    function testFuzz_recordDelivery_validatesTheBlobList(uint8 count, uint8 sizesCount, uint8 zeroAt, bool zeroId)
        public
    {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attestedJob();
        uint256 n = bound(count, 0, 70);
        uint256 m = bound(sizesCount, 0, 70);
        bool valid = n != 0 && n <= 64 && m == n;
        bytes32[] memory ids = new bytes32[](n);
        uint64[] memory sizes = new uint64[](m);
        for (uint256 i = 0; i < n; i++) {
            ids[i] = keccak256(abi.encode(i));
        }
        for (uint256 i = 0; i < m; i++) {
            sizes[i] = uint64(i + 1);
        }
        // A valid shape with one zero entry is still refused.
        if (valid && zeroAt % 2 == 0) {
            uint256 zeroIndex = bound(zeroAt, 0, n - 1);
            if (zeroId) ids[zeroIndex] = bytes32(0);
            else sizes[zeroIndex] = 0;
            valid = false;
        }
        uint256 deadline = _now() + 1 hours;
        bytes memory sig = _recordSig(OWNER_PK, dataDelivery, jobId, _dataHash(ids, sizes), deadline);
        if (!valid) vm.expectRevert(abi.encodeWithSelector(IDataDelivery.DataDeliveryInvalidBlobs.selector, n, m));
        dataDelivery.recordDelivery(jobId, t, ids, sizes, deadline, sig);
        assertEq(dataDelivery.maxBlobs(), 64, "max blobs");
    }

    /// @dev Only an Attested single-party job of this market whose config pins this contract, with
    ///      its exact terms, can be recorded.
    function test_recordDelivery_needsAnAttestedJobPinningThisContract() public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _postJob();
        (, bytes32[] memory ids, uint64[] memory sizes) = _blobs(1, "x");
        uint256 deadline = _now() + 1 hours;
        bytes memory sig = _recordSig(OWNER_PK, dataDelivery, jobId, _dataHash(ids, sizes), deadline);
        vm.expectRevert(
            abi.encodeWithSelector(IDataDelivery.DataDeliveryInvalidStatus.selector, jobId, JobStatus.Open)
        );
        dataDelivery.recordDelivery(jobId, t, ids, sizes, deadline, sig);

        // A copy (memory structs alias on assignment).
        IJobMarket.JobTerms memory wrong = abi.decode(abi.encode(t), (IJobMarket.JobTerms));
        wrong.priceCeiling = t.priceCeiling + 1;
        vm.expectRevert(abi.encodeWithSelector(IDataDelivery.DataDeliveryTermsMismatch.selector, jobId));
        dataDelivery.recordDelivery(jobId, wrong, ids, sizes, deadline, sig);
        vm.expectRevert(abi.encodeWithSelector(IDataDelivery.DataDeliveryTermsMismatch.selector, jobId + 7));
        dataDelivery.recordDelivery(jobId + 7, t, ids, sizes, deadline, sig);

        // A DataDelivery the job's config does not name refuses it (its record would settle nothing).
        vm.prank(PROVIDER);
        market.placeBid(jobId, t, PRICE);
        vm.warp(t.bidDeadline);
        _attest(PROVIDER, jobId, t, ENCLAVE_PK);
        DataDelivery other = new DataDelivery(market, AVAILABILITY_WINDOW, MAX_SERVABLE_BYTES);
        bytes memory otherSig = _recordSig(OWNER_PK, other, jobId, _dataHash(ids, sizes), deadline);
        vm.expectRevert(
            abi.encodeWithSelector(IDataDelivery.DataDeliveryNotPinned.selector, jobId, address(dataDelivery))
        );
        other.recordDelivery(jobId, t, ids, sizes, deadline, otherSig);
    }

    function test_recordDelivery_refusesMultiPartyJobs() public {
        IJobMarket.JobTerms memory t =
            _terms(address(0), CEILING, vm.addr(OWNER_PK), REFUND_TO, bytes32("mp"), 1 days, 1 days, 8 days);
        t.parties = 2;
        t.threshold = 1;
        t.committeeSize = 1;
        t.committeeHash = keccak256("committee");
        uint256 jobId = _post(t);
        vm.prank(PROVIDER);
        market.placeBid(jobId, t, PRICE);
        vm.warp(t.bidDeadline);
        _attest(PROVIDER, jobId, t, ENCLAVE_PK);
        (, bytes32[] memory ids, uint64[] memory sizes) = _blobs(1, "x");
        uint256 deadline = _now() + 1 hours;
        bytes memory sig = _recordSig(OWNER_PK, dataDelivery, jobId, _dataHash(ids, sizes), deadline);
        vm.expectRevert(
            abi.encodeWithSelector(IDataDelivery.DataDeliveryInvalidStatus.selector, jobId, JobStatus.Attested)
        );
        dataDelivery.recordDelivery(jobId, t, ids, sizes, deadline, sig);
    }

    // ----- challengeDelivery -----

    function testFuzz_challengeDelivery_onlyTheProvider(address caller) public {
        vm.assume(caller != PROVIDER);
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attestedJob();
        _recordBlobs(jobId, t, 1);
        vm.expectRevert(abi.encodeWithSelector(IDataDelivery.DataDeliveryNotProvider.selector, caller, PROVIDER));
        vm.prank(caller);
        dataDelivery.challengeDelivery(jobId, t);
    }

    /// @dev One challenge per job, of a recorded delivery, up to the (current) delivery deadline;
    ///      it gives the buyer's side exactly the availability window.
    function testFuzz_challengeDelivery_onceBeforeTheDeliveryDeadline(uint32 wait) public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attestedJob();
        vm.expectRevert(abi.encodeWithSelector(IDataDelivery.DataDeliveryNotRecorded.selector, jobId));
        vm.prank(PROVIDER);
        dataDelivery.challengeDelivery(jobId, t);

        _recordBlobs(jobId, t, 2);
        uint256 challengeAt = bound(wait, _now(), uint256(t.deliveryDeadline) + 1 days);
        vm.warp(challengeAt);
        if (challengeAt > t.deliveryDeadline) {
            vm.expectRevert(
                abi.encodeWithSelector(IDataDelivery.DataDeliveryChallengeLapsed.selector, t.deliveryDeadline)
            );
            vm.prank(PROVIDER);
            dataDelivery.challengeDelivery(jobId, t);
            return;
        }
        vm.prank(PROVIDER);
        dataDelivery.challengeDelivery(jobId, t);
        (IDataDelivery.DeliveryStatus status,, uint64 respondBy,) = dataDelivery.deliveryStatus(jobId);
        assertEq(uint256(status), uint256(IDataDelivery.DeliveryStatus.Challenged), "challenged");
        assertEq(respondBy, challengeAt + AVAILABILITY_WINDOW, "respond by");
        assertEq(dataDelivery.deliveryOf(jobId).challengedAt, challengeAt, "challenged at");

        vm.expectRevert(abi.encodeWithSelector(IDataDelivery.DataDeliveryAlreadyChallenged.selector, jobId));
        vm.prank(PROVIDER);
        dataDelivery.challengeDelivery(jobId, t);
    }

    // ----- serveData -----

    /// @dev Serving every blob answers the challenge (in any order, repeats harmless); the
    ///      extension is the challenge's duration and moves the market's delivery deadline.
    function testFuzz_serveData_answersAndExtendsByTheChallengesDuration(uint8 count, uint32 answerAfter, uint256 order)
        public
    {
        count = uint8(bound(count, 1, 5));
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attestedJob();
        (bytes[] memory data, bytes32[] memory ids, uint64[] memory sizes) = _recordBlobs(jobId, t, count);
        vm.prank(PROVIDER);
        dataDelivery.challengeDelivery(jobId, t);
        uint64 challengedAt = uint64(_now());
        uint256 elapsed = bound(answerAfter, 0, AVAILABILITY_WINDOW);
        vm.warp(_now() + elapsed);

        // Serve in a rotated order, the first blob twice when there are several.
        uint256 start = order % count;
        if (count > 1) {
            vm.prank(RELAYER);
            dataDelivery.serveData(jobId, t, ids, sizes, start, data[start]);
        }
        for (uint256 k = 0; k < count; k++) {
            uint256 i = (start + k) % count;
            if (k == count - 1 && count > 1) {
                assertEq(uint256(_status(jobId)), uint256(IDataDelivery.DeliveryStatus.Challenged), "one blob left");
            }
            vm.prank(RELAYER);
            dataDelivery.serveData(jobId, t, ids, sizes, i, data[i]);
        }
        (IDataDelivery.DeliveryStatus status,, uint64 respondBy, uint64 extension) = dataDelivery.deliveryStatus(jobId);
        assertEq(uint256(status), uint256(IDataDelivery.DeliveryStatus.Answered), "answered");
        assertEq(respondBy, 0, "no pending challenge");
        assertEq(extension, elapsed, "extension = challenge duration");
        IDataDelivery.Delivery memory d = dataDelivery.deliveryOf(jobId);
        assertEq(d.answeredAt, challengedAt + elapsed, "answered at");
        assertEq(d.servedMask, (uint256(1) << count) - 1, "every blob served");

        vm.expectRevert(abi.encodeWithSelector(IDataDelivery.DataDeliveryNotChallenged.selector, jobId));
        dataDelivery.serveData(jobId, t, ids, sizes, 0, data[0]);

        // The provider may deliver until the moved deadline, not after.
        uint256 moved = uint256(t.deliveryDeadline) + extension;
        vm.warp(moved);
        IJobMarket.Result memory r = _result(ENCLAVE_PK, jobId, true, "valid");
        uint256 snapshot = vm.snapshotState();
        vm.prank(PROVIDER);
        market.submitResult(jobId, t, r);
        assertEq(uint256(market.getJob(jobId).status), uint256(JobStatus.Completed), "delivered at the moved deadline");
        vm.revertToState(snapshot);
        vm.warp(moved + 1);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketDeadlinePassed.selector, uint64(moved)));
        vm.prank(PROVIDER);
        market.submitResult(jobId, t, r);
        market.enforceDeadline(jobId, t);
        assertEq(uint256(market.getJob(jobId).status), uint256(JobStatus.Failed), "no result by the moved deadline");
    }

    /// @dev Served bytes must hash (SHA-256) to the recorded id and have the recorded size; the
    ///      lists must be the recorded ones and the index in range.
    function testFuzz_serveData_checksBytesListsAndIndex(bytes memory junk, uint256 index) public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attestedJob();
        (bytes[] memory data, bytes32[] memory ids, uint64[] memory sizes) = _recordBlobs(jobId, t, 2);
        vm.expectRevert(abi.encodeWithSelector(IDataDelivery.DataDeliveryNotChallenged.selector, jobId));
        dataDelivery.serveData(jobId, t, ids, sizes, 0, data[0]);
        vm.prank(PROVIDER);
        dataDelivery.challengeDelivery(jobId, t);

        vm.assume(sha256(junk) != ids[0]);
        vm.expectRevert(
            abi.encodeWithSelector(IDataDelivery.DataDeliveryBlobMismatch.selector, 0, ids[0], sha256(junk))
        );
        dataDelivery.serveData(jobId, t, ids, sizes, 0, junk);

        index = bound(index, 2, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(IDataDelivery.DataDeliveryInvalidBlobs.selector, index, 2));
        dataDelivery.serveData(jobId, t, ids, sizes, index, data[0]);

        uint64[] memory otherSizes = new uint64[](2);
        otherSizes[0] = sizes[0];
        otherSizes[1] = sizes[1] + 1;
        bytes32 recorded = _dataHash(ids, sizes);
        vm.expectRevert(
            abi.encodeWithSelector(IDataDelivery.DataDeliveryMismatch.selector, recorded, _dataHash(ids, otherSizes))
        );
        dataDelivery.serveData(jobId, t, ids, otherSizes, 1, data[1]);
        assertEq(dataDelivery.deliveryOf(jobId).servedMask, 0, "nothing served");
    }

    /// @dev A record whose size is not the blob's real size can never be answered: the right bytes
    ///      are refused for their length, so the lapse is the buyer's to bear.
    function test_serveData_refusesBytesOfAnotherSizeThanRecorded() public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attestedJob();
        (bytes[] memory data, bytes32[] memory ids, uint64[] memory sizes) = _blobs(1, "x");
        sizes[0] += 1;
        _record(OWNER_PK, jobId, t, ids, sizes);
        vm.prank(PROVIDER);
        dataDelivery.challengeDelivery(jobId, t);
        vm.expectRevert(abi.encodeWithSelector(IDataDelivery.DataDeliveryBlobMismatch.selector, 0, ids[0], ids[0]));
        dataDelivery.serveData(jobId, t, ids, sizes, 0, data[0]);
    }

    /// @dev The window is inclusive of its last second.
    function testFuzz_serveData_onlyWithinTheWindow(uint32 late) public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attestedJob();
        (bytes[] memory data, bytes32[] memory ids, uint64[] memory sizes) = _recordBlobs(jobId, t, 1);
        vm.prank(PROVIDER);
        dataDelivery.challengeDelivery(jobId, t);
        uint64 respondBy = uint64(_now()) + AVAILABILITY_WINDOW;
        vm.warp(uint256(respondBy) + bound(late, 1, 10 days));
        vm.expectRevert(abi.encodeWithSelector(IDataDelivery.DataDeliveryChallengeLapsed.selector, respondBy));
        dataDelivery.serveData(jobId, t, ids, sizes, 0, data[0]);
    }

    // ----- how the market settles each state -----

    /// @dev While a challenge runs the job cannot be timed out; once it lapses unanswered, a
    ///      servable delivery is the buyer's default (cancellation fee, collateral released) and a
    ///      larger one is released without fault (nobody paid).
    function testFuzz_enforceDeadline_lapsedChallengeBlamesOnlyServableData(bool large, uint32 late) public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attestedJob();
        (, bytes32[] memory ids, uint64[] memory sizes) = _blobs(2, "x");
        if (large) sizes[1] = uint64(MAX_SERVABLE_BYTES); // total just above the limit
        _record(OWNER_PK, jobId, t, ids, sizes);
        assertTrue(dataDelivery.isServable(jobId) == !large, "servable by size");
        vm.warp(t.deliveryDeadline); // the challenge may come at the last second
        vm.prank(PROVIDER);
        dataDelivery.challengeDelivery(jobId, t);
        uint64 respondBy = t.deliveryDeadline + AVAILABILITY_WINDOW;

        vm.warp(respondBy);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketChallengePending.selector, respondBy));
        market.enforceDeadline(jobId, t);

        vm.warp(uint256(respondBy) + bound(late, 1, 30 days));
        uint256 free = registry.stakeOf(PROVIDER, address(0)).free;
        market.enforceDeadline(jobId, t);
        IJobMarket.Job memory job = market.getJob(jobId);
        assertEq(registry.stakeOf(PROVIDER, address(0)).locked, 0, "nothing locked");
        assertEq(registry.stakeOf(PROVIDER, address(0)).free, free + job.collateral, "collateral released");
        if (large) {
            assertEq(uint256(job.status), uint256(JobStatus.Released), "released");
            assertEq(market.owed(address(0), PROVIDER), 0, "no fee");
            assertEq(market.refundableOf(jobId, t), CEILING, "full refund");
        } else {
            uint256 fee = _floorBps(PRICE, CANCELLATION_FEE_BPS);
            assertEq(uint256(job.status), uint256(JobStatus.BuyerDefaulted), "buyer default");
            assertEq(market.owed(address(0), PROVIDER), fee, "fee owed");
            assertEq(market.refundableOf(jobId, t), CEILING - fee, "refund less the fee");
        }
    }

    /// @dev Without a record, the data deadline decides (NoDataDelivered); with one, a data-fault
    ///      statement must name the recorded hash.
    function test_submitFailure_namesTheRecordedData() public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attestedJob();
        (, bytes32[] memory ids, uint64[] memory sizes) = _recordBlobs(jobId, t, 3);
        IJobMarket.FailureStatement memory st = _statement(FailureReason.DataMismatch, _dataHash(ids, sizes), 0);
        bytes memory sig = _failureSig(ENCLAVE_PK, jobId, st);
        vm.prank(PROVIDER);
        market.submitFailure(jobId, t, st, sig);
        assertEq(uint256(market.getJob(jobId).status), uint256(JobStatus.BuyerDefaulted), "buyer default");

        // The record is closed with the job: no challenge or serve afterwards.
        vm.expectRevert(
            abi.encodeWithSelector(IDataDelivery.DataDeliveryInvalidStatus.selector, jobId, JobStatus.BuyerDefaulted)
        );
        vm.prank(PROVIDER);
        dataDelivery.challengeDelivery(jobId, t);
    }

    // ----- deliveryStatus -----

    /// @dev None → Recorded → Challenged → Answered, with respondBy only while challenged and the
    ///      extension only once answered.
    function test_deliveryStatus_walksThroughEveryState() public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attestedJob();
        (IDataDelivery.DeliveryStatus s, bytes32 h, uint64 respondBy, uint64 ext) = dataDelivery.deliveryStatus(jobId);
        assertEq(uint256(s), uint256(IDataDelivery.DeliveryStatus.None), "none");
        assertEq(h, bytes32(0), "no hash");
        assertTrue(dataDelivery.isServable(jobId), "nothing recorded counts as servable (size 0)");

        (bytes[] memory data, bytes32[] memory ids, uint64[] memory sizes) = _recordBlobs(jobId, t, 2);
        (s, h, respondBy, ext) = dataDelivery.deliveryStatus(jobId);
        assertEq(uint256(s), uint256(IDataDelivery.DeliveryStatus.Recorded), "recorded");
        assertEq(h, _dataHash(ids, sizes), "hash");

        vm.warp(_now() + 1 hours);
        vm.prank(PROVIDER);
        dataDelivery.challengeDelivery(jobId, t);
        (s, h, respondBy, ext) = dataDelivery.deliveryStatus(jobId);
        assertEq(uint256(s), uint256(IDataDelivery.DeliveryStatus.Challenged), "challenged");
        assertEq(respondBy, _now() + AVAILABILITY_WINDOW, "respond by");
        assertEq(ext, 0, "no extension yet");

        vm.warp(_now() + 5 hours);
        _serveAll(jobId, t, data, ids, sizes);
        (s, h, respondBy, ext) = dataDelivery.deliveryStatus(jobId);
        assertEq(uint256(s), uint256(IDataDelivery.DeliveryStatus.Answered), "answered");
        assertEq(respondBy, 0, "no respond-by");
        assertEq(ext, 5 hours, "extension");
        assertEq(address(dataDelivery.jobMarket()), address(market), "market");
        assertEq(dataDelivery.availabilityWindow(), AVAILABILITY_WINDOW, "window");
        assertEq(dataDelivery.maxServableBytes(), MAX_SERVABLE_BYTES, "max servable");
    }
}
