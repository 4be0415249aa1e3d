// Helpers for tests that verify real Groth16 training proofs on the in-process chain: build the
// `segment_test` main with the ceremony pipeline into its own folder (it never races `circuits:build`
// outputs or touches contracts/generated), plus re-exports of the prover and verifier-deployment helpers.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Hex, toHex } from "viem";
import { buildCircuits, type CircuitResult, defaultPtauCacheDir } from "../../scripts/circuits/pipeline.ts";
import { trainingParamsOf } from "../../scripts/lib/syntheticTask.ts";
import type { TrainingParams } from "../../sdk/training/index.ts";

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
