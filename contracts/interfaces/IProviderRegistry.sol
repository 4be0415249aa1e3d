// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IProviderRegistry
/// @notice GPU providers register a profile and stake collateral, in native ETH or in the one
///         ERC-20 configured at deployment. Stake is free (withdrawable after unbonding) or locked
///         by the market against a job. Only the market can lock, unlock and slash; slashed stake is
///         split between the harmed buyer's refund (sent to the market) and the treasury.
/// @dev Asset `address(0)` denotes native ETH everywhere.
interface IProviderRegistry {
    /// @notice A provider's public profile.
    /// @param teeTypes Bit set of supported TEE types (see {TeeTypeSet}).
    /// @param hardwareClass Provider-declared hardware class (e.g. GPU tier); informational.
    /// @param metadataHash Hash of the off-chain profile document.
    /// @param endpointHash Hash of the service endpoint description.
    struct Profile {
        uint8 teeTypes;
        uint16 hardwareClass;
        bytes32 metadataHash;
        bytes32 endpointHash;
    }

    /// @notice A provider's stake in one asset.
    /// @param free Stake that can be locked or put into unbonding.
    /// @param locked Stake locked by the market as job collateral.
    /// @param unbonding Stake on its way out: the sum of the pending withdrawal requests.
    /// @param unbondingReadyAt The earliest `readyAt` among the pending withdrawal requests, i.e. when
    ///        {withdraw} can next pay something (0 when none is pending).
    struct Stake {
        uint128 free;
        uint128 locked;
        uint128 unbonding;
        uint64 unbondingReadyAt;
    }

    /// @notice One pending withdrawal request: stake in unbonding, withdrawable from `readyAt` on.
    /// @param id The request's id, sequential per provider and asset from 0.
    /// @param readyAt When the request matures: its time of request plus the unbonding delay then.
    /// @param amount The amount requested.
    struct UnbondingRequest {
        uint64 id;
        uint64 readyAt;
        uint128 amount;
    }

    /// @notice Thrown when a caller that is not the market calls a market-only function.
    error ProviderRegistryNotMarket(address caller);
    /// @notice Thrown when the market address is set a second time.
    error ProviderRegistryMarketAlreadySet(address market);
    /// @notice Thrown when an address argument that must be set is zero.
    error ProviderRegistryZeroAddress();
    /// @notice Thrown when a provider registers twice.
    error ProviderRegistryAlreadyRegistered(address provider);
    /// @notice Thrown when an action needs a registered provider.
    error ProviderRegistryNotRegistered(address provider);
    /// @notice Thrown when a TEE type set is empty or names unknown types.
    error ProviderRegistryInvalidTeeTypes(uint8 teeTypes);
    /// @notice Thrown when an amount is zero.
    error ProviderRegistryZeroAmount();
    /// @notice Thrown when an asset is neither native ETH nor the configured stake token.
    error ProviderRegistryUnsupportedAsset(address asset);
    /// @notice Thrown when free (or locked) stake is smaller than the amount asked for.
    error ProviderRegistryInsufficientStake(uint256 available, uint256 required);
    /// @notice Thrown when a withdrawal is attempted before any pending request has matured; `readyAt`
    ///         is when the earliest one matures.
    error ProviderRegistryUnbonding(uint64 readyAt);
    /// @notice Thrown when nothing is unbonding (or, for the treasury, nothing has accrued).
    error ProviderRegistryNothingToWithdraw();
    /// @notice Thrown when a provider already has `max` withdrawal requests pending in an asset.
    error ProviderRegistryTooManyPendingWithdrawals(uint256 max);
    /// @notice Thrown when a configured share in basis points is above 10,000.
    error ProviderRegistryInvalidBps(uint256 bps);
    /// @notice Thrown when the unbonding delay is outside its allowed range.
    error ProviderRegistryInvalidUnbondingDelay(uint64 delay, uint64 max);
    /// @notice Thrown when ETH is sent to a token path or a token amount does not arrive in full.
    error ProviderRegistryWrongValue(uint256 sent, uint256 expected);
    /// @notice Thrown when an amount does not fit the 128-bit stake accounting.
    error ProviderRegistryAmountTooLarge(uint256 amount);

    /// @notice Emitted when a provider registers.
    event ProviderRegistered(
        address indexed provider, uint8 teeTypes, uint16 hardwareClass, bytes32 metadataHash, bytes32 endpointHash
    );
    /// @notice Emitted when a provider changes its profile.
    event ProviderProfileUpdated(
        address indexed provider, uint8 teeTypes, uint16 hardwareClass, bytes32 metadataHash, bytes32 endpointHash
    );
    /// @notice Emitted when stake is deposited.
    event StakeDeposited(address indexed provider, address indexed asset, uint256 amount);
    /// @notice Emitted when free stake enters unbonding as withdrawal request `requestId`.
    event UnbondingStarted(
        address indexed provider, address indexed asset, uint64 indexed requestId, uint256 amount, uint64 readyAt
    );
    /// @notice Emitted when matured withdrawal requests are paid out (`amount` is their sum).
    event StakeWithdrawn(address indexed provider, address indexed asset, uint256 amount);
    /// @notice Emitted when the market locks collateral.
    event StakeLocked(address indexed provider, address indexed asset, uint256 amount);
    /// @notice Emitted when the market releases collateral.
    event StakeUnlocked(address indexed provider, address indexed asset, uint256 amount);
    /// @notice Emitted when the market slashes locked collateral.
    event StakeSlashed(address indexed provider, address indexed asset, uint256 amount, uint256 toBuyer, uint256 toTreasury);
    /// @notice Emitted when accrued treasury funds are paid out.
    event TreasuryWithdrawn(address indexed treasury, address indexed asset, uint256 amount);
    /// @notice Emitted when the market address is set (once).
    event MarketSet(address indexed market);
    /// @notice Emitted when the treasury address changes.
    event TreasurySet(address indexed treasury);
    /// @notice Emitted when the unbonding delay changes.
    event UnbondingDelaySet(uint64 delay);

