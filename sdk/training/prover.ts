// The prover's side of the training proof: bind a run to a job (ctx), build every segment's circuit
// input with the fixed-point reference, prove it with snarkjs, and encode the proofs the way
// Groth16TrainingVerifier takes them. Both outcomes are provable (metric at least tau or below it):
// the proven outcome is `thresholdMet`, which the caller submits with the proof. Runs wherever
// snarkjs does (Node, browser, enclave).
import * as snarkjs from "snarkjs";
import { type Address, encodeAbiParameters, type Hex, keccak256, toHex } from "viem";
import { commitWeights } from "./commitment.ts";
import { FIELD_MODULUS } from "./fixedPoint.ts";
import { rowsRoot } from "./merkle.ts";
import { type AdapterWeights, type DataRow, specHash, type TrainingParams } from "./params.ts";
import { getPoseidon } from "./poseidon.ts";
import { buildSegmentInput, type SegmentWitness } from "./witness.ts";

/** What binds a proof to one job: chain, market, job and provider. */
export type JobBinding = { chainId: bigint; market: Address; jobId: bigint; provider: Address };

/** ctx = uint256(keccak256(abi.encode(chainId, market, jobId, provider))) mod r (as the contract). */
export function trainingContext(b: JobBinding): bigint {
  const encoded = encodeAbiParameters(
    [{ type: "uint256" }, { type: "address" }, { type: "uint256" }, { type: "address" }],
    [b.chainId, b.market, b.jobId, b.provider],
  );
  return BigInt(keccak256(encoded)) % FIELD_MODULUS;
}

/** The data of one training run. */
export type TrainingRun = {
  params: TrainingParams;
  initialWeights: AdapterWeights;
  trainRows: readonly DataRow[];
  evalRows: readonly DataRow[];
  tau: number;
};

/** One segment proof in Groth16TrainingVerifier's layout [A.x, A.y, B.x1, B.x0, B.y1, B.y0, C.x, C.y]. */
export type ProofWords = readonly [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];

/** A proven run: the chain C_0..C_S, the segment proofs and what the reference computed. */
export type ProvenRun = {
  commitments: bigint[];
  proofs: ProofWords[];
  /**
   * The outcome the proofs state: the last segment's eval metric meets tau. The claim's
   * `thresholdMet` must equal it, or the last segment's proof does not verify.
   */
  thresholdMet: boolean;
  /** True when any segment saturated a logit, weight or bias (for logs; the proofs are valid). */
  saturated: boolean;
  segments: SegmentWitness[];
  publicSignals: string[][];
  /** Milliseconds of snarkjs fullProve (witness + prove) per segment. */
  proveMs: number[];
};

/**
 * A proof as Groth16TrainingVerifier takes it, taken from snarkjs' own `exportSolidityCallData`
 * (`[A],[[B.x1,B.x0],[B.y1,B.y0]],[C],[public]`), so the layout is snarkjs', not ours.
 */
export async function proofWords(proof: snarkjs.Groth16Proof, publicSignals: string[]): Promise<ProofWords> {
  const calldata = await snarkjs.groth16.exportSolidityCallData(proof, publicSignals);
  const [a, b, c] = JSON.parse(`[${calldata}]`) as [string[], string[][], string[], string[]];
  const words = [...a, ...b.flat(), ...c].map((w) => BigInt(w));
  if (words.length !== 8) throw new Error(`unexpected calldata shape: ${calldata}`);
  return words as unknown as ProofWords;
}

/** The circuit input of every segment of `run`, bound to `ctx`. */
export async function segmentInputs(run: TrainingRun, ctx: bigint): Promise<SegmentWitness[]> {
  const out: SegmentWitness[] = [];
  let inputWeights: AdapterWeights | undefined;
  for (let s = 0; s < run.params.segments; s++) {
    const w = await buildSegmentInput({
      ...run,
      ctx,
      segment: s,
      ...(inputWeights ? { inputWeights } : {}),
    });
    out.push(w);
    inputWeights = w.outputWeights;
  }
  return out;
}

/**
 * Proves every segment of `run` for the job `binding` with snarkjs fullProve, whichever the outcome.
 *
 * @param run - The run's parameters, data and threshold.
 * @param binding - Chain, market, job and provider the proofs are bound to.
 * @param circuit - The segment circuit's wasm and zkey.
 * @returns The commitment chain, the proofs and the proven outcome `thresholdMet`.
 * @example
 * const proven = await proveRun(run, binding, { wasm, zkey });
 * const proof = encodeTrainingProof(proven.commitments, proven.proofs); // submit with proven.thresholdMet
 */
export async function proveRun(
  run: TrainingRun,
  binding: JobBinding,
  circuit: { wasm: string; zkey: string },
): Promise<ProvenRun> {
  const segments = await segmentInputs(run, trainingContext(binding));
  const proofs: ProofWords[] = [];
  const publicSignals: string[][] = [];
  const proveMs: number[] = [];
  for (const seg of segments) {
    const t0 = performance.now();
    const result = await snarkjs.groth16.fullProve(seg.input, circuit.wasm, circuit.zkey);
    proveMs.push(Math.round(performance.now() - t0));
    publicSignals.push(result.publicSignals);
    proofs.push(await proofWords(result.proof, result.publicSignals));
  }
  const first = segments[0];
  const last = segments.at(-1);
  if (!first || !last) throw new Error("a run has at least one segment");
  return {
    commitments: [first.cIn, ...segments.map((s) => s.cOut)],
    proofs,
    thresholdMet: last.thresholdMet,
    saturated: segments.some((s) => s.saturated),
    segments,
    publicSignals,
    proveMs,
  };
}

/** Groth16TrainingVerifier's proof bytes: abi.encode(uint256[] commitments, uint256[8][] proofs). */
export function encodeTrainingProof(commitments: readonly bigint[], proofs: readonly ProofWords[]): Hex {
  return encodeAbiParameters([{ type: "uint256[]" }, { type: "uint256[8][]" }], [commitments, proofs]);
}

/** What a buyer puts in the job terms for a run: specHash, R_train, R_eval (as bytes32) and tau. */
export type JobTrainingCommitments = {
  specHash: Hex;
  datasetCommitment: Hex;
  evalCommitment: Hex;
  qualityThreshold: bigint;
};

/**
 * The training-related job terms the buyer computes from their own data before posting:
 * `specHash = Poseidon(C0, hpHash)`, `datasetCommitment = R_train`, `evalCommitment = R_eval`.
 * The market hands exactly these to the training verifier.
 */
export async function jobCommitments(run: TrainingRun): Promise<JobTrainingCommitments> {
  const hash = await getPoseidon();
  const word = (v: bigint): Hex => toHex(v, { size: 32 });
  return {
    specHash: word(specHash(hash, commitWeights(hash, run.initialWeights), run.params)),
    datasetCommitment: word(rowsRoot(hash, run.trainRows, run.params)),
    evalCommitment: word(rowsRoot(hash, run.evalRows, run.params)),
    qualityThreshold: BigInt(run.tau),
  };
}
