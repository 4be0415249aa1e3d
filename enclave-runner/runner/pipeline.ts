// The enclave runner's job pipeline (MISSION.md §4 steps 3–7, the enclave's side):
//   keys → evidence → attestation accepted on chain → the buyer's delivery recorded on chain →
//   fetch the recorded blobs + decrypt in memory → parse → train (with progress) → check against the
//   reference and the posted commitments → evaluate → encrypt the adapter to the buyer → prove →
//   sign the result → signed evidence bundle.
// Every run ends with a bundle. A successful run carries the `Result` of `submitResult` (the proven
// outcome and the enclave's EIP-712 signature): BelowThreshold is an outcome, not a failure. A run
// that fails because of the buyer's data (docs/OUTCOMES.md: not matching the commitments,
// undecryptable or unparsable, out of the fixed-point range) carries the enclave's signed
// `JobFailure` statement over the recorded delivery instead; other failures name the stage and a
// RunnerError code, and no adapter is produced. Plaintext, keys and weights stay in this process's
// memory: nothing here writes them to disk or passes them to the log, and decrypted buffers and the
// private key are zeroed at the end.
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
import { type BlobId, type BlobStore, BlobStoreError, blobIdHex } from "../../sdk/blobs/blobStore.ts";
import { type FailureStatement, signJobFailure, signTrainingResult } from "../../sdk/enclaveStatements.ts";
import { decryptEnvelope, EnvelopeError } from "../../sdk/envelope/index.ts";
import {
  encodeBoundTrainingProof,
  type FeatureBinding,
  featureBackendId,
  signFeatureBinding,
} from "../../sdk/featureBinding.ts";
import { hashJobTerms } from "../../sdk/jobTerms.ts";
import { RawDataError, verifyRawData } from "../../sdk/rawData.ts";
import {
  commitWeights,
  type DataRow,
  encodeTrainingProof,
  evaluate,
  FixedPointOverflowError,
  getPoseidon,
  metricMet,
  proveRun,
  rowsRoot,
  TrainingInputError,
} from "../../sdk/training/index.ts";
import { FailureReason, JobStatus, nameOf, TeeType, ZERO_HASH } from "../../sdk/types.ts";
import type { Evidence, EvidenceSource } from "../attestation/evidenceSource.ts";
import { RunnerError, type RunnerErrorCode } from "../errors.ts";
import { type BaseModel, Featurizer } from "../model/index.ts";
import type { TrainerBackend, TrainerProgress } from "../trainer/backend.ts";
import { BuiltinTrainer } from "../trainer/builtin.ts";
import { sameWeights, trainAllSegments } from "../trainer/sgd.ts";
import {
  type EvidenceBundle,
  type EvidenceBundleBody,
  FAILURE_FORMAT,
  type FailureStatementFile,
  signBundle,
  writeJsonAtomic,
} from "./bundle.ts";
import { type LabeledText, parseDataset } from "./dataset.ts";
import { evaluateAdapter } from "./evaluation.ts";
import { checkJobSpecSignature, DEFAULT_MAX_DATASET_BYTES, type JobSpec } from "./jobSpec.ts";
import {
  type MarketReader,
  type RecordedDelivery,
  waitForAttestation,
  waitForRecordedDelivery,
} from "./market.ts";

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
  /** Where the evidence bundle is written (atomically); omit to only return it. */
  bundlePath?: string | undefined;
  /** Where a failure statement is written (atomically) when the buyer's data makes the job impossible. */
  failurePath?: string | undefined;
  /** Structured log sink (default: none). */
  log?: ((event: RunnerEvent) => void) | undefined;
  /** Milliseconds to wait for the attestation to be accepted (default 10 min) and poll interval (default 1 s). */
  attestationTimeoutMs?: number | undefined;
  /** Milliseconds to wait for the delivery record (default: the attestation timeout). The data deadline ends the wait too. */
  deliveryTimeoutMs?: number | undefined;
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
  "verify-raw": "CommitmentMismatch",
  train: "TrainerFailed",
  verify: "TrainerFailed",
  evaluate: "TrainerFailed",
  prove: "ProofFailed",
  encrypt: "ProofFailed",
  sign: "ProofFailed",
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

