// The main job: the whole lifecycle that exists so far, on Hardhat's in-process chain, printed as a
// timeline with the gas of every transaction and the outcome rule that settled each job
// (docs/OUTCOMES.md). It shows only stages that are really built.

import { x25519 } from "@noble/curves/ed25519.js";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import { bytesToHex, formatEther, hexToBytes, parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { SimulatedTdxSource } from "../enclave-runner/attestation/simulated.ts";
import {
  DEFAULT_SLM_CONFIG,
  Featurizer,
  loadOrBuildBaseModel,
  parameterCount,
} from "../enclave-runner/model/index.ts";
import {
  aggregateUpdates,
  combineShares,
  dealJobKey,
  shareAggregate,
  signCombinedResult,
  submitUpdate,
} from "../enclave-runner/multiparty/index.ts";
import { evaluateAdapter } from "../enclave-runner/runner/evaluation.ts";
import { viemMarketReader } from "../enclave-runner/runner/market.ts";
import { runJob } from "../enclave-runner/runner/pipeline.ts";
import { BuiltinTrainer } from "../enclave-runner/trainer/builtin.ts";
import { adapterDocument, decryptAdapter, encryptAdapter } from "../sdk/adapter.ts";
import { DEV_ROOT_CA_SPKI_SHA256, verifyIntelQuote } from "../sdk/attestation/node.ts";
import { type BlobId, MemoryBlobStore } from "../sdk/blobs/blobStore.ts";
import { generateRecipientKeyPair } from "../sdk/envelope/index.ts";
import { useNodeCrypto } from "../sdk/envelope/node.ts";
import {
  attestationBinding,
  FailureReason,
  hashMultiPartySpec,
  JobStatus,
  jobMarketAbi,
  nameOf,
  providerRegistryAbi,
  reportDataForBinding,
  SIMULATED_MEASUREMENT,
  signCancelJob,
  signTrainingResult,
  TeeType,
  teeTypeSet,
} from "../sdk/index.ts";
import {
  attestedEnclaveKey,
  buildJobSpec,
  deliverData,
  prepareBuyerTask,
  recordDataDelivery,
} from "./lib/buyer.ts";
import { buildTrainingCircuit, deployLocalDevnet, deployTrainingVerifier } from "./lib/deploy.ts";
import { intentRows } from "./lib/intentTask.ts";
import {
  buildJobTerms,
  confirm,
  newBuyerSecrets,
  newSimulatedEnclave,
  postJob,
  randomBytes32,
  simulatedAttestationArgs,
} from "./lib/market.ts";
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
/** The buyer's accuracy threshold in basis points (the proof shows eval accuracy ≥ τ). 30 %: four proven
 *  SGD steps on 32 rows (the segment_demo circuit) over 10 intents reach 6/16 on this eval set. */
const DEMO_TAU = Number(process.env.DEMO_TAU ?? 3_000);

// 1. The Groth16 training verifier of that circuit (Poseidon, generated verifier, segment chain),
//    then the system with the real Ignition module (LocalDevnet = core + Simulated TEE), whose first
//    market config pins that verifier: every job below is settled by config 1.
const verifier = await deployTrainingVerifier(connection, circuit);
timeline.info(
  "deploy training verifier",
  "deployer",
  `${verifier.deployGas.toLocaleString("en-US")} gas; FeatureBindingVerifier ${short(verifier.address)} (the enclave's raw → feature binding) over Groth16TrainingVerifier ${short(verifier.headVerifier)}: ${circuit.contractName} (${circuit.constraints.toLocaleString("en-US")} constraints) + Poseidon(4), Poseidon(6)`,
);
const verifierBlock = await publicClient.getBlockNumber();
const deployment = await deployLocalDevnet(connection, { trainingVerifier: verifier.address });
let deployGas = 0n;
for (let n = verifierBlock + 1n; n <= BigInt(deployment.deployBlock); n++)
  deployGas += (await publicClient.getBlock({ blockNumber: n })).gasUsed;
timeline.info(
  "deploy (Ignition LocalDevnet)",
  "deployer",
  `${deployGas.toLocaleString("en-US")} gas in ${BigInt(deployment.deployBlock) - verifierBlock} txs; JobMarket ${short(deployment.jobMarket)}, chain ${chainId}; config 1 pins the Groth16 verifier`,
);
const market = { address: deployment.jobMarket, abi: jobMarketAbi } as const;
const registry = { address: deployment.providerRegistry, abi: providerRegistryAbi } as const;
const config = await publicClient.readContract({ ...market, functionName: "configOf", args: [1] });
const bps = (v: bigint, share: number) => (v * BigInt(share)) / 10_000n;
const eth = (v: bigint) => `${formatEther(v)} ETH`;

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
//    only committed to, and a throwaway funding account pays the escrow. The buyer's private data:
//    requests an assistant agent receives, labelled with the action they ask for. Before posting,
//    the buyer only hashes its raw rows (salted Merkle roots); the enclave featurizes them.
console.log("Loading the base model (built deterministically from the TypeScript lib corpus on first use)…");
const model = await loadOrBuildBaseModel(DEFAULT_SLM_CONFIG, {
  onProgress: (line) => console.log(`  ${line}`),
});
console.log(
  `  ${model.config.name}: ${parameterCount(model.config).toLocaleString("en-US")} parameters, sha256 ${short(model.sha256)}; held-out ${model.report.heldOutBitsPerByte.toFixed(2)} bits/byte (unigram ${model.report.unigramBitsPerByte.toFixed(2)})\n`,
);
useNodeCrypto();
const buyer = newBuyerSecrets(privateKeyToAccount(generatePrivateKey()).address);
const buyerKey = x25519.utils.randomSecretKey();
const rows = {
  train: intentRows(
    trainingParams.segments * trainingParams.steps * trainingParams.batchSize,
    trainingParams.classes,
    7,
  ),
  eval: intentRows(trainingParams.evalRows, trainingParams.classes, 1007),
};
// The buyer hashes its raw rows (docs/RAW_DATA.md); no base model runs on its side.
const task = await prepareBuyerTask({ params: trainingParams, ...rows, tau: DEMO_TAU });
const terms = {
  ...buildJobTerms({
    now: BigInt(await networkHelpers.time.latest()),
    secrets: buyer,
    priceCeiling: parseEther("1"),
  }),
  ...task.commitments,
};
const { jobId, receipt: posted } = await postJob(publicClient, funder, deployment, terms);
timeline.tx(
  "postJob (1 ETH escrow)",
  "buyer",
  posted,
  `job #${jobId}, owner key ${short(buyer.ownerKey.address)}, no buyer address stored; ${rows.train.length} + ${rows.eval.length} private raw rows committed (SHA-256 Merkle roots, salted: ${short(task.commitments.datasetCommitment)}, ${short(task.commitments.evalCommitment)}), τ = ${DEMO_TAU / 100} %`,
);
const spec = await buildJobSpec({
  chainId: BigInt(chainId),
  market: deployment.jobMarket,
  jobId,
  terms,
  model,
  task,
  buyerPublicKey: bytesToHex(x25519.getPublicKey(buyerKey)),
  ownerKey: buyer.ownerKey,
});

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

// 5. The bid window ends; A's enclave runner takes the job (enclave-runner/runner/pipeline.ts): fresh
//    keys, a Simulated-TEE TDX quote v4 in the real layout binding them to the job, handed to A's
//    node, which submits it. The buyer checks the quote in TypeScript, sends the data encrypted to
//    the key the market accepted, and records the delivery on chain with its owner key (a relayer
//    pays the gas). The runner reads that record, fetches exactly the recorded blobs, decrypts in
//    memory, extracts features with the frozen base model, trains the adapter with the proven
//    fixed-point SGD, evaluates, encrypts the adapter to the buyer, proves and signs the result.
await networkHelpers.time.increaseTo(terms.bidDeadline);
const blobs = new MemoryBlobStore();
const trainer = new BuiltinTrainer();
const runStart = performance.now();
const bundle = await runJob({
  spec,
  market: viemMarketReader(publicClient, deployment.jobMarket),
  evidenceSource: new SimulatedTdxSource(),
  blobs,
  trainer,
  baseModel: model,
  circuit,
  pollMs: 50,
  publishAttestation: async (request) => {
    timeline.info(
      "enclave keys + evidence",
      "enclave",
      `X25519 ${short(request.enclaveEncryptionKey)}, signer ${short(request.enclaveSigner)}, ${hexToBytes(request.rawEvidence).length}-byte TDX quote`,
    );
    // The buyer's own check before sending data: full TypeScript verification of the quote
    // (signatures, PCK chain to the pinned development root, QE binding, debug bit) and its report
    // data = this job's binding of exactly these enclave keys.
    const binding = attestationBinding({
      chainId: BigInt(chainId),
      jobMarket: deployment.jobMarket,
      jobId,
      enclaveEncryptionKey: request.enclaveEncryptionKey,
      enclaveSigner: request.enclaveSigner,
    });
    const verified = verifyIntelQuote(hexToBytes(request.rawEvidence), {
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
            request.teeType,
            request.enclaveEncryptionKey,
            request.enclaveSigner,
            request.evidence,
          ],
          account: providerA.account,
        }),
      ),
      "on-chain: quote + QE report ECDSA-P256 (precompile 0x100), key binding, QE identity, report data = binding, measurement allow-listed",
    );
    // The buyer's delivery: encrypted to the key the market accepted, uploaded, recorded on chain.
    const enclaveKey = await attestedEnclaveKey(publicClient, deployment.jobMarket, jobId);
    const delivery = await deliverData(blobs, enclaveKey, jobId, task);
    timeline.info(
      "encrypt + upload data",
      "buyer",
      `to the attested key ${short(enclaveKey)} (from AttestationAccepted): X25519 + HKDF + AES-256-GCM envelopes ${short(delivery.train)}, ${short(delivery.eval)}`,
    );
    timeline.tx(
      "recordDelivery (owner-key sig)",
      "relayer",
      await recordDataDelivery({
        publicClient,
        relayer,
        jobMarket: deployment.jobMarket,
        jobId,
        terms,
        ownerKey: buyer.ownerKey,
        blobs: delivery,
      }),
      `DataDelivery: blob ids + sizes (${delivery.sizes.join(" + ")} bytes) signed by the owner key before the data deadline; the enclave reads exactly these, and a failure statement can only name them`,
    );
  },
  log: (event) => {
    if (event.stage === "train") console.log(`  [enclave] ${event.msg}`);
  },
});
await trainer.close();
if (bundle.status !== "ok" || !bundle.submitResult || !bundle.evaluation || !bundle.metric || !bundle.adapter)
  throw new Error(`demo: the enclave run failed: ${JSON.stringify(bundle.error)}`);
