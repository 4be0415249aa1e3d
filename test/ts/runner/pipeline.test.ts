// The enclave runner end to end on the in-process chain with the real Groth16 verifier of
// segment_test: a buyer-encrypted dataset goes in; an encrypted adapter, a signed evidence bundle
// and a proof the market pays for come out. Then every kind of bad input ends the run with its
// code in the bundle and no adapter.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as snarkjs from "snarkjs";
import { type Hex, hexToBytes } from "viem";
import { SimulatedTdxSource } from "../../../enclave-runner/attestation/simulated.ts";
import { bundleSigner, type EvidenceBundle } from "../../../enclave-runner/runner/bundle.ts";
import { encodeDataset } from "../../../enclave-runner/runner/dataset.ts";
import { viemMarketReader } from "../../../enclave-runner/runner/market.ts";
import {
  type AttestationRequest,
  type Delivery,
  type RunJobOptions,
  runJob,
} from "../../../enclave-runner/runner/pipeline.ts";
import type { TrainerBackend } from "../../../enclave-runner/trainer/backend.ts";
import { BuiltinTrainer } from "../../../enclave-runner/trainer/builtin.ts";
import { ExternalTrainer } from "../../../enclave-runner/trainer/external.ts";
import { attestedEnclaveKey, type BuyerTask, deliverData } from "../../../scripts/lib/buyer.ts";
import { decryptAdapter } from "../../../sdk/adapter.ts";
import { MemoryBlobStore } from "../../../sdk/blobs/blobStore.ts";
import { encryptEnvelope } from "../../../sdk/envelope/index.ts";
import { useNodeCrypto } from "../../../sdk/envelope/node.ts";
import { JobStatus } from "../../../sdk/types.ts";
import type { Market } from "../../support/fixture.ts";
import {
  buyerRows,
  buyerTask,
  jobAwaitingAttestation,
  loadZkMarket,
  runnerPrerequisites,
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

  type Deliver = (ctx: {
    m: Market;
    jobId: bigint;
    enclaveKey: Hex;
    blobs: MemoryBlobStore;
  }) => Promise<Delivery>;

  /** Runs one job: the test plays the provider node (submits the attestation) and the buyer (delivers). */
  async function runOnce(options: {
    task?: BuyerTask;
    trainer?: TrainerBackend;
    deliver?: Deliver;
    editSpec?: Parameters<typeof jobAwaitingAttestation>[2];
    submitAttestation?: boolean;
    prove?: boolean;
    extra?: Partial<RunJobOptions>;
  }) {
    const m = await loadZkMarket();
    const { model, circuit } = await runnerPrerequisites();
    const t = options.task ?? task;
    const job = await jobAwaitingAttestation(m, t, options.editSpec);
    const blobs = new MemoryBlobStore();
    const events: string[] = [];
    const trainer = options.trainer ?? new BuiltinTrainer({ workers: 2 });
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
      },
      waitForDelivery: async () => {
        const enclaveKey = await attestedEnclaveKey(m.publicClient, m.deployment.jobMarket, job.jobId);
        return (
          options.deliver ??
          ((c) => deliverData(c.blobs, c.enclaveKey, c.jobId, { train: t.train, eval: t.eval }))
        )({
          m,
          jobId: job.jobId,
          enclaveKey,
          blobs,
        });
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

  describe("enclave runner pipeline (segment_test, Simulated TEE)", () => {
    it("turns the buyer's encrypted data into an encrypted adapter, a signed bundle and a proof the market pays for", async () => {
      const { m, job, bundle, blobs, events } = await runOnce({});
      assert.equal(bundle.status, "ok", JSON.stringify(bundle.error));
      const onChain = await m.jobMarket.read.getJob([job.jobId]);
      assert.equal(onChain.status, JobStatus.Attested);
      assert.equal((await bundleSigner(bundle)).toLowerCase(), onChain.enclaveSigner.toLowerCase());
      assert.equal(bundle.commitments?.rTrain, job.terms.datasetCommitment);
      assert.ok(bundle.metric?.met);
      assert.ok(
        bundle.evaluation && bundle.evaluation.finetuned.mse < bundle.evaluation.base.mse,
        JSON.stringify(bundle.evaluation),
      );
      assert.ok((bundle.inputs?.tokens ?? 0) > 0);
      for (const stage of ["train", "verify", "prove", "encrypt"])
        assert.ok((bundle.timings[stage] ?? -1) >= 0, stage);

      const result = bundle.submitResult;
      assert.ok(result);
      await m.jobMarket.write.submitResult(
        [job.jobId, job.terms, result.modelCommitment, result.modelCiphertextHash, result.proof],
        {
          account: m.provider.account,
        },
      );
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
    const goodEval = (c: Parameters<Deliver>[0]) => sealed(c, encodeDataset(task.eval));

    it("corrupt ciphertext → CorruptCiphertext", async () => {
      const { bundle } = await runOnce({
        deliver: async (c) => {
          const e = await encryptEnvelope({
            plaintext: encodeDataset(task.train),
            recipientPublicKey: hexToBytes(c.enclaveKey),
            jobId: c.jobId,
          });
          e[e.length - 5] = (e[e.length - 5] as number) ^ 0x01;
          return { train: await c.blobs.put(e), eval: await goodEval(c) };
        },
      });
      failedWith(bundle, "CorruptCiphertext", "decrypt");
    });

    it("an envelope for another job → WrongJob", async () => {
      const { bundle } = await runOnce({
        deliver: async (c) => ({
          train: await sealed(c, encodeDataset(task.train), c.jobId + 1n),
          eval: await goodEval(c),
        }),
      });
      failedWith(bundle, "WrongJob", "decrypt");
    });

    it("data that does not parse → BadData; empty → EmptyDataset; too many rows → WrongRowCount", async () => {
      const cases: [Uint8Array, string][] = [
        [new TextEncoder().encode("this is not json\n"), "BadData"],
        [new Uint8Array(0), "EmptyDataset"],
        [encodeDataset([...task.train, ...task.train]), "WrongRowCount"],
      ];
      for (const [bytes, code] of cases) {
        const { bundle } = await runOnce({
          deliver: async (c) => ({ train: await sealed(c, bytes), eval: await goodEval(c) }),
        });
        failedWith(bundle, code, "parse");
      }
    });

    it("a dataset beyond the configured limit → DatasetTooLarge, before decryption", async () => {
      const { bundle } = await runOnce({
        editSpec: (s) => {
          s.maxDatasetBytes = 64;
        },
        deliver: async (c) => ({
          train: await sealed(c, new Uint8Array(64 * 1024)),
          eval: await goodEval(c),
        }),
      });
      failedWith(bundle, "DatasetTooLarge");
    });

    it("data other than what the buyer committed to → CommitmentMismatch", async () => {
      const other = buyerRows(99);
      const { bundle } = await runOnce({
        deliver: (c) => deliverData(c.blobs, c.enclaveKey, c.jobId, other),
      });
      failedWith(bundle, "CommitmentMismatch", "verify");
    });

    it("an eval metric below the threshold → TrainingRejected, and no proof is attempted", async () => {
      const strict = await buyerTask(buyerRows(), 10_000);
      // Inverted eval labels: the trained head cannot be right on all of them.
      const inverted = { ...buyerRows(), eval: buyerRows().eval.map((r) => ({ ...r, label: 1 - r.label })) };
      const strictInverted = await buyerTask(inverted, 10_000);
      assert.ok(strict.commitments.evalCommitment !== strictInverted.commitments.evalCommitment);
      const { bundle } = await runOnce({ task: strictInverted });
      failedWith(bundle, "TrainingRejected", "evaluate");
      assert.equal(bundle.timings.prove, undefined);
      assert.ok(bundle.metric && !bundle.metric.met);
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
  });
});
