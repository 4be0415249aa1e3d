// The enclave's last step of a multi-party job: it combined the committee's shares into the new
// adapter (combine.ts) and now signs, with the signing key its attestation bound to the job, that
// this adapter's commitment is the result of the aggregate recorded on chain. That signature is the
// `proof` MultiPartyCoordinator.verifyTraining accepts (trust in the attested enclave, not a
// zero-knowledge proof: docs/MULTIPARTY.md, "Settlement").
import { type Hex, toHex } from "viem";
import type { LocalAccount } from "viem/accounts";
import { signMultiPartyResult } from "../../sdk/multiParty.ts";
import { type AdapterWeights, commitWeights, getPoseidon } from "../../sdk/training/index.ts";
import { type MultiPartyContext, requireAggregateHash } from "./chain.ts";

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
