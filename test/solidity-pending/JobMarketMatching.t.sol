// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IJobMarket} from "../../contracts/interfaces/IJobMarket.sol";
import {IProviderRegistry} from "../../contracts/interfaces/IProviderRegistry.sol";
import {JobStatus} from "../../contracts/types/JobStatus.sol";
import {TeeType} from "../../contracts/types/TeeType.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Fuzz tests of bidding (lowest wins, ties to the earlier bid, collateral rounding and
///         hand-over), slashing splits, settlement and the owner-key actions.
contract JobMarketMatchingTest is MarketFixture {
    uint256 internal constant STAKE = 10_000 ether;
    uint256 internal constant OWNER_PK = 0x0A11CE;
    address internal constant REFUND_TO = address(0xBEEF);
    bytes32 internal constant SALT = bytes32("salt");
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    address[3] internal providers = [address(0x1001), address(0x1002), address(0x1003)];

    function setUp() public {
        vm.warp(START_TIME);
        _deployMarket();
        for (uint256 i = 0; i < providers.length; i++) {
            _register(providers[i], TEE_SIMULATED | TEE_TDX);
            _depositEth(providers[i], STAKE);
            _depositToken(providers[i], STAKE);
        }
    }

    function _job(bool tokenAsset, uint96 ceiling) internal returns (uint256 jobId, IJobMarket.JobTerms memory t) {
        t = _terms(
            tokenAsset ? address(token) : address(0), ceiling, vm.addr(OWNER_PK), REFUND_TO, SALT, 1 days, 1 days, 2 days
        );
        jobId = _post(t);
    }

    function _stake(address p, address asset) internal view returns (IProviderRegistry.Stake memory) {
        return registry.stakeOf(p, asset);
    }

    function _balance(address asset, address who) internal view returns (uint256) {
        return asset == address(0) ? who.balance : token.balanceOf(who);
    }

    // ----- bidding -----

    /// @dev A random sequence of bids from three providers: each succeeds exactly when it is
    ///      non-zero, within the ceiling and strictly below the leader, so the lowest bid wins and
    ///      a tie leaves the earlier bidder in front. Only the leader has collateral locked.
    function testFuzz_bid_lowestWinsTiesGoToEarlier(uint96[8] memory prices, uint8[8] memory who, bool coarse, bool tokenAsset)
        public
    {
        uint96 ceiling = 10 ether;
        (uint256 jobId, IJobMarket.JobTerms memory t) = _job(tokenAsset, ceiling);
        address leader;
        uint96 leaderPrice;
        for (uint256 i = 0; i < prices.length; i++) {
            address p = providers[who[i] % 3];
            // Coarse prices (whole ETH, 0..12) make ties, zeros and over-ceiling bids frequent.
            uint96 price = coarse ? uint96(prices[i] % 13) * 1 ether : uint96(bound(prices[i], 0, uint256(ceiling) * 2));
            bytes memory err;
            if (price == 0) err = abi.encodeWithSelector(IJobMarket.JobMarketZeroPrice.selector);
            else if (price > ceiling) err = abi.encodeWithSelector(IJobMarket.JobMarketBidAboveCeiling.selector, price, ceiling);
            else if (leader != address(0) && price >= leaderPrice) {
                err = abi.encodeWithSelector(IJobMarket.JobMarketBidNotLower.selector, price, leaderPrice);
            }
            if (err.length != 0) vm.expectRevert(err);
            vm.prank(p);
            market.placeBid(jobId, t, price);
            if (err.length == 0) (leader, leaderPrice) = (p, price);

            IJobMarket.Job memory job = market.getJob(jobId);
            assertEq(job.provider, leader, "leader");
            assertEq(job.price, leaderPrice, "leading price");
            uint256 expectedCollateral = leader == address(0) ? 0 : _ceilBps(leaderPrice, COLLATERAL_RATIO_BPS);
            assertEq(job.collateral, expectedCollateral, "collateral");
            for (uint256 k = 0; k < providers.length; k++) {
                IProviderRegistry.Stake memory s = _stake(providers[k], t.asset);
                uint256 locked = providers[k] == leader ? expectedCollateral : 0;
                assertEq(s.locked, locked, "locked");
                assertEq(s.free, STAKE - locked, "free");
            }
        }

        vm.warp(t.bidDeadline);
        vm.prank(providers[0]);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketBiddingClosed.selector, t.bidDeadline));
        market.placeBid(jobId, t, 1);
        market.closeBidding(jobId, t);
        JobStatus expected = leader == address(0) ? JobStatus.Expired : JobStatus.Matched;
        assertEq(uint256(market.getJob(jobId).status), uint256(expected), "status after close");
        assertEq(uint256(market.statusOf(jobId)), uint256(expected), "statusOf after close");
        assertEq(market.getJob(jobId).provider, leader, "winner");
    }

    /// @dev An equal bid never displaces the leader, whoever makes it.
    function testFuzz_bid_tieGoesToEarlierBid(uint96 price, uint8 first, uint8 second) public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _job(false, 10 ether);
        price = uint96(bound(price, 1, 10 ether));
        address a = providers[first % 3];
        address b = providers[second % 3];
        vm.prank(a);
        market.placeBid(jobId, t, price);
        vm.prank(b);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketBidNotLower.selector, price, price));
        market.placeBid(jobId, t, price);
        assertEq(market.getJob(jobId).provider, a, "earlier bid keeps the lead");
        assertEq(_stake(b, address(0)).locked, a == b ? _ceilBps(price, COLLATERAL_RATIO_BPS) : 0, "no collateral for tie");
    }

    /// @dev Collateral is ceil(price * ratio / 10_000) at any allowed ratio, and is fully released
    ///      to the previous leader when it is outbid.
    function testFuzz_bid_collateralRoundsUpAndIsReleasedWhenOutbid(
        uint96 ceiling,
        uint96 price1,
        uint96 price2,
        uint16 ratio,
        bool tokenAsset
    ) public {
        ratio = uint16(bound(ratio, 0, market.MAX_COLLATERAL_RATIO_BPS()));
        market.setCollateralRatio(ratio);
        ceiling = uint96(bound(ceiling, MIN_PRICE_ETH, 1_000 ether));
        price1 = uint96(bound(price1, 2, ceiling));
        price2 = uint96(bound(price2, 1, price1 - 1));
        (uint256 jobId, IJobMarket.JobTerms memory t) = _job(tokenAsset, ceiling);

        vm.prank(providers[0]);
        market.placeBid(jobId, t, price1);
        uint256 c1 = _ceilBps(price1, ratio);
        assertTrue(c1 * 10_000 >= uint256(price1) * ratio, "collateral never below the ratio");
        assertEq(_stake(providers[0], t.asset).locked, c1, "first collateral");
        assertEq(_stake(providers[0], t.asset).free, STAKE - c1, "first free");

        vm.prank(providers[1]);
        market.placeBid(jobId, t, price2);
        uint256 c2 = _ceilBps(price2, ratio);
        assertEq(_stake(providers[0], t.asset).locked, 0, "previous leader unlocked");
        assertEq(_stake(providers[0], t.asset).free, STAKE, "previous leader free restored");
        assertEq(_stake(providers[1], t.asset).locked, c2, "new collateral");
        assertEq(market.getJob(jobId).collateral, c2, "job collateral");

        // The same provider undercutting itself re-locks at the new price.
        uint96 price3 = price2 / 2;
        if (price3 != 0) {
            vm.prank(providers[1]);
            market.placeBid(jobId, t, price3);
            assertEq(_stake(providers[1], t.asset).locked, _ceilBps(price3, ratio), "self-undercut collateral");
            assertEq(_stake(providers[1], t.asset).free, STAKE - _ceilBps(price3, ratio), "self-undercut free");
        }
    }

    function testFuzz_bid_revertsWithoutEnoughFreeStake(uint96 stake, uint96 price) public {
        address poor = address(0x2001);
        _register(poor, TEE_SIMULATED);
        price = uint96(bound(price, 3, 10 ether));
        uint256 collateral = _ceilBps(price, COLLATERAL_RATIO_BPS);
        stake = uint96(bound(stake, 1, collateral - 1));
        _depositEth(poor, stake);
        (uint256 jobId, IJobMarket.JobTerms memory t) = _job(false, 10 ether);
        vm.prank(poor);
        vm.expectRevert(
            abi.encodeWithSelector(IProviderRegistry.ProviderRegistryInsufficientStake.selector, stake, collateral)
        );
        market.placeBid(jobId, t, price);
    }

    function testFuzz_bid_revertsOnTeeMismatch(uint8 providerTee, uint8 jobTee) public {
        providerTee = uint8(bound(providerTee, 1, 15)) << 1;
        jobTee = uint8(bound(jobTee, 1, 15)) << 1;
        address p = address(0x2002);
        _register(p, providerTee);
        _depositEth(p, 100 ether);
        IJobMarket.JobTerms memory t =
            _terms(address(0), 1 ether, vm.addr(OWNER_PK), REFUND_TO, SALT, 1 days, 1 days, 1 days);
        t.teeTypes = jobTee;
        uint256 jobId = _post(t);
        if (providerTee & jobTee == 0) {
            vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketTeeMismatch.selector, providerTee, jobTee));
        }
        vm.prank(p);
        market.placeBid(jobId, t, 1 ether);
    }

    // ----- slashing and settlement -----

    function _matched(bool tokenAsset, uint96 ceiling, uint96 price)
        internal
        returns (uint256 jobId, IJobMarket.JobTerms memory t)
    {
        (jobId, t) = _job(tokenAsset, ceiling);
        vm.prank(providers[0]);
        market.placeBid(jobId, t, price);
        vm.warp(t.bidDeadline);
    }

    function _attest(uint256 jobId, IJobMarket.JobTerms memory t, uint256 signingKey) internal {
        bytes32 encKey = keccak256("enclave x25519");
        address signer = address(0xE5C1);
        bytes memory evidence = _evidence(
            SIMULATED_MEASUREMENT,
            market.attestationBinding(jobId, encKey, signer),
            uint64(block.timestamp + 1 hours),
            signingKey
        );
        vm.prank(providers[0]);
        market.submitAttestation(jobId, t, TeeType.Simulated, encKey, signer, evidence);
    }

    struct SlashCase {
        uint96 ceiling;
        uint96 price;
        uint16 ratio;
        uint16 buyerBps;
        uint8 path;
        bool tokenAsset;
    }

    /// @dev Every failure path slashes exactly the collateral: the buyer's share (floor) plus the
    ///      treasury's share (remainder) equals it, and the escrow accounts follow to the wei.
    function testFuzz_slash_splitSumsExactly(SlashCase memory c) public {
        c.ratio = uint16(bound(c.ratio, 0, market.MAX_COLLATERAL_RATIO_BPS()));
        c.buyerBps = uint16(bound(c.buyerBps, 0, 10_000));
        market.setCollateralRatio(c.ratio);
        registry.setSlashBuyerShare(c.buyerBps);
        c.ceiling = uint96(bound(c.ceiling, MIN_PRICE_ETH, 1_000 ether));
        c.price = uint96(bound(c.price, 1, c.ceiling));
        (uint256 jobId, IJobMarket.JobTerms memory t) = _matched(c.tokenAsset, c.ceiling, c.price);
        uint256 collateral = _ceilBps(c.price, c.ratio);

        uint256 treasuryBefore = registry.treasuryAccrued(t.asset);
        uint256 registryBefore = _balance(t.asset, address(registry));
        assertEq(_balance(t.asset, address(market)), c.ceiling, "escrow held");

        _failVia(c.path % 4, jobId, t);

        IJobMarket.Job memory job = market.getJob(jobId);
        assertEq(uint256(job.status), uint256(JobStatus.Failed), "failed");
        uint256 toTreasury = registry.treasuryAccrued(t.asset) - treasuryBefore;
        assertEq(job.compensation + toTreasury, collateral, "buyer share + treasury share == slashed");
        assertEq(job.compensation, _floorBps(collateral, c.buyerBps), "buyer share is the floor");
        IProviderRegistry.Stake memory s = _stake(providers[0], t.asset);
        assertEq(s.locked, 0, "nothing left locked");
        assertEq(s.free, STAKE - collateral, "free stake after slash");
        assertEq(_balance(t.asset, address(registry)), registryBefore - job.compensation, "registry paid the buyer share");
        _checkRefund(jobId, t, uint256(c.ceiling) + job.compensation);
    }

    function _failVia(uint8 path, uint256 jobId, IJobMarket.JobTerms memory t) internal {
        if (path == 0) {
            // Attestation deadline missed.
            vm.warp(t.attestDeadline + 1);
            market.enforceDeadline(jobId, t);
        } else if (path == 1) {
            // Evidence signed by a key other than the development attestation key.
            _attest(jobId, t, DEV_ATTESTATION_KEY + 1);
        } else {
            _attest(jobId, t, DEV_ATTESTATION_KEY);
            assertEq(uint256(market.getJob(jobId).status), uint256(JobStatus.Attested), "attested");
            if (path == 2) {
                vm.prank(providers[0]);
                market.submitResult(jobId, t, keccak256("model"), keccak256("ciphertext"), "forged");
            } else {
                vm.warp(market.getJob(jobId).deliveryDeadline + 1);
                market.enforceDeadline(jobId, t);
            }
        }
    }

    /// @dev The market holds exactly `owed`, pays it all to the committed address, then nothing.
    function _checkRefund(uint256 jobId, IJobMarket.JobTerms memory t, uint256 owed) internal {
        assertEq(_balance(t.asset, address(market)), owed, "market holds the refund");
        assertEq(market.refundableOf(jobId, t), owed, "refundable");
        uint256 refundBefore = _balance(t.asset, REFUND_TO);
        if (owed == 0) vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketNothingToRefund.selector, jobId));
        market.claimRefund(jobId, t, REFUND_TO, SALT);
        assertEq(_balance(t.asset, REFUND_TO) - refundBefore, owed, "refund paid");
        assertEq(_balance(t.asset, address(market)), 0, "market drained");
        if (owed != 0) {
            vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketNothingToRefund.selector, jobId));
            market.claimRefund(jobId, t, REFUND_TO, SALT);
        }
    }

    /// @dev A valid proof pays exactly the price, releases the collateral and leaves the
    ///      difference to the ceiling refundable.
    function testFuzz_settle_validProofPaysProvider(uint96 ceiling, uint96 price, bool tokenAsset) public {
        ceiling = uint96(bound(ceiling, MIN_PRICE_ETH, 1_000 ether));
        price = uint96(bound(price, 1, ceiling));
        (uint256 jobId, IJobMarket.JobTerms memory t) = _matched(tokenAsset, ceiling, price);
        _attest(jobId, t, DEV_ATTESTATION_KEY);
        uint256 providerBefore = _balance(t.asset, providers[0]);
        vm.prank(providers[0]);
        market.submitResult(jobId, t, keccak256("model"), keccak256("ciphertext"), "valid");
        assertEq(uint256(market.getJob(jobId).status), uint256(JobStatus.Completed), "completed");
        assertEq(_balance(t.asset, providers[0]) - providerBefore, price, "provider paid the price");
        assertEq(_stake(providers[0], t.asset).locked, 0, "collateral released");
        assertEq(_stake(providers[0], t.asset).free, STAKE, "stake whole");
        _checkRefund(jobId, t, ceiling - price);
    }

    /// @dev claimRefund expires a job whose bid window ended without bids (and pays the whole
    ///      ceiling), refuses one that is still open, and refuses one with a winner.
    function testFuzz_claimRefund_expiresUnbidJobOnly(uint32 wait, bool withBid, bool tokenAsset) public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _job(tokenAsset, 3 ether);
        if (withBid) {
            vm.prank(providers[1]);
            market.placeBid(jobId, t, 2 ether);
        }
        vm.warp(t.bidDeadline - 1 + bound(wait, 0, 3 days));
        bool ended = block.timestamp >= t.bidDeadline;
        uint256 owed = ended && !withBid ? t.priceCeiling : 0;
        assertEq(market.refundableOf(jobId, t), owed, "refundable before claim");
        uint256 before = _balance(t.asset, REFUND_TO);
        if (owed == 0) vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketNothingToRefund.selector, jobId));
        market.claimRefund(jobId, t, REFUND_TO, SALT);
        assertEq(_balance(t.asset, REFUND_TO) - before, owed, "refund paid");
        JobStatus expected = owed != 0 ? JobStatus.Expired : JobStatus.Open;
        assertEq(uint256(market.getJob(jobId).status), uint256(expected), "stored status");
        assertEq(_balance(t.asset, address(market)), t.priceCeiling - owed, "market balance");
    }

    // ----- owner-key actions -----

    function testFuzz_cancel_onlyByOwnerKeyWithNextNonce(uint256 wrongPk, uint256 badNonce, bool withBid) public {
        wrongPk = bound(wrongPk, 1, SECP256K1_N - 1);
        vm.assume(wrongPk != OWNER_PK);
        (uint256 jobId, IJobMarket.JobTerms memory t) = _job(false, 10 ether);
        if (withBid) {
            vm.prank(providers[2]);
            market.placeBid(jobId, t, 5 ether);
        }
        uint256 deadline = block.timestamp + 1 hours;
        address relayer = address(0x4E1A);

        // Signatures are made before expectRevert/prank, which apply to the next external call.
        bytes memory wrongSig = _cancelSig(wrongPk, jobId, 0, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarketInvalidSignature.selector, vm.addr(wrongPk), t.ownerKey)
        );
        vm.prank(relayer);
        market.cancelJob(jobId, t, 0, deadline, wrongSig);

        vm.assume(badNonce != 0);
        bytes memory badNonceSig = _cancelSig(OWNER_PK, jobId, badNonce, deadline);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketInvalidNonce.selector, t.ownerKey, badNonce, 0));
        vm.prank(relayer);
        market.cancelJob(jobId, t, badNonce, deadline, badNonceSig);

        bytes memory goodSig = _cancelSig(OWNER_PK, jobId, 0, deadline);
        vm.prank(relayer);
        market.cancelJob(jobId, t, 0, deadline, goodSig);
        assertEq(uint256(market.getJob(jobId).status), uint256(JobStatus.Cancelled), "cancelled");
        assertEq(market.nonces(t.ownerKey), 1, "nonce used");
        assertEq(_stake(providers[2], address(0)).locked, 0, "leader's collateral released");
        assertEq(market.refundableOf(jobId, t), t.priceCeiling, "full refund");
    }

    function testFuzz_extend_withinMaximumOnly(uint64 newDeadline) public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _job(false, 1 ether);
        uint256 latest = uint256(t.bidDeadline) + market.MAX_JOB_DURATION();
        newDeadline = uint64(bound(newDeadline, t.deliveryDeadline - 1 days, latest + 1 days));
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _extendSig(OWNER_PK, jobId, newDeadline, 0, deadline);
        bool ok = newDeadline > t.deliveryDeadline && newDeadline <= latest;
        if (!ok) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IJobMarket.JobMarketInvalidExtension.selector, t.deliveryDeadline, newDeadline, latest
                )
            );
        }
        market.extendDeliveryDeadline(jobId, t, newDeadline, 0, deadline, sig);
        assertEq(market.getJob(jobId).deliveryDeadline, ok ? newDeadline : t.deliveryDeadline, "delivery deadline");
        assertEq(market.nonces(t.ownerKey), ok ? 1 : 0, "nonce");
    }
}
