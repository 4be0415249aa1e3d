// The delivered model: the trained adapter (linear head over the frozen base model's features) as a
// small JSON document, encrypted to the buyer's X25519 key in an envelope bound to the job. The
// buyer decrypts it and checks that its commitment equals C_K, the model commitment the market
// accepted with the proof. Browser-safe.
import { type Hex, hexToBytes, toHex } from "viem";
import { decryptEnvelope, encryptEnvelope } from "./envelope/index.ts";
import { BaseError } from "./errors.ts";
import {
  type AdapterWeights,
  checkWeights,
  commitWeights,
  getPoseidon,
  type TrainingParams,
  validateParams,
} from "./training/index.ts";

/** Format tag of the adapter document. */
export const ADAPTER_FORMAT = "blind-training/adapter";
/** Version of the adapter document. */
export const ADAPTER_FORMAT_VERSION = 1;

/** The adapter document. */
export type AdapterDocument = {
  /** The frozen base model the head runs on. */
  baseModel: { name: string; sha256: Hex };
  params: TrainingParams;
  weights: AdapterWeights;
  /** C(W, b) as 32-byte hex: equals the job's on-chain model commitment. */
  commitment: Hex;
};

/** The adapter is malformed, or its commitment is not the expected one. */
export class AdapterError extends BaseError {
  override name = "AdapterError";
}

/** Builds the document, computing the commitment. */
export async function adapterDocument(
  baseModel: AdapterDocument["baseModel"],
  params: TrainingParams,
  weights: AdapterWeights,
): Promise<AdapterDocument> {
  checkWeights(weights, params, "adapter");
  const commitment = toHex(commitWeights(await getPoseidon(), weights), { size: 32 });
  return { baseModel, params, weights, commitment };
}

/** Serializes the document (weights as decimal strings). */
export function encodeAdapter(doc: AdapterDocument): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      format: ADAPTER_FORMAT,
      version: ADAPTER_FORMAT_VERSION,
      baseModel: doc.baseModel,
      params: doc.params,
      weights: { weights: doc.weights.weights.map((r) => r.map(String)), bias: doc.weights.bias.map(String) },
      commitment: doc.commitment,
    }),
  );
}

/**
 * Parses a document and recomputes its commitment; throws {@link AdapterError} when it is malformed
 * or when the recomputed commitment differs from the stated one or from `expectedCommitment`.
 */
export async function decodeAdapter(bytes: Uint8Array, expectedCommitment?: Hex): Promise<AdapterDocument> {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as Record<string, unknown>;
  } catch {
    throw new AdapterError("the adapter is not UTF-8 JSON");
  }
  if (raw.format !== ADAPTER_FORMAT || raw.version !== ADAPTER_FORMAT_VERSION)
    throw new AdapterError(`not a ${ADAPTER_FORMAT} v${ADAPTER_FORMAT_VERSION} document`);
  const params = raw.params as TrainingParams;
  const w = raw.weights as { weights: string[][]; bias: string[] };
  let weights: AdapterWeights;
  try {
    validateParams(params);
    weights = { weights: w.weights.map((r) => r.map((v) => BigInt(v))), bias: w.bias.map((v) => BigInt(v)) };
    checkWeights(weights, params, "adapter");
  } catch (e) {
    throw new AdapterError("the adapter's parameters or weights are malformed", { cause: e });
  }
  const baseModel = raw.baseModel as AdapterDocument["baseModel"];
  const doc = await adapterDocument(baseModel, params, weights);
  if (doc.commitment !== String(raw.commitment).toLowerCase())
    throw new AdapterError(
      `the adapter's weights commit to ${doc.commitment}, not to the stated ${String(raw.commitment)}`,
    );
  if (expectedCommitment !== undefined && doc.commitment !== expectedCommitment.toLowerCase())
    throw new AdapterError(
      `the adapter commits to ${doc.commitment}, not to the expected ${expectedCommitment}`,
    );
  return doc;
}

/** Encrypts the adapter to the buyer's X25519 key for job `jobId`. */
export function encryptAdapter(
  doc: AdapterDocument,
  buyerPublicKey: Hex,
  jobId: bigint,
): Promise<Uint8Array> {
  return encryptEnvelope({
    plaintext: encodeAdapter(doc),
    recipientPublicKey: hexToBytes(buyerPublicKey),
    jobId,
  });
}

/**
 * The buyer's side: decrypts the adapter envelope and checks it against the on-chain model
 * commitment. Throws `EnvelopeError` (tampering, wrong key, wrong job) or {@link AdapterError}.
 */
export async function decryptAdapter(options: {
  envelope: Uint8Array;
  buyerSecretKey: Uint8Array;
  jobId: bigint;
  modelCommitment: Hex;
}): Promise<AdapterDocument> {
  const plaintext = await decryptEnvelope({
    envelope: options.envelope,
    recipientSecretKey: options.buyerSecretKey,
    jobId: options.jobId,
  });
  return decodeAdapter(plaintext, options.modelCommitment);
}
