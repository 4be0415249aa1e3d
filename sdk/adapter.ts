// The delivered model: the trained adapter (linear head over the frozen base model's features) and,
// when the job trained one, the LoRA adapter of the language model, as a JSON document encrypted to
// the buyer's X25519 key in an envelope bound to the job. The buyer decrypts it and checks both
// commitments: the head's against C_K (the model commitment the market accepted with the proof), the
// LoRA's SHA-256 against the `loraCommitment` the attested enclave signed in its FeatureBinding.
// Browser-safe: the LoRA bytes are carried opaque (enclave-runner/model/LORA.md parses them).
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, type Hex, hexToBytes, isHex, toHex } from "viem";
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
/** Version of the adapter document (2: an optional LoRA adapter). */
export const ADAPTER_FORMAT_VERSION = 2;

/** The adapter document. */
export type AdapterDocument = {
  /** The frozen base model the head runs on. */
  baseModel: { name: string; sha256: Hex };
  params: TrainingParams;
  weights: AdapterWeights;
  /** C(W, b) as 32-byte hex: equals the job's on-chain model commitment. */
  commitment: Hex;
  /** The LoRA adapter's canonical serialization and its SHA-256 (the binding's `loraCommitment`). */
  lora?: { bytes: Uint8Array; commitment: Hex } | undefined;
};

/** The adapter is malformed, or its commitment is not the expected one. */
export class AdapterError extends BaseError {
  override name = "AdapterError";
}

/** SHA-256 of a LoRA adapter's canonical bytes: its commitment. */
export function loraBytesCommitment(bytes: Uint8Array): Hex {
  return bytesToHex(sha256(bytes));
}

/** Builds the document, computing the commitments (of the head, and of the LoRA bytes if any). */
export async function adapterDocument(
  baseModel: AdapterDocument["baseModel"],
  params: TrainingParams,
  weights: AdapterWeights,
  loraBytes?: Uint8Array,
): Promise<AdapterDocument> {
  checkWeights(weights, params, "adapter");
  const commitment = toHex(commitWeights(await getPoseidon(), weights), { size: 32 });
  const lora =
    loraBytes === undefined ? undefined : { bytes: loraBytes, commitment: loraBytesCommitment(loraBytes) };
  return { baseModel, params, weights, commitment, ...(lora ? { lora } : {}) };
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
      ...(doc.lora ? { lora: { commitment: doc.lora.commitment, hex: bytesToHex(doc.lora.bytes) } } : {}),
    }),
  );
}

/**
 * Parses a document and recomputes its commitments; throws {@link AdapterError} when it is malformed
 * or when a recomputed commitment differs from the stated one or from the expected one
 * (`expectedCommitment`: C_K; `expectedLoraCommitment`: the binding's, zero meaning "no LoRA").
 */
export async function decodeAdapter(
  bytes: Uint8Array,
  expectedCommitment?: Hex,
  expectedLoraCommitment?: Hex,
): Promise<AdapterDocument> {
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
  let loraBytes: Uint8Array | undefined;
  if (raw.lora !== undefined) {
    const l = raw.lora as { commitment?: unknown; hex?: unknown };
    if (typeof l.hex !== "string" || !isHex(l.hex, { strict: true }) || l.hex.length % 2 !== 0)
      throw new AdapterError("the adapter's LoRA bytes are not hex");
    loraBytes = hexToBytes(l.hex as Hex);
    if (loraBytesCommitment(loraBytes) !== String(l.commitment).toLowerCase())
      throw new AdapterError(
        `the adapter's LoRA bytes hash to ${loraBytesCommitment(loraBytes)}, not to the stated ${String(l.commitment)}`,
      );
  }
  const doc = await adapterDocument(baseModel, params, weights, loraBytes);
  if (doc.commitment !== String(raw.commitment).toLowerCase())
    throw new AdapterError(
      `the adapter's weights commit to ${doc.commitment}, not to the stated ${String(raw.commitment)}`,
    );
  if (expectedCommitment !== undefined && doc.commitment !== expectedCommitment.toLowerCase())
    throw new AdapterError(
      `the adapter commits to ${doc.commitment}, not to the expected ${expectedCommitment}`,
    );
  if (expectedLoraCommitment !== undefined) {
    const zero = BigInt(expectedLoraCommitment) === 0n;
    if (zero && doc.lora !== undefined)
      throw new AdapterError("the adapter carries a LoRA adapter, but the enclave's binding states none");
    if (!zero && doc.lora?.commitment !== expectedLoraCommitment.toLowerCase())
      throw new AdapterError(
        `the adapter's LoRA commits to ${doc.lora?.commitment ?? "nothing"}, not to the binding's ${expectedLoraCommitment}`,
      );
  }
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
  /** The `loraCommitment` of the enclave's FeatureBinding (in the accepted result's proof). */
  loraCommitment?: Hex | undefined;
}): Promise<AdapterDocument> {
  const plaintext = await decryptEnvelope({
    envelope: options.envelope,
    recipientSecretKey: options.buyerSecretKey,
    jobId: options.jobId,
  });
  return decodeAdapter(plaintext, options.modelCommitment, options.loraCommitment);
}
