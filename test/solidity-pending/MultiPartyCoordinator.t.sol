// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IJobMarket} from "../../contracts/interfaces/IJobMarket.sol";
import {IMultiPartyCoordinator} from "../../contracts/interfaces/IMultiPartyCoordinator.sol";
import {IProviderRegistry} from "../../contracts/interfaces/IProviderRegistry.sol";
import {JobStatus} from "../../contracts/types/JobStatus.sol";
import {TeeType} from "../../contracts/types/TeeType.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Fuzz tests of the multi-party bookkeeping: the aggregate's included set must be exactly
///         the parties that recorded an update, the quorum is reached exactly at the threshold, and
///         the delivery timeout blames the committee exactly when the aggregate exists without a
///         quorum (collateral released) and the provider otherwise (slashed).
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
        bytes32 encKey = keccak256("enclave x25519");
        address signer = vm.addr(ENCLAVE_PK);
        bytes memory evidence = _validEvidence(jobId, encKey, signer);
        vm.prank(PROVIDER);
        market.submitAttestation(jobId, t, TeeType.Simulated, encKey, signer, evidence);
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
        coordinator.recordAggregate(jobId, t, spec, AGGREGATE, included);
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
        vm.prank(PROVIDER);
        coordinator.recordAggregate(jobId, t, spec, AGGREGATE, 0x5);

        for (uint256 i = 0; i < MEMBERS; i++) {
            if (sharing & (1 << i) == 0) continue;
            vm.prank(_member(i));
            coordinator.recordShare(jobId, t, spec, i, keccak256(abi.encode("share", i)));
        }
        // Signed before the prank and the revert expectation (it calls the coordinator).
        bytes memory result = _multiPartyResult(ENCLAVE_PK, jobId, t.specHash, keccak256("model"));
        bool quorum = _popcount(sharing) >= threshold;
        assertTrue(coordinator.quorumReached(jobId) == quorum, "quorum iff shares >= threshold");
        (bool atFault, uint256 missing) = coordinator.committeeFault(jobId);
        assertTrue(atFault == !quorum, "committee at fault iff no quorum");
        assertEq(missing, ((1 << MEMBERS) - 1) & ~sharing, "missing members");
        (,, uint256 shareCount, uint256 shareMask) = coordinator.recordsOf(jobId);
        assertEq(shareCount, _popcount(sharing), "share count");
        assertEq(shareMask, sharing, "share mask");

        vm.warp(t.deliveryDeadline + 1);
        uint256 collateral = _ceilBps(PRICE, COLLATERAL_RATIO_BPS);
        market.enforceDeadline(jobId, t);
        IJobMarket.Job memory job = market.getJob(jobId);
        assertEq(uint256(job.status), uint256(JobStatus.Failed), "failed");
        IProviderRegistry.Stake memory stake = registry.stakeOf(PROVIDER, address(0));
        assertEq(stake.locked, 0, "nothing locked");
        if (quorum) {
            assertEq(job.compensation, _floorBps(collateral, SLASH_BUYER_SHARE_BPS), "provider slashed");
            assertEq(stake.free, 10 ether - collateral, "collateral lost");
            assertEq(market.refundableOf(jobId, t), CEILING + job.compensation, "refund with compensation");
        } else {
            assertEq(job.compensation, 0, "no compensation");
            assertEq(stake.free, 10 ether, "collateral released");
            assertEq(market.refundableOf(jobId, t), CEILING, "full refund");
        }
    }

    /// @dev Settlement is possible exactly when the quorum is reached.
    function testFuzz_submitResult_needsQuorum(uint8 threshold, uint256 sharing) public {
        threshold = uint8(bound(threshold, 1, MEMBERS));
        sharing = bound(sharing, 0, (1 << MEMBERS) - 1);
        (uint256 jobId, IJobMarket.JobTerms memory t, IMultiPartyCoordinator.MultiPartySpec memory spec) =
            _attestedJob(threshold);
        _recordUpdates(jobId, t, spec, 0x1F);
        vm.prank(PROVIDER);
        coordinator.recordAggregate(jobId, t, spec, AGGREGATE, 0x1F); // all parties in: no need to wait
        for (uint256 i = 0; i < MEMBERS; i++) {
            if (sharing & (1 << i) == 0) continue;
            vm.prank(_member(i));
            coordinator.recordShare(jobId, t, spec, i, keccak256(abi.encode("share", i)));
        }
        // Signed before the prank and the revert expectation (it calls the coordinator).
        bytes memory result = _multiPartyResult(ENCLAVE_PK, jobId, t.specHash, keccak256("model"));
        bool quorum = _popcount(sharing) >= threshold;
        if (!quorum) {
            vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketQuorumNotReached.selector, jobId));
        }
        vm.prank(PROVIDER);
        market.submitResult(jobId, t, keccak256("model"), keccak256("ciphertext"), result);
        JobStatus expected = quorum ? JobStatus.Completed : JobStatus.Attested;
        assertEq(uint256(market.getJob(jobId).status), uint256(expected), "status");
    }
}
