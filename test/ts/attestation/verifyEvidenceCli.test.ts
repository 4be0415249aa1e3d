// The verify-evidence command (scripts/verify-evidence.ts): exit codes, help, JSON output.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import {
  buildSimulatedQuote,
  reportDataForBinding,
  SIMULATED_MEASUREMENT,
} from "../../../sdk/attestation/index.ts";
import { skipReason, testVectorsDir } from "../../support/testVectors.ts";

const script = path.resolve(import.meta.dirname, "../../../scripts/verify-evidence.ts");
const run = async (args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
};
const BINDING = `0x${"ab".repeat(32)}` as const;

describe("npm run verify-evidence", () => {
  it("prints help with --help and exits 2 on bad usage", async () => {
    const help = await run(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: npm run verify-evidence/);
    const none = await run([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /expected one evidence file, got 0/);
    const badBinding = await run(["x", "--binding", "0x12"]);
    assert.equal(badBinding.code, 2);
    assert.match(badBinding.stderr, /--binding must be 0x followed by 64 hex digits/);
  });

  it("verifies a development quote with --dev and rejects it against Intel's root or another binding", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "bt-verify-"));
    try {
      const file = path.join(dir, "quote.dat");
      await writeFile(file, buildSimulatedQuote({ reportData: reportDataForBinding(BINDING) }));
      const ok = await run([file, "--dev", "--binding", BINDING]);
      assert.equal(ok.code, 0, ok.stderr);
      const out = JSON.parse(ok.stdout) as {
        kind: string;
        measurement: string;
        pck: { registerPckKey: { x: string } };
      };
      assert.equal(out.kind, "tdx");
      assert.equal(out.measurement, SIMULATED_MEASUREMENT);
      assert.match(out.pck.registerPckKey.x, /^\d+$/);
      const intel = await run([file]);
      assert.equal(intel.code, 1);
      assert.match(intel.stderr, /^rejected: UntrustedRoot/);
      const other = await run([file, "--dev", "--binding", `0x${"cd".repeat(32)}`]);
      assert.equal(other.code, 1);
      assert.match(other.stderr, /^rejected: ReportDataMismatch/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("verifies the real TDX quote with its CRL and QE identity and prints the PCK key to register", {
    skip: skipReason,
  }, async () => {
    const v = (f: string) => path.join(testVectorsDir, f);
    const ok = await run([
      v("tdx/tdx_prod_quote_SPR_E4.dat"),
      "--at",
      "2023-06-20T00:00:00Z",
      "--crl",
      v("tdx/pckcrl"),
      "--qe-identity",
      v("tdx/sample_qeIdentity_response"),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const out = JSON.parse(ok.stdout) as {
      tcb: { status: string };
      pck: { fmspc: string; registerPckKey: { expiresAt: number } };
    };
    assert.equal(out.tcb.status, "UpToDate");
    assert.equal(out.pck.fmspc, "0x50806f000000");
    assert.equal(out.pck.registerPckKey.expiresAt, Date.parse("2029-09-20T13:20:31Z") / 1000);
    const snp = await run([
      v("sev-snp/attestation.bin"),
      "--kind",
      "sev-snp",
      "--vcek",
      v("sev-snp/vcek.testcer"),
      "--chain",
      v("sev-snp/milan.testcer"),
    ]);
    assert.equal(snp.code, 1);
    assert.match(snp.stderr, /^rejected: DebugEnclave/);
  });
});
