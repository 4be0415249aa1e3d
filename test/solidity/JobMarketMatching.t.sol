// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IDataDelivery} from "../../contracts/interfaces/IDataDelivery.sol";
import {IJobMarket} from "../../contracts/interfaces/IJobMarket.sol";
import {IProviderRegistry} from "../../contracts/interfaces/IProviderRegistry.sol";
import {ITrainingVerifier} from "../../contracts/interfaces/ITrainingVerifier.sol";
import {ReentrantReceiver} from "../../contracts/test/ReentrantReceiver.sol";
import {FailureReason, JobStatus} from "../../contracts/types/JobStatus.sol";
import {TeeType} from "../../contracts/types/TeeType.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Fuzz tests of bidding (minimum price, minimum step, lowest wins, ties to the earlier bid,
///         collateral = max(ratio rounded up, minimum) and its hand-over), settlement by outcome
///         under the job's pinned config (full price, compute share, cancellation fee, release,
///         slash with the buyer's share rounded up), enclave-signed results and failure statements,
///         pull-based refunds, and the owner-key actions.
contract JobMarketMatchingTest is MarketFixture {
    uint256 internal constant STAKE = 10_000 ether;
    uint256 internal constant OWNER_PK = 0x0A11CE;
    uint256 internal constant ENCLAVE_PK = 0xE5C1;
    address internal constant REFUND_TO = address(0xBEEF);
    address internal constant KEEPER = address(0x4EE9);
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

    /// @dev The highest bid accepted against a leading bid under `stepBps`.
    function _maxAccepted(uint256 leading, uint256 stepBps) internal pure returns (uint256) {
        uint256 step = leading * stepBps / 10_000;
        return leading - (step == 0 ? 1 : step);
    }

    // ----- bidding -----

    /// @dev A random sequence of bids from three providers: each succeeds exactly when it is at
    ///      least the minimum price, within the ceiling and at least one minimum step (and 1 wei)
    ///      below the leader, so the lowest bid wins and a tie leaves the earlier bidder in front.
    ///      Only the leader has collateral locked, the ratio of its bid rounded up.
    function testFuzz_placeBid_lowestWinsByTheMinimumStep(
        uint96[8] memory prices,
        uint8[8] memory who,
        bool coarse,
        bool tokenAsset
    ) public {
        uint96 ceiling = 10 ether;
        (uint256 jobId, IJobMarket.JobTerms memory t) = _job(tokenAsset, ceiling);
        uint256 minimum = market.minPrice(t.asset);
        address leader;
        uint96 leaderPrice;
        for (uint256 i = 0; i < prices.length; i++) {
            address p = providers[who[i] % 3];
            // Coarse prices (multiples of 0.05 ETH up to 12 ETH) make ties, near-steps, zeros and
            // over-ceiling bids frequent.
            uint96 price = coarse ? uint96(prices[i] % 241) * 0.05 ether : uint96(bound(prices[i], 0, 2 * ceiling));
            bytes memory err;
            if (price == 0 || price < minimum) {
                err = abi.encodeWithSelector(IJobMarket.JobMarketBidBelowMinimum.selector, price, minimum);
            } else if (price > ceiling) {
                err = abi.encodeWithSelector(IJobMarket.JobMarketBidAboveCeiling.selector, price, ceiling);
            } else if (leader != address(0) && price > _maxAccepted(leaderPrice, MIN_BID_STEP_BPS)) {
                err = abi.encodeWithSelector(
                    IJobMarket.JobMarketBidNotLower.selector, price, _maxAccepted(leaderPrice, MIN_BID_STEP_BPS)
                );
            }
            if (err.length != 0) vm.expectRevert(err);
            vm.prank(p);
            market.placeBid(jobId, t, price);
            if (err.length == 0) (leader, leaderPrice) = (p, price);

            IJobMarket.Job memory job = market.getJob(jobId);
            assertEq(job.provider, leader, "leader");
            assertEq(job.price, leaderPrice, "leading price");
            uint256 minColl = market.minCollateral(t.asset);
            uint256 expectedCollateral =
                leader == address(0) ? 0 : _collateral(leaderPrice, COLLATERAL_RATIO_BPS, minColl);
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
        market.placeBid(jobId, t, uint96(minimum + 1));
        market.closeBidding(jobId, t);
        JobStatus expected = leader == address(0) ? JobStatus.Expired : JobStatus.Matched;
        assertEq(uint256(market.getJob(jobId).status), uint256(expected), "status after close");
        assertEq(uint256(market.statusOf(jobId)), uint256(expected), "statusOf after close");
        assertEq(market.getJob(jobId).provider, leader, "winner");
    }

    /// @dev Under any allowed step, a bid exactly one step below the leader is accepted and one wei
    ///      more is refused with the highest acceptable bid; an equal bid never displaces the leader.
    function testFuzz_placeBid_minimumStepBoundary(uint16 stepBps, uint96 first, uint8 a, uint8 b) public {
        IJobMarket.ConfigParameters memory p = _configParameters();
        p.minBidStepBps = uint16(bound(stepBps, 0, market.MAX_BID_STEP_BPS()));
        _publish(p);
        uint96 ceiling = 10 ether;
        (uint256 jobId, IJobMarket.JobTerms memory t) = _job(false, ceiling);
        first = uint96(bound(first, 2 * MIN_PRICE_ETH + 2, ceiling));
        address x = providers[a % 3];
        address y = providers[b % 3];
        vm.prank(x);
        market.placeBid(jobId, t, first);

        uint256 maxAccepted = _maxAccepted(first, p.minBidStepBps);
        assertTrue(maxAccepted < first, "a step is at least one wei");
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketBidNotLower.selector, first, maxAccepted));
        vm.prank(y);
        market.placeBid(jobId, t, first);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketBidNotLower.selector, maxAccepted + 1, maxAccepted));
        vm.prank(y);
        market.placeBid(jobId, t, uint96(maxAccepted + 1));
        assertEq(market.getJob(jobId).provider, x, "refused bids keep the leader");

        vm.prank(y);
        market.placeBid(jobId, t, uint96(maxAccepted));
        assertEq(market.getJob(jobId).provider, y, "one full step below takes the lead");
        assertEq(market.getJob(jobId).price, maxAccepted, "leading price");
    }

    /// @dev Bids below the asset's minimum price (and zero bids under a zero minimum) are refused;
    ///      a bid exactly at the minimum is accepted.
    function testFuzz_placeBid_revertsBelowMinimumPrice(uint96 price, uint96 minimum, bool tokenAsset) public {
        address asset = tokenAsset ? address(token) : address(0);
        minimum = uint96(bound(minimum, 0, 1 ether));
        market.setAssetLimits(asset, minimum, 0);
        (uint256 jobId, IJobMarket.JobTerms memory t) = _job(tokenAsset, 2 ether);
        price = uint96(bound(price, 0, minimum == 0 ? 0 : minimum - 1));
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketBidBelowMinimum.selector, price, minimum));
        vm.prank(providers[0]);
        market.placeBid(jobId, t, price);

        uint96 atMinimum = minimum == 0 ? 1 : minimum;
        vm.prank(providers[0]);
        market.placeBid(jobId, t, atMinimum);
        assertEq(market.getJob(jobId).price, atMinimum, "minimum accepted");
    }

    /// @dev Collateral is max(ceil(price × ratio), minimum collateral) for any ratio and minimum,
    ///      and is fully released to the previous leader when it is outbid (also by itself).
    function testFuzz_placeBid_collateralIsRatioOrMinimum(
        uint96 ceiling,
        uint96 price1,
        uint96 price2,
        uint16 ratio,
        uint96 minColl,
        bool tokenAsset
    ) public {
        IJobMarket.ConfigParameters memory p = _configParameters();
        p.collateralRatioBps = uint16(bound(ratio, 1, market.MAX_COLLATERAL_RATIO_BPS()));
        p.minBidStepBps = 0;
        _publish(p);
        address asset = tokenAsset ? address(token) : address(0);
        minColl = uint96(bound(minColl, 0, 100 ether));
        market.setAssetLimits(asset, MIN_PRICE_ETH, minColl);
        ceiling = uint96(bound(ceiling, MIN_PRICE_ETH + 2, 1_000 ether));
        price1 = uint96(bound(price1, MIN_PRICE_ETH + 1, ceiling));
        price2 = uint96(bound(price2, MIN_PRICE_ETH, price1 - 1));
        (uint256 jobId, IJobMarket.JobTerms memory t) = _job(tokenAsset, ceiling);

        vm.prank(providers[0]);
        market.placeBid(jobId, t, price1);
        uint256 c1 = _collateral(price1, p.collateralRatioBps, minColl);
        assertTrue(c1 * 10_000 >= uint256(price1) * p.collateralRatioBps, "collateral never below the ratio");
        assertTrue(c1 >= minColl && c1 != 0, "collateral never below the minimum, never zero");
        assertEq(_stake(providers[0], asset).locked, c1, "first collateral");
        assertEq(_stake(providers[0], asset).free, STAKE - c1, "first free");

        vm.prank(providers[1]);
        market.placeBid(jobId, t, price2);
        uint256 c2 = _collateral(price2, p.collateralRatioBps, minColl);
        assertEq(_stake(providers[0], asset).locked, 0, "previous leader unlocked");
        assertEq(_stake(providers[0], asset).free, STAKE, "previous leader free restored");
        assertEq(_stake(providers[1], asset).locked, c2, "new collateral");
        assertEq(market.getJob(jobId).collateral, c2, "job collateral");

        // The same provider undercutting itself re-locks at the new price.
        uint96 price3 = price2 - 1;
        if (price3 >= MIN_PRICE_ETH) {
            vm.prank(providers[1]);
            market.placeBid(jobId, t, price3);
            uint256 c3 = _collateral(price3, p.collateralRatioBps, minColl);
            assertEq(_stake(providers[1], asset).locked, c3, "self-undercut collateral");
            assertEq(_stake(providers[1], asset).free, STAKE - c3, "self-undercut free");
        }
    }

    function testFuzz_placeBid_revertsWithoutEnoughFreeStake(uint96 stake, uint96 price) public {
        address poor = address(0x2001);
        _register(poor, TEE_SIMULATED);
        price = uint96(bound(price, MIN_PRICE_ETH, 10 ether));
        uint256 collateral = _collateral(price, COLLATERAL_RATIO_BPS, MIN_COLLATERAL_ETH);
        stake = uint96(bound(stake, 1, collateral - 1));
        _depositEth(poor, stake);
        (uint256 jobId, IJobMarket.JobTerms memory t) = _job(false, 10 ether);
        vm.prank(poor);
        vm.expectRevert(
            abi.encodeWithSelector(IProviderRegistry.ProviderRegistryInsufficientStake.selector, stake, collateral)
        );
        market.placeBid(jobId, t, price);
    }

    function testFuzz_placeBid_revertsOnTeeMismatch(uint8 providerTee, uint8 jobTee) public {
        // Every type verifiable, so any valid set can be posted.
        enclaves.setVerifier(TeeType.SevSnp, simVerifier);
        enclaves.setVerifier(TeeType.Tdx, simVerifier);
        enclaves.setVerifier(TeeType.Sgx, simVerifier);
        _publish(_configParameters());
        providerTee = uint8(bound(providerTee, 1, 15)) << 1;
        jobTee = uint8(bound(jobTee, 1, 15)) << 1;
        address p = address(0x2002);
        _register(p, providerTee);
        _depositEth(p, 100 ether);
        IJobMarket.JobTerms memory t =
            _terms(address(0), 1 ether, vm.addr(OWNER_PK), REFUND_TO, SALT, 1 days, 1 days, 2 days);
        t.teeTypes = jobTee;
        uint256 jobId = _post(t);
        if (providerTee & jobTee == 0) {
            vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketTeeMismatch.selector, providerTee, jobTee));
        }
        vm.prank(p);
        market.placeBid(jobId, t, 1 ether);
    }

    // ----- helpers: a job through its lifecycle -----

    function _matched(bool tokenAsset, uint96 ceiling, uint96 price)
        internal
        returns (uint256 jobId, IJobMarket.JobTerms memory t)
    {
        (jobId, t) = _job(tokenAsset, ceiling);
        vm.prank(providers[0]);
        market.placeBid(jobId, t, price);
        vm.warp(t.bidDeadline);
    }

    function _attested(bool tokenAsset, uint96 ceiling, uint96 price)
        internal
        returns (uint256 jobId, IJobMarket.JobTerms memory t)
    {
        (jobId, t) = _matched(tokenAsset, ceiling, price);
        _attest(providers[0], jobId, t, ENCLAVE_PK);
        assertEq(uint256(market.getJob(jobId).status), uint256(JobStatus.Attested), "attested");
    }

    /// @dev Attests with evidence signed by `signingKey` (the dev attestation key is the valid one).
    function _attestSignedBy(uint256 jobId, IJobMarket.JobTerms memory t, uint256 signingKey) internal {
        bytes32 encKey = keccak256("enclave x25519");
        address signer = vm.addr(ENCLAVE_PK);
        bytes memory evidence = _evidence(
            SIMULATED_MEASUREMENT,
            market.attestationBinding(jobId, encKey, signer),
            uint64(_now() + 1 hours),
            signingKey
        );
        vm.prank(providers[0]);
        market.submitAttestation(jobId, t, TeeType.Simulated, encKey, signer, evidence);
    }

    function _recordTestBlobs(uint256 jobId, IJobMarket.JobTerms memory t) internal returns (bytes32 dataHash) {
        (, bytes32[] memory ids, uint64[] memory sizes) = _blobs(2, bytes32(jobId));
        _record(OWNER_PK, jobId, t, ids, sizes);
        return _dataHash(ids, sizes);
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

    // ----- provider faults: slashing -----

    struct SlashCase {
        uint96 ceiling;
        uint96 price;
        uint16 ratio;
        uint16 buyerBps;
        uint8 path;
        bool tokenAsset;
    }

    /// @dev Every provider-fault path slashes exactly the collateral: the buyer's share, rounded up
    ///      (never zero), plus the treasury's remainder equals it, the escrow accounts follow to the
    ///      wei and the buyer can claim its escrow plus that share.
    function testFuzz_slash_buyerShareRoundsUpAndSplitSumsExactly(SlashCase memory c) public {
        IJobMarket.ConfigParameters memory p = _configParameters();
        p.collateralRatioBps = uint16(bound(c.ratio, 1, market.MAX_COLLATERAL_RATIO_BPS()));
        p.slashBuyerShareBps = uint16(bound(c.buyerBps, 1, 10_000));
        _publish(p);
        market.setAssetLimits(c.tokenAsset ? address(token) : address(0), MIN_PRICE_ETH, 0);
        c.ceiling = uint96(bound(c.ceiling, MIN_PRICE_ETH, 1_000 ether));
        c.price = uint96(bound(c.price, MIN_PRICE_ETH, c.ceiling));
        (uint256 jobId, IJobMarket.JobTerms memory t) = _matched(c.tokenAsset, c.ceiling, c.price);
        uint256 collateral = _ceilBps(c.price, p.collateralRatioBps);

        uint256 treasuryBefore = registry.treasuryAccrued(t.asset);
        uint256 registryBefore = _balance(t.asset, address(registry));
        assertEq(_balance(t.asset, address(market)), c.ceiling, "escrow held");

        _failVia(c.path % 5, jobId, t);

        IJobMarket.Job memory job = market.getJob(jobId);
        assertEq(uint256(job.status), uint256(JobStatus.Failed), "failed");
        uint256 toTreasury = registry.treasuryAccrued(t.asset) - treasuryBefore;
        assertEq(job.compensation + toTreasury, collateral, "buyer share + treasury share == slashed");
        assertEq(job.compensation, _ceilBps(collateral, p.slashBuyerShareBps), "buyer share is rounded up");
        assertTrue(job.compensation != 0, "the buyer's compensation never rounds to zero");
        IProviderRegistry.Stake memory s = _stake(providers[0], t.asset);
        assertEq(s.locked, 0, "nothing left locked");
        assertEq(s.free, STAKE - collateral, "free stake after slash");
        assertEq(_balance(t.asset, address(registry)), registryBefore - job.compensation, "registry paid the share");
        _checkRefund(jobId, t, uint256(c.ceiling) + job.compensation);
    }

    function _failVia(uint8 path, uint256 jobId, IJobMarket.JobTerms memory t) internal {
        if (path == 0) {
            // Attestation deadline missed.
            vm.warp(t.attestDeadline + 1);
            market.enforceDeadline(jobId, t);
        } else if (path == 1) {
            // Evidence signed by a key other than the development attestation key.
            _attestSignedBy(jobId, t, DEV_ATTESTATION_KEY + 1);
        } else {
            _attest(providers[0], jobId, t, ENCLAVE_PK);
            if (path == 2 || path == 3) {
                // A proof the verifier rejects, or one it reverts on: both are the provider's fault.
                bytes memory proof = path == 2 ? bytes("forged") : bytes("revert");
                IJobMarket.Result memory r = _result(ENCLAVE_PK, jobId, true, proof);
                vm.prank(providers[0]);
                market.submitResult(jobId, t, r);
            } else {
                // Data recorded, no result by the delivery deadline.
                _recordTestBlobs(jobId, t);
                vm.warp(market.getJob(jobId).deliveryDeadline + 1);
                market.enforceDeadline(jobId, t);
            }
        }
    }

    // ----- results: Completed and BelowThreshold -----

    /// @dev A valid proof pays the price when the threshold is met and the config's compute share
    ///      (rounded down) when it is not; either way the collateral is released and the rest of the
    ///      escrow is refundable.
    function testFuzz_submitResult_paysByOutcome(
        uint96 ceiling,
        uint96 price,
        uint16 computeShare,
        bool thresholdMet,
        bool tokenAsset
    ) public {
        IJobMarket.ConfigParameters memory p = _configParameters();
        p.computeShareBps = uint16(bound(computeShare, 0, 10_000));
        _publish(p);
        ceiling = uint96(bound(ceiling, MIN_PRICE_ETH, 1_000 ether));
        price = uint96(bound(price, MIN_PRICE_ETH, ceiling));
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attested(tokenAsset, ceiling, price);
        IJobMarket.Result memory r = _result(ENCLAVE_PK, jobId, thresholdMet, "valid");
        uint256 providerBefore = _balance(t.asset, providers[0]);
        vm.prank(providers[0]);
        market.submitResult(jobId, t, r);
        uint256 paid = thresholdMet ? price : _floorBps(price, p.computeShareBps);
        JobStatus expected = thresholdMet ? JobStatus.Completed : JobStatus.BelowThreshold;
        assertEq(uint256(market.getJob(jobId).status), uint256(expected), "outcome");
        assertEq(_balance(t.asset, providers[0]) - providerBefore, paid, "provider paid");
        assertEq(_stake(providers[0], t.asset).locked, 0, "collateral released");
        assertEq(_stake(providers[0], t.asset).free, STAKE, "stake whole");
        _checkRefund(jobId, t, ceiling - paid);
    }

    function _recover(bytes32 digest, bytes memory sig) internal pure returns (address) {
        (bytes32 r, bytes32 s) = abi.decode(sig, (bytes32, bytes32));
        return ecrecover(digest, uint8(sig[64]), r, s);
    }

    /// @dev A result not signed by the attested enclave over exactly these fields reverts (no
    ///      slash: the provider can resubmit), whatever field differs.
    function testFuzz_submitResult_revertsUnlessSignedByTheAttestedEnclave(uint256 otherPk, uint8 tamper) public {
        otherPk = bound(otherPk, 1, SECP256K1_N - 1);
        vm.assume(otherPk != ENCLAVE_PK);
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attested(false, 1 ether, 0.5 ether);
        IJobMarket.Result memory r = _result(ENCLAVE_PK, jobId, true, "valid");
        tamper = tamper % 4;
        if (tamper == 0) r.enclaveSignature = _resultSig(otherPk, jobId, MODEL, CIPHERTEXT, true);
        else if (tamper == 1) r.thresholdMet = false;
        else if (tamper == 2) r.modelCiphertextHash = keccak256("another ciphertext");
        else r.modelCommitment = keccak256("another model");
        bytes32 digest = _marketDigest(
            keccak256(
                abi.encode(
                    market.TRAINING_RESULT_TYPEHASH(), jobId, r.modelCommitment, r.modelCiphertextHash, r.thresholdMet
                )
            )
        );
        address recovered = _recover(digest, r.enclaveSignature);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJobMarket.JobMarketEnclaveSignatureInvalid.selector, recovered, vm.addr(ENCLAVE_PK)
            )
        );
        vm.prank(providers[0]);
        market.submitResult(jobId, t, r);
        assertEq(uint256(market.getJob(jobId).status), uint256(JobStatus.Attested), "still attested");

        IJobMarket.Result memory good = _result(ENCLAVE_PK, jobId, true, "valid");
        vm.prank(providers[0]);
        market.submitResult(jobId, t, good);
        assertEq(uint256(market.getJob(jobId).status), uint256(JobStatus.Completed), "resubmitted");
    }

    function test_submitResult_revertsOnEmptyResultAndForOthers() public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attested(false, 1 ether, 0.5 ether);
        IJobMarket.Result memory r = _result(ENCLAVE_PK, jobId, true, "valid");
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketNotProvider.selector, providers[1], providers[0]));
        vm.prank(providers[1]);
        market.submitResult(jobId, t, r);
        r.modelCommitment = bytes32(0);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketEmptyResult.selector));
        vm.prank(providers[0]);
        market.submitResult(jobId, t, r);
    }

    // ----- buyer-side faults: BuyerDefaulted -----

    /// @dev No delivery recorded by the data deadline: anyone may end the job; the provider gets
    ///      the config's cancellation fee (sent when it calls, owed otherwise) and its collateral.
    function testFuzz_enforceDeadline_noDataDeliveredPaysTheCancellationFee(
        uint96 price,
        uint16 feeBps,
        bool providerCalls,
        bool tokenAsset
    ) public {
        IJobMarket.ConfigParameters memory p = _configParameters();
        p.cancellationFeeBps = uint16(bound(feeBps, 0, 10_000));
        _publish(p);
        price = uint96(bound(price, MIN_PRICE_ETH, 5 ether));
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attested(tokenAsset, 5 ether, price);
        vm.warp(t.dataDeadline);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketDeadlineNotPassed.selector, t.dataDeadline));
        market.enforceDeadline(jobId, t);

        vm.warp(t.dataDeadline + 1);
        address caller = providerCalls ? providers[0] : KEEPER;
        uint256 fee = _floorBps(price, p.cancellationFeeBps);
        uint256 before = _balance(t.asset, providers[0]);
        vm.prank(caller);
        market.enforceDeadline(jobId, t);
        assertEq(uint256(market.getJob(jobId).status), uint256(JobStatus.BuyerDefaulted), "buyer defaulted");
        assertEq(_stake(providers[0], t.asset).free, STAKE, "collateral released, nothing slashed");
        if (providerCalls) {
            assertEq(_balance(t.asset, providers[0]) - before, fee, "fee sent to the calling provider");
            assertEq(market.owed(t.asset, providers[0]), 0, "nothing owed");
        } else {
            assertEq(_balance(t.asset, providers[0]), before, "nothing pushed to a provider that did not call");
            assertEq(market.owed(t.asset, providers[0]), fee, "fee owed");
            if (fee != 0) {
                vm.prank(providers[0]);
                market.withdrawOwed(t.asset, providers[0]);
                assertEq(_balance(t.asset, providers[0]) - before, fee, "fee withdrawn");
            }
            vm.expectRevert(
                abi.encodeWithSelector(IJobMarket.JobMarketNothingOwed.selector, providers[0], t.asset)
            );
            vm.prank(providers[0]);
            market.withdrawOwed(t.asset, providers[0]);
        }
        assertEq(_balance(t.asset, address(market)), 5 ether - fee, "the market keeps the refund only");
        _checkRefund(jobId, t, 5 ether - fee);
    }

    /// @dev The enclave's signed statement about the recorded data ends the job as a buyer-side
    ///      default whoever relays it; the fee is sent to the provider if it relays, owed otherwise.
    function testFuzz_submitFailure_dataFaultPaysTheCancellationFee(uint8 reasonSeed, bool providerCalls) public {
        FailureReason reason = FailureReason(uint8(FailureReason.DataMismatch) + reasonSeed % 3);
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attested(false, 2 ether, 1 ether);
        bytes32 dataHash = _recordTestBlobs(jobId, t);
        IJobMarket.FailureStatement memory st = _statement(reason, dataHash, 0);
        bytes memory sig = _failureSig(ENCLAVE_PK, jobId, st);
        uint256 fee = _floorBps(1 ether, CANCELLATION_FEE_BPS);
        uint256 before = providers[0].balance;
        vm.prank(providerCalls ? providers[0] : KEEPER);
        market.submitFailure(jobId, t, st, sig);
        assertEq(uint256(market.getJob(jobId).status), uint256(JobStatus.BuyerDefaulted), "buyer defaulted");
        assertEq(providers[0].balance - before + market.owed(address(0), providers[0]), fee, "fee paid or owed");
        assertEq(market.owed(address(0), providers[0]), providerCalls ? 0 : fee, "owed only when relayed");
        assertEq(_stake(providers[0], address(0)).free, STAKE, "collateral released");
        if (!providerCalls) {
            vm.prank(providers[0]);
            market.withdrawOwed(address(0), providers[0]);
        }
        _checkRefund(jobId, t, 2 ether - fee);
    }

    /// @dev Statements that are not the attested enclave's, name other data, or do not apply to a
    ///      single-party job with a recorded delivery are refused (and change nothing).
    function test_submitFailure_refusesStatementsThatDoNotApply() public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _attested(false, 2 ether, 1 ether);
        IJobMarket.FailureStatement memory st = _statement(FailureReason.DataMismatch, keccak256("data"), 0);
        bytes memory sig = _failureSig(ENCLAVE_PK, jobId, st);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketDeliveryNotRecorded.selector, jobId));
        market.submitFailure(jobId, t, st, sig);

        bytes32 dataHash = _recordTestBlobs(jobId, t);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarketFailureDataMismatch.selector, dataHash, keccak256("data"))
        );
        market.submitFailure(jobId, t, st, sig);

        // Reasons the chain itself decides, or that only apply to multi-party jobs.
        FailureReason[7] memory inapplicable = [
            FailureReason.None,
            FailureReason.AttestationDeadlineMissed,
            FailureReason.DeliveryDeadlineMissed,
            FailureReason.NoDataDelivered,
            FailureReason.DataUnavailable,
            FailureReason.CommitteeBadShares,
            FailureReason.EvidenceRevoked
        ];
        for (uint256 i = 0; i < inapplicable.length; i++) {
            IJobMarket.FailureStatement memory bad = _statement(inapplicable[i], dataHash, 1);
            bytes memory badSig = _failureSig(ENCLAVE_PK, jobId, bad);
            vm.expectRevert(
                abi.encodeWithSelector(IJobMarket.JobMarketFailureNotApplicable.selector, inapplicable[i])
            );
            market.submitFailure(jobId, t, bad, badSig);
        }
        // A data statement naming committee members does not apply to a single-party job.
        IJobMarket.FailureStatement memory members = _statement(FailureReason.DataMalformed, dataHash, 1);
        bytes memory membersSig = _failureSig(ENCLAVE_PK, jobId, members);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarketFailureNotApplicable.selector, FailureReason.DataMalformed)
        );
        market.submitFailure(jobId, t, members, membersSig);

        // Signed by the host's key instead of the attested enclave's.
        st = _statement(FailureReason.DataOverflow, dataHash, 0);
        bytes memory hostSig = _failureSig(0xB0B, jobId, st);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJobMarket.JobMarketFailureSignatureInvalid.selector, vm.addr(0xB0B), vm.addr(ENCLAVE_PK)
            )
        );
        market.submitFailure(jobId, t, st, hostSig);

        // After the delivery deadline the statement comes too late.
        sig = _failureSig(ENCLAVE_PK, jobId, st);
        vm.warp(t.deliveryDeadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketDeadlinePassed.selector, t.deliveryDeadline));
        market.submitFailure(jobId, t, st, sig);
        assertEq(uint256(market.getJob(jobId).status), uint256(JobStatus.Attested), "nothing changed");
    }

    // ----- no fault: Released -----

    /// @dev A measurement revoked after the job was posted releases the job without fault (full
    ///      refund, collateral back); one revoked before the job was posted is the provider's fault.
    function testFuzz_submitAttestation_revocationReleasesOnlyWhenAfterPosting(uint32 revokeDelay, bool before)
        public
    {
        uint256 jobId;
        IJobMarket.JobTerms memory t;
        if (before) {
            enclaves.revokeMeasurement(TeeType.Simulated, SIMULATED_MEASUREMENT);
            vm.warp(_now() + bound(revokeDelay, 0, 1 days));
            (jobId, t) = _matched(false, 2 ether, 1 ether);
        } else {
            (jobId, t) = _job(false, 2 ether);
            vm.prank(providers[0]);
            market.placeBid(jobId, t, 1 ether);
            vm.warp(_now() + bound(revokeDelay, 1, 2 days));
            enclaves.revokeMeasurement(TeeType.Simulated, SIMULATED_MEASUREMENT);
            vm.warp(t.bidDeadline > _now() ? t.bidDeadline : _now());
        }
        uint256 collateral = _collateral(1 ether, COLLATERAL_RATIO_BPS, MIN_COLLATERAL_ETH);
        _attest(providers[0], jobId, t, ENCLAVE_PK);
        IJobMarket.Job memory job = market.getJob(jobId);
        if (before) {
            assertEq(uint256(job.status), uint256(JobStatus.Failed), "revoked before posting: provider fault");
            assertEq(_stake(providers[0], address(0)).free, STAKE - collateral, "slashed");
        } else {
            assertEq(uint256(job.status), uint256(JobStatus.Released), "revoked after posting: released");
            assertEq(_stake(providers[0], address(0)).free, STAKE, "collateral released");
            _checkRefund(jobId, t, 2 ether);
        }
    }

    // ----- pinned config -----

    /// @dev Publishing a new config (any ratio, shares, fees, step, another training verifier)
    ///      after a job was posted changes nothing for it: its bids, payout and slash follow the
    ///      config it names.
    function testFuzz_config_aJobSettlesByItsPinnedConfig(
        uint16 ratio,
        uint16 buyerShare,
        uint16 computeShare,
        uint16 fee,
        bool defaulted
    ) public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _job(false, 2 ether);
        IJobMarket.ConfigParameters memory p = _configParameters();
        // The coordinator rejects every single-party claim: a job read through this config could not complete.
        p.trainingVerifier = ITrainingVerifier(address(coordinator));
        p.collateralRatioBps = uint16(bound(ratio, 1, market.MAX_COLLATERAL_RATIO_BPS()));
        p.slashBuyerShareBps = uint16(bound(buyerShare, 1, 10_000));
        p.computeShareBps = uint16(bound(computeShare, 0, 10_000));
        p.cancellationFeeBps = uint16(bound(fee, 0, 10_000));
        p.minBidStepBps = market.MAX_BID_STEP_BPS();
        uint32 pinned = t.configId;
        _publish(p);
        assertTrue(market.currentConfigId() != pinned, "a new config is current");

        vm.prank(providers[0]);
        market.placeBid(jobId, t, 1 ether);
        // The pinned 1 % step, not the new 50 % one.
        vm.prank(providers[1]);
        market.placeBid(jobId, t, 0.99 ether);
        uint256 collateral = _collateral(0.99 ether, COLLATERAL_RATIO_BPS, MIN_COLLATERAL_ETH);
        assertEq(market.getJob(jobId).collateral, collateral, "pinned collateral ratio");
        vm.warp(t.bidDeadline);
        _attest(providers[1], jobId, t, ENCLAVE_PK);
        if (defaulted) {
            vm.warp(t.dataDeadline + 1);
            _recordTestBlobsLate(jobId, t);
            vm.warp(t.deliveryDeadline + 1);
            market.enforceDeadline(jobId, t);
            IJobMarket.Job memory job = market.getJob(jobId);
            assertEq(uint256(job.status), uint256(JobStatus.BuyerDefaulted), "no record: buyer default");
            assertEq(market.owed(address(0), providers[1]), _floorBps(0.99 ether, CANCELLATION_FEE_BPS), "pinned fee");
        } else {
            IJobMarket.Result memory r = _result(ENCLAVE_PK, jobId, false, "valid");
            uint256 before = providers[1].balance;
            vm.prank(providers[1]);
            market.submitResult(jobId, t, r);
            assertEq(uint256(market.getJob(jobId).status), uint256(JobStatus.BelowThreshold), "pinned verifier");
            assertEq(providers[1].balance - before, _floorBps(0.99 ether, COMPUTE_SHARE_BPS), "pinned compute share");
        }
    }

    /// @dev A record after the data deadline is refused (the job stays unrecorded).
    function _recordTestBlobsLate(uint256 jobId, IJobMarket.JobTerms memory t) internal {
        (, bytes32[] memory ids, uint64[] memory sizes) = _blobs(1, bytes32(jobId));
        uint256 deadline = _now() + 1 hours;
        bytes memory sig = _recordSig(OWNER_PK, dataDelivery, jobId, _dataHash(ids, sizes), deadline);
        vm.expectRevert(abi.encodeWithSignature("DataDeliveryDeadlinePassed(uint64)", t.dataDeadline));
        dataDelivery.recordDelivery(jobId, t, ids, sizes, deadline, sig);
    }

    /// @dev The slash of a job follows its pinned buyer share even after a new config changes it.
    function testFuzz_config_slashFollowsThePinnedBuyerShare(uint16 buyerShare) public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _matched(false, 2 ether, 1 ether);
        IJobMarket.ConfigParameters memory p = _configParameters();
        p.slashBuyerShareBps = uint16(bound(buyerShare, 1, 10_000));
        _publish(p);
        vm.warp(t.attestDeadline + 1);
        market.enforceDeadline(jobId, t);
        uint256 collateral = _collateral(1 ether, COLLATERAL_RATIO_BPS, MIN_COLLATERAL_ETH);
        assertEq(market.getJob(jobId).compensation, _ceilBps(collateral, SLASH_BUYER_SHARE_BPS), "pinned share");
    }

    function testFuzz_publishConfig_refusesOutOfRangeParameters(uint16 value, uint8 field) public {
        IJobMarket.ConfigParameters memory p = _configParameters();
        field = field % 7;
        string memory name;
        if (field == 0) {
            uint256 tooHigh = bound(value, market.MAX_COLLATERAL_RATIO_BPS() + 1, type(uint16).max);
            p.collateralRatioBps = value % 2 == 0 ? 0 : uint16(tooHigh);
            name = "collateralRatioBps";
        } else if (field == 1) {
            p.slashBuyerShareBps = value % 2 == 0 ? 0 : uint16(bound(value, 10_001, type(uint16).max));
            name = "slashBuyerShareBps";
        } else if (field == 2) {
            p.computeShareBps = uint16(bound(value, 10_001, type(uint16).max));
            name = "computeShareBps";
        } else if (field == 3) {
            p.cancellationFeeBps = uint16(bound(value, 10_001, type(uint16).max));
            name = "cancellationFeeBps";
        } else if (field == 4) {
            p.minBidStepBps = uint16(bound(value, market.MAX_BID_STEP_BPS() + 1, type(uint16).max));
            name = "minBidStepBps";
        } else if (field == 5) {
            p.trainingVerifier = ITrainingVerifier(address(0));
            name = "trainingVerifier";
        } else {
            p.dataDelivery = IDataDelivery(address(0));
            name = "dataDelivery";
        }
        uint32 before = market.currentConfigId();
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketInvalidConfig.selector, name));
        market.publishConfig(p);
        assertEq(market.currentConfigId(), before, "nothing published");
    }

    // ----- refunds -----

    /// @dev A refundTo that rejects ETH cannot block the claim: the refund is owed to it instead and
    ///      withdrawn by it later, to any address, exactly once.
    function testFuzz_claimRefund_rejectingRefundToIsOwedThenWithdrawn(uint96 ceiling, uint160 toSeed) public {
        address to = address(uint160(bound(toSeed, 0x10000, 0xFFFFFFFF)));
        ceiling = uint96(bound(ceiling, MIN_PRICE_ETH, 100 ether));
        ReentrantReceiver receiver = new ReentrantReceiver();
        receiver.setRejectEther(true);
        IJobMarket.JobTerms memory t =
            _terms(address(0), ceiling, vm.addr(OWNER_PK), address(receiver), SALT, 1 days, 1 days, 2 days);
        uint256 jobId = _post(t);
        vm.warp(t.bidDeadline);
        market.claimRefund(jobId, t, address(receiver), SALT);
        assertEq(uint256(market.getJob(jobId).status), uint256(JobStatus.Expired), "expired by the claim");
        assertEq(market.owed(address(0), address(receiver)), ceiling, "owed to refundTo");
        assertEq(address(market).balance, ceiling, "the market still holds it");
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketNothingToRefund.selector, jobId));
        market.claimRefund(jobId, t, address(receiver), SALT);

        uint256 before = to.balance;
        vm.prank(address(receiver));
        market.withdrawOwed(address(0), to);
        assertEq(to.balance - before, ceiling, "withdrawn to the chosen address");
        assertEq(address(market).balance, 0, "market drained");
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarketNothingOwed.selector, address(receiver), address(0))
        );
        vm.prank(address(receiver));
        market.withdrawOwed(address(0), to);
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
        bool ended = _now() >= t.bidDeadline;
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

    function testFuzz_claimRefund_revertsOnWrongPreimage(address to, bytes32 salt) public {
        vm.assume(to != REFUND_TO || salt != SALT);
        (uint256 jobId, IJobMarket.JobTerms memory t) = _job(false, 1 ether);
        vm.warp(t.bidDeadline);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketRefundCommitmentMismatch.selector, jobId));
        market.claimRefund(jobId, t, to, salt);
    }

    // ----- owner-key actions -----

    function testFuzz_cancelJob_onlyByOwnerKeyWithNextNonce(uint256 wrongPk, uint256 badNonce, bool withBid) public {
        wrongPk = bound(wrongPk, 1, SECP256K1_N - 1);
        vm.assume(wrongPk != OWNER_PK);
        (uint256 jobId, IJobMarket.JobTerms memory t) = _job(false, 10 ether);
        if (withBid) {
            vm.prank(providers[2]);
            market.placeBid(jobId, t, 5 ether);
        }
        uint256 deadline = _now() + 1 hours;
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

    function testFuzz_extendDeliveryDeadline_withinMaximumOnly(uint64 newDeadline) public {
        (uint256 jobId, IJobMarket.JobTerms memory t) = _job(false, 1 ether);
        uint256 latest = uint256(t.bidDeadline) + market.MAX_JOB_DURATION();
        newDeadline = uint64(bound(newDeadline, t.deliveryDeadline - 1 days, latest + 1 days));
        uint256 deadline = _now() + 1 hours;
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