const { base, finetuned } = bundle.evaluation;
timeline.info(
  "train adapter",
  "enclave",
  `${bundle.inputs?.tokens} tokens through the frozen ${model.config.name} (${bundle.timings.train} ms); ${trainingParams.segments * trainingParams.steps} fixed-point SGD steps; raw rows checked against the posted commitments, feature rows committed as R_train ${short(bundle.commitments?.rTrain ?? "0x")}, weights checked against the reference`,
);
timeline.info(
  "evaluate (buyer's eval set)",
  "enclave",
  `loss (MSE) ${base.mse.toFixed(3)} → ${finetuned.mse.toFixed(3)}, cross-entropy ${base.crossEntropy.toFixed(3)} → ${finetuned.crossEntropy.toFixed(3)} nats, accuracy ${base.correct}/${base.total} → ${finetuned.correct}/${finetuned.total} (τ = ${DEMO_TAU / 100} %)`,
);
timeline.info(
  "prove (Groth16) + encrypt adapter",
  "enclave",
  `${((bundle.timings.prove ?? 0) / 1000).toFixed(1)} s; adapter ${bundle.adapter.bytes} bytes encrypted to the buyer; bundle signed by the attested enclave key; whole run ${((performance.now() - runStart) / 1000).toFixed(1)} s`,
);
const result = bundle.submitResult;
const job1 = await publicClient.readContract({ ...market, functionName: "getJob", args: [jobId] });
timeline.tx(
  "submitResult (+payout)",
  "provider A",
  await confirm(
    publicClient,
    providerA.writeContract({
      ...market,
      functionName: "submitResult",
      args: [jobId, terms, result],
      account: providerA.account,
    }),
  ),
  `checked on-chain: the attested enclave's signed binding raw commitments → feature rows R_train/R_eval (FeatureBindingVerifier), Groth16 proof(s) for C0 → C_K ${short(result.modelCommitment)} on those rows bound to job, provider, chain, stating thresholdMet = ${result.thresholdMet}; the enclave's EIP-712 signature binds C_K to the adapter ciphertext ${short(result.modelCiphertextHash)}`,
);
{
  const status = await publicClient.readContract({ ...market, functionName: "statusOf", args: [jobId] });
  const paid = result.thresholdMet ? job1.price : bps(job1.price, config.computeShareBps);
  timeline.info(
    `outcome: ${nameOf(JobStatus, status)}`,
    "market",
    result.thresholdMet
      ? `accuracy ${bundle.metric.correct}/${bundle.metric.total} ≥ τ → provider A paid the full price ${eth(paid)}, collateral ${eth(job1.collateral)} released, buyer refundable ${eth(terms.priceCeiling - paid)}`
      : `accuracy ${bundle.metric.correct}/${bundle.metric.total} < τ → provider A paid the compute share (${config.computeShareBps / 100} %) ${eth(paid)}, collateral released; the buyer keeps the model and is refunded the rest`,
  );
}
// The buyer fetches the adapter by the ciphertext hash the market recorded and decrypts it.
const adapter = await decryptAdapter({
  envelope: await blobs.get(`sha256:${result.modelCiphertextHash.slice(2)}`),
  buyerSecretKey: buyerKey,
  jobId,
  modelCommitment: result.modelCommitment,
});
timeline.info(
  "decrypt adapter",
  "buyer",
  `${adapter.params.classes}×${adapter.params.features} head over ${adapter.baseModel.name}; its commitment equals the on-chain C_K`,
);
const refund1 = await publicClient.readContract({
  ...market,
  functionName: "refundableOf",
  args: [jobId, terms],
});
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
  `${eth(refund1)} back to the buyer's committed refund address`,
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
  `attestation deadline missed → ${nameOf(FailureReason, FailureReason.AttestationDeadlineMissed)}`,
);
{
  const job = await publicClient.readContract({ ...market, functionName: "getJob", args: [jobId2] });
  timeline.info(
    `outcome: ${nameOf(JobStatus, job.status)}`,
    "market",
    `the provider's fault → B's collateral ${eth(job.collateral)} slashed: ${config.slashBuyerShareBps / 100} % (${eth(job.compensation)}) to the buyer, the rest to the treasury`,
  );
}
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
  `${formatEther(refund2)} ETH (escrow + ${config.slashBuyerShareBps / 100} % of B's slashed collateral) to the committed refund address`,
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

