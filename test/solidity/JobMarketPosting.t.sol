// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IJobMarket} from "../../contracts/interfaces/IJobMarket.sol";
import {IMultiPartyCoordinator} from "../../contracts/interfaces/IMultiPartyCoordinator.sol";
import {JobStatus} from "../../contracts/types/JobStatus.sol";
import {TeeType} from "../../contracts/types/TeeType.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Fuzz tests of postJob: every bad parameter reverts with its custom error (config id,
///         field elements, threshold range, deadline order including the data deadline, TEE types
///         the pinned config cannot verify, minimum price), and every well-formed job is stored and
///         escrowed exactly.
contract JobMarketPostingTest is MarketFixture {
    address internal constant OWNER_KEY = address(0x0A11CE);
    address internal constant REFUND_TO = address(0xBEEF);

    function setUp() public {
        vm.warp(START_TIME);
        _deployMarket();
    }

    function _good() internal view returns (IJobMarket.JobTerms memory) {
        return _terms(address(0), 1 ether, OWNER_KEY, REFUND_TO, bytes32("salt"), 1 days, 1 days, 7 days);
    }

    function _expectPostRevert(IJobMarket.JobTerms memory t, bytes memory err) internal {
        vm.deal(address(this), address(this).balance + t.priceCeiling);
        vm.expectRevert(err);
        market.postJob{value: t.asset == address(0) ? t.priceCeiling : 0}(t);
    }

    // ----- price -----

    function testFuzz_postJob_revertsOnZeroPrice(bool tokenAsset) public {
        IJobMarket.JobTerms memory t = _good();
        t.asset = tokenAsset ? address(token) : address(0);
        t.priceCeiling = 0;
        _expectPostRevert(t, abi.encodeWithSelector(IJobMarket.JobMarketZeroPrice.selector));
    }

    function testFuzz_postJob_revertsBelowMinimumPrice(uint96 price, uint96 tokenMinimum, bool tokenAsset) public {
        IJobMarket.JobTerms memory t = _good();
        uint256 minimum = MIN_PRICE_ETH;
        if (tokenAsset) {
            minimum = bound(tokenMinimum, 2, type(uint96).max);
            market.setAssetLimits(address(token), minimum, 0);
            t.asset = address(token);
        }
        t.priceCeiling = uint96(bound(price, 1, minimum - 1));
        _expectPostRevert(
            t, abi.encodeWithSelector(IJobMarket.JobMarketPriceBelowMinimum.selector, t.priceCeiling, minimum)
        );
    }

    /// @dev The minimum applies from the next post on: a ceiling exactly at it is accepted.
    function testFuzz_postJob_acceptsTheMinimumPriceExactly(uint96 minimum) public {
        minimum = uint96(bound(minimum, 1, 1_000 ether));
        market.setAssetLimits(address(0), minimum, 0);
        IJobMarket.JobTerms memory t = _good();
        t.priceCeiling = minimum;
        uint256 jobId = _post(t);
        assertEq(uint256(market.getJob(jobId).status), uint256(JobStatus.Open), "posted at the minimum");
    }

    // ----- config -----

    /// @dev Terms must name the current config: any other id (older, future, zero) is refused.
    function testFuzz_postJob_revertsOnStaleConfig(uint32 named, uint8 published) public {
        published = uint8(bound(published, 0, 4));
        for (uint256 i = 0; i < published; i++) {
            _publish(_configParameters());
        }
        uint32 current = market.currentConfigId();
        assertEq(current, 1 + published, "config ids are sequential");
        vm.assume(named != current);
        IJobMarket.JobTerms memory t = _good();
        t.configId = named;
        _expectPostRevert(t, abi.encodeWithSelector(IJobMarket.JobMarketStaleConfig.selector, named, current));
    }

    /// @dev A job may accept only TEE types its config has a verifier for (copied from the enclave
    ///      registry at publication): later registry changes do not widen an existing config.
    function testFuzz_postJob_revertsOnTeeTypeTheConfigCannotVerify(uint8 teeTypes, bool verifySevSnp) public {
        teeTypes = uint8(bound(teeTypes, 1, 15)) << 1; // a valid non-empty subset of bits 1..4
        uint8 verified = TEE_SIMULATED;
        // Set in the registry after the fixture's config was published: only a new config sees it.
        enclaves.setVerifier(TeeType.SevSnp, simVerifier);
        if (verifySevSnp) {
            _publish(_configParameters());
            verified |= TEE_SEV_SNP;
        }
        assertEq(market.configOf(configId).verifiedTeeTypes, verified, "verified types of the config");
        IJobMarket.JobTerms memory t = _good();
        t.teeTypes = teeTypes;
        if (teeTypes & ~verified != 0) {
            _expectPostRevert(
                t, abi.encodeWithSelector(IJobMarket.JobMarketTeeTypeUnverifiable.selector, teeTypes, verified)
            );
        } else {
            _post(t);
        }
    }

    function testFuzz_postJob_revertsOnUnknownTeeTypes(uint8 teeTypes) public {
        // Valid sets are non-empty subsets of bits 1..4.
        vm.assume(teeTypes == 0 || teeTypes & ~uint8(0x1E) != 0);
        IJobMarket.JobTerms memory t = _good();
        t.teeTypes = teeTypes;
        _expectPostRevert(t, abi.encodeWithSelector(IJobMarket.JobMarketUnknownTeeType.selector, teeTypes));
    }

    // ----- commitments and threshold -----

    /// @dev Each commitment that becomes a public input of the proof must be a BN254 field element.
    function testFuzz_postJob_revertsOnCommitmentOutsideTheField(uint256 value, uint8 which) public {
        value = bound(value, FIELD_SIZE, type(uint256).max);
        which = which % 3;
        IJobMarket.JobTerms memory t = _good();
        string memory field;
        if (which == 0) (t.specHash, field) = (bytes32(value), "specHash");
        else if (which == 1) (t.datasetCommitment, field) = (bytes32(value), "datasetCommitment");
        else (t.evalCommitment, field) = (bytes32(value), "evalCommitment");
        _expectPostRevert(t, abi.encodeWithSelector(IJobMarket.JobMarketNotAFieldElement.selector, field));
    }

    /// @dev The largest field element (r − 1) is accepted for every commitment.
    function test_postJob_acceptsTheLargestFieldElement() public {
        IJobMarket.JobTerms memory t = _good();
        t.specHash = bytes32(FIELD_SIZE - 1);
        t.datasetCommitment = bytes32(FIELD_SIZE - 1);
        t.evalCommitment = bytes32(FIELD_SIZE - 1);
        uint256 jobId = _post(t);
        assertEq(market.getJob(jobId).termsHash, keccak256(abi.encode(t)), "stored");
    }

    function testFuzz_postJob_revertsOnThresholdAboveFullScale(uint256 threshold) public {
        IJobMarket.JobTerms memory t = _good();
        t.qualityThreshold = bound(threshold, 10_001, type(uint256).max);
        _expectPostRevert(
            t, abi.encodeWithSelector(IJobMarket.JobMarketThresholdOutOfRange.selector, t.qualityThreshold)
        );
    }

    function testFuzz_postJob_revertsOnEmptyCommitmentOrOwner(uint8 which) public {
        IJobMarket.JobTerms memory t = _good();
        which = which % 5;
        string memory field;
        if (which == 0) (t.specHash, field) = (bytes32(0), "specHash");
        else if (which == 1) (t.datasetCommitment, field) = (bytes32(0), "datasetCommitment");
        else if (which == 2) (t.evalCommitment, field) = (bytes32(0), "evalCommitment");
        else if (which == 3) (t.refundCommitment, field) = (bytes32(0), "refundCommitment");
        else t.ownerKey = address(0);
        _expectPostRevert(
            t,
            which == 4
                ? abi.encodeWithSelector(IJobMarket.JobMarketZeroOwnerKey.selector)
                : abi.encodeWithSelector(IJobMarket.JobMarketEmptyCommitment.selector, field)
        );
    }

    // ----- deadlines -----

    function _expectOutOfOrder(IJobMarket.JobTerms memory t) internal {
        _expectPostRevert(
            t,
            abi.encodeWithSelector(
                IJobMarket.JobMarketDeadlinesOutOfOrder.selector,
                t.bidDeadline,
                t.attestDeadline,
                t.dataDeadline,
                t.deliveryDeadline
            )
        );
    }

    function testFuzz_postJob_revertsOnBidDeadlineInPast(uint64 bidDeadline) public {
        IJobMarket.JobTerms memory t = _good();
        t.bidDeadline = uint64(bound(bidDeadline, 0, _now()));
        t.attestDeadline = t.bidDeadline + 1;
        t.dataDeadline = t.bidDeadline + 2;
        t.deliveryDeadline = t.bidDeadline + 3;
        _expectPostRevert(
            t, abi.encodeWithSelector(IJobMarket.JobMarketDeadlineInPast.selector, t.bidDeadline, _now())
        );
    }

    function testFuzz_postJob_revertsOnBidWindowTooLong(uint64 bidDeadline) public {
        uint256 latest = _now() + market.MAX_BID_WINDOW();
        IJobMarket.JobTerms memory t = _good();
        t.bidDeadline = uint64(bound(bidDeadline, latest + 1, type(uint64).max - 3));
        t.attestDeadline = t.bidDeadline + 1;
        t.dataDeadline = t.bidDeadline + 2;
        t.deliveryDeadline = t.bidDeadline + 3;
        _expectPostRevert(t, abi.encodeWithSelector(IJobMarket.JobMarketDeadlineTooFar.selector, t.bidDeadline, latest));
    }

    /// @dev bid < attest < data < delivery, strictly: breaking any one link reverts with all four.
    function testFuzz_postJob_revertsOnDeadlinesOutOfOrder(uint64 a, uint64 b, uint64 c, uint8 link) public {
        IJobMarket.JobTerms memory t = _good();
        uint64 bid = t.bidDeadline;
        link = link % 3;
        if (link == 0) {
            // attest ≤ bid; the rest in order after the bid deadline.
            t.attestDeadline = uint64(bound(a, 0, bid));
            t.dataDeadline = uint64(bound(b, bid + 1, bid + 10 days));
            t.deliveryDeadline = uint64(bound(c, t.dataDeadline + 1, bid + 20 days));
        } else if (link == 1) {
            // data ≤ attest: the data deadline must come after the attestation deadline.
            t.attestDeadline = uint64(bound(a, bid + 1, bid + 10 days));
            t.dataDeadline = uint64(bound(b, 0, t.attestDeadline));
            t.deliveryDeadline = uint64(bound(c, t.attestDeadline + 1, bid + 20 days));
        } else {
            // delivery ≤ data: the data deadline must come before the delivery deadline.
            t.attestDeadline = uint64(bound(a, bid + 1, bid + 10 days));
            t.dataDeadline = uint64(bound(b, t.attestDeadline + 1, bid + 20 days));
            t.deliveryDeadline = uint64(bound(c, 0, t.dataDeadline));
        }
        _expectOutOfOrder(t);
    }

    function testFuzz_postJob_revertsOnDeliveryTooFar(uint64 deliveryDeadline) public {
        IJobMarket.JobTerms memory t = _good();
        uint256 latest = uint256(t.bidDeadline) + market.MAX_JOB_DURATION();
        t.deliveryDeadline = uint64(bound(deliveryDeadline, latest + 1, type(uint64).max));
        _expectPostRevert(
            t, abi.encodeWithSelector(IJobMarket.JobMarketDeadlineTooFar.selector, t.deliveryDeadline, latest)
        );
    }

    // ----- parties -----

    function testFuzz_postJob_revertsOnInvalidParties(
        uint8 parties,
        uint8 threshold,
        uint8 committeeSize,
        bytes32 committee
    ) public {
        bool valid = parties == 1
            ? threshold == 0 && committeeSize == 0 && committee == bytes32(0)
            : parties != 0 && threshold != 0 && threshold <= committeeSize;
        // Only the parties/committee shape is wrong here (an empty committee hash is its own error).
        vm.assume(!valid);
        IJobMarket.JobTerms memory t = _good();
        t.parties = parties;
        t.threshold = threshold;
        t.committeeSize = committeeSize;
        t.committeeHash = committee;
        _expectPostRevert(
            t, abi.encodeWithSelector(IJobMarket.JobMarketInvalidParties.selector, parties, threshold, committeeSize)
        );
    }

    function testFuzz_postJob_revertsOnMultiPartyWithoutCommittee(uint8 parties, uint8 threshold, uint8 committeeSize)
        public
    {
        IJobMarket.JobTerms memory t = _good();
        t.parties = uint8(bound(parties, 2, 255));
        t.committeeSize = uint8(bound(committeeSize, 1, 255));
        t.threshold = uint8(bound(threshold, 1, t.committeeSize));
        t.committeeHash = bytes32(0);
        _expectPostRevert(t, abi.encodeWithSelector(IJobMarket.JobMarketEmptyCommitment.selector, "committeeHash"));
    }

    /// @dev A config without a coordinator refuses multi-party jobs (single-party ones still post).
    function test_postJob_revertsOnMultiPartyUnderConfigWithoutCoordinator() public {
        IJobMarket.ConfigParameters memory p = _configParameters();
        p.coordinator = IMultiPartyCoordinator(address(0));
        _publish(p);
        IJobMarket.JobTerms memory t = _good();
        _post(t);
        t.parties = 2;
        t.threshold = 1;
        t.committeeSize = 2;
        t.committeeHash = keccak256("committee");
        _expectPostRevert(t, abi.encodeWithSelector(IJobMarket.JobMarketMultiPartyCoordinatorNotSet.selector));
    }

    // ----- assets and value -----

    function testFuzz_postJob_revertsOnUnsupportedAsset(address asset) public {
        vm.assume(asset != address(0) && asset != address(token));
        IJobMarket.JobTerms memory t = _good();
        t.asset = asset;
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketUnsupportedAsset.selector, asset));
        market.postJob(t);
    }

    function testFuzz_postJob_revertsOnWrongEthValue(uint96 ceiling, uint256 value) public {
        IJobMarket.JobTerms memory t = _good();
        t.priceCeiling = uint96(bound(ceiling, MIN_PRICE_ETH, 1_000 ether));
        value = bound(value, 0, 2_000 ether);
        vm.assume(value != t.priceCeiling);
        vm.deal(address(this), value);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketWrongValue.selector, value, t.priceCeiling));
        market.postJob{value: value}(t);
    }

    function testFuzz_postJob_revertsOnTokenJobWithEth(uint96 ceiling, uint256 value) public {
        IJobMarket.JobTerms memory t = _good();
        t.asset = address(token);
        t.priceCeiling = uint96(bound(ceiling, 1, 1_000 ether));
        value = bound(value, 1, 1_000 ether);
        _mint(address(this), t.priceCeiling);
        token.approve(address(market), t.priceCeiling);
        vm.deal(address(this), value);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketWrongValue.selector, value, 0));
        market.postJob{value: value}(t);
    }

    // ----- good parameters -----

    struct GoodInput {
        bool tokenAsset;
        uint96 ceiling;
        uint64 bidWindow;
        uint64 attestGap;
        uint64 dataGap;
        uint64 deliveryGap;
        uint8 parties;
        uint8 threshold;
        uint8 committeeSize;
        bytes32 salt;
        address ownerKey;
        bytes32 measurement;
        uint256 specHash;
        uint256 datasetCommitment;
        uint256 evalCommitment;
        uint256 qualityThreshold;
    }

    function testFuzz_postJob_storesAndEscrowsValidTerms(GoodInput memory in_) public {
        vm.assume(in_.ownerKey != address(0) && in_.salt != bytes32(0));
        uint64 maxDuration = market.MAX_JOB_DURATION();
        uint64 bidWindow = uint64(bound(in_.bidWindow, 1, market.MAX_BID_WINDOW()));
        uint64 attestGap = uint64(bound(in_.attestGap, 1, maxDuration - 2));
        uint64 dataGap = uint64(bound(in_.dataGap, 1, maxDuration - attestGap - 1));
        uint64 deliveryGap = uint64(bound(in_.deliveryGap, 1, maxDuration - attestGap - dataGap));
        address asset = in_.tokenAsset ? address(token) : address(0);
        uint96 ceiling = uint96(bound(in_.ceiling, in_.tokenAsset ? 1 : MIN_PRICE_ETH, 1e26));
        IJobMarket.JobTerms memory t =
            _terms(asset, ceiling, in_.ownerKey, REFUND_TO, in_.salt, bidWindow, attestGap, 2);
        t.dataDeadline = t.attestDeadline + dataGap;
        t.deliveryDeadline = t.dataDeadline + deliveryGap;
        t.specHash = bytes32(bound(in_.specHash, 1, FIELD_SIZE - 1));
        t.datasetCommitment = bytes32(bound(in_.datasetCommitment, 1, FIELD_SIZE - 1));
        t.evalCommitment = bytes32(bound(in_.evalCommitment, 1, FIELD_SIZE - 1));
        t.qualityThreshold = bound(in_.qualityThreshold, 0, 10_000);
        t.measurement = in_.measurement;
        if (in_.parties > 1) {
            t.parties = in_.parties;
            t.committeeSize = uint8(bound(in_.committeeSize, 1, 255));
            t.threshold = uint8(bound(in_.threshold, 1, t.committeeSize));
            t.committeeHash = keccak256(abi.encode("committee", in_.salt));
        }

        uint256 countBefore = market.jobCount();
        uint256 ethBefore = address(market).balance;
        uint256 tokenBefore = token.balanceOf(address(market));
        uint256 jobId = _post(t);

        assertEq(jobId, countBefore + 1, "job id");
        assertEq(market.jobCount(), jobId, "job count");
        IJobMarket.Job memory job = market.getJob(jobId);
        assertEq(job.termsHash, keccak256(abi.encode(t)), "terms hash");
        assertEq(job.termsHash, market.hashTerms(t), "hashTerms");
        assertEq(uint256(job.status), uint256(JobStatus.Open), "status");
        assertEq(job.deliveryDeadline, t.deliveryDeadline, "delivery deadline");
        assertEq(job.bidDeadline, t.bidDeadline, "bid deadline");
        assertEq(job.postedAt, _now(), "posted at");
        assertEq(job.provider, address(0), "no provider");
        assertEq(market.refundableOf(jobId, t), 0, "nothing refundable while open");
        assertEq(address(market).balance, ethBefore + (in_.tokenAsset ? 0 : ceiling), "ETH escrow");
        assertEq(token.balanceOf(address(market)), tokenBefore + (in_.tokenAsset ? ceiling : 0), "token escrow");
    }
}
