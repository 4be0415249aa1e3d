// Multi-party jobs (docs/MULTIPARTY.md): the spec a job's `committeeHash` commits to, its hash and
// checks (the same rules as MultiPartyCoordinator), and the check of a ciphertext against the hash
// recorded for it on-chain. Browser-safe.
import { type Address, encodeAbiParameters, type Hex, isAddress, keccak256 } from "viem";
import type { LocalAccount } from "viem/accounts";
import { BaseError } from "./errors.ts";
import type { JobTerms } from "./types.ts";

/**
 * Who takes part in a multi-party job and its deadlines, field for field as
 * `IMultiPartyCoordinator.MultiPartySpec`. A job commits to it with
 * `terms.committeeHash = hashMultiPartySpec(spec)`.
 */
export type MultiPartySpec = {
  /** The data parties, in index order (`terms.parties` of them): distinct, non-zero. */
  dataParties: readonly Address[];
  /** The decryption committee, in index order (`terms.committeeSize` members): distinct, non-zero. */
  committee: readonly Address[];
  /** Each member's X25519 public key (32 bytes), to which the enclave encrypts its Paillier key share. */
  committeeKeys: readonly Hex[];
  /** Last second for the data parties' encrypted updates; after `terms.attestDeadline`. */
  updateDeadline: bigint;
  /** Last second for the provider's aggregate; after `updateDeadline`. */
  aggregateDeadline: bigint;
  /** Last second for decryption shares; after `aggregateDeadline`, before `terms.deliveryDeadline`. */
  shareDeadline: bigint;
};

/** ABI type of `IMultiPartyCoordinator.MultiPartySpec`, in field order. */
export const multiPartySpecAbiType = {
  type: "tuple",
  components: [
    { name: "dataParties", type: "address[]" },
    { name: "committee", type: "address[]" },
    { name: "committeeKeys", type: "bytes32[]" },
    { name: "updateDeadline", type: "uint64" },
    { name: "aggregateDeadline", type: "uint64" },
    { name: "shareDeadline", type: "uint64" },
  ],
} as const;

/** An invalid multi-party spec, found before anything is sent to a chain. */
export class MultiPartySpecError extends BaseError {
  override name = "MultiPartySpecError";
}

/** Bytes whose hash is not the one recorded for them on-chain: tampered, truncated or the wrong file. */
export class RecordedHashMismatchError extends BaseError {
  override name = "RecordedHashMismatchError";
  /** The hash recorded on-chain. */
  readonly expected: Hex;
  /** `keccak256` of the bytes received. */
  readonly actual: Hex;

  constructor(label: string, expected: Hex, actual: Hex) {
    super(`${label} does not match its on-chain hash`, {
      details: `expected (recorded on-chain) ${expected}, actual keccak256 of the bytes ${actual}`,
    });
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * The committee hash a job with this spec carries: `keccak256(abi.encode(spec))`, equal to
 * `MultiPartyCoordinator.hashSpec(spec)`.
 *
 * @param spec The multi-party spec.
 * @returns The hash to put in `terms.committeeHash`.
 * @example
 * const terms = { ...base, parties: 3, threshold: 2, committeeSize: 3, committeeHash: hashMultiPartySpec(spec) };
 */
export function hashMultiPartySpec(spec: MultiPartySpec): Hex {
  return keccak256(encodeAbiParameters([multiPartySpecAbiType], [spec]));
}

/**
 * The hash recorded on-chain for a ciphertext (an encrypted update, the aggregate, a decryption
 * share with its proof): `keccak256` of its bytes. (Blob ids are SHA-256 and name storage; this
 * hash is the on-chain commitment, in the EVM's own hash.)
 *
 * @param bytes The ciphertext as stored and transmitted.
 * @returns The hash to pass to `recordUpdate` / `recordAggregate` / `recordShare`.
 * @example
 * await coordinator.write.recordUpdate([jobId, terms, spec, 0n, recordedHashOf(ciphertext)]);
 */
export function recordedHashOf(bytes: Uint8Array): Hex {
  return keccak256(bytes);
}

/**
 * Checks received bytes against the hash recorded for them on-chain. Throws
 * {@link RecordedHashMismatchError} naming the expected and the actual hash when they differ, so a
 * tampered ciphertext is never decrypted, aggregated or used.
 *
 * @param bytes The ciphertext received (from a blob store, a peer, …).
 * @param recordedHash The hash read from the chain (`updateHashOf`, `aggregateHashOf`, `shareHashOf`).
 * @param label What the bytes are, for the message (default "ciphertext").
 * @example
 * verifyRecordedHash(update, await coordinator.read.updateHashOf([jobId, 2n]), "party 2's update");
 */
export function verifyRecordedHash(bytes: Uint8Array, recordedHash: Hex, label = "ciphertext"): void {
  const actual = recordedHashOf(bytes);
  if (actual.toLowerCase() !== recordedHash.toLowerCase())
    throw new RecordedHashMismatchError(label, recordedHash, actual);
}

/**
 * The bit set of the given indices (bit i = party or member i), as `includedMask` and the
 * coordinator's masks use.
 *
 * @example
 * indexMask([0, 2]); // 5n
 */
export function indexMask(indices: readonly number[]): bigint {
  let mask = 0n;
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i > 254)
      throw new MultiPartySpecError(`index ${i} is not in 0..254`);
    mask |= 1n << BigInt(i);
  }
  return mask;
}

/** Parameters of {@link checkMultiPartySpec}. */
export type CheckMultiPartySpecParameters = {
  spec: MultiPartySpec;
  /** The job's terms; when given, the spec is checked against them (counts, deadlines, hash). */
  terms?: JobTerms | undefined;
};

