import type { Address, Hex } from "viem";

/**
 * TEE types as numbered on-chain (`contracts/types/TeeType.sol`).
 *
 * @example
 * const mask = teeTypeSet([TeeType.Tdx, TeeType.SevSnp]);
 */
export const TeeType = { None: 0, SevSnp: 1, Tdx: 2, Sgx: 3, Simulated: 4 } as const;
/** A TEE type number. */
export type TeeType = (typeof TeeType)[keyof typeof TeeType];

/** Job statuses as numbered on-chain (`contracts/types/JobStatus.sol`). */
export const JobStatus = {
  None: 0,
  Open: 1,
  Matched: 2,
  Attested: 3,
  Completed: 4,
  Cancelled: 5,
  Expired: 6,
  /** The provider's fault (no attestation, no result, invalid evidence): slashed. */
  Failed: 7,
  /** Delivered and proven, metric below τ: the provider is paid the config's compute share. */
  BelowThreshold: 8,
  /** A fault on the buyer's side: the provider is paid the cancellation fee, collateral released. */
  BuyerDefaulted: 9,
  /** Nobody's fault (enclave measurement or key revoked after posting): full refund, collateral released. */
  Released: 10,
} as const;
/** A job status number. */
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/** Why a matched job failed, as numbered on-chain (`contracts/types/JobStatus.sol`). */
export const FailureReason = {
  None: 0,
  AttestationDeadlineMissed: 1,
  DeliveryDeadlineMissed: 2,
  AttestationRejected: 3,
  ProofRejected: 4,
  /** Multi-party: the committee did not decrypt the aggregate in time (buyer side). */
  CommitteeDeadlineMissed: 5,
  /** Single-party: no delivery recorded by the data deadline; multi-party: no party update (buyer side). */
  NoDataDelivered: 6,
  /** The enclave found the data not matching the posted commitments (buyer side, signed statement). */
  DataMismatch: 7,
  /** The enclave could not decrypt or parse the data (buyer side, signed statement). */
  DataMalformed: 8,
  /** The data overflows the fixed-point format (buyer side, signed statement). */
  DataOverflow: 9,
  /** A challenged blob was not served on-chain within the availability window (buyer side). */
  DataUnavailable: 10,
  /** Committee members recorded shares whose proofs fail (buyer side, signed statement). */
  CommitteeBadShares: 11,
  /** The enclave's measurement or key was revoked after the job was posted (no fault). */
  EvidenceRevoked: 12,
} as const;
/** A failure reason number. */
export type FailureReason = (typeof FailureReason)[keyof typeof FailureReason];

/** Inverse lookup of a numbered constant object, for display. */
export function nameOf<T extends Record<string, number>>(table: T, value: number): keyof T | "Unknown" {
  for (const [name, v] of Object.entries(table)) if (v === value) return name as keyof T;
  return "Unknown";
}

/**
 * The bit set of the given TEE types, as stored in jobs and provider profiles.
 *
 * @param types TEE types other than `None`.
 * @returns The set as a byte.
 * @example
 * teeTypeSet([TeeType.Simulated]); // 16
 */
export function teeTypeSet(types: readonly TeeType[]): number {
  let set = 0;
  for (const t of types) set |= 1 << t;
  return set;
}

/** The immutable terms of a job, field for field as `IJobMarket.JobTerms`. */
export type JobTerms = {
  specHash: Hex;
  datasetCommitment: Hex;
  evalCommitment: Hex;
  qualityThreshold: bigint;
  measurement: Hex;
  committeeHash: Hex;
  asset: Address;
  priceCeiling: bigint;
  ownerKey: Address;
  bidDeadline: bigint;
  attestDeadline: bigint;
  deliveryDeadline: bigint;
  teeTypes: number;
  parties: number;
  threshold: number;
  committeeSize: number;
  refundCommitment: Hex;
  /** Last second for the owner key to record the data delivery (attest < data < delivery). */
  dataDeadline: bigint;
  /** The market config that settles the job: `jobMarket.read.currentConfigId()` when posting. */
  configId: number;
};

/** Native ETH as an asset address. */
export const ETH: Address = "0x0000000000000000000000000000000000000000";
/** The zero 32-byte value. */
export const ZERO_HASH: Hex = "0x0000000000000000000000000000000000000000000000000000000000000000";
