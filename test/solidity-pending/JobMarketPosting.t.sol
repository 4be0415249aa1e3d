// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IJobMarket} from "../../contracts/interfaces/IJobMarket.sol";
import {JobStatus} from "../../contracts/types/JobStatus.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Fuzz tests of postJob: every bad parameter reverts with its custom error, and every
///         well-formed job is stored and escrowed exactly.
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

    // ----- bad parameters -----

    function testFuzz_post_revertsOnZeroPrice(bool tokenAsset) public {
        IJobMarket.JobTerms memory t = _good();
        t.asset = tokenAsset ? address(token) : address(0);
        t.priceCeiling = 0;
        _expectPostRevert(t, abi.encodeWithSelector(IJobMarket.JobMarketZeroPrice.selector));
    }

    function testFuzz_post_revertsBelowMinimum(uint96 price, uint96 tokenMinimum, bool tokenAsset) public {
        IJobMarket.JobTerms memory t = _good();
        uint256 minimum = MIN_PRICE_ETH;
        if (tokenAsset) {
            minimum = bound(tokenMinimum, 2, type(uint96).max);
            market.setMinPrice(address(token), minimum);
            t.asset = address(token);
        }
        t.priceCeiling = uint96(bound(price, 1, minimum - 1));
        _expectPostRevert(
            t, abi.encodeWithSelector(IJobMarket.JobMarketPriceBelowMinimum.selector, t.priceCeiling, minimum)
        );
    }

    function testFuzz_post_revertsOnUnknownTeeTypes(uint8 teeTypes) public {
        // Valid sets are non-empty subsets of bits 1..4.
        vm.assume(teeTypes == 0 || teeTypes & ~uint8(0x1E) != 0);
        IJobMarket.JobTerms memory t = _good();
        t.teeTypes = teeTypes;
        _expectPostRevert(t, abi.encodeWithSelector(IJobMarket.JobMarketUnknownTeeType.selector, teeTypes));
    }

    function testFuzz_post_revertsOnBidDeadlineInPast(uint64 bidDeadline) public {
        IJobMarket.JobTerms memory t = _good();
        t.bidDeadline = uint64(bound(bidDeadline, 0, block.timestamp));
        t.attestDeadline = t.bidDeadline + 1;
        t.deliveryDeadline = t.bidDeadline + 2;
        _expectPostRevert(
            t, abi.encodeWithSelector(IJobMarket.JobMarketDeadlineInPast.selector, t.bidDeadline, block.timestamp)
        );
    }

    function testFuzz_post_revertsOnBidWindowTooLong(uint64 bidDeadline) public {
        uint256 latest = block.timestamp + market.MAX_BID_WINDOW();
        IJobMarket.JobTerms memory t = _good();
        t.bidDeadline = uint64(bound(bidDeadline, latest + 1, type(uint64).max - 2));
        t.attestDeadline = t.bidDeadline + 1;
        t.deliveryDeadline = t.bidDeadline + 2;
        _expectPostRevert(t, abi.encodeWithSelector(IJobMarket.JobMarketDeadlineTooFar.selector, t.bidDeadline, latest));
    }

    function testFuzz_post_revertsOnDeadlinesOutOfOrder(uint64 attestDeadline, uint64 deliveryDeadline, bool breakFirst)
        public
    {
        IJobMarket.JobTerms memory t = _good();
        if (breakFirst) {
            t.attestDeadline = uint64(bound(attestDeadline, 0, t.bidDeadline)); // attest <= bid
            t.deliveryDeadline = uint64(bound(deliveryDeadline, t.bidDeadline + 1, t.bidDeadline + 10 days));
        } else {
            t.attestDeadline = uint64(bound(attestDeadline, t.bidDeadline + 1, t.bidDeadline + 10 days));
            t.deliveryDeadline = uint64(bound(deliveryDeadline, 0, t.attestDeadline)); // delivery <= attest
        }
        _expectPostRevert(
            t,
            abi.encodeWithSelector(
                IJobMarket.JobMarketDeadlinesOutOfOrder.selector, t.bidDeadline, t.attestDeadline, t.deliveryDeadline
            )
        );
    }

    function testFuzz_post_revertsOnDeliveryTooFar(uint64 deliveryDeadline) public {
        IJobMarket.JobTerms memory t = _good();
        uint256 latest = uint256(t.bidDeadline) + market.MAX_JOB_DURATION();
        t.deliveryDeadline = uint64(bound(deliveryDeadline, latest + 1, type(uint64).max));
        _expectPostRevert(
            t, abi.encodeWithSelector(IJobMarket.JobMarketDeadlineTooFar.selector, t.deliveryDeadline, latest)
        );
    }

    function testFuzz_post_revertsOnInvalidParties(uint8 parties, uint8 threshold, uint8 committeeSize, bytes32 committee)
        public
    {
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

    function testFuzz_post_revertsOnMultiPartyWithoutCommittee(uint8 parties, uint8 threshold, uint8 committeeSize)
        public
    {
        IJobMarket.JobTerms memory t = _good();
        t.parties = uint8(bound(parties, 2, 255));
        t.committeeSize = uint8(bound(committeeSize, 1, 255));
        t.threshold = uint8(bound(threshold, 1, t.committeeSize));
        t.committeeHash = bytes32(0);
        _expectPostRevert(t, abi.encodeWithSignature("JobMarketEmptyCommitment(string)", "committeeHash"));
    }

    function testFuzz_post_revertsOnEmptyCommitmentOrOwner(uint8 which) public {
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
                : abi.encodeWithSignature("JobMarketEmptyCommitment(string)", field)
        );
    }

    function testFuzz_post_revertsOnUnsupportedAsset(address asset) public {
        vm.assume(asset != address(0) && asset != address(token));
        IJobMarket.JobTerms memory t = _good();
        t.asset = asset;
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketUnsupportedAsset.selector, asset));
        market.postJob(t);
    }

    function testFuzz_post_revertsOnWrongEthValue(uint96 ceiling, uint256 value) public {
        IJobMarket.JobTerms memory t = _good();
        t.priceCeiling = uint96(bound(ceiling, MIN_PRICE_ETH, 1_000 ether));
        value = bound(value, 0, 2_000 ether);
        vm.assume(value != t.priceCeiling);
        vm.deal(address(this), value);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketWrongValue.selector, value, t.priceCeiling));
        market.postJob{value: value}(t);
    }

    function testFuzz_post_revertsOnTokenJobWithEth(uint96 ceiling, uint256 value) public {
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
        uint64 deliveryGap;
        uint8 teeTypes;
        uint8 parties;
        uint8 threshold;
        uint8 committeeSize;
        bytes32 salt;
        address ownerKey;
        bytes32 measurement;
    }

    function testFuzz_post_succeedsWithValidTerms(GoodInput memory in_) public {
        vm.assume(in_.ownerKey != address(0) && in_.salt != bytes32(0));
        uint64 bidWindow = uint64(bound(in_.bidWindow, 1, market.MAX_BID_WINDOW()));
        uint64 attestGap = uint64(bound(in_.attestGap, 1, market.MAX_JOB_DURATION() - 1));
        uint64 deliveryGap = uint64(bound(in_.deliveryGap, 1, market.MAX_JOB_DURATION() - attestGap));
        address asset = in_.tokenAsset ? address(token) : address(0);
        uint96 ceiling = uint96(bound(in_.ceiling, in_.tokenAsset ? 1 : MIN_PRICE_ETH, 1e30));
        IJobMarket.JobTerms memory t =
            _terms(asset, ceiling, in_.ownerKey, REFUND_TO, in_.salt, bidWindow, attestGap, deliveryGap);
        t.teeTypes = uint8(bound(in_.teeTypes, 1, 15)) << 1; // non-empty subset of bits 1..4
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
        assertEq(job.provider, address(0), "no provider");
        assertEq(market.refundableOf(jobId, t), 0, "nothing refundable while open");
        assertEq(address(market).balance, ethBefore + (in_.tokenAsset ? 0 : ceiling), "ETH escrow");
        assertEq(token.balanceOf(address(market)), tokenBefore + (in_.tokenAsset ? ceiling : 0), "token escrow");
    }
}
