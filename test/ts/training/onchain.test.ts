// Real Groth16 training proofs on-chain (issues 3 and 12): a 2-segment run of the `segment_test` main
// (D=4 C=2 B=2 K=2 E=4 S=2) is trained with the TypeScript reference, proven with snarkjs and
// checked by Groth16TrainingVerifier over the generated segment verifier and the circomlibjs
// Poseidon contracts. Soundness: tampered proof points, tampered public values, replay on another
// job / provider / chain / market, wrong or broken commitment chains, malformed proof bytes and
// non-field values are each rejected; a run below the threshold is provable and its proof verifies
// only as thresholdMet = false (a met run only as true); a saturating run is provable. Then the
// same through JobMarket: a proven job completes and pays; a tampered proof fails the job and slashes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as snarkjs from "snarkjs";
import { type Address, encodeErrorResult, encodeFunctionData, getAddress, type Hex, toBytes } from "viem";
import { type CircuitResult, releaseSnarkjs } from "../../../scripts/circuits/pipeline.ts";
import { poseidonAbi } from "../../../scripts/circuits/poseidon.ts";
import { publishMarketConfig } from "../../../scripts/lib/deploy.ts";
import {
  buildJobTerms,
  newBuyerSecrets,
  newSimulatedEnclave,
  postJob,
  randomBytes32,
} from "../../../scripts/lib/market.ts";
import { ETH, FailureReason, JobStatus } from "../../../sdk/index.ts";
import {
  commitWeights,
  type DataRow,
  encodeField,
  FIELD_MODULUS,
  getPoseidon,
  type SegmentWitness,
} from "../../../sdk/training/index.ts";
import {
  type AttestedJob,
  attestationArgs,
  bid,
  CEILING,
  connection,
  endBidding,
  loadMarket,
  networkHelpers,
  now,
  signedResult,
  viem,
} from "../../support/fixture.ts";
import {
  BN254_BASE_FIELD,
  buildSegmentTestCircuit,
  bytes32,
  deployGroth16Dependencies,
  encodeTrainingProof,
  type JobBinding,
  type ProofWords,
  type ProvenRun,
  proveRun,
  SEGMENT_TEST_RUN,
  segmentInputs,
  type TrainingRun,
  trainingContext,
} from "../../support/zk.ts";

const BASE_Q = BN254_BASE_FIELD;

/** Meets τ = 7500 exactly and misses 7501 (see SEGMENT_TEST_RUN). */
const RUN = SEGMENT_TEST_RUN;
const row = (x: number[], y: number): DataRow => ({ x: x.map(BigInt), y });

type Claim = {
  chainId: bigint;
  market: Address;
  jobId: bigint;
  provider: Address;
  specHash: Hex;
  datasetCommitment: Hex;
  evalCommitment: Hex;
  qualityThreshold: bigint;
  modelCommitment: Hex;
  thresholdMet: boolean;
};

/** The claim JobMarket.submitResult builds for `binding`, from the run's values and proven outcome. */
function claimFor(binding: JobBinding, proven: ProvenRun): Claim {
  const first = proven.segments[0];
  assert.ok(first);
  return {
    ...binding,
    specHash: bytes32(first.specHash),
    datasetCommitment: bytes32(first.rTrain),
    evalCommitment: bytes32(first.rEval),
    qualityThreshold: BigInt(first.metric.tau),
    modelCommitment: bytes32(proven.commitments.at(-1) ?? 0n),
    thresholdMet: proven.thresholdMet,
  };
}

/** Replaces word `index` of segment `segment`'s proof. */
function withWord(
  proofs: readonly ProofWords[],
  segment: number,
  index: number,
  value: bigint,
): ProofWords[] {
  return proofs.map((p, s) => (s === segment ? (p.map((w, i) => (i === index ? value : w)) as never) : p));
}

/** Calldata gas of a transaction input (4 per zero byte, 16 per other byte). */
function calldataGas(data: Hex): number {
  return [...toBytes(data)].reduce((sum, byte) => sum + (byte === 0 ? 4 : 16), 0);
}

