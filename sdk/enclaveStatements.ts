import type { Address, Hex, LocalAccount } from "viem";
import { jobMarketDomain } from "./ownerActions.ts";
import type { FailureReason } from "./types.ts";

/**
 * EIP-712 types of the statements the attested enclave signs for the JobMarket (its signing key is
 * the `enclaveSigner` bound by the attestation), as in `JobMarket.TRAINING_RESULT_TYPEHASH` and
 * `JOB_FAILURE_TYPEHASH`. Same domain as owner-key actions ({@link jobMarketDomain}).
 */
export const enclaveStatementTypes = {
  TrainingResult: [
    { name: "jobId", type: "uint256" },
    { name: "modelCommitment", type: "bytes32" },
    { name: "modelCiphertextHash", type: "bytes32" },
    { name: "thresholdMet", type: "bool" },
  ],
  JobFailure: [
    { name: "jobId", type: "uint256" },
    { name: "reason", type: "uint8" },
    { name: "dataHash", type: "bytes32" },
    { name: "faultyMembers", type: "uint256" },
  ],
} as const;

/** Where a statement is valid: one market on one chain. */
export type EnclaveStatementDomain = { chainId: number; jobMarket: Address };

/** Parameters of {@link signTrainingResult}. */
export type SignTrainingResultParameters = EnclaveStatementDomain & {
  /** The enclave's signing key (never leaves the enclave). */
  enclaveKey: LocalAccount;
  jobId: bigint;
  /** C_K, the commitment of the trained adapter. */
  modelCommitment: Hex;
  /** SHA-256 of the adapter ciphertext delivered to the buyer (its blob id's digest). */
  modelCiphertextHash: Hex;
  /** Whether the proven metric reached the job's threshold. */
  thresholdMet: boolean;
};

/**
 * Signs `TrainingResult(jobId, modelCommitment, modelCiphertextHash, thresholdMet)`: the market pays
 * only for a ciphertext the attested enclave produced together with the proven model.
 *
 * @returns The `enclaveSignature` of `JobMarket.submitResult`.
 * @example
 * const sig = await signTrainingResult({ enclaveKey, chainId, jobMarket, jobId, modelCommitment, modelCiphertextHash, thresholdMet: true });
 */
export function signTrainingResult(p: SignTrainingResultParameters): Promise<Hex> {
  return p.enclaveKey.signTypedData({
    domain: jobMarketDomain(p.chainId, p.jobMarket),
    types: enclaveStatementTypes,
    primaryType: "TrainingResult",
    message: {
      jobId: p.jobId,
      modelCommitment: p.modelCommitment,
      modelCiphertextHash: p.modelCiphertextHash,
      thresholdMet: p.thresholdMet,
    },
  });
}

/** A buyer-side failure the enclave can state (`IJobMarket.FailureStatement`). */
export type FailureStatement = {
  reason: FailureReason;
  /** The recorded delivery's data hash, or the multi-party aggregate hash for `CommitteeBadShares`. */
  dataHash: Hex;
  /** `CommitteeBadShares`: bit i = member i's share failed its proof; 0 otherwise. */
  faultyMembers: bigint;
};

/**
 * Signs `JobFailure(jobId, reason, dataHash, faultyMembers)`, the attested enclave's statement that
 * the job cannot succeed for a reason on the buyer's side (`JobMarket.submitFailure`).
 *
 * @returns The signature.
 * @example
 * const sig = await signJobFailure({ enclaveKey, chainId, jobMarket, jobId, statement });
 */
export function signJobFailure(
  p: EnclaveStatementDomain & { enclaveKey: LocalAccount; jobId: bigint; statement: FailureStatement },
): Promise<Hex> {
  return p.enclaveKey.signTypedData({
    domain: jobMarketDomain(p.chainId, p.jobMarket),
    types: enclaveStatementTypes,
    primaryType: "JobFailure",
    message: {
      jobId: p.jobId,
      reason: p.statement.reason,
      dataHash: p.statement.dataHash,
      faultyMembers: p.statement.faultyMembers,
    },
  });
}