// 7a. An honest provider is never slashed for the buyer's side: B wins job #4 and attests, but the
//     buyer never records a delivery. After the data deadline the chain itself shows it (no record
//     on DataDelivery), so B ends the job: BuyerDefaulted (NoDataDelivered), B is paid the
//     cancellation fee and its collateral is released; the buyer is refunded the rest.
const buyer5 = newBuyerSecrets(privateKeyToAccount(generatePrivateKey()).address);
const terms5 = buildJobTerms({
  now: BigInt(await networkHelpers.time.latest()),
  secrets: buyer5,
  priceCeiling: parseEther("0.5"),
});
const { jobId: jobId5, receipt: posted5 } = await postJob(publicClient, funder, deployment, terms5);
timeline.tx("postJob (0.5 ETH escrow)", "buyer 4", posted5, `job #${jobId5}`);
timeline.tx(
  "placeBid 0.4 ETH",
  "provider B",
  await confirm(
    publicClient,
    providerB.writeContract({
      ...market,
      functionName: "placeBid",
      args: [jobId5, terms5, parseEther("0.4")],
      account: providerB.account,
    }),
  ),
);
await networkHelpers.time.increaseTo(terms5.bidDeadline);
timeline.tx(
  "submitAttestation (+match)",
  "provider B",
  await confirm(
    publicClient,
    providerB.writeContract({
      ...market,
      functionName: "submitAttestation",
      args: [
        jobId5,
        terms5,
        ...simulatedAttestationArgs({ chainId, deployment, jobId: jobId5, enclave: newSimulatedEnclave() }),
      ],
      account: providerB.account,
    }),
  ),
);
timeline.info("(never delivers)", "buyer 4", "no delivery recorded on DataDelivery by the data deadline");
await networkHelpers.time.increaseTo(terms5.dataDeadline + 1n);
const stakeB = async () =>
  publicClient.readContract({
    ...registry,
    functionName: "stakeOf",
    args: [providerB.account.address, "0x0000000000000000000000000000000000000000"],
  });