/** Codes that mean the recorded data could not be decrypted or parsed (once fetched as recorded). */
const MALFORMED_CODES = new Set<RunnerErrorCode>([
  "CorruptCiphertext",
  "WrongJob",
  "BadData",
  "EmptyDataset",
  "WrongRowCount",
  "TextTooLong",
]);

/**
 * The buyer-side failure reason of a run's error, or undefined when the failure is not provably the
 * buyer's (docs/OUTCOMES.md). Only errors about the recorded data, after every blob was fetched as
 * recorded, qualify: undecryptable or unparsable → DataMalformed; rows whose commitments differ from
 * the posted ones → DataMismatch; rows out of the fixed-point range → DataOverflow (the last two
 * only after the runner recomputed the features itself: an untrusted backend cannot blame the buyer).
 * A dataset over the job spec's `maxDatasetBytes` is the buyer's only above the runner's own ceiling
 * ({@link DEFAULT_MAX_DATASET_BYTES}): the spec's limit is not on chain, so a provider that lowered it
 * must not earn the cancellation fee with it.
 *
 * @param error The run's error.
 * @param context `fetched`: every recorded blob was fetched and matched its id and size;
 *        `oversize`: the size that exceeded the limit, when the error is `DatasetTooLarge`.
 * @returns `DataMalformed`, `DataMismatch`, `DataOverflow` or undefined.
 * @example
 * buyerFailureReason(new RunnerError("BadData", "training set line 3 is not valid JSON"), { fetched: true }); // DataMalformed
 */
export function buyerFailureReason(
  error: RunnerError,
  context: { fetched: boolean; oversize?: number | undefined; dataOverflow?: boolean | undefined },
): FailureReason | undefined {
  if (!context.fetched) return undefined;
  if (MALFORMED_CODES.has(error.code)) return FailureReason.DataMalformed;
  if (error.code === "DatasetTooLarge")
    return context.oversize !== undefined && context.oversize > DEFAULT_MAX_DATASET_BYTES
      ? FailureReason.DataMalformed
      : undefined;
  if (error.code === "CommitmentMismatch")
    return context.dataOverflow ? FailureReason.DataOverflow : FailureReason.DataMismatch;
  if (error.code === "TrainingRejected" && context.dataOverflow) return FailureReason.DataOverflow;
  return undefined;
}

/** The envelope limit of a plaintext limit: AES-GCM tags per 1 KiB chunk plus the header. */
function envelopeLimitOf(maxPlaintextBytes: number): number {
  return maxPlaintextBytes + Math.ceil(maxPlaintextBytes / 1024) * 16 + 4096;
}

/**
 * Runs one job end to end inside the enclave and returns the signed evidence bundle (also written to
 * `bundlePath`). Never throws for a bad job, bad data or a failed check: the bundle's `status` is
 * "failed" and `error` says why; when the failure is the buyer's, `submitFailure` carries the signed
 * statement (also written to `failurePath`). Throws only for programming errors of the caller.
 */
