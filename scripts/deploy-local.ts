// Deploys the LocalDevnet module to the network Hardhat was started with (`--network localhost`)
// and writes deployments/<chainId>.json, where the SDK's readDeployment finds it.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { network } from "hardhat";
import { writeDeployment } from "../sdk/deployments.node.ts";
import { buildTrainingCircuit, deployLocalDevnet, deployTrainingVerifier } from "./lib/deploy.ts";

// CHAIN_RPC (set by scripts/chain.ts) overrides the network's URL, e.g. for CHAIN_PORT.
const rpc = process.env.CHAIN_RPC;
const connection =
  rpc === undefined ? await network.create() : await network.create({ override: { url: rpc } });
const chainId = await (await connection.viem.getPublicClient()).getChainId();
if (chainId !== 31337 && chainId !== 1337) {
  throw new Error(
    `deploy-local: chain ${chainId} is not a local chain; deploy with scripts/deploy-production.ts (--help)`,
  );
}
// A freshly started node has none of the contracts an earlier Ignition journal recorded.
rmSync(join(import.meta.dirname, "..", "ignition", "deployments", `chain-${chainId}`), {
  recursive: true,
  force: true,
});
// The market settles only with the training verifier; CHAIN_CIRCUIT picks the circuit (default the
// demo's), built or reused like in `npm run demo`.
const circuitName = process.env.CHAIN_CIRCUIT ?? "segment_demo";
const { circuit } = await buildTrainingCircuit(circuitName, (line) => console.log(`deploy-local: ${line}`));
const verifier = await deployTrainingVerifier(connection, circuit);
const deployment = await deployLocalDevnet(connection, { trainingVerifier: verifier.address });
deployment.trainingCircuit = circuitName;
const file = writeDeployment(deployment);
console.log(`deploy-local: LocalDevnet deployed on chain ${chainId}; addresses written to ${file}`);
console.log(JSON.stringify(deployment, null, 2));
