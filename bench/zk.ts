// npm run bench:zk: size, witness and proving time and on-chain verification gas of the training
// circuit, for the small test main and the default demo main, in one run. Writes bench/results/zk.json.
//
// Baseline (issue 3): the EIP-1108 pairing floor of a Groth16 check, 181,150 + 6,150 × public inputs
// gas; `verify_gas_ratio` = execution gas of the generated verifier's `verifyProof` / that floor.
// Usage: npm run bench:zk (all mains), or ZK_BENCH_ONLY=segment_test npm run bench:zk
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import { encodeFunctionData, type Hex, toBytes } from "viem";
import { buildCircuits, defaultPtauCacheDir } from "../scripts/circuits/pipeline.ts";
import { deployGroth16Dependencies } from "../scripts/circuits/verifierDeploy.ts";
import { syntheticTask, trainingParamsOf } from "../scripts/lib/syntheticTask.ts";
import { formatTable } from "../scripts/lib/timeline.ts";
import { proofWords, segmentInputs, segmentMacs, trainingContext } from "../sdk/index.ts";

// `hardhat run` passes no script arguments, so the selection comes from the environment.
const only = process.env.ZK_BENCH_ONLY?.split(",").filter((n) => n !== "");

const root = join(import.meta.dirname, "..");
const paramsFile = join(root, "circuits", "params.json");
const entries = JSON.parse(readFileSync(paramsFile, "utf8")) as {
  name: string;
  params: Record<string, number>;
}[];
const selected = entries.filter((e) => !only || only.includes(e.name));
if (selected.length === 0) throw new Error(`bench:zk: no circuit named ${only?.join(", ")} in ${paramsFile}`);

const floorOf = (publicInputs: number) => 181_150 + 6_150 * publicInputs;
/** Calldata gas of EIP-2028 (16 per non-zero byte, 4 per zero byte). */
const calldataGas = (data: Hex) => toBytes(data).reduce((sum, b) => sum + (b === 0 ? 4 : 16), 0);

const connection = await network.create();
const publicClient = await connection.viem.getPublicClient();
const [wallet] = await connection.viem.getWalletClients();
if (!wallet) throw new Error("bench:zk: no account");

const results: Record<string, Record<string, number>> = {};
const rows: string[][] = [];
for (const entry of selected) {
  console.log(`\n[${entry.name}] building (reused when unchanged; the first dev ceremony can take minutes)…`);
  const [circuit] = await buildCircuits({
    root,
    paramsFile,
    outDir: join(root, "build", "circuits"),
    contractsDir: join(root, "contracts", "generated"),
    only: [entry.name],
    ptauCacheDir: defaultPtauCacheDir(),
    ptauFile: process.env.PTAU_FILE,
    log: (line) => console.log(`  ${line}`),
  });
  if (!circuit) throw new Error(`bench:zk: ${entry.name} did not build`);
  const params = trainingParamsOf(entry.params);
  const task = syntheticTask(params);
  const binding = {
    chainId: 31337n,
    market: wallet.account.address,
    jobId: 1n,
    provider: wallet.account.address,
  };
  const [segment] = await segmentInputs({ params, ...task, tau: 0 }, trainingContext(binding));
  if (!segment) throw new Error("no segment");

  // Witness and proof separately, best of three (the machine is noisy; the minimum is the cost).
  let witnessMs = Infinity;
  let proveMs = Infinity;
  let proof: snarkjs.Groth16Proof | undefined;
  let publicSignals: string[] = [];
  for (let i = 0; i < 3; i++) {
    const wtns: snarkjs.WtnsMem = { type: "mem" };
    let t = performance.now();
    await snarkjs.wtns.calculate(segment.input, circuit.wasm, wtns);
    witnessMs = Math.min(witnessMs, performance.now() - t);
    t = performance.now();
    const out = await snarkjs.groth16.prove(circuit.zkey, wtns);
    proveMs = Math.min(proveMs, performance.now() - t);
    proof = out.proof;
    publicSignals = out.publicSignals;
  }
  if (!proof) throw new Error("no proof");
  if (BigInt(publicSignals[0] ?? -1) !== segment.publicHash)
    throw new Error("public signal differs from the reference");

  const { segmentVerifier } = await deployGroth16Dependencies(publicClient, wallet, circuit);
  const w = await proofWords(proof, publicSignals);
  const verifyAbi = [
    {
      type: "function",
      name: "verifyProof",
      stateMutability: "view",
      inputs: [
        { name: "a", type: "uint256[2]" },
        { name: "b", type: "uint256[2][2]" },
        { name: "c", type: "uint256[2]" },
        { name: "pub", type: "uint256[1]" },
      ],
      outputs: [{ name: "", type: "bool" }],
    },
  ] as const;
  const callArgs = [
    [w[0], w[1]],
    [
      [w[2], w[3]],
      [w[4], w[5]],
    ],
    [w[6], w[7]],
    [segment.publicHash],
  ] as const;
  const ok = await publicClient.readContract({
    address: segmentVerifier,
    abi: verifyAbi,
    functionName: "verifyProof",
    args: callArgs,
  });
  if (!ok) throw new Error("the generated verifier rejected a valid proof");
  const data = encodeFunctionData({ abi: verifyAbi, functionName: "verifyProof", args: callArgs });
  const txGas = await publicClient.estimateGas({ account: wallet.account, to: segmentVerifier, data });
  const verifyGas = Number(txGas) - 21_000 - calldataGas(data);
  const floor = floorOf(circuit.nPublic);
  const macs = segmentMacs(params);
  results[entry.name] = {
    constraints: circuit.constraints,
    macs,
    constraints_per_mac: Number((circuit.constraints / macs).toFixed(3)),
    witness_ms: Math.round(witnessMs),
    prove_ms: Math.round(proveMs),
    verify_gas: verifyGas,
    verify_gas_floor: floor,
    verify_gas_ratio: Number((verifyGas / floor).toFixed(4)),
    public_inputs: circuit.nPublic,
  };
  rows.push([
    entry.name,
    circuit.constraints.toLocaleString("en-US"),
    macs.toLocaleString("en-US"),
    (circuit.constraints / macs).toFixed(2),
    Math.round(witnessMs).toLocaleString("en-US"),
    Math.round(proveMs).toLocaleString("en-US"),
    verifyGas.toLocaleString("en-US"),
    floor.toLocaleString("en-US"),
    (verifyGas / floor).toFixed(3),
  ]);
}

console.log("\nTraining proof (Groth16, BN254; one segment; best of 3 for times)\n");
console.log(
  formatTable(
    ["circuit", "constraints", "MACs", "c/MAC", "witness ms", "prove ms", "verify gas", "floor", "ratio"],
    rows,
  ),
);
console.log(
  "\nverify gas = execution gas of the generated verifier's verifyProof (tx gas − 21,000 − calldata);" +
    "\nfloor = 181,150 + 6,150 × public inputs (EIP-1108). Target ratio ≤ 1.10; demo prove ≤ 60 s.",
);
const out = join(import.meta.dirname, "results", "zk.json");
mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
writeFileSync(
  `${out}.tmp`,
  `${JSON.stringify({ ...results, _meta: { measured_at: new Date().toISOString(), cores: (await import("node:os")).availableParallelism() } }, null, 2)}\n`,
);
renameSync(`${out}.tmp`, out);
console.log(`\nwrote ${out}`);
// snarkjs keeps its BN254 worker threads alive; end them so the process exits.
await (await snarkjs.curves.getCurveFromName("bn128")).terminate();
