// Governance of a production deployment through its OpenZeppelin TimelockController: the proposer
// schedules a batch of calls, anyone executes it once the delay has passed. Also the ownership
// handover the BlindTraining module schedules at deployment (found, checked and executed here).
import {
  type Address,
  decodeFunctionData,
  encodeAbiParameters,
  getAddress,
  type Hex,
  keccak256,
  type PublicClient,
  parseAbi,
  type TransactionReceipt,
  zeroHash,
} from "viem";
import {
  BaseError,
  type Deployment,
  OperationState,
  ownershipHandoverBatch,
  type TimelockBatch,
  TimelockRole,
  timelockControllerAbi,
} from "../../sdk/index.ts";
import { confirm, type Wallet } from "../lib/market.ts";

/** A governance step that cannot be taken (not scheduled, not ready, wrong deployment…). */
export class GovernanceError extends BaseError {
  override name = "GovernanceError";
}

/** One call of a timelock batch: `data` is the calldata for `to` (e.g. from viem's `encodeFunctionData`). */
export type TimelockCall = { to: Address; data: Hex; value?: bigint | undefined };

/**
 * A batch of `calls` without predecessor: the salt tells apart two batches of the same calls.
 *
 * @example
 * const batch = timelockBatch([{ to: enclaveRegistry, data }], keccak256(toBytes("revoke m1")));
 */
export function timelockBatch(calls: readonly TimelockCall[], salt: Hex): TimelockBatch {
  return {
    targets: calls.map((c) => c.to),
    values: calls.map((c) => c.value ?? 0n),
    payloads: calls.map((c) => c.data),
    predecessor: zeroHash,
    salt,
  };
}

/** The batch's operation id, as `TimelockController.hashOperationBatch` computes it. */
export function operationId(batch: TimelockBatch): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "address[]" },
        { type: "uint256[]" },
        { type: "bytes[]" },
        { type: "bytes32" },
        { type: "bytes32" },
      ],
      [batch.targets, batch.values, batch.payloads, batch.predecessor, batch.salt],
    ),
  );
}

/** State of one operation: whether it is waiting, ready or done, and from when it can run. */
export type OperationStatus = { id: Hex; state: OperationState; readyAt: bigint };

/** Reads an operation's state and ready time (`readyAt` is 0 when unset, 1 when done). */
export async function operationStatus(
  publicClient: PublicClient,
  timelock: Address,
  id: Hex,
): Promise<OperationStatus> {
  const read = { address: timelock, abi: timelockControllerAbi } as const;
  const [state, readyAt] = await Promise.all([
    publicClient.readContract({ ...read, functionName: "getOperationState", args: [id] }),
    publicClient.readContract({ ...read, functionName: "getTimestamp", args: [id] }),
  ]);
  return { id, state: state as OperationState, readyAt };
}

/**
 * Schedules `batch` from `proposer` (which needs the proposer role) with `delay` (default the
 * timelock's minimum) and returns its id and ready time.
 *
 * @example
 * const { id, readyAt } = await scheduleTimelockBatch(publicClient, governance, timelock, batch);
 */
export async function scheduleTimelockBatch(
  publicClient: PublicClient,
  proposer: Wallet,
  timelock: Address,
  batch: TimelockBatch,
  delay?: bigint,
): Promise<OperationStatus> {
  const read = { address: timelock, abi: timelockControllerAbi } as const;
  const wait = delay ?? (await publicClient.readContract({ ...read, functionName: "getMinDelay" }));
  await confirm(
    publicClient,
    proposer.writeContract({
      ...read,
      functionName: "scheduleBatch",
      args: [batch.targets, batch.values, batch.payloads, batch.predecessor, batch.salt, wait],
      account: proposer.account,
    }),
  );
  return operationStatus(publicClient, timelock, operationId(batch));
}

