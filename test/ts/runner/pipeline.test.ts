// The enclave runner end to end on the in-process chain with the real Groth16 verifier of
// segment_test: a buyer-encrypted dataset recorded on chain goes in; an encrypted adapter, a signed
// evidence bundle and an enclave-signed result the market pays for come out (Completed, or
// BelowThreshold when the metric misses τ). Every kind of bad input ends the run with its code in
// the bundle and no adapter; when the buyer's data is at fault, with a signed failure statement the
// market accepts (BuyerDefaulted: the provider is paid the cancellation fee, not slashed).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { x25519 } from "@noble/curves/ed25519.js";
import * as snarkjs from "snarkjs";
import { bytesToHex, type Hex, hexToBytes, toHex } from "viem";
import { SimulatedTdxSource } from "../../../enclave-runner/attestation/simulated.ts";
import { Featurizer } from "../../../enclave-runner/model/index.ts";
import {
  bundleSigner,
  type EvidenceBundle,
  type FailureStatementFile,
} from "../../../enclave-runner/runner/bundle.ts";
import { encodeDataset } from "../../../enclave-runner/runner/dataset.ts";
import { viemMarketReader } from "../../../enclave-runner/runner/market.ts";
import {
  type AttestationRequest,
  type RunJobOptions,
  runJob,
} from "../../../enclave-runner/runner/pipeline.ts";
import type { TrainerBackend } from "../../../enclave-runner/trainer/backend.ts";
import { BuiltinTrainer } from "../../../enclave-runner/trainer/builtin.ts";
import { ExternalTrainer } from "../../../enclave-runner/trainer/external.ts";
import { type BuyerTask, type Delivery, deliverData } from "../../../scripts/lib/buyer.ts";
import { decryptAdapter } from "../../../sdk/adapter.ts";
import { type BlobId, blobIdHex, MemoryBlobStore } from "../../../sdk/blobs/blobStore.ts";
import { encryptEnvelope } from "../../../sdk/envelope/index.ts";
import { useNodeCrypto } from "../../../sdk/envelope/node.ts";
import {
  decodeBoundTrainingProof,
  featureBackendId,
  recoverFeatureBindingSigner,
} from "../../../sdk/featureBinding.ts";
import { deliveryDataHash } from "../../../sdk/ownerActions.ts";
import { getPoseidon, rowsRoot } from "../../../sdk/training/index.ts";
import { FailureReason, JobStatus } from "../../../sdk/types.ts";
import { networkHelpers } from "../../support/fixture.ts";
import {
  buyerRows,
  buyerTask,
  deliverAndRecord,
  jobAwaitingAttestation,
  loadZkMarket,
  PARAMS,
  runnerPrerequisites,
  type ZkMarket,
} from "../../support/runnerJob.ts";

useNodeCrypto();
const EXAMPLE_BACKEND = [
  process.execPath,
  new URL("../../../enclave-runner/trainer/examples/stdio-backend.ts", import.meta.url).pathname,
];

