// Where the real-hardware test vectors live (../shared/test-vectors beside the clone in CI; see its
// README for their sources and licences). They are read in place, never copied into the project.
// A user's own clone may lack the folder: tests that need it are then skipped with `skipReason`,
// the only skip the suite allows.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const repoRoot = path.resolve(import.meta.dirname, "..", "..");
const fromEnvironment = process.env.BLIND_TRAINING_TEST_VECTORS;

/** The test-vector folder: `$BLIND_TRAINING_TEST_VECTORS`, else `../shared/test-vectors` beside the repository. */
export const testVectorsDir: string = fromEnvironment ?? path.resolve(repoRoot, "../shared/test-vectors");

// An explicitly configured folder that does not exist is a mistake to report, not a reason to skip.
if (fromEnvironment !== undefined && !existsSync(testVectorsDir)) {
  throw new Error(`BLIND_TRAINING_TEST_VECTORS=${fromEnvironment} does not exist`);
}

/** Whether the test-vector folder is present. */
export const vectorsAvailable: boolean = existsSync(testVectorsDir);

/** The `skip` option of tests that need the vectors: false when present, else the reason. */
export const skipReason: string | false = vectorsAvailable
  ? false
  : "test vectors folder absent: set BLIND_TRAINING_TEST_VECTORS";

/** Reads one vector, by its path inside the test-vector folder (e.g. `sev-snp/attestation.bin`). */
export function readTestVector(relativePath: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(testVectorsDir, relativePath)));
}