export async function runJob(options: RunJobOptions): Promise<EvidenceBundle> {
  const { spec } = options;
  const log = options.log ?? (() => {});
  const timings: Record<string, number> = {};
  const body: EvidenceBundleBody = {
    format: "blind-training/evidence-bundle",
    version: 3,
    status: "failed",
    job: { chainId: spec.chainId.toString(), market: spec.market, jobId: spec.jobId.toString() },
    runner: { trainer: options.trainer.name, evidenceSource: options.evidenceSource.name },
    baseModel: spec.baseModel,
    timings,
  };
  const domain = { chainId: Number(spec.chainId), jobMarket: spec.market };
  // Secrets of this run, wiped in `finally`.
  const encryptionSecret = x25519.utils.randomSecretKey();
  const signer = privateKeyToAccount(generatePrivateKey());
  const plaintexts: Uint8Array[] = [];
  // What the failure classification needs to know.
  let recorded: RecordedDelivery | undefined;
  const fault: { fetched: boolean; oversize?: number; dataOverflow?: boolean } = { fetched: false };
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
  let failure: FailureStatementFile | undefined;
  try {
    // 0. The job on chain is the one in the spec, and still open to this provider.
    await timed("check", async () => {
      // Only the spec the buyer's owner key signed: not another result key, base model or limit.
      await checkJobSpecSignature(spec);
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
      if (spec.terms.parties !== 1)
        throw new RunnerError(
          "JobMismatch",
          `job ${spec.jobId} is a multi-party job (${spec.terms.parties} parties): run it with enclave-runner/multiparty`,
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
    const attestationTimeoutMs = options.attestationTimeoutMs ?? 600_000;
    const pollMs = options.pollMs ?? 1000;
    const job = await timed("await-attestation", () =>
      waitForAttestation(options.market, spec.jobId, signer.address, {
        timeoutMs: attestationTimeoutMs,
        pollMs,
      }),
    );
    log({ stage: "await-attestation", msg: "attestation accepted on chain", provider: job.provider });

    // 4. The buyer's delivery as its owner key recorded it on chain: exactly the training set's and
    //    the eval set's blobs, fetched by content address and checked against the recorded sizes.
    const delivery = await timed("await-delivery", () =>
      waitForRecordedDelivery(options.market, spec.jobId, spec.terms, {
        timeoutMs: options.deliveryTimeoutMs ?? attestationTimeoutMs,
        pollMs,
      }),
    );
    recorded = delivery;
    body.delivery = {
      dataHash: delivery.dataHash,
      blobs: delivery.blobIds.map((id, i) => ({
        id: `sha256:${id.slice(2)}`,
        bytes: Number(delivery.sizes[i]),
      })),
    };
    log({ stage: "await-delivery", msg: "delivery recorded on chain", blobs: delivery.blobIds.length });
    const envelopes = await timed("fetch", async () => {
      const ids = delivery.blobIds.map((id) => `sha256:${id.slice(2).toLowerCase()}` as BlobId);
      const [trainId, evalId] = ids;
      if (ids.length !== 2 || trainId === undefined || evalId === undefined) {
        fault.fetched = true; // the record itself is the buyer's, signed by its owner key
        throw new RunnerError(
          "BadData",
          `the recorded delivery lists ${ids.length} blob(s); a single-party job delivers exactly 2 (training set, eval set)`,
        );
      }
      // An envelope over the limit cannot hold an acceptable dataset: refuse before fetching.
      const limit = envelopeLimitOf(spec.maxDatasetBytes);
      for (const [i, what] of ["training", "eval"].entries()) {
        const size = Number(delivery.sizes[i]);
        if (size > limit) {
          fault.fetched = true;
          if (size > envelopeLimitOf(DEFAULT_MAX_DATASET_BYTES)) fault.oversize = size;
          throw new RunnerError(
            "DatasetTooLarge",
            `the recorded ${what} envelope has ${size} bytes, beyond the limit of ${spec.maxDatasetBytes} plaintext bytes`,
          );
        }
      }
      const fetchOne = async (id: BlobId, i: number, what: string) => {
        let bytes: Uint8Array;
        try {
          bytes = await options.blobs.get(id);
        } catch (e) {
          const reason = e instanceof Error ? (e.message.split("\n")[0] ?? e.name) : String(e);
          throw new RunnerError(
            "BlobUnavailable",
            `the recorded ${what} blob ${id} cannot be fetched (${reason}); the provider may challenge the delivery's availability (DataDelivery.challengeDelivery)`,
            { cause: e },
          );
        }
        return { bytes, size: BigInt(bytes.length), expected: delivery.sizes[i] };
      };
      const train = await fetchOne(trainId, 0, "training");
      const evalSet = await fetchOne(evalId, 1, "eval");
      // Both blobs are the buyer's recorded content (the store checks SHA-256): from here on, what
      // fails is the buyer's data.
      fault.fetched = true;
      for (const [what, b] of [
        ["training", train],
        ["eval", evalSet],
      ] as const)
        if (b.size !== b.expected)
          throw new RunnerError(
            "BadData",
            `the ${what} blob has ${b.size} bytes; the delivery record says ${b.expected}`,
          );
      return { train: train.bytes, eval: evalSet.bytes };
    });
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
    const maxTextBytes = options.baseModel.config.context;
    const parsed = await timed("parse", () => {
      for (const p of [decrypted.train, decrypted.eval])
        if (p.length > spec.maxDatasetBytes && p.length > DEFAULT_MAX_DATASET_BYTES)
          fault.oversize = p.length;
      return {
        train: parseDataset(
          decrypted.train,
          {
            classes: params.classes,
            rows: params.segments * params.steps * params.batchSize,
            maxBytes: spec.maxDatasetBytes,
            maxTextBytes,
          },
          "training set",
        ),
        eval: parseDataset(
          decrypted.eval,
          { classes: params.classes, rows: params.evalRows, maxBytes: spec.maxDatasetBytes, maxTextBytes },
          "eval set",
        ),
      };
    });
    const data = { train: parsed.train.rows, eval: parsed.eval.rows };
    log({
      stage: "parse",
      msg: "datasets decrypted and parsed in memory",
      trainRows: data.train.length,
      evalRows: data.eval.length,
    });

    // 4b. The rows must open the raw-data commitments the buyer posted (docs/RAW_DATA.md) before any
    //     of them is featurized: a mismatch is the buyer's (DataMismatch), decided by hashing alone.
    await timed("verify-raw", () => {
      for (const [what, set, posted] of [
        ["training", parsed.train, spec.terms.datasetCommitment],
        ["eval", parsed.eval, spec.terms.evalCommitment],
      ] as const) {
        try {
          verifyRawData(set.rows, set.salt, posted);
        } catch (e) {
          if (!(e instanceof RawDataError)) throw e;
          throw new RunnerError(
            "CommitmentMismatch",
            `the ${what} rows and salt do not open the job's ${what === "training" ? "datasetCommitment" : "evalCommitment"} (raw-data commitment)`,
            { cause: e },
          );
        }
      }
    });

    // 5. Train (features of the frozen base, proven fixed-point SGD of the adapter).
    let lastReport = 0;
    let outcome: Awaited<ReturnType<TrainerBackend["train"]>>;
    try {
      outcome = await timed("train", () =>
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
    } catch (e) {
      // Rows out of the fixed-point range: the buyer's only if the runner's own features say so.
      if (e instanceof FixedPointOverflowError)
        fault.dataOverflow = (await ownFeatureCheck(options, data, spec)).overflow;
      throw e;
    }

    // The backend is not trusted: an external one's features must agree with the runner's own on a
    // sample of rows (within one fixed-point unit: floating point differs between frameworks), and
    // its weights must be the reference's. The feature rows' commitments are then the runner's.
    const hash = await getPoseidon();
    const roots = await timed("verify", async () => {
      if (!(options.trainer instanceof BuiltinTrainer))
        await checkBackendFeatures(options, data, { train: outcome.trainRows, eval: outcome.evalRows });
      let rootsOf: { rTrain: bigint; rEval: bigint };
      try {
        rootsOf = {
          rTrain: rowsRoot(hash, outcome.trainRows, params),
          rEval: rowsRoot(hash, outcome.evalRows, params),
        };
      } catch (e) {
        if (!(e instanceof FixedPointOverflowError)) throw e;
        fault.dataOverflow = (await ownFeatureCheck(options, data, spec)).overflow;
        throw e;
      }
      const reference = trainAllSegments(spec.training.initialWeights, outcome.trainRows, params);
      if (!sameWeights(reference, outcome.weights))
        throw new RunnerError(
          "TrainerFailed",
          `trainer ${options.trainer.name}'s weights diverge from the fixed-point reference`,
        );
      return rootsOf;
    });
    body.inputs = {
      trainBlob: body.delivery.blobs[0]?.id ?? "",
      evalBlob: body.delivery.blobs[1]?.id ?? "",
      trainRows: data.train.length,
      evalRows: data.eval.length,
      tokens: outcome.tokens,
    };

    // 6. Evaluate: base (initial adapter) vs fine-tuned on the buyer's eval rows; the metric of the
    //    proof. Below τ is an outcome (BelowThreshold: the compute share is paid), not a failure.
    const evaluation = await timed("evaluate", () => {
      const base = evaluateAdapter(spec.training.initialWeights, outcome.evalRows, params);
      const finetuned = evaluateAdapter(outcome.weights, outcome.evalRows, params);
      const { correct, total } = evaluate(outcome.weights, outcome.evalRows, params);
      const met = metricMet(correct, total, spec.training.tau);
      body.metric = { correct, total, tau: spec.training.tau, met };
      body.evaluation = { base, finetuned };
      return { base, finetuned, met };
    });
    log({
      stage: "evaluate",
      msg: evaluation.met
        ? "evaluated on the eval set: the metric meets τ"
        : "evaluated on the eval set: the metric is below τ (outcome BelowThreshold: the proof states it)",
      baseLoss: evaluation.base.mse,
      finetunedLoss: evaluation.finetuned.mse,
      accuracy: evaluation.finetuned.accuracy,
      thresholdMet: evaluation.met,
    });

    const word = (v: bigint): Hex => toHex(v, { size: 32 });
    const cK = commitWeights(hash, outcome.weights);
    const binding: FeatureBinding = {
      featureTrainCommitment: word(roots.rTrain),
      featureEvalCommitment: word(roots.rEval),
      baseModelHash: options.baseModel.sha256 as Hex,
      featureBackend: featureBackendId(options.trainer.name),
      loraCommitment: ZERO_HASH,
    };
    body.commitments = {
      c0: word(commitWeights(hash, spec.training.initialWeights)),
      cK: word(cK),
      rawTrain: spec.terms.datasetCommitment,
      rawEval: spec.terms.evalCommitment,
      rTrain: binding.featureTrainCommitment,
      rEval: binding.featureEvalCommitment,
      specHash: spec.terms.specHash,
    };

    // 7. The adapter, encrypted to the buyer; then the proof bound to this job and provider, and the
    //    enclave's signature binding the proven model to the delivered ciphertext and the outcome.
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
      if (proven.thresholdMet !== evaluation.met)
        throw new RunnerError(
          "ProofFailed",
          `the proof states thresholdMet = ${proven.thresholdMet}, the evaluation ${evaluation.met}`,
        );
      const { result, enclaveSignature } = await timed("sign", async () => {
        // The binding of the raw commitments to the proven feature rows, then the result.
        const bindingSignature = await signFeatureBinding(signer, {
          chainId: domain.chainId,
          market: spec.market,
          jobId: spec.jobId,
          rawTrainCommitment: spec.terms.datasetCommitment,
          rawEvalCommitment: spec.terms.evalCommitment,
          binding,
        });
        const result = {
          modelCommitment: word(cK),
          modelCiphertextHash: `0x${blobIdHex(adapter.blobId)}` as Hex,
          thresholdMet: proven.thresholdMet,
          proof: encodeBoundTrainingProof(
            binding,
            bindingSignature,
            encodeTrainingProof(proven.commitments, proven.proofs),
          ),
        };
        const enclaveSignature = await signTrainingResult({
          ...domain,
          enclaveKey: signer,
          jobId: spec.jobId,
          ...result,
        });
        return { result, enclaveSignature };
      });
      body.submitResult = { ...result, enclaveSignature };
      log({
        stage: "prove",
        msg: `${proven.proofs.length} segment proof(s); result signed`,
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
    const reason = buyerFailureReason(error, fault);
    if (reason !== undefined && recorded !== undefined) {
      // The buyer's side: sign what the enclave saw, bound to the recorded delivery.
      const statement: FailureStatement = { reason, dataHash: recorded.dataHash, faultyMembers: 0n };
      const signature = await signJobFailure({ ...domain, enclaveKey: signer, jobId: spec.jobId, statement });
      const reasonName = String(nameOf(FailureReason, reason));
      const statementJson = { reason, dataHash: recorded.dataHash, faultyMembers: "0" };
      body.submitFailure = { statement: statementJson, reasonName, signature };
      failure = {
        format: FAILURE_FORMAT,
        version: 1,
        job: body.job,
        enclaveSigner: signer.address,
        statement: statementJson,
        reasonName,
        signature,
        error: body.error,
      };
      log({
        stage,
        msg: `the buyer's data makes the job impossible: signed failure statement (${reasonName})`,
        reason: reasonName,
        dataHash: recorded.dataHash,
      });
    }
  } finally {
    encryptionSecret.fill(0);
    for (const p of plaintexts) p.fill(0);
  }
  const bundle = await signBundle(body, signer);
  if (failure !== undefined && options.failurePath !== undefined)
    await writeJsonAtomic(options.failurePath, failure);
  if (options.bundlePath !== undefined) await writeJsonAtomic(options.bundlePath, bundle);
  log({ stage: "bundle", msg: `run ${bundle.status}`, status: bundle.status });
  return bundle;
}

/** The runner's own features of `rows` (the measured base model, in this process). */
async function ownFeatures(baseModel: BaseModel, rows: readonly LabeledText[]): Promise<bigint[][]> {
  const featurizer = await Featurizer.create(baseModel);
  try {
    return featurizer.featurize(rows.map((r) => r.text));
  } finally {
    featurizer.dispose();
  }
}

/**
 * Whether the buyer's rows overflow the fixed-point range by the runner's own features: decides
 * whether an overflow is the buyer's data or an untrusted backend's. The built-in trainer's
 * features are the runner's own already.
 */
async function ownFeatureCheck(
  options: RunJobOptions,
  data: { train: LabeledText[]; eval: LabeledText[] },
  spec: JobSpec,
  backendRows?: { train: readonly DataRow[]; eval: readonly DataRow[] },
): Promise<{ overflow: boolean }> {
  let rows = options.trainer instanceof BuiltinTrainer ? backendRows : undefined;
  if (rows === undefined) {
    const features = await ownFeatures(options.baseModel, [...data.train, ...data.eval]);
    const rowsOf = (set: LabeledText[], offset: number): DataRow[] =>
      set.map((r, i) => ({ x: features[offset + i] as bigint[], y: r.label }));
    rows = { train: rowsOf(data.train, 0), eval: rowsOf(data.eval, data.train.length) };
  }
  const hash = await getPoseidon();
  const { params } = spec.training;
  try {
    rowsRoot(hash, rows.train, params);
    rowsRoot(hash, rows.eval, params);
    return { overflow: false };
  } catch (e) {
    if (e instanceof FixedPointOverflowError) return { overflow: true };
    throw e;
  }
}

/** Rows of each set an external backend's features are spot-checked on. */
export const FEATURE_SAMPLE_ROWS = 8;
/** Largest share of sampled feature values an external backend may have one unit off. */
export const FEATURE_OFF_BY_ONE_SHARE = 0.01;

/**
 * Spot-checks an external backend's features against the runner's own (the measured base model) on
 * {@link FEATURE_SAMPLE_ROWS} evenly spaced rows of each set: labels must be the buyer's, every value
 * within one fixed-point unit, and at most {@link FEATURE_OFF_BY_ONE_SHARE} of them off by one.
 * Throws `TrainerFailed` otherwise. A backend that computes other features for unsampled rows only
 * is caught by the TEE measurement, not here: the check catches another model or a broken port.
 */
async function checkBackendFeatures(
  options: RunJobOptions,
  data: { train: LabeledText[]; eval: LabeledText[] },
  backend: { train: readonly DataRow[]; eval: readonly DataRow[] },
): Promise<void> {
  const picks: { text: LabeledText; row: DataRow | undefined; where: string }[] = [];
  for (const [what, set, rows] of [
    ["training", data.train, backend.train],
    ["eval", data.eval, backend.eval],
  ] as const) {
    if (rows.length !== set.length)
      throw new RunnerError(
        "TrainerFailed",
        `trainer ${options.trainer.name} returned ${rows.length} ${what} feature rows for ${set.length} rows`,
      );
    const n = Math.min(FEATURE_SAMPLE_ROWS, set.length);
    for (let k = 0; k < n; k++) {
      const i = Math.floor((k * set.length) / n);
      picks.push({ text: set[i] as LabeledText, row: rows[i], where: `${what} row ${i}` });
    }
  }
  const own = await ownFeatures(
    options.baseModel,
    picks.map((p) => p.text),
  );
  let values = 0;
  let offByOne = 0;
  for (const [k, pick] of picks.entries()) {
    const mine = own[k] as bigint[];
    const theirs = pick.row;
    if (theirs === undefined || theirs.y !== pick.text.label || theirs.x.length !== mine.length)
      throw new RunnerError(
        "TrainerFailed",
        `trainer ${options.trainer.name}'s ${pick.where} has another label or feature count than the buyer's row`,
      );
    for (const [j, v] of mine.entries()) {
      const diff = typeof theirs.x[j] === "bigint" ? (theirs.x[j] as bigint) - v : 2n;
      if (diff > 1n || diff < -1n)
        throw new RunnerError(
          "TrainerFailed",
          `trainer ${options.trainer.name}'s features differ from the base model's by more than one unit (${pick.where}, feature ${j})`,
        );
      values++;
      if (diff !== 0n) offByOne++;
    }
  }
  if (offByOne > values * FEATURE_OFF_BY_ONE_SHARE)
    throw new RunnerError(
      "TrainerFailed",
      `trainer ${options.trainer.name}'s features are one unit off on ${offByOne} of ${values} sampled values (at most ${FEATURE_OFF_BY_ONE_SHARE * 100} % allowed)`,
    );
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
