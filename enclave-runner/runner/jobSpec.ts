// The job spec: the public document a buyer hands the provider with a job (off chain). It carries
// what the on-chain terms only commit to: the terms themselves (the market stores their hash), the
// training statement's hyper-parameters and initial adapter (committed by terms.specHash), the base
// model, the buyer's X25519 key for the result and the runner's limits. It contains no secret. The
// job's owner key signs it (`ownerSignature`, EIP-712 `JobSpecDocument`): the terms hash binds only
// the terms, so without it a provider could hand its enclave another result key or base model.
import { type Address, type Hex, isAddress, isHex, keccak256, stringToHex } from "viem";
import { recoverJobSpecDocumentSigner } from "../../sdk/ownerActions.ts";
import {
  type AdapterWeights,
  checkWeights,
  commitWeights,
  getPoseidon,
  specHash,
  type TrainingParams,
  validateParams,
} from "../../sdk/training/index.ts";
import type { JobTerms } from "../../sdk/types.ts";
import { RunnerError } from "../errors.ts";

/** Version of the job spec format this runner reads (2: signed by the owner key). */
export const JOB_SPEC_VERSION = 2;

/** Default largest plaintext dataset the runner accepts (each of training and eval), in bytes. */
export const DEFAULT_MAX_DATASET_BYTES = 16 * 1024 * 1024;

/** The parsed job spec. */
export type JobSpec = {
  version: typeof JOB_SPEC_VERSION;
  chainId: bigint;
  market: Address;
  jobId: bigint;
  terms: JobTerms;
  /** The frozen base model: its name and the SHA-256 of its weights file. */
  baseModel: { name: string; sha256: Hex };
  /** The training statement: circuit parameters, initial adapter C0 and accuracy threshold (basis points). */
  training: { params: TrainingParams; initialWeights: AdapterWeights; tau: number };
  /** The buyer's X25519 public key (32 bytes, hex): the adapter is encrypted to it. */
  buyerPublicKey: Hex;
  /** Largest plaintext dataset accepted, in bytes. */
  maxDatasetBytes: number;
  /** The owner key's EIP-712 `JobSpecDocument(jobId, jobSpecDocumentHash(spec))` signature. */
  ownerSignature?: Hex | undefined;
};

const BIGINT_TERMS = [
  "qualityThreshold",
  "priceCeiling",
  "bidDeadline",
  "attestDeadline",
  "deliveryDeadline",
  "dataDeadline",
] as const;
const NUMBER_TERMS = ["teeTypes", "parties", "threshold", "committeeSize", "configId"] as const;
const HEX32_TERMS = [
  "specHash",
  "datasetCommitment",
  "evalCommitment",
  "measurement",
  "committeeHash",
  "refundCommitment",
] as const;
const ADDRESS_TERMS = ["asset", "ownerKey"] as const;
const PARAM_KEYS = [
  "features",
  "classes",
  "batchSize",
  "steps",
  "fracBits",
  "lrShift",
  "evalRows",
  "segments",
] as const;

/** The job spec as JSON text (bigints as decimal strings). */
export function stringifyJobSpec(spec: JobSpec): string {
  return JSON.stringify(spec, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2);
}

/** Recursively sorts object keys (arrays keep their order) so the JSON is canonical. */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "string" && isHex(v)) return v.toLowerCase();
  if (typeof v !== "object" || v === null) return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => [k, sortedKeys(o[k])]),
  );
}

/**
 * What the owner key signs: keccak256 of the spec's canonical JSON (keys sorted, bigints as decimal
 * strings, hex lower case, no whitespace) without `ownerSignature`.
 *
 * @example
 * const documentHash = jobSpecDocumentHash(spec);
 */
export function jobSpecDocumentHash(spec: JobSpec): Hex {
  const { ownerSignature: _, ...unsigned } = spec;
  return keccak256(stringToHex(JSON.stringify(sortedKeys(unsigned))));
}

