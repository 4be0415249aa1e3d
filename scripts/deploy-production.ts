// Production deployment on any EVM chain with the P-256 precompile: builds (or reuses) the training
// circuit from a public powers-of-tau file, deploys its Groth16 training verifier, then the
// BlindTraining module with it (first market config, TimelockController governance, ownership
// handover scheduled), and writes deployments/<chainId>.json.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { isAddress } from "viem";
import { BaseError } from "../sdk/errors.ts";
import type { BlindTrainingParameters } from "./governance/production.ts";

const LOCAL_CHAIN_IDS = [31337, 1337];

const USAGE = `Usage: npx node scripts/deploy-production.ts --network <name> [options]

Deploys the production system (run \`npm run build\` first):
  1. builds the training circuit, or reuses it when its manifest matches, from the public
     powers-of-tau file PTAU_FILE (required outside local chains: the cached development one has a
     known secret, with which anyone could forge training proofs);
  2. deploys its Groth16 training verifier (ignition/modules/TrainingVerifier.ts);
  3. deploys ignition/modules/BlindTraining.ts with it as the first config's training verifier: the
     market, the registries, the attestation verifiers and an OpenZeppelin TimelockController to
     which ownership is handed over (accepted after the delay with
     scripts/governance/accept-ownership.ts);
  4. writes the addresses to deployments/<chainId>.json.
Ignition journals the deployment in ignition/deployments/chain-<chainId>: an interrupted run resumes.

Options:
  --network <name>        Hardhat network (hardhat.config.ts), e.g. remote (required)
  --circuit <name>        main of circuits/params.json (default segment_demo)
  --parameters <file>     Ignition parameters of BlindTraining as JSON, e.g.
                          {"governance":"0x…","timelockDelay":172800,"stakeToken":"0x…"}
                          (big integers as strings ending in n: "100000000000000n")
  -h, --help              this text

Environment: PTAU_FILE (a *_final.ptau of a public ceremony, power ≥ the circuit's).`;

const { values } = parseArgs({
  options: {
    network: { type: "string" },
    circuit: { type: "string", default: "segment_demo" },
    parameters: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

try {
  await main();
  process.exit(0);
} catch (e) {
  console.error(
    `deploy-production: ${e instanceof BaseError ? e.message : e instanceof Error ? e.stack : e}`,
  );
  process.exit(1);
}

async function main(): Promise<void> {
  if (!values.network) throw new BaseError("--network is required", { details: USAGE });
  const parameters = values.parameters === undefined ? {} : readParameters(values.parameters);
  if ("trainingVerifier" in parameters)
    throw new BaseError("trainingVerifier is deployed by this script; remove it from --parameters");
  const governance = parameters.governance;
  if (
    governance !== undefined &&
    (typeof governance !== "string" || !isAddress(governance) || /^0x0+$/.test(governance))
  )
    throw new BaseError(`governance must be a non-zero address, got ${String(governance)}`);

  // Loaded here so that --help and argument errors answer at once.
  const { network } = await import("hardhat");
  const { writeDeployment } = await import("../sdk/deployments.node.ts");
  const { deployBlindTraining } = await import("./governance/production.ts");
  const { buildTrainingCircuit, deployTrainingVerifier } = await import("./lib/deploy.ts");
  const connection = await network.create(values.network);
  const publicClient = await connection.viem.getPublicClient();
  const chainId = await publicClient.getChainId();
  const local = LOCAL_CHAIN_IDS.includes(chainId);
  if (!local && !process.env.PTAU_FILE)
    throw new BaseError(
      `chain ${chainId} is not a local chain: set PTAU_FILE to a public ceremony's powers of tau`,
      {
        details: "the cached development powers of tau has a known secret; proofs against it can be forged",
      },
    );

  const log = (line: string) => console.log(`deploy-production: ${line}`);
  const delay = parameters.timelockDelay;
  if (!local && delay !== undefined && BigInt(delay as number | bigint) < 86_400n)
    log(`warning: timelockDelay ${delay} s is under a day; providers get that long to react to a change`);
  const { circuit } = await buildTrainingCircuit(values.circuit, log);
  const manifest = JSON.parse(readFileSync(circuit.manifest, "utf8")) as {
    inputs: { ptau: { source: string; sha256: string } };
  };
  if (!local && manifest.inputs.ptau.source !== "PTAU_FILE")
    throw new BaseError(`${circuit.name} was not built from PTAU_FILE (${circuit.manifest})`);
  log(
    `circuit ${circuit.name} ${circuit.status}: ${circuit.constraints} constraints, ptau ${manifest.inputs.ptau.source} sha256 ${manifest.inputs.ptau.sha256}`,
  );

  const verifier = await deployTrainingVerifier(connection, circuit);
  log(`training verifier ${verifier.address}`);
  const deployment = await deployBlindTraining(
    connection,
    { ...parameters, trainingVerifier: verifier.address },
    { displayUi: true },
  );
  deployment.trainingCircuit = circuit.name;
  const file = writeDeployment(deployment);
  log(`BlindTraining deployed on chain ${chainId}; addresses written to ${file}`);
  console.log(JSON.stringify(deployment, null, 2));
  log(
    "the timelock accepts ownership once its delay has passed: " +
      `npx node scripts/governance/accept-ownership.ts --network ${values.network}`,
  );
}

/** Ignition parameters of BlindTraining from a JSON file (flat, or under a "BlindTraining" key). */
function readParameters(file: string): Partial<BlindTrainingParameters> {
  const parsed = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const flat = (parsed.BlindTraining ?? parsed) as Record<string, unknown>;
  const out: Record<string, bigint | number | string | boolean> = {};
  for (const [key, value] of Object.entries(flat)) {
    if (typeof value === "string" && /^\d+n$/.test(value)) out[key] = BigInt(value.slice(0, -1));
    else if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      out[key] = value;
    else throw new BaseError(`parameter ${key} in ${file} must be a string, number or boolean`);
  }
  return out;
}
