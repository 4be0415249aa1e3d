// The enclave runner's job pipeline (MISSION.md §4 steps 3–7, the enclave's side):
//   keys → evidence → attestation accepted on chain → buyer's delivery → fetch + decrypt in memory →
//   parse → train (with progress) → check against the reference and the posted commitments →
//   evaluate → prove → encrypt the adapter to the buyer → signed evidence bundle.
// Every run ends with a bundle: on failure it names the stage and a RunnerError code, and no adapter
// is produced. Plaintext, keys and weights stay in this process's memory: nothing here writes them
// to disk or passes them to the log, and decrypted buffers and the private key are zeroed at the end.
import { x25519 } from "@noble/curves/ed25519.js";
import { type Address, bytesToHex, type Hex, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { adapterDocument, encryptAdapter } from "../../sdk/adapter.ts";
import { attestationBinding } from "../../sdk/attestation/binding.ts";
import { reportDataForBinding } from "../../sdk/attestation/devChain.ts";
import {
  DEV_ROOT_CA_SPKI_SHA256,
  INTEL_SGX_ROOT_CA_SPKI_SHA256,
  verifyIntelQuote,
} from "../../sdk/attestation/intelVerify.node.ts";
import { encodeIntelEvidence } from "../../sdk/attestation/onchain.ts";
import {
  type BlobId,
  type BlobStore,
  BlobStoreError,
  blobIdHex,
  parseBlobId,
} from "../../sdk/blobs/blobStore.ts";
import { decryptEnvelope, EnvelopeError } from "../../sdk/envelope/index.ts";
import { hashJobTerms } from "../../sdk/jobTerms.ts";
import {
  commitWeights,
  encodeTrainingProof,
  evaluate,
  FixedPointOverflowError,
  getPoseidon,
  metricMet,
  proveRun,
  rowsRoot,
  TrainingInputError,
} from "../../sdk/training/index.ts";
import { JobStatus, TeeType } from "../../sdk/types.ts";
import type { Evidence, EvidenceSource } from "../attestation/evidenceSource.ts";
import { RunnerError, type RunnerErrorCode } from "../errors.ts";
import type { BaseModel } from "../model/index.ts";
import type { TrainerBackend, TrainerProgress } from "../trainer/backend.ts";
import { sameWeights, trainAllSegments } from "../trainer/sgd.ts";
import { type EvidenceBundle, type EvidenceBundleBody, signBundle, writeJsonAtomic } from "./bundle.ts";
import { parseDataset } from "./dataset.ts";
import { evaluateAdapter } from "./evaluation.ts";
import type { JobSpec } from "./jobSpec.ts";
import { type MarketReader, waitForAttestation } from "./market.ts";

/** What the provider node must submit with `JobMarket.submitAttestation`. */
export type AttestationRequest = {
  jobId: string;
  teeType: number;
  enclaveEncryptionKey: Hex;
  enclaveSigner: Address;
  /** The evidence as the on-chain verifier takes it. */
  evidence: Hex;
  evidenceKind: string;
  /** The evidence exactly as the platform produced it (a full quote with its PCK chain, or a report), for off-chain verification. */
  rawEvidence: Hex;
};

/** The buyer's delivery: the blob ids of the encrypted training and eval sets. */
export type Delivery = { train: BlobId; eval: BlobId };

/** One structured log event. Never carries data, keys or weights. */
export type RunnerEvent = { stage: string; msg: string } & Record<string, string | number | boolean>;

/** Options of {@link runJob}. */
export type RunJobOptions = {
  spec: JobSpec;
  market: MarketReader;
  evidenceSource: EvidenceSource;
  blobs: BlobStore;
  trainer: TrainerBackend;
  /** The frozen base model (loaded or built by the caller). */
  baseModel: BaseModel;
  /** The training circuit (wasm + zkey) whose parameters are the spec's; omit to stop before proving. */
  circuit?: { wasm: string; zkey: string } | undefined;
  /** Hands the attestation to the provider node (the CLI writes attestation.json). */
  publishAttestation: (request: AttestationRequest) => Promise<void>;
  /** Resolves when the buyer's delivery arrives (the CLI polls a file). */
  waitForDelivery: () => Promise<Delivery>;
  /** Where the evidence bundle is written (atomically); omit to only return it. */
  bundlePath?: string | undefined;
  /** Structured log sink (default: none). */
  log?: ((event: RunnerEvent) => void) | undefined;
  /** Milliseconds to wait for the attestation to be accepted (default 10 min) and poll interval (default 1 s). */
  attestationTimeoutMs?: number | undefined;
  pollMs?: number | undefined;
  /** Time used to validate the enclave's own certificate chain (default now). */
  now?: Date | undefined;
};

const TEE_OF_KIND: Record<Evidence["kind"], number> = {
  "tdx-quote": TeeType.Tdx,
  "sgx-quote": TeeType.Sgx,
  "sev-snp-report": TeeType.SevSnp,
  "simulated-tdx-quote": TeeType.Simulated,
};

/** Default error code of each stage, for errors that are not already RunnerErrors. */
const STAGE_CODE: Record<string, RunnerErrorCode> = {
  check: "JobMismatch",
  attest: "AttestationNotAccepted",
  "await-attestation": "AttestationNotAccepted",
  "await-delivery": "DeliveryTimeout",
  fetch: "BlobUnavailable",
  decrypt: "CorruptCiphertext",
  parse: "BadData",
  train: "TrainerFailed",
  verify: "TrainerFailed",
  evaluate: "TrainingRejected",
  prove: "ProofFailed",
  encrypt: "ProofFailed",
};

/** Maps any error of a stage to a RunnerError with a message that carries no data. */
function asRunnerError(stage: string, e: unknown): RunnerError {
  if (e instanceof RunnerError) return e;
  if (e instanceof EnvelopeError)
    return new RunnerError(e.code === "WrongJob" ? "WrongJob" : "CorruptCiphertext", e.shortMessage, {
      cause: e,
    });
  if (e instanceof BlobStoreError)
    return new RunnerError(e.code === "TooLarge" ? "DatasetTooLarge" : "BlobUnavailable", e.shortMessage, {
      cause: e,
    });
  if (e instanceof FixedPointOverflowError)
    return new RunnerError("TrainingRejected", e.shortMessage, { cause: e });
  if (e instanceof TrainingInputError) return new RunnerError("TrainerFailed", e.shortMessage, { cause: e });
  const message = e instanceof Error ? (e.message.split("\n")[0] ?? e.name) : String(e);
  return new RunnerError(STAGE_CODE[stage] ?? "TrainerFailed", message, { cause: e });
}

/**
 * Runs one job end to end inside the enclave and returns the signed evidence bundle (also written to
 * `bundlePath`). Never throws for a bad job, bad data or a failed check: the bundle's `status` is
 * "failed" and `error` says why. Throws only for programming errors of the caller (bad options).
 */
export async function runJob(options: RunJobOptions): Promise<EvidenceBundle> {
  const { spec } = options;
  const log = options.log ?? (() => {});
  const timings: Record<string, number> = {};
  const body: EvidenceBundleBody = {
    format: "blind-training/evidence-bundle",
    version: 1,
    status: "failed",
    job: { chainId: spec.chainId.toString(), market: spec.market, jobId: spec.jobId.toString() },
    runner: { trainer: options.trainer.name, evidenceSource: options.evidenceSource.name },
    baseModel: spec.baseModel,
    timings,
  };
  // Secrets of this run, wiped in `finally`.
  const encryptionSecret = x25519.utils.randomSecretKey();
  const signer = privateKeyToAccount(generatePrivateKey());
  const plaintexts: Uint8Array[] = [];
  let stage = "check";
  const timed = async <T>(name: string, work: () => Promise<T> | T): Promise<T> => {
    stage = name;
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      timings[name] = Math.round(performance.now() - t0);
    }
  };
  try {
    // 0. The job on chain is the one in the spec, and still open to this provider.
    await timed("check", async () => {
      const job = await options.market.readJob(spec.jobId);
      if (job.termsHash !== hashJobTerms(spec.terms))
        throw new RunnerError(
          "JobMismatch",
          `job ${spec.jobId}'s terms hash on chain differs from the job spec's terms`,
        );
      if (job.status !== JobStatus.Open && job.status !== JobStatus.Matched)
        throw new RunnerError(
          "JobMismatch",
          `job ${spec.jobId} is in status ${job.status}, not waiting for an attestation`,
        );
      if (options.baseModel.sha256 !== spec.baseModel.sha256)
        throw new RunnerError(
          "BaseModelMismatch",
          `the loaded base model is ${options.baseModel.sha256}, the job names ${spec.baseModel.sha256}`,
        );
      if (options.baseModel.config.features !== spec.training.params.features)
        throw new RunnerError(
          "BaseModelMismatch",
          `the base model yields ${options.baseModel.config.features} features, the statement needs D = ${spec.training.params.features}`,
        );
    });

    // 1–2. Fresh keys, evidence binding them to this job, handed to the provider node.
    const encryptionKey = bytesToHex(x25519.getPublicKey(encryptionSecret));
    const request = await timed("attest", async () => {
      const binding = attestationBinding({
        chainId: spec.chainId,
        jobMarket: spec.market,
        jobId: spec.jobId,
        enclaveEncryptionKey: encryptionKey,
        enclaveSigner: signer.address,
      });
      const reportData = reportDataForBinding(binding);
      const evidence = await options.evidenceSource.getEvidence(reportData);
      const teeType = TEE_OF_KIND[evidence.kind];
      body.enclave = { teeType, encryptionKey, signer: signer.address, evidenceKind: evidence.kind };
      return {
        jobId: spec.jobId.toString(),
        teeType,
        enclaveEncryptionKey: encryptionKey,
        enclaveSigner: signer.address,
        evidence: onChainEvidence(evidence, reportData, options.now ?? new Date()),
        evidenceKind: evidence.kind,
        rawEvidence: bytesToHex(evidence.evidence),
      } satisfies AttestationRequest;
    });
    await options.publishAttestation(request);
    log({
      stage: "attest",
      msg: "attestation published; waiting for the market to accept it",
      teeType: request.teeType,
      signer: signer.address,
    });

    // 3. Only an attestation the market accepted lets the buyer send data: wait for it.
    const job = await timed("await-attestation", () =>
      waitForAttestation(options.market, spec.jobId, signer.address, {
        timeoutMs: options.attestationTimeoutMs ?? 600_000,
        pollMs: options.pollMs ?? 1000,
      }),
    );
    log({ stage: "await-attestation", msg: "attestation accepted on chain", provider: job.provider });

    // 4. The buyer's delivery: fetch, decrypt in memory, parse.
    const delivery = await timed("await-delivery", async () => {
      const d = await options.waitForDelivery();
      return { train: parseBlobId(d.train), eval: parseBlobId(d.eval) };
    });
    const envelopes = await timed("fetch", async () => ({
      train: await options.blobs.get(delivery.train),
      eval: await options.blobs.get(delivery.eval),
    }));
    // An envelope over the limit cannot hold an acceptable dataset: refuse before decrypting.
    const envelopeLimit = spec.maxDatasetBytes + Math.ceil(spec.maxDatasetBytes / 1024) * 16 + 4096;
    for (const [what, e] of Object.entries(envelopes))
      if (e.length > envelopeLimit)
        throw new RunnerError(
          "DatasetTooLarge",
          `the ${what} envelope has ${e.length} bytes, beyond the limit of ${spec.maxDatasetBytes} plaintext bytes`,
        );
    const decrypted = await timed("decrypt", async () => {
      const open = async (envelope: Uint8Array) => {
        const p = await decryptEnvelope({
          envelope,
          recipientSecretKey: encryptionSecret,
          jobId: spec.jobId,
        });
        plaintexts.push(p);
        return p;
      };
      return { train: await open(envelopes.train), eval: await open(envelopes.eval) };
    });
    const { params } = spec.training;
    const data = await timed("parse", () => ({
      train: parseDataset(
        decrypted.train,
        {
          classes: params.classes,
          rows: params.segments * params.steps * params.batchSize,
          maxBytes: spec.maxDatasetBytes,
        },
        "training set",
      ),
      eval: parseDataset(
        decrypted.eval,
        { classes: params.classes, rows: params.evalRows, maxBytes: spec.maxDatasetBytes },
        "eval set",
      ),
    }));
    log({
      stage: "parse",
      msg: "datasets decrypted and parsed in memory",
      trainRows: data.train.length,
      evalRows: data.eval.length,
    });

    // 5. Train (features of the frozen base, proven fixed-point SGD of the adapter).
    let lastReport = 0;
    const outcome = await timed("train", () =>
      options.trainer.train(
        {
          baseModel: options.baseModel,
          params,
          initialWeights: spec.training.initialWeights,
          train: data.train,
          eval: data.eval,
        },
        (p: TrainerProgress) => {
          const now = performance.now();
          if (p.done === p.total || now - lastReport > 1000) {
            lastReport = now;
            log({
              stage: "train",
              msg: `${p.phase} ${p.done}/${p.total}`,
              phase: p.phase,
              done: p.done,
              total: p.total,
            });
          }
        },
      ),
    );

    // The backend is not trusted: its features must commit to what the buyer posted and its weights
    // must be the reference's.
    const hash = await getPoseidon();
    const rTrain = await timed("verify", () => {
      const rTrain = rowsRoot(hash, outcome.trainRows, params);
      const rEval = rowsRoot(hash, outcome.evalRows, params);
      if (rTrain !== BigInt(spec.terms.datasetCommitment))
        throw new RunnerError(
          "CommitmentMismatch",
          "the training rows' Merkle root differs from the job's datasetCommitment (another dataset or base model?)",
        );
      if (rEval !== BigInt(spec.terms.evalCommitment))
        throw new RunnerError(
          "CommitmentMismatch",
          "the eval rows' Merkle root differs from the job's evalCommitment",
        );
      const reference = trainAllSegments(spec.training.initialWeights, outcome.trainRows, params);
      if (!sameWeights(reference, outcome.weights))
        throw new RunnerError(
          "TrainerFailed",
          `trainer ${options.trainer.name}'s weights diverge from the fixed-point reference`,
        );
      return rTrain;
    });
    body.inputs = {
      trainBlob: delivery.train,
      evalBlob: delivery.eval,
      trainRows: data.train.length,
      evalRows: data.eval.length,
      tokens: outcome.tokens,
    };

    // 6. Evaluate: base (initial adapter) vs fine-tuned on the buyer's eval rows; the metric of the proof.
    const evaluation = await timed("evaluate", () => {
      const base = evaluateAdapter(spec.training.initialWeights, outcome.evalRows, params);
      const finetuned = evaluateAdapter(outcome.weights, outcome.evalRows, params);
      const { correct, total } = evaluate(outcome.weights, outcome.evalRows, params);
      const met = metricMet(correct, total, spec.training.tau);
      body.metric = { correct, total, tau: spec.training.tau, met };
      body.evaluation = { base, finetuned };
      if (!met)
        throw new RunnerError(
          "TrainingRejected",
          `eval accuracy ${correct}/${total} is below the threshold τ = ${spec.training.tau / 100} %: no proof exists`,
        );
      return { base, finetuned };
    });
    log({
      stage: "evaluate",
      msg: "evaluated on the eval set",
      baseLoss: evaluation.base.mse,
      finetunedLoss: evaluation.finetuned.mse,
      accuracy: evaluation.finetuned.accuracy,
    });

    const word = (v: bigint): Hex => toHex(v, { size: 32 });
    const cK = commitWeights(hash, outcome.weights);
    body.commitments = {
      c0: word(commitWeights(hash, spec.training.initialWeights)),
      cK: word(cK),
      rTrain: word(rTrain),
      rEval: spec.terms.evalCommitment,
      specHash: spec.terms.specHash,
    };

    // 7. The adapter, encrypted to the buyer; then the proof bound to this job and provider.
    const adapter = await timed("encrypt", async () => {
      const doc = await adapterDocument(spec.baseModel, params, outcome.weights);
      const envelope = await encryptAdapter(doc, spec.buyerPublicKey, spec.jobId);
      return { blobId: await options.blobs.put(envelope), bytes: envelope.length };
    });
    body.adapter = adapter;
    if (options.circuit !== undefined) {
      const circuit = options.circuit;
      const proven = await timed("prove", () =>
        proveRun(
          {
            params,
            initialWeights: spec.training.initialWeights,
            trainRows: outcome.trainRows,
            evalRows: outcome.evalRows,
            tau: spec.training.tau,
          },
          { chainId: spec.chainId, market: spec.market, jobId: spec.jobId, provider: job.provider },
          circuit,
        ),
      );
      body.submitResult = {
        modelCommitment: word(cK),
        modelCiphertextHash: `0x${blobIdHex(adapter.blobId)}`,
        proof: encodeTrainingProof(proven.commitments, proven.proofs),
      };
      log({
        stage: "prove",
        msg: `${proven.proofs.length} segment proof(s)`,
        ms: timings.prove ?? 0,
        thresholdMet: proven.thresholdMet,
        saturated: proven.saturated,
      });
    }
    body.status = "ok";
  } catch (e) {
    const error = asRunnerError(stage, e);
    body.error = { code: error.code, stage, message: error.shortMessage };
    log({ stage, msg: "run failed", code: error.code, error: error.shortMessage });
  } finally {
    encryptionSecret.fill(0);
    for (const p of plaintexts) p.fill(0);
  }
  const bundle = await signBundle(body, signer);
  if (options.bundlePath !== undefined) await writeJsonAtomic(options.bundlePath, bundle);
  log({ stage: "bundle", msg: `run ${bundle.status}`, status: bundle.status });
  return bundle;
}

/**
 * The evidence as the on-chain verifier takes it. Intel quotes (TDX, SGX, and the Simulated TEE's
 * development TDX quote) carry their PCK chain: the runner verifies its own quote against the pinned
 * root first, so a broken platform fails here and not on chain, and takes the PCK key from the chain.
 * SEV-SNP reports go to a registered statement verifier instead; the raw report is passed on.
 */
function onChainEvidence(evidence: Evidence, reportData: Uint8Array, at: Date): Hex {
  if (evidence.kind === "sev-snp-report") return bytesToHex(evidence.evidence);
  const verified = verifyIntelQuote(evidence.evidence, {
    at,
    pinnedRoots: [
      evidence.kind === "simulated-tdx-quote" ? DEV_ROOT_CA_SPKI_SHA256 : INTEL_SGX_ROOT_CA_SPKI_SHA256,
    ],
    expectedReportData: reportData,
  });
  return encodeIntelEvidence(evidence.evidence, verified.pck.publicKey);
}