    /// @notice Registers the caller as a provider.
    /// @dev Emits a {ProviderRegistered} event.
    /// @param profile The provider's profile; `teeTypes` must be a valid non-empty set.
    function register(Profile calldata profile) external;

    /// @notice Replaces the caller's profile.
    /// @dev Emits a {ProviderProfileUpdated} event.
    /// @param profile The new profile.
    function updateProfile(Profile calldata profile) external;

    /// @notice Deposits native ETH as free stake.
    /// @dev Emits a {StakeDeposited} event.
    function depositEth() external payable;

    /// @notice Deposits the configured ERC-20 as free stake (needs a prior approval).
    /// @dev Emits a {StakeDeposited} event.
    /// @param amount Token amount.
    function depositToken(uint256 amount) external;

    /// @notice Deposits the configured ERC-20 using an EIP-2612 permit instead of an approval.
    /// @dev A permit that was already used (e.g. front-run) is tolerated when the allowance suffices.
    ///      Emits a {StakeDeposited} event.
    /// @param amount Token amount.
    /// @param deadline Permit deadline.
    /// @param v Permit signature v.
    /// @param r Permit signature r.
    /// @param s Permit signature s.
    function depositTokenWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice Moves free stake into unbonding as a new withdrawal request, which matures at the current
    ///         time plus the current unbonding delay. Each request keeps its own clock: a new request
    ///         never delays the ones already pending.
    /// @dev At most `MAX_PENDING_WITHDRAWALS` requests per provider and asset can be pending (reverts
    ///      `ProviderRegistryTooManyPendingWithdrawals`), which bounds the work of {withdraw}. Emits an
    ///      {UnbondingStarted} event.
    /// @param asset `address(0)` for ETH or the stake token.
    /// @param amount Amount to unbond.
    /// @return requestId The request's id (sequential per provider and asset, from 0).
    function requestWithdrawal(address asset, uint256 amount) external returns (uint64 requestId);

    /// @notice Pays the caller every one of its matured withdrawal requests in `asset` (`readyAt` ≤ now),
    ///         whatever their order: a request made under a shorter delay can mature before an earlier
    ///         one. Requests not yet matured stay pending, in request order.
    /// @dev Reverts `ProviderRegistryNothingToWithdraw` when no request is pending and
    ///      `ProviderRegistryUnbonding(readyAt)` with the earliest `readyAt` when none has matured.
    ///      Emits a {StakeWithdrawn} event.
    /// @param asset `address(0)` for ETH or the stake token.
    /// @return amount The amount paid.
    function withdraw(address asset) external returns (uint256 amount);

    /// @notice Locks free stake as collateral for a job. Market only.
    /// @dev Emits a {StakeLocked} event.
    function lockCollateral(address provider, address asset, uint256 amount) external;

    /// @notice Returns locked collateral to free stake. Market only.
    /// @dev Emits a {StakeUnlocked} event.
    function unlockCollateral(address provider, address asset, uint256 amount) external;

    /// @notice Slashes locked collateral. Market only. The buyer's share, the share pinned in the
    ///         job's config and rounded up (never zero for a non-zero share of a non-zero amount),
    ///         is sent to the market; the rest accrues to the treasury.
    /// @dev Emits a {StakeSlashed} event.
    /// @param buyerShareBps The buyer's share in basis points (at most 10,000).
    /// @return toBuyer The part of `amount` sent to the market for the harmed buyer.
    function slash(address provider, address asset, uint256 amount, uint16 buyerShareBps)
        external
        returns (uint256 toBuyer);

    /// @notice Pays everything the treasury has accrued in `asset` to the treasury address.
    /// @dev Callable by anyone. Emits a {TreasuryWithdrawn} event.
    function withdrawTreasury(address asset) external;

    /// @notice Sets the market, once. Owner only.
    /// @dev Emits a {MarketSet} event.
    function setMarket(address market) external;

    /// @notice Sets the treasury address. Owner only.
    /// @dev Emits a {TreasurySet} event.
    function setTreasury(address treasury) external;

    /// @notice Sets the unbonding delay for future requests. Owner only.
    /// @dev Emits an {UnbondingDelaySet} event.
    function setUnbondingDelay(uint64 delay) external;

    /// @notice The ERC-20 accepted as stake besides ETH (`address(0)` when none).
    function stakeToken() external view returns (address);

    /// @notice The market allowed to lock, unlock and slash.
    function market() external view returns (address);

    /// @notice The address that receives the treasury's share of slashed stake.
    function treasury() external view returns (address);

    /// @notice Delay between a withdrawal request and the withdrawal.
    function unbondingDelay() external view returns (uint64);

    /// @notice Treasury funds accrued and not yet paid out, per asset.
    function treasuryAccrued(address asset) external view returns (uint256);

    /// @notice True when `provider` has registered.
    function isRegistered(address provider) external view returns (bool);

    /// @notice The provider's profile.
    function profileOf(address provider) external view returns (Profile memory);

    /// @notice The provider's supported TEE types (0 when not registered).
    function teeTypesOf(address provider) external view returns (uint8);

    /// @notice The provider's stake in `asset`.
    function stakeOf(address provider, address asset) external view returns (Stake memory);

    /// @notice The provider's pending withdrawal requests in `asset`, in request order (at most
    ///         `MAX_PENDING_WITHDRAWALS`), matured or not.
    function pendingWithdrawals(address provider, address asset) external view returns (UnbondingRequest[] memory);
}
