// Multi-party jobs (docs/MULTIPARTY.md): the spec a job's `committeeHash` commits to, its hash and
// checks (the same rules as MultiPartyCoordinator), the check of a ciphertext against the hash
// recorded for it on-chain, the enclave's statements the coordinator checks, and the committee's
// bonds (who is at fault, what settlement pays). Browser-safe.
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
  /**
   * Bond each committee member deposits in the job's asset before `terms.bidDeadline` (wei or token
   * units, below 2^96); `0n` = no bonds. With bonds, only bonded members share, and they publish
   * their shares on-chain (`publishShare`).
   */
  memberBond: bigint;
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
    { name: "memberBond", type: "uint96" },
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
  if (typeof spec.memberBond !== "bigint" || spec.memberBond < 0n || spec.memberBond >= 1n << 96n)
    fail("memberBond must be an integer in [0, 2^96)", `got ${String(spec.memberBond)}`);
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

/** EIP-712 types of the enclave's statement that a recorded aggregate is the included updates' product. */
export const MULTI_PARTY_AGGREGATE_TYPES = {
  MultiPartyAggregate: [
    { name: "jobId", type: "uint256" },
    { name: "aggregateHash", type: "bytes32" },
    { name: "includedMask", type: "uint256" },
  ],
} as const;

/** Parameters of {@link signMultiPartyAggregate}. */
export type SignMultiPartyAggregateParameters = {
  /** The enclave's signing key: the `enclaveSigner` its attestation bound to the job. */
  signer: LocalAccount;
  chainId: number | bigint;
  coordinator: Address;
  jobId: bigint;
  /** keccak256 of the aggregate ciphertext the enclave computed from the recorded updates. */
  aggregateHash: Hex;
  /** The parties whose updates it includes (exactly those that recorded one). */
  includedMask: bigint;
};

/**
 * The enclave's signature that vouches for the aggregate: the `enclaveSignature` argument of
 * `MultiPartyCoordinator.recordAggregate`. Without it a provider could record the hash of bytes no
 * honest member would decrypt, and then blame the committee for not sharing.
 *
 * @returns The signature.
 * @example
 * const sig = await signMultiPartyAggregate({ signer, chainId, coordinator, jobId, aggregateHash, includedMask });
 */
export function signMultiPartyAggregate(p: SignMultiPartyAggregateParameters): Promise<Hex> {
  return p.signer.signTypedData({
    domain: { ...MULTI_PARTY_RESULT_DOMAIN, chainId: Number(p.chainId), verifyingContract: p.coordinator },
    types: MULTI_PARTY_AGGREGATE_TYPES,
    primaryType: "MultiPartyAggregate",
    message: { jobId: p.jobId, aggregateHash: p.aggregateHash, includedMask: p.includedMask },
  });
}

/** EIP-712 types of the combiner's statement naming the members whose recorded shares fail their proofs. */
export const COMMITTEE_BAD_SHARES_TYPES = {
  CommitteeBadShares: [
    { name: "jobId", type: "uint256" },
    { name: "aggregateHash", type: "bytes32" },
    { name: "badMembers", type: "uint256" },
    { name: "badShareHashes", type: "bytes32[]" },
  ],
} as const;

/** Parameters of {@link signCommitteeBadShares}. */
export type SignCommitteeBadSharesParameters = {
  /** The enclave's signing key (the job's `enclaveSigner`). */
  signer: LocalAccount;
  chainId: number | bigint;
  coordinator: Address;
  jobId: bigint;
  /** The recorded aggregate hash the shares were checked against. */
  aggregateHash: Hex;
  /** Bit i = member i's share failed its proof (see {@link indexMask}). */
  badMembers: bigint;
  /** keccak256 of each bad member's share bytes the combiner judged, in member-index order. */
  badShareHashes: readonly Hex[];
};

/**
 * The combiner's signature naming the members whose shares fail their Chaum–Pedersen proofs: the
 * `committeeSignature` of `MultiPartyCoordinator.reportBadShares`, which checks `badShareHashes`
 * against the hashes the members recorded, so a host that feeds its enclave forged shares gets a
 * signature the coordinator refuses.
 *
 * @returns The signature.
 * @example
 * const sig = await signCommitteeBadShares({ signer, chainId, coordinator, jobId, aggregateHash, badMembers: 2n, badShareHashes: [h1] });
 */
export function signCommitteeBadShares(p: SignCommitteeBadSharesParameters): Promise<Hex> {
  if (p.badShareHashes.length !== maskIndices(p.badMembers).length)
    throw new MultiPartySpecError(
      `${p.badShareHashes.length} share hashes for ${maskIndices(p.badMembers).length} bad members`,
    );
  return p.signer.signTypedData({
    domain: { ...MULTI_PARTY_RESULT_DOMAIN, chainId: Number(p.chainId), verifyingContract: p.coordinator },
    types: COMMITTEE_BAD_SHARES_TYPES,
    primaryType: "CommitteeBadShares",
    message: {
      jobId: p.jobId,
      aggregateHash: p.aggregateHash,
      badMembers: p.badMembers,
      badShareHashes: [...p.badShareHashes],
    },
  });
}

