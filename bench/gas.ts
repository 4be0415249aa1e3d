// npm run bench:gas: the gas of every lifecycle transaction type, measured in one run on Hardhat's
// in-process chain (EDR, osaka), written to bench/results/gas.json and printed as a table.
//
// Settlement goes through TestTrainingVerifier, the test double of ITrainingVerifier: `submitResult`
// here excludes the cost of verifying a proof (bench:zk measures it). Attestation goes through the
// development IntelQuoteVerifier, the same code as the production TDX check.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { network } from "hardhat";
import type { Hex, TransactionReceipt } from "viem";
import { keccak256, parseEther, toBytes } from "viem";
import { deployLocalDevnet } from "../scripts/lib/deploy.ts";
import {
  buildJobTerms,
  confirm,
  newBuyerSecrets,
  newSimulatedEnclave,
  postJob,
  simulatedAttestationArgs,
} from "../scripts/lib/market.ts";
import { formatTable } from "../scripts/lib/timeline.ts";
import {
  ETH,
  hashMultiPartySpec,
  indexMask,
  JobStatus,
  type JobTerms,
  type MultiPartySpec,
  recordedHashOf,
  signCancelJob,
  signExtendDelivery,
  signMultiPartyResult,
  signPermit,
  TeeType,
  teeTypeSet,
} from "../sdk/index.ts";

/** Cited baseline: an iExec deal plus one TEE task, about 1.63M gas (the figure given in issue 2). */
const IEXEC_DEAL_PLUS_TEE_TASK_GAS = 1_630_000n;
/** Targets of issue 2. */
const TARGETS: Record<string, bigint> = { postJob: 150_000n, placeBid: 90_000n, lifecycle_total: 450_000n };
const VALID_PROOF: Hex = "0x76616c6964"; // the test double accepts exactly "valid"

const connection = await network.create();
const { viem, networkHelpers } = connection;
const publicClient = await viem.getPublicClient();
const [, providerA, providerB, buyer, relayer] = await viem.getWalletClients();
if (!providerA || !providerB || !buyer || !relayer) throw new Error("bench:gas: need 5 accounts");
const chainId = await publicClient.getChainId();

const deployment = await deployLocalDevnet(connection);
const market = await viem.getContractAt("JobMarket", deployment.jobMarket);
const registry = await viem.getContractAt("ProviderRegistry", deployment.providerRegistry);
const token = await viem.getContractAt("DevStakeToken", deployment.stakeToken);
const testDouble = await viem.deployContract("TestTrainingVerifier");
await market.write.setTrainingVerifier([testDouble.address]);

const gas: Record<string, bigint> = {};
const rows: string[][] = [];
/** Records the gas of one transaction under `key` (first measurement wins: the cold-storage case). */
async function measure(key: string, note: string, tx: Promise<Hex>): Promise<TransactionReceipt> {
  const receipt = await confirm(publicClient, tx);
  if (gas[key] === undefined) {
    gas[key] = receipt.gasUsed;
    rows.push([key, receipt.gasUsed.toLocaleString("en-US"), note]);
  }
  return receipt;
}
const now = async () => BigInt(await networkHelpers.time.latest());
const newJob = async (overrides: Partial<Parameters<typeof buildJobTerms>[0]> = {}) => {
  const secrets = newBuyerSecrets(relayer.account.address);
  const terms = buildJobTerms({ now: await now(), secrets, priceCeiling: parseEther("1"), ...overrides });
  return { secrets, terms };
};
const attest = async (jobId: bigint, _terms: JobTerms) =>
  simulatedAttestationArgs({ chainId, deployment, jobId, enclave: newSimulatedEnclave() });

// Providers: register, stake ETH, stake tokens (approve + deposit, and permit in one transaction).
const profile = (tag: string) => ({
  teeTypes: teeTypeSet([TeeType.Simulated, TeeType.Tdx]),
  hardwareClass: 3,
  metadataHash: keccak256(toBytes(`profile ${tag}`)),
  endpointHash: keccak256(toBytes(`endpoint ${tag}`)),
});
await measure(
  "register",
  "provider profile",
  registry.write.register([profile("A")], { account: providerA.account }),
);
await registry.write.register([profile("B")], { account: providerB.account });
await measure(
  "updateProfile",
  "",
  registry.write.updateProfile([profile("A2")], { account: providerA.account }),
);
await measure(
  "depositEth",
  "first ETH stake",
  registry.write.depositEth({ account: providerA.account, value: parseEther("5") }),
);
await registry.write.depositEth({ account: providerB.account, value: parseEther("5") });
for (const p of [providerA, providerB]) await token.write.faucet([p.account.address, parseEther("100")]);
await token.write.approve([registry.address, parseEther("5")], { account: providerA.account });
await measure(
  "depositToken",
  "after approve",
  registry.write.depositToken([parseEther("5")], { account: providerA.account }),
);
const [, tokenName, tokenVersion] = await token.read.eip712Domain();
const permit = await signPermit({
  owner: providerB.account.address,
  signTypedData: (typedData) => providerB.signTypedData(typedData),
  token: { address: token.address, name: tokenName, version: tokenVersion, chainId },
  spender: registry.address,
  value: parseEther("5"),
  nonce: await token.read.nonces([providerB.account.address]),
  deadline: (await now()) + 3600n,
});
await measure(
  "depositTokenWithPermit",
  "EIP-2612, no approve tx",
  registry.write.depositTokenWithPermit([parseEther("5"), permit.deadline, permit.v, permit.r, permit.s], {
    account: providerB.account,
  }),
);