const lockedBefore = (await stakeB()).locked;
const job5 = await publicClient.readContract({ ...market, functionName: "getJob", args: [jobId5] });
timeline.tx(
  "enforceDeadline",
  "provider B",
  await confirm(
    publicClient,
    providerB.writeContract({
      ...market,
      functionName: "enforceDeadline",
      args: [jobId5, terms5],
      account: providerB.account,
    }),
  ),
  `no delivery recorded by the data deadline → ${nameOf(FailureReason, FailureReason.NoDataDelivered)}`,
);
{
  const status = await publicClient.readContract({ ...market, functionName: "statusOf", args: [jobId5] });
  const fee = bps(job5.price, config.cancellationFeeBps);
  timeline.info(
    `outcome: ${nameOf(JobStatus, status)}`,
    "market",
    `the buyer's side → B paid the cancellation fee (${config.cancellationFeeBps / 100} %) ${eth(fee)}; B's collateral ${eth(job5.collateral)} released, not slashed (locked ${eth(lockedBefore)} → ${eth((await stakeB()).locked)})`,
  );
}
const refund5 = await publicClient.readContract({
  ...market,
  functionName: "refundableOf",
  args: [jobId5, terms5],
});
timeline.tx(
  "claimRefund",
  "relayer",
  await confirm(
    publicClient,
    relayer.writeContract({
      ...market,
      functionName: "claimRefund",
      args: [jobId5, terms5, buyer5.refundTo, buyer5.salt],
      account: relayer.account,
    }),
  ),
  `${eth(refund5)} (escrow − fee) to the committed refund address`,
);

