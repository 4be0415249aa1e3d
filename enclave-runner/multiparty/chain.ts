// The job every role works on (chain, coordinator, terms, spec, blob store) and the coordinator
// reads and writes they share. All chain access goes through the viem clients the caller passes.
import {
  type Account,
  type Address,
  bytesToHex,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  erc20Abi,
  type Hex,
  hexToBytes,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import type { BlobStore } from "../../sdk/blobs/blobStore.ts";
import { multiPartyCoordinatorAbi } from "../../sdk/generated/abis.ts";
import {
  checkMultiPartySpec,
  type MultiPartySpec,
  MultiPartySpecError,
  maskIndices,
} from "../../sdk/multiParty.ts";
import type { JobTerms } from "../../sdk/types.ts";
import { MultiPartyFlowError } from "./errors.ts";

/** A wallet client with its account attached (a party's, the provider's or a member's). */
export type MultiPartyWallet = WalletClient<Transport, Chain, Account>;

/**
 * One multi-party job as every role sees it: where its records live, its terms and spec, and the
 * blob store the ciphertexts travel through.
 */
export type MultiPartyContext = {
  /** Reads the coordinator and waits for receipts. */
  publicClient: PublicClient;
  /** The `MultiPartyCoordinator` the job's market uses. */
  coordinator: Address;
  jobId: bigint;
  /** The job's on-chain terms (`parties`, `threshold`, `committeeSize`, `committeeHash`). */
  terms: JobTerms;
  /** The spec `terms.committeeHash` commits to. */
  spec: MultiPartySpec;
  /** Where dealer output, updates, the aggregate and shares are stored (content-addressed). */
  blobs: BlobStore;
  /**
   * Accept Paillier keys of this many bits below 2048. INSECURE: tests only. Readers refuse small
   * keys without it, whatever a blob claims.
   */
  insecureTestKeyBits?: number | undefined;
};

/** What the coordinator has recorded for a job. */
export type MultiPartyRecords = {
  /** Parties that recorded an update, ascending. */
  updaters: number[];
  updateMask: bigint;
  /** Members that recorded a share, ascending. */
  sharers: number[];
  shareMask: bigint;
  /** The recorded aggregate hash, or undefined when none was recorded. */
  aggregateHash: Hex | undefined;
};

/** The indices whose bit is set in `mask`, ascending (`maskIndices` of the SDK). */
export function indicesOfMask(mask: bigint): number[] {
  return maskIndices(mask);
}

/** Checks the spec against the terms (the coordinator's own rules): throws `BadJob` otherwise. */
export function checkJob(context: Pick<MultiPartyContext, "terms" | "spec">): void {
  try {
    checkMultiPartySpec({ spec: context.spec, terms: context.terms });
  } catch (cause) {
    if (!(cause instanceof MultiPartySpecError)) throw cause;
    throw new MultiPartyFlowError("BadJob", `the job's multi-party spec is invalid: ${cause.shortMessage}`, {
      cause,
    });
  }
  if (context.terms.parties < 2) throw new MultiPartyFlowError("BadJob", "the job is not multi-party");
}

/** Throws `NotYourRole` unless `wallet` is `expected` (the spec's account for the role). */
export function requireAccount(wallet: MultiPartyWallet, expected: Address | undefined, role: string): void {
  if (expected === undefined || wallet.account.address.toLowerCase() !== expected.toLowerCase()) {
    throw new MultiPartyFlowError("NotYourRole", `${role} is ${expected ?? "not in the spec"}`, {
      details: `the wallet's account is ${wallet.account.address}`,
    });
  }
}

/** The records of the job (`recordsOf` and `aggregateHashOf`). */
export async function readRecords(context: MultiPartyContext): Promise<MultiPartyRecords> {
  const { publicClient, coordinator: address, jobId } = context;
  const [[, updateMask, , shareMask], aggregateHash] = await Promise.all([
    publicClient.readContract({
      address,
      abi: multiPartyCoordinatorAbi,
      functionName: "recordsOf",
      args: [jobId],
    }),
    publicClient.readContract({
      address,
      abi: multiPartyCoordinatorAbi,
      functionName: "aggregateHashOf",
      args: [jobId],
    }),
  ]);
  return {
    updaters: indicesOfMask(updateMask),
    updateMask,
    sharers: indicesOfMask(shareMask),
    shareMask,
    aggregateHash: BigInt(aggregateHash) === 0n ? undefined : aggregateHash,
  };
}

/** The update hash party `partyIndex` recorded (zero hash when none). */
export function readUpdateHash(context: MultiPartyContext, partyIndex: number): Promise<Hex> {
  return context.publicClient.readContract({
    address: context.coordinator,
    abi: multiPartyCoordinatorAbi,
    functionName: "updateHashOf",
    args: [context.jobId, BigInt(partyIndex)],
  });
}

/** The share hash member `memberIndex` recorded (zero hash when none). */
export function readShareHash(context: MultiPartyContext, memberIndex: number): Promise<Hex> {
  return context.publicClient.readContract({
    address: context.coordinator,
    abi: multiPartyCoordinatorAbi,
    functionName: "shareHashOf",
    args: [context.jobId, BigInt(memberIndex)],
  });
}

/** The recorded aggregate hash; throws `NotRecorded` when there is none. */
export async function requireAggregateHash(context: MultiPartyContext): Promise<Hex> {
  const hash = (await readRecords(context)).aggregateHash;
  if (hash === undefined) {
    throw new MultiPartyFlowError("NotRecorded", `job ${context.jobId} has no recorded aggregate`, {
      details: "committee members decrypt only the aggregate recorded on-chain",
    });
  }
  return hash;
}

/** Waits for a record transaction; throws `TransactionReverted` if it reverted. */
export async function confirmRecord(
  context: MultiPartyContext,
  hash: Promise<Hex>,
  what: string,
): Promise<TransactionReceipt> {
  const receipt = await context.publicClient.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== "success") {
    throw new MultiPartyFlowError("TransactionReverted", `${what} reverted`, {
      details: `transaction ${receipt.transactionHash}`,
    });
  }
  return receipt;
}

