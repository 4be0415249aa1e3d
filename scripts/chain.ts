// npm run chain: a persistent local Hardhat node on 127.0.0.1:8545 with the whole system deployed
// and its addresses written to deployments/31337.json. Runs until interrupted (Ctrl-C).
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

const HOST = "127.0.0.1";
const PORT = Number(process.env.CHAIN_PORT ?? 8545);
const RPC = `http://${HOST}:${PORT}`;
const root = join(import.meta.dirname, "..");
const hardhat = join(root, "node_modules", "hardhat", "dist", "src", "cli.js");

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(`Usage: npm run chain

Starts a Hardhat node on ${RPC} (chain id 31337, hardfork osaka), deploys the LocalDevnet Ignition
module (market, registries, dev stake token, Simulated TEE enabled) and writes the addresses to
deployments/31337.json for the SDK, the provider node and the dApp. Stop it with Ctrl-C.
It also builds (or reuses) the training circuit and deploys its Groth16 training verifier.
Environment: CHAIN_PORT (default 8545), CHAIN_CIRCUIT (circuits/params.json main, default
segment_demo), PTAU_FILE (a public powers-of-tau file instead of the cached dev one).`);
  process.exit(0);
}

async function rpcAnswers(): Promise<boolean> {
  try {
    const res = await fetch(RPC, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    return res.ok;
  } catch {
    return false;
  }
}

function run(args: string[], stdio: "inherit" | "pipe"): ChildProcess {
  return spawn(process.execPath, [hardhat, ...args], { cwd: root, stdio: ["ignore", stdio, "inherit"] });
}

if (await rpcAnswers()) {
  console.error(`chain: something already answers on ${RPC}; stop it or set CHAIN_PORT to another port`);
  process.exit(1);
}

const node = run(["node", "--hostname", HOST, "--port", String(PORT)], "pipe");
let nodeLog = "";
node.stdout?.on("data", (chunk: Buffer) => {
  // Keep the node's account listing out of the terminal until deployment is done; show requests after.
  if (deployed) process.stdout.write(chunk);
  else nodeLog += chunk.toString();
});
let deployed = false;
const stop = (code: number) => {
  node.kill("SIGTERM");
  process.exit(code);
};
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
node.on("exit", (code) => {
  console.error(`chain: the Hardhat node exited (code ${code})`);
  if (!deployed) console.error(nodeLog);
  process.exit(code ?? 1);
});

const started = Date.now();
while (!(await rpcAnswers())) {
  if (Date.now() - started > 60_000) {
    console.error("chain: the Hardhat node did not answer within 60 s");
    stop(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}
console.log(`chain: Hardhat node up on ${RPC}; deploying…`);
// The `localhost` network of hardhat.config.ts is port 8545; CHAIN_RPC points the deployment at ours.
const deploy = spawn(
  process.execPath,
  [hardhat, "run", "--network", "localhost", "scripts/deploy-local.ts"],
  {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, CHAIN_RPC: RPC },
  },
);
const deployCode = await new Promise<number | null>((resolve) => deploy.on("exit", resolve));
if (deployCode !== 0) {
  console.error("chain: deployment failed");
  stop(1);
}
deployed = true;
console.log(`chain: ready on ${RPC} (Ctrl-C to stop)`);
