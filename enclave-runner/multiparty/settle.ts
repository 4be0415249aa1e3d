// The enclave's last step of a multi-party job: it combined the committee's shares into the new
// adapter (combine.ts) and now signs, with the signing key its attestation bound to the job, that
// this adapter's commitment is the result of the aggregate recorded on chain. That signature is the
// `proof` MultiPartyCoordinator.verifyTraining accepts (trust in the attested enclave, not a
// zero-knowledge proof: docs/MULTIPARTY.md, "Settlement"). When fewer than t valid shares can be
// had, it signs instead which recorded shares failed (signBadSharesStatement): the coordinator
// forfeits those members' bonds and the market defaults the job on the buyer's side.
import { type Hex, toHex } from "viem";
import type { LocalAccount } from "viem/accounts";
import { signJobFailure } from "../../sdk/enclaveStatements.ts";
import { multiPartyCoordinatorAbi } from "../../sdk/generated/abis.ts";
import {
  indexMask,
  signCommitteeBadShares,
  signMultiPartyResult,
  validQuorumPossible,
} from "../../sdk/multiParty.ts";
import { type AdapterWeights, commitWeights, getPoseidon } from "../../sdk/training/index.ts";
import { FailureReason } from "../../sdk/types.ts";
import {
  type BadSharesStatement,
  type MultiPartyContext,
  readRecords,
  requireAggregateHash,
} from "./chain.ts";
import type { FaultyMemberShare } from "./combine.ts";
import { MultiPartyFlowError } from "./errors.ts";

/** The `submitResult` arguments of a combined multi-party adapter. */
export type MultiPartyResult = { modelCommitment: Hex; proof: Hex };

/** Commits to `weights` and signs the result over the aggregate recorded for the job. */
export async function signCombinedResult(
  context: MultiPartyContext,
  enclaveSigner: LocalAccount,
  weights: AdapterWeights,
): Promise<MultiPartyResult> {
  const modelCommitment = toHex(commitWeights(await getPoseidon(), weights), { size: 32 });
  const proof = await signMultiPartyResult({
    signer: enclaveSigner,
    chainId: await context.publicClient.getChainId(),
    coordinator: context.coordinator,
    jobId: context.jobId,
    specHash: context.terms.specHash,
    aggregateHash: await requireAggregateHash(context),
    modelCommitment,
  });
  return { modelCommitment, proof };
}

/** Parameters of {@link signBadSharesStatement}. */
export type SignBadSharesStatementParameters = {
  context: MultiPartyContext;
  /** The attested enclave's signing key (the job's `enclaveSigner`). */
  enclaveSigner: LocalAccount;
  /**
   * The shares the combiner judged and found bad, with the hash of the bytes it judged:
   * `CombineSharesResult.faultyShares` or `InsufficientCommitteeSharesError.faultyShares`. Never
   * shares it could not fetch.
   */
  faultyShares: readonly FaultyMemberShare[];
};

/**
 * The combiner's signed finding that recorded shares fail their proofs, once no t valid shares can
 * be had any more (the share window is over, or too few members are left): both signatures
 * `MultiPartyCoordinator.reportBadShares` needs — `CommitteeBadShares` binding the judged share
 * hashes (coordinator domain) and `JobFailure(CommitteeBadShares, aggregateHash, badMembers)` for
 * the market (`signJobFailure`). Throws `ValidQuorumPossible` while valid shares may still come,
 * and `NotRecorded` when there is nothing to name.
 *
 * @example
 * const statement = await signBadSharesStatement({ context, enclaveSigner, faultyShares: error.faultyShares });
 * await reportBadShares(context, providerWallet, statement);
 */
export async function signBadSharesStatement(
  p: SignBadSharesStatementParameters,
): Promise<BadSharesStatement> {
  const { context } = p;
  const faulty = [...p.faultyShares].sort((a, b) => a.member - b.member);
  if (faulty.length === 0)
    throw new MultiPartyFlowError("NotRecorded", "no share was found bad: there is nothing to state");
  const badMembers = indexMask(faulty.map((f) => f.member));
  const [records, block, jobMarket] = await Promise.all([
    readRecords(context),
    context.publicClient.getBlock(),
    context.publicClient.readContract({
      address: context.coordinator,
      abi: multiPartyCoordinatorAbi,
      functionName: "jobMarket",
    }),
  ]);
  const windowOver = block.timestamp > context.spec.shareDeadline;
  if (
    validQuorumPossible({
      threshold: context.terms.threshold,
      committeeSize: context.terms.committeeSize,
      shareMask: records.shareMask,
      badMembers,
      windowOver,
    })
  ) {
    throw new MultiPartyFlowError("ValidQuorumPossible", "t valid shares can still be had: wait or combine", {
      details: `shares ${records.sharers.join(", ")}, bad ${faulty.map((f) => f.member).join(", ")}, window ${windowOver ? "over" : "open"}`,
    });
  }
  const aggregateHash = await requireAggregateHash(context);
  const chainId = await context.publicClient.getChainId();
  const committeeSignature = await signCommitteeBadShares({
    signer: p.enclaveSigner,
    chainId,
    coordinator: context.coordinator,
    jobId: context.jobId,
    aggregateHash,
    badMembers,
    badShareHashes: faulty.map((f) => f.shareHash),
  });
  const failureSignature = await signJobFailure({
    enclaveKey: p.enclaveSigner,
    chainId,
    jobMarket,
    jobId: context.jobId,
    statement: {
      reason: FailureReason.CommitteeBadShares,
      dataHash: aggregateHash,
      faultyMembers: badMembers,
    },
  });
  return { badMembers, committeeSignature, failureSignature };
}