// 7b. A multi-party job: three data owners fine-tune one shared head; each one's update stays
//     encrypted under a threshold Paillier key the attested enclave deals (2048 bits, 2-of-3
//     committee); only the aggregate is decrypted, by a quorum; party 2 drops out. The chain records
//     every hash (MultiPartyCoordinator) and pays once the quorum decrypted and the enclave signed
//     the combined adapter (docs/MULTIPARTY.md: trust in the attested enclave for that step).
const coordinatorAddress = deployment.multiPartyCoordinator;
if (!coordinatorAddress) throw new Error("demo: the deployment has no MultiPartyCoordinator");
const lastGas = async () => (await publicClient.getBlock()).gasUsed; // automine: one transaction per block
const wallets = await viem.getWalletClients();
const dataParties = wallets.slice(10, 13);
const committee = wallets.slice(13, 16);
const memberKeys = committee.map(() => generateRecipientKeyPair());
const buyer4 = newBuyerSecrets(privateKeyToAccount(generatePrivateKey()).address);
const base4 = buildJobTerms({
  now: BigInt(await networkHelpers.time.latest()),
  secrets: buyer4,
  priceCeiling: parseEther("1"),
});
const mpSpec = {
  dataParties: dataParties.map((w) => w.account.address),
  committee: committee.map((w) => w.account.address),
  committeeKeys: memberKeys.map((k) => bytesToHex(k.publicKey)),
  updateDeadline: base4.attestDeadline + 600n,
  aggregateDeadline: base4.attestDeadline + 1_200n,
  shareDeadline: base4.attestDeadline + 1_800n,
  memberBond: 0n, // no committee bonds in the demo (docs/MULTIPARTY.md)
};
const terms4 = {
  ...base4,
  specHash: task.commitments.specHash, // C0 = zero head, the segment_demo hyper-parameters
  parties: 3,
  threshold: 2,
  committeeSize: 3,
  committeeHash: hashMultiPartySpec(mpSpec),
};
const { jobId: jobId4, receipt: posted4 } = await postJob(publicClient, funder, deployment, terms4);
timeline.tx(
  "postJob (multi-party)",
  "buyer 5",
  posted4,
  `job #${jobId4}: 3 data parties, 2-of-3 decryption committee`,
);
timeline.tx(
  "placeBid 0.6 ETH",
  "provider A",
  await confirm(
    publicClient,
    providerA.writeContract({
      ...market,
      functionName: "placeBid",
      args: [jobId4, terms4, parseEther("0.6")],
      account: providerA.account,
    }),
  ),
);
await networkHelpers.time.increaseTo(terms4.bidDeadline);
const enclave4 = newSimulatedEnclave();
timeline.tx(
  "submitAttestation (+match)",
  "provider A",
  await confirm(
    publicClient,
    providerA.writeContract({
      ...market,
      functionName: "submitAttestation",
      args: [
        jobId4,
        terms4,
        ...simulatedAttestationArgs({ chainId, deployment, jobId: jobId4, enclave: enclave4 }),
      ],
      account: providerA.account,
    }),
  ),
);
const mpContext = {
  publicClient,
  coordinator: coordinatorAddress,
  jobId: jobId4,
  terms: terms4,
  spec: mpSpec,
  blobs,
};
const dealt = await dealJobKey({ context: mpContext });
timeline.info(
  "deal threshold Paillier key",
  "enclave",
  `2048-bit key from safe primes in ${(dealt.keygenMs / 1000).toFixed(1)} s; key shares sealed to the 3 members' X25519 keys; the dealer forgot the secret`,
);
const updateIds = new Map<number, BlobId>();
const mpFeaturizer = await Featurizer.create(model);
for (const i of [0, 1]) {
  const texts = intentRows(
    trainingParams.segments * trainingParams.steps * trainingParams.batchSize,
    trainingParams.classes,
    40 + i,
  );
  const features = mpFeaturizer.featurize(texts.map((r) => r.text));
  const wallet = dataParties[i];
  if (!wallet) throw new Error("demo: need 16 accounts");
  const submitted = await submitUpdate({
    context: mpContext,
    wallet,
    partyIndex: i,
    dealerOutputId: dealt.dealerOutputId,
    training: {
      initialWeights: task.initialWeights,
      params: trainingParams,
      rows: texts.map((r, j) => ({ x: features[j] as bigint[], y: r.label })),
    },
  });
  updateIds.set(i, submitted.updateId);
  timeline.add({
    step: "recordUpdate",
    actor: `data party ${i}`,
    gasUsed: await lastGas(),
    note: `trained on its own ${texts.length} rows; update clipped, packed, encrypted (${submitted.timings.encryptMs.toFixed(0)} ms); hash on chain`,
  });
}
// Data parties featurize on their own side in multi-party jobs; buyer 1's eval rows measure the result.
const mpEvalFeatures = mpFeaturizer.featurize(task.eval.map((r) => r.text));
const mpEvalRows = task.eval.map((r, j) => ({ x: mpEvalFeatures[j] as bigint[], y: r.label }));
mpFeaturizer.dispose();
timeline.info("(drops out)", "data party 2", "never submits: left out of the aggregate");
await networkHelpers.time.increaseTo(mpSpec.updateDeadline + 1n);
const aggregated = await aggregateUpdates({
  context: mpContext,
  wallet: providerA,
  enclaveSigner: enclave4.signer,
  dealerOutputId: dealt.dealerOutputId,
  updates: updateIds,
});
timeline.add({
  step: "recordAggregate",
  actor: "provider A",
  gasUsed: await lastGas(),
  note: `parties ${aggregated.includedParties.join(", ")} multiplied into one aggregate; each blob checked against its on-chain hash`,
});
const shareIds = new Map<number, BlobId>();
for (const member of [0, 2]) {
  const wallet = committee[member];
  const keys = memberKeys[member];
  if (!wallet || !keys) throw new Error("demo: need 16 accounts");
  const shared = await shareAggregate({
    context: mpContext,
    wallet,
    memberIndex: member,
    secretKey: keys.secretKey,
    dealerOutputId: dealt.dealerOutputId,
    aggregateId: aggregated.aggregateId,
  });
  shareIds.set(member, shared.shareId);
  timeline.add({
    step: "recordShare",
    actor: `member ${member}`,
    gasUsed: await lastGas(),
    note: `decryption share of the recorded aggregate + Chaum–Pedersen proof (${shared.shareMs.toFixed(0)} ms)`,
  });
}
const combined = await combineShares({
  context: mpContext,
  dealerOutputId: dealt.dealerOutputId,
  aggregateId: aggregated.aggregateId,
  shares: shareIds,
  training: { initialWeights: task.initialWeights, params: trainingParams },
});
const mpEval = evaluateAdapter(combined.weights, mpEvalRows, trainingParams);
timeline.info(
  "combine + apply to C0",
  "enclave",
  `members ${combined.usedMembers.join(", ")}' proofs verified; the average of ${combined.contributions} updates on C0: eval loss ${mpEval.mse.toFixed(3)}, accuracy ${mpEval.correct}/${mpEval.total} on buyer 1's eval rows`,
);
const mpResult = await signCombinedResult(mpContext, enclave4.signer, combined.weights);
const mpAdapter = await encryptAdapter(
  await adapterDocument({ name: model.config.name, sha256: model.sha256 }, trainingParams, combined.weights),
  bytesToHex(x25519.getPublicKey(buyerKey)),
  jobId4,
);
const mpAdapterId = await blobs.put(mpAdapter);
const mpCiphertextHash = `0x${mpAdapterId.slice("sha256:".length)}` as const;
timeline.tx(
  "submitResult (+payout)",
  "provider A",
  await confirm(
    publicClient,
    providerA.writeContract({
      ...market,
      functionName: "submitResult",
      args: [
        jobId4,
        terms4,
        {
          modelCommitment: mpResult.modelCommitment,
          modelCiphertextHash: mpCiphertextHash,
          thresholdMet: true,
          proof: mpResult.proof,
          enclaveSignature: await signTrainingResult({
            enclaveKey: enclave4.signer,
            chainId,
            jobMarket: deployment.jobMarket,
            jobId: jobId4,
            modelCommitment: mpResult.modelCommitment,
            modelCiphertextHash: mpCiphertextHash,
            thresholdMet: true,
          }),
        },
      ],
      account: providerA.account,
    }),
  ),
  "quorum reached on chain; the attested enclave's signed result over the recorded aggregate",
);

// 8. Where everything stands.
console.log("\nState on chain now:");
for (const id of [jobId, jobId2, jobId3, jobId5, jobId4]) {
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
    "tests). The buyer's data and the adapter crossed the provider only as envelopes; the plaintext\n" +
    `existed in the enclave runner's memory alone. Job #${jobId2}'s provider walked away and was slashed; job #${jobId5}'s buyer\n` +
    "never delivered, and its honest provider was paid the cancellation fee, not slashed (docs/OUTCOMES.md).\n" +
    `Job #${jobId4} aggregated three owners' updates under threshold Paillier: only the aggregate was ever\n` +
    "decrypted, by two of three committee members.",
);
// snarkjs keeps its BN254 worker threads alive; end them so the process exits.
await (await snarkjs.curves.getCurveFromName("bn128")).terminate();
