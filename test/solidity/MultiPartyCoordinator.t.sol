// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IJobMarket} from "../../contracts/interfaces/IJobMarket.sol";
import {IMultiPartyCoordinator} from "../../contracts/interfaces/IMultiPartyCoordinator.sol";
import {IProviderRegistry} from "../../contracts/interfaces/IProviderRegistry.sol";
import {FailureReason, JobStatus} from "../../contracts/types/JobStatus.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Fuzz tests of the multi-party bookkeeping and how the market settles it: the aggregate's
///         included set must be exactly the parties that recorded an update, the quorum is reached
///         exactly at the threshold, the delivery timeout is a buyer-side default when no party
///         delivered (`NoDataDelivered`) or the aggregate exists without a quorum
///         (`CommitteeDeadlineMissed`: cancellation fee, collateral released) and the provider's
///         fault otherwise (slashed), and the enclave's `CommitteeBadShares` statement may name only
///         members that recorded a share.
contract MultiPartyCoordinatorTest is MarketFixture {
    uint256 internal constant PARTIES = 5;
    uint256 internal constant MEMBERS = 5;
    uint96 internal constant CEILING = 1 ether;
    uint96 internal constant PRICE = 0.5 ether;
    address internal constant PROVIDER = address(0x1001);
    address internal constant REFUND_TO = address(0xBEEF);
    bytes32 internal constant AGGREGATE = keccak256("aggregate");
    /// @dev The simulated enclave's signing key: its address is the attested `enclaveSigner`.
    uint256 internal constant ENCLAVE_PK = 0xE5C1;

    function setUp() public {
        vm.warp(START_TIME);
        _deployMarket();
        _register(PROVIDER, TEE_SIMULATED);
        _depositEth(PROVIDER, 10 ether);
    }

    // ----- fixtures -----

    function _party(uint256 i) internal pure returns (address) {
        return address(uint160(0xDA7A00 + i));
    }

    function _member(uint256 i) internal pure returns (address) {
        return address(uint160(0xC0AA00 + i));
    }

    /// @dev An Attested job with PARTIES data parties and a `threshold`-of-MEMBERS committee.
    function _attestedJob(uint8 threshold)
        internal
        returns (uint256 jobId, IJobMarket.JobTerms memory t, IMultiPartyCoordinator.MultiPartySpec memory spec)
    {
        t = _terms(address(0), CEILING, vm.addr(0x0A11CE), REFUND_TO, bytes32("salt"), 1 days, 1 days, 4 days);
        spec.dataParties = new address[](PARTIES);
        for (uint256 i = 0; i < PARTIES; i++) spec.dataParties[i] = _party(i);
        spec.committee = new address[](MEMBERS);
        spec.committeeKeys = new bytes32[](MEMBERS);
        for (uint256 i = 0; i < MEMBERS; i++) {
            spec.committee[i] = _member(i);
            spec.committeeKeys[i] = keccak256(abi.encode("x25519", i));
        }
        spec.updateDeadline = t.attestDeadline + 1 days;
        spec.aggregateDeadline = spec.updateDeadline + 1 days;
        spec.shareDeadline = spec.aggregateDeadline + 1 days;
        t.parties = uint8(PARTIES);
        t.threshold = threshold;
        t.committeeSize = uint8(MEMBERS);
        t.committeeHash = keccak256(abi.encode(spec));
        jobId = _post(t);

        vm.prank(PROVIDER);
        market.placeBid(jobId, t, PRICE);
        vm.warp(t.bidDeadline);
        _attest(PROVIDER, jobId, t, ENCLAVE_PK);
    }

    function _recordUpdates(
        uint256 jobId,
        IJobMarket.JobTerms memory t,
        IMultiPartyCoordinator.MultiPartySpec memory spec,
        uint256 mask
    ) internal {
        for (uint256 i = 0; i < PARTIES; i++) {
            if (mask & (1 << i) == 0) continue;
            vm.prank(_party(i));
            coordinator.recordUpdate(jobId, t, spec, i, keccak256(abi.encode("update", i)));
        }
    }

    /// @dev The provider records the aggregate of `mask`, vouched for by the attested enclave.
    function _recordAggregate(
        uint256 jobId,
        IJobMarket.JobTerms memory t,
        IMultiPartyCoordinator.MultiPartySpec memory spec,
        uint256 mask
    ) internal {
        bytes memory sig = _aggregateSig(ENCLAVE_PK, jobId, AGGREGATE, mask);
        vm.prank(PROVIDER);
        coordinator.recordAggregate(jobId, t, spec, AGGREGATE, mask, sig);
    }

    function _popcount(uint256 x) internal pure returns (uint256 n) {
        for (; x != 0; x &= x - 1) n++;
    }

    // ----- fuzz -----

    /// @dev Whatever subset of parties submitted, the aggregate is accepted with exactly that subset
    ///      as its included mask and rejected with any other (dropped-out parties cannot be included,
    ///      recorded ones cannot be left out); with no update at all there is nothing to aggregate.
    function testFuzz_recordAggregate_includedMaskIsExactlyTheRecordedSet(uint256 submitted, uint256 included)
        public
    {
        submitted = bound(submitted, 0, (1 << PARTIES) - 1);
        // Half the runs: a mask near the recorded one (one bit flipped), so near misses are common.
        included = included % 2 == 0 ? submitted ^ (1 << ((included >> 1) % 8)) : included >> 1;
        (uint256 jobId, IJobMarket.JobTerms memory t, IMultiPartyCoordinator.MultiPartySpec memory spec) =
            _attestedJob(3);
        _recordUpdates(jobId, t, spec, submitted);
        (uint256 count, uint256 mask,,) = coordinator.recordsOf(jobId);
        assertEq(count, _popcount(submitted), "update count");
        assertEq(mask, submitted, "update mask");
        vm.warp(spec.updateDeadline + 1);

        // Signed before the revert expectation (it calls the coordinator).
        bytes memory aggregateSig = _aggregateSig(ENCLAVE_PK, jobId, AGGREGATE, included);
        if (submitted == 0) {
            vm.expectRevert(abi.encodeWithSelector(IMultiPartyCoordinator.MultiPartyNoUpdates.selector, jobId));
        } else if (included != submitted) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IMultiPartyCoordinator.MultiPartyIncludedMaskMismatch.selector, included, submitted
                )
            );
        }
        vm.prank(PROVIDER);
        coordinator.recordAggregate(jobId, t, spec, AGGREGATE, included, aggregateSig);
        assertTrue(coordinator.aggregateRecorded(jobId) == (submitted != 0 && included == submitted), "recorded");
        assertTrue(!coordinator.quorumReached(jobId), "no quorum without shares");
    }

    /// @dev With any threshold and any subset of members sharing, the quorum is reached exactly when
    ///      the subset has at least `threshold` members; the missing-member mask is the complement;
    ///      at the delivery deadline the committee is blamed (collateral released, full refund)
    ///      exactly when the quorum was missed, and the provider (slashed) otherwise.
    function testFuzz_recordShare_quorumExactlyAtThresholdAndTimeoutBlame(uint8 threshold, uint256 sharing) public {
        threshold = uint8(bound(threshold, 1, MEMBERS));
        sharing = bound(sharing, 0, (1 << MEMBERS) - 1);
        (uint256 jobId, IJobMarket.JobTerms memory t, IMultiPartyCoordinator.MultiPartySpec memory spec) =
            _attestedJob(threshold);
        _recordUpdates(jobId, t, spec, 0x5);
        vm.warp(spec.updateDeadline + 1);
        _recordAggregate(jobId, t, spec, 0x5);

        for (uint256 i = 0; i < MEMBERS; i++) {
            if (sharing & (1 << i) == 0) continue;
            vm.prank(_member(i));
            coordinator.recordShare(jobId, t, spec, i, keccak256(abi.encode("share", i)));
        }
        bool quorum = _popcount(sharing) >= threshold;
        assertTrue(coordinator.quorumReached(jobId) == quorum, "quorum iff shares >= threshold");
        (bool atFault, uint256 missing) = coordinator.committeeFault(jobId);
        assertTrue(atFault == !quorum, "committee at fault iff no quorum");
        assertEq(missing, ((1 << MEMBERS) - 1) & ~sharing, "missing members");
        (,, uint256 shareCount, uint256 shareMask) = coordinator.recordsOf(jobId);
        assertEq(shareCount, _popcount(sharing), "share count");
        assertEq(shareMask, sharing, "share mask");

        vm.warp(t.deliveryDeadline);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketDeadlineNotPassed.selector, t.deliveryDeadline));
        market.enforceDeadline(jobId, t);
        vm.warp(t.deliveryDeadline + 1);
        uint256 collateral = _collateral(PRICE, COLLATERAL_RATIO_BPS, MIN_COLLATERAL_ETH);
        market.enforceDeadline(jobId, t);
        IJobMarket.Job memory job = market.getJob(jobId);
        IProviderRegistry.Stake memory stake = registry.stakeOf(PROVIDER, address(0));
        assertEq(stake.locked, 0, "nothing locked");
        if (quorum) {
            assertEq(uint256(job.status), uint256(JobStatus.Failed), "provider fault");
            assertEq(job.compensation, _ceilBps(collateral, SLASH_BUYER_SHARE_BPS), "provider slashed");
            assertEq(stake.free, 10 ether - collateral, "collateral lost");
            assertEq(market.refundableOf(jobId, t), CEILING + job.compensation, "refund with compensation");
        } else {
            uint256 fee = _floorBps(PRICE, CANCELLATION_FEE_BPS);
            assertEq(uint256(job.status), uint256(JobStatus.BuyerDefaulted), "committee fault: buyer side");
            assertEq(job.compensation, 0, "no compensation");
            assertEq(stake.free, 10 ether, "collateral released");
            assertEq(market.owed(address(0), PROVIDER), fee, "cancellation fee owed to the provider");
            assertEq(market.refundableOf(jobId, t), CEILING - fee, "refund less the fee");
        }
    }

    /// @dev No party recorded an update by the delivery deadline: the buyers' side never delivered.
    function testFuzz_enforceDeadline_noUpdateIsNoDataDelivered(uint32 late, bool providerCalls) public {
        (uint256 jobId, IJobMarket.JobTerms memory t,) = _attestedJob(2);
        vm.warp(uint256(t.deliveryDeadline) + bound(late, 1, 30 days));
        uint256 before = PROVIDER.balance;
        vm.prank(providerCalls ? PROVIDER : REFUND_TO);
        market.enforceDeadline(jobId, t);
        uint256 fee = _floorBps(PRICE, CANCELLATION_FEE_BPS);
        assertEq(uint256(market.getJob(jobId).status), uint256(JobStatus.BuyerDefaulted), "buyer default");
        assertEq(registry.stakeOf(PROVIDER, address(0)).free, 10 ether, "collateral released");
        assertEq(PROVIDER.balance - before, providerCalls ? fee : 0, "fee sent to the calling provider");
        assertEq(market.owed(address(0), PROVIDER), providerCalls ? 0 : fee, "fee owed otherwise");
    }

    /// @dev The enclave's `CommitteeBadShares` statement ends the job as a buyer-side default when
    ///      it names a non-empty subset of the members that recorded a share and the recorded
    ///      aggregate; any other member set does not apply.
    function testFuzz_submitFailure_committeeBadSharesNamesOnlyRecordedMembers(uint256 sharing, uint256 faulty)
        public
    {
        sharing = bound(sharing, 0, (1 << MEMBERS) - 1);
        faulty = bound(faulty, 0, (1 << (MEMBERS + 1)) - 1);
        (uint256 jobId, IJobMarket.JobTerms memory t, IMultiPartyCoordinator.MultiPartySpec memory spec) =
            _attestedJob(3);
        _recordUpdates(jobId, t, spec, 0x1F);
        _recordAggregate(jobId, t, spec, 0x1F);
        for (uint256 i = 0; i < MEMBERS; i++) {
            if (sharing & (1 << i) == 0) continue;
            vm.prank(_member(i));
            coordinator.recordShare(jobId, t, spec, i, keccak256(abi.encode("share", i)));
        }
        IJobMarket.FailureStatement memory st =
            _statement(FailureReason.CommitteeBadShares, coordinator.aggregateHashOf(jobId), faulty);
        bytes memory sig = _failureSig(ENCLAVE_PK, jobId, st);
        bool applies = faulty != 0 && faulty & ~sharing == 0;
        if (!applies) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IJobMarket.JobMarketFailureNotApplicable.selector, FailureReason.CommitteeBadShares
                )
            );
        }
        market.submitFailure(jobId, t, st, sig);
        JobStatus expected = applies ? JobStatus.BuyerDefaulted : JobStatus.Attested;
        assertEq(uint256(market.getJob(jobId).status), uint256(expected), "status");
        if (applies) assertEq(registry.stakeOf(PROVIDER, address(0)).free, 10 ether, "collateral released");
    }

    /// @dev A `CommitteeBadShares` statement must name the recorded aggregate, and data-fault reasons
    ///      do not apply to multi-party jobs.
    function test_submitFailure_committeeStatementNamesTheAggregate() public {
        (uint256 jobId, IJobMarket.JobTerms memory t, IMultiPartyCoordinator.MultiPartySpec memory spec) =
            _attestedJob(1);
        _recordUpdates(jobId, t, spec, 0x1F);
        _recordAggregate(jobId, t, spec, 0x1F);
        vm.prank(_member(0));
        coordinator.recordShare(jobId, t, spec, 0, keccak256("share"));
        IJobMarket.FailureStatement memory st = _statement(FailureReason.CommitteeBadShares, keccak256("other"), 1);
        bytes memory sig = _failureSig(ENCLAVE_PK, jobId, st);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarketFailureDataMismatch.selector, AGGREGATE, keccak256("other"))
        );
        market.submitFailure(jobId, t, st, sig);

        st = _statement(FailureReason.DataMismatch, AGGREGATE, 0);
        sig = _failureSig(ENCLAVE_PK, jobId, st);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarketFailureNotApplicable.selector, FailureReason.DataMismatch)
        );
        market.submitFailure(jobId, t, st, sig);
    }

    /// @dev Settlement is possible exactly when the quorum is reached.
    function testFuzz_submitResult_needsQuorum(uint8 threshold, uint256 sharing) public {
        threshold = uint8(bound(threshold, 1, MEMBERS));
        sharing = bound(sharing, 0, (1 << MEMBERS) - 1);
        (uint256 jobId, IJobMarket.JobTerms memory t, IMultiPartyCoordinator.MultiPartySpec memory spec) =
            _attestedJob(threshold);
        _recordUpdates(jobId, t, spec, 0x1F);
        _recordAggregate(jobId, t, spec, 0x1F); // all parties in: no need to wait
        for (uint256 i = 0; i < MEMBERS; i++) {
            if (sharing & (1 << i) == 0) continue;
            vm.prank(_member(i));
            coordinator.recordShare(jobId, t, spec, i, keccak256(abi.encode("share", i)));
        }
        // Signed before the prank and the revert expectation (it calls the coordinator).
        IJobMarket.Result memory result =
            _result(ENCLAVE_PK, jobId, true, _multiPartyResult(ENCLAVE_PK, jobId, t.specHash, MODEL));
        bool quorum = _popcount(sharing) >= threshold;
        if (!quorum) {
            vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketQuorumNotReached.selector, jobId));
        }
        vm.prank(PROVIDER);
        market.submitResult(jobId, t, result);
        JobStatus expected = quorum ? JobStatus.Completed : JobStatus.Attested;
        assertEq(uint256(market.getJob(jobId).status), uint256(expected), "status");
    }
}
