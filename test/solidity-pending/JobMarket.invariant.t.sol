// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Assertions} from "./utils/Assertions.sol";
import {DevStakeToken} from "../../contracts/dev/DevStakeToken.sol";
import {IJobMarket} from "../../contracts/interfaces/IJobMarket.sol";
import {IMultiPartyCoordinator} from "../../contracts/interfaces/IMultiPartyCoordinator.sol";
import {IProviderRegistry} from "../../contracts/interfaces/IProviderRegistry.sol";
import {JobMarket} from "../../contracts/JobMarket.sol";
import {JobStatus} from "../../contracts/types/JobStatus.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";
import {ProviderRegistry} from "../../contracts/ProviderRegistry.sol";
import {TeeType} from "../../contracts/types/TeeType.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Invariants of the escrow (issue wording): "the contract's token and ETH balances always
///         equal the sum of open obligations (escrows + stakes + treasury), and every job ends in a
///         terminal state after its deadlines pass." One job in four is a multi-party job (2 data
///         parties, a 1-of-2 or 2-of-2 committee), whose records, quorum-gated settlement and
///         committee-fault timeout (collateral released, not slashed) the model follows too. The handler (below, in this file so that a
///         single-file run always has its artifact) drives random sequences of every action; each
///         invariant is checked after every call.
contract JobMarketInvariantTest is Assertions {
    JobMarketHandler internal handler;
    JobMarket internal market;
    ProviderRegistry internal registry;
    DevStakeToken internal token;

    function setUp() public {
        vm.warp(1_750_000_000);
        handler = new JobMarketHandler();
        (market, registry, token) = handler.contracts();
    }

    /// @dev Selector list as forge-std's StdInvariant declares it.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev Weighted action list (see {JobMarketHandler-weightedSelectors}).
    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: handler.weightedSelectors()});
    }

    /// @dev Every call's success or revert, and every payment, matched the handler's ghost model.
    function invariant_callsMatchModel() public view {
        if (handler.violations() != 0) revert(string.concat("model violation: ", handler.firstViolation()));
    }

    /// @dev (a) Balances equal obligations, per asset and per contract: the market holds the
    ///      escrow of running jobs plus unclaimed refunds; the registry holds free + locked +
    ///      unbonding stake plus the treasury's accrual. Checked against the ghost model and
    ///      against the contracts' own views.
    function invariant_balancesEqualObligations() public view {
        for (uint256 a = 0; a < 2; a++) {
            address asset = a == 0 ? address(0) : address(token);
            uint256 marketBalance = _balance(asset, address(market));
            uint256 registryBalance = _balance(asset, address(registry));
            uint256 ghostMarket = handler.ghostMarketOwed(asset);
            uint256 ghostRegistry = handler.ghostRegistryOwed(asset);
            assertEq(marketBalance, ghostMarket, "market balance == escrows + refunds owed (ghost)");
            assertEq(registryBalance, ghostRegistry, "registry balance == stakes + treasury (ghost)");
            assertEq(
                marketBalance + registryBalance, ghostMarket + ghostRegistry, "total balance == total obligations"
            );
            assertEq(marketBalance, _marketOwedByViews(asset), "market balance == obligations (contract views)");
            assertEq(registryBalance, _registryOwedByViews(asset), "registry balance == obligations (contract views)");
        }
    }

    /// @dev The contracts' stored state equals the ghost model's, job by job and stake by stake.
    function invariant_stateMatchesModel() public view {
        uint256 n = handler.jobCount();
        assertEq(market.jobCount(), n, "job count");
        for (uint256 id = 1; id <= n; id++) {
            IJobMarket.Job memory job = market.getJob(id);
            JobMarketHandler.GhostJob memory g = handler.ghostJob(id);
            assertEq(uint256(job.status), uint256(g.status), "job status");
            assertEq(job.provider, g.leader, "job provider");
            assertEq(job.price, g.price, "job price");
            assertEq(job.compensation, g.compensation, "job compensation");
            assertEq(job.deliveryDeadline, g.deliveryDeadline, "job delivery deadline");
            assertTrue(job.refundClaimed == g.claimed, "refund claimed flag");
            // Collateral stays recorded after settlement; while the job runs it is what is locked.
            if (g.status != JobStatus.Cancelled) assertEq(job.collateral, g.collateral, "job collateral");
            assertEq(market.refundableOf(id, handler.termsOf(id)), handler.ghostRefundable(id), "refundable");
            JobMarketHandler.GhostRecords memory r = handler.ghostRecords(id);
            (uint256 updates, uint256 updateMask, uint256 shares, uint256 shareMask) = coordinator().recordsOf(id);
            assertEq(updateMask, r.updateMask, "update mask");
            assertEq(updates, _bits(r.updateMask), "update count");
            assertEq(shareMask, r.shareMask, "share mask");
            assertEq(shares, _bits(r.shareMask), "share count");
            assertTrue(coordinator().aggregateRecorded(id) == r.aggregate, "aggregate recorded");
        }
        address[3] memory ps = handler.providers();
        for (uint256 a = 0; a < 2; a++) {
            address asset = a == 0 ? address(0) : address(token);
            for (uint256 i = 0; i < 3; i++) {
                IProviderRegistry.Stake memory s = registry.stakeOf(ps[i], asset);
                JobMarketHandler.GhostStake memory gs = handler.ghostStake(ps[i], asset);
                assertEq(s.free, gs.free, "free stake");
                assertEq(s.locked, gs.locked, "locked stake");
                assertEq(s.unbonding, gs.unbonding, "unbonding stake");
                if (gs.unbonding != 0) assertEq(s.unbondingReadyAt, gs.readyAt, "unbonding ready at");
            }
            assertEq(registry.treasuryAccrued(asset), handler.ghostTreasury(asset), "treasury accrued");
        }
    }

    /// @dev (b) After every deadline has passed, one permissionless enforceDeadline per running job
    ///      puts every job in a terminal state, and then every wei can leave: all refunds are
    ///      claimed, all stake withdrawn and the treasury paid, leaving both contracts empty. (State
    ///      changes made while checking an invariant are discarded, so the run continues unchanged.)
    function invariant_everyJobTerminatesAfterDeadlines() public {
        // The runner discards state changes made by invariant checks, but not necessarily while it
        // replays a failing sequence; the snapshot keeps this check side-effect free either way.
        uint256 snapshot = vm.snapshotState();
        _terminateEverything();
        vm.revertToState(snapshot);
    }

    function _terminateEverything() internal {
        uint256 n = handler.jobCount();
        uint256 latest = block.timestamp;
        for (uint256 id = 1; id <= n; id++) {
            uint256 d = market.getJob(id).deliveryDeadline;
            if (d > latest) latest = d;
        }
        vm.warp(latest + 1);

        for (uint256 id = 1; id <= n; id++) {
            IJobMarket.JobTerms memory t = handler.termsOf(id);
            JobStatus s = market.getJob(id).status;
            if (s == JobStatus.Open || s == JobStatus.Matched || s == JobStatus.Attested) {
                market.enforceDeadline(id, t); // reverting here fails the invariant
            }
            s = market.getJob(id).status;
            assertTrue(
                s == JobStatus.Completed || s == JobStatus.Cancelled || s == JobStatus.Expired || s == JobStatus.Failed,
                "job not terminal after its deadlines"
            );
            assertEq(uint256(market.statusOf(id)), uint256(s), "statusOf agrees");
            uint256 owed = market.refundableOf(id, t);
            if (owed != 0) {
                JobMarketHandler.GhostJob memory g = handler.ghostJob(id);
                uint256 before = _balance(t.asset, g.refundTo);
                market.claimRefund(id, t, g.refundTo, g.salt);
                assertEq(_balance(t.asset, g.refundTo) - before, owed, "refund paid");
            }
        }

        address[3] memory ps = handler.providers();
        for (uint256 a = 0; a < 2; a++) {
            address asset = a == 0 ? address(0) : address(token);
            assertEq(_balance(asset, address(market)), 0, "market keeps funds after every job ended");
            for (uint256 i = 0; i < 3; i++) {
                IProviderRegistry.Stake memory st = registry.stakeOf(ps[i], asset);
                assertEq(st.locked, 0, "collateral still locked after every job ended");
                if (st.free != 0) {
                    vm.prank(ps[i]);
                    registry.requestWithdrawal(asset, st.free);
                }
            }
        }
        vm.warp(block.timestamp + registry.unbondingDelay());
        for (uint256 a = 0; a < 2; a++) {
            address asset = a == 0 ? address(0) : address(token);
            for (uint256 i = 0; i < 3; i++) {
                if (registry.stakeOf(ps[i], asset).unbonding != 0) {
                    vm.prank(ps[i]);
                    registry.withdraw(asset);
                }
            }
            if (registry.treasuryAccrued(asset) != 0) registry.withdrawTreasury(asset);
            assertEq(_balance(asset, address(registry)), 0, "registry keeps funds after everything was withdrawn");
        }
    }

    // ----- helpers -----

    function _balance(address asset, address who) internal view returns (uint256) {
        return asset == address(0) ? who.balance : token.balanceOf(who);
    }

    function coordinator() internal view returns (IMultiPartyCoordinator) {
        return market.multiPartyCoordinator();
    }

    function _bits(uint256 x) internal pure returns (uint256 n) {
        for (; x != 0; x &= x - 1) n++;
    }

    /// @dev Obligations as the market itself reports them: the escrow of each running job plus
    ///      what each finished job can still refund.
    function _marketOwedByViews(address asset) internal view returns (uint256 owed) {
        for (uint256 id = 1; id <= handler.jobCount(); id++) {
            IJobMarket.JobTerms memory t = handler.termsOf(id);
            if (t.asset != asset) continue;
            JobStatus s = market.getJob(id).status;
            if (s == JobStatus.Open || s == JobStatus.Matched || s == JobStatus.Attested) owed += t.priceCeiling;
            else owed += market.refundableOf(id, t);
        }
    }

    function _registryOwedByViews(address asset) internal view returns (uint256 owed) {
        address[3] memory ps = handler.providers();
        for (uint256 i = 0; i < 3; i++) {
            IProviderRegistry.Stake memory s = registry.stakeOf(ps[i], asset);
            owed += uint256(s.free) + s.locked + s.unbonding;
        }
        owed += registry.treasuryAccrued(asset);
    }
}