type CoordinatorWrite = ContractFunctionName<typeof multiPartyCoordinatorAbi, "nonpayable" | "payable">;
/** A coordinator write's arguments after the (jobId, terms, spec) every one of them starts with. */
type ArgsAfterJob<F extends CoordinatorWrite> =
  ContractFunctionArgs<typeof multiPartyCoordinatorAbi, "nonpayable" | "payable", F> extends readonly [
    unknown,
    unknown,
    unknown,
    ...infer Rest,
  ]
    ? Rest
    : never;

/** Sends `functionName(jobId, terms, spec, ...rest)` to the job's coordinator and waits for it. */
function writeJobCall<F extends CoordinatorWrite>(
  context: MultiPartyContext,
  wallet: MultiPartyWallet,
  functionName: F,
  rest: ArgsAfterJob<F>,
  what: string,
  value = 0n,
): Promise<TransactionReceipt> {
  const { coordinator: address, jobId, terms, spec } = context;
  // viem cannot infer the args of a generic function name; the signature above keeps callers typed.
  const request = {
    address,
    abi: multiPartyCoordinatorAbi,
    functionName,
    args: [jobId, terms, spec, ...rest],
    value,
  };
  return confirmRecord(context, wallet.writeContract(request as never), what);
}

/** `recordUpdate(jobId, terms, spec, partyIndex, updateHash)` from the party's wallet. */
export function recordUpdate(
  context: MultiPartyContext,
  wallet: MultiPartyWallet,
  partyIndex: number,
  updateHash: Hex,
): Promise<TransactionReceipt> {
  return writeJobCall(
    context,
    wallet,
    "recordUpdate",
    [BigInt(partyIndex), updateHash],
    `recordUpdate of party ${partyIndex}`,
  );
}

/**
 * `recordAggregate(jobId, terms, spec, aggregateHash, includedMask, enclaveSignature)` from the
 * provider's wallet; the signature is the enclave's `signMultiPartyAggregate`.
 */
export function recordAggregate(
  context: MultiPartyContext,
  wallet: MultiPartyWallet,
  aggregateHash: Hex,
  includedMask: bigint,
  enclaveSignature: Hex,
): Promise<TransactionReceipt> {
  return writeJobCall(
    context,
    wallet,
    "recordAggregate",
    [aggregateHash, includedMask, enclaveSignature],
    "recordAggregate",
  );
}

/** `recordShare(jobId, terms, spec, memberIndex, shareHash)` from the member's wallet. */
export function recordShare(
  context: MultiPartyContext,
  wallet: MultiPartyWallet,
  memberIndex: number,
  shareHash: Hex,
): Promise<TransactionReceipt> {
  return writeJobCall(
    context,
    wallet,
    "recordShare",
    [BigInt(memberIndex), shareHash],
    `recordShare of member ${memberIndex}`,
  );
}

