// The main job: the whole lifecycle that exists so far, on Hardhat's in-process chain, printed as a
// timeline with the gas of every transaction. It shows only stages that are really built.
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import { formatEther, keccak256, parseEther, toBytes, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { SimulatedTdxSource } from "../enclave-runner/attestation/simulated.ts";
import { DEV_ROOT_CA_SPKI_SHA256, verifyIntelQuote } from "../sdk/attestation/node.ts";
import {
  attestationBinding,
  encodeIntelEvidence,
  encodeTrainingProof,
  evaluate,
  FailureReason,
  flattenWeights,
  JobStatus,
  jobCommitments,
  jobMarketAbi,
  nameOf,
  proveRun,
  providerRegistryAbi,
  reportDataForBinding,
  SIMULATED_MEASUREMENT,
  segmentMacs,
  signCancelJob,
  TeeType,
  teeTypeSet,
} from "../sdk/index.ts";
import { buildTrainingCircuit, deployLocalDevnet, deployTrainingVerifier } from "./lib/deploy.ts";
import {
  buildJobTerms,
  confirm,
  newBuyerSecrets,
  newSimulatedEnclave,
  postJob,
  randomBytes32,
} from "./lib/market.ts";
import { syntheticTask } from "./lib/syntheticTask.ts";
import { Timeline } from "./lib/timeline.ts";

const connection = await network.create();
const { viem, networkHelpers } = connection;
const publicClient = await viem.getPublicClient();
const [deployer, providerA, providerB, funder, relayer] = await viem.getWalletClients();
if (!deployer || !providerA || !providerB || !funder || !relayer) throw new Error("demo: need 5 accounts");
const chainId = await publicClient.getChainId();
const short = (a: string) => `${a.slice(0, 8)}…${a.slice(-4)}`;

console.log("Blind Training — end-to-end demo on an in-process chain (Hardhat EDR, osaka)\n");

// 0. The training circuit: compiled, dev ceremony and Groth16 setup (cached in build/ after the first
//    run; the dev powers of tau is cached in ~/.cache/blind-training). DEMO_CIRCUIT picks another main.
const circuitName = process.env.DEMO_CIRCUIT ?? "segment_demo";
console.log(`Building the ${circuitName} training circuit (reused when unchanged)…`);
const { circuit, params: trainingParams } = await buildTrainingCircuit(circuitName, (line) =>
  console.log(`  ${line}`),
);
console.log("");
const timeline = new Timeline();

// 1. Deploy the system with the real Ignition module (LocalDevnet = core + Simulated TEE).
const deployment = await deployLocalDevnet(connection);
let deployGas = 0n;
for (let n = 1n; n <= BigInt(deployment.deployBlock); n++)
  deployGas += (await publicClient.getBlock({ blockNumber: n })).gasUsed;
timeline.info(
  "deploy (Ignition LocalDevnet)",
  "deployer",
  `${deployGas.toLocaleString("en-US")} gas in ${deployment.deployBlock} txs; JobMarket ${short(deployment.jobMarket)}, chain ${chainId}`,
);
const market = { address: deployment.jobMarket, abi: jobMarketAbi } as const;
const registry = { address: deployment.providerRegistry, abi: providerRegistryAbi } as const;

// 1b. The Groth16 training verifier of that circuit (Poseidon, generated verifier, segment chain).
const verifier = await deployTrainingVerifier(connection, deployment, circuit);
timeline.info(
  "deploy training verifier",
  "deployer",
  `${verifier.deployGas.toLocaleString("en-US")} gas; ${circuit.contractName} (${circuit.constraints.toLocaleString("en-US")} constraints) + Poseidon(4), Poseidon(6)`,
);
timeline.add({
  step: "setTrainingVerifier",
  actor: "deployer",
  gasUsed: verifier.setGas,
  note: `Groth16TrainingVerifier ${short(verifier.address)}`,
});

// 2. Two providers register (Simulated + TDX enclaves) and stake ETH.
for (const [name, p] of [
  ["provider A", providerA],
  ["provider B", providerB],
] as const) {
  const as = { account: p.account };
  const profile = {
    teeTypes: teeTypeSet([TeeType.Simulated, TeeType.Tdx]),
    hardwareClass: 3,
    metadataHash: randomBytes32(),
    endpointHash: randomBytes32(),
  };
  timeline.tx(
    "register",
    name,
    await confirm(
      publicClient,
      p.writeContract({ ...registry, functionName: "register", args: [profile], ...as }),
    ),
    "TEE types: Simulated, TDX",
  );
  timeline.tx(
    "stake 2 ETH",
    name,
    await confirm(
      publicClient,
      p.writeContract({ ...registry, functionName: "depositEth", value: parseEther("2"), ...as }),
    ),
  );
}

// 3. An anonymous buyer posts a job: a fresh owner key signs buyer actions, the refund address is
//    only committed to, and a throwaway funding account pays the escrow.
const now = BigInt(await networkHelpers.time.latest());
const buyer = newBuyerSecrets(privateKeyToAccount(generatePrivateKey()).address);
// The buyer's data (synthetic features until the enclave runner lands) fixes what the proof must
// show: C0 and hyper-parameters (specHash), the train and eval roots, and a 75 % accuracy threshold.
const run = { params: trainingParams, ...syntheticTask(trainingParams, 2), tau: 7_500 };
const commitments = await jobCommitments(run);
const terms = {
  ...buildJobTerms({ now, secrets: buyer, priceCeiling: parseEther("1") }),
  ...commitments,
};
const { jobId, receipt: posted } = await postJob(publicClient, funder, deployment, terms);
timeline.tx(
  "postJob (1 ETH escrow)",
  "buyer",
  posted,
  `job #${jobId}, owner key ${short(buyer.ownerKey.address)}, no buyer address stored; R_train ${short(commitments.datasetCommitment)}, τ = 75 %`,
);

// 4. Bidding: B bids 0.8, A undercuts with 0.6 (B's collateral is released).
for (const [name, p, price] of [
  ["provider B", providerB, "0.8"],
  ["provider A", providerA, "0.6"],
] as const) {
  timeline.tx(
    `placeBid ${price} ETH`,
    name,
    await confirm(
      publicClient,
      p.writeContract({
        ...market,
        functionName: "placeBid",
        args: [jobId, terms, parseEther(price)],
        account: p.account,
      }),
    ),
  );
}

// 5. The bid window ends; A's enclave attests. The Simulated TEE produces a TDX quote v4 in the real
//    layout, signed by the development chain: the same parser and verifiers as production run on it.
await networkHelpers.time.increaseTo(terms.bidDeadline);
const enclave = newSimulatedEnclave();
const binding = attestationBinding({
  chainId: BigInt(chainId),
  jobMarket: deployment.jobMarket,
  jobId,
  enclaveEncryptionKey: enclave.encryptionKey,
  enclaveSigner: enclave.signer.address,
});
const evidence = await new SimulatedTdxSource().getEvidence(reportDataForBinding(binding));
timeline.info(
  "enclave keys + evidence",
  "enclave",
  `X25519 ${short(enclave.encryptionKey)}, report data ${short(binding)}, ${evidence.evidence.length}-byte TDX quote`,
);
// The buyer's own check before sending data: full TypeScript verification of the quote (signatures,
// PCK chain to the pinned development root, QE binding, debug bit, report data = this job's binding).
const verified = verifyIntelQuote(evidence.evidence, {
  at: new Date(),
  pinnedRoots: [DEV_ROOT_CA_SPKI_SHA256],
  expectedReportData: reportDataForBinding(binding),
});
timeline.info(
  "quote verified (TypeScript)",
  "buyer",
  `measurement ${short(verified.measurement)}, PCK "${verified.pck.commonName}", chain to the pinned dev root`,
);
timeline.tx(
  "submitAttestation (+match)",
  "provider A",
  await confirm(
    publicClient,
    providerA.writeContract({
      ...market,
      functionName: "submitAttestation",
      args: [
        jobId,
        terms,
        TeeType.Simulated,
        enclave.encryptionKey,
        enclave.signer.address,
        encodeIntelEvidence(evidence.evidence, verified.pck.publicKey),
      ],
      account: providerA.account,
    }),
  ),
  "on-chain: quote + QE report ECDSA-P256 (precompile 0x100), key binding, QE identity, report data = binding, measurement allow-listed",
);

// 5b. Inside the enclave: fine-tune the adapter with the fixed-point trainer the circuit mirrors,
//     prove every segment for this job and provider, and submit. (Data delivery in encrypted
//     envelopes comes with the enclave runner; this run trains on the buyer's synthetic rows.)
const before = evaluate(run.initialWeights, run.evalRows, trainingParams);
const proveStart = performance.now();
const proven = await proveRun(
  run,
  { chainId: BigInt(chainId), market: deployment.jobMarket, jobId, provider: providerA.account.address },
  circuit,
);
const lastSegment = proven.segments.at(-1);
if (!lastSegment) throw new Error("demo: no segment proven");
const macs = segmentMacs(trainingParams) * trainingParams.segments;
timeline.info(
  "train adapter (fixed point)",
  "enclave",
  `${trainingParams.segments * trainingParams.steps} SGD steps, ${macs.toLocaleString("en-US")} MACs; eval accuracy ${before.correct}/${before.total} → ${lastSegment.metric.correct}/${lastSegment.metric.total}`,
);
timeline.info(
  "prove (Groth16)",
  "enclave",
  `${proven.proofs.length} segment(s), ${circuit.constraints.toLocaleString("en-US")} constraints each, ${((performance.now() - proveStart) / 1000).toFixed(1)} s (witness + proof)`,
);
const modelCommitment = toHex(lastSegment.cOut, { size: 32 });
// Until the enclave runner encrypts the adapter to the buyer, this stands for the ciphertext hash.
const adapterHash = keccak256(toBytes(JSON.stringify(flattenWeights(lastSegment.outputWeights).map(String))));
timeline.tx(
  "submitResult (+payout)",
  "provider A",
  await confirm(
    publicClient,
    providerA.writeContract({
      ...market,
      functionName: "submitResult",
      args: [
        jobId,
        terms,
        modelCommitment,
        adapterHash,
        encodeTrainingProof(proven.commitments, proven.proofs),
      ],
      account: providerA.account,
    }),
  ),
  `checked on-chain: Groth16 proof(s) for C0 → C_K ${short(modelCommitment)}, bound to job, provider, chain; accuracy ≥ τ`,
);
timeline.tx(
  "claimRefund (unused ceiling)",
  "relayer",
  await confirm(
    publicClient,
    relayer.writeContract({
      ...market,
      functionName: "claimRefund",
      args: [jobId, terms, buyer.refundTo, buyer.salt],
      account: relayer.account,
    }),
  ),
  "0.4 ETH back to the buyer's committed refund address",
);

// 6. A second job shows the way out when a provider walks away: B wins, never attests, is slashed.
const buyer2 = newBuyerSecrets(privateKeyToAccount(generatePrivateKey()).address);
const terms2 = buildJobTerms({
  now: BigInt(await networkHelpers.time.latest()),
  secrets: buyer2,
  priceCeiling: parseEther("0.5"),
});
const { jobId: jobId2, receipt: posted2 } = await postJob(publicClient, funder, deployment, terms2);
timeline.tx("postJob (0.5 ETH escrow)", "buyer 2", posted2, `job #${jobId2}`);
timeline.tx(
  "placeBid 0.5 ETH",
  "provider B",
  await confirm(
    publicClient,
    providerB.writeContract({
      ...market,
      functionName: "placeBid",
      args: [jobId2, terms2, parseEther("0.5")],
      account: providerB.account,
    }),
  ),
);
await networkHelpers.time.increaseTo(terms2.attestDeadline + 1n);
const enforced = await confirm(
  publicClient,
  relayer.writeContract({
    ...market,
    functionName: "enforceDeadline",
    args: [jobId2, terms2],
    account: relayer.account,
  }),
);
timeline.tx(
  "enforceDeadline",
  "anyone",
  enforced,
  `attestation deadline missed → ${nameOf(FailureReason, 1)}`,
);
const refund2 = await publicClient.readContract({
  ...market,
  functionName: "refundableOf",
  args: [jobId2, terms2],
});
timeline.tx(
  "claimRefund",
  "relayer",
  await confirm(
    publicClient,
    relayer.writeContract({
      ...market,
      functionName: "claimRefund",
      args: [jobId2, terms2, buyer2.refundTo, buyer2.salt],
      account: relayer.account,
    }),
  ),
  `${formatEther(refund2)} ETH (escrow + 70% of B's slashed collateral) to the committed refund address`,
);

// 7. A third job is cancelled by the owner key, relayed by someone else (EIP-712, nonce 0).
const buyer3 = newBuyerSecrets(privateKeyToAccount(generatePrivateKey()).address);
const terms3 = buildJobTerms({
  now: BigInt(await networkHelpers.time.latest()),
  secrets: buyer3,
  priceCeiling: parseEther("0.2"),
});
const { jobId: jobId3, receipt: posted3 } = await postJob(publicClient, funder, deployment, terms3);
timeline.tx("postJob (0.2 ETH escrow)", "buyer 3", posted3, `job #${jobId3}`);
const sigDeadline = terms3.bidDeadline;
const signature = await signCancelJob({
  ownerKey: buyer3.ownerKey,
  chainId,
  jobMarket: deployment.jobMarket,
  jobId: jobId3,
  nonce: 0n,
  deadline: sigDeadline,
});
timeline.tx(
  "cancelJob (owner-key sig)",
  "relayer",
  await confirm(
    publicClient,
    relayer.writeContract({
      ...market,
      functionName: "cancelJob",
      args: [jobId3, terms3, 0n, sigDeadline, signature],
      account: relayer.account,
    }),
  ),
  "signed off-chain by the job's owner key, relayed by a third party",
);

// 8. Where everything stands.
console.log("\nState on chain now:");
for (const id of [jobId, jobId2, jobId3]) {
  const status = await publicClient.readContract({ ...market, functionName: "statusOf", args: [id] });
  const job = await publicClient.readContract({ ...market, functionName: "getJob", args: [id] });
  console.log(
    `  job #${id}: ${nameOf(JobStatus, status)}${job.provider !== "0x0000000000000000000000000000000000000000" ? `, provider ${short(job.provider)}, price ${formatEther(job.price)} ETH, collateral ${formatEther(job.collateral)} ETH` : ""}`,
  );
}
for (const [name, p] of [
  ["provider A", providerA],
  ["provider B", providerB],
] as const) {
  const s = await publicClient.readContract({
    ...registry,
    functionName: "stakeOf",
    args: [p.account.address, "0x0000000000000000000000000000000000000000"],
  });
  console.log(`  ${name}: free ${formatEther(s.free)} ETH, locked ${formatEther(s.locked)} ETH`);
}
const treasury = await publicClient.readContract({
  ...registry,
  functionName: "treasuryAccrued",
  args: ["0x0000000000000000000000000000000000000000"],
});
console.log(`  treasury accrued: ${formatEther(treasury)} ETH`);
console.log(`  simulated measurement allow-listed: ${short(SIMULATED_MEASUREMENT)}`);
console.log(
  `\nTotal gas of the ${timeline.steps.filter((s) => s.gasUsed !== undefined).length} transactions: ${timeline.totalGas().toLocaleString("en-US")}`,
);
console.log(
  `\nJob #${jobId} is Completed: the provider was paid only after the contracts checked the enclave's\n` +
    "attestation and a Groth16 proof of the training. The Simulated TEE's quote went through the same\n" +
    "TDX parser and verifiers as hardware quotes (real TDX, SGX and SEV-SNP evidence is verified in the\n" +
    "tests). Not built yet, so not shown: encrypted data delivery and the small language model\n" +
    "(enclave runner), multi-party aggregation under threshold Paillier.",
);
// snarkjs keeps its BN254 worker threads alive; end them so the process exits.
await (await snarkjs.curves.getCurveFromName("bn128")).terminate();