// Job 1, the single-party lifecycle: post → bid → (outbid) → attest (implicit match) → result → refund.
const lifecycle: bigint[] = [];
const job1 = await newJob();
const posted1 = await postJob(publicClient, buyer, deployment, job1.terms);
gas.postJob = posted1.receipt.gasUsed;
rows.push(["postJob", posted1.receipt.gasUsed.toLocaleString("en-US"), "ETH escrow, first job"]);
lifecycle.push(posted1.receipt.gasUsed);
const id1 = posted1.jobId;
const bid1 = await measure(
  "placeBid",
  "first bid: locks collateral",
  market.write.placeBid([id1, job1.terms, parseEther("0.8")], { account: providerB.account }),
);
await measure(
  "placeBid_outbid",
  "also unlocks the previous leader",
  market.write.placeBid([id1, job1.terms, parseEther("0.6")], { account: providerA.account }),
);
await networkHelpers.time.increaseTo(job1.terms.bidDeadline);
const attest1 = await measure(
  "submitAttestation",
  "Simulated TEE, closes bidding implicitly",
  market.write.submitAttestation([id1, job1.terms, ...(await attest(id1, job1.terms))], {
    account: providerA.account,
  }),
);
const result1 = await measure(
  "submitResult",
  "settlement via TestTrainingVerifier (test double; no proof cost)",
  market.write.submitResult(
    [id1, job1.terms, keccak256(toBytes("model")), keccak256(toBytes("ciphertext")), VALID_PROOF],
    { account: providerA.account },
  ),
);
const refund1 = await measure(
  "claimRefund",
  "unused ceiling back to the committed address",
  market.write.claimRefund([id1, job1.terms, job1.secrets.refundTo, job1.secrets.salt], {
    account: relayer.account,
  }),
);
// The lifecycle counts the first (cheaper) bid: a single provider bidding is the minimum the job needs.
lifecycle.push(bid1.gasUsed, attest1.gasUsed, result1.gasUsed, refund1.gasUsed);

// Explicit closeBidding, and a token-paid job posted with a permit.
const job2 = await newJob({ asset: token.address });
await token.write.faucet([buyer.account.address, parseEther("10")]);
const buyerPermit = await signPermit({
  owner: buyer.account.address,
  signTypedData: (typedData) => buyer.signTypedData(typedData),
  token: { address: token.address, name: tokenName, version: tokenVersion, chainId },
  spender: market.address,
  value: job2.terms.priceCeiling,
  nonce: await token.read.nonces([buyer.account.address]),
  deadline: (await now()) + 3600n,
});
await measure(
  "postJobWithPermit",
  "token escrow, EIP-2612",
  market.write.postJobWithPermit(
    [job2.terms, buyerPermit.deadline, buyerPermit.v, buyerPermit.r, buyerPermit.s],
    {
      account: buyer.account,
    },
  ),
);
const id2 = (await market.read.jobCount()) as bigint;
await market.write.placeBid([id2, job2.terms, parseEther("0.5")], { account: providerA.account });
await networkHelpers.time.increaseTo(job2.terms.bidDeadline);
await measure(
  "closeBidding",
  "matches the leader",
  market.write.closeBidding([id2, job2.terms], { account: relayer.account }),
);
await networkHelpers.time.increaseTo(job2.terms.attestDeadline + 1n);
await measure(
  "enforceDeadline_slash",
  "attestation missed: slash + refund credit",
  market.write.enforceDeadline([id2, job2.terms], { account: relayer.account }),
);

// A job nobody bids on expires; a job is cancelled by owner-key signature; a delivery deadline extended.
const job3 = await newJob();
const { jobId: id3 } = await postJob(publicClient, buyer, deployment, job3.terms);
await networkHelpers.time.increaseTo(job3.terms.bidDeadline);
await measure(
  "closeBidding_expire",
  "no bids: job expires",
  market.write.closeBidding([id3, job3.terms], { account: relayer.account }),
);

