// The plaintext never leaves the runner's memory: a whole job runs through the `enclave-runner`
// CLI (a child process with its own TMPDIR and model cache) on data where every text carries a
// recognisable marker; afterwards the marker (as text, hex or base64) is searched in everything the
// runner could have written: its stdout and stderr, its output folder, the blob store, its temp
// folder and its cache; the trained weights are searched for the same way. The same holds on the
// failure path, where the buyer's data does not match its commitments and the runner writes a signed
// failure statement (exit 3). Also: --help and usage errors.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import * as snarkjs from "snarkjs";
import type { EvidenceBundle, FailureStatementFile } from "../../../enclave-runner/runner/bundle.ts";
import type { LabeledText } from "../../../enclave-runner/runner/dataset.ts";
import { encodeDataset } from "../../../enclave-runner/runner/dataset.ts";
import { stringifyJobSpec } from "../../../enclave-runner/runner/jobSpec.ts";
import type { AttestationRequest } from "../../../enclave-runner/runner/pipeline.ts";
import { deliverData } from "../../../scripts/lib/buyer.ts";
import { decryptAdapter, encodeAdapter } from "../../../sdk/adapter.ts";
import { LocalFolderBlobStore } from "../../../sdk/blobs/localFolder.node.ts";
import { useNodeCrypto } from "../../../sdk/envelope/node.ts";
import { FailureReason, JobStatus } from "../../../sdk/types.ts";
import { connection } from "../../support/fixture.ts";
import {
  buyerRows,
  buyerTask,
  deliverAndRecord,
  jobAwaitingAttestation,
  loadZkMarket,
  runnerPrerequisites,
} from "../../support/runnerJob.ts";

useNodeCrypto();
const ROOT = path.join(import.meta.dirname, "..", "..", "..");
const CLI = path.join(ROOT, "enclave-runner", "cli.ts");

/** Serves the in-process chain over HTTP JSON-RPC, so a child process can read it. */
async function serveChain(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", async () => {
      const call = JSON.parse(body) as { id: number; method: string; params?: unknown[] };
      try {
        const result = await connection.provider.request({ method: call.method, params: call.params ?? [] });
        res.end(JSON.stringify({ jsonrpc: "2.0", id: call.id, result }));
      } catch (e) {
        res.end(JSON.stringify({ jsonrpc: "2.0", id: call.id, error: { code: -32000, message: String(e) } }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { server, url: `http://127.0.0.1:${address.port}` };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile());
}

/** Where the marker appears in `bytes`, in any of its encodings (undefined if nowhere). */
function findMarker(bytes: Buffer, marker: string): string | undefined {
  for (const [name, needle] of [
    ["text", marker],
    ["hex", Buffer.from(marker).toString("hex")],
    ["base64", Buffer.from(marker).toString("base64").replace(/=+$/, "")],
  ] as const)
    if (bytes.includes(Buffer.from(needle))) return name;
  return undefined;
}

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> & { child: ChildProcess } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, cwd: ROOT });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on("exit", (code) => resolve({ code, out, err })),
  ) as Promise<{ code: number | null; out: string; err: string }> & { child: ChildProcess };
  done.child = child;
  return done;
}

let chain: { server: Server; url: string };
describe("enclave runner (CLI)", () => {
  before(async () => {
    await runnerPrerequisites();
    chain = await serveChain();
  });
  after(async () => {
    chain.server.close();
    await (await snarkjs.curves.getCurveFromName("bn128")).terminate();
  });

  describe("enclave-runner CLI", () => {
    it("prints help with exit 0, and exits 2 naming a missing option", async () => {
      const help = await run(["run", "--help"]);
      assert.equal(help.code, 0);
      assert.match(help.out, /Usage: enclave-runner run --job <id>/);
      const missing = await run(["run", "--job", "1"]);
      assert.equal(missing.code, 2);
      assert.match(missing.err, /--spec is required/);
      const unknown = await run(["train"]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.err, /unknown command train/);
    });

    it("runs a whole job without the plaintext ever reaching disk, logs or output", async () => {
      const marker = `BT-MARKER-${randomBytes(8).toString("hex")}`;
      const rows = buyerRows(11, marker);
      const cli = await runCli(rows, rows, marker);
      try {
        const { result, m, job, dirs } = cli;
        assert.equal(result.code, 0, result.err);
        const bundle = JSON.parse(readFileSync(path.join(dirs.out, "bundle.json"), "utf8")) as EvidenceBundle;
        assert.equal(bundle.status, "ok", JSON.stringify(bundle.error));
        assert.ok(bundle.submitResult);
        assert.equal(existsSync(path.join(dirs.out, "failure.json")), false);
        await m.jobMarket.write.submitResult([job.jobId, job.terms, bundle.submitResult], {
          account: m.provider.account,
        });
        assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Completed);

        // The search works: it finds the marker in the plaintext the buyer encrypted.
        assert.equal(
          findMarker(Buffer.from(encodeDataset(rows.train, `0x${"00".repeat(32)}`)), marker),
          "text",
        );
        const scanned = cli.scan();

        // The trained weights left the runner only encrypted: the buyer's decryption gives them, and
        // their serialization (as in the adapter document) appears in no file and no log.
        const adapterBlob = await new LocalFolderBlobStore(dirs.blobs).get(
          bundle.adapter?.blobId as `sha256:${string}`,
        );
        const adapter = await decryptAdapter({
          envelope: adapterBlob,
          buyerSecretKey: job.buyerKey,
          jobId: job.jobId,
          modelCommitment: bundle.submitResult.modelCommitment,
        });
        const weightsText = JSON.stringify(adapter.weights.weights.map((row) => row.map(String)));
        assert.ok(
          new TextDecoder().decode(encodeAdapter(adapter)).includes(weightsText),
          "the search string is the document's",
        );
        for (const file of scanned)
          assert.ok(
            !readFileSync(file).includes(Buffer.from(weightsText)),
            `the weights appear in ${path.relative(cli.root, file)}`,
          );
        assert.ok(
          !result.out.includes(weightsText) && !result.err.includes(weightsText),
          "the weights appear in the logs",
        );
      } finally {
        cli.cleanup();
      }
    });

    it("on the buyer's fault (data not matching its commitments) writes a signed failure statement, exits 3, and leaks nothing", async () => {
      const marker = `BT-MARKER-${randomBytes(8).toString("hex")}`;
      const committed = buyerRows(11, marker);
      const delivered = buyerRows(99, marker);
      const cli = await runCli(committed, delivered, marker);
      try {
        const { result, m, job, dirs } = cli;
        assert.equal(result.code, 3, result.err);
        assert.match(result.err, /cannot succeed because of the buyer's data \(DataMismatch: /);
        assert.match(result.err, /submit .*failure\.json with JobMarket\.submitFailure/);
        const bundle = JSON.parse(readFileSync(path.join(dirs.out, "bundle.json"), "utf8")) as EvidenceBundle;
        assert.equal(bundle.status, "failed");
        assert.equal(bundle.error?.code, "CommitmentMismatch");
        const file = JSON.parse(
          readFileSync(path.join(dirs.out, "failure.json"), "utf8"),
        ) as FailureStatementFile;
        assert.equal(file.statement.reason, FailureReason.DataMismatch);
        assert.deepEqual(file.statement, bundle.submitFailure?.statement);
        // The provider node's part: submit the statement; the job ends on the buyer's side.
        await m.jobMarket.write.submitFailure(
          [
            job.jobId,
            job.terms,
            { ...file.statement, faultyMembers: BigInt(file.statement.faultyMembers) },
            file.signature,
          ],
          { account: m.provider.account },
        );
        assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.BuyerDefaulted);
        cli.scan();
      } finally {
        cli.cleanup();
      }
    });
  });
});

