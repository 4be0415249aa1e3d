// Governance of a production deployment: OpenZeppelin's TimelockController (Contracts 5) owns every
// governed contract, so each governance action is public for the timelock's delay before it runs
// (a provider can watch `CallScheduled` for a revocation that would touch its jobs).
import { type Address, encodeFunctionData, type Hex, keccak256, parseAbi, toBytes, zeroHash } from "viem";

/**
 * The ABI of OpenZeppelin Contracts 5's `TimelockController` (the deployed bytecode is the one
 * `@openzeppelin/contracts/build/contracts/TimelockController.json` ships; a test compares the two ABIs).
 */
export const timelockControllerAbi = parseAbi([
  "constructor(uint256 minDelay, address[] proposers, address[] executors, address admin)",
  "error AccessControlBadConfirmation()",
  "error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
  "error FailedCall()",
  "error TimelockInsufficientDelay(uint256 delay, uint256 minDelay)",
  "error TimelockInvalidOperationLength(uint256 targets, uint256 payloads, uint256 values)",
  "error TimelockUnauthorizedCaller(address caller)",
  "error TimelockUnexecutedPredecessor(bytes32 predecessorId)",
  "error TimelockUnexpectedOperationState(bytes32 operationId, bytes32 expectedStates)",
  "event CallExecuted(bytes32 indexed id, uint256 indexed index, address target, uint256 value, bytes data)",
  "event CallSalt(bytes32 indexed id, bytes32 salt)",
  "event CallScheduled(bytes32 indexed id, uint256 indexed index, address target, uint256 value, bytes data, bytes32 predecessor, uint256 delay)",
  "event Cancelled(bytes32 indexed id)",
  "event MinDelayChange(uint256 oldDuration, uint256 newDuration)",
  "event RoleAdminChanged(bytes32 indexed role, bytes32 indexed previousAdminRole, bytes32 indexed newAdminRole)",
  "event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)",
  "event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)",
  "function CANCELLER_ROLE() view returns (bytes32)",
  "function DEFAULT_ADMIN_ROLE() view returns (bytes32)",
  "function EXECUTOR_ROLE() view returns (bytes32)",
  "function PROPOSER_ROLE() view returns (bytes32)",
  "function cancel(bytes32 id)",
  "function execute(address target, uint256 value, bytes payload, bytes32 predecessor, bytes32 salt) payable",
  "function executeBatch(address[] targets, uint256[] values, bytes[] payloads, bytes32 predecessor, bytes32 salt) payable",
  "function getMinDelay() view returns (uint256)",
  "function getOperationState(bytes32 id) view returns (uint8)",
  "function getRoleAdmin(bytes32 role) view returns (bytes32)",
  "function getTimestamp(bytes32 id) view returns (uint256)",
  "function grantRole(bytes32 role, address account)",
  "function hasRole(bytes32 role, address account) view returns (bool)",
  "function hashOperation(address target, uint256 value, bytes data, bytes32 predecessor, bytes32 salt) pure returns (bytes32)",
  "function hashOperationBatch(address[] targets, uint256[] values, bytes[] payloads, bytes32 predecessor, bytes32 salt) pure returns (bytes32)",
  "function isOperation(bytes32 id) view returns (bool)",
  "function isOperationDone(bytes32 id) view returns (bool)",
  "function isOperationPending(bytes32 id) view returns (bool)",
  "function isOperationReady(bytes32 id) view returns (bool)",
  "function onERC1155BatchReceived(address, address, uint256[], uint256[], bytes) returns (bytes4)",
  "function onERC1155Received(address, address, uint256, uint256, bytes) returns (bytes4)",
  "function onERC721Received(address, address, uint256, bytes) returns (bytes4)",
  "function renounceRole(bytes32 role, address callerConfirmation)",
  "function revokeRole(bytes32 role, address account)",
  "function schedule(address target, uint256 value, bytes data, bytes32 predecessor, bytes32 salt, uint256 delay)",
  "function scheduleBatch(address[] targets, uint256[] values, bytes[] payloads, bytes32 predecessor, bytes32 salt, uint256 delay)",
  "function supportsInterface(bytes4 interfaceId) view returns (bool)",
  "function updateDelay(uint256 newDelay)",
  "receive() external payable",
]);

/** The timelock's roles (`keccak256` of their names, as in TimelockController). */
export const TimelockRole = {
  /** Schedules operations (production: the governance account). */
  Proposer: keccak256(toBytes("PROPOSER_ROLE")),
  /** Cancels scheduled operations (given to every proposer). */
  Canceller: keccak256(toBytes("CANCELLER_ROLE")),
  /** Executes ready operations; held by the zero address, it is open to anyone. */
  Executor: keccak256(toBytes("EXECUTOR_ROLE")),
  /** Administers the roles; held by the timelock itself, so role changes wait out the delay too. */
  Admin: zeroHash,
} as const;

/** `TimelockController.getOperationState`. */
export const OperationState = { Unset: 0, Waiting: 1, Ready: 2, Done: 3 } as const;
/** An operation state number. */
export type OperationState = (typeof OperationState)[keyof typeof OperationState];

/** A timelock batch: the arguments of `scheduleBatch` (with the delay) and `executeBatch`. */
export type TimelockBatch = {
  targets: readonly Address[];
  values: readonly bigint[];
  payloads: readonly Hex[];
  predecessor: Hex;
  salt: Hex;
};

/** Salt of the batch in which a production deployment's timelock takes ownership (BlindTraining module). */
export const OWNERSHIP_HANDOVER_SALT: Hex = keccak256(toBytes("BlindTraining ownership handover v1"));

/** Parameters of {@link ownershipHandoverBatch}. */
export type OwnershipHandoverBatchParameters = {
  /** The Ownable2Step contracts handed to the timelock, in the module's order. */
  owned: readonly Address[];
  /** The timelock. */
  timelock: Address;
  /** The account that becomes the timelock's proposer and canceller. */
  governance: Address;
};

/**
 * The batch the BlindTraining module schedules on the timelock (docs in README, "Deploy to any EVM
 * chain"): `acceptOwnership()` on each governed contract, then the timelock grants the proposer and
 * canceller roles to `governance`. Until it runs, nobody can schedule anything else on the timelock.
 *
 * @example
 * const batch = ownershipHandoverBatch({ owned: [jobMarket, providerRegistry], timelock, governance });
 */
export function ownershipHandoverBatch(p: OwnershipHandoverBatchParameters): TimelockBatch {
  const accept = encodeFunctionData({ abi: acceptOwnershipAbi, functionName: "acceptOwnership" });
  const grant = (role: Hex) =>
    encodeFunctionData({ abi: timelockControllerAbi, functionName: "grantRole", args: [role, p.governance] });
  const targets = [...p.owned, p.timelock, p.timelock];
  return {
    targets,
    values: targets.map(() => 0n),
    payloads: [...p.owned.map(() => accept), grant(TimelockRole.Proposer), grant(TimelockRole.Canceller)],
    predecessor: zeroHash,
    salt: OWNERSHIP_HANDOVER_SALT,
  };
}

const acceptOwnershipAbi = parseAbi(["function acceptOwnership()"]);