const job4 = await newJob();
const { jobId: id4 } = await postJob(publicClient, buyer, deployment, job4.terms);
const cancelSig = await signCancelJob({
  ownerKey: job4.secrets.ownerKey,
  chainId,
  jobMarket: market.address,
  jobId: id4,
  nonce: 0n,
  deadline: job4.terms.bidDeadline,
});
await measure(
  "cancelJob",
  "owner-key EIP-712, relayed",
  market.write.cancelJob([id4, job4.terms, 0n, job4.terms.bidDeadline, cancelSig], {
    account: relayer.account,
  }),
);

const job5 = await newJob();
const { jobId: id5 } = await postJob(publicClient, buyer, deployment, job5.terms);
await market.write.placeBid([id5, job5.terms, parseEther("0.5")], { account: providerA.account });
await networkHelpers.time.increaseTo(job5.terms.bidDeadline);
await market.write.submitAttestation([id5, job5.terms, ...(await attest(id5, job5.terms))], {
  account: providerA.account,
});
const extended = job5.terms.deliveryDeadline + 3600n;
const extendSig = await signExtendDelivery({
  ownerKey: job5.secrets.ownerKey,
  chainId,
  jobMarket: market.address,
  jobId: id5,
  nonce: 0n,
  deadline: job5.terms.deliveryDeadline,
  deliveryDeadline: extended,
});
await measure(
  "extendDeliveryDeadline",
  "owner-key EIP-712, relayed",
  market.write.extendDeliveryDeadline(
    [id5, job5.terms, extended, 0n, job5.terms.deliveryDeadline, extendSig],
    {
      account: relayer.account,
    },
  ),
);
await networkHelpers.time.increaseTo(extended + 1n);
await measure(
  "enforceDeadline_delivery",
  "delivery missed: slash + refund credit",
  market.write.enforceDeadline([id5, job5.terms], { account: relayer.account }),
);

// A multi-party job (docs/MULTIPARTY.md): 3 data parties (party 1 drops out), a 2-of-3 committee.
const wallets = await viem.getWalletClients();
const dataParties = wallets.slice(6, 9);
const committee = wallets.slice(9, 12);
if (dataParties.length !== 3 || committee.length !== 3) throw new Error("bench:gas: need 12 accounts");
const coordinator = await viem.getContractAt(
  "MultiPartyCoordinator",
  deployment.multiPartyCoordinator ?? "0x",
);
const multiPartyJob = async () => {
  const { terms: base } = await newJob();
  const spec: MultiPartySpec = {
    dataParties: dataParties.map((w) => w.account.address),
    committee: committee.map((w) => w.account.address),
    committeeKeys: committee.map((w) => keccak256(toBytes(`x25519 ${w.account.address}`))),
    updateDeadline: base.attestDeadline + 600n,
    aggregateDeadline: base.attestDeadline + 1_200n,
    shareDeadline: base.attestDeadline + 1_800n,
  };
  const terms = {
    ...base,
    parties: 3,
    threshold: 2,
    committeeSize: 3,
    committeeHash: hashMultiPartySpec(spec),
  };
  const { jobId } = await postJob(publicClient, buyer, deployment, terms);
  await market.write.placeBid([jobId, terms, parseEther("0.5")], { account: providerA.account });
  await networkHelpers.time.increaseTo(terms.bidDeadline);
  // Keep the enclave: its signing key settles the job (MultiPartyCoordinator.verifyTraining).
  const enclave = newSimulatedEnclave();
  await market.write.submitAttestation(
    [jobId, terms, ...(await simulatedAttestationArgs({ chainId, deployment, jobId, enclave }))],
    { account: providerA.account },
  );
  const update = (i: number) =>
    coordinator.write.recordUpdate(
      [jobId, terms, spec, BigInt(i), recordedHashOf(toBytes(`update ${jobId} ${i}`))],
      { account: dataParties[i]?.account },
    );
  const aggregate = () =>
    coordinator.write.recordAggregate(
      [jobId, terms, spec, recordedHashOf(toBytes(`aggregate ${jobId}`)), indexMask([0, 2])],
      { account: providerA.account },
    );
  const share = (i: number) =>
    coordinator.write.recordShare(
      [jobId, terms, spec, BigInt(i), recordedHashOf(toBytes(`share ${jobId} ${i}`))],
      {
        account: committee[i]?.account,
      },
    );
  return { jobId, terms, spec, enclave, update, aggregate, share };
};
const mp = await multiPartyJob();
await measure("recordUpdate_first", "first record of a job: checks the spec once", mp.update(0));
await measure("recordUpdate", "a later party (party 1 drops out)", mp.update(2));
await networkHelpers.time.increaseTo(mp.spec.updateDeadline + 1n);
await measure("recordAggregate", "provider, includes parties 0 and 2", mp.aggregate());
await measure("recordShare", "first decryption share", mp.share(1));
await measure("recordShare_quorum", "the threshold-th share: QuorumReached", mp.share(2));
const mpModel = keccak256(toBytes("model"));
await measure(
  "submitResult_multiParty",
  "settlement after the quorum: the attested enclave's EIP-712 result, checked by the coordinator",
  market.write.submitResult(
    [
      mp.jobId,
      mp.terms,
      mpModel,
      keccak256(toBytes("ciphertext")),
      await signMultiPartyResult({
        signer: mp.enclave.signer,
        chainId,
        coordinator: coordinator.address,
        jobId: mp.jobId,
        specHash: mp.terms.specHash,
        aggregateHash: await coordinator.read.aggregateHashOf([mp.jobId]),
        modelCommitment: mpModel,
      }),
    ],
    { account: providerA.account },
  ),
);
if ((await market.read.statusOf([mp.jobId])) !== JobStatus.Completed)
  throw new Error("bench:gas: the multi-party job did not settle");