/**
 * Runs one job through the CLI in a child process with its own TMPDIR and model cache: the test
 * plays the provider node (submits attestation.json) and the buyer (posts `committed`, delivers and
 * records `delivered`). `scan()` asserts the marker is nowhere the runner could have written.
 */
async function runCli(
  committed: { train: LabeledText[]; eval: LabeledText[] },
  delivered: { train: LabeledText[]; eval: LabeledText[] },
  marker: string,
) {
  const task = await buyerTask(committed);
  const m = await loadZkMarket();
  const job = await jobAwaitingAttestation(m, task);
  const { circuit } = await runnerPrerequisites();

  const root = mkdtempSync(path.join(tmpdir(), "bt-secrets-"));
  const dirs = {
    tmp: path.join(root, "tmp"),
    out: path.join(root, "out"),
    blobs: path.join(root, "blobs"),
    cache: path.join(root, "cache"),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const specFile = path.join(root, "spec.json");
  writeFileSync(specFile, stringifyJobSpec(job.spec));

  const runner = run(
    [
      "run",
      "--job",
      job.jobId.toString(),
      "--spec",
      specFile,
      "--rpc",
      chain.url,
      "--blobs",
      dirs.blobs,
      "--out",
      dirs.out,
      "--circuit",
      path.dirname(circuit.wasm),
      "--workers",
      "2",
      "--timeout",
      "300",
    ],
    { TMPDIR: dirs.tmp, TEMP: dirs.tmp, BLIND_TRAINING_CACHE: dirs.cache },
  );
  const cleanup = () => {
    runner.child.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  };
  try {
    // The provider node's part: submit the enclave's attestation as soon as it is written.
    const attestationFile = path.join(dirs.out, "attestation.json");
    const deadline = Date.now() + 120_000;
    while (!existsSync(attestationFile)) {
      if (Date.now() > deadline || runner.child.exitCode !== null)
        assert.fail(`no attestation.json: ${(await runner).err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const request = JSON.parse(readFileSync(attestationFile, "utf8")) as AttestationRequest;
    await m.jobMarket.write.submitAttestation(
      [
        job.jobId,
        job.terms,
        request.teeType,
        request.enclaveEncryptionKey,
        request.enclaveSigner,
        request.evidence,
      ],
      { account: m.provider.account },
    );
    // The buyer's part: encrypt to the key the market accepted, upload, record the blobs on chain.
    await deliverAndRecord(m, job, (enclaveKey) =>
      deliverData(new LocalFolderBlobStore(dirs.blobs), enclaveKey, job.jobId, {
        ...delivered,
        raw: task.raw,
      }),
    );
    const result = await runner;
    assert.ok(
      result.out
        .split("\n")
        .filter(Boolean)
        .every((l) => JSON.parse(l).stage),
      "stdout is JSON log lines",
    );
    const scan = () => {
      const scanned = [...Object.values(dirs).flatMap(filesUnder)];
      assert.ok(scanned.length >= 5, `only ${scanned.length} files to scan`);
      assert.ok(
        scanned.some((f) => f.startsWith(dirs.cache)),
        "the runner's model cache is scanned too",
      );
      for (const file of scanned) {
        const where = findMarker(readFileSync(file), marker);
        assert.equal(where, undefined, `the marker appears (${where}) in ${path.relative(root, file)}`);
      }
      assert.equal(findMarker(Buffer.from(result.out), marker), undefined, "marker in stdout");
      assert.equal(findMarker(Buffer.from(result.err), marker), undefined, "marker in stderr");
      return scanned;
    };
    return { result, m, job, dirs, root, scan, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}