/** `publishShare(jobId, terms, spec, memberIndex, share)` from the member's wallet (bonded jobs). */
export function publishShare(
  context: MultiPartyContext,
  wallet: MultiPartyWallet,
  memberIndex: number,
  share: Uint8Array,
): Promise<TransactionReceipt> {
  return writeJobCall(
    context,
    wallet,
    "publishShare",
    [BigInt(memberIndex), bytesToHex(share)],
    `publishShare of member ${memberIndex}`,
  );
}

/**
 * The share bytes members published on-chain (`SharePublished` events), by member index: what the
 * combiner falls back to when a share blob is unavailable or not the recorded one.
 */
export async function readPublishedShares(context: MultiPartyContext): Promise<Map<number, Uint8Array>> {
  const logs = await context.publicClient.getContractEvents({
    address: context.coordinator,
    abi: multiPartyCoordinatorAbi,
    eventName: "SharePublished",
    args: { jobId: context.jobId },
    fromBlock: 0n,
  });
  const out = new Map<number, Uint8Array>();
  for (const log of logs) {
    const { memberIndex, share } = log.args;
    if (memberIndex !== undefined && share !== undefined) out.set(Number(memberIndex), hexToBytes(share));
  }
  return out;
}

/** The committee's bonds and faults (`bondsOf`). */
export type MultiPartyBonds = { bondedMask: bigint; faultyMask: bigint; settled: boolean };

/** Reads `bondsOf(jobId)`. */
export async function readBonds(context: MultiPartyContext): Promise<MultiPartyBonds> {
  const [bondedMask, faultyMask, settled] = await context.publicClient.readContract({
    address: context.coordinator,
    abi: multiPartyCoordinatorAbi,
    functionName: "bondsOf",
    args: [context.jobId],
  });
  return { bondedMask, faultyMask, settled };
}

/**
 * Deposits member `memberIndex`'s bond (`spec.memberBond` in the job's asset): ETH as value, or the
 * stake token after approving the coordinator for exactly the bond.
 */
export async function depositBond(
  context: MultiPartyContext,
  wallet: MultiPartyWallet,
  memberIndex: number,
): Promise<TransactionReceipt> {
  const { coordinator: address, terms, spec } = context;
  const eth = BigInt(terms.asset) === 0n;
  if (!eth) {
    await confirmRecord(
      context,
      wallet.writeContract({
        address: terms.asset,
        abi: erc20Abi,
        functionName: "approve",
        args: [address, spec.memberBond],
      }),
      `approval of member ${memberIndex}'s bond`,
    );
  }
  return writeJobCall(
    context,
    wallet,
    "depositBond",
    [BigInt(memberIndex)],
    `depositBond of member ${memberIndex}`,
    eth ? spec.memberBond : 0n,
  );
}

/** `reportMissingShares(jobId, terms, spec)`: after the share window, when fewer than t shares were recorded. */
export function reportMissingShares(
  context: MultiPartyContext,
  wallet: MultiPartyWallet,
): Promise<TransactionReceipt> {
  return writeJobCall(context, wallet, "reportMissingShares", [], "reportMissingShares");
}

/** The combiner's signed finding that some recorded shares fail their proofs (settle.ts). */
export type BadSharesStatement = {
  badMembers: bigint;
  /** `CommitteeBadShares` in the coordinator's domain, binding the judged share hashes. */
  committeeSignature: Hex;
  /** `JobFailure(CommitteeBadShares)` in the market's domain. */
  failureSignature: Hex;
};

/** `reportBadShares(…)`: records the faults and relays the failure to the market in one transaction. */
export function reportBadShares(
  context: MultiPartyContext,
  wallet: MultiPartyWallet,
  statement: BadSharesStatement,
): Promise<TransactionReceipt> {
  return writeJobCall(
    context,
    wallet,
    "reportBadShares",
    [statement.badMembers, statement.committeeSignature, statement.failureSignature],
    "reportBadShares",
  );
}

/** `settleBonds(jobId, terms, spec)`, once the job is final. */
export function settleBonds(
  context: MultiPartyContext,
  wallet: MultiPartyWallet,
): Promise<TransactionReceipt> {
  return writeJobCall(context, wallet, "settleBonds", [], "settleBonds");
}
