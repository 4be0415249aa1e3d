#!/usr/bin/env node
// `enclave-runner`: the program inside the confidential VM. `run` takes one job from attestation to
// the evidence bundle (runner/pipeline.ts). Logs are JSON lines on stdout; they never carry data,
// keys or weights. Exit codes: 0 the run succeeded, 1 it failed (the bundle says why), 2 bad usage.
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import * as snarkjs from "snarkjs";
import { createPublicClient, http } from "viem";
import type { BlobStore } from "../sdk/blobs/blobStore.ts";
import { HttpBlobStore } from "../sdk/blobs/http.ts";
import { LocalFolderBlobStore } from "../sdk/blobs/localFolder.node.ts";
import { useNodeCrypto } from "../sdk/envelope/node.ts";
import { createEvidenceSource, TEE_CHOICES } from "./attestation/index.ts";
import { RunnerError } from "./errors.ts";
import { loadOrBuildBaseModel } from "./model/index.ts";
import { slmConfigByName } from "./runner/baseModels.ts";
import { writeJsonAtomic } from "./runner/bundle.ts";
import { parseJobSpec } from "./runner/jobSpec.ts";
import { viemMarketReader } from "./runner/market.ts";
import { type Delivery, type RunnerEvent, runJob } from "./runner/pipeline.ts";
import type { TrainerBackend } from "./trainer/backend.ts";
import { BuiltinTrainer } from "./trainer/builtin.ts";
import { ExternalTrainer } from "./trainer/external.ts";

const ROOT = path.join(import.meta.dirname, "..");

const HELP = `Usage: enclave-runner run --job <id> --spec <file> --rpc <url> --blobs <dir|url> --delivery <file> --out <dir> [options]

Runs one training job inside the enclave: creates fresh keys, obtains attestation evidence
binding them to the job, writes <out>/attestation.json for the provider node to submit, waits
until the market accepts it, waits for the buyer's delivery (<file>: {"train": "sha256:…",
"eval": "sha256:…"}), fetches and decrypts the data in memory, trains, checks, evaluates,
proves, encrypts the adapter to the buyer and writes the signed evidence bundle <out>/bundle.json.

Required:
  --job <id>              the on-chain job id (must equal the spec's)
  --spec <file>           the job spec (JSON, see enclave-runner/README.md)
  --rpc <url>             JSON-RPC endpoint of the chain the market is on
  --blobs <dir|url>       blob store: a local folder or an http(s) URL of a blob server
  --delivery <file>       where the provider node drops the buyer's delivery (polled)
  --out <dir>             where attestation.json and bundle.json are written

Options:
  --tee <kind>            ${TEE_CHOICES.join(" | ")} (default simulated)
  --trainer <kind>        builtin | external (default builtin)
  --trainer-command <cmd> the external backend's command line (with --trainer external; split on
                          spaces, no shell quoting), speaking enclave-runner/trainer/PROTOCOL.md
  --workers <n>           feature-extraction threads of the builtin trainer (default: all cores)
  --circuit <dir>         training circuit folder with <name>.wasm and <name>.zkey
                          (default: build/circuits/<the circuit whose parameters the spec uses>)
  --no-prove              stop after encrypting the adapter (no proof)
  --timeout <seconds>     wait at most this long for the attestation and the delivery (default 600)
  --help                  this text

Exit codes: 0 success, 1 the run failed (see bundle.json), 2 bad usage.`;

function usage(message: string): never {
  process.stderr.write(`enclave-runner: ${message}\n\n${HELP}\n`);
  process.exit(2);
}

function emit(event: RunnerEvent): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
}

/** The circuit folder whose parameters equal the spec's (circuits/params.json). */
function defaultCircuitDir(params: Record<string, number>): string {
  const entries = JSON.parse(readFileSync(path.join(ROOT, "circuits", "params.json"), "utf8")) as {
    name: string;
    params: Record<string, number>;
  }[];
  const keys: [string, string][] = [
    ["D", "features"],
    ["C", "classes"],
    ["B", "batchSize"],
    ["K", "steps"],
    ["F", "fracBits"],
    ["LR_SHIFT", "lrShift"],
    ["E", "evalRows"],
    ["S", "segments"],
  ];
  const entry = entries.find((e) => keys.every(([c, t]) => e.params[c] === params[t]));
  if (!entry) usage("no circuit in circuits/params.json has the spec's training parameters; pass --circuit");
  return path.join(ROOT, "build", "circuits", entry.name);
}