// ----- bonds -----

/**
 * The indices whose bit is set in `mask`, ascending (the inverse of {@link indexMask}).
 *
 * @example
 * maskIndices(5n); // [0, 2]
 */
export function maskIndices(mask: bigint): number[] {
  const out: number[] = [];
  for (let i = 0; mask >> BigInt(i) !== 0n; i++) if ((mask >> BigInt(i)) & 1n) out.push(i);
  return out;
}

/**
 * The committee members who recorded no share: bit i set for each member index below
 * `committeeSize` whose bit is clear in `shareMask` (the coordinator's `committeeFault` mask).
 *
 * @example
 * unsharedMembers(3, 0b010n); // 0b101n
 */
export function unsharedMembers(committeeSize: number, shareMask: bigint): bigint {
  return ((1n << BigInt(committeeSize)) - 1n) & ~shareMask;
}

/**
 * Whether every committee member has bonded: what a provider checks (`bondsOf`) before it bids on a
 * job whose spec requires bonds. A member that did not bond by the bid deadline cannot share, and
 * nothing of it can be forfeited if the quorum fails.
 *
 * @example
 * const [bonded] = await coordinator.read.bondsOf([jobId]);
 * if (!committeeFullyBonded(spec, bonded)) skipJob();
 */
export function committeeFullyBonded(
  spec: Pick<MultiPartySpec, "committee" | "memberBond">,
  bondedMask: bigint,
) {
  if (spec.memberBond === 0n) return true;
  return unsharedMembers(spec.committee.length, bondedMask) === 0n;
}

/** Parameters of {@link validQuorumPossible}. */
export type ValidQuorumPossibleParameters = {
  threshold: number;
  committeeSize: number;
  /** Recorded shares (`recordsOf`'s share mask). */
  shareMask: bigint;
  /** Recorded shares whose proof fails. */
  badMembers: bigint;
  /** Whether members can no longer share: the share deadline has passed, or the job has ended. */
  windowOver: boolean;
};

/**
 * Whether t valid shares can still be had: the recorded shares not named bad, plus the members who
 * may still share while the window is open. `reportBadShares` is accepted only when this is false;
 * until then the combiner waits (or combines the valid shares).
 *
 * @example
 * validQuorumPossible({ threshold: 2, committeeSize: 3, shareMask: 3n, badMembers: 1n, windowOver: true }); // false
 */
export function validQuorumPossible(p: ValidQuorumPossibleParameters): boolean {
  const recorded = maskIndices(p.shareMask).length;
  const valid = recorded - maskIndices(p.badMembers & p.shareMask).length;
  const open = p.windowOver ? 0 : p.committeeSize - recorded;
  return valid + open >= p.threshold;
}

/** Parameters of {@link bondSettlement}. */
export type BondSettlementParameters = {
  spec: Pick<MultiPartySpec, "committee" | "memberBond">;
  /** `bondsOf`'s bonded members. */
  bondedMask: bigint;
  /** `bondsOf`'s faulty members. */
  faultyMask: bigint;
  /** The job config's `slashBuyerShareBps`: the injured party's share of a slash. */
  injuredShareBps: number | bigint;
};

/** What `settleBonds` credits (mirrors the contract's arithmetic). */
export type BondSettlement = {
  /** Members whose bond is returned, with the amount (their bond). */
  returned: { member: number; account: Address; amount: bigint }[];
  /** Members whose bond is forfeited. */
  forfeitedMembers: bigint;
  /** The provider's part of the forfeited bonds: `ceil(forfeited × share / 10,000)`. */
  toProvider: bigint;
  /** The rest, credited to the provider registry's treasury. */
  toTreasury: bigint;
};

/**
 * The settlement of a finished job's bonds, as `MultiPartyCoordinator.settleBonds` computes it:
 * faulty bonded members forfeit their bond (the provider's part rounded up, the rest to the
 * treasury); every other bonded member gets its bond back.
 *
 * @example
 * const { toProvider } = bondSettlement({ spec, bondedMask: 7n, faultyMask: 4n, injuredShareBps: 7000 });
 */
export function bondSettlement(p: BondSettlementParameters): BondSettlement {
  const bond = p.spec.memberBond;
  const forfeitedMembers = p.bondedMask & p.faultyMask;
  const returned = maskIndices(p.bondedMask & ~forfeitedMembers).map((member) => ({
    member,
    account: p.spec.committee[member] as Address,
    amount: bond,
  }));
  const forfeited = BigInt(maskIndices(forfeitedMembers).length) * bond;
  const toProvider = (forfeited * BigInt(p.injuredShareBps) + 9_999n) / 10_000n;
  return { returned, forfeitedMembers, toProvider, toTreasury: forfeited - toProvider };
}