let circuit: CircuitResult;

/** The market fixture with the real Groth16TrainingVerifier as the market's training verifier. */
async function deployZkMarket() {
  const m = await loadMarket();
  const deps = await deployGroth16Dependencies(m.publicClient, m.deployer, circuit);
  const zkVerifier = await viem.deployContract("Groth16TrainingVerifier", [
    deps.segmentVerifier,
    deps.poseidon4,
    deps.poseidon6,
  ]);
  const configId = await publishMarketConfig(connection, m.deployment, {
    trainingVerifier: zkVerifier.address,
  });
  return { ...m, zkVerifier, configId, ...deps };
}
type ZkMarket = Awaited<ReturnType<typeof deployZkMarket>>;
const loadZkMarket = () => networkHelpers.loadFixture(deployZkMarket);

/** Groth16TrainingVerifier alone (generated segment verifier, Poseidon(4)/(6)): no market involved. */
async function deployZkVerifier() {
  const publicClient = await viem.getPublicClient();
  const [deployer, provider, provider2] = await viem.getWalletClients();
  if (!deployer || !provider || !provider2) throw new Error("need 3 accounts");
  const deps = await deployGroth16Dependencies(publicClient, deployer, circuit);
  const zkVerifier = await viem.deployContract("Groth16TrainingVerifier", [
    deps.segmentVerifier,
    deps.poseidon4,
    deps.poseidon6,
  ]);
  return { publicClient, provider, provider2, chainId: await publicClient.getChainId(), zkVerifier, ...deps };
}
type ZkVerifier = Awaited<ReturnType<typeof deployZkVerifier>>;

before(async () => {
  const lines: string[] = [];
  const t0 = performance.now();
  circuit = await buildSegmentTestCircuit((l) => lines.push(l));
  console.log(
    `# segment_test ${circuit.status} in ${Math.round(performance.now() - t0)} ms: ${lines.join("; ")}`,
  );
});

after(async () => {
  await releaseSnarkjs();
});