/**
 * Executes a scheduled `batch` from `executor` (anyone: executors are open) once it is ready.
 *
 * @throws {GovernanceError} When the batch is not scheduled, still waiting, or already executed.
 */
export async function executeTimelockBatch(
  publicClient: PublicClient,
  executor: Wallet,
  timelock: Address,
  batch: TimelockBatch,
): Promise<TransactionReceipt> {
  const status = await operationStatus(publicClient, timelock, operationId(batch));
  if (status.state !== OperationState.Ready) throw notReady(status);
  return confirm(
    publicClient,
    executor.writeContract({
      address: timelock,
      abi: timelockControllerAbi,
      functionName: "executeBatch",
      args: [batch.targets, batch.values, batch.payloads, batch.predecessor, batch.salt],
      account: executor.account,
      value: batch.values.reduce((a, b) => a + b, 0n),
    }),
  );
}

function notReady(s: OperationStatus): GovernanceError {
  if (s.state === OperationState.Unset) return new GovernanceError(`operation ${s.id} is not scheduled`);
  if (s.state === OperationState.Done) return new GovernanceError(`operation ${s.id} was already executed`);
  return new GovernanceError(`operation ${s.id} is not ready yet`, {
    details: `ready at ${new Date(Number(s.readyAt) * 1000).toISOString()} (chain time)`,
  });
}

// ----- the ownership handover of a production deployment -----

const ownableAbi = parseAbi([
  "function owner() view returns (address)",
  "function pendingOwner() view returns (address)",
]);

/** A governed contract of a deployment and who owns it. */
export type GovernedContract = { name: string; address: Address; owner: Address; pendingOwner: Address };

/** The Ownable2Step contracts the BlindTraining module hands to the timelock, in its order. */
export function governedAddresses(d: Deployment): { name: string; address: Address }[] {
  const entries = [
    ["JobMarket", d.jobMarket],
    ["ProviderRegistry", d.providerRegistry],
    ["EnclaveRegistry", d.enclaveRegistry],
    ["IntelQuoteVerifier", d.intelQuoteVerifier],
    ["AttestationStatementVerifier", d.statementVerifier],
  ] as const;
  return entries.map(([name, address]) => {
    if (!address) throw new GovernanceError(`the deployment has no ${name} address`);
    return { name, address: getAddress(address) };
  });
}

/** Owner and pending owner of each governed contract of `d`. */
export async function governedContracts(
  publicClient: PublicClient,
  d: Deployment,
): Promise<GovernedContract[]> {
  return Promise.all(
    governedAddresses(d).map(async (c) => {
      const read = { address: c.address, abi: ownableAbi } as const;
      const [owner, pendingOwner] = await Promise.all([
        publicClient.readContract({ ...read, functionName: "owner" }),
        publicClient.readContract({ ...read, functionName: "pendingOwner" }),
      ]);
      return { ...c, owner, pendingOwner };
    }),
  );
}

/** The handover batch of a deployment, its state, and the ownership of each governed contract. */
export type OwnershipHandover = OperationStatus & {
  timelock: Address;
  /** The account the batch makes the timelock's proposer and canceller. */
  governance: Address;
  batch: TimelockBatch;
  contracts: GovernedContract[];
};

/** Options of {@link findOwnershipHandover}. */
export type FindOwnershipHandoverOptions = {
  /** The governance account, when known: the batch is then rebuilt without reading logs. */
  governance?: Address | undefined;
  /** Blocks before `deployment.deployBlock` searched for the `CallScheduled` events (default 1000). */
  lookback?: bigint | undefined;
};

/**
 * Finds the ownership handover the BlindTraining module scheduled on `deployment.timelock`: rebuilt
 * from the deployment's addresses and the governance account (given, or read from the batch's
 * `CallScheduled` events up to `deployBlock`), so only that exact batch is ever recognised.
 *
 * @throws {GovernanceError} When the deployment has no timelock or no such batch was scheduled.
 * @example
 * const handover = await findOwnershipHandover(publicClient, readDeployment(chainId));
 */
