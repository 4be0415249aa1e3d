// Shared by the base-model tests: the test config built once per test file into a temporary cache
// (never the user's), removed when the process exits.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BaseModel,
  loadOrBuildBaseModel,
  TEST_SLM_CONFIG,
} from "../../../enclave-runner/model/index.ts";

const dirs: string[] = [];
process.on("exit", () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary cache directory, deleted at exit. */
export function tempCacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "bt-slm-test-"));
  dirs.push(dir);
  return dir;
}

let testModel: Promise<BaseModel> | undefined;

/** The TEST_SLM_CONFIG model, built once per process into a temporary cache. */
export function buildTestModel(): Promise<BaseModel> {
  testModel ??= loadOrBuildBaseModel(TEST_SLM_CONFIG, { cacheDir: tempCacheDir() });
  return testModel;
}
