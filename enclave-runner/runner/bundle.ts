// The evidence bundle: everything the provider node needs to submit, and everything anyone needs to
// see why a run ended as it did. Written for every run, successful or not, atomically (a crash
// leaves the previous file or none, never half of one), and signed by the enclave's signing key
// (attested on chain), so the provider cannot alter what the enclave reported.
import { randomBytes } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { type Address, type Hex, keccak256, recoverMessageAddress, toBytes } from "viem";
import type { LocalAccount } from "viem/accounts";
import type { EvalReport } from "./evaluation.ts";

/** Format tag and version of the bundle. */
export const BUNDLE_FORMAT = "blind-training/evidence-bundle";
export const BUNDLE_VERSION = 3;

/** The bundle's content (before the signature). */
export type EvidenceBundleBody = {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  status: "ok" | "failed";
  job: { chainId: string; market: Address; jobId: string };
  runner: { trainer: string; evidenceSource: string };
  /** Public keys and the attestation the market accepted (or was asked to). */
  enclave?: { teeType: number; encryptionKey: Hex; signer: Address; evidenceKind: string } | undefined;
  /** Why the run failed: a RunnerError code, the stage and a message without data. */
  error?: { code: string; stage: string; message: string } | undefined;
  baseModel?: { name: string; sha256: Hex } | undefined;
  /** The delivery the owner key recorded on chain (DataDelivery): its data hash and blobs, train then eval. */
  delivery?: { dataHash: Hex; blobs: { id: string; bytes: number }[] } | undefined;
  inputs?:
    | { trainBlob: string; evalBlob: string; trainRows: number; evalRows: number; tokens: number }
    | undefined;
  /**
   * C0 and C_K; the raw-data commitments the buyer posted and the feature commitments R_train, R_eval
   * the enclave computed from them (signed as a FeatureBinding inside `submitResult.proof`).
   */
  commitments?:
    | { c0: Hex; cK: Hex; rawTrain: Hex; rawEval: Hex; rTrain: Hex; rEval: Hex; specHash: Hex }
    | undefined;
  metric?: { correct: number; total: number; tau: number; met: boolean } | undefined;
  evaluation?: { base: EvalReport; finetuned: EvalReport } | undefined;
  adapter?: { blobId: string; bytes: number } | undefined;
  /**
   * The `Result` of JobMarket.submitResult(jobId, terms, result), field for field: the proven outcome
   * `thresholdMet`, the proof as FeatureBindingVerifier takes it (the enclave's signed feature
   * binding and the Groth16 head proof) and the enclave's EIP-712 `TrainingResult` signature.
   */
  submitResult?:
    | {
        modelCommitment: Hex;
        modelCiphertextHash: Hex;
        thresholdMet: boolean;
        proof: Hex;
        enclaveSignature: Hex;
      }
    | undefined;
  /**
   * When the buyer's data makes the job impossible: the arguments of
   * JobMarket.submitFailure(jobId, terms, statement, signature) — the enclave's EIP-712 `JobFailure`
   * over the recorded delivery's data hash (`faultyMembers` as a decimal string).
   */
  submitFailure?: { statement: FailureStatementJson; reasonName: string; signature: Hex } | undefined;
  /** Milliseconds per stage. */
  timings: Record<string, number>;
};

/** `IJobMarket.FailureStatement` as JSON (`faultyMembers` is a uint256: a decimal string). */
export type FailureStatementJson = { reason: number; dataHash: Hex; faultyMembers: string };

/** A signed bundle. */
export type EvidenceBundle = EvidenceBundleBody & { signature?: Hex | undefined };

/** The hash the enclave signs: keccak256 of the body's JSON. */
export function bundleDigest(body: EvidenceBundleBody): Hex {
  return keccak256(toBytes(JSON.stringify(body)));
}

/** Signs the body (EIP-191 over its digest) with the enclave's signing key. */
export async function signBundle(body: EvidenceBundleBody, signer: LocalAccount): Promise<EvidenceBundle> {
  return { ...body, signature: await signer.signMessage({ message: { raw: bundleDigest(body) } }) };
}

/** The address that signed a bundle (compare with the job's on-chain `enclaveSigner`). */
export async function bundleSigner(bundle: EvidenceBundle): Promise<Address> {
  const { signature, ...body } = bundle;
  if (signature === undefined) throw new Error("the bundle is not signed");
  return recoverMessageAddress({ message: { raw: bundleDigest(body as EvidenceBundleBody) }, signature });
}

/** Writes JSON atomically: temp file in the same folder, then rename. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o644 });
  await rename(temp, file);
}

/** Format tag of the failure statement file (`failure.json`). */
export const FAILURE_FORMAT = "blind-training/failure-statement";

/**
 * The failure statement file: what the provider node submits with `JobMarket.submitFailure` when
 * the buyer's data makes the job impossible. Carries no data: the reason, the recorded delivery's
 * data hash, the enclave's signature and the error's code, stage and message.
 */
export type FailureStatementFile = {
  format: typeof FAILURE_FORMAT;
  version: 1;
  job: { chainId: string; market: Address; jobId: string };
  /** The attested signer (`getJob(jobId).enclaveSigner`) that signed the statement. */
  enclaveSigner: Address;
  statement: FailureStatementJson;
  reasonName: string;
  signature: Hex;
  error: { code: string; stage: string; message: string };
};