describe("Groth16TrainingVerifier with real segment proofs (segment_test, S = 2)", () => {
  let m: ZkVerifier;
  let binding: JobBinding;
  let proven: ProvenRun;
  let claim: Claim;
  let proof: Hex;
  const verify = (c: Claim, p: Hex) => m.zkVerifier.read.verifyTraining([c, p]);
  const expectSegmentInvalid = (c: Claim, p: Hex, segment: bigint) =>
    viem.assertions.revertWithCustomErrorWithArgs(
      verify(c, p),
      m.zkVerifier,
      "Groth16TrainingSegmentInvalid",
      [segment],
    );
  /** `point` 0: A, 1: B, 2: C. */
  const expectNotOnCurve = (c: Claim, p: Hex, segment: bigint, point: bigint) =>
    viem.assertions.revertWithCustomErrorWithArgs(
      verify(c, p),
      m.zkVerifier,
      "Groth16TrainingPointNotOnCurve",
      [segment, point],
    );

  before(async () => {
    m = await networkHelpers.loadFixture(deployZkVerifier);
    binding = {
      chainId: BigInt(m.chainId),
      market: getAddress("0x00000000000000000000000000000000000b1a5e"),
      jobId: 42n,
      provider: getAddress(m.provider.account.address),
    };
    proven = await proveRun(RUN, binding, circuit);
    console.log(`# prove ms per segment (fullProve = witness + Groth16): ${proven.proveMs.join(", ")}`);
    claim = claimFor(binding, proven);
    proof = encodeTrainingProof(proven.commitments, proven.proofs);
  });

  it("the run meets tau exactly; publicInput() equals the TS publicHash and snarkjs' public signal", async () => {
    assert.equal(proven.segments.length, 2);
    const last = proven.segments[1];
    assert.ok(last?.isLast);
    assert.deepEqual(last.metric, { correct: 3, total: 4, tau: 7500, ok: true });
    assert.deepEqual(
      [proven.thresholdMet, claim.thresholdMet, last.flags, proven.segments[0]?.flags],
      [true, true, 3, 0],
    );
    assert.equal(proven.saturated, false);
    assert.equal(proven.commitments[0], commitWeights(await getPoseidon(), RUN.initialWeights));
    for (const [s, seg] of proven.segments.entries()) {
      assert.equal(proven.publicSignals[s]?.[0], seg.publicHash.toString(), `snarkjs public signal ${s}`);
      assert.equal(
        await m.zkVerifier.read.publicInput([claim, seg.cIn, seg.cOut, BigInt(s), 2n]),
        seg.publicHash,
        `segment ${s}`,
      );
    }
    // The context the circuit input carries is the one the contract derives from the claim.
    assert.equal(BigInt(proven.segments[0]?.input.ctx as string), trainingContext(binding));
  });

  it("accepts the valid 2-segment run (verifyTraining returns true); gas", async (t) => {
    assert.equal(await verify(claim, proof), true);
    const gas = await m.publicClient.estimateContractGas({
      address: m.zkVerifier.address,
      abi: m.zkVerifier.abi,
      functionName: "verifyTraining",
      args: [claim, proof],
    });
    const data = encodeFunctionData({
      abi: m.zkVerifier.abi,
      functionName: "verifyTraining",
      args: [claim, proof],
    });
    const execution = Number(gas) - 21_000 - calldataGas(data);
    const floor = 2 * (181_150 + 6_150);
    const line =
      `verifyTraining (2 segments): estimate ${gas} gas, execution ≈ ${execution} ` +
      `(calldata ${calldataGas(data)}), pairing floor 2 × 187,300 = ${floor}, ratio ${(execution / floor).toFixed(3)}`;
    // Breakdown: one generated-verifier call and the two Poseidon calls of one segment.
    const seg0 = proven.segments[0];
    const p0 = proven.proofs[0];
    assert.ok(seg0 && p0);
    const groth16 = await viem.getContractAt("IGroth16Verifier", m.segmentVerifier);
    const verifyArgs = [
      [p0[0], p0[1]],
      [
        [p0[2], p0[3]],
        [p0[4], p0[5]],
      ],
      [p0[6], p0[7]],
      [seg0.publicHash],
    ] as const;
    assert.equal(await groth16.read.verifyProof(verifyArgs), true);
    const segmentGas = await m.publicClient.estimateContractGas({
      address: m.segmentVerifier,
      abi: groth16.abi,
      functionName: "verifyProof",
      args: verifyArgs,
    });
    const segmentData = encodeFunctionData({
      abi: groth16.abi,
      functionName: "verifyProof",
      args: verifyArgs,
    });
    const poseidonGas = async (address: Address, n: 4 | 6) => {
      const args = [Array.from({ length: n }, (_, i) => BigInt(i + 1))] as never;
      const abi = poseidonAbi(n);
      const est = await m.publicClient.estimateContractGas({ address, abi, functionName: "poseidon", args });
      return Number(est) - 21_000 - calldataGas(encodeFunctionData({ abi, functionName: "poseidon", args }));
    };
    const breakdown =
      `one segment verifyProof execution ≈ ${Number(segmentGas) - 21_000 - calldataGas(segmentData)} ` +
      `(floor 187,300); Poseidon(4) ≈ ${await poseidonGas(m.poseidon4, 4)}, ` +
      `Poseidon(6) ≈ ${await poseidonGas(m.poseidon6, 6)} execution gas per call`;
    t.diagnostic(line);
    t.diagnostic(breakdown);
    console.log(`# ${line}\n# ${breakdown}`);
    assert.ok(gas > BigInt(floor), "two pairing checks cost at least the precompile floor");
  });

  it("rejects a tampered proof point (A, B, C): on its curve SegmentInvalid(s), off it PointNotOnCurve(s, point); a truncated encoding without data", async () => {
    const p = proven.proofs;
    const enc = (proofs: ProofWords[]) => encodeTrainingProof(proven.commitments, proofs);
    const w = (s: number, i: number) => (p[s] as ProofWords)[i] as bigint;
    // A negated (still on the curve), segment 0: only the pairing can tell.
    await expectSegmentInvalid(claim, enc(withWord(p, 0, 1, BASE_Q - w(0, 1))), 0n);
    // A.x + 1: not a curve point, segment 1 (the pairing precompile would burn all its gas on it).
    await expectNotOnCurve(claim, enc(withWord(p, 1, 0, w(1, 0) + 1n)), 1n, 0n);
    // C negated, segment 1 (on the curve); C.y + 1, segment 0 (off it).
    await expectSegmentInvalid(claim, enc(withWord(p, 1, 7, BASE_Q - w(1, 7))), 1n);
    await expectNotOnCurve(claim, enc(withWord(p, 0, 7, w(0, 7) + 1n)), 0n, 2n);
    // B: a coordinate changed (off the twist), and the two halves of B.x swapped (off it too).
    await expectNotOnCurve(claim, enc(withWord(p, 0, 2, w(0, 2) + 1n)), 0n, 1n);
    await expectNotOnCurve(claim, enc(withWord(withWord(p, 1, 2, w(1, 3)), 1, 3, w(1, 2))), 1n, 1n);
    // B negated (y → −y in F_p2, still on the twist): the pairing rejects it.
    await expectSegmentInvalid(
      claim,
      enc(withWord(withWord(p, 0, 4, (BASE_Q - w(0, 4)) % BASE_Q), 0, 5, (BASE_Q - w(0, 5)) % BASE_Q)),
      0n,
    );
    // A coordinate at or above the base field modulus (the same point otherwise).
    await expectNotOnCurve(claim, enc(withWord(p, 0, 0, w(0, 0) + BASE_Q)), 0n, 0n);
    // The point at infinity, (0, 0) for A and all zeros for B, is a valid encoding the precompiles
    // accept: the pairing, not the curve check, rejects it.
    await expectSegmentInvalid(claim, enc(withWord(withWord(p, 0, 0, 0n), 0, 1, 0n)), 0n);
    const zeroB = [2, 3, 4, 5].reduce((q, k) => withWord(q, 1, k, 0n), p);
    await expectSegmentInvalid(claim, enc(zeroB), 1n);
    // A G2 coordinate at or above the modulus.
    await expectNotOnCurve(claim, enc(withWord(p, 1, 5, w(1, 5) + BASE_Q)), 1n, 1n);
    // Bytes that do not decode as (uint256[], uint256[8][]).
    await viem.assertions.revert(verify(claim, proof.slice(0, -64) as Hex));
    // Sanity: the untampered run still verifies.
    assert.equal(await verify(claim, enc([...p])), true);
  });

  it("rejects a tampered public value (threshold, spec, dataset, eval set) with SegmentInvalid(0)", async () => {
    for (const tampered of [
      { ...claim, qualityThreshold: claim.qualityThreshold + 1n },
      { ...claim, qualityThreshold: claim.qualityThreshold - 1n },
      { ...claim, qualityThreshold: 0n },
      { ...claim, specHash: bytes32(BigInt(claim.specHash) + 1n) },
      { ...claim, datasetCommitment: bytes32(BigInt(claim.datasetCommitment) ^ 1n) },
      { ...claim, evalCommitment: bytes32(BigInt(claim.evalCommitment) + 1n) },
      // The eval root and the dataset root exchanged.
      { ...claim, datasetCommitment: claim.evalCommitment, evalCommitment: claim.datasetCommitment },
    ]) {
      await expectSegmentInvalid(tampered, proof, 0n);
    }
    // specHash of other hyper-parameters with the same C0 (e.g. S = 1 claimed for a 2-segment run).
    const hash = await getPoseidon();
    const {
      features: D,
      classes: C,
      batchSize: B,
      steps: K,
      fracBits: F,
      lrShift: L,
      evalRows: E,
    } = RUN.params;
    const hpOther = hash([D, C, B, K, F, L, E, 1].map(BigInt));
    await expectSegmentInvalid(
      { ...claim, specHash: bytes32(hash([proven.commitments[0] ?? 0n, hpOther])) },
      proof,
      0n,
    );
  });

  it("rejects the proof for another job, by another provider, on another chain or market", async () => {
    await expectSegmentInvalid({ ...claim, jobId: claim.jobId + 1n }, proof, 0n);
    await expectSegmentInvalid({ ...claim, provider: getAddress(m.provider2.account.address) }, proof, 0n);
    await expectSegmentInvalid({ ...claim, chainId: claim.chainId + 1n }, proof, 0n);
    await expectSegmentInvalid(
      { ...claim, market: getAddress("0x00000000000000000000000000000000000b1a5f") },
      proof,
      0n,
    );
  });

  it("rejects wrong C_K, broken chains, wrong segment counts, malformed bytes, non-field values, tau > 100%", async () => {
    const [c0, c1, c2] = proven.commitments as [bigint, bigint, bigint];
    const [p0, p1] = proven.proofs as [ProofWords, ProofWords];
    // Delivered commitment is not the end of the chain.
    const otherModel = bytes32(c2 + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      verify({ ...claim, modelCommitment: otherModel }, proof),
      m.zkVerifier,
      "Groth16TrainingFinalCommitmentMismatch",
      [otherModel, c2],
    );
    // ...and a chain ending at another model: the last proof does not lead there.
    await expectSegmentInvalid(
      { ...claim, modelCommitment: otherModel },
      encodeTrainingProof([c0, c1, c2 + 1n], [p0, p1]),
      1n,
    );
    // Broken chains: proofs swapped; the middle commitment changed; another C0.
    await expectSegmentInvalid(claim, encodeTrainingProof([c0, c1, c2], [p1, p0]), 0n);
    await expectSegmentInvalid(claim, encodeTrainingProof([c0, c1 + 1n, c2], [p0, p1]), 0n);
    await expectSegmentInvalid(claim, encodeTrainingProof([c0 + 1n, c1, c2], [p0, p1]), 0n);
    // Only the first segment submitted (its output as the model): its proof has isLast = 0.
    await expectSegmentInvalid(
      { ...claim, modelCommitment: bytes32(c1) },
      encodeTrainingProof([c0, c1], [p0]),
      0n,
    );
    // Only the last segment submitted: it does not start at s = 0.
    await expectSegmentInvalid(claim, encodeTrainingProof([c1, c2], [p1]), 0n);
    // A longer chain (the last segment repeated): segment 0 is still segment 0 of 3, but segment 1
    // now has flags = 0 on-chain while the circuit forces isLast = [s == S - 1] = 1, flags = 3.
    await expectSegmentInvalid(claim, encodeTrainingProof([c0, c1, c2, c2], [p0, p1, p1]), 1n);
    // Segment counts.
    await viem.assertions.revertWithCustomErrorWithArgs(
      verify(claim, encodeTrainingProof(Array(34).fill(c2), Array(33).fill(p0))),
      m.zkVerifier,
      "Groth16TrainingSegmentCount",
      [33n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      verify(claim, encodeTrainingProof([c2], [])),
      m.zkVerifier,
      "Groth16TrainingSegmentCount",
      [0n],
    );
    // Malformed bytes: empty; commitments.length != proofs + 1.
    await viem.assertions.revertWithCustomErrorWithArgs(
      verify(claim, "0x"),
      m.zkVerifier,
      "Groth16TrainingMalformedProof",
      [0n, 0n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      verify(claim, encodeTrainingProof([c1, c2], [p0, p1])),
      m.zkVerifier,
      "Groth16TrainingMalformedProof",
      [2n, 2n],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      verify(claim, encodeTrainingProof([c0, c0, c1, c2], [p0, p1])),
      m.zkVerifier,
      "Groth16TrainingMalformedProof",
      [4n, 2n],
    );
    // Values >= r would alias (on-chain Poseidon reduces mod r): rejected by name.
    const r = FIELD_MODULUS;
    for (const [field, name] of [
      ["specHash", "specHash"],
      ["datasetCommitment", "datasetCommitment"],
      ["evalCommitment", "evalCommitment"],
    ] as const) {
      const value = BigInt(claim[field]) + r;
      await viem.assertions.revertWithCustomErrorWithArgs(
        verify({ ...claim, [field]: bytes32(value) }, proof),
        m.zkVerifier,
        "Groth16TrainingNotAFieldElement",
        [name, value],
      );
    }
    // The delivered commitment C_K + r (hashes like C_K) and a middle commitment C_1 + r.
    await viem.assertions.revertWithCustomErrorWithArgs(
      verify({ ...claim, modelCommitment: bytes32(c2 + r) }, encodeTrainingProof([c0, c1, c2 + r], [p0, p1])),
      m.zkVerifier,
      "Groth16TrainingNotAFieldElement",
      ["commitment", c2 + r],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      verify(claim, encodeTrainingProof([c0, c1 + r, c2], [p0, p1])),
      m.zkVerifier,
      "Groth16TrainingNotAFieldElement",
      ["commitment", c1 + r],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      verify({ ...claim, qualityThreshold: 10_001n }, proof),
      m.zkVerifier,
      "Groth16TrainingThresholdOutOfRange",
      [10_001n],
    );
    // Sanity: nothing above touched the valid run.
    assert.equal(await verify(claim, proof), true);
  });

  it("a proof of thresholdMet = true does not verify as false; the outcome is in the last segment only", async () => {
    assert.equal(await verify(claim, proof), true);
    await expectSegmentInvalid({ ...claim, thresholdMet: false }, proof, 1n);
    // publicInput differs only for the last segment.
    const [seg0, seg1] = proven.segments as [SegmentWitness, SegmentWitness];
    const unmetClaim = { ...claim, thresholdMet: false };
    assert.equal(
      await m.zkVerifier.read.publicInput([unmetClaim, seg0.cIn, seg0.cOut, 0n, 2n]),
      seg0.publicHash,
    );
    assert.notEqual(
      await m.zkVerifier.read.publicInput([unmetClaim, seg1.cIn, seg1.cOut, 1n, 2n]),
      seg1.publicHash,
    );
  });

  it("threshold not met: the run is proven (flags 1) and verifies as thresholdMet = false only", async () => {
    // The same data with tau = 7501: the trained model reaches 3/4 = 7500 basis points.
    const unmetRun: TrainingRun = { ...RUN, tau: 7501 };
    const unmet = await proveRun(unmetRun, binding, circuit);
    const last = unmet.segments[1];
    assert.ok(last);
    assert.deepEqual(last.metric, { correct: 3, total: 4, tau: 7501, ok: false });
    assert.deepEqual([unmet.thresholdMet, last.flags, last.thresholdMet], [false, 1, false]);
    // Same training, same commitments as the met run: only the outcome (and tau) differ.
    assert.deepEqual(unmet.commitments, proven.commitments);
    const unmetClaim = claimFor(binding, unmet);
    assert.deepEqual([unmetClaim.qualityThreshold, unmetClaim.thresholdMet], [7501n, false]);
    const unmetProof = encodeTrainingProof(unmet.commitments, unmet.proofs);
    assert.equal(await verify(unmetClaim, unmetProof), true);
    for (const [s, seg] of unmet.segments.entries()) {
      assert.equal(
        await m.zkVerifier.read.publicInput([unmetClaim, seg.cIn, seg.cOut, BigInt(s), 2n]),
        seg.publicHash,
        `segment ${s}`,
      );
    }
    // Claimed as met: the last segment's proof does not verify.
    await expectSegmentInvalid({ ...unmetClaim, thresholdMet: true }, unmetProof, 1n);
    // Nor does it pass for the met job (tau 7500) with either outcome: tau is in every segment's hash.
    await expectSegmentInvalid({ ...unmetClaim, qualityThreshold: 7500n }, unmetProof, 0n);
    await expectSegmentInvalid(
      { ...unmetClaim, qualityThreshold: 7500n, thresholdMet: true },
      unmetProof,
      0n,
    );
    // The met run's proof with the met job's claim but outcome false (checked above) and a mix of
    // the two runs' last segments: segment 1 of the unmet run under the met claim.
    await expectSegmentInvalid(
      claim,
      encodeTrainingProof(proven.commitments, [
        proven.proofs[0] as ProofWords,
        unmet.proofs[1] as ProofWords,
      ]),
      1n,
    );
  });

  it("saturation: a run whose bias leaves 16 bits is proven with the clamped bias and verifies", async () => {
    const p = RUN.params;
    // Large positive weights, x = 255 and a very negative bias: z ≈ 95,000, so the bias update drops
    // below -2^15 in step 0 and is clamped to -32768.
    const saturating: TrainingRun = {
      ...RUN,
      initialWeights: {
        weights: [Array(p.features).fill(32000n), Array(p.features).fill(32000n)],
        bias: [-32000n, -32000n],
      },
      trainRows: Array.from({ length: 8 }, () => row([255, 255, 255, 255], 0)),
      evalRows: Array.from({ length: 4 }, () => row([255, 255, 255, 255], 0)),
      tau: 0,
    };
    const run = await proveRun(saturating, binding, circuit);
    assert.equal(run.saturated, true);
    const first = run.segments[0]?.saturations[0];
    assert.ok(first);
    assert.match(first.label, /^b\[\d\] after step 0$/);
    assert.equal(first.clamped, -32768n);
    const satClaim = claimFor(binding, run);
    assert.equal(await verify(satClaim, encodeTrainingProof(run.commitments, run.proofs)), true);
  });

  it("an input weight outside 16 bits (the buyer's malformed C0) has no witness", async () => {
    const dec = (v: bigint) => encodeField(v).toString();
    await assert.rejects(
      snarkjs.groth16.fullProve(
        {
          ...proven.segments[0]?.input,
          W_in: [
            [dec(-40000n), "0", "0", "0"],
            ["0", "0", "0", "0"],
          ],
        },
        circuit.wasm,
        circuit.zkey,
      ),
      /Assert Failed/,
    );
  });
});

describe("JobMarket settles with the real Groth16TrainingVerifier", () => {
  /** Proofs by ctx: the fixture restores the chain, so a job reposted there gets the same id. */
  const proofCache = new Map<bigint, ProvenRun>();

  async function provenFor(m: ZkMarket, job: AttestedJob): Promise<ProvenRun> {
    const binding = {
      chainId: BigInt(m.chainId),
      market: m.jobMarket.address,
      jobId: job.jobId,
      provider: getAddress(m.provider.account.address),
    };
    const ctx = trainingContext(binding);
    let run = proofCache.get(ctx);
    if (!run) {
      run = await proveRun(RUN, binding, circuit);
      console.log(`# market job ${job.jobId}: prove ms per segment ${run.proveMs.join(", ")}`);
      proofCache.set(ctx, run);
    }
    return run;
  }

  /** Posts a job whose terms carry the run's spec, data and eval commitments and threshold; bids; attests. */
  async function attestedRunJob(m: ZkMarket, price: bigint): Promise<AttestedJob> {
    const ref = (await proveRunValues())[0];
    assert.ok(ref);
    const secrets = newBuyerSecrets(m.stranger.account.address);
    const terms = {
      ...buildJobTerms({ now: await now(), secrets, priceCeiling: CEILING, configId: m.configId }),
      specHash: bytes32(ref.specHash),
      datasetCommitment: bytes32(ref.rTrain),
      evalCommitment: bytes32(ref.rEval),
      qualityThreshold: BigInt(RUN.tau),
    };
    const { jobId } = await postJob(m.publicClient, m.buyer, m.deployment, terms);
    const job = { jobId, terms, secrets };
    await bid(m, job, price);
    await endBidding(job);
    const enclave = newSimulatedEnclave();
    await m.jobMarket.write.submitAttestation(
      [jobId, terms, ...(await attestationArgs(m, job, { enclave }))],
      {
        account: m.provider.account,
      },
    );
    assert.equal(await m.jobMarket.read.statusOf([jobId]), JobStatus.Attested);
    return { ...job, enclave };
  }

  let values: SegmentWitness[] | undefined;
  /** The run's spec, data and eval commitments do not depend on the job (ctx). */
  async function proveRunValues(): Promise<SegmentWitness[]> {
    values ??= await segmentInputs(RUN, 0n);
    return values;
  }

  it("a proven job completes and pays the provider; submitResult gas", async (t) => {
    const m = await loadZkMarket();
    assert.equal(
      getAddress((await m.jobMarket.read.configOf([m.configId])).trainingVerifier),
      getAddress(m.zkVerifier.address),
    );
    const price = CEILING / 2n;
    const job = await attestedRunJob(m, price);
    const run = await provenFor(m, job);
    const cK = run.commitments.at(-1) ?? 0n;
    const proof = encodeTrainingProof(run.commitments, run.proofs);
    const ciphertext = randomBytes32();
    const result = await signedResult(m, job, {
      modelCommitment: bytes32(cK),
      modelCiphertextHash: ciphertext,
      thresholdMet: run.thresholdMet,
      proof,
    });
    const hash = await m.jobMarket.write.submitResult([job.jobId, job.terms, result], {
      account: m.provider.account,
    });
    await viem.assertions.balancesHaveChanged(hash, [
      { address: m.provider.account.address, amount: price },
      { address: m.jobMarket.address, amount: -price },
    ]);
    await viem.assertions.emitWithArgs(hash, m.jobMarket, "ProofVerified", [
      job.jobId,
      bytes32(cK),
      ciphertext,
      true,
    ]);
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Completed);
    assert.equal((await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH])).locked, 0n);
    const receipt = await m.publicClient.waitForTransactionReceipt({ hash });
    const line = `submitResult with a 2-segment Groth16 proof: gasUsed ${receipt.gasUsed}`;
    t.diagnostic(line);
    console.log(`# ${line}`);
  });

  it("a tampered proof fails the job with EvidenceRejected(ProofRejected) and slashes the collateral", async () => {
    const m = await loadZkMarket();
    const price = CEILING / 2n;
    const job = await attestedRunJob(m, price);
    const run = await provenFor(m, job);
    const cK = run.commitments.at(-1) ?? 0n;
    const a = run.proofs[1]?.[1] ?? 0n;
    const tampered = encodeTrainingProof(run.commitments, withWord(run.proofs, 1, 1, BASE_Q - a));
    const stakeBefore = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);
    assert.ok(stakeBefore.locked > 0n, "the bid locked collateral");
    const treasuryBefore = await m.providerRegistry.read.treasuryAccrued([ETH]);
    const tamperedResult = await signedResult(m, job, {
      modelCommitment: bytes32(cK),
      thresholdMet: run.thresholdMet,
      proof: tampered,
    });
    const hash = await m.jobMarket.write.submitResult([job.jobId, job.terms, tamperedResult], {
      account: m.provider.account,
    });
    await viem.assertions.emitWithArgs(hash, m.jobMarket, "EvidenceRejected", [
      job.jobId,
      FailureReason.ProofRejected,
      encodeErrorResult({ abi: m.zkVerifier.abi, errorName: "Groth16TrainingSegmentInvalid", args: [1n] }),
    ]);
    await viem.assertions.emit(hash, m.jobMarket, "JobFailed");
    await viem.assertions.balancesHaveChanged(hash, [{ address: m.provider.account.address, amount: 0n }]);
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Failed);
    const stakeAfter = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);
    assert.equal(stakeAfter.locked, 0n, "collateral slashed");
    assert.equal(stakeAfter.free, stakeBefore.free, "only the locked collateral is slashed");
    assert.ok((await m.providerRegistry.read.treasuryAccrued([ETH])) > treasuryBefore);
    // The untampered proof cannot be submitted afterwards.
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.jobMarket.write.submitResult(
        [
          job.jobId,
          job.terms,
          await signedResult(m, job, {
            modelCommitment: bytes32(cK),
            thresholdMet: run.thresholdMet,
            proof: encodeTrainingProof(run.commitments, run.proofs),
          }),
        ],
        { account: m.provider.account },
      ),
      m.jobMarket,
      "JobMarketInvalidStatus",
      [job.jobId, JobStatus.Failed],
    );
  });
});
