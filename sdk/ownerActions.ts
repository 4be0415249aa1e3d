import type { Address, Hex, LocalAccount } from "viem";

/** EIP-712 domain of owner-key actions on a JobMarket. */
export function jobMarketDomain(chainId: number, jobMarket: Address) {
  return { name: "BlindTraining JobMarket", version: "1", chainId, verifyingContract: jobMarket } as const;
}

/** EIP-712 types of owner-key actions, as in `JobMarket.CANCEL_JOB_TYPEHASH` and `EXTEND_DELIVERY_TYPEHASH`. */
export const ownerActionTypes = {
  CancelJob: [
    { name: "jobId", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
  ExtendDelivery: [
    { name: "jobId", type: "uint256" },
    { name: "deliveryDeadline", type: "uint64" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** Parameters shared by owner-key signatures. */
export type OwnerActionParameters = {
  /** The job's owner key (a local account: the key never leaves the buyer's device). */
  ownerKey: LocalAccount;
  chainId: number;
  jobMarket: Address;
  jobId: bigint;
  /** The owner key's next nonce (`jobMarket.read.nonces([ownerKey.address])`). */
  nonce: bigint;
  /** Last second the signature is valid. */
  deadline: bigint;
};

/**
 * Signs `CancelJob(jobId, nonce, deadline)` with the job's owner key; anyone can relay it.
 *
 * @returns The signature for `JobMarket.cancelJob`.
 * @example
 * const sig = await signCancelJob({ ownerKey, chainId, jobMarket, jobId, nonce: 0n, deadline });
 */
export function signCancelJob(p: OwnerActionParameters): Promise<Hex> {
  return p.ownerKey.signTypedData({
    domain: jobMarketDomain(p.chainId, p.jobMarket),
    types: ownerActionTypes,
    primaryType: "CancelJob",
    message: { jobId: p.jobId, nonce: p.nonce, deadline: p.deadline },
  });
}

/**
 * Signs `ExtendDelivery(jobId, deliveryDeadline, nonce, deadline)` with the job's owner key.
 *
 * @returns The signature for `JobMarket.extendDeliveryDeadline`.
 */
export function signExtendDelivery(p: OwnerActionParameters & { deliveryDeadline: bigint }): Promise<Hex> {
  return p.ownerKey.signTypedData({
    domain: jobMarketDomain(p.chainId, p.jobMarket),
    types: ownerActionTypes,
    primaryType: "ExtendDelivery",
    message: { jobId: p.jobId, deliveryDeadline: p.deliveryDeadline, nonce: p.nonce, deadline: p.deadline },
  });
}