export async function findOwnershipHandover(
  publicClient: PublicClient,
  deployment: Deployment,
  options: FindOwnershipHandoverOptions = {},
): Promise<OwnershipHandover> {
  const timelock = deployment.timelock;
  if (!timelock) throw new GovernanceError("the deployment has no timelock (not a BlindTraining deployment)");
  const owned = governedAddresses(deployment).map((c) => c.address);
  const governance =
    options.governance ?? (await scheduledGovernance(publicClient, deployment, timelock, options));
  const batch = ownershipHandoverBatch({ owned, timelock, governance });
  const status = await operationStatus(publicClient, timelock, operationId(batch));
  if (status.state === OperationState.Unset)
    throw new GovernanceError(`no ownership handover to ${governance} is scheduled on timelock ${timelock}`);
  return {
    ...status,
    timelock: getAddress(timelock),
    governance: getAddress(governance),
    batch,
    contracts: await governedContracts(publicClient, deployment),
  };
}

/** The governance account named by the handover batch's last call, `grantRole(CANCELLER_ROLE, governance)`. */
async function scheduledGovernance(
  publicClient: PublicClient,
  deployment: Deployment,
  timelock: Address,
  options: FindOwnershipHandoverOptions,
): Promise<Address> {
  const toBlock = BigInt(deployment.deployBlock);
  const lookback = options.lookback ?? 1000n;
  const fromBlock = toBlock > lookback ? toBlock - lookback : 0n;
  const events = await publicClient.getContractEvents({
    address: timelock,
    abi: timelockControllerAbi,
    eventName: "CallScheduled",
    fromBlock,
    toBlock,
  });
  const owned = governedAddresses(deployment).map((c) => c.address);
  for (const e of events) {
    const { id, index, target, data } = e.args;
    if (id === undefined || index !== BigInt(owned.length + 1) || !target || !data) continue;
    if (getAddress(target) !== getAddress(timelock)) continue;
    let call: ReturnType<typeof decodeGrant>;
    try {
      call = decodeGrant(data);
    } catch {
      continue;
    }
    if (call.role !== TimelockRole.Canceller) continue;
    if (operationId(ownershipHandoverBatch({ owned, timelock, governance: call.account })) === id)
      return call.account;
  }
  throw new GovernanceError(`no ownership handover found on timelock ${timelock}`, {
    details: `searched blocks ${fromBlock}..${toBlock}; pass the governance address, or a larger lookback`,
  });
}

function decodeGrant(data: Hex): { role: Hex; account: Address } {
  const call = decodeFunctionData({ abi: timelockControllerAbi, data });
  if (call.functionName !== "grantRole") throw new Error("not grantRole");
  const [role, account] = call.args;
  return { role, account };
}

/**
 * Executes the ownership handover from `executor` (anyone) once ready, then checks that the
 * timelock owns every governed contract.
 *
 * @throws {GovernanceError} When it is not ready, a contract's pending owner is not the timelock
 *         (the batch would revert), or the ownership did not move.
 */
export async function executeOwnershipHandover(
  publicClient: PublicClient,
  executor: Wallet,
  deployment: Deployment,
  handover: OwnershipHandover,
): Promise<TransactionReceipt> {
  for (const c of handover.contracts) {
    if (c.owner !== handover.timelock && c.pendingOwner !== handover.timelock)
      throw new GovernanceError(`${c.name} cannot be accepted: its pending owner is ${c.pendingOwner}`, {
        details: `the owner ${c.owner} must call transferOwnership(${handover.timelock}) again`,
      });
  }
  const receipt = await executeTimelockBatch(publicClient, executor, handover.timelock, handover.batch);
  for (const c of await governedContracts(publicClient, deployment)) {
    if (c.owner !== handover.timelock) throw new GovernanceError(`${c.name} is still owned by ${c.owner}`);
  }
  return receipt;
}
