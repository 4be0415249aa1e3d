// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {Governed} from "./access/Governed.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {AssetTransfers} from "./libraries/AssetTransfers.sol";
import {Shares} from "./libraries/Shares.sol";
import {TeeTypeSet} from "./types/TeeType.sol";

/// @title ProviderRegistry
/// @notice Provider profiles and collateral. See {IProviderRegistry}.
/// @dev Balance invariant, per asset: this contract's balance equals the sum over providers of
///      free + locked + unbonding, plus `treasuryAccrued`; a provider's `unbonding` is the sum of its
///      pending withdrawal requests and `unbondingReadyAt` the earliest of their `readyAt`.
///
///      Withdrawal requests are kept per provider and asset in a fixed array of
///      `MAX_PENDING_WITHDRAWALS` slots, compacted in request order by {withdraw}; their count and the
///      next request id share the stake's second slot. The cap bounds every {withdraw} to that many
///      slots: thousands of dust requests cannot make a provider's own withdrawals run out of gas, and
///      a provider at the cap waits until one of its requests matures (at most `MAX_UNBONDING_DELAY`)
///      and withdraws it before requesting again.
contract ProviderRegistry is IProviderRegistry, Governed, ReentrancyGuardTransient {
    /// @notice Longest unbonding delay governance may configure.
    uint64 public constant MAX_UNBONDING_DELAY = 90 days;
    /// @notice Most withdrawal requests a provider can have pending per asset.
    uint256 public constant MAX_PENDING_WITHDRAWALS = 32;

    /// @dev A provider's stake in one asset as stored: {Stake} (what {stakeOf} returns) followed by the
    ///      bookkeeping of its withdrawal requests, in two slots: `_requests[provider][asset][i]` for
    ///      i < `pendingCount` are pending, in request order; `nextRequestId` is the next request's id.
    struct StakeRecord {
        uint128 free;
        uint128 locked;
        uint128 unbonding;
        uint64 unbondingReadyAt;
        uint56 nextRequestId;
        uint8 pendingCount;
    }

    /// @inheritdoc IProviderRegistry
    address public immutable stakeToken;
    /// @inheritdoc IProviderRegistry
    address public market;
    /// @inheritdoc IProviderRegistry
    address public treasury;
    /// @inheritdoc IProviderRegistry
    uint64 public unbondingDelay;

    mapping(address provider => Profile) private _profiles;
    mapping(address provider => mapping(address asset => StakeRecord)) private _stakes;
    mapping(address provider => mapping(address asset => UnbondingRequest[MAX_PENDING_WITHDRAWALS])) private
        _requests;
    /// @inheritdoc IProviderRegistry
    mapping(address asset => uint256) public treasuryAccrued;

    modifier onlyMarket() {
        if (msg.sender != market) revert ProviderRegistryNotMarket(msg.sender);
        _;
    }

    /// @param initialOwner Governance (two-step transferable).
    /// @param stakeToken_ The ERC-20 accepted besides ETH (`address(0)` for ETH only).
    /// @param treasury_ Receiver of the treasury's share of slashed stake.
    /// @param unbondingDelay_ Delay between a withdrawal request and the withdrawal.
    constructor(
        address initialOwner,
        address stakeToken_,
        address treasury_,
        uint64 unbondingDelay_
    ) Ownable(initialOwner) {
        if (treasury_ == address(0)) revert ProviderRegistryZeroAddress();
        stakeToken = stakeToken_;
        _setTreasury(treasury_);
        _setUnbondingDelay(unbondingDelay_);
    }

    // ----- provider actions -----

    /// @inheritdoc IProviderRegistry
    function register(Profile calldata profile) external {
        if (_profiles[msg.sender].teeTypes != 0) revert ProviderRegistryAlreadyRegistered(msg.sender);
        _checkProfile(profile);
        _profiles[msg.sender] = profile;
        emit ProviderRegistered(
            msg.sender, profile.teeTypes, profile.hardwareClass, profile.metadataHash, profile.endpointHash
        );
    }

    /// @inheritdoc IProviderRegistry
    function updateProfile(Profile calldata profile) external {
        _requireRegistered(msg.sender);
        _checkProfile(profile);
        _profiles[msg.sender] = profile;
        emit ProviderProfileUpdated(
            msg.sender, profile.teeTypes, profile.hardwareClass, profile.metadataHash, profile.endpointHash
        );
    }

    /// @inheritdoc IProviderRegistry
    function depositEth() external payable nonReentrant {
        _credit(msg.sender, address(0), msg.value);
    }

    /// @inheritdoc IProviderRegistry
    function depositToken(uint256 amount) external nonReentrant {
        _depositToken(amount);
    }

    /// @inheritdoc IProviderRegistry
    function depositTokenWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
    {
        address token = _requireToken();
        AssetTransfers.permitOrAllowance(token, msg.sender, amount, deadline, v, r, s);
        _depositToken(amount);
    }

    /// @inheritdoc IProviderRegistry
    function requestWithdrawal(address asset, uint256 amount) external returns (uint64 requestId) {
        _requireAsset(asset);
        if (amount == 0) revert ProviderRegistryZeroAmount();
        StakeRecord storage stake = _stakes[msg.sender][asset];
        if (stake.free < amount) revert ProviderRegistryInsufficientStake(stake.free, amount);
        uint8 count = stake.pendingCount;
        if (count >= MAX_PENDING_WITHDRAWALS) {
            revert ProviderRegistryTooManyPendingWithdrawals(MAX_PENDING_WITHDRAWALS);
        }
        uint64 readyAt = uint64(block.timestamp) + unbondingDelay;
        requestId = stake.nextRequestId;
        _requests[msg.sender][asset][count] =
            UnbondingRequest({id: requestId, readyAt: readyAt, amount: uint128(amount)});
        if (count == 0 || readyAt < stake.unbondingReadyAt) stake.unbondingReadyAt = readyAt;
        // count < MAX_PENDING_WITHDRAWALS; 2^56 requests cannot be made. amount ≤ free < 2^128, so the
        // casts are exact, free - amount cannot underflow and unbonding + amount ≤ total stake < 2^128.
        unchecked {
            stake.pendingCount = count + 1;
            stake.nextRequestId = uint56(requestId + 1);
            stake.free -= uint128(amount);
            stake.unbonding += uint128(amount);
        }
        emit UnbondingStarted(msg.sender, asset, requestId, amount, readyAt);
    }

    /// @inheritdoc IProviderRegistry
    function withdraw(address asset) external nonReentrant returns (uint256 amount) {
        StakeRecord storage stake = _stakes[msg.sender][asset];
        UnbondingRequest[MAX_PENDING_WITHDRAWALS] storage requests = _requests[msg.sender][asset];
        uint256 count = stake.pendingCount;
        if (count == 0) revert ProviderRegistryNothingToWithdraw();
        uint64 earliest = stake.unbondingReadyAt;
        if (block.timestamp < earliest) revert ProviderRegistryUnbonding(earliest);
        // Pay every matured request and move the others to the front, keeping their order.
        uint256 kept;
        earliest = type(uint64).max;
        for (uint256 i; i < count; ++i) {
            UnbondingRequest memory request = requests[i];
            if (request.readyAt <= block.timestamp) {
                amount += request.amount;
            } else {
                if (kept != i) requests[kept] = request;
                if (request.readyAt < earliest) earliest = request.readyAt;
                ++kept;
            }
        }
        for (uint256 i = kept; i < count; ++i) {
            delete requests[i];
        }
        // kept ≤ count ≤ MAX_PENDING_WITHDRAWALS; amount is a sum of pending requests, so
        // amount ≤ unbonding < 2^128: exact casts, no underflow.
        unchecked {
            stake.pendingCount = uint8(kept);
            stake.unbonding -= uint128(amount);
        }
        stake.unbondingReadyAt = kept == 0 ? 0 : earliest;
        emit StakeWithdrawn(msg.sender, asset, amount);
        AssetTransfers.send(asset, msg.sender, amount);
    }

    // ----- market actions -----

    /// @inheritdoc IProviderRegistry
    function lockCollateral(address provider, address asset, uint256 amount) external onlyMarket {
        StakeRecord storage stake = _stakes[provider][asset];
        if (stake.free < amount) revert ProviderRegistryInsufficientStake(stake.free, amount);
        // amount ≤ free < 2^128: exact cast, no underflow; locked + amount ≤ total stake < 2^128.
        unchecked {
            stake.free -= uint128(amount);
            stake.locked += uint128(amount);
        }
        emit StakeLocked(provider, asset, amount);
    }

    /// @inheritdoc IProviderRegistry
    function unlockCollateral(address provider, address asset, uint256 amount) external onlyMarket {
        StakeRecord storage stake = _stakes[provider][asset];
        if (stake.locked < amount) revert ProviderRegistryInsufficientStake(stake.locked, amount);
        // amount ≤ locked < 2^128: exact cast, no underflow; free + amount ≤ total stake < 2^128.
        unchecked {
            stake.locked -= uint128(amount);
            stake.free += uint128(amount);
        }
        emit StakeUnlocked(provider, asset, amount);
    }

    /// @inheritdoc IProviderRegistry
    function slash(address provider, address asset, uint256 amount, uint16 buyerShareBps)
        external
        onlyMarket
        nonReentrant
        returns (uint256 toBuyer)
    {
        if (buyerShareBps > Shares.BPS) revert ProviderRegistryInvalidBps(buyerShareBps);
        StakeRecord storage stake = _stakes[provider][asset];
        if (stake.locked < amount) revert ProviderRegistryInsufficientStake(stake.locked, amount);
        // amount ≤ locked < 2^128: exact cast and no underflow.
        unchecked {
            stake.locked -= uint128(amount);
        }
        // The buyer's part is rounded up: a non-zero share of a non-zero amount is never zero.
        toBuyer = Shares.mulBpsUp(amount, buyerShareBps);
        uint256 toTreasury = amount - toBuyer; // toBuyer ≤ amount because buyerShareBps ≤ BPS
        treasuryAccrued[asset] += toTreasury;
        emit StakeSlashed(provider, asset, amount, toBuyer, toTreasury);
        if (toBuyer != 0) AssetTransfers.send(asset, msg.sender, toBuyer);
    }

    /// @inheritdoc IProviderRegistry
    function withdrawTreasury(address asset) external nonReentrant {
        uint256 amount = treasuryAccrued[asset];
        if (amount == 0) revert ProviderRegistryNothingToWithdraw();
        treasuryAccrued[asset] = 0;
        address to = treasury;
        emit TreasuryWithdrawn(to, asset, amount);
        AssetTransfers.send(asset, to, amount);
    }

    // ----- governance -----

    /// @inheritdoc IProviderRegistry
    function setMarket(address market_) external onlyOwner {
        if (market != address(0)) revert ProviderRegistryMarketAlreadySet(market);
        if (market_ == address(0)) revert ProviderRegistryZeroAddress();
        market = market_;
        emit MarketSet(market_);
    }

    /// @inheritdoc IProviderRegistry
    function setTreasury(address treasury_) external onlyOwner {
        if (treasury_ == address(0)) revert ProviderRegistryZeroAddress();
        _setTreasury(treasury_);
    }

    /// @inheritdoc IProviderRegistry
    function setUnbondingDelay(uint64 delay) external onlyOwner {
        _setUnbondingDelay(delay);
    }

    // ----- views -----

    /// @inheritdoc IProviderRegistry
    function isRegistered(address provider) external view returns (bool) {
        return _profiles[provider].teeTypes != 0;
    }

    /// @inheritdoc IProviderRegistry
    function profileOf(address provider) external view returns (Profile memory) {
        return _profiles[provider];
    }

    /// @inheritdoc IProviderRegistry
    function teeTypesOf(address provider) external view returns (uint8) {
        return _profiles[provider].teeTypes;
    }

    /// @inheritdoc IProviderRegistry
    function stakeOf(address provider, address asset) external view returns (Stake memory) {
        StakeRecord storage stake = _stakes[provider][asset];
        return Stake({
            free: stake.free,
            locked: stake.locked,
            unbonding: stake.unbonding,
            unbondingReadyAt: stake.unbondingReadyAt
        });
    }

    /// @inheritdoc IProviderRegistry
    function pendingWithdrawals(address provider, address asset)
        external
        view
        returns (UnbondingRequest[] memory requests)
    {
        UnbondingRequest[MAX_PENDING_WITHDRAWALS] storage pending = _requests[provider][asset];
        requests = new UnbondingRequest[](_stakes[provider][asset].pendingCount);
        for (uint256 i; i < requests.length; ++i) {
            requests[i] = pending[i];
        }
    }

    // ----- internals -----

    function _depositToken(uint256 amount) private {
        address token = _requireToken();
        uint256 received = AssetTransfers.pull(token, msg.sender, amount);
        if (received != amount) revert ProviderRegistryWrongValue(received, amount);
        _credit(msg.sender, token, amount);
    }

    function _credit(address provider, address asset, uint256 amount) private {
        _requireRegistered(provider);
        if (amount == 0) revert ProviderRegistryZeroAmount();
        if (amount > type(uint128).max) revert ProviderRegistryAmountTooLarge(amount);
        _stakes[provider][asset].free += SafeCast.toUint128(amount);
        emit StakeDeposited(provider, asset, amount);
    }

    function _checkProfile(Profile calldata profile) private pure {
        if (!TeeTypeSet.isValid(profile.teeTypes)) revert ProviderRegistryInvalidTeeTypes(profile.teeTypes);
    }

    function _requireRegistered(address provider) private view {
        if (_profiles[provider].teeTypes == 0) revert ProviderRegistryNotRegistered(provider);
    }

    function _requireToken() private view returns (address token) {
        token = stakeToken;
        if (token == address(0)) revert ProviderRegistryUnsupportedAsset(address(0));
    }

    function _requireAsset(address asset) private view {
        if (asset != address(0) && asset != stakeToken) revert ProviderRegistryUnsupportedAsset(asset);
    }

    function _setTreasury(address treasury_) private {
        treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    function _setUnbondingDelay(uint64 delay) private {
        if (delay > MAX_UNBONDING_DELAY) revert ProviderRegistryInvalidUnbondingDelay(delay, MAX_UNBONDING_DELAY);
        unbondingDelay = delay;
        emit UnbondingDelaySet(delay);
    }
}