/**
 * Checks a multi-party spec with the rules of `MultiPartyCoordinator.checkSpec`: throws
 * {@link MultiPartySpecError} naming the first violation. Buyers run it before posting; providers
 * before bidding (a job whose spec fails cannot progress, and its provider would be slashed).
 *
 * @example
 * checkMultiPartySpec({ spec, terms });
 */
export function checkMultiPartySpec({ spec, terms }: CheckMultiPartySpecParameters): void {
  const fail = (msg: string, details?: string): never => {
    throw new MultiPartySpecError(msg, { details });
  };
  const zero = "0x0000000000000000000000000000000000000000";
  for (const [list, accounts] of [
    ["dataParties", spec.dataParties],
    ["committee", spec.committee],
  ] as const) {
    if (accounts.length === 0) fail(`${list} must not be empty`);
    if (accounts.length > 255) fail(`${list} has ${accounts.length} entries; at most 255`);
    const seen = new Map<string, number>();
    accounts.forEach((a, i) => {
      if (!isAddress(a, { strict: false })) fail(`${list}[${i}] is not an address`, `got ${String(a)}`);
      if (a.toLowerCase() === zero) fail(`${list}[${i}] is the zero address`);
      const first = seen.get(a.toLowerCase());
      if (first !== undefined) fail(`${list}[${i}] repeats ${list}[${first}]`, `address ${a}`);
      seen.set(a.toLowerCase(), i);
    });
  }
  if (spec.committeeKeys.length !== spec.committee.length)
    fail(
      `committeeKeys has ${spec.committeeKeys.length} keys for ${spec.committee.length} committee members`,
    );
  spec.committeeKeys.forEach((k, i) => {
    if (!/^0x[0-9a-fA-F]{64}$/.test(k)) fail(`committeeKeys[${i}] is not 32 bytes of hex`, `got ${k}`);
    if (BigInt(k) === 0n) fail(`committeeKeys[${i}] is zero`);
  });
  if (!(spec.updateDeadline < spec.aggregateDeadline && spec.aggregateDeadline < spec.shareDeadline))
    fail(
      "deadlines must be strictly increasing: update < aggregate < share",
      `update ${spec.updateDeadline}, aggregate ${spec.aggregateDeadline}, share ${spec.shareDeadline}`,
    );
  if (terms === undefined) return;
  if (terms.parties !== spec.dataParties.length)
    fail(`the terms name ${terms.parties} parties but the spec lists ${spec.dataParties.length}`);
  if (terms.committeeSize !== spec.committee.length)
    fail(`the terms name a committee of ${terms.committeeSize} but the spec lists ${spec.committee.length}`);
  if (terms.threshold < 1 || terms.threshold > terms.committeeSize)
    fail(`threshold ${terms.threshold} is not in 1..${terms.committeeSize}`);
  if (spec.updateDeadline <= terms.attestDeadline)
    fail(
      "updateDeadline must be after the attestation deadline",
      `update ${spec.updateDeadline}, attest ${terms.attestDeadline}`,
    );
  if (spec.shareDeadline >= terms.deliveryDeadline)
    fail(
      "shareDeadline must be before the delivery deadline",
      `share ${spec.shareDeadline}, delivery ${terms.deliveryDeadline}`,
    );
  const hash = hashMultiPartySpec(spec);
  if (hash !== terms.committeeHash.toLowerCase())
    fail(
      "the terms' committeeHash is not the hash of this spec",
      `committeeHash ${terms.committeeHash}, spec ${hash}`,
    );
}

/** EIP-712 domain name and version of `MultiPartyCoordinator` (its `verifyingContract` is the coordinator). */
export const MULTI_PARTY_RESULT_DOMAIN = { name: "BlindTraining MultiParty", version: "1" } as const;

/** EIP-712 types of the attested enclave's statement that settles a multi-party job. */
export const MULTI_PARTY_RESULT_TYPES = {
  MultiPartyResult: [
    { name: "jobId", type: "uint256" },
    { name: "specHash", type: "bytes32" },
    { name: "aggregateHash", type: "bytes32" },
    { name: "modelCommitment", type: "bytes32" },
  ],
} as const;

/** Parameters of {@link signMultiPartyResult}. */
export type SignMultiPartyResultParameters = {
  /** The enclave's signing key: the `enclaveSigner` its attestation bound to the job. */
  signer: LocalAccount;
  chainId: number | bigint;
  coordinator: Address;
  jobId: bigint;
  /** The job's `terms.specHash`. */
  specHash: Hex;
  /** The aggregate hash recorded on the coordinator (what the committee decrypted). */
  aggregateHash: Hex;
  /** C(W, b) of C0 plus the decrypted average update: the `modelCommitment` of `submitResult`. */
  modelCommitment: Hex;
};

/**
 * The enclave's signature that settles a multi-party job: the `proof` argument of
 * `JobMarket.submitResult`, checked by `MultiPartyCoordinator.verifyTraining`.
 */
export function signMultiPartyResult(p: SignMultiPartyResultParameters): Promise<Hex> {
  return p.signer.signTypedData({
    domain: { ...MULTI_PARTY_RESULT_DOMAIN, chainId: Number(p.chainId), verifyingContract: p.coordinator },
    types: MULTI_PARTY_RESULT_TYPES,
    primaryType: "MultiPartyResult",
    message: {
      jobId: p.jobId,
      specHash: p.specHash,
      aggregateHash: p.aggregateHash,
      modelCommitment: p.modelCommitment,
    },
  });
}
