#!/usr/bin/env node
// `enclave-runner`: the program inside the confidential VM. `run` takes one job from attestation to
// the evidence bundle (runner/pipeline.ts). Logs are JSON lines on stdout; they never carry data,
// keys or weights. Exit codes: 0 the run succeeded (a result to submit), 1 it failed (the bundle
// says why), 2 bad usage, 3 the buyer's data makes the job impossible (a signed failure statement to
// submit).
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
import { loadOrBuildBaseModel } from "./model/index.ts";
import { slmConfigByName } from "./runner/baseModels.ts";
import { writeJsonAtomic } from "./runner/bundle.ts";
import { parseJobSpec } from "./runner/jobSpec.ts";
import { viemMarketReader } from "./runner/market.ts";
import { type RunnerEvent, runJob } from "./runner/pipeline.ts";
import type { TrainerBackend } from "./trainer/backend.ts";
import { BuiltinTrainer } from "./trainer/builtin.ts";
import { ExternalTrainer } from "./trainer/external.ts";

const ROOT = path.join(import.meta.dirname, "..");

const HELP = `Usage: enclave-runner run --job <id> --spec <file> --rpc <url> --blobs <dir|url> --out <dir> [options]

Runs one training job inside the enclave: creates fresh keys, obtains attestation evidence
binding them to the job, writes <out>/attestation.json for the provider node to submit, waits
until the market accepts it, waits until the buyer's owner key records its delivery on chain
(DataDelivery: the training and eval blobs' SHA-256 and sizes), fetches exactly those blobs,
decrypts them in memory, trains, checks, evaluates, encrypts the adapter to the buyer, proves,
signs the result and writes the signed evidence bundle <out>/bundle.json, whose submitResult is
JobMarket.submitResult's Result (thresholdMet false is the BelowThreshold outcome, not a failure).
When the buyer's data makes the job impossible (not matching the posted commitments, undecryptable
or unparsable, out of the fixed-point range), it also writes <out>/failure.json: the enclave's
signed statement for JobMarket.submitFailure (the job ends BuyerDefaulted, the provider is paid
the cancellation fee and its collateral released).

Required:
  --job <id>              the on-chain job id (must equal the spec's)
  --spec <file>           the job spec (JSON, see enclave-runner/README.md)
  --rpc <url>             JSON-RPC endpoint of the chain the market is on
  --blobs <dir|url>       blob store: a local folder or an http(s) URL of a blob server
  --out <dir>             where attestation.json, bundle.json (and failure.json) are written

Options:
  --tee <kind>            ${TEE_CHOICES.join(" | ")} (default simulated)
  --trainer <kind>        builtin | external (default builtin)
  --trainer-command <cmd> the external backend's command line (with --trainer external; split on
                          spaces, no shell quoting), speaking enclave-runner/trainer/PROTOCOL.md
  --workers <n>           feature-extraction threads of the builtin trainer (default: all cores)
  --circuit <dir>         training circuit folder with <name>.wasm and <name>.zkey
                          (default: build/circuits/<the circuit whose parameters the spec uses>)
  --no-prove              stop after encrypting the adapter (no proof)
  --timeout <seconds>     wait at most this long for the attestation and the delivery record
                          (default 600; the job's data deadline ends the wait for the record too)
  --from-block <n>        first block searched for the DeliveryRecorded event (default 0)
  --help                  this text

Exit codes: 0 success (submit bundle.json's submitResult), 1 the run failed (see bundle.json),
2 bad usage, 3 the buyer's data makes the job impossible (submit failure.json with submitFailure).`;

/** Exit code of a run that ends with a signed failure statement (the buyer's side). */
const EXIT_BUYER_FAULT = 3;

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
        "from-block": { type: "string" },
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
  for (const required of ["job", "spec", "rpc", "blobs", "out"])
    if (typeof values[required] !== "string") usage(`--${required} is required`);
  const str = (k: string) => values[k] as string;
  if (!/^[0-9]+$/.test(str("job"))) usage("--job must be a decimal job id");
  const timeoutMs = Number(str("timeout")) * 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) usage("--timeout must be a positive number of seconds");
  const fromBlock = values["from-block"];
  if (fromBlock !== undefined && !/^[0-9]+$/.test(String(fromBlock)))
    usage("--from-block must be a decimal block number");
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
      market: viemMarketReader(client, spec.market, {
        fromBlock: fromBlock === undefined ? undefined : BigInt(String(fromBlock)),
      }),
      evidenceSource: createEvidenceSource(str("tee")),
      blobs,
      trainer,
      baseModel,
      circuit,
      publishAttestation: (request) => writeJsonAtomic(path.join(out, "attestation.json"), request),
      bundlePath: path.join(out, "bundle.json"),
      failurePath: path.join(out, "failure.json"),
      log: emit,
      attestationTimeoutMs: timeoutMs,
      deliveryTimeoutMs: timeoutMs,
    });
    if (bundle.status === "ok") return 0;
    const error = bundle.error;
    if (bundle.submitFailure !== undefined) {
      process.stderr.write(
        `enclave-runner: job ${spec.jobId} cannot succeed because of the buyer's data (${bundle.submitFailure.reasonName}: ${error?.message ?? "see bundle.json"}).\n` +
          `The enclave signed a failure statement over the recorded delivery ${bundle.submitFailure.statement.dataHash}: ` +
          `submit ${path.join(out, "failure.json")} with JobMarket.submitFailure (the job ends BuyerDefaulted: the cancellation fee is paid, the collateral released).\n`,
      );
      return EXIT_BUYER_FAULT;
    }
    process.stderr.write(
      `enclave-runner: the run failed at ${error?.stage ?? "?"} (${error?.code ?? "?"}): ${error?.message ?? "see bundle.json"}\n`,
    );
    return 1;
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
