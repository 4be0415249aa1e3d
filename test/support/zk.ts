// Helpers for tests that verify real Groth16 training proofs on the in-process chain: build the
// `segment_test` main with the ceremony pipeline (into its own build folder, so it never races the
// `circuits:build` outputs or touches contracts/generated), compile its generated verifier with solc,
// deploy the verifier stack, bind a run to a job (ctx) and prove every segment with snarkjs.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import solc from "solc";
import {
  type Abi,
  type Address,
  encodeAbiParameters,
  type Hex,
  keccak256,
  type PublicClient,
  toHex,
} from "viem";
import { buildCircuits, type CircuitResult, defaultPtauCacheDir } from "../../scripts/circuits/pipeline.ts";
import { poseidonArtifact } from "../../scripts/circuits/poseidon.ts";
import type { Wallet } from "../../scripts/lib/market.ts";
import {
  type AdapterWeights,
  buildSegmentInput,
  type DataRow,
  FIELD_MODULUS,
  type SegmentWitness,
  type TrainingParams,
} from "../../sdk/training/index.ts";

export const ROOT = join(import.meta.dirname, "..", "..");
/** Build folder of the ZK contract tests (separate from `build/circuits`, see the file comment). */
export const ZK_TEST_BUILD_DIR = join(ROOT, "build", "circuits", "test-onchain");

/** `segment_test` of circuits/params.json, as TrainingParams. */
export const SEGMENT_TEST_PARAMS: TrainingParams = {
  features: 4,
  classes: 2,
  batchSize: 2,
  steps: 2,
  fracBits: 8,
  lrShift: 2,
  evalRows: 4,
  segments: 2,
};

/** Builds (or, when its manifest matches, reuses) the `segment_test` main: wasm, zkey, verifier. */
export async function buildSegmentTestCircuit(log?: (line: string) => void): Promise<CircuitResult> {
  const [result] = await buildCircuits({
    root: ROOT,
    paramsFile: join(ROOT, "circuits", "params.json"),
    outDir: ZK_TEST_BUILD_DIR,
    contractsDir: join(ZK_TEST_BUILD_DIR, "contracts"),
    only: ["segment_test"],
    ptauCacheDir: defaultPtauCacheDir(),
    log,
  });
  if (!result) throw new Error("buildCircuits returned no result for segment_test");
  return result;
}

/** Compiles one generated verifier with the project's solc and settings (as in hardhat.config.ts). */
export function compileVerifier(source: string, contractName: string): { abi: Abi; bytecode: Hex } {
  const input = {
    language: "Solidity",
    sources: { "Verifier.sol": { content: source } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "osaka",
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const contract = output.contracts?.["Verifier.sol"]?.[contractName];
  if (!contract) throw new Error(`${contractName} not in the compiler output`);
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
}

/** Deploys raw init code and returns the address. */
export async function deployBytecode(
  publicClient: PublicClient,
  wallet: Wallet,
  abi: Abi,
  bytecode: Hex,
): Promise<Address> {
  const hash = await wallet.deployContract({ abi, bytecode });
  const { contractAddress, status } = await publicClient.waitForTransactionReceipt({ hash });
  if (status !== "success" || !contractAddress) throw new Error("deployment failed");
  return contractAddress;
}

/**
 * Deploys PoseidonT5, PoseidonT7 (circomlibjs bytecode) and the generated segment verifier;
 * returns their addresses (the constructor arguments of Groth16TrainingVerifier).
 */
export async function deployGroth16Dependencies(
  publicClient: PublicClient,
  wallet: Wallet,
  circuit: CircuitResult,
): Promise<{ segmentVerifier: Address; poseidon4: Address; poseidon6: Address }> {
  const t5 = poseidonArtifact(4);
  const t7 = poseidonArtifact(6);
  const poseidon4 = await deployBytecode(publicClient, wallet, t5.abi, t5.bytecode);
  const poseidon6 = await deployBytecode(publicClient, wallet, t7.abi, t7.bytecode);
  const { abi, bytecode } = compileVerifier(await readFile(circuit.verifier, "utf8"), circuit.contractName);
  const segmentVerifier = await deployBytecode(publicClient, wallet, abi, bytecode);
  return { segmentVerifier, poseidon4, poseidon6 };
}

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

/** A field element as bytes32. */
export const bytes32 = (v: bigint): Hex => toHex(v, { size: 32 });

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

/** Proves every segment of `run` for the job `binding` with snarkjs fullProve. */
export async function proveRun(
  run: TrainingRun,
  binding: JobBinding,
  circuit: CircuitResult,
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
  if (!first) throw new Error("a run has at least one segment");
  return {
    commitments: [first.cIn, ...segments.map((s) => s.cOut)],
    proofs,
    segments,
    publicSignals,
    proveMs,
  };
}

/** Groth16TrainingVerifier's proof bytes: abi.encode(uint256[] commitments, uint256[8][] proofs). */
export function encodeTrainingProof(commitments: readonly bigint[], proofs: readonly ProofWords[]): Hex {
  return encodeAbiParameters([{ type: "uint256[]" }, { type: "uint256[8][]" }], [commitments, proofs]);
}
