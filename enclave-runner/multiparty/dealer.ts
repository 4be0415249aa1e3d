// Role: the dealer, inside the attested enclave. Creates the job's t-of-n threshold Paillier key,
// seals key share i + 1 to the spec's `committeeKeys[i]` (X25519, sdk/paillier/seal.ts), publishes
// parameters, verification keys, sealed shares and packing parameters as one blob, and forgets the
// secret. `loadDealerOutput` is the other roles' side: fetch, check against the job, parse.
import { type Hex, hexToBytes } from "viem";
import type { BlobId } from "../../sdk/blobs/blobStore.ts";
import { PackedCodec } from "../../sdk/paillier/encoding.ts";
import { type KeyShareRecipient, publishDealerOutput } from "../../sdk/paillier/seal.ts";
import { thresholdParametersFromJson } from "../../sdk/paillier/serialize.ts";
import {
  ThresholdDealer,
  type ThresholdParameters,
  thresholdPublicKeyCommitment,
} from "../../sdk/paillier/threshold.ts";
import { createThresholdDealerParallel } from "../../sdk/paillier/workers.node.ts";
import { checkJob, type MultiPartyContext } from "./chain.ts";
import { MultiPartyFlowError } from "./errors.ts";
import {
  type CodecConfig,
  DEALER_OUTPUT_BLOB_FORMAT,
  type DealerOutputBlob,
  decodeDealerOutputBlob,
  encodeJsonBlob,
  jobIdHex,
} from "./format.ts";

/** Default fixed-point scale of the packed updates (16 fraction bits: exact for F ≤ 16). */
export const DEFAULT_UPDATE_SCALE = 2 ** 16;
/** Default clip bound of each update coordinate (real units: the fixed-point delta / 2^F). */
export const DEFAULT_UPDATE_CLIP = 1;

/** Parameters of {@link dealJobKey}. */
export type DealJobKeyParameters = {
  /** The job (terms and spec give t, n and the members' X25519 keys); no chain access is needed. */
  context: Pick<MultiPartyContext, "jobId" | "terms" | "spec" | "blobs">;
  /** Packing of the updates: fixed-point scale and clip (defaults 2^16 and 1). */
  codec?: { scale?: number; clip?: number };
  /** Paillier modulus bits (default 2048; 3072 for 128-bit strength). */
  keyBits?: number;
  /** A smaller, INSECURE key for tests (see sdk/paillier). */
  insecureTestKeyBits?: number;
  /** Search the safe primes on all cores with worker threads (default true; closed when done). */
  parallelPrimes?: boolean;
};

/** Result of {@link dealJobKey}. */
export type DealJobKeyResult = {
  /** Blob id of the published dealer output: hand it to parties, aggregator, members and combiner. */
  dealerOutputId: BlobId;
  /** SHA-256 commitment to the threshold public key (attest to it alongside the enclave's keys). */
  publicKeyCommitment: Hex;
  /** The published output. */
  output: DealerOutputBlob;
  /** Milliseconds spent generating the key (safe primes, shares, verification keys, self-test). */
  keygenMs: number;
};

/**
 * Deals the job's threshold key, publishes the dealer output and forgets the secret.
 *
 * @param parameters The job, key size and packing parameters.
 * @returns The dealer output's blob id and the public-key commitment.
 * @example
 * const { dealerOutputId, publicKeyCommitment } = await dealJobKey({ context });
 */