/**
 * Throws `BadJobSpec` unless the spec carries the signature of the job's owner key
 * (`terms.ownerKey`) over its document hash.
 */
export async function checkJobSpecSignature(spec: JobSpec): Promise<void> {
  if (spec.ownerSignature === undefined)
    bad("the job spec carries no ownerSignature: the job's owner key must sign it (JobSpecDocument)");
  let signer: Address;
  try {
    signer = await recoverJobSpecDocumentSigner(
      {
        chainId: Number(spec.chainId),
        jobMarket: spec.market,
        jobId: spec.jobId,
        documentHash: jobSpecDocumentHash(spec),
      },
      spec.ownerSignature as Hex,
    );
  } catch {
    return bad("spec.ownerSignature is not a valid signature");
  }
  if (signer.toLowerCase() !== spec.terms.ownerKey.toLowerCase())
    bad(
      `the job spec is signed by ${signer}, not by the job's owner key ${spec.terms.ownerKey}: a spec the buyer did not approve (another result key, base model or limit?) is refused`,
    );
}

const bad = (message: string): never => {
  throw new RunnerError("BadJobSpec", message);
};

function field(o: Record<string, unknown>, key: string, where: string): unknown {
  if (!(key in o)) bad(`${where}.${key} is missing`);
  return o[key];
}

function object(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) bad(`${where} must be an object`);
  return v as Record<string, unknown>;
}

function bigintOf(v: unknown, where: string): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "string" && /^(0|[1-9][0-9]*)$/.test(v)) return BigInt(v);
  return bad(`${where} must be a non-negative integer (a decimal string)`);
}

function signedBigintOf(v: unknown, where: string): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === "string" && /^-?(0|[1-9][0-9]*)$/.test(v)) return BigInt(v);
  return bad(`${where} must be an integer (a decimal string)`);
}

function smallIntOf(v: unknown, where: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    bad(`${where} must be a non-negative integer`);
  return v as number;
}

function hexOf(v: unknown, bytes: number, where: string): Hex {
  if (typeof v !== "string" || !isHex(v, { strict: true }) || v.length !== 2 + 2 * bytes)
    bad(`${where} must be ${bytes} bytes of 0x-prefixed hex`);
  return (v as string).toLowerCase() as Hex;
}

function addressOf(v: unknown, where: string): Address {
  if (typeof v !== "string" || !isAddress(v, { strict: false })) bad(`${where} must be an address`);
  return v as Address;
}

function weightsOf(v: unknown, params: TrainingParams): AdapterWeights {
  const o = object(v, "training.initialWeights");
  const rows = field(o, "weights", "training.initialWeights");
  const bias = field(o, "bias", "training.initialWeights");
  if (!Array.isArray(rows) || !Array.isArray(bias))
    bad("training.initialWeights.weights and .bias must be arrays");
  const weights: AdapterWeights = {
    weights: (rows as unknown[]).map((row, c) => {
      if (!Array.isArray(row)) bad(`training.initialWeights.weights[${c}] must be an array`);
      return (row as unknown[]).map((x, d) =>
        signedBigintOf(x, `training.initialWeights.weights[${c}][${d}]`),
      );
    }),
    bias: (bias as unknown[]).map((x, c) => signedBigintOf(x, `training.initialWeights.bias[${c}]`)),
  };
  try {
    checkWeights(weights, params, "training.initialWeights");
  } catch (e) {
    bad((e as Error).message);
  }
  return weights;
}

/**
 * Parses and checks a job spec (JSON text). Checks every field's shape, the circuit parameters,
 * and that `terms.specHash = Poseidon(C0, hpHash)` and `terms.qualityThreshold = tau`, so the
 * runner never trains a statement other than the one the buyer posted. Throws {@link RunnerError}
 * `BadJobSpec` naming the field.
 */