async function waitForFile(file: string, timeoutMs: number): Promise<Delivery> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline)
      throw new RunnerError("DeliveryTimeout", `no delivery at ${file} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
  let d: unknown;
  try {
    d = JSON.parse(await readFile(file, "utf8"));
  } catch {
    throw new RunnerError("BadJobSpec", `the delivery file ${file} is not JSON`);
  }
  return d as Delivery;
}

async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        job: { type: "string" },
        spec: { type: "string" },
        rpc: { type: "string" },
        blobs: { type: "string" },
        delivery: { type: "string" },
        out: { type: "string" },
        tee: { type: "string", default: "simulated" },
        trainer: { type: "string", default: "builtin" },
        "trainer-command": { type: "string" },
        workers: { type: "string" },
        circuit: { type: "string" },
        "no-prove": { type: "boolean", default: false },
        timeout: { type: "string", default: "600" },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (e) {
    usage((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  for (const required of ["job", "spec", "rpc", "blobs", "delivery", "out"])
    if (typeof values[required] !== "string") usage(`--${required} is required`);
  const str = (k: string) => values[k] as string;
  if (!/^[0-9]+$/.test(str("job"))) usage("--job must be a decimal job id");
  const timeoutMs = Number(str("timeout")) * 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) usage("--timeout must be a positive number of seconds");
  if (!(TEE_CHOICES as readonly string[]).includes(str("tee")))
    usage(`--tee must be one of ${TEE_CHOICES.join(", ")}`);

  let specText: string;
  try {
    specText = await readFile(str("spec"), "utf8");
  } catch {
    usage(`cannot read the job spec ${str("spec")}`);
  }
  const spec = await parseJobSpec(specText);
  if (spec.jobId !== BigInt(str("job"))) usage(`--job ${str("job")} is not the spec's job ${spec.jobId}`);

  let trainer: TrainerBackend;
  if (str("trainer") === "builtin") {
    const workers = values.workers === undefined ? undefined : Number(values.workers);
    if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0))
      usage("--workers must be a non-negative integer");
    trainer = new BuiltinTrainer({ workers });
  } else if (str("trainer") === "external") {
    const command = values["trainer-command"];
    if (typeof command !== "string" || command.trim() === "")
      usage("--trainer external needs --trainer-command");
    trainer = new ExternalTrainer({ command: command.trim().split(/\s+/) });
  } else usage("--trainer must be builtin or external");

  const blobsArg = str("blobs");
  const blobs: BlobStore = /^https?:\/\//.test(blobsArg)
    ? new HttpBlobStore(blobsArg)
    : new LocalFolderBlobStore(blobsArg);
  useNodeCrypto();
  const config = slmConfigByName(spec.baseModel.name);
  if (!config) usage(`unknown base model ${spec.baseModel.name}`);
  const baseModel = await loadOrBuildBaseModel(config, {
    onProgress: (line) => emit({ stage: "base-model", msg: line }),
  });
  const circuitDir = values["no-prove"]
    ? undefined
    : ((values.circuit as string | undefined) ?? defaultCircuitDir(spec.training.params));
  const circuit =
    circuitDir === undefined
      ? undefined
      : {
          wasm: path.join(circuitDir, `${path.basename(circuitDir)}.wasm`),
          zkey: path.join(circuitDir, `${path.basename(circuitDir)}.zkey`),
        };
  if (circuit && (!existsSync(circuit.wasm) || !existsSync(circuit.zkey)))
    usage(`the circuit ${circuitDir} is not built (run npm run circuits:build)`);

  const client = createPublicClient({ transport: http(str("rpc")) });
  const out = str("out");
  try {
    const bundle = await runJob({
      spec,
      market: viemMarketReader(client, spec.market),
      evidenceSource: createEvidenceSource(str("tee")),
      blobs,
      trainer,
      baseModel,
      circuit,
      publishAttestation: (request) => writeJsonAtomic(path.join(out, "attestation.json"), request),
      waitForDelivery: () => waitForFile(str("delivery"), timeoutMs),
      bundlePath: path.join(out, "bundle.json"),
      log: emit,
      attestationTimeoutMs: timeoutMs,
    });
    return bundle.status === "ok" ? 0 : 1;
  } finally {
    await trainer.close();
    // snarkjs keeps its BN254 worker threads alive after proving; end them so the process exits.
    if (circuit) await (await snarkjs.curves.getCurveFromName("bn128")).terminate();
  }
}

const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === "--help" || command === "help") {
  process.stdout.write(`${HELP}\n`);
  process.exit(command === undefined ? 2 : 0);
}
if (command !== "run") usage(`unknown command ${command}`);
try {
  process.exitCode = await run(rest);
} catch (e) {
  // Only bad usage (a malformed spec) ends here; a run's failures are in its bundle.
  process.stderr.write(`enclave-runner: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
}