const mpTimeout = await multiPartyJob();
await mpTimeout.update(0);
await networkHelpers.time.increaseTo(mpTimeout.spec.updateDeadline + 1n);
await coordinator.write.recordAggregate(
  [mpTimeout.jobId, mpTimeout.terms, mpTimeout.spec, keccak256(toBytes("aggregate")), indexMask([0])],
  { account: providerA.account },
);
await mpTimeout.share(0);
await networkHelpers.time.increaseTo(mpTimeout.terms.deliveryDeadline + 1n);
await measure(
  "enforceDeadline_committee",
  "multi-party, 1 of 2 shares: collateral released, full refund",
  market.write.enforceDeadline([mpTimeout.jobId, mpTimeout.terms], { account: relayer.account }),
);

// Stake exit and treasury.
await measure(
  "requestWithdrawal",
  "starts unbonding",
  registry.write.requestWithdrawal([ETH, parseEther("1")], { account: providerB.account }),
);
await networkHelpers.time.increase(Number(await registry.read.unbondingDelay()) + 1);
await measure(
  "withdraw",
  "after the unbonding delay",
  registry.write.withdraw([ETH], { account: providerB.account }),
);
await measure("withdrawTreasury", "owner", registry.write.withdrawTreasury([ETH]));

const lifecycleTotal = lifecycle.reduce((a, b) => a + b, 0n);
gas.lifecycle_total = lifecycleTotal;
rows.push([
  "lifecycle_total",
  lifecycleTotal.toLocaleString("en-US"),
  "postJob + placeBid + submitAttestation + submitResult + claimRefund",
]);

console.log("Gas per transaction type (Hardhat EDR, osaka, solc 0.8.37, optimizer 200 runs)\n");
console.log(formatTable(["transaction", "gas", "note"], rows, [0, 2]));
console.log("\nTargets (issue 2):");
for (const [key, target] of Object.entries(TARGETS)) {
  const measured = gas[key] ?? 0n;
  console.log(
    `  ${key.padEnd(16)} ${measured.toLocaleString("en-US").padStart(9)} ≤ ${target.toLocaleString("en-US")}  ${measured <= target ? "met" : "MISSED"}`,
  );
}
const ratio = Number(lifecycleTotal) / Number(IEXEC_DEAL_PLUS_TEE_TASK_GAS);
console.log(
  `\nlifecycle_total / iExec deal + one TEE task (1,630,000, cited): ${ratio.toFixed(3)}` +
    "\nNote: settlement used TestTrainingVerifier, the test double of ITrainingVerifier (the Groth16" +
    "\nproof's cost is in bench:zk and the demo); submitAttestation includes the full on-chain quote" +
    "\ncheck (development TDX quote, two P-256 precompile verifications).",
);

const out = join(import.meta.dirname, "results", "gas.json");
mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
const json = {
  ...Object.fromEntries(Object.entries(gas).map(([k, v]) => [k, Number(v)])),
  _meta: {
    settlement_verifier: "TestTrainingVerifier (test double; proof verification cost excluded)",
    attestation: "IntelQuoteVerifier (development mode): a TDX-layout quote, two P-256 precompile checks",
    baseline: { name: "iExec deal + one TEE task (cited)", gas: Number(IEXEC_DEAL_PLUS_TEE_TASK_GAS) },
    lifecycle_vs_baseline_ratio: Number(ratio.toFixed(4)),
    lifecycle_steps: ["postJob", "placeBid", "submitAttestation", "submitResult", "claimRefund"],
    evm: "osaka",
    solc: "0.8.37",
    optimizer_runs: 200,
    measured_at: new Date().toISOString(),
  },
};
writeFileSync(`${out}.tmp`, `${JSON.stringify(json, null, 2)}\n`);
renameSync(`${out}.tmp`, out);
console.log(`\nwrote ${out}`);
