// Completes the ownership handover of a production deployment (the BlindTraining module): once the
// timelock's delay has passed, executes the scheduled batch in which the timelock accepts ownership
// of every governed contract and makes the governance account its proposer. Anyone may run it.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { getAddress, isAddress } from "viem";
import { type Deployment, parseDeployment } from "../../sdk/deployments.ts";
import { BaseError } from "../../sdk/errors.ts";
import { OperationState } from "../../sdk/timelock.ts";

const USAGE = `Usage: npx node scripts/governance/accept-ownership.ts --network <name> [options]

Completes the ownership handover of a production deployment (ignition/modules/BlindTraining.ts):
the module started transferOwnership(timelock) on JobMarket, ProviderRegistry, EnclaveRegistry,
IntelQuoteVerifier and AttestationStatementVerifier and scheduled one timelock batch of their
acceptOwnership() plus the grant of the timelock's proposer and canceller roles to the governance
account. Once the timelock's delay has passed, this executes that batch (executors are open: any
account may run it) and checks that the timelock owns every contract. Before that it prints when the
batch becomes ready.

Options:
  --network <name>        Hardhat network (hardhat.config.ts), e.g. remote or localhost (required)
  --deployment <file>     deployment file (default deployments/<chainId>.json)
  --governance <address>  the governance account the batch names (default: read from the
                          CallScheduled events before the deployment's deployBlock)
  --lookback <blocks>     blocks searched before deployBlock for those events (default 1000)
  --status                only print the state, execute nothing
  -h, --help              this text

Exit code: 0 done (executed now or before), 2 not ready yet, 1 error.`;

const { values } = parseArgs({
  options: {
    network: { type: "string" },
    deployment: { type: "string" },
    governance: { type: "string" },
    lookback: { type: "string" },
    status: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

try {
  process.exit(await main());
} catch (e) {
  console.error(`accept-ownership: ${e instanceof BaseError ? e.message : e instanceof Error ? e.stack : e}`);
  process.exit(1);
}

async function main(): Promise<number> {
  if (!values.network) throw new BaseError("--network is required", { details: USAGE });
  if (values.governance !== undefined && !isAddress(values.governance))
    throw new BaseError(`--governance ${values.governance} is not an address`);
  // Loaded here so that --help and argument errors answer at once.
  const { network } = await import("hardhat");
  const { readDeployment } = await import("../../sdk/deployments.node.ts");
  const { executeOwnershipHandover, findOwnershipHandover } = await import("./timelock.ts");
  const connection = await network.create(values.network);
  const publicClient = await connection.viem.getPublicClient();
  const chainId = await publicClient.getChainId();
  const deployment: Deployment = values.deployment
    ? parseDeployment(JSON.parse(readFileSync(values.deployment, "utf8")), values.deployment)
    : readDeployment(chainId);
  if (deployment.chainId !== chainId)
    throw new BaseError(`the deployment is for chain ${deployment.chainId}, the network is chain ${chainId}`);

  const handover = await findOwnershipHandover(publicClient, deployment, {
    governance: values.governance === undefined ? undefined : getAddress(values.governance),
    lookback: values.lookback === undefined ? undefined : BigInt(values.lookback),
  });
  const now = (await publicClient.getBlock()).timestamp;
  console.log(`timelock    ${handover.timelock}`);
  console.log(`governance  ${handover.governance} (proposer and canceller once the batch ran)`);
  console.log(`batch       ${handover.id}`);
  for (const c of handover.contracts)
    console.log(`  ${c.name.padEnd(29)} owner ${c.owner}  pending ${c.pendingOwner}`);

  if (handover.state === OperationState.Done) {
    console.log("state       executed: the timelock owns every governed contract");
    return 0;
  }
  if (handover.state === OperationState.Waiting) {
    const left = Number(handover.readyAt - now);
    console.log(
      `state       waiting: ready at ${new Date(Number(handover.readyAt) * 1000).toISOString()} ` +
        `(in ${Math.floor(left / 3600)} h ${Math.floor((left % 3600) / 60)} min of chain time)`,
    );
    return 2;
  }
  console.log("state       ready");
  if (values.status) return 0;
  const [executor] = await connection.viem.getWalletClients();
  if (!executor) throw new BaseError(`network ${values.network} has no account to send from`);
  const receipt = await executeOwnershipHandover(publicClient, executor, deployment, handover);
  console.log(
    `executed in ${receipt.transactionHash} (block ${receipt.blockNumber}, gas ${receipt.gasUsed}): ` +
      `the timelock owns every governed contract; governance ${handover.governance} proposes from now on`,
  );
  return 0;
}