/// @notice Drives random, bounded sequences of every market and registry action, predicts each
///         outcome from its own ghost model (written from the spec, not by reading contract state),
///         and records any disagreement in `violations` for the invariant test to report (the
///         invariant run does not fail on reverts, so the handler never relies on reverting).
contract JobMarketHandler is MarketFixture {
    uint256 public constant MAX_JOBS = 16;
    uint256 internal constant OWNER_KEYS = 3;

    /// @notice Ghost state of one job.
    struct GhostJob {
        JobStatus status;
        address leader;
        uint96 price;
        uint96 collateral;
        uint96 compensation;
        bool claimed;
        uint64 deliveryDeadline;
        uint256 ownerPk;
        address refundTo;
        bytes32 salt;
    }

    /// @notice Ghost records of a multi-party job in the coordinator.
    struct GhostRecords {
        uint256 updateMask;
        uint256 shareMask;
        bool aggregate;
    }

    /// @notice Ghost stake of a provider in one asset.
    struct GhostStake {
        uint256 free;
        uint256 locked;
        uint256 unbonding;
        uint64 readyAt;
    }

    address[3] internal _providers = [address(0x1001), address(0x1002), address(0x1003)];
    /// @dev Provider TEE sets: Simulated only, Simulated + SEV-SNP, TDX only (cannot bid on most jobs).
    uint8[3] internal _providerTee = [TEE_SIMULATED, TEE_SIMULATED | TEE_SEV_SNP, TEE_TDX];

    IJobMarket.JobTerms[] internal _jobTerms;
    mapping(uint256 jobId => GhostJob) internal _ghost;
    mapping(uint256 jobId => GhostRecords) internal _records;
    mapping(address provider => mapping(address asset => GhostStake)) internal _stakes;
    mapping(address asset => uint256) public ghostTreasury;
    mapping(address ownerKey => uint256) internal _nonces;

    uint256 public violations;
    string public firstViolation;
    mapping(string action => uint256) public successes;

    constructor() {
        _deployMarket();
        for (uint256 i = 0; i < 3; i++) {
            _register(_providers[i], _providerTee[i]);
        }
    }

    // ----- views for the invariant test -----

    /// @notice The actions the fuzzer calls, repeated to weight them: `advance` (one lifecycle step
    ///         of some job) and `warp` dominate so that full lifecycles fit in a run's depth; every
    ///         other action, including the invalid variants, is called directly too.
    function weightedSelectors() external pure returns (bytes4[] memory s) {
        bytes4[15] memory others = [
            this.recordMultiParty.selector,
            this.depositEth.selector,
            this.depositToken.selector,
            this.requestWithdrawal.selector,
            this.withdraw.selector,
            this.withdrawTreasury.selector,
            this.postJob.selector,
            this.cancelJob.selector,
            this.extendDeliveryDeadline.selector,
            this.claimRefund.selector,
            this.placeBid.selector,
            this.closeBidding.selector,
            this.submitAttestation.selector,
            this.submitResult.selector,
            this.enforceDeadline.selector
        ];
        s = new bytes4[](others.length + 14);
        for (uint256 i = 0; i < others.length; i++) s[i] = others[i];
        for (uint256 i = 0; i < 10; i++) s[others.length + i] = this.advance.selector;
        for (uint256 i = 0; i < 4; i++) s[others.length + 10 + i] = this.warp.selector;
    }

    function contracts() external view returns (JobMarket, ProviderRegistry, DevStakeToken) {
        return (market, registry, token);
    }

    function jobCount() external view returns (uint256) {
        return _jobTerms.length;
    }

    function termsOf(uint256 jobId) external view returns (IJobMarket.JobTerms memory) {
        return _jobTerms[jobId - 1];
    }

    function ghostJob(uint256 jobId) external view returns (GhostJob memory) {
        return _ghost[jobId];
    }

    function ghostRecords(uint256 jobId) external view returns (GhostRecords memory) {
        return _records[jobId];
    }

    function providers() external view returns (address[3] memory) {
        return _providers;
    }

    function ghostStake(address provider, address asset) external view returns (GhostStake memory) {
        return _stakes[provider][asset];
    }

    /// @notice What the market should hold in `asset`: the ceiling of every running job plus the
    ///         unclaimed refund of every finished one.
    function ghostMarketOwed(address asset) public view returns (uint256 owed) {
        for (uint256 id = 1; id <= _jobTerms.length; id++) {
            if (_jobTerms[id - 1].asset != asset) continue;
            GhostJob storage g = _ghost[id];
            if (_running(g.status)) owed += _jobTerms[id - 1].priceCeiling;
            else owed += _refundable(id);
        }
    }

    /// @notice What the registry should hold in `asset`: all stake (free, locked, unbonding) plus
    ///         the treasury's accrued share of slashes.
    function ghostRegistryOwed(address asset) public view returns (uint256 owed) {
        for (uint256 i = 0; i < 3; i++) {
            GhostStake storage s = _stakes[_providers[i]][asset];
            owed += s.free + s.locked + s.unbonding;
        }
        owed += ghostTreasury[asset];
    }

    function ghostRefundable(uint256 jobId) external view returns (uint256) {
        return _refundable(jobId);
    }

    // ----- provider actions -----

    function depositEth(uint256 providerSeed, uint256 amount) external {
        _deposit(_providers[providerSeed % 3], address(0), bound(amount, 1, 50 ether));
    }

    function depositToken(uint256 providerSeed, uint256 amount) external {
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
        if (ok) _stakes[p][asset].free += amount;
    }

    function requestWithdrawal(uint256 providerSeed, bool tokenAsset, uint256 amount) external {
        address p = _providers[providerSeed % 3];
        address asset = _asset(tokenAsset);
        // Three times in four, prefer a provider with free stake.
        for (uint256 k = 0; k < 6 && providerSeed % 4 != 0 && _stakes[p][asset].free == 0; k++) {
            p = _providers[(providerSeed + k) % 3];
            asset = _asset(k >= 3 ? !tokenAsset : tokenAsset);
        }
        GhostStake storage s = _stakes[p][asset];
        amount = bound(amount, 0, s.free + 1); // includes the invalid 0 and free + 1
        bool expected = amount != 0 && amount <= s.free;
        vm.prank(p);
        (bool ok,) = address(registry).call(abi.encodeCall(registry.requestWithdrawal, (asset, amount)));
        if (!_outcome(ok, expected, "requestWithdrawal")) return;
        if (ok) {
            s.free -= amount;
            s.unbonding += amount;
            s.readyAt = uint64(block.timestamp) + UNBONDING_DELAY;
        }
    }

    function withdraw(uint256 providerSeed, bool tokenAsset) external {
        address p = _providers[providerSeed % 3];
        address asset = _asset(tokenAsset);
        // Three times in four, prefer a provider with stake unbonding (ready or not).
        for (uint256 k = 0; k < 6 && providerSeed % 4 != 0 && _stakes[p][asset].unbonding == 0; k++) {
            p = _providers[(providerSeed + k) % 3];
            asset = _asset(k >= 3 ? !tokenAsset : tokenAsset);
        }
        GhostStake storage s = _stakes[p][asset];
        bool expected = s.unbonding != 0 && block.timestamp >= s.readyAt;
        uint256 before = _balanceOf(asset, p);
        vm.prank(p);
        (bool ok,) = address(registry).call(abi.encodeCall(registry.withdraw, (asset)));
        if (!_outcome(ok, expected, "withdraw")) return;
        if (ok) {
            _check(_balanceOf(asset, p) - before == s.unbonding, "withdraw paid the unbonding amount");
            s.unbonding = 0;
            s.readyAt = 0;
        }
    }

    function withdrawTreasury(bool tokenAsset) external {
        address asset = _asset(tokenAsset);
        uint256 before = _balanceOf(asset, TREASURY);
        (bool ok,) = address(registry).call(abi.encodeCall(registry.withdrawTreasury, (asset)));
        if (!_outcome(ok, ghostTreasury[asset] != 0, "withdrawTreasury")) return;
        if (ok) {
            _check(_balanceOf(asset, TREASURY) - before == ghostTreasury[asset], "treasury paid its accrual");
            ghostTreasury[asset] = 0;
        }
    }

    // ----- buyer actions -----

    function postJob(bool tokenAsset, uint256 ceiling, uint256 windows, uint8 variant) public {
        if (_jobTerms.length >= MAX_JOBS) return;
        uint256 index = _jobTerms.length;
        IJobMarket.JobTerms memory t = _newTerms(index, tokenAsset, ceiling, windows, variant);
        uint256 ethBefore = address(market).balance;
        uint256 tokenBefore = token.balanceOf(address(market));
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
        if (!_outcome(ok, true, "postJob")) return;
        uint256 jobId = abi.decode(ret, (uint256));
        _check(jobId == index + 1, "sequential job id");
        _check(address(market).balance - ethBefore == (t.asset == address(0) ? t.priceCeiling : 0), "ETH escrowed");
        _check(token.balanceOf(address(market)) - tokenBefore == (t.asset == address(0) ? 0 : t.priceCeiling), "token escrowed");
        _jobTerms.push(t);
        _ghost[jobId] = GhostJob({
            status: JobStatus.Open,
            leader: address(0),
            price: 0,
            collateral: 0,
            compensation: 0,
            claimed: false,
            deliveryDeadline: t.deliveryDeadline,
            ownerPk: _ownerPk(index),
            refundTo: _refundTo(index),
            salt: _salt(index)
        });
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
        returns (IJobMarket.JobTerms memory t)
    {
        t = _terms(
            _asset(tokenAsset),
            uint96(bound(ceiling, MIN_PRICE_ETH, 20 ether)),
            vm.addr(_ownerPk(index)),
            _refundTo(index),
            _salt(index),
            uint64(bound(windows % 1e6, 1 hours, 3 days)),
            uint64(bound((windows / 1e6) % 1e6, 1 hours, 3 days)),
            uint64(bound((windows / 1e12) % 1e6, 1 hours, 5 days))
        );
        // Vary what the job accepts so that bids and evidence are sometimes rejected.
        variant = variant % 8;
        if (variant == 5) t.teeTypes = TEE_SIMULATED | TEE_SEV_SNP;
        if (variant == 6) t.teeTypes = TEE_SEV_SNP; // valid simulated evidence is not accepted
        if (variant == 3) t.measurement = SIMULATED_MEASUREMENT;
        if (variant == 4) t.measurement = keccak256("some other enclave"); // mismatch: evidence fails
        if (variant == 7 || variant == 0) {
            // Multi-party: the spec's windows follow the attestation deadline a day apart, and the
            // delivery deadline moves 3 days later so that it follows the share deadline.
            t.deliveryDeadline += 3 days;
            t.parties = 2;
            t.threshold = uint8(1 + index % 2);
            t.committeeSize = 2;
            t.committeeHash = keccak256(abi.encode(_specOf(t)));
        }
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

    function cancelJob(uint256 jobSeed, uint8 mode, uint256 relayerSeed) external {
        (uint256 id, IJobMarket.JobTerms memory t) = _pick(jobSeed);
        if (id == 0) return;
        GhostJob storage g = _ghost[id];
        mode = mode % 4; // 0, 1: proper; 2: wrong key; 3: wrong nonce
        uint256 nonce = _nonces[t.ownerKey] + (mode == 3 ? 1 : 0);
        uint256 pk = mode == 2 ? g.ownerPk + 100 : g.ownerPk;
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _cancelSig(pk, id, nonce, deadline);
        bool expected = g.status == JobStatus.Open && !(g.leader != address(0) && block.timestamp >= t.bidDeadline)
            && mode < 2;
        vm.prank(address(uint160(0x4E1A0000 + relayerSeed % 8))); // anyone may relay
        (bool ok,) = address(market).call(abi.encodeCall(market.cancelJob, (id, t, nonce, deadline, sig)));
        if (!_outcome(ok, expected, "cancelJob")) return;
        if (ok) {
            _nonces[t.ownerKey]++;
            if (g.leader != address(0)) _unlock(g.leader, t.asset, g.collateral);
            g.collateral = 0;
            g.status = JobStatus.Cancelled;
        }
    }

    function extendDeliveryDeadline(uint256 jobSeed, uint256 extension) external {
        (uint256 id, IJobMarket.JobTerms memory t) = _pick(jobSeed);
        if (id == 0) return;
        GhostJob storage g = _ghost[id];
        uint64 newDeadline = uint64(g.deliveryDeadline + bound(extension, 0, 30 days));
        uint256 deadline = block.timestamp + 1 hours;
        uint256 nonce = _nonces[t.ownerKey];
        bytes memory sig = _extendSig(g.ownerPk, id, newDeadline, nonce, deadline);
        bool expected = _running(g.status) && newDeadline > g.deliveryDeadline
            && newDeadline <= uint256(t.bidDeadline) + market.MAX_JOB_DURATION();
        (bool ok,) = address(market).call(
            abi.encodeCall(market.extendDeliveryDeadline, (id, t, newDeadline, nonce, deadline, sig))
        );
        if (!_outcome(ok, expected, "extendDeliveryDeadline")) return;
        if (ok) {
            _nonces[t.ownerKey]++;
            g.deliveryDeadline = newDeadline;
        }
    }

    function claimRefund(uint256 jobSeed, bool wrongPreimage) public {
        (uint256 id, IJobMarket.JobTerms memory t) = _pick(jobSeed);
        if (id == 0) return;
        GhostJob storage g = _ghost[id];
        uint256 amount = _refundable(id);
        address to = wrongPreimage ? address(0xBAD) : g.refundTo;
        uint256 before = _balanceOf(t.asset, to);
        (bool ok,) = address(market).call(abi.encodeCall(market.claimRefund, (id, t, to, g.salt)));
        if (!_outcome(ok, amount != 0 && !wrongPreimage, "claimRefund")) return;
        if (ok) {
            _check(_balanceOf(t.asset, to) - before == amount, "refund amount paid");
            g.claimed = true;
            // A job whose bid window ended without bids expires in the same call.
            if (g.status == JobStatus.Open) g.status = JobStatus.Expired;
        }
    }

    // ----- matching -----

    function placeBid(uint256 jobSeed, uint256 providerSeed, uint256 priceSeed) public {
        (uint256 id, IJobMarket.JobTerms memory t) = _pickFor(jobSeed, Step.Bid);
        if (id == 0) return;
        GhostJob storage g = _ghost[id];
        uint256 pi = providerSeed % 3;
        address p = _providers[pi];
        // A quarter of the bids tie the leader; the rest range over [0, 1.1 × ceiling].
        uint96 price = g.leader != address(0) && priceSeed % 4 == 0
            ? g.price
            : uint96(bound(priceSeed >> 2, 0, uint256(t.priceCeiling) * 11 / 10));
        uint256 collateral = _ceilBps(price, COLLATERAL_RATIO_BPS);
        uint256 available = _stakes[p][t.asset].free + (g.leader == p ? g.collateral : 0);
        // Usually top the provider's stake up first, so that bids are mostly affordable.
        if (collateral > available && providerSeed % 4 != 0) {
            _deposit(p, t.asset, collateral - available);
            available = collateral;
        }
        bool expected = g.status == JobStatus.Open && block.timestamp < t.bidDeadline && price != 0
            && price <= t.priceCeiling && (g.leader == address(0) || price < g.price)
            && _providerTee[pi] & t.teeTypes != 0 && collateral <= available;
        vm.prank(p);
        (bool ok,) = address(market).call(abi.encodeCall(market.placeBid, (id, t, price)));
        if (!_outcome(ok, expected, "placeBid")) return;
        if (ok) {
            if (g.leader != address(0)) _unlock(g.leader, t.asset, g.collateral);
            GhostStake storage s = _stakes[p][t.asset];
            s.free -= collateral;
            s.locked += collateral;
            g.leader = p;
            g.price = price;
            g.collateral = uint96(collateral);
            IJobMarket.Job memory job = market.getJob(id);
            _check(job.provider == p && job.price == price && job.collateral == collateral, "bid recorded");
        }
    }

    function closeBidding(uint256 jobSeed) public {
        (uint256 id, IJobMarket.JobTerms memory t) = _pick(jobSeed);
        if (id == 0) return;
        GhostJob storage g = _ghost[id];
        bool expected = g.status == JobStatus.Open && block.timestamp >= t.bidDeadline;
        (bool ok,) = address(market).call(abi.encodeCall(market.closeBidding, (id, t)));
        if (!_outcome(ok, expected, "closeBidding")) return;
        if (ok) g.status = g.leader == address(0) ? JobStatus.Expired : JobStatus.Matched;
    }

    // ----- evidence -----

    function submitAttestation(uint256 jobSeed, uint256 callerSeed, uint8 mode) public {
        (uint256 id, IJobMarket.JobTerms memory t) = _pickFor(jobSeed, Step.Attest);
        if (id == 0) return;
        GhostJob storage g = _ghost[id];
        address caller = callerSeed % 4 != 0 && g.leader != address(0) ? g.leader : _providers[callerSeed % 3];
        bytes32 encKey = keccak256(abi.encode("x25519", id));
        address enclaveSigner = vm.addr(0xE5C10000 + id); // its key settles multi-party jobs
        bytes32 binding = market.attestationBinding(id, encKey, enclaveSigner);
        mode = mode % 7;
        bytes memory evidence;
        if (mode <= 2) {
            evidence = _evidence(SIMULATED_MEASUREMENT, binding, uint64(block.timestamp + 1 hours), DEV_ATTESTATION_KEY);
        } else if (mode == 3) {
            evidence = _evidence(SIMULATED_MEASUREMENT, binding, uint64(block.timestamp + 1 hours), DEV_ATTESTATION_KEY + 7);
        } else if (mode == 4) {
            bytes32 otherJob = market.attestationBinding(id + 1000, encKey, enclaveSigner);
            evidence = _evidence(SIMULATED_MEASUREMENT, otherJob, uint64(block.timestamp + 1 hours), DEV_ATTESTATION_KEY);
        } else if (mode == 5) {
            evidence = _evidence(keccak256("unlisted"), binding, uint64(block.timestamp + 1 hours), DEV_ATTESTATION_KEY);
        } else {
            evidence = "not evidence";
        }
        // Effective status: an Open job whose window ended is closed by this call first.
        JobStatus status = g.status;
        if (status == JobStatus.Open && block.timestamp >= t.bidDeadline && g.leader != address(0)) {
            status = JobStatus.Matched;
        }
        bool expected = status == JobStatus.Matched && caller == g.leader && block.timestamp <= t.attestDeadline;
        bool accepted = mode <= 2 && t.teeTypes & TEE_SIMULATED != 0
            && (t.measurement == bytes32(0) || t.measurement == SIMULATED_MEASUREMENT);

        vm.prank(caller);
        (bool ok,) = address(market).call(
            abi.encodeCall(market.submitAttestation, (id, t, TeeType.Simulated, encKey, enclaveSigner, evidence))
        );
        if (!_outcome(ok, expected, "submitAttestation")) return;
        if (!ok) return;
        if (accepted) {
            g.status = JobStatus.Attested;
            _count("attestationAccepted");
        } else {
            _slash(id, t.asset);
            _count("attestationRejected");
        }
        _check(market.getJob(id).status == g.status, "attestation outcome");
    }

    function submitResult(uint256 jobSeed, uint256 callerSeed, uint8 mode) public {
        (uint256 id, IJobMarket.JobTerms memory t) = _pickFor(jobSeed, Step.Result);
        if (id == 0) return;
        GhostJob storage g = _ghost[id];
        address caller = callerSeed % 4 != 0 && g.leader != address(0) ? g.leader : _providers[callerSeed % 3];
        mode = mode % 4;
        bytes memory proof = mode <= 1 ? bytes("valid") : mode == 2 ? bytes("forged") : bytes("revert");
        // Multi-party jobs settle on the attested enclave's signed result, checked by the coordinator
        // (any other proof is rejected like a forged one).
        if (t.parties > 1 && mode <= 1) proof = _multiPartyResult(0xE5C10000 + id, id, t.specHash, keccak256("model"));
        bool expected = g.status == JobStatus.Attested && caller == g.leader && block.timestamp <= g.deliveryDeadline
            && _quorumOrSingleParty(id, t);
        uint256 before = _balanceOf(t.asset, caller);
        vm.prank(caller);
        (bool ok,) = address(market).call(
            abi.encodeCall(market.submitResult, (id, t, keccak256("model"), keccak256("ciphertext"), proof))
        );
        if (!_outcome(ok, expected, "submitResult")) return;
        if (!ok) return;
        if (mode <= 1) {
            _check(_balanceOf(t.asset, caller) - before == g.price, "provider paid the price");
            _unlock(g.leader, t.asset, g.collateral);
            g.status = JobStatus.Completed;
            _count("completed");
        } else {
            _slash(id, t.asset);
            _count("proofRejected");
        }
        _check(market.getJob(id).status == g.status, "result outcome");
    }

    // ----- multi-party records -----

    /// @notice One record call on a multi-party job: the next natural record (an update from a
    ///         party that has none, the aggregate with the recorded set, a share) or, one time in
    ///         four, a deliberately wrong one (wrong caller, wrong mask, a repeat).
    function recordMultiParty(uint256 jobSeed, uint256 seed) public {
        (uint256 id, IJobMarket.JobTerms memory t) = _pickFor(jobSeed, Step.Result);
        if (id == 0 || t.parties == 1) return;
        GhostRecords storage r = _records[id];
        IMultiPartyCoordinator.MultiPartySpec memory spec = _specOf(t);
        if (!r.aggregate && block.timestamp <= spec.updateDeadline && r.updateMask != 3) {
            _recordUpdate(id, t, spec, seed);
        } else if (!r.aggregate) {
            _recordAggregate(id, t, spec, seed);
        } else {
            _recordShare(id, t, spec, seed);
        }
        _check(coordinator.quorumReached(id) == _quorumOrSingleParty(id, t), "quorum as modelled");
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
        bool expected = _ghost[id].status == JobStatus.Attested && r.updateMask & (1 << i) == 0;
        bytes memory call = abi.encodeCall(coordinator.recordUpdate, (id, t, spec, i, keccak256(abi.encode(id, i))));
        vm.prank(_dataParty(i));
        (bool ok,) = address(coordinator).call(call);
        _outcome(ok, expected, "recordUpdate");
        if (ok) r.updateMask |= 1 << i;
    }

    function _recordAggregate(
        uint256 id,
        IJobMarket.JobTerms memory t,
        IMultiPartyCoordinator.MultiPartySpec memory spec,
        uint256 seed
    ) internal {
        GhostRecords storage r = _records[id];
        GhostJob storage g = _ghost[id];
        bool wrong = seed % 4 == 0;
        uint256 mask = wrong ? r.updateMask ^ (1 << ((seed >> 2) % 2)) : r.updateMask;
        address caller = wrong && (seed >> 3) % 2 == 0 ? _providers[(seed >> 4) % 3] : g.leader;
        bool expected = g.status == JobStatus.Attested && caller == g.leader
            && block.timestamp <= spec.aggregateDeadline && r.updateMask != 0 && mask == r.updateMask;
        bytes memory call = abi.encodeCall(coordinator.recordAggregate, (id, t, spec, keccak256(abi.encode(id)), mask));
        vm.prank(caller);
        (bool ok,) = address(coordinator).call(call);
        _outcome(ok, expected, "recordAggregate");
        if (ok) r.aggregate = true;
    }

    function _recordShare(
        uint256 id,
        IJobMarket.JobTerms memory t,
        IMultiPartyCoordinator.MultiPartySpec memory spec,
        uint256 seed
    ) internal {
        GhostRecords storage r = _records[id];
        uint256 i = _index(seed, r.shareMask);
        bool expected = _ghost[id].status == JobStatus.Attested && block.timestamp <= spec.shareDeadline
            && r.shareMask & (1 << i) == 0;
        bytes memory call = abi.encodeCall(coordinator.recordShare, (id, t, spec, i, keccak256(abi.encode(id, i, "s"))));
        vm.prank(_member(i));
        (bool ok,) = address(coordinator).call(call);
        _outcome(ok, expected, "recordShare");
        if (ok) r.shareMask |= 1 << i;
    }

    /// @dev Single-party jobs need no quorum; multi-party ones need `threshold` shares of the aggregate.
    function _quorumOrSingleParty(uint256 id, IJobMarket.JobTerms memory t) internal view returns (bool) {
        if (t.parties == 1) return true;
        GhostRecords storage r = _records[id];
        uint256 shares = (r.shareMask & 1) + ((r.shareMask >> 1) & 1);
        return r.aggregate && shares >= t.threshold;
    }

    // ----- timeouts -----

    function enforceDeadline(uint256 jobSeed) public {
        (uint256 id, IJobMarket.JobTerms memory t) = _pick(jobSeed);
        if (id == 0) return;
        GhostJob storage g = _ghost[id];
        JobStatus next; // None: the call must revert
        if (g.status == JobStatus.Open && block.timestamp >= t.bidDeadline) {
            if (g.leader == address(0)) next = JobStatus.Expired;
            else next = block.timestamp > t.attestDeadline ? JobStatus.Failed : JobStatus.Matched;
        } else if (g.status == JobStatus.Matched && block.timestamp > t.attestDeadline) {
            next = JobStatus.Failed;
        } else if (g.status == JobStatus.Attested && block.timestamp > g.deliveryDeadline) {
            next = JobStatus.Failed;
        }
        // A multi-party job whose aggregate exists without a quorum failed through its committee.
        bool committeeFault = g.status == JobStatus.Attested && _records[id].aggregate && !_quorumOrSingleParty(id, t);
        (bool ok,) = address(market).call(abi.encodeCall(market.enforceDeadline, (id, t)));
        if (!_outcome(ok, next != JobStatus.None, "enforceDeadline")) return;
        if (!ok) return;
        if (next == JobStatus.Failed && committeeFault) {
            _unlock(g.leader, t.asset, g.collateral);
            g.status = JobStatus.Failed;
            _count("committeeFault");
        } else if (next == JobStatus.Failed) {
            _slash(id, t.asset);
        } else {
            g.status = next;
        }
        _check(market.getJob(id).status == g.status, "enforceDeadline outcome");
    }

    /// @dev Moves time forward: exactly to a job deadline or one second past it, or to one second
    ///      before or exactly at a provider's unbonding end, so that the boundaries (`<` versus
    ///      `<=`) of every window are exercised; otherwise by a random step (a day to 8 days one
    ///      time in eight, else up to 12 hours).
    function warp(uint256 seed) external {
        uint256 mode = seed % 8;
        uint256 offset = (seed >> 3) % 2;
        uint256 target;
        (uint256 id, IJobMarket.JobTerms memory t) = _pick(seed >> 8);
        if (mode == 1) {
            for (uint256 k = 0; k < 6 && target == 0; k++) {
                GhostStake storage s = _stakes[_providers[((seed >> 8) + k) % 3]][_asset(k >= 3)];
                if (s.unbonding != 0) target = s.readyAt - 1 + offset;
            }
        } else if (id != 0 && mode >= 2) {
            if (mode <= 3) target = t.bidDeadline + offset;
            else if (mode <= 5) target = t.attestDeadline + offset;
            else target = _ghost[id].deliveryDeadline + offset;
        }
        if (target <= block.timestamp) {
            target = block.timestamp
                + (mode == 0 ? bound(seed >> 16, 1 days, 8 days) : bound(seed >> 16, 1, 12 hours));
        }
        vm.warp(target);
    }

    /// @notice Takes one job one natural step along its lifecycle: post when there is none (or one
    ///         time in sixteen), else bid while bidding is open, attest once it is matched, deliver
    ///         once attested, enforce a passed deadline, claim a refund once finished. Three times in
    ///         four it takes the job furthest along. The outcome of each step (including
    ///         deliberately bad evidence or proofs) is still checked against the model.
    function advance(uint256 seed) external {
        if (_jobTerms.length == 0 || seed % 16 == 0) {
            postJob(seed % 3 == 0, seed >> 8, seed >> 40, uint8(seed >> 16));
            return;
        }
        uint256 id = 1 + (seed >> 4) % _jobTerms.length;
        if (seed % 4 != 0) id = _furthestAlong(id);
        GhostJob storage g = _ghost[id];
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        uint256 jobSeed = (id - 1) * 4; // _pickFor(jobSeed, _) and _pick(id - 1) select exactly this job
        if (g.status == JobStatus.Open && block.timestamp < t.bidDeadline) {
            placeBid(jobSeed, seed >> 8, seed >> 24);
        } else if (_canProgress(id, Step.Attest)) {
            // Mostly valid evidence here (mode 0); one in four of the bad kinds (modes 3..6).
            submitAttestation(jobSeed, 1 + (seed >> 8) % 3, (seed >> 16) % 4 == 0 ? uint8(3 + (seed >> 18) % 4) : 0);
        } else if (t.parties > 1 && _canProgress(id, Step.Result) && !_quorumOrSingleParty(id, t)
                && !(_records[id].aggregate && id % 3 == 0) && (seed >> 8) % 8 != 0) {
            // Mostly records until the quorum; one time in eight a (premature) result instead. The
            // committee of every third job does not show up here (only direct recordMultiParty calls
            // record its shares), so committee-fault timeouts happen too.
            recordMultiParty(jobSeed, seed >> 12);
        } else if (_canProgress(id, Step.Result)) {
            // Mostly a valid proof here (mode 0); one in four forged or reverting (modes 2, 3).
            submitResult(jobSeed, 1 + (seed >> 8) % 3, (seed >> 16) % 4 == 0 ? uint8(2 + (seed >> 18) % 2) : 0);
        } else if (_running(g.status)) {
            enforceDeadline(id - 1);
        } else {
            claimRefund(id - 1, false);
        }
    }

    // ----- ghost model -----

    function _slash(uint256 id, address asset) internal {
        GhostJob storage g = _ghost[id];
        uint256 toBuyer = _floorBps(g.collateral, SLASH_BUYER_SHARE_BPS);
        GhostStake storage s = _stakes[g.leader][asset];
        s.locked -= g.collateral;
        ghostTreasury[asset] += g.collateral - toBuyer;
        g.compensation = uint96(toBuyer);
        g.status = JobStatus.Failed;
    }

    function _unlock(address p, address asset, uint256 amount) internal {
        GhostStake storage s = _stakes[p][asset];
        s.locked -= amount;
        s.free += amount;
    }

    function _refundable(uint256 id) internal view returns (uint256) {
        GhostJob storage g = _ghost[id];
        if (g.claimed) return 0;
        uint256 ceiling = _jobTerms[id - 1].priceCeiling;
        if (g.status == JobStatus.Cancelled || g.status == JobStatus.Expired) return ceiling;
        // Bid window over without bids: expired in effect (claimRefund closes it).
        if (g.status == JobStatus.Open && g.leader == address(0) && block.timestamp >= _jobTerms[id - 1].bidDeadline) {
            return ceiling;
        }
        if (g.status == JobStatus.Failed) return ceiling + g.compensation;
        if (g.status == JobStatus.Completed) return ceiling - g.price;
        return 0;
    }

    function _running(JobStatus s) internal pure returns (bool) {
        return s == JobStatus.Open || s == JobStatus.Matched || s == JobStatus.Attested;
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
    function _pickFor(uint256 seed, Step step) internal view returns (uint256 id, IJobMarket.JobTerms memory t) {
        uint256 n = _jobTerms.length;
        if (n == 0) return (0, t);
        if (seed % 4 != 0) {
            for (uint256 k = 0; k < n; k++) {
                uint256 candidate = 1 + (seed / 4 + k) % n;
                if (_canProgress(candidate, step)) return (candidate, _jobTerms[candidate - 1]);
            }
        }
        return _pick(seed / 4);
    }

    function _furthestAlong(uint256 fallbackId) internal view returns (uint256) {
        uint256 n = _jobTerms.length;
        for (uint256 step = 3; step > 0; step--) {
            for (uint256 k = 0; k < n; k++) {
                uint256 id = 1 + (fallbackId - 1 + k) % n;
                if (_canProgress(id, Step(step - 1))) return id;
            }
        }
        return fallbackId;
    }

    enum Step {
        Bid,
        Attest,
        Result
    }

    function _canProgress(uint256 id, Step step) internal view returns (bool) {
        GhostJob storage g = _ghost[id];
        IJobMarket.JobTerms storage t = _jobTerms[id - 1];
        if (step == Step.Bid) return g.status == JobStatus.Open && block.timestamp < t.bidDeadline;
        if (step == Step.Attest) {
            bool matched = g.status == JobStatus.Matched
                || (g.status == JobStatus.Open && g.leader != address(0) && block.timestamp >= t.bidDeadline);
            return matched && block.timestamp <= t.attestDeadline;
        }
        return g.status == JobStatus.Attested && block.timestamp <= g.deliveryDeadline;
    }

    function _asset(bool tokenAsset) internal view returns (address) {
        return tokenAsset ? address(token) : address(0);
    }

    function _balanceOf(address asset, address who) internal view returns (uint256) {
        return asset == address(0) ? who.balance : token.balanceOf(who);
    }

    /// @dev Records a mismatch between a call's success and the ghost model's prediction.
    function _outcome(bool ok, bool expected, string memory action) internal returns (bool agreed) {
        if (ok != expected) {
            _violation(string.concat(action, ok ? " succeeded but the model predicted a revert" : " reverted but the model predicted success"));
            return false;
        }
        if (ok) _count(action);
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
        successes[what]++;
    }
}
