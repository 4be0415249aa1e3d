// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DataDelivery} from "../../contracts/DataDelivery.sol";
import {DevStakeToken} from "../../contracts/dev/DevStakeToken.sol";
import {IAttestationVerifier} from "../../contracts/interfaces/IAttestationVerifier.sol";
import {IDataDelivery} from "../../contracts/interfaces/IDataDelivery.sol";
import {IJobMarket} from "../../contracts/interfaces/IJobMarket.sol";
import {IMultiPartyCoordinator} from "../../contracts/interfaces/IMultiPartyCoordinator.sol";
import {IProviderRegistry} from "../../contracts/interfaces/IProviderRegistry.sol";
import {JobMarket} from "../../contracts/JobMarket.sol";
import {ProviderRegistry} from "../../contracts/ProviderRegistry.sol";
import {ReentrantReceiver} from "../../contracts/test/ReentrantReceiver.sol";
import {FailureReason, JobStatus} from "../../contracts/types/JobStatus.sol";
import {TeeType} from "../../contracts/types/TeeType.sol";
import {Assertions} from "./utils/Assertions.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";
import {vm} from "./utils/Vm.sol";

/// @notice The market's properties, checked by the campaign ({JobMarketInvariantTest}) and by the
///         reached-action run ({JobMarketReachTest}) against the contracts and the handler's model.
abstract contract JobMarketChecks is Assertions {
    JobMarketHandler internal handler;
    JobMarket internal market;
    ProviderRegistry internal registry;
    DevStakeToken internal token;

    /// @dev Selector list as forge-std's StdInvariant declares it.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    function _useHandler(JobMarketHandler h) internal {
        handler = h;
        (market, registry, token) = handler.contracts();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    // ----- checks -----

    function _checkModel() internal view {
        if (handler.violations() != 0) revert(string.concat("model violation: ", handler.firstViolation()));
    }

    function _checkConservation() internal view {
        for (uint256 a = 0; a < 2; a++) {
            address asset = a == 0 ? address(0) : address(token);
            uint256 marketBalance = _balance(asset, address(market));
            uint256 registryBalance = _balance(asset, address(registry));
            assertEq(
                marketBalance, handler.ghostMarketHolds(asset), "market balance == escrow + refunds + owed (ghost)"
            );
            assertEq(marketBalance, _marketHoldsByViews(asset), "market balance == obligations (contract views)");
            assertEq(
                registryBalance, handler.ghostRegistryHolds(asset), "registry balance == stakes + treasury (ghost)"
            );
            assertEq(registryBalance, _registryHoldsByViews(asset), "registry balance == obligations (contract views)");
            assertEq(_balance(asset, handler.coordinatorAddress()), 0, "the coordinator holds nothing (no bonds)");
        }
    }

    function _checkState() internal view {
        uint256 n = handler.jobCount();
        assertEq(market.jobCount(), n, "job count");
        for (uint256 id = 1; id <= n; id++) {
            handler.checkJob(id);
        }
        handler.checkStakes();
    }

    function _checkHonestProvider() internal view {
        address honest = handler.honestProvider();
        assertEq(handler.slashes(honest), 0, "the honest provider was slashed (ghost)");
        for (uint256 a = 0; a < 2; a++) {
            address asset = a == 0 ? address(0) : address(token);
            IProviderRegistry.Stake memory s = registry.stakeOf(honest, asset);
            assertEq(
                uint256(s.free) + s.locked + s.unbonding + handler.withdrawn(honest, asset),
                handler.deposited(honest, asset),
                "honest provider: stake + withdrawn == deposited"
            );
        }
    }

    function _checkBuyerBound() internal view {
        uint256 n = handler.jobCount();
        for (uint256 id = 1; id <= n; id++) {
            IJobMarket.JobTerms memory t = handler.termsOf(id);
            IJobMarket.Job memory job = market.getJob(id);
            uint256 compensation = job.compensation;
            if (job.status != JobStatus.Failed) assertEq(compensation, 0, "compensation without a provider fault");
            else assertEq(compensation, handler.expectedCompensation(id), "compensation: pinned share, rounded up");
            assertLe(handler.buyerReceived(id), uint256(t.priceCeiling) + compensation, "buyer received too much");
            // What it can still claim keeps it within the bound.
            assertLe(
                handler.buyerReceived(id) + market.refundableOf(id, t),
                uint256(t.priceCeiling) + compensation,
                "buyer could receive too much"
            );
        }
    }

    /// @dev Moves past every deadline (the honest provider acting at each step, as it would),
    ///      enforces every running job with one permissionless call (a pending challenge lapses
    ///      first), then claims every refund and withdraws everything owed, every stake and the
    ///      treasury: both contracts end empty and every job in a terminal status.
    function _terminateEverything() internal {
        uint256 n = handler.jobCount();
        uint256 latest = vm.getBlockTimestamp();
        for (uint256 id = 1; id <= n; id++) {
            uint256 d = market.getJob(id).deliveryDeadline + 2 days; // covers a challenge window too
            if (d > latest) latest = d;
        }
        handler.settleTime(latest + 1);

        for (uint256 id = 1; id <= n; id++) {
            IJobMarket.JobTerms memory t = handler.termsOf(id);
            JobStatus s = market.getJob(id).status;
            // Through the model: a revert there is a violation, and the job stays running.
            if (s == JobStatus.Open || s == JobStatus.Matched || s == JobStatus.Attested) handler.enforceOf(id);
            s = market.getJob(id).status;
            assertTrue(uint8(s) >= uint8(JobStatus.Completed), "job not terminal after its deadlines");
            assertEq(uint256(market.statusOf(id)), uint256(s), "statusOf agrees");
            if (market.refundableOf(id, t) != 0) handler.claimRefundOf(id);
        }
        _checkModel();
        _checkHonestProvider();
        _checkBuyerBound();
        handler.withdrawEverything();
        _checkModel();
        for (uint256 a = 0; a < 2; a++) {
            address asset = a == 0 ? address(0) : address(token);
            assertEq(_balance(asset, address(market)), 0, "market keeps funds after every job ended");
            assertEq(_balance(asset, address(registry)), 0, "registry keeps funds after everything was withdrawn");
        }
        _checkHonestProvider();
    }

    // ----- helpers -----

    function _balance(address asset, address who) internal view returns (uint256) {
        return asset == address(0) ? who.balance : token.balanceOf(who);
    }

    /// @dev Obligations as the market itself reports them: the escrow of each running job, what each
    ///      finished job can still refund, and what it owes each account.
    function _marketHoldsByViews(address asset) internal view returns (uint256 holds) {
        for (uint256 id = 1; id <= handler.jobCount(); id++) {
            IJobMarket.JobTerms memory t = handler.termsOf(id);
            if (t.asset != asset) continue;
            JobStatus s = market.getJob(id).status;
            if (s == JobStatus.Open || s == JobStatus.Matched || s == JobStatus.Attested) holds += t.priceCeiling;
            else holds += market.refundableOf(id, t);
        }
        address[] memory accounts = handler.owedAccounts();
        for (uint256 i = 0; i < accounts.length; i++) {
            holds += market.owed(asset, accounts[i]);
        }
    }

    function _registryHoldsByViews(address asset) internal view returns (uint256 holds) {
        address[3] memory ps = handler.providers();
        for (uint256 i = 0; i < 3; i++) {
            IProviderRegistry.Stake memory s = registry.stakeOf(ps[i], asset);
            holds += uint256(s.free) + s.locked + s.unbonding;
        }
        holds += registry.treasuryAccrued(asset);
    }
}

/// @notice Invariants of the market under random sequences of every action (issue 12), checked
///         after every call ({invariant_marketProperties}): the calls and the state match an
///         independent ghost model; escrow conservation; an honest provider following the protocol
///         never loses collateral; a buyer never receives more than its escrow plus the compensation
///         of a provider fault. After every run ({afterInvariant}): no sequence locks funds forever
///         (once all deadlines pass, permissionless calls end every job and every wei can leave).
///         Every outcome and timeout path being reached is asserted by {JobMarketReachTest}: a
///         run's state, the handler's counters included, is reset before the next run, so "at least
///         once over the campaign" cannot be asserted inside a multi-run campaign.
contract JobMarketInvariantTest is JobMarketChecks {
    function setUp() public {
        vm.warp(1_750_000_000);
        _useHandler(new JobMarketHandler(16));
    }

    /// @dev Weighted action list (see {JobMarketHandler-weightedSelectors}).
    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: handler.weightedSelectors()});
    }

    /// @dev Checked after every call, as one campaign (each `invariant_` function is a campaign of
    ///      its own, and one campaign of 256 × 100 calls is what CI can afford):
    ///      - the model: every call's success or revert and every payment matched the handler's ghost
    ///        model, and the contracts' stored state equals it, job by job and stake by stake;
    ///      - escrow conservation, per asset: the market's balance is the escrow of running jobs plus
    ///        the unclaimed refunds of finished ones plus everything owed; the registry's is the
    ///        stakes plus the treasury's accrual (against the model and the contracts' own views);
    ///      - the honest provider (it bids only on jobs it can serve, attests valid evidence before
    ///        the deadline, and answers every recorded delivery with a valid result, a challenge, or
    ///        the enclave's signed statement of the buyer's fault) is never slashed: its stake plus
    ///        everything it withdrew equals everything it deposited, in both assets;
    ///      - per job, the buyer's refund (pushed or owed) never exceeds the escrow plus, for a
    ///        provider fault only, the slashed collateral's buyer share (the pinned share, rounded up).
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_marketProperties() public view {
        _checkModel();
        _checkState();
        _checkConservation();
        _checkHonestProvider();
        _checkBuyerBound();
    }

    /// @dev No sequence locks funds forever: after each run every job ends and every wei can leave
    ///      (see {_terminateEverything}).
    function afterInvariant() public {
        _terminateEverything();
    }
}

/// @notice The reached-action check: every scripted scenario ({JobMarketHandler-playScenario}),
///         twice, through the handler's own actions, the model checked after every call; after the
///         run everything is ended and drained, and every outcome and every timeout path must have
///         been reached at least once.
/// @dev A random sequence reaches the rarer paths (a dishonest winner that is challenged, served and
///      walks away; a multi-party job with no updates) only by chance, and any change to the
///      handler reshuffles it; scripted paths cannot miss, so a change that makes a path
///      unreachable fails here every time. The random interleavings are the campaign's job
///      ({JobMarketInvariantTest}). It runs through the invariant runner (one transaction per
///      scenario) rather than as one test call, whose full trace would take gigabytes of memory.
contract JobMarketReachTest is JobMarketChecks {
    function setUp() public {
        vm.warp(1_750_000_000);
        // One job per scenario, every scenario twice.
        _useHandler(new JobMarketHandler(40));
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](1);
        selectors[0] = handler.stepInOrder.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
    }

    /// forge-config: default.invariant.runs = 1
    /// forge-config: default.invariant.depth = 40
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_reachesEveryOutcomeAndTimeout() public view {
        _checkModel();
    }

    function afterInvariant() public {
        _checkConservation();
        _checkState();
        _checkHonestProvider();
        _checkBuyerBound();
        _terminateEverything();
        string[] memory required = handler.requiredCounters();
        string memory missing;
        for (uint256 i = 0; i < required.length; i++) {
            if (handler.reached(required[i]) == 0) missing = string.concat(missing, " ", required[i]);
        }
        if (bytes(missing).length != 0) {
            string memory counts = string.concat(" | steps ", vm.toString(handler.steps()), handler.report());
            revert(string.concat("never reached:", missing, counts));
        }
    }
}