export async function parseJobSpec(text: string): Promise<JobSpec> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    bad("the job spec is not valid JSON");
  }
  const o = object(raw, "spec");
  const version = field(o, "version", "spec");
  if (version !== JOB_SPEC_VERSION)
    bad(`spec.version ${String(version)} is not supported (this runner reads ${JOB_SPEC_VERSION})`);

  const t = object(field(o, "terms", "spec"), "spec.terms");
  const terms = {} as Record<string, unknown>;
  for (const k of HEX32_TERMS) terms[k] = hexOf(field(t, k, "spec.terms"), 32, `spec.terms.${k}`);
  for (const k of BIGINT_TERMS) terms[k] = bigintOf(field(t, k, "spec.terms"), `spec.terms.${k}`);
  for (const k of NUMBER_TERMS) terms[k] = smallIntOf(field(t, k, "spec.terms"), `spec.terms.${k}`);
  for (const k of ADDRESS_TERMS) terms[k] = addressOf(field(t, k, "spec.terms"), `spec.terms.${k}`);

  const base = object(field(o, "baseModel", "spec"), "spec.baseModel");
  const name = field(base, "name", "spec.baseModel");
  if (typeof name !== "string" || name === "") bad("spec.baseModel.name must be a non-empty string");

  const tr = object(field(o, "training", "spec"), "spec.training");
  const p = object(field(tr, "params", "spec.training"), "spec.training.params");
  const params = {} as Record<string, number>;
  for (const k of PARAM_KEYS)
    params[k] = smallIntOf(field(p, k, "spec.training.params"), `spec.training.params.${k}`);
  try {
    validateParams(params as TrainingParams);
  } catch (e) {
    bad(`spec.training.params: ${(e as Error).message}`);
  }
  const initialWeights = weightsOf(field(tr, "initialWeights", "spec.training"), params as TrainingParams);
  const tau = smallIntOf(field(tr, "tau", "spec.training"), "spec.training.tau");
  if (tau > 10_000) bad("spec.training.tau is in basis points (0..10000)");

  const maxDatasetBytes =
    o.maxDatasetBytes === undefined
      ? DEFAULT_MAX_DATASET_BYTES
      : smallIntOf(o.maxDatasetBytes, "spec.maxDatasetBytes");
  if (maxDatasetBytes < 1) bad("spec.maxDatasetBytes must be positive");

  const spec: JobSpec = {
    version: JOB_SPEC_VERSION,
    chainId: bigintOf(field(o, "chainId", "spec"), "spec.chainId"),
    market: addressOf(field(o, "market", "spec"), "spec.market"),
    jobId: bigintOf(field(o, "jobId", "spec"), "spec.jobId"),
    terms: terms as JobTerms,
    baseModel: {
      name: name as string,
      sha256: hexOf(field(base, "sha256", "spec.baseModel"), 32, "spec.baseModel.sha256"),
    },
    training: { params: params as TrainingParams, initialWeights, tau },
    buyerPublicKey: hexOf(field(o, "buyerPublicKey", "spec"), 32, "spec.buyerPublicKey"),
    maxDatasetBytes,
    ownerSignature:
      o.ownerSignature === undefined ? undefined : hexOf(o.ownerSignature, 65, "spec.ownerSignature"),
  };
  await checkTrainingCommitments(spec);
  return spec;
}

/** terms.specHash must commit to (C0, hyper-parameters) and terms.qualityThreshold must equal tau. */
async function checkTrainingCommitments(spec: JobSpec): Promise<void> {
  const hash = await getPoseidon();
  const { params, initialWeights, tau } = spec.training;
  const expected = specHash(hash, commitWeights(hash, initialWeights), params);
  if (BigInt(spec.terms.specHash) !== expected)
    bad(
      "spec.terms.specHash is not Poseidon(C0, hpHash) of spec.training: the statement differs from the posted one",
    );
  if (spec.terms.qualityThreshold !== BigInt(tau))
    bad(`spec.terms.qualityThreshold ${spec.terms.qualityThreshold} differs from spec.training.tau ${tau}`);
}