let task: BuyerTask;
describe("enclave runner", () => {
  before(async () => {
    await runnerPrerequisites();
    task = await buyerTask();
  });
  after(async () => {
    await (await snarkjs.curves.getCurveFromName("bn128")).terminate();
  });

  type Upload = Pick<Delivery, "blobIds" | "sizes">;
  type Deliver = (ctx: {
    m: ZkMarket;
    jobId: bigint;
    enclaveKey: Hex;
    blobs: MemoryBlobStore;
  }) => Promise<Upload>;

  /** A delivery of stored blobs, in this order, with their sizes. */
  const upload = async (blobs: MemoryBlobStore, ids: BlobId[]): Promise<Upload> => ({
    blobIds: ids.map((id) => `0x${blobIdHex(id)}` as Hex),
    sizes: await Promise.all(ids.map(async (id) => BigInt((await blobs.get(id)).length))),
  });

  /**
   * Runs one job: the test plays the provider node (submits the attestation) and the buyer (uploads
   * and records the delivery, unless `deliver` is null; then the data deadline passes instead).
   */
  async function runOnce(options: {
    task?: BuyerTask;
    trainer?: TrainerBackend;
    deliver?: Deliver | null;
    editSpec?: Parameters<typeof jobAwaitingAttestation>[2];
    /** false: the edit is the provider's and keeps the buyer's old signature. */
    resign?: boolean;
    submitAttestation?: boolean;
    prove?: boolean;
    extra?: Partial<RunJobOptions>;
  }) {
    const m = await loadZkMarket();
    const { model, circuit } = await runnerPrerequisites();
    const t = options.task ?? task;
    const job = await jobAwaitingAttestation(m, t, options.editSpec, { resign: options.resign });
    const blobs = new MemoryBlobStore();
    const events: string[] = [];
    const trainer = options.trainer ?? new BuiltinTrainer({ workers: 2 });
    const deliver =
      options.deliver === undefined
        ? (c: Parameters<Deliver>[0]) => deliverData(c.blobs, c.enclaveKey, c.jobId, t)
        : options.deliver;
    const bundle = await runJob({
      spec: job.spec,
      market: viemMarketReader(m.publicClient, m.deployment.jobMarket),
      evidenceSource: new SimulatedTdxSource(),
      blobs,
      trainer,
      baseModel: model,
      circuit: options.prove === false ? undefined : circuit,
      publishAttestation: async (r: AttestationRequest) => {
        if (options.submitAttestation === false) return;
        await m.jobMarket.write.submitAttestation(
          [job.jobId, job.terms, r.teeType, r.enclaveEncryptionKey, r.enclaveSigner, r.evidence],
          { account: m.provider.account },
        );
        // The buyer's part, once the market accepted the enclave's key.
        if (deliver === null) await networkHelpers.time.increaseTo(job.terms.dataDeadline + 1n);
        else
          await deliverAndRecord(m, job, (enclaveKey) => deliver({ m, jobId: job.jobId, enclaveKey, blobs }));
      },
      log: (e) => events.push(JSON.stringify(e)),
      pollMs: 20,
      attestationTimeoutMs: 2000,
      ...options.extra,
    });
    await trainer.close();
    return { m, job, bundle, blobs, events };
  }

  const failedWith = (bundle: EvidenceBundle, code: string, stage?: string) => {
    assert.equal(bundle.status, "failed");
    assert.equal(bundle.error?.code, code, JSON.stringify(bundle.error));
    if (stage) assert.equal(bundle.error?.stage, stage);
    assert.equal(bundle.adapter, undefined, "a failed run produced an adapter");
    assert.equal(bundle.submitResult, undefined);
  };

  /** The run failed because of the buyer's data: the signed statement names `reason` and the recorded delivery. */
  const buyerFault = (bundle: EvidenceBundle, reason: number) => {
    assert.ok(bundle.submitFailure, `no failure statement: ${JSON.stringify(bundle.error)}`);
    assert.equal(bundle.submitFailure.statement.reason, reason);
    assert.equal(bundle.submitFailure.statement.dataHash, bundle.delivery?.dataHash);
    assert.equal(bundle.submitFailure.statement.faultyMembers, "0");
    return bundle.submitFailure;
  };

  /** Submits the bundle's failure statement from the provider: BuyerDefaulted, fee paid, collateral released. */
  const settleFailure = async (r: Awaited<ReturnType<typeof runOnce>>) => {
    const { m, job, bundle } = r;
    const failure = bundle.submitFailure;
    assert.ok(failure);
    const { collateral, price } = await m.jobMarket.read.getJob([job.jobId]);
    const before = await m.providerRegistry.read.stakeOf([m.provider.account.address, job.terms.asset]);
    const balance = await m.publicClient.getBalance({ address: m.provider.account.address });
    const statement = { ...failure.statement, faultyMembers: BigInt(failure.statement.faultyMembers) };
    const hash = await m.jobMarket.write.submitFailure([job.jobId, job.terms, statement, failure.signature], {
      account: m.provider.account,
    });
    const receipt = await m.publicClient.waitForTransactionReceipt({ hash });
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.BuyerDefaulted);
    const after = await m.providerRegistry.read.stakeOf([m.provider.account.address, job.terms.asset]);
    assert.ok(collateral > 0n);
    assert.equal(after.locked, before.locked - collateral, "the collateral is released, not slashed");
    assert.equal(after.free, before.free + collateral);
    // The cancellation fee (default config: 10 % of the price) is sent to the provider, who called.
    const fee = (price * 1000n) / 10_000n;
    const gas = receipt.gasUsed * receipt.effectiveGasPrice;
    assert.equal(
      await m.publicClient.getBalance({ address: m.provider.account.address }),
      balance + fee - gas,
    );
  };

  describe("enclave runner pipeline (segment_test, Simulated TEE)", () => {
    it("turns the buyer's encrypted data into an encrypted adapter, a signed bundle and a proof the market pays for", async () => {
      const { m, job, bundle, blobs, events } = await runOnce({});
      assert.equal(bundle.status, "ok", JSON.stringify(bundle.error));
      const onChain = await m.jobMarket.read.getJob([job.jobId]);
      assert.equal(onChain.status, JobStatus.Attested);
      assert.equal((await bundleSigner(bundle)).toLowerCase(), onChain.enclaveSigner.toLowerCase());
      // The raw commitments are the posted ones; the feature commitments are the runner's own
      // features of the buyer's rows (recomputed here with the public base model), and the enclave
      // signed that binding inside the proof the market checks.
      const { model } = await runnerPrerequisites();
      const featurizer = await Featurizer.create(model);
      const features = featurizer.featurize([...task.train, ...task.eval].map((r) => r.text));
      featurizer.dispose();
      const hash = await getPoseidon();
      const rowsOf = (set: typeof task.train, offset: number) =>
        set.map((r, i) => ({ x: features[offset + i] as bigint[], y: r.label }));
      const word = (v: bigint) => toHex(v, { size: 32 });
      assert.equal(bundle.commitments?.rawTrain, job.terms.datasetCommitment);
      assert.equal(bundle.commitments?.rawEval, job.terms.evalCommitment);
      assert.equal(bundle.commitments?.rTrain, word(rowsRoot(hash, rowsOf(task.train, 0), PARAMS)));
      assert.equal(
        bundle.commitments?.rEval,
        word(rowsRoot(hash, rowsOf(task.eval, task.train.length), PARAMS)),
      );
      const bound = decodeBoundTrainingProof(bundle.submitResult?.proof ?? "0x");
      assert.equal(bound.binding.featureTrainCommitment, bundle.commitments?.rTrain);
      assert.equal(bound.binding.featureEvalCommitment, bundle.commitments?.rEval);
      assert.equal(bound.binding.baseModelHash, model.sha256);
      assert.equal(bound.binding.featureBackend, featureBackendId(bundle.runner.trainer));
      assert.equal(
        await recoverFeatureBindingSigner(
          {
            chainId: m.chainId,
            market: m.deployment.jobMarket,
            jobId: job.jobId,
            rawTrainCommitment: job.terms.datasetCommitment,
            rawEvalCommitment: job.terms.evalCommitment,
            binding: bound.binding,
          },
          bound.signature,
        ),
        onChain.enclaveSigner,
      );
      assert.ok(bundle.metric?.met);
      assert.ok(
        bundle.evaluation && bundle.evaluation.finetuned.mse < bundle.evaluation.base.mse,
        JSON.stringify(bundle.evaluation),
      );
      assert.ok((bundle.inputs?.tokens ?? 0) > 0);
      for (const stage of ["train", "verify", "prove", "encrypt"])
        assert.ok((bundle.timings[stage] ?? -1) >= 0, stage);

      // The runner read exactly the delivery the owner key recorded.
      assert.ok(bundle.delivery);
      assert.equal(bundle.delivery.blobs.length, 2);
      const record = await m.dataDelivery.read.deliveryOf([job.jobId]);
      assert.equal(bundle.delivery.dataHash, record.dataHash);
      assert.equal(
        deliveryDataHash({
          blobIds: bundle.delivery.blobs.map((b) => `0x${b.id.slice("sha256:".length)}` as Hex),
          sizes: bundle.delivery.blobs.map((b) => BigInt(b.bytes)),
        }),
        record.dataHash,
      );
      assert.equal(bundle.submitFailure, undefined);

      // The bundle's submitResult is the Result struct, signed by the attested enclave.
      const result = bundle.submitResult;
      assert.ok(result);
      assert.equal(result.thresholdMet, true);
      await m.jobMarket.write.submitResult([job.jobId, job.terms, result], { account: m.provider.account });
      assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Completed);

      // The buyer fetches the adapter by its hash (= the on-chain ciphertext hash) and decrypts it.
      assert.ok(bundle.adapter);
      const envelope = await blobs.get(bundle.adapter.blobId as `sha256:${string}`);
      assert.equal(`sha256:${result.modelCiphertextHash.slice(2)}`, bundle.adapter.blobId);
      const adapter = await decryptAdapter({
        envelope,
        buyerSecretKey: job.buyerKey,
        jobId: job.jobId,
        modelCommitment: result.modelCommitment,
      });
      assert.equal(adapter.commitment, result.modelCommitment);
      assert.equal(adapter.baseModel.sha256, job.spec.baseModel.sha256);
      assert.ok(
        events.some((e) => e.includes('"stage":"train"')),
        "no training progress was logged",
      );
    });

    it("the external-process backend (example, over stdio) yields the same adapter as the built-in trainer", async () => {
      const builtin = await runOnce({ prove: false });
      const external = await runOnce({
        prove: false,
        trainer: new ExternalTrainer({ command: EXAMPLE_BACKEND }),
      });
      assert.equal(external.bundle.status, "ok", JSON.stringify(external.bundle.error));
      assert.match(external.bundle.runner.trainer, /^external\(/);
      assert.equal(external.bundle.commitments?.cK, builtin.bundle.commitments?.cK);
      assert.deepEqual(external.bundle.evaluation, builtin.bundle.evaluation);
    });

    it("a backend whose weights differ from the reference is caught (TrainerFailed)", async () => {
      const { bundle } = await runOnce({
        prove: false,
        trainer: new ExternalTrainer({
          command: [...EXAMPLE_BACKEND],
          env: { BLIND_TRAINING_EXAMPLE_BACKEND_FAULT: "weights" },
        }),
      });
      failedWith(bundle, "TrainerFailed", "verify");
      assert.match(bundle.error?.message ?? "", /diverge from the fixed-point reference/);
    });

    it("a backend whose features are not the base model's is caught (TrainerFailed), within one unit or not", async () => {
      for (const [fault, message] of [
        ["features", /differ from the base model's by more than one unit \(training row 0, feature 0\)/],
        ["features-off-by-one", /one unit off on 4 of 48 sampled values \(at most 1 % allowed\)/],
      ] as const) {
        const { bundle } = await runOnce({
          prove: false,
          trainer: new ExternalTrainer({
            command: [...EXAMPLE_BACKEND],
            env: { BLIND_TRAINING_EXAMPLE_BACKEND_FAULT: fault },
          }),
        });
        failedWith(bundle, "TrainerFailed", "verify");
        assert.match(bundle.error?.message ?? "", message);
        assert.equal(bundle.submitFailure, undefined, "a backend's fault is never the buyer's");
      }
    });

    it("a backend that dies is reported, not a crash (TrainerFailed)", async () => {
      const { bundle } = await runOnce({
        prove: false,
        trainer: new ExternalTrainer({ command: [process.execPath, "-e", "process.exit(3)"] }),
      });
      failedWith(bundle, "TrainerFailed", "train");
      assert.match(bundle.error?.message ?? "", /exit code 3/);
    });
  });

  describe("enclave runner: bad input ends the run with a bundle that says why", () => {
    const sealed = (c: Parameters<Deliver>[0], bytes: Uint8Array, jobId = c.jobId) =>
      encryptEnvelope({ plaintext: bytes, recipientPublicKey: hexToBytes(c.enclaveKey), jobId }).then((e) =>
        c.blobs.put(e),
      );
    const goodEval = (c: Parameters<Deliver>[0]) => sealed(c, encodeDataset(task.eval, task.raw.eval.salt));

    it("corrupt ciphertext → CorruptCiphertext; a DataMalformed statement the market accepts (BuyerDefaulted)", async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "bt-failure-"));
      try {
        const failurePath = path.join(dir, "failure.json");
        const run = await runOnce({
          deliver: async (c) => {
            const e = await encryptEnvelope({
              plaintext: encodeDataset(task.train, task.raw.train.salt),
              recipientPublicKey: hexToBytes(c.enclaveKey),
              jobId: c.jobId,
            });
            e[e.length - 5] = (e[e.length - 5] as number) ^ 0x01;
            return upload(c.blobs, [await c.blobs.put(e), await goodEval(c)]);
          },
          extra: { failurePath },
        });
        failedWith(run.bundle, "CorruptCiphertext", "decrypt");
        const failure = buyerFault(run.bundle, FailureReason.DataMalformed);
        assert.equal(failure.reasonName, "DataMalformed");
        // The statement file: what the provider node submits, written atomically, without data.
        const file = JSON.parse(readFileSync(failurePath, "utf8")) as FailureStatementFile;
        assert.equal(file.format, "blind-training/failure-statement");
        assert.deepEqual(file.statement, failure.statement);
        assert.equal(file.signature, failure.signature);
        assert.equal(file.error.code, "CorruptCiphertext");
        const onChain = await run.m.jobMarket.read.getJob([run.job.jobId]);
        assert.equal(file.enclaveSigner.toLowerCase(), onChain.enclaveSigner.toLowerCase());
        await settleFailure(run);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("an envelope for another job → WrongJob (DataMalformed)", async () => {
      const { bundle } = await runOnce({
        deliver: async (c) =>
          upload(c.blobs, [
            await sealed(c, encodeDataset(task.train, task.raw.train.salt), c.jobId + 1n),
            await goodEval(c),
          ]),
      });
      failedWith(bundle, "WrongJob", "decrypt");
      buyerFault(bundle, FailureReason.DataMalformed);
    });

    it("data that does not parse → BadData; empty → EmptyDataset; too many rows → WrongRowCount (each DataMalformed)", async () => {
      const cases: [Uint8Array, string][] = [
        [new TextEncoder().encode("this is not json\n"), "BadData"],
        [new Uint8Array(0), "EmptyDataset"],
        [encodeDataset([...task.train, ...task.train], task.raw.train.salt), "WrongRowCount"],
      ];
      for (const [bytes, code] of cases) {
        const { bundle } = await runOnce({
          deliver: async (c) => upload(c.blobs, [await sealed(c, bytes), await goodEval(c)]),
        });
        failedWith(bundle, code, "parse");
        buyerFault(bundle, FailureReason.DataMalformed);
      }
    });

    it("a recorded delivery of other than two blobs → BadData (DataMalformed), nothing fetched", async () => {
      const { bundle } = await runOnce({
        deliver: async (c) => {
          const train = await sealed(c, encodeDataset(task.train, task.raw.train.salt));
          return upload(c.blobs, [train, await goodEval(c), train]);
        },
      });
      failedWith(bundle, "BadData", "fetch");
      assert.match(bundle.error?.message ?? "", /lists 3 blob\(s\)/);
      buyerFault(bundle, FailureReason.DataMalformed);
    });

    it("a dataset beyond the spec's (provider's) limit → DatasetTooLarge before fetching, and no statement", async () => {
      const { bundle } = await runOnce({
        editSpec: (s) => {
          s.maxDatasetBytes = 64;
        },
        deliver: async (c) =>
          upload(c.blobs, [await sealed(c, new Uint8Array(64 * 1024)), await goodEval(c)]),
      });
      failedWith(bundle, "DatasetTooLarge", "fetch");
      assert.equal(
        bundle.submitFailure,
        undefined,
        "a limit below the runner's own is the provider's choice",
      );
    });

    it("data other than what the buyer committed to → CommitmentMismatch; a DataMismatch statement settles BuyerDefaulted", async () => {
      const other = buyerRows(99);
      const run = await runOnce({
        deliver: (c) => deliverData(c.blobs, c.enclaveKey, c.jobId, { ...other, raw: task.raw }),
      });
      failedWith(run.bundle, "CommitmentMismatch", "verify-raw");
      buyerFault(run.bundle, FailureReason.DataMismatch);
      await settleFailure(run);
    });

    it("recorded blobs the store does not have → BlobUnavailable, no statement (the availability challenge decides)", async () => {
      const { bundle } = await runOnce({
        deliver: async (c) => {
          const d = await deliverData(c.blobs, c.enclaveKey, c.jobId, task);
          return { blobIds: [d.blobIds[0] as Hex, `0x${"ab".repeat(32)}` as Hex], sizes: d.sizes };
        },
      });
      failedWith(bundle, "BlobUnavailable", "fetch");
      assert.match(bundle.error?.message ?? "", /challengeDelivery/);
      assert.equal(bundle.submitFailure, undefined);
    });

    it("nothing recorded by the data deadline → DeliveryTimeout naming enforceDeadline, no statement", async () => {
      const { bundle } = await runOnce({ deliver: null });
      failedWith(bundle, "DeliveryTimeout", "await-delivery");
      assert.match(bundle.error?.message ?? "", /nothing was recorded .* by its data deadline/);
      assert.match(bundle.error?.message ?? "", /enforceDeadline \(BuyerDefaulted, NoDataDelivered\)/);
      assert.equal(bundle.submitFailure, undefined);
      assert.equal(bundle.delivery, undefined);
    });

    it("an eval metric below the threshold is the BelowThreshold outcome: proven, signed, paid the compute share", async () => {
      // Inverted eval labels and τ = 100 %: the trained head cannot be right on all of them.
      const inverted = { ...buyerRows(), eval: buyerRows().eval.map((r) => ({ ...r, label: 1 - r.label })) };
      const strictInverted = await buyerTask(inverted, 10_000);
      const { m, job, bundle } = await runOnce({ task: strictInverted });
      assert.equal(bundle.status, "ok", JSON.stringify(bundle.error));
      assert.ok(bundle.metric && !bundle.metric.met);
      const result = bundle.submitResult;
      assert.ok(result);
      assert.equal(result.thresholdMet, false);
      await m.jobMarket.write.submitResult([job.jobId, job.terms, result], { account: m.provider.account });
      assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.BelowThreshold);
      // A result claiming the other outcome is refused by the proof (its last segment hashes the flag).
      assert.ok(bundle.adapter, "the buyer still gets the model");
    });

    it("terms that differ from the chain's → JobMismatch; an attestation never accepted → AttestationNotAccepted", async () => {
      const mismatch = await runOnce({
        editSpec: (s) => {
          s.terms = { ...s.terms, priceCeiling: s.terms.priceCeiling + 1n };
        },
      });
      failedWith(mismatch.bundle, "JobMismatch", "check");
      const ignored = await runOnce({ submitAttestation: false, extra: { attestationTimeoutMs: 200 } });
      failedWith(ignored.bundle, "AttestationNotAccepted", "await-attestation");
    });

    it("attack: a provider that swaps the buyer's result key in the spec gets BadJobSpec before any attestation, never the model", async () => {
      const providerKey = x25519.utils.randomSecretKey();
      const { bundle, m, job } = await runOnce({
        resign: false,
        submitAttestation: false,
        editSpec: (s) => {
          s.buyerPublicKey = bytesToHex(x25519.getPublicKey(providerKey));
        },
      });
      failedWith(bundle, "BadJobSpec", "check");
      assert.match(bundle.error?.message ?? "", /not by the job's owner key/);
      assert.equal(bundle.enclave, undefined, "no keys, no evidence");
      assert.equal(bundle.adapter, undefined);
      assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Matched);
    });
  });
});