/// @notice Drives random, bounded sequences of every market, delivery, coordinator, registry and
///         governance action, predicts each outcome from its own ghost model (written from the spec
///         and docs/OUTCOMES.md, not by reading contract state), and records any disagreement in
///         `violations` (the campaign does not fail on reverts, so the handler never relies on them).
///         Provider 0 is honest: it only does what the protocol asks, and acts at every second it
///         has a duty (see {_warpTo}). Providers 1 and 2 do anything, including invalid evidence,
///         forged proofs, false failure statements and needless challenges.
contract JobMarketHandler is MarketFixture {
    /// @notice Most jobs one run posts (16 for the campaign; more for the long deterministic sequence).
    uint256 public immutable maxJobs;
    uint256 internal constant OWNER_KEYS = 3;
    uint256 internal constant ENCLAVE_KEY_BASE = 0xE5C10000;
    address internal constant KEEPER = address(0x4EE9);
    /// @dev The second DataDelivery's limits: a short window and small servable size, so that
    ///      lapsed challenges of larger deliveries release the job.
    uint64 internal constant WINDOW_B = 2 hours;
    uint64 internal constant MAX_SERVABLE_B = 100;

    // Plans: how the buyer side of a job behaves (single-party) ...
    uint8 internal constant PLAN_GOOD = 0; // records data that the enclave accepts, serves when challenged
    uint8 internal constant PLAN_NO_DATA = 1; // never records a delivery
    uint8 internal constant PLAN_BAD_DATA = 2; // records data that does not match its commitments
    uint8 internal constant PLAN_WITHHELD = 3; // records blobs it never makes available
    uint8 internal constant PLAN_HOST_CUT = 4; // available data the host cannot fetch: challenged, served
    uint8 internal constant PLAN_MISDECLARED = 5; // records a wrong size: can never be served
    // ... and multi-party: no party sends an update, a committee member's share is bad, or the
    // committee does not show up.
    uint8 internal constant PLAN_NO_UPDATES = 1;
    uint8 internal constant PLAN_BAD_SHARE = 2;
    uint8 internal constant PLAN_NO_COMMITTEE = 3;

    struct GhostConfig {
        uint16 ratio;
        uint16 buyerShare;
        uint16 computeShare;
        uint16 fee;
        uint16 step;
        uint8 verified;
        DataDelivery delivery;
    }

    struct GhostJob {
        JobStatus status;
        address leader;
        uint96 price;
        uint96 collateral;
        uint96 compensation;
        bool claimed;
        uint8 plan;
        uint64 deliveryDeadline;
        uint64 postedAt;
        uint256 ownerPk;
        uint256 enclavePk;
        address refundTo;
        bytes32 salt;
    }

    struct GhostDelivery {
        bytes32 dataHash;
        uint8 blobCount;
        uint64 totalSize;
        uint64 challengedAt;
        uint64 answeredAt;
        uint64 servedMask;
    }

    struct GhostRecords {
        uint256 updateMask;
        uint256 shareMask;
        bool aggregate;
    }

    struct Request {
        uint64 readyAt;
        uint128 amount;
    }

    address[3] internal _providers = [address(0x1001), address(0x1002), address(0x1003)];
    /// @dev Provider TEE sets: Simulated (the honest one), Simulated + SEV-SNP, TDX only.
    uint8[3] internal _providerTee = [TEE_SIMULATED, TEE_SIMULATED | TEE_SEV_SNP, TEE_TDX];

    DataDelivery internal deliveryB;
    ReentrantReceiver internal rejecter;

    IJobMarket.JobTerms[] internal _jobTerms;
    mapping(uint256 jobId => GhostJob) internal _ghost;
    mapping(uint256 jobId => GhostDelivery) internal _deliveries;
    mapping(uint256 jobId => GhostRecords) internal _records;
    mapping(uint32 configId => GhostConfig) internal _configs;
    uint32 internal _currentConfig;
    mapping(address asset => uint256) internal _minPrice;
    mapping(address asset => uint256) internal _minCollateral;
    uint64 internal _simRevokedAt;
    bool internal _sevVerified;
    bool internal _tdxVerified;

    mapping(address provider => mapping(address asset => uint256)) internal _free;
    mapping(address provider => mapping(address asset => uint256)) internal _locked;
    mapping(address provider => mapping(address asset => Request[])) internal _requests;
    mapping(address asset => uint256) internal _treasury;
    mapping(address asset => mapping(address account => uint256)) internal _owed;
    mapping(address ownerKey => uint256) internal _nonces;

    /// @notice Measured, not modelled: what each job's refundTo received (pushed or owed).
    mapping(uint256 jobId => uint256) public buyerReceived;
    /// @notice Measured: what each provider deposited into and withdrew from the registry.
    mapping(address provider => mapping(address asset => uint256)) public deposited;
    mapping(address provider => mapping(address asset => uint256)) public withdrawn;
    /// @notice How many times each provider was slashed.
    mapping(address provider => uint256) public slashes;

    uint256 public violations;
    /// @dev Successful calls so far ({advance} moves time when a step achieved nothing).
    uint256 internal _successes;
    string public firstViolation;
    mapping(bytes32 name => uint256) internal _reached;

    constructor(uint256 maxJobs_) {
        maxJobs = maxJobs_;
        _deployMarket();
        deliveryB = new DataDelivery(market, WINDOW_B, MAX_SERVABLE_B);
        rejecter = new ReentrantReceiver();
        rejecter.setRejectEther(true);
        market.setAssetLimits(address(token), MIN_PRICE_ETH / 2, MIN_COLLATERAL_ETH / 2);
        _minPrice[address(0)] = MIN_PRICE_ETH;
        _minCollateral[address(0)] = MIN_COLLATERAL_ETH;
        _minPrice[address(token)] = MIN_PRICE_ETH / 2;
        _minCollateral[address(token)] = MIN_COLLATERAL_ETH / 2;
        _currentConfig = configId;
        _configs[configId] = GhostConfig({
            ratio: COLLATERAL_RATIO_BPS,
            buyerShare: SLASH_BUYER_SHARE_BPS,
            computeShare: COMPUTE_SHARE_BPS,
            fee: CANCELLATION_FEE_BPS,
            step: MIN_BID_STEP_BPS,
            verified: TEE_SIMULATED,
            delivery: dataDelivery
        });
        for (uint256 i = 0; i < 3; i++) {
            _register(_providers[i], _providerTee[i]);
        }
        // The first jobs name a config whose deliveries go to the second DataDelivery (small
        // servable size, short window); governance alternates between both later.
        IJobMarket.ConfigParameters memory p = _configParameters();
        p.dataDelivery = deliveryB;
        uint32 second = market.publishConfig(p);
        _configs[second] = _configs[configId];
        _configs[second].delivery = deliveryB;
        _currentConfig = second;
    }

    // ----- views for the invariant test -----

    /// @notice The actions the fuzzer calls, repeated to weight them: `advance` (one natural step of
    ///         some job) and `warp` dominate so that full lifecycles fit in a run's depth; every other
    ///         action, including their invalid variants, is called directly too.
    function weightedSelectors() public pure returns (bytes4[] memory s) {
        bytes4[22] memory others = [
            this.depositEth.selector,
            this.depositToken.selector,
            this.requestWithdrawal.selector,
            this.withdraw.selector,
            this.withdrawTreasury.selector,
            this.postJob.selector,
            this.cancelJob.selector,
            this.extendDeliveryDeadline.selector,
            this.claimRefund.selector,
            this.withdrawOwed.selector,
            this.placeBid.selector,
            this.closeBidding.selector,
            this.submitAttestation.selector,
            this.submitResult.selector,
            this.submitFailure.selector,
            this.recordDelivery.selector,
            this.challengeDelivery.selector,
            this.serveData.selector,
            this.recordMultiParty.selector,
            this.enforceDeadline.selector,
            this.governance.selector,
            this.governance.selector
        ];
        s = new bytes4[](others.length + 20);
        for (uint256 i = 0; i < others.length; i++) {
            s[i] = others[i];
        }
        for (uint256 i = 0; i < 15; i++) {
            s[others.length + i] = this.advance.selector;
        }
        for (uint256 i = 0; i < 5; i++) {
            s[others.length + 15 + i] = this.warp.selector;
        }
    }

    /// @notice How many scenarios {stepInOrder} played.
    uint256 public steps;
    /// @notice Number of scripted scenarios ({playScenario}).
    uint256 public constant SCENARIOS = 20;

    /// @notice The next scripted scenario, in order (the argument is ignored, so the invariant runner
    ///         replays the same sequence whatever it fuzzes).
    function stepInOrder(uint256) external {
        playScenario(steps++ % SCENARIOS);
    }

    /// @notice Plays one whole lifecycle along a scripted path through the handler's own actions
    ///         (each one checked against the ghost model as in the campaign), and checks that the job
    ///         ended where the script leads. Paths 0..19: the two proven outcomes, cancel, expiry with
    ///         a refund to a contract that rejects ETH, revocation after posting, an unanswered
    ///         challenge (three sizes: default or release), no data, bad data, an answered challenge,
    ///         the dishonest provider's missed attestation (matched or still open), bad evidence, a
    ///         forged proof, a missed delivery (with and without an answered challenge), and the
    ///         multi-party no-update, missing-committee and bad-share paths.
    function playScenario(uint256 k) public {
        if (_jobTerms.length >= maxJobs) return;
        if (k <= 1) return _scenarioHonest(PLAN_GOOD, 0);
        if (k == 2) return _scenarioCancel();
        if (k == 3) return _scenarioExpired();
        if (k == 4) return _scenarioRevoked();
        if (k <= 7) return _scenarioHonest(PLAN_WITHHELD, 0);
        if (k == 8) return _scenarioHonest(PLAN_NO_DATA, 0);
        if (k == 9) return _scenarioHonest(PLAN_BAD_DATA, 0);
        if (k == 10) return _scenarioHonest(PLAN_HOST_CUT, 0);
        if (k <= 16) return _scenarioDishonest(k - 11);
        if (k == 17) return _scenarioHonest(PLAN_NO_UPDATES, 10);
        if (k == 18) return _scenarioHonest(PLAN_NO_COMMITTEE, 10);
        return _scenarioHonest(PLAN_BAD_SHARE, 10);
    }

    /// @dev Posts an ETH job of 1 ether with a day to bid, a day to attest and four days to deliver,
    ///      of `shape` (see {_newTerms}; 10 is multi-party), refunding to the rejecting contract if
    ///      asked, and gives it `plan`.
    function _postScripted(uint8 shape, uint8 plan, bool rejectingRefund) internal returns (uint256 id) {
        uint256 before = _jobTerms.length;
        uint256 windows = uint256(1 days) + uint256(1 days) * 1e6 + uint256(4 days) * 1e12;
        postJob(false, 1 ether, windows, uint8((uint256(shape) << 2) | (rejectingRefund ? 1 : 0)));
        id = _jobTerms.length;
        _check(id == before + 1, "scenario: post");
        _ghost[id].plan = plan;
    }

    /// @dev Provider `index` bids half the ceiling a second after the posting (stake topped up).
    function _bidScripted(uint256 id, uint256 index) internal {
        _warpTo(_now() + 1);
        uint256[3] memory providerSeeds = [uint256(3), 1, 2]; // seed % 3 = index, seed % 4 != 0
        placeBid((id - 1) * 4, providerSeeds[index], uint256(0.5 ether) << 2);
        _check(_ghost[id].leader == _providers[index], "scenario: bid");
    }

    function _expectStatus(uint256 id, JobStatus status, string memory path) internal {
        _check(_ghost[id].status == status, string.concat("scenario ended elsewhere: ", path));
    }

    /// @dev The honest provider wins and follows the protocol; the buyer side follows `plan`.
    function _scenarioHonest(uint8 plan, uint8 shape) internal {
        uint256 id = _postScripted(shape, plan, false);
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        _bidScripted(id, 0);
        _warpTo(t.bidDeadline); // the honest provider attests at the end of the bid window
        _expectStatus(id, JobStatus.Attested, "honest attestation");
        if (t.parties > 1) return _multiPartyScripted(id, plan);
        if (plan == PLAN_NO_DATA) {
            _warpTo(uint256(t.dataDeadline) + 1);
            _enforce(id, KEEPER);
            return _expectStatus(id, JobStatus.BuyerDefaulted, "no data");
        }
        _recordDelivery(id, 0);
        _honestFor(id); // a result, the enclave's statement, or a challenge
        if (plan == PLAN_GOOD) {
            return _expectStatus(id, id % 2 == 0 ? JobStatus.Completed : JobStatus.BelowThreshold, "proven");
        }
        if (plan == PLAN_BAD_DATA) return _expectStatus(id, JobStatus.BuyerDefaulted, "bad data");
        _check(_deliveries[id].challengedAt != 0, "scenario: challenged");
        if (plan == PLAN_HOST_CUT) {
            for (uint256 i = 0; i < 3; i++) {
                _serve(id, i, 0);
            }
            _honestFor(id);
            return _expectStatus(id, id % 2 == 0 ? JobStatus.Completed : JobStatus.BelowThreshold, "answered");
        }
        _warpTo(_deliveries[id].challengedAt + _configs[t.configId].delivery.availabilityWindow() + 1);
        _enforce(id, KEEPER);
        _check(
            _ghost[id].status == JobStatus.BuyerDefaulted || _ghost[id].status == JobStatus.Released,
            "scenario ended elsewhere: lapsed challenge"
        );
    }

    function _multiPartyScripted(uint256 id, uint8 plan) internal {
        IJobMarket.JobTerms memory t = _jobTerms[id - 1];
        IMultiPartyCoordinator.MultiPartySpec memory spec = _specOf(t);
        if (plan == PLAN_NO_UPDATES) {
            _warpTo(uint256(t.deliveryDeadline) + 1);
            _enforce(id, KEEPER);
            return _expectStatus(id, JobStatus.BuyerDefaulted, "no updates");
        }
        _recordUpdate(id, t, spec, 1); // party 0, then party 1 (see {_index})
        _recordUpdate(id, t, spec, 1);
        _honestFor(id); // the aggregate
        _check(_records[id].aggregate, "scenario: aggregate");
        if (plan == PLAN_NO_COMMITTEE) {
            _warpTo(uint256(t.deliveryDeadline) + 1);
            _enforce(id, KEEPER);
            return _expectStatus(id, JobStatus.BuyerDefaulted, "no committee");
        }
        _recordShare(id, t, spec, 1); // member 0's share, bad under this plan
        _warpTo(uint256(spec.shareDeadline) + 1); // the combiner names it once the window is over
        _expectStatus(id, JobStatus.BuyerDefaulted, "bad share");
    }

    function _scenarioCancel() internal {
        uint256 id = _postScripted(0, PLAN_GOOD, false);
        cancelJob(id - 1, 0, 0);
        _expectStatus(id, JobStatus.Cancelled, "cancel");
    }

    function _scenarioExpired() internal {
        uint256 id = _postScripted(0, PLAN_GOOD, true);
        _warpTo(uint256(_jobTerms[id - 1].bidDeadline) + 1);
        _enforce(id, KEEPER);
        _expectStatus(id, JobStatus.Expired, "expired");
        _claimRefund(id, false);
        _withdrawOwed(address(rejecter), address(0));
    }

    function _scenarioRevoked() internal {
        uint256 id = _postScripted(0, PLAN_GOOD, false);
        _bidScripted(id, 0);
        governance(7, 0); // revokes the simulated measurement, after the posting
        _warpTo(_jobTerms[id - 1].bidDeadline);
        governance(9, 0); // allows it again
        _expectStatus(id, JobStatus.Released, "revoked after posting");
    }

    /// @dev Provider 1 wins. Paths: 0 never attests (bidding closed first), 1 never attests (still
    ///      open), 2 bad evidence, 3 a forged proof, 4 walks away, 5 challenges needlessly, is served,
    ///      and walks away.
    function _scenarioDishonest(uint256 path) internal {
        uint256 id = _postScripted(0, PLAN_GOOD, false);
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        address p = _providers[1];
        _bidScripted(id, 1);
        _warpTo(t.bidDeadline);
        if (path <= 1) {
            if (path == 0) closeBidding(id - 1);
            _warpTo(uint256(t.attestDeadline) + 1);
            _enforce(id, KEEPER);
            return _expectStatus(id, JobStatus.Failed, "attestation missed");
        }
        _attestAs(id, p, path == 2 ? 3 : 0);
        if (path == 2) return _expectStatus(id, JobStatus.Failed, "bad evidence");
        _recordDelivery(id, 0);
        if (path == 3) {
            _submitResult(id, p, 2);
            return _expectStatus(id, JobStatus.Failed, "forged proof");
        }
        if (path == 5) {
            _challenge(id, p);
            for (uint256 i = 0; i < 3; i++) {
                _serve(id, i, 0);
            }
            _check(_deliveries[id].answeredAt != 0, "scenario: answered");
        }
        _warpTo(uint256(_ghost[id].deliveryDeadline) + _extension(id) + 1);
        _enforce(id, KEEPER);
        _expectStatus(id, JobStatus.Failed, "delivery missed");
    }

    function contracts() external view returns (JobMarket, ProviderRegistry, DevStakeToken) {
        return (market, registry, token);
    }

    function coordinatorAddress() external view returns (address) {
        return address(coordinator);
    }

    function jobCount() external view returns (uint256) {
        return _jobTerms.length;
    }

    function termsOf(uint256 jobId) external view returns (IJobMarket.JobTerms memory) {
        return _jobTerms[jobId - 1];
    }

    function providers() external view returns (address[3] memory) {
        return _providers;
    }

    function honestProvider() external view returns (address) {
        return _providers[0];
    }

    /// @notice Every account the market may owe: the providers (fees) and the rejecting refundTo.
    function owedAccounts() public view returns (address[] memory accounts) {
        accounts = new address[](4);
        for (uint256 i = 0; i < 3; i++) {
            accounts[i] = _providers[i];
        }
        accounts[3] = address(rejecter);
    }

    function reached(string memory name) public view returns (uint256) {
        return _reached[keccak256(bytes(name))];
    }

    /// @notice The counts of the main actions, for a failure message.
    function report() external view returns (string memory out) {
        string[15] memory names = [
            "outcome:Expired",
            "honest:result",
            "challenge:answered",
            "postJob",
            "placeBid",
            "submitAttestation",
            "honest:attested",
            "recordDelivery",
            "submitResult",
            "submitFailure",
            "challengeDelivery",
            "serveData",
            "recordAggregate",
            "enforceDeadline",
            "governance:measurementRevoked"
        ];
        for (uint256 i = 0; i < names.length; i++) {
            out = string.concat(out, " ", names[i], "=", vm.toString(reached(names[i])));
        }
    }

    /// @notice Every outcome and timeout path the handler must be able to reach.
    function requiredCounters() external pure returns (string[] memory names) {
        string[27] memory list = [
            "outcome:Completed",
            "outcome:BelowThreshold",
            "outcome:Cancelled",
            "outcome:Expired",
            "outcome:Released:EvidenceRevoked",
            "outcome:Released:DataUnavailable",
            "outcome:Defaulted:NoDataDelivered",
            "outcome:Defaulted:DataStatement",
            "outcome:Defaulted:DataUnavailable",
            "outcome:Defaulted:CommitteeDeadlineMissed",
            "outcome:Defaulted:CommitteeBadShares",
            "outcome:Failed:AttestationDeadlineMissed",
            "outcome:Failed:AttestationRejected",
            "outcome:Failed:ProofRejected",
            "outcome:Failed:DeliveryDeadlineMissed",
            "timeout:expired",
            "timeout:openToFailed",
            "timeout:attestationMissed",
            "timeout:noDataRecorded",
            "timeout:challengeLapsedDefault",
            "timeout:challengeLapsedReleased",
            "timeout:deliveryMissed",
            "timeout:deliveryMissedAfterAnswer",
            "timeout:multiPartyNoUpdate",
            "timeout:committeeMissed",
            "refund:owedToRejectingRefundTo",
            "withdrawOwed:refundTo"
        ];
        names = new string[](list.length);
        for (uint256 i = 0; i < list.length; i++) {
            names[i] = list[i];
        }
    }

    /// @notice What the market should hold in `asset`: the ceiling of every running job, the
    ///         unclaimed refund of every finished one, and everything owed.
    function ghostMarketHolds(address asset) public view returns (uint256 holds) {
        for (uint256 id = 1; id <= _jobTerms.length; id++) {
            if (_jobTerms[id - 1].asset != asset) continue;
            if (_running(_ghost[id].status)) holds += _jobTerms[id - 1].priceCeiling;
            else holds += _refundable(id);
        }
        address[] memory accounts = owedAccounts();
        for (uint256 i = 0; i < accounts.length; i++) {
            holds += _owed[asset][accounts[i]];
        }
    }

    /// @notice What the registry should hold in `asset`: all stake plus the treasury's accrual.
    function ghostRegistryHolds(address asset) public view returns (uint256 holds) {
        for (uint256 i = 0; i < 3; i++) {
            address p = _providers[i];
            holds += _free[p][asset] + _locked[p][asset] + _unbonding(p, asset);
        }
        holds += _treasury[asset];
    }

    /// @notice The buyer's share of a failed job's collateral under its pinned config, rounded up.
    function expectedCompensation(uint256 jobId) external view returns (uint256) {
        GhostJob storage g = _ghost[jobId];
        return _ceilBps(g.collateral, _configs[_jobTerms[jobId - 1].configId].buyerShare);
    }

    /// @notice Asserts that job `jobId`'s stored state, delivery record and multi-party records equal
    ///         the model's (reverts with the first difference).
    function checkJob(uint256 id) external view {
        IJobMarket.Job memory job = market.getJob(id);
        GhostJob storage g = _ghost[id];
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        assertEq(uint256(job.status), uint256(g.status), "job status");
        assertEq(job.provider, g.leader, "job provider");
        assertEq(job.price, g.price, "job price");
        assertEq(job.compensation, g.compensation, "job compensation");
        assertEq(job.deliveryDeadline, g.deliveryDeadline, "job delivery deadline");
        assertEq(job.postedAt, g.postedAt, "job posted at");
        assertTrue(job.refundClaimed == g.claimed, "refund claimed flag");
        assertEq(job.enclaveSigner, g.enclavePk == 0 ? address(0) : vm.addr(g.enclavePk), "enclave signer");
        // A cancelled job's collateral is zeroed; otherwise it stays recorded after settlement.
        if (g.status != JobStatus.Cancelled) assertEq(job.collateral, g.collateral, "job collateral");
        assertEq(market.refundableOf(id, t), _refundable(id), "refundable");
        if (t.parties == 1) {
            GhostDelivery storage d = _deliveries[id];
            IDataDelivery.Delivery memory r = _configs[t.configId].delivery.deliveryOf(id);
            assertEq(r.dataHash, d.dataHash, "delivery data hash");
            assertEq(r.challengedAt, d.challengedAt, "challenged at");
            assertEq(r.answeredAt, d.answeredAt, "answered at");
            assertEq(r.servedMask, d.servedMask, "served mask");
            assertEq(r.totalSize, d.totalSize, "total size");
        } else {
            GhostRecords storage rec = _records[id];
            (uint256 updates, uint256 updateMask, uint256 shares, uint256 shareMask) = coordinator.recordsOf(id);
            assertEq(updateMask, rec.updateMask, "update mask");
            assertEq(updates, _bits(rec.updateMask), "update count");
            assertEq(shareMask, rec.shareMask, "share mask");
            assertEq(shares, _bits(rec.shareMask), "share count");
            assertTrue(coordinator.aggregateRecorded(id) == rec.aggregate, "aggregate recorded");
        }
    }

    /// @notice Asserts that every stake, pending request list, treasury and owed balance equals the model's.
    function checkStakes() external view {
        for (uint256 a = 0; a < 2; a++) {
            address asset = _asset(a == 1);
            for (uint256 i = 0; i < 3; i++) {
                address p = _providers[i];
                IProviderRegistry.Stake memory s = registry.stakeOf(p, asset);
                assertEq(s.free, _free[p][asset], "free stake");
                assertEq(s.locked, _locked[p][asset], "locked stake");
                assertEq(s.unbonding, _unbonding(p, asset), "unbonding stake");
                Request[] storage rs = _requests[p][asset];
                assertEq(s.unbondingReadyAt, rs.length == 0 ? 0 : rs[0].readyAt, "earliest ready at");
                assertEq(registry.pendingWithdrawals(p, asset).length, rs.length, "pending requests");
            }
            assertEq(registry.treasuryAccrued(asset), _treasury[asset], "treasury accrued");
            address[] memory accounts = owedAccounts();
            for (uint256 i = 0; i < accounts.length; i++) {
                assertEq(market.owed(asset, accounts[i]), _owed[asset][accounts[i]], "owed");
            }
        }
        assertEq(market.currentConfigId(), _currentConfig, "current config");
    }

    // ----- provider stake actions -----

    function depositEth(uint256 providerSeed, uint256 amount) public {
        _deposit(_providers[providerSeed % 3], address(0), bound(amount, 1, 50 ether));
    }

    function depositToken(uint256 providerSeed, uint256 amount) public {
        _deposit(_providers[providerSeed % 3], address(token), bound(amount, 1, 50 ether));
    }

    function _deposit(address p, address asset, uint256 amount) internal {
        bool ok;
        if (asset == address(0)) {
            vm.deal(p, p.balance + amount);
            vm.prank(p);
            (ok,) = address(registry).call{value: amount}(abi.encodeCall(registry.depositEth, ()));
        } else {
            _mint(p, amount);
            vm.prank(p);
            token.approve(address(registry), amount);
            vm.prank(p);
            (ok,) = address(registry).call(abi.encodeCall(registry.depositToken, (amount)));
        }
        _expect(ok, "deposit");
        if (ok) {
            _free[p][asset] += amount;
            deposited[p][asset] += amount;
        }
    }

    function requestWithdrawal(uint256 providerSeed, bool tokenAsset, uint256 amount) public {
        address p = _providers[providerSeed % 3];
        address asset = _asset(tokenAsset);
        // Three times in four, prefer a provider with free stake.
        for (uint256 k = 0; k < 6 && providerSeed % 4 != 0 && _free[p][asset] == 0; k++) {
            p = _providers[(providerSeed % 3 + k) % 3];
            asset = _asset(k >= 3 ? !tokenAsset : tokenAsset);
        }
        uint256 free = _free[p][asset];
        amount = bound(amount, 0, free + 1); // includes the invalid 0 and free + 1
        bool expected = amount != 0 && amount <= free && _requests[p][asset].length < 32;
        vm.prank(p);
        (bool ok,) = address(registry).call(abi.encodeCall(registry.requestWithdrawal, (asset, amount)));
        if (!_outcome(ok, expected, "requestWithdrawal") || !ok) return;
        _free[p][asset] -= amount;
        _requests[p][asset].push(Request({readyAt: uint64(_now()) + UNBONDING_DELAY, amount: uint128(amount)}));
    }

    function withdraw(uint256 providerSeed, bool tokenAsset) public {
        address p = _providers[providerSeed % 3];
        address asset = _asset(tokenAsset);
        // Three times in four, prefer a provider with stake unbonding (ready or not).
        for (uint256 k = 0; k < 6 && providerSeed % 4 != 0 && _requests[p][asset].length == 0; k++) {
            p = _providers[(providerSeed % 3 + k) % 3];
            asset = _asset(k >= 3 ? !tokenAsset : tokenAsset);
        }
        _withdraw(p, asset);
    }

    function _withdraw(address p, address asset) internal {
        Request[] storage rs = _requests[p][asset];
        // The delay never changes, so requests mature in request order.
        uint256 matured;
        uint256 amount;
        while (matured < rs.length && rs[matured].readyAt <= _now()) {
            amount += rs[matured].amount;
            matured++;
        }
        uint256 before = _balanceOf(asset, p);
        vm.prank(p);
        (bool ok,) = address(registry).call(abi.encodeCall(registry.withdraw, (asset)));
        if (!_outcome(ok, matured != 0, "withdraw") || !ok) return;
        uint256 paid = _balanceOf(asset, p) - before;
        _check(paid == amount, "withdraw paid the matured requests");
        withdrawn[p][asset] += paid;
        uint256 kept = rs.length - matured;
        for (uint256 i = 0; i < kept; i++) {
            rs[i] = rs[i + matured];
        }
        for (uint256 i = 0; i < matured; i++) {
            rs.pop();
        }
    }

    function withdrawTreasury(bool tokenAsset) public {
        address asset = _asset(tokenAsset);
        uint256 before = _balanceOf(asset, TREASURY);
        (bool ok,) = address(registry).call(abi.encodeCall(registry.withdrawTreasury, (asset)));
        if (!_outcome(ok, _treasury[asset] != 0, "withdrawTreasury") || !ok) return;
        _check(_balanceOf(asset, TREASURY) - before == _treasury[asset], "treasury paid its accrual");
        _treasury[asset] = 0;
    }

    // ----- buyer actions -----

    /// @notice Posts a job. `variant` picks the accepted TEE types, the required measurement, a
    ///         multi-party shape, a refundTo that rejects ETH, the buyer's plan, and sometimes
    ///         invalid terms (a stale config, a commitment outside the field, a TEE type the config
    ///         cannot verify, a ceiling below the minimum) that must be refused.
    function postJob(bool tokenAsset, uint256 ceiling, uint256 windows, uint8 variant) public {
        if (_jobTerms.length >= maxJobs) return;
        uint256 index = _jobTerms.length;
        (IJobMarket.JobTerms memory t, bool valid) = _newTerms(index, tokenAsset, ceiling, windows, variant);
        uint256 before = _balanceOf(t.asset, address(market));
        bool ok;
        bytes memory ret;
        if (t.asset == address(0)) {
            vm.deal(address(this), address(this).balance + t.priceCeiling);
            (ok, ret) = address(market).call{value: t.priceCeiling}(abi.encodeCall(market.postJob, (t)));
        } else {
            _mint(address(this), t.priceCeiling);
            token.approve(address(market), t.priceCeiling);
            (ok, ret) = address(market).call(abi.encodeCall(market.postJob, (t)));
        }
        if (!_outcome(ok, valid, "postJob") || !ok) return;
        uint256 jobId = abi.decode(ret, (uint256));
        _check(jobId == index + 1, "sequential job id");
        _check(_balanceOf(t.asset, address(market)) - before == t.priceCeiling, "escrowed");
        _jobTerms.push(t);
        GhostJob storage g = _ghost[jobId];
        g.status = JobStatus.Open;
        g.deliveryDeadline = t.deliveryDeadline;
        g.postedAt = uint64(_now());
        g.plan = uint8(uint256(keccak256(abi.encode(windows, variant))) % (t.parties == 1 ? 6 : 4));
        g.ownerPk = _ownerPk(index);
        g.refundTo = t.refundCommitment == keccak256(abi.encode(address(rejecter), _salt(index)))
            ? address(rejecter)
            : _refundTo(index);
        g.salt = _salt(index);
    }

    function _ownerPk(uint256 index) internal pure returns (uint256) {
        return 0xA11CE + index % OWNER_KEYS; // owner keys are shared to exercise nonces
    }

    function _refundTo(uint256 index) internal pure returns (address) {
        return address(uint160(0xFEED0000 + index));
    }

    function _salt(uint256 index) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", index));
    }

    function _newTerms(uint256 index, bool tokenAsset, uint256 ceiling, uint256 windows, uint8 variant)
        internal
        view
        returns (IJobMarket.JobTerms memory t, bool valid)
    {
        address asset = _asset(tokenAsset);
        // One ETH job in four refunds to a contract that rejects ETH.
        address refundTo = !tokenAsset && variant % 4 == 1 ? address(rejecter) : _refundTo(index);
        t = _terms(
            asset,
            uint96(bound(ceiling, _minPrice[asset] / 2, 20 ether)),
            vm.addr(_ownerPk(index)),
            refundTo,
            _salt(index),
            uint64(bound(windows % 1e6, 1 hours, 3 days)),
            uint64(bound((windows / 1e6) % 1e6, 1 hours, 3 days)),
            uint64(bound((windows / 1e12) % 1e6, 2 hours, 5 days))
        );
        t.configId = _currentConfig;
        uint8 shape = (variant >> 2) % 16;
        if (shape == 1) t.teeTypes = TEE_SIMULATED | TEE_SEV_SNP;
        else if (shape == 2) t.teeTypes = TEE_SEV_SNP; // valid simulated evidence is not accepted
        else if (shape == 3) t.teeTypes = TEE_TDX | TEE_SIMULATED;
        else if (shape == 4) t.measurement = SIMULATED_MEASUREMENT;
        else if (shape == 5) t.measurement = keccak256("some other enclave"); // evidence fails
        else if (shape >= 10 && shape <= 12) {
            // Multi-party: the spec's windows follow the attestation deadline a day apart, and the
            // delivery deadline moves 3 days later so that it follows the share deadline.
            t.deliveryDeadline += 3 days;
            t.parties = 2;
            t.threshold = uint8(1 + index % 2);
            t.committeeSize = 2;
            t.committeeHash = keccak256(abi.encode(_specOf(t)));
        }
        // Invalid terms, one post in sixteen or so.
        uint8 invalid = (variant >> 6) % 8;
        if (invalid == 1 && shape == 0) t.configId = _currentConfig - 1; // stale (or zero)
        if (invalid == 2 && shape == 0) t.specHash = bytes32(FIELD_SIZE + index);
        valid = t.configId == _currentConfig && uint256(t.specHash) < FIELD_SIZE
            && t.teeTypes & ~_configs[_currentConfig].verified == 0 && t.priceCeiling != 0
            && t.priceCeiling >= _minPrice[asset];
    }

    /// @notice The multi-party spec of multi-party terms (derived from them, so nothing is stored).
    function _specOf(IJobMarket.JobTerms memory t)
        internal
        pure
        returns (IMultiPartyCoordinator.MultiPartySpec memory spec)
    {
        spec.dataParties = new address[](2);
        spec.committee = new address[](2);
        spec.committeeKeys = new bytes32[](2);
        for (uint256 i = 0; i < 2; i++) {
            spec.dataParties[i] = _dataParty(i);
            spec.committee[i] = _member(i);
            spec.committeeKeys[i] = keccak256(abi.encode("member key", i));
        }
        spec.updateDeadline = t.attestDeadline + 1 days;
        spec.aggregateDeadline = t.attestDeadline + 2 days;
        spec.shareDeadline = t.attestDeadline + 3 days;
    }

    function _dataParty(uint256 i) internal pure returns (address) {
        return address(uint160(0xDA7A0000 + i));
    }

    function _member(uint256 i) internal pure returns (address) {
        return address(uint160(0xC0AA0000 + i));
    }

    function cancelJob(uint256 jobSeed, uint8 mode, uint256 relayerSeed) public {
        (uint256 id, IJobMarket.JobTerms memory t) = _pick(jobSeed);
        if (id == 0) return;
        GhostJob storage g = _ghost[id];
        mode = mode % 4; // 0, 1: proper; 2: wrong key; 3: wrong nonce
        uint256 nonce = _nonces[t.ownerKey] + (mode == 3 ? 1 : 0);
        uint256 pk = mode == 2 ? g.ownerPk + 100 : g.ownerPk;
        uint256 deadline = _now() + 1 hours;
        bytes memory sig = _cancelSig(pk, id, nonce, deadline);
        bool expected =
            g.status == JobStatus.Open && !(g.leader != address(0) && _now() >= t.bidDeadline) && mode < 2;
        vm.prank(address(uint160(0x4E1A0000 + relayerSeed % 8))); // anyone may relay
        (bool ok,) = address(market).call(abi.encodeCall(market.cancelJob, (id, t, nonce, deadline, sig)));
        if (!_outcome(ok, expected, "cancelJob") || !ok) return;
        _nonces[t.ownerKey]++;
        if (g.leader != address(0)) _unlock(g.leader, t.asset, g.collateral);
        g.collateral = 0;
        g.status = JobStatus.Cancelled;
        _count("outcome:Cancelled");
    }

    function extendDeliveryDeadline(uint256 jobSeed, uint256 extension) public {
        (uint256 id, IJobMarket.JobTerms memory t) = _pick(jobSeed);
        if (id == 0) return;
        GhostJob storage g = _ghost[id];
        uint64 newDeadline = uint64(g.deliveryDeadline + bound(extension, 0, 30 days));
        uint256 deadline = _now() + 1 hours;
        uint256 nonce = _nonces[t.ownerKey];
        bytes memory sig = _extendSig(g.ownerPk, id, newDeadline, nonce, deadline);
        bool expected = _running(g.status) && newDeadline > g.deliveryDeadline
            && newDeadline <= uint256(t.bidDeadline) + market.MAX_JOB_DURATION();
        (bool ok,) = address(market).call(
            abi.encodeCall(market.extendDeliveryDeadline, (id, t, newDeadline, nonce, deadline, sig))
        );
        if (!_outcome(ok, expected, "extendDeliveryDeadline") || !ok) return;
        _nonces[t.ownerKey]++;
        g.deliveryDeadline = newDeadline;
    }

    function claimRefund(uint256 jobSeed, bool wrongPreimage) public {
        (uint256 id,) = _pick(jobSeed);
        if (id == 0) return;
        _claimRefund(id, wrongPreimage);
    }

    /// @notice Claims job `jobId`'s refund with the right preimage (for the final drain).
    function claimRefundOf(uint256 jobId) external {
        _claimRefund(jobId, false);
    }

    function _claimRefund(uint256 id, bool wrongPreimage) internal {
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        GhostJob storage g = _ghost[id];
        uint256 amount = _refundable(id);
        address to = wrongPreimage ? address(0xBAD) : g.refundTo;
        uint256 before = _balanceOf(t.asset, to);
        uint256 owedBefore = market.owed(t.asset, to);
        (bool ok,) = address(market).call(abi.encodeCall(market.claimRefund, (id, t, to, g.salt)));
        if (!_outcome(ok, amount != 0 && !wrongPreimage, "claimRefund") || !ok) return;
        uint256 pushed = _balanceOf(t.asset, to) - before;
        uint256 credited = market.owed(t.asset, to) - owedBefore;
        buyerReceived[id] += pushed + credited;
        if (to == address(rejecter) && t.asset == address(0)) {
            _check(pushed == 0 && credited == amount, "a rejected refund is owed in full");
            _owed[t.asset][to] += amount;
            _count("refund:owedToRejectingRefundTo");
        } else {
            _check(pushed == amount && credited == 0, "refund amount pushed");
        }
        g.claimed = true;
        // A job whose bid window ended without bids expires in the same call.
        if (g.status == JobStatus.Open) {
            g.status = JobStatus.Expired;
            _count("outcome:Expired");
        }
    }

    /// @notice An account the market owes (a provider's fee, a rejected refund) withdraws it.
    function withdrawOwed(uint256 accountSeed, bool tokenAsset) public {
        address[] memory accounts = owedAccounts();
        address account = accounts[accountSeed % 4];
        address asset = _asset(tokenAsset);
        // Usually pick an account that is owed something.
        for (uint256 k = 0; k < 8 && accountSeed % 4 != 0 && _owed[asset][account] == 0; k++) {
            account = accounts[(accountSeed % 4 + k) % 4];
            asset = _asset(k >= 4 ? !tokenAsset : tokenAsset);
        }
        _withdrawOwed(account, asset);
    }

    function _withdrawOwed(address account, address asset) internal {
        uint256 amount = _owed[asset][account];
        // The rejecting refundTo withdraws to another address of its owner's choosing.
        address to = account == address(rejecter) ? address(0xC01D) : account;
        uint256 before = _balanceOf(asset, to);
        vm.prank(account);
        (bool ok,) = address(market).call(abi.encodeCall(market.withdrawOwed, (asset, to)));
        if (!_outcome(ok, amount != 0, "withdrawOwed") || !ok) return;
        _check(_balanceOf(asset, to) - before == amount, "owed amount withdrawn");
        _owed[asset][account] = 0;
        _count(account == address(rejecter) ? "withdrawOwed:refundTo" : "withdrawOwed:provider");
    }

    // ----- matching -----

    function placeBid(uint256 jobSeed, uint256 providerSeed, uint256 priceSeed) public {
        (uint256 id, IJobMarket.JobTerms memory t) = _pickFor(jobSeed, Step.Bid);
        if (id == 0) return;
        GhostJob storage g = _ghost[id];
        address p = _providers[providerSeed % 3];
        // The honest provider bids only on jobs it can serve (see {_honestMayBid}).
        if (p == _providers[0] && !_honestMayBid(id)) p = _providers[1];
        GhostConfig storage cfg = _configs[t.configId];
        uint256 maxAccepted = g.leader == address(0) ? t.priceCeiling : _maxAccepted(g.price, cfg.step);
        // A quarter of the bids sit on the step boundary (exactly at it or one wei above); the rest
        // range over [0, 1.1 × ceiling].
        uint96 price = g.leader != address(0) && priceSeed % 4 == 0
            ? uint96(maxAccepted + (priceSeed >> 2) % 2)
            : uint96(bound(priceSeed >> 2, 0, uint256(t.priceCeiling) * 11 / 10));
        uint256 collateral = _collateralOf(price, cfg.ratio, _minCollateral[t.asset]);
        uint256 available = _free[p][t.asset] + (g.leader == p ? g.collateral : 0);
        // Usually top the provider's stake up first, so that bids are mostly affordable.
        if (collateral > available && providerSeed % 4 != 0) {
            _deposit(p, t.asset, collateral - available);
            available = collateral;
        }
        bool expected = g.status == JobStatus.Open && _now() < t.bidDeadline && price != 0
            && price >= _minPrice[t.asset] && price <= t.priceCeiling && price <= maxAccepted
            && _providerTee[_indexOf(p)] & t.teeTypes != 0
            && collateral <= available;
        vm.prank(p);
        (bool ok,) = address(market).call(abi.encodeCall(market.placeBid, (id, t, price)));
        if (!_outcome(ok, expected, "placeBid") || !ok) return;
        if (g.leader != address(0)) _unlock(g.leader, t.asset, g.collateral);
        _free[p][t.asset] -= collateral;
        _locked[p][t.asset] += collateral;
        g.leader = p;
        g.price = price;
        g.collateral = uint96(collateral);
    }

    /// @dev The honest provider bids on a job only if it can serve it: Simulated accepted, no other
    ///      measurement required, the measurement not revoked now, and not in the second the job was
    ///      posted (a revocation later in that second would count as before the posting).
    function _honestMayBid(uint256 id) internal view returns (bool) {
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        return t.teeTypes & TEE_SIMULATED != 0
            && (t.measurement == bytes32(0) || t.measurement == SIMULATED_MEASUREMENT) && _simRevokedAt == 0
            && _now() > _ghost[id].postedAt;
    }

    function closeBidding(uint256 jobSeed) public {
        (uint256 id, IJobMarket.JobTerms memory t) = _pick(jobSeed);
        if (id == 0) return;
        GhostJob storage g = _ghost[id];
        bool expected = g.status == JobStatus.Open && _now() >= t.bidDeadline;
        (bool ok,) = address(market).call(abi.encodeCall(market.closeBidding, (id, t)));
        if (!_outcome(ok, expected, "closeBidding") || !ok) return;
        _close(id);
    }

    function _close(uint256 id) internal {
        GhostJob storage g = _ghost[id];
        if (g.leader == address(0)) {
            g.status = JobStatus.Expired;
            _count("outcome:Expired");
        } else {
            g.status = JobStatus.Matched;
        }
    }

    // ----- evidence -----

    /// @notice Submits evidence for a matched job. Modes 0..2 valid, 3 signed by an unknown key,
    ///         4 bound to another job, 5 an unlisted measurement, 6 not evidence at all; the
    ///         honest provider only ever submits valid evidence.
    function submitAttestation(uint256 jobSeed, uint256 callerSeed, uint8 mode) public {
        (uint256 id,) = _pickFor(jobSeed, Step.Attest);
        if (id == 0) return;
        GhostJob storage g = _ghost[id];
        address caller = callerSeed % 4 != 0 && g.leader != address(0) ? g.leader : _providers[callerSeed % 3];
        _attestAs(id, caller, caller == _providers[0] ? 0 : mode % 7);
    }

    function _attestAs(uint256 id, address caller, uint8 mode) internal {
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        GhostJob storage g = _ghost[id];
        bytes32 encKey = keccak256(abi.encode("x25519", id));
        uint256 enclavePk = ENCLAVE_KEY_BASE + id;
        address enclaveSigner = vm.addr(enclavePk);
        bytes32 binding = market.attestationBinding(id, encKey, enclaveSigner);
        uint64 expiry = uint64(_now() + 1 hours);
        bytes memory evidence;
        if (mode <= 2) {
            evidence = _evidence(SIMULATED_MEASUREMENT, binding, expiry, DEV_ATTESTATION_KEY);
        } else if (mode == 3) {
            evidence = _evidence(SIMULATED_MEASUREMENT, binding, expiry, DEV_ATTESTATION_KEY + 7);
        } else if (mode == 4) {
            bytes32 otherJob = market.attestationBinding(id + 1000, encKey, enclaveSigner);
            evidence = _evidence(SIMULATED_MEASUREMENT, otherJob, expiry, DEV_ATTESTATION_KEY);
        } else if (mode == 5) {
            evidence = _evidence(keccak256("unlisted"), binding, expiry, DEV_ATTESTATION_KEY);
        } else {
            evidence = "not evidence";
        }
        // Effective status: an Open job whose window ended is closed by this call first.
        JobStatus status = g.status;
        if (status == JobStatus.Open && _now() >= t.bidDeadline && g.leader != address(0)) status = JobStatus.Matched;
        bool expected = status == JobStatus.Matched && caller == g.leader && _now() <= t.attestDeadline;
        // What the market decides, in its order: the TEE type, the evidence, the registry's
        // allow-list (a revocation after posting releases), then the job's required measurement.
        JobStatus next;
        if (t.teeTypes & TEE_SIMULATED == 0 || mode >= 3) {
            next = JobStatus.Failed;
        } else if (_simRevokedAt != 0) {
            next = _simRevokedAt > g.postedAt ? JobStatus.Released : JobStatus.Failed;
        } else if (t.measurement != bytes32(0) && t.measurement != SIMULATED_MEASUREMENT) {
            next = JobStatus.Failed;
        } else {
            next = JobStatus.Attested;
        }

        vm.prank(caller);
        (bool ok,) = address(market).call(
            abi.encodeCall(market.submitAttestation, (id, t, TeeType.Simulated, encKey, enclaveSigner, evidence))
        );
        if (!_outcome(ok, expected, "submitAttestation") || !ok) return;
        if (next == JobStatus.Attested) {
            g.status = JobStatus.Attested;
            g.enclavePk = enclavePk;
            if (caller == _providers[0]) _count("honest:attested");
        } else if (next == JobStatus.Released) {
            _release(id);
            _count("outcome:Released:EvidenceRevoked");
        } else {
            _slash(id);
            _count("outcome:Failed:AttestationRejected");
        }
        _check(market.getJob(id).status == g.status, "attestation outcome");
    }

    /// @notice Submits a result. Modes 0, 1: a valid proof with the threshold met or not; 2 a
    ///         forged proof; 3 one the verifier reverts on; 4 not signed by the attested enclave
    ///         (reverts). The honest provider only submits valid results.
    function submitResult(uint256 jobSeed, uint256 callerSeed, uint8 mode) public {
        (uint256 id,) = _pickFor(jobSeed, Step.Result);
        if (id == 0) return;
        GhostJob storage g = _ghost[id];
        address caller = callerSeed % 4 != 0 && g.leader != address(0) ? g.leader : _providers[callerSeed % 3];
        // The honest provider acts only as the protocol asks.
        if (caller == _providers[0]) return _honestFor(id);
        _submitResult(id, caller, mode % 5);
    }

    function _submitResult(uint256 id, address caller, uint8 mode) internal {
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        GhostJob storage g = _ghost[id];
        bool met = mode == 0;
        bytes memory proof = mode <= 1 ? bytes("valid") : mode == 2 ? bytes("forged") : bytes("revert");
        // Multi-party jobs settle on the attested enclave's signed result, checked by the coordinator
        // (any other proof is rejected like a forged one).
        uint256 pk = g.enclavePk == 0 ? ENCLAVE_KEY_BASE + id : g.enclavePk;
        if (t.parties > 1 && mode <= 1) proof = _multiPartyResult(pk, id, t.specHash, MODEL);
        IJobMarket.Result memory r = _result(mode == 4 ? pk + 1 : pk, id, met, proof);
        bool expected = g.status == JobStatus.Attested && caller == g.leader && _beforeDeliveryDeadline(id)
            && _quorumOrSingleParty(id) && mode != 4;
        uint256 before = _balanceOf(t.asset, caller);
        vm.prank(caller);
        (bool ok,) = address(market).call(abi.encodeCall(market.submitResult, (id, t, r)));
        if (!_outcome(ok, expected, "submitResult") || !ok) return;
        if (mode <= 1) {
            uint256 paid = met ? g.price : _floorBps(g.price, _configs[t.configId].computeShare);
            _check(_balanceOf(t.asset, caller) - before == paid, "provider paid by outcome");
            _unlock(g.leader, t.asset, g.collateral);
            g.status = met ? JobStatus.Completed : JobStatus.BelowThreshold;
            _count(met ? "outcome:Completed" : "outcome:BelowThreshold");
            if (caller == _providers[0]) _count("honest:result");
        } else {
            _slash(id);
            _count("outcome:Failed:ProofRejected");
        }
        _check(market.getJob(id).status == g.status, "result outcome");
    }

    /// @notice Relays an enclave-signed failure statement. Modes: 0 a data fault naming the recorded
    ///         delivery; 1 naming other data; 2 signed by another key; 3 `CommitteeBadShares` naming
    ///         the lowest recorded share; 4 a reason the chain decides itself. A dishonest provider's
    ///         enclave is assumed to sign whatever its host wants; the honest provider's signs only
    ///         what it found (its statements are made by {_honestDuties}).
    function submitFailure(uint256 jobSeed, uint256 callerSeed, uint8 mode) public {
        (uint256 id,) = _pickFor(jobSeed, Step.Result);
        if (id == 0) return;
        GhostJob storage g = _ghost[id];
        if (g.leader == _providers[0]) return;
        address caller = callerSeed % 3 == 0 ? KEEPER : g.leader;
        _submitFailure(id, caller, mode % 5, FailureReason(uint8(FailureReason.DataMismatch) + (callerSeed >> 8) % 3));
    }

    function _submitFailure(uint256 id, address caller, uint8 mode, FailureReason dataReason) internal {
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        GhostJob storage g = _ghost[id];
        GhostRecords storage rec = _records[id];
        FailureReason reason =
            mode == 3 ? FailureReason.CommitteeBadShares : mode == 4 ? FailureReason.NoDataDelivered : dataReason;
        uint256 shareMask = rec.shareMask;
        // The lowest recorded share (none when nothing is recorded).
        uint256 faulty = mode == 3 ? shareMask & (shareMask == 0 ? 0 : ~shareMask + 1) : 0;
        bytes32 recorded = t.parties == 1 ? _deliveries[id].dataHash : rec.aggregate ? _aggregateHash(id) : bytes32(0);
        bytes32 dataHash = mode == 1 ? keccak256("other data") : recorded;
        uint256 pk = g.enclavePk == 0 ? ENCLAVE_KEY_BASE + id : g.enclavePk;
        IJobMarket.FailureStatement memory st = _statement(reason, dataHash, faulty);
        bytes memory sig = _failureSig(mode == 2 ? pk + 1 : pk, id, st);
        bool applies = mode == 3 ? t.parties > 1 && faulty != 0 : mode != 4 && t.parties == 1;
        bool expected = g.status == JobStatus.Attested && _beforeDeliveryDeadline(id) && applies
            && recorded != bytes32(0) && mode != 1 && mode != 2;
        (bool ok,) = _callAs(caller, abi.encodeCall(market.submitFailure, (id, t, st, sig)));
        if (!_outcome(ok, expected, "submitFailure") || !ok) return;
        _default(id, caller);
        _count(mode == 3 ? "outcome:Defaulted:CommitteeBadShares" : "outcome:Defaulted:DataStatement");
        if (g.leader == _providers[0]) _count("honest:failureStatement");
    }

    function _callAs(address caller, bytes memory data) internal returns (bool ok, bytes memory ret) {
        vm.prank(caller);
        (ok, ret) = address(market).call(data);
    }

    // ----- data delivery -----

    /// @notice The owner key records a single-party job's delivery in the DataDelivery its config
    ///         pins. Modes: 0..2 proper; 3 signed by another key; 4 an empty blob list; 5 to the other
    ///         DataDelivery (not pinned).
    function recordDelivery(uint256 jobSeed, uint8 mode) public {
        (uint256 id,) = _pickFor(jobSeed, Step.Result);
        if (id == 0) return;
        _recordDelivery(id, mode % 6);
    }

    function _recordDelivery(uint256 id, uint8 mode) internal {
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        GhostJob storage g = _ghost[id];
        DataDelivery pinned = _configs[t.configId].delivery;
        DataDelivery other = address(pinned) == address(dataDelivery) ? deliveryB : dataDelivery;
        DataDelivery target = mode == 5 ? other : pinned;
        (bytes32[] memory ids, uint64[] memory sizes) = _blobList(id);
        if (mode == 4) (ids, sizes) = (new bytes32[](0), new uint64[](0));
        uint256 deadline = _now() + 1 hours;
        bytes32 dataHash = _dataHash(ids, sizes);
        bytes memory sig = _recordSig(mode == 3 ? g.ownerPk + 100 : g.ownerPk, target, id, dataHash, deadline);
        bool expected = g.status == JobStatus.Attested && t.parties == 1 && mode != 5 && _now() <= t.dataDeadline
            && _deliveries[id].dataHash == bytes32(0) && mode != 4 && mode != 3;
        (bool ok,) = address(target).call(abi.encodeCall(target.recordDelivery, (id, t, ids, sizes, deadline, sig)));
        if (!_outcome(ok, expected, "recordDelivery") || !ok) return;
        GhostDelivery storage d = _deliveries[id];
        d.dataHash = dataHash;
        d.blobCount = uint8(ids.length);
        for (uint256 i = 0; i < sizes.length; i++) {
            d.totalSize += sizes[i];
        }
    }

    /// @dev The job's blobs: 1 to 3 small ones; a misdeclared plan records the first one a byte too large.
    function _blobList(uint256 id) internal view returns (bytes32[] memory ids, uint64[] memory sizes) {
        uint256 count = 1 + id % 3;
        ids = new bytes32[](count);
        sizes = new uint64[](count);
        for (uint256 i = 0; i < count; i++) {
            bytes memory data = _blob(id, i);
            ids[i] = sha256(data);
            sizes[i] = uint64(data.length);
        }
        if (_ghost[id].plan == PLAN_MISDECLARED && _jobTerms[id - 1].parties == 1) sizes[0] += 1;
    }

    function _blob(uint256 id, uint256 i) internal pure returns (bytes memory) {
        return abi.encodePacked("ciphertext blob", id, i);
    }

    /// @notice The provider challenges the recorded blobs' availability (others are refused).
    function challengeDelivery(uint256 jobSeed, uint256 callerSeed) public {
        (uint256 id,) = _pickFor(jobSeed, Step.Result);
        if (id == 0) return;
        GhostJob storage g = _ghost[id];
        address caller = callerSeed % 4 != 0 && g.leader != address(0) ? g.leader : _providers[callerSeed % 3];
        if (caller == _providers[0]) return _honestFor(id);
        _challenge(id, caller);
    }

    function _challenge(uint256 id, address caller) internal {
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        GhostJob storage g = _ghost[id];
        GhostDelivery storage d = _deliveries[id];
        DataDelivery pinned = _configs[t.configId].delivery;
        bool expected = g.status == JobStatus.Attested && t.parties == 1 && caller == g.leader
            && _now() <= g.deliveryDeadline && d.dataHash != bytes32(0) && d.challengedAt == 0;
        vm.prank(caller);
        (bool ok,) = address(pinned).call(abi.encodeCall(pinned.challengeDelivery, (id, t)));
        if (!_outcome(ok, expected, "challengeDelivery") || !ok) return;
        d.challengedAt = uint64(_now());
        if (caller == _providers[0]) _count("honest:challenge");
    }

    /// @notice Anyone serves a challenged blob. Modes: 0..2 the next unserved blob (only if the
    ///         buyer's plan makes its data available); 3 wrong bytes; 4 an index out of range.
    function serveData(uint256 jobSeed, uint256 indexSeed, uint8 mode) public {
        (uint256 id,) = _pickFor(jobSeed, Step.Result);
        if (id == 0) return;
        _serve(id, indexSeed, mode % 5);
    }

    function _serve(uint256 id, uint256 indexSeed, uint8 mode) internal {
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        GhostJob storage g = _ghost[id];
        GhostDelivery storage d = _deliveries[id];
        if (t.parties != 1) return;
        uint256 count = 1 + id % 3;
        uint256 index = indexSeed % count;
        for (uint256 k = 0; k < count && uint256(d.servedMask) & (uint256(1) << index) != 0; k++) {
            index = (index + 1) % count;
        }
        if (mode == 4) index = count + indexSeed % 3;
        // A withholding buyer never serves the real bytes.
        bytes memory data = mode == 3 || g.plan == PLAN_WITHHELD ? bytes("withheld") : _blob(id, index % count);
        (bytes32[] memory ids, uint64[] memory sizes) = _blobList(id);
        DataDelivery pinned = _configs[t.configId].delivery;
        bool dataOk = mode != 3 && g.plan != PLAN_WITHHELD && !(g.plan == PLAN_MISDECLARED && index == 0);
        bool expected = g.status == JobStatus.Attested && d.challengedAt != 0 && d.answeredAt == 0
            && _now() <= d.challengedAt + pinned.availabilityWindow() && index < count && dataOk;
        vm.prank(address(0x5E4E));
        (bool ok,) = address(pinned).call(abi.encodeCall(pinned.serveData, (id, t, ids, sizes, index, data)));
        if (!_outcome(ok, expected, "serveData") || !ok) return;
        d.servedMask |= uint64(uint256(1) << index); // index < count ≤ 3
        if (d.servedMask == (uint256(1) << count) - 1) {
            d.answeredAt = uint64(_now());
            _count("challenge:answered");
        }
    }

    // ----- multi-party records -----

    /// @notice One record call on a multi-party job: the next natural record (an update from a
    ///         party that has none, the aggregate with the recorded set, a share) or, one time in
    ///         four, a deliberately wrong one (wrong caller, wrong mask, wrong signer, a repeat).
    function recordMultiParty(uint256 jobSeed, uint256 seed) public {
        (uint256 id, IJobMarket.JobTerms memory t) = _pickFor(jobSeed, Step.Result);
        if (id == 0 || t.parties == 1) return;
        GhostRecords storage r = _records[id];
        IMultiPartyCoordinator.MultiPartySpec memory spec = _specOf(t);
        if (!r.aggregate && _now() <= spec.updateDeadline && r.updateMask != 3) {
            _recordUpdate(id, t, spec, seed);
        } else if (!r.aggregate) {
            bool wrong = seed % 4 == 0;
            address caller = wrong && (seed >> 3) % 2 == 0 ? _providers[(seed >> 4) % 3] : _ghost[id].leader;
            if (caller == _providers[0] && wrong) caller = KEEPER; // the honest provider records honestly
            _recordAggregate(id, caller, wrong ? seed : 1);
        } else {
            _recordShare(id, t, spec, seed);
        }
        bool quorum = r.aggregate && _bits(r.shareMask) >= t.threshold;
        _check(coordinator.quorumReached(id) == quorum, "quorum as modelled");
    }

    /// @dev Index `(seed >> 2) % 2`; unless the call is meant to be wrong (`seed % 4 == 0`), the
    ///      other index when this one is already set in `mask`.
    function _index(uint256 seed, uint256 mask) internal pure returns (uint256 i) {
        i = (seed >> 2) % 2;
        if (seed % 4 != 0 && mask & (1 << i) != 0) i = 1 - i;
    }

    function _recordUpdate(
        uint256 id,
        IJobMarket.JobTerms memory t,
        IMultiPartyCoordinator.MultiPartySpec memory spec,
        uint256 seed
    ) internal {
        GhostRecords storage r = _records[id];
        uint256 i = _index(seed, r.updateMask);
        bool expected =
            _ghost[id].status == JobStatus.Attested && _now() <= spec.updateDeadline && r.updateMask & (1 << i) == 0;
        bytes memory call = abi.encodeCall(coordinator.recordUpdate, (id, t, spec, i, keccak256(abi.encode(id, i))));
        vm.prank(_dataParty(i));
        (bool ok,) = address(coordinator).call(call);
        _outcome(ok, expected, "recordUpdate");
        if (ok) r.updateMask |= 1 << i;
    }

    function _aggregateHash(uint256 id) internal pure returns (bytes32) {
        return keccak256(abi.encode("aggregate", id));
    }

    /// @dev `wrongSeed % 4 == 0`: a wrong mask (bit 2) or, the other half, a signature by another key.
    function _recordAggregate(uint256 id, address caller, uint256 wrongSeed) internal {
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        GhostRecords storage r = _records[id];
        GhostJob storage g = _ghost[id];
        IMultiPartyCoordinator.MultiPartySpec memory spec = _specOf(t);
        bool wrong = wrongSeed % 4 == 0;
        uint256 mask = wrong && (wrongSeed >> 2) % 2 == 0 ? r.updateMask ^ (1 << ((wrongSeed >> 5) % 2)) : r.updateMask;
        uint256 pk = g.enclavePk == 0 ? ENCLAVE_KEY_BASE + id : g.enclavePk;
        uint256 signer = wrong && (wrongSeed >> 2) % 2 == 1 ? pk + 1 : pk;
        bytes memory sig = _aggregateSig(signer, id, _aggregateHash(id), mask);
        bool expected = g.status == JobStatus.Attested && caller == g.leader && !r.aggregate
            && (_now() > spec.updateDeadline || r.updateMask == 3) && _now() <= spec.aggregateDeadline
            && r.updateMask != 0 && mask == r.updateMask && !(wrong && (wrongSeed >> 2) % 2 == 1);
        bytes memory call =
            abi.encodeCall(coordinator.recordAggregate, (id, t, spec, _aggregateHash(id), mask, sig));
        vm.prank(caller);
        (bool ok,) = address(coordinator).call(call);
        _outcome(ok, expected, "recordAggregate");
        if (ok) {
            r.aggregate = true;
            if (caller == _providers[0]) _count("honest:aggregate");
        }
    }

    function _recordShare(
        uint256 id,
        IJobMarket.JobTerms memory t,
        IMultiPartyCoordinator.MultiPartySpec memory spec,
        uint256 seed
    ) internal {
        GhostRecords storage r = _records[id];
        uint256 i = _index(seed, r.shareMask);
        bool expected =
            _ghost[id].status == JobStatus.Attested && _now() <= spec.shareDeadline && r.shareMask & (1 << i) == 0;
        bytes32 shareHash = keccak256(abi.encode(id, i, "s"));
        bytes memory call = abi.encodeCall(coordinator.recordShare, (id, t, spec, i, shareHash));
        vm.prank(_member(i));
        (bool ok,) = address(coordinator).call(call);
        _outcome(ok, expected, "recordShare");
        if (ok) r.shareMask |= 1 << i;
    }

    function _quorumOrSingleParty(uint256 id) internal view returns (bool) {
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        if (t.parties == 1) return true;
        GhostRecords storage r = _records[id];
        return r.aggregate && _bits(r.shareMask) >= t.threshold;
    }

    // ----- timeouts -----

    function enforceDeadline(uint256 jobSeed, uint256 callerSeed) public {
        (uint256 id,) = _pick(jobSeed);
        if (id == 0) return;
        address caller = callerSeed % 3 == 0 ? _ghost[id].leader : KEEPER;
        if (caller == address(0)) caller = KEEPER;
        _enforce(id, caller);
    }

    /// @dev The market's enforceDeadline, predicted: the path it takes and the outcome.
    function _enforce(uint256 id, address caller) internal {
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        GhostJob storage g = _ghost[id];
        uint256 nowTs = _now();
        string memory path; // empty: the call must revert
        JobStatus status = g.status;
        if (status == JobStatus.Open && nowTs >= t.bidDeadline) {
            if (g.leader == address(0)) path = "timeout:expired";
            else path = nowTs > t.attestDeadline ? "timeout:openToFailed" : "timeout:closedToMatched";
        } else if (status == JobStatus.Matched && nowTs > t.attestDeadline) {
            path = "timeout:attestationMissed";
        } else if (status == JobStatus.Attested && t.parties == 1) {
            GhostDelivery storage d = _deliveries[id];
            if (d.dataHash == bytes32(0)) {
                if (nowTs > t.dataDeadline) path = "timeout:noDataRecorded";
            } else if (d.challengedAt != 0 && d.answeredAt == 0) {
                DataDelivery pinned = _configs[t.configId].delivery;
                if (nowTs > d.challengedAt + pinned.availabilityWindow()) {
                    path = d.totalSize <= pinned.maxServableBytes()
                        ? "timeout:challengeLapsedDefault"
                        : "timeout:challengeLapsedReleased";
                }
            } else if (nowTs > uint256(g.deliveryDeadline) + _extension(id)) {
                path = d.answeredAt != 0 ? "timeout:deliveryMissedAfterAnswer" : "timeout:deliveryMissed";
            }
        } else if (status == JobStatus.Attested && nowTs > g.deliveryDeadline) {
            GhostRecords storage r = _records[id];
            if (r.updateMask == 0) path = "timeout:multiPartyNoUpdate";
            else if (r.aggregate && _bits(r.shareMask) < t.threshold) path = "timeout:committeeMissed";
            else path = "timeout:multiPartyDeliveryMissed";
        }
        bytes32 p = keccak256(bytes(path));
        vm.prank(caller);
        (bool ok,) = address(market).call(abi.encodeCall(market.enforceDeadline, (id, t)));
        if (!_outcome(ok, bytes(path).length != 0, "enforceDeadline") || !ok) return;
        _count(path);
        if (p == keccak256("timeout:expired") || p == keccak256("timeout:closedToMatched")) {
            _close(id);
        } else if (
            p == keccak256("timeout:openToFailed") || p == keccak256("timeout:attestationMissed")
        ) {
            _slash(id);
            _count("outcome:Failed:AttestationDeadlineMissed");
        } else if (
            p == keccak256("timeout:deliveryMissed") || p == keccak256("timeout:deliveryMissedAfterAnswer")
                || p == keccak256("timeout:multiPartyDeliveryMissed")
        ) {
            _slash(id);
            _count("outcome:Failed:DeliveryDeadlineMissed");
        } else if (p == keccak256("timeout:challengeLapsedReleased")) {
            _release(id);
            _count("outcome:Released:DataUnavailable");
        } else {
            _default(id, caller);
            if (p == keccak256("timeout:challengeLapsedDefault")) _count("outcome:Defaulted:DataUnavailable");
            else if (p == keccak256("timeout:committeeMissed")) _count("outcome:Defaulted:CommitteeDeadlineMissed");
            else _count("outcome:Defaulted:NoDataDelivered");
        }
        _check(market.getJob(id).status == g.status, "enforceDeadline outcome");
    }

    // ----- governance -----

    /// @notice Governance acts mid-run: publishes a config (valid, with random parameters and either
    ///         DataDelivery, or invalid), changes an asset's minimums, revokes or re-allows the
    ///         simulated measurement, or adds/removes the SEV-SNP and TDX verifiers in the registry
    ///         (which only configs published afterwards copy).
    function governance(uint256 seed, uint256 params) public {
        uint256 mode = seed % 16;
        if (mode <= 3) {
            IJobMarket.ConfigParameters memory p = _configParameters();
            p.collateralRatioBps = uint16(bound(params, 1, 20_000));
            p.slashBuyerShareBps = uint16(bound(params >> 16, 1, 10_000));
            p.computeShareBps = uint16(bound(params >> 32, 0, 10_000));
            p.cancellationFeeBps = uint16(bound(params >> 48, 0, 10_000));
            p.minBidStepBps = uint16(bound(params >> 64, 0, 5_000));
            DataDelivery delivery = (params >> 80) % 2 == 0 ? dataDelivery : deliveryB;
            p.dataDelivery = delivery;
            bool invalid = mode == 3;
            if (invalid) p.collateralRatioBps = 0;
            (bool ok, bytes memory ret) = address(market).call(abi.encodeCall(market.publishConfig, (p)));
            if (!_outcome(ok, !invalid, "publishConfig") || !ok) return;
            uint32 id = abi.decode(ret, (uint32));
            _check(id == _currentConfig + 1, "sequential config id");
            _currentConfig = id;
            _configs[id] = GhostConfig({
                ratio: p.collateralRatioBps,
                buyerShare: p.slashBuyerShareBps,
                computeShare: p.computeShareBps,
                fee: p.cancellationFeeBps,
                step: p.minBidStepBps,
                verified: TEE_SIMULATED | (_sevVerified ? TEE_SEV_SNP : 0) | (_tdxVerified ? TEE_TDX : 0),
                delivery: delivery
            });
            _count("governance:configPublished");
        } else if (mode <= 6 || (mode >= 9 && mode <= 12 && _simRevokedAt == 0)) {
            address asset = _asset(mode % 2 == 1);
            uint256 minPrice = bound(params, 0, 2e14);
            uint256 minColl = bound(params >> 64, 0, 2e14);
            market.setAssetLimits(asset, minPrice, minColl);
            _minPrice[asset] = minPrice;
            _minCollateral[asset] = minColl;
        } else if (mode <= 12) {
            // Revocations are rare and short-lived (re-allowed twice as often), as a
            // compromised platform would be patched: most jobs run under an allowed measurement.
            if (mode <= 8) {
                enclaves.revokeMeasurement(TeeType.Simulated, SIMULATED_MEASUREMENT);
                // A second revocation keeps the first time (the registry records the earliest).
                if (_simRevokedAt == 0) _simRevokedAt = uint64(_now());
                _count("governance:measurementRevoked");
            } else {
                enclaves.allowMeasurement(TeeType.Simulated, SIMULATED_MEASUREMENT, SIMULATED_MEASUREMENT_EXPIRY);
                _simRevokedAt = 0;
            }
        } else {
            bool sev = mode <= 14;
            bool on = sev ? !_sevVerified : !_tdxVerified;
            IAttestationVerifier verifier = on ? simVerifier : IAttestationVerifier(address(0));
            enclaves.setVerifier(sev ? TeeType.SevSnp : TeeType.Tdx, verifier);
            if (sev) _sevVerified = on;
            else _tdxVerified = on;
        }
    }

    // ----- time -----

    /// @notice Moves time forward: exactly to a deadline of some job (bid, attest, data, delivery,
    ///         a challenge's end, a multi-party window) or one second past it, or to a provider's
    ///         unbonding end, so that the boundaries (`<` versus `<=`) of every window are exercised;
    ///         otherwise by a random step (a day to 8 days one time in eight, else up to 12 hours).
    function warp(uint256 seed) public {
        uint256 mode = seed % 10;
        uint256 offset = (seed >> 4) % 2;
        uint256 target;
        // Four times in ten: the next deadline of any running job (event-driven time).
        if (mode >= 6) mode = 9;
        (uint256 id, IJobMarket.JobTerms memory t) = _pick(seed >> 8);
        if (mode == 1) {
            for (uint256 k = 0; k < 6 && target == 0; k++) {
                Request[] storage rs = _requests[_providers[((seed >> 8) + k) % 3]][_asset(k >= 3)];
                if (rs.length != 0) target = rs[0].readyAt - 1 + offset;
            }
        } else if (id != 0 && mode >= 2) {
            if (mode == 2) target = t.bidDeadline + offset;
            else if (mode == 3) target = t.attestDeadline + offset;
            else if (mode == 4) target = t.dataDeadline + offset;
            else if (mode == 5) target = _ghost[id].deliveryDeadline + _extension(id) + offset;
            else if (mode == 6 && _deliveries[id].challengedAt != 0) {
                target = _deliveries[id].challengedAt + _configs[t.configId].delivery.availabilityWindow() + offset;
            } else if (mode == 7 && t.parties > 1) {
                target = _specOf(t).updateDeadline + offset;
            } else if (mode == 8 && t.parties > 1) {
                target = _specOf(t).shareDeadline + offset;
            } else if (mode == 9) {
                target = _nextDeadline();
                if (target != 0) target += offset;
            }
        }
        if (target <= _now()) {
            target = _now() + (mode == 0 ? bound(seed >> 16, 1 days, 4 days) : bound(seed >> 16, 1, 6 hours));
        }
        _warpTo(target);
    }

    /// @dev The earliest deadline after now of any running job (0 if none): bid, attestation, data,
    ///      delivery (moved by an answered challenge), a challenge's end, a multi-party window.
    function _nextDeadline() internal view returns (uint256 next) {
        uint256 nowTs = _now();
        for (uint256 id = 1; id <= _jobTerms.length; id++) {
            uint256 d = _nextDeadlineOf(id, nowTs);
            if (d != 0 && (next == 0 || d < next)) next = d;
        }
    }

    /// @dev Job `id`'s earliest deadline at or after `nowTs` while it runs (0 if none).
    function _nextDeadlineOf(uint256 id, uint256 nowTs) internal view returns (uint256 next) {
        GhostJob storage g = _ghost[id];
        if (!_running(g.status)) return 0;
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        uint256[7] memory d;
        d[0] = t.bidDeadline;
        d[1] = t.attestDeadline;
        d[2] = t.dataDeadline;
        d[3] = uint256(g.deliveryDeadline) + _extension(id);
        if (_deliveries[id].challengedAt != 0) {
            d[4] = _deliveries[id].challengedAt + _configs[t.configId].delivery.availabilityWindow();
        }
        if (t.parties > 1) {
            d[5] = t.attestDeadline + 1 days; // the update deadline (see {_specOf})
            d[6] = t.attestDeadline + 3 days; // the share deadline
        }
        for (uint256 k = 0; k < 7; k++) {
            if (d[k] >= nowTs && (next == 0 || d[k] < next)) next = d[k];
        }
    }

    /// @notice Moves time to `target` with the honest provider acting as it would (the final drain).
    function settleTime(uint256 target) external {
        if (target > _now()) _warpTo(target);
    }

    /// @dev The honest provider is always online: before time moves, and at every second within the
    ///      jump where a duty of its becomes possible (the end of a bid window it leads, a multi-party
    ///      aggregate or share window), it does what the protocol asks ({_honestDuties}).
    function _warpTo(uint256 target) internal {
        _honestDuties();
        for (uint256 guard = 0; guard < 64; guard++) {
            uint256 next = _nextHonestStop(target);
            if (next == 0) break;
            vm.warp(next);
            _honestDuties();
        }
        vm.warp(target);
    }

    /// @dev The earliest second in (now, target] at which the honest provider gets a new duty.
    function _nextHonestStop(uint256 target) internal view returns (uint256 next) {
        uint256 nowTs = _now();
        for (uint256 id = 1; id <= _jobTerms.length; id++) {
            GhostJob storage g = _ghost[id];
            if (g.leader != _providers[0] || !_running(g.status)) continue;
            IJobMarket.JobTerms storage t = _jobTerms[id - 1];
            uint256[3] memory stops;
            if (g.status == JobStatus.Open) stops[0] = t.bidDeadline;
            if (g.status == JobStatus.Attested && t.parties > 1) {
                IMultiPartyCoordinator.MultiPartySpec memory spec = _specOf(t);
                stops[1] = uint256(spec.updateDeadline) + 1;
                stops[2] = uint256(spec.shareDeadline) + 1;
            }
            for (uint256 k = 0; k < 3; k++) {
                if (stops[k] > nowTs && stops[k] <= target && (next == 0 || stops[k] < next)) next = stops[k];
            }
        }
    }

    /// @dev What the honest provider does now, for every job it leads: attest valid evidence; answer a
    ///      recorded delivery with a valid result (good data), the enclave's statement (bad data) or a
    ///      challenge (data it cannot fetch); deliver once a challenge is answered; for multi-party
    ///      jobs record the aggregate, deliver once the quorum is reached, or report a bad share.
    function _honestDuties() internal {
        for (uint256 id = 1; id <= _jobTerms.length; id++) {
            _honestFor(id);
        }
    }

    /// @dev The honest provider's duty for one job, if it leads it and has one now.
    function _honestFor(uint256 id) internal {
        address honest = _providers[0];
        GhostJob storage g = _ghost[id];
        if (g.leader != honest || !_running(g.status)) return;
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        uint256 nowTs = _now();
        if (g.status == JobStatus.Open || g.status == JobStatus.Matched) {
            if (nowTs >= t.bidDeadline && nowTs <= t.attestDeadline) _attestAs(id, honest, 0);
        } else if (t.parties == 1) {
            _honestSingleParty(id, honest);
        } else {
            _honestMultiParty(id, honest);
        }
    }

    function _honestSingleParty(uint256 id, address honest) internal {
        GhostJob storage g = _ghost[id];
        GhostDelivery storage d = _deliveries[id];
        if (d.dataHash == bytes32(0) || !_beforeDeliveryDeadline(id)) return;
        if (d.challengedAt == 0) {
            uint8 plan = g.plan;
            if (plan == PLAN_BAD_DATA) {
                _submitFailure(id, honest, 0, FailureReason(uint8(FailureReason.DataMismatch) + id % 3));
            } else if (plan == PLAN_WITHHELD || plan == PLAN_HOST_CUT || plan == PLAN_MISDECLARED) {
                if (_now() <= g.deliveryDeadline) _challenge(id, honest);
            } else {
                _submitResult(id, honest, uint8(id % 2));
            }
        } else if (d.answeredAt != 0) {
            _submitResult(id, honest, uint8(id % 2));
        }
    }

    function _honestMultiParty(uint256 id, address honest) internal {
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        GhostRecords storage r = _records[id];
        IMultiPartyCoordinator.MultiPartySpec memory spec = _specOf(t);
        uint256 nowTs = _now();
        if (!r.aggregate) {
            bool windowOpen = nowTs > spec.updateDeadline || r.updateMask == 3;
            if (r.updateMask != 0 && windowOpen && nowTs <= spec.aggregateDeadline) {
                _recordAggregate(id, honest, 1);
            }
            return;
        }
        if (!_beforeDeliveryDeadline(id)) return;
        // Member 0's share is bad under the bad-share plan: the combiner cannot use it.
        uint256 bad = _ghost[id].plan == PLAN_BAD_SHARE ? 1 : 0;
        uint256 valid = _bits(r.shareMask & ~bad);
        if (valid >= t.threshold) {
            _submitResult(id, honest, uint8(id % 2));
        } else if (r.shareMask & bad != 0 && (nowTs > spec.shareDeadline || r.shareMask == 3)) {
            // No valid quorum can come any more: the enclave names the bad share.
            _submitFailure(id, honest, 3, FailureReason.CommitteeBadShares);
        }
    }

    /// @notice Takes one job one natural step along its lifecycle and its plan: post when there is
    ///         none (or one time in sixteen), bid while bidding is open, attest once matched, record
    ///         and serve data or record multi-party shares as the plan says, let a dishonest provider
    ///         deliver, fail or challenge, enforce a passed deadline, claim a refund once finished.
    ///         Three times in four it takes the job furthest along.
    function advance(uint256 seed) public {
        uint256 n = _jobTerms.length;
        uint256 running;
        for (uint256 i = 1; i <= n; i++) {
            if (_running(_ghost[i].status)) running++;
        }
        // Keep a few jobs running: post when there are fewer than three (half the time), else rarely.
        if (n == 0 || (n < maxJobs && (running < 3 ? seed % 2 == 0 : seed % 16 == 0))) {
            postJob(seed % 3 == 0, seed >> 8, seed >> 40, uint8(seed >> 16));
            return;
        }
        // Seven times in eight a running job, else any (finished ones claim refunds).
        uint256 id = 1 + (seed >> 8) % n;
        if (running != 0 && (seed >> 4) % 8 != 0) {
            uint256 k = (seed >> 8) % running;
            for (id = 1; id <= n; id++) {
                if (!_running(_ghost[id].status)) continue;
                if (k == 0) break;
                k--;
            }
        }
        uint256 before = _successes;
        _advanceJob(id, seed);
        // Nothing could happen now (the job waits for time): move to its next deadline. Bids and
        // attestations are retried instead (a failed one must not end its window).
        if (
            _successes == before && _running(_ghost[id].status) && !_canProgress(id, Step.Bid)
                && !_canProgress(id, Step.Attest)
        ) {
            uint256 next = _nextDeadlineOf(id, _now());
            if (next != 0) _warpTo(next + (seed >> 20) % 2);
        }
    }

    function _advanceJob(uint256 id, uint256 seed) internal {
        GhostJob storage g = _ghost[id];
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        uint256 jobSeed = (id - 1) * 4; // _pickFor(jobSeed, _) and _pick(id - 1) select exactly this job
        if (g.status == JobStatus.Open && _now() < t.bidDeadline) {
            // Bid, or (with a leader, half the time) let the bid window run out.
            if (g.leader != address(0) && (seed >> 28) % 2 == 0) _warpTo(uint256(t.bidDeadline) + (seed >> 29) % 2);
            else if (g.leader == address(0) && (seed >> 28) % 8 == 1) cancelJob(id - 1, 0, seed >> 32); // the buyer changes its mind
            else placeBid(jobSeed, seed >> 8, seed >> 24);
        } else if (_canProgress(id, Step.Attest)) {
            if (g.leader != _providers[0] && (seed >> 30) % 8 == 0) {
                // A dishonest winner that never attests (half the time someone closes the bidding first).
                if (g.status == JobStatus.Open && (seed >> 33) % 2 == 0) closeBidding(id - 1);
                _warpTo(uint256(t.attestDeadline) + 1);
            } else {
                // Mostly valid evidence here (mode 0); one in four of the bad kinds (modes 3..6).
                uint8 mode = (seed >> 16) % 4 == 0 ? uint8(3 + (seed >> 18) % 4) : 0;
                submitAttestation(jobSeed, 1 + (seed >> 8) % 3, mode);
            }
        } else if (_canProgress(id, Step.Result)) {
            if (t.parties == 1) _advanceSingleParty(id, seed);
            else _advanceMultiParty(id, seed);
        } else if (_running(g.status)) {
            _enforce(id, (seed >> 8) % 3 == 0 && g.leader != address(0) ? g.leader : KEEPER);
        } else if ((seed >> 8) % 4 == 0) {
            withdrawOwed(seed >> 12, t.asset != address(0));
        } else {
            _claimRefund(id, false);
        }
    }

    function _advanceSingleParty(uint256 id, uint256 seed) internal {
        GhostJob storage g = _ghost[id];
        GhostDelivery storage d = _deliveries[id];
        if (d.dataHash == bytes32(0) && g.plan != PLAN_NO_DATA) {
            _recordDelivery(id, (seed >> 8) % 8 == 0 ? uint8(3 + (seed >> 11) % 3) : 0);
        } else if (d.challengedAt != 0 && d.answeredAt == 0 && g.plan != PLAN_WITHHELD && (seed >> 8) % 4 != 0) {
            _serve(id, seed >> 12, 0);
        } else if (g.leader == _providers[0]) {
            _honestSingleParty(id, g.leader);
        } else {
            // A dishonest provider: delivers, lies about the data, challenges needlessly, or walks away.
            uint256 choice = (seed >> 8) % 10;
            if (choice <= 3) _submitResult(id, g.leader, uint8((seed >> 12) % 5));
            else if (choice <= 5) _submitFailure(id, g.leader, uint8((seed >> 12) % 3), FailureReason.DataMalformed);
            else if (choice <= 7) _challenge(id, g.leader);
            else _warpTo(uint256(g.deliveryDeadline) + _extension(id) + 1);
        }
    }

    function _advanceMultiParty(uint256 id, uint256 seed) internal {
        GhostJob storage g = _ghost[id];
        GhostRecords storage r = _records[id];
        bool absent = (g.plan == PLAN_NO_COMMITTEE && r.aggregate) || (g.plan == PLAN_NO_UPDATES && r.updateMask == 0);
        if (!_quorumOrSingleParty(id) && !absent && (seed >> 8) % 8 != 0) {
            // Mostly records until the quorum; one time in eight something else instead.
            recordMultiParty((id - 1) * 4, seed >> 12);
        } else if (g.leader == _providers[0]) {
            _honestMultiParty(id, g.leader);
        } else if ((seed >> 12) % 4 == 0 && r.shareMask != 0) {
            _submitFailure(id, g.leader, 3, FailureReason.CommitteeBadShares);
        } else {
            _submitResult(id, g.leader, uint8((seed >> 12) % 5));
        }
    }

    // ----- ghost model -----

    function _slash(uint256 id) internal {
        GhostJob storage g = _ghost[id];
        address asset = _jobTerms[id - 1].asset;
        uint256 toBuyer = _ceilBps(g.collateral, _configs[_jobTerms[id - 1].configId].buyerShare);
        _locked[g.leader][asset] -= g.collateral;
        _treasury[asset] += g.collateral - toBuyer;
        g.compensation = uint96(toBuyer);
        g.status = JobStatus.Failed;
        slashes[g.leader]++;
    }

    function _release(uint256 id) internal {
        GhostJob storage g = _ghost[id];
        _unlock(g.leader, _jobTerms[id - 1].asset, g.collateral);
        g.status = JobStatus.Released;
    }

    /// @dev Buyer-side default: fee to the provider (sent if it is the caller, owed otherwise).
    function _default(uint256 id, address caller) internal {
        GhostJob storage g = _ghost[id];
        address asset = _jobTerms[id - 1].asset;
        uint256 fee = _floorBps(g.price, _configs[_jobTerms[id - 1].configId].fee);
        _unlock(g.leader, asset, g.collateral);
        if (caller != g.leader) _owed[asset][g.leader] += fee;
        g.status = JobStatus.BuyerDefaulted;
    }

    function _unlock(address p, address asset, uint256 amount) internal {
        _locked[p][asset] -= amount;
        _free[p][asset] += amount;
    }

    function _refundable(uint256 id) internal view returns (uint256) {
        GhostJob storage g = _ghost[id];
        if (g.claimed) return 0;
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        uint256 ceiling = t.priceCeiling;
        JobStatus s = g.status;
        if (s == JobStatus.Cancelled || s == JobStatus.Expired || s == JobStatus.Released) return ceiling;
        // Bid window over without bids: expired in effect (claimRefund closes it).
        if (s == JobStatus.Open && g.leader == address(0) && _now() >= t.bidDeadline) return ceiling;
        if (s == JobStatus.Failed) return ceiling + g.compensation;
        GhostConfig storage cfg = _configs[t.configId];
        if (s == JobStatus.Completed) return ceiling - g.price;
        if (s == JobStatus.BelowThreshold) return ceiling - _floorBps(g.price, cfg.computeShare);
        if (s == JobStatus.BuyerDefaulted) return ceiling - _floorBps(g.price, cfg.fee);
        return 0;
    }

    /// @dev Seconds an answered availability challenge moved the job's delivery deadline.
    function _extension(uint256 id) internal view returns (uint256) {
        GhostDelivery storage d = _deliveries[id];
        return d.answeredAt == 0 ? 0 : d.answeredAt - d.challengedAt;
    }

    function _beforeDeliveryDeadline(uint256 id) internal view returns (bool) {
        uint256 ext = _jobTerms[id - 1].parties == 1 ? _extension(id) : 0;
        return _now() <= uint256(_ghost[id].deliveryDeadline) + ext;
    }

    function _maxAccepted(uint256 leading, uint256 stepBps) internal pure returns (uint256) {
        uint256 s = leading * stepBps / 10_000;
        return leading - (s == 0 ? 1 : s);
    }

    function _collateralOf(uint256 price, uint256 ratio, uint256 minimum) internal pure returns (uint256) {
        uint256 byRatio = _ceilBps(price, ratio);
        return byRatio > minimum ? byRatio : minimum;
    }

    function _running(JobStatus s) internal pure returns (bool) {
        return s == JobStatus.Open || s == JobStatus.Matched || s == JobStatus.Attested;
    }

    function _unbonding(address p, address asset) internal view returns (uint256 sum) {
        Request[] storage rs = _requests[p][asset];
        for (uint256 i = 0; i < rs.length; i++) {
            sum += rs[i].amount;
        }
    }

    // ----- the final drain -----

    /// @notice Enforces job `id` from the test contract's drain, through the model.
    function enforceOf(uint256 id) external {
        _enforce(id, KEEPER);
    }

    /// @notice Withdraws everything owed by the market, every stake (requesting and waiting out
    ///         the unbonding delay) and the treasury, through the model.
    function withdrawEverything() external {
        address[] memory accounts = owedAccounts();
        // Pending requests first (all mature after one delay), so the request cap cannot block.
        vm.warp(_now() + UNBONDING_DELAY);
        for (uint256 a = 0; a < 2; a++) {
            address asset = _asset(a == 1);
            for (uint256 i = 0; i < 3; i++) {
                if (_requests[_providers[i]][asset].length != 0) _withdraw(_providers[i], asset);
            }
        }
        for (uint256 a = 0; a < 2; a++) {
            address asset = _asset(a == 1);
            for (uint256 i = 0; i < accounts.length; i++) {
                if (_owed[asset][accounts[i]] != 0) _withdrawOwed(accounts[i], asset);
            }
            for (uint256 i = 0; i < 3; i++) {
                address p = _providers[i];
                _check(_locked[p][asset] == 0, "collateral still locked after every job ended");
                if (_free[p][asset] != 0) requestWithdrawal(i, a == 1, _free[p][asset]);
            }
        }
        vm.warp(_now() + UNBONDING_DELAY);
        for (uint256 a = 0; a < 2; a++) {
            address asset = _asset(a == 1);
            for (uint256 i = 0; i < 3; i++) {
                if (_requests[_providers[i]][asset].length != 0) _withdraw(_providers[i], asset);
            }
            if (_treasury[asset] != 0) withdrawTreasury(a == 1);
        }
    }

    // ----- helpers -----

    function _pick(uint256 seed) internal view returns (uint256 id, IJobMarket.JobTerms memory t) {
        if (_jobTerms.length == 0) return (0, t);
        id = 1 + seed % _jobTerms.length;
        t = _jobTerms[id - 1];
    }

    /// @dev Three times in four, the first job from the seed's position on in which `step` can make
    ///      progress (so that long lifecycles happen within the run depth); otherwise, or if there is
    ///      none, the seed's job, whatever its state (so invalid calls are exercised too).
    function _pickFor(uint256 seed, Step s) internal view returns (uint256 id, IJobMarket.JobTerms memory t) {
        uint256 n = _jobTerms.length;
        if (n == 0) return (0, t);
        if (seed % 4 != 0) {
            for (uint256 k = 0; k < n; k++) {
                uint256 candidate = 1 + (seed / 4 + k) % n;
                if (_canProgress(candidate, s)) return (candidate, _jobTerms[candidate - 1]);
            }
        }
        return _pick(seed / 4);
    }

    enum Step {
        Bid,
        Attest,
        Result
    }

    function _canProgress(uint256 id, Step s) internal view returns (bool) {
        GhostJob storage g = _ghost[id];
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        if (s == Step.Bid) return g.status == JobStatus.Open && _now() < t.bidDeadline;
        if (s == Step.Attest) {
            bool matched = g.status == JobStatus.Matched
                || (g.status == JobStatus.Open && g.leader != address(0) && _now() >= t.bidDeadline);
            return matched && _now() <= t.attestDeadline;
        }
        return g.status == JobStatus.Attested && _beforeDeliveryDeadline(id);
    }

    function _indexOf(address p) internal view returns (uint256) {
        for (uint256 i = 0; i < 3; i++) {
            if (_providers[i] == p) return i;
        }
        return 0;
    }

    function _asset(bool tokenAsset) internal view returns (address) {
        return tokenAsset ? address(token) : address(0);
    }

    function _balanceOf(address asset, address who) internal view returns (uint256) {
        return asset == address(0) ? who.balance : token.balanceOf(who);
    }

    function _bits(uint256 x) internal pure returns (uint256 n) {
        for (; x != 0; x &= x - 1) n++;
    }

    /// @dev Records a mismatch between a call's success and the ghost model's prediction.
    function _outcome(bool ok, bool expected, string memory action) internal returns (bool agreed) {
        if (ok != expected) {
            _violation(
                string.concat(
                    action, ok ? " succeeded but the model predicted a revert" : " reverted but the model predicted success"
                )
            );
            return false;
        }
        if (ok) {
            _count(action);
            _successes++;
        }
        return true;
    }

    function _expect(bool ok, string memory action) internal {
        _outcome(ok, true, action);
    }

    function _check(bool condition, string memory what) internal {
        if (!condition) _violation(what);
    }

    function _violation(string memory what) internal {
        if (violations == 0) firstViolation = what;
        violations++;
    }

    function _count(string memory what) internal {
        _reached[keccak256(bytes(what))]++;
    }
}
