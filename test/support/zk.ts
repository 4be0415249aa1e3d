// Helpers for tests that verify real Groth16 training proofs on the in-process chain: build the
// `segment_test` main with the ceremony pipeline into its own folder (it never races `circuits:build`
// outputs or touches contracts/generated), plus re-exports of the prover and verifier-deployment helpers.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Hex, toHex } from "viem";
import { buildCircuits, type CircuitResult, defaultPtauCacheDir } from "../../scripts/circuits/pipeline.ts";
import { trainingParamsOf } from "../../scripts/lib/syntheticTask.ts";
import type { DataRow, TrainingParams } from "../../sdk/training/index.ts";
import type { TrainingRun } from "../../sdk/training/prover.ts";

export const ROOT = join(import.meta.dirname, "..", "..");
/** Build folder of the ZK contract tests (separate from `build/circuits`, see the file comment). */
export const ZK_TEST_BUILD_DIR = join(ROOT, "build", "circuits", "test-onchain");

/** `segment_test` of circuits/params.json, as TrainingParams (read from there, so it cannot drift). */
export const SEGMENT_TEST_PARAMS: TrainingParams = trainingParamsOf(
  (
    JSON.parse(readFileSync(join(ROOT, "circuits", "params.json"), "utf8")) as {
      name: string;
      params: Record<string, number>;
    }[]
  ).find((e) => e.name === "segment_test")?.params ?? {},
);

/** The one build of this process: test files run concurrently in one process, and two builds into the
 *  same folder would race on its files. */
let segmentTestBuild: Promise<CircuitResult> | undefined;

/** Builds (or, when its manifest matches, reuses) the `segment_test` main: wasm, zkey, verifier. Once per process. */
export function buildSegmentTestCircuit(log?: (line: string) => void): Promise<CircuitResult> {
  segmentTestBuild ??= (async () => {
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
  })();
  return segmentTestBuild;
}

/** A field element as bytes32. */
export const bytes32 = (v: bigint): Hex => toHex(v, { size: 32 });

export {
  compileVerifier,
  deployBytecode,
  deployGroth16Dependencies,
} from "../../scripts/circuits/verifierDeploy.ts";
export {
  encodeTrainingProof,
  type JobBinding,
  type ProofWords,
  type ProvenRun,
  proofWords,
  proveRun,
  segmentInputs,
  type TrainingRun,
  trainingContext,
} from "../../sdk/training/prover.ts";

/** BN254 base field modulus (coordinates of proof points). */
export const BN254_BASE_FIELD =
  21888242871839275222246405745257275088696311157297823662689037894645226208583n;

const row = (x: number[], y: number): DataRow => ({ x: x.map(BigInt), y });

/**
 * A 2-segment run of segment_test: class 1 iff x0 > x1 (features in [-1, 1) at F = 8). The last eval
 * row is mislabelled, so the best achievable accuracy is 3/4 = 7500 basis points: the run meets
 * τ = 7500 exactly and misses 7501.
 */
export const SEGMENT_TEST_RUN: TrainingRun = {
  params: SEGMENT_TEST_PARAMS,
  initialWeights: {
    weights: [
      [10n, -5n, 0n, 3n],
      [-8n, 6n, 2n, 0n],
    ],
    bias: [0n, 0n],
  },
  trainRows: [
    row([200, -100, 30, -20], 1),
    row([-180, 120, -40, 10], 0),
    row([150, -60, -10, 50], 1),
    row([-90, 200, 25, -35], 0),
    row([220, 10, 60, -5], 1),
    row([-30, 170, -15, 45], 0),
    row([130, -140, 5, 20], 1),
    row([-160, 40, 35, -60], 0),
  ],
  evalRows: [
    row([170, -50, 10, 0], 1),
    row([-120, 90, -20, 15], 0),
    row([90, -110, 40, -30], 1),
    row([140, -80, 0, 10], 0),
  ],
  tau: 7500,
};