export async function dealJobKey(parameters: DealJobKeyParameters): Promise<DealJobKeyResult> {
  const { context } = parameters;
  checkJob(context);
  const { terms, spec, jobId } = context;
  const recipients: KeyShareRecipient[] = spec.committeeKeys.map((key, i) => ({
    index: i + 1,
    publicKey: hexToBytes(key),
  }));
  const codec: CodecConfig = {
    parties: terms.parties,
    scale: parameters.codec?.scale ?? DEFAULT_UPDATE_SCALE,
    clip: parameters.codec?.clip ?? DEFAULT_UPDATE_CLIP,
  };
  const keyOptions = {
    committeeSize: terms.committeeSize,
    threshold: terms.threshold,
    ...(parameters.keyBits !== undefined ? { keyBits: parameters.keyBits } : {}),
    ...(parameters.insecureTestKeyBits !== undefined
      ? { insecureTestKeyBits: parameters.insecureTestKeyBits }
      : {}),
  };
  const started = performance.now();
  const dealer =
    (parameters.parallelPrimes ?? true)
      ? (await createThresholdDealerParallel(keyOptions)).dealer
      : new ThresholdDealer(keyOptions);
  const keygenMs = performance.now() - started;
  try {
    // Fails early (PackingLayoutError) if the key cannot hold the packing.
    PackedCodec.forPublicKey(dealer.publicKey, codec);
    const output: DealerOutputBlob = {
      format: DEALER_OUTPUT_BLOB_FORMAT,
      version: 1,
      committeeHash: terms.committeeHash,
      codec,
      dealer: await publishDealerOutput(dealer, recipients, jobId),
    };
    const dealerOutputId = await context.blobs.put(encodeJsonBlob(output));
    return { dealerOutputId, publicKeyCommitment: dealer.commitment, output, keygenMs };
  } finally {
    dealer.forget();
  }
}

/** The dealer output as the other roles use it. */
export type LoadedDealerOutput = {
  output: DealerOutputBlob;
  parameters: ThresholdParameters;
  publicKeyCommitment: Hex;
  /** The codec every party encodes with and the combiner decodes with. */
  codec: PackedCodec;
};

/**
 * Fetches the dealer output and checks it against the job: same job id and committee hash, t and n
 * of the terms, one sealed share per member, the commitment recomputed from the parameters (and
 * equal to `expectedCommitment` when given, e.g. the one the enclave attested to), the packing
 * headroom equal to the job's parties. Throws `MalformedBlob` / `BadJob` otherwise.
 *
 * @example
 * const { parameters, codec } = await loadDealerOutput(context, dealerOutputId);
 */
export async function loadDealerOutput(
  context: Pick<MultiPartyContext, "jobId" | "terms" | "blobs" | "insecureTestKeyBits">,
  dealerOutputId: BlobId,
  expectedCommitment?: Hex,
): Promise<LoadedDealerOutput> {
  const output = decodeDealerOutputBlob(await context.blobs.get(dealerOutputId));
  const bad = (why: string) =>
    new MultiPartyFlowError("MalformedBlob", `dealer output ${dealerOutputId}: ${why}`);
  const { terms } = context;
  if (output.dealer.jobId.toLowerCase() !== jobIdHex(context.jobId)) throw bad(`is for another job`);
  if (output.committeeHash.toLowerCase() !== terms.committeeHash.toLowerCase())
    throw bad("is for another committee (committeeHash differs from the terms)");
  const parameters = thresholdParametersFromJson(
    output.dealer.parameters,
    context.insecureTestKeyBits !== undefined ? { insecureTestKeyBits: context.insecureTestKeyBits } : {},
  );
  if (parameters.threshold !== terms.threshold || parameters.committeeSize !== terms.committeeSize)
    throw bad(
      `is a ${parameters.threshold}-of-${parameters.committeeSize} key; the terms ask ${terms.threshold}-of-${terms.committeeSize}`,
    );
  if (
    output.dealer.sealedShares.length !== terms.committeeSize ||
    output.dealer.sealedShares.some((s, i) => s.index !== i + 1)
  )
    throw bad("must hold sealed shares 1..n in order");
  const commitment = thresholdPublicKeyCommitment(parameters);
  if (output.dealer.publicKeyCommitment.toLowerCase() !== commitment)
    throw bad("publicKeyCommitment does not match its parameters");
  if (expectedCommitment !== undefined && expectedCommitment.toLowerCase() !== commitment)
    throw bad(`publicKeyCommitment ${commitment} is not the expected ${expectedCommitment}`);
  if (output.codec.parties !== terms.parties)
    throw bad(`packs for ${output.codec.parties} parties; the job has ${terms.parties}`);
  const codec = PackedCodec.forPublicKey(parameters.publicKey, output.codec);
  return { output, parameters, publicKeyCommitment: commitment, codec };
}
