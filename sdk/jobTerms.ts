import { type Address, encodeAbiParameters, type Hex, keccak256 } from "viem";
import { JobTermsError } from "./errors.ts";
import { FIELD_MODULUS } from "./training/fixedPoint.ts";
import { ETH, type JobTerms, ZERO_HASH } from "./types.ts";

/** ABI type of `IJobMarket.JobTerms`, in field order. */
export const jobTermsAbiType = {
  type: "tuple",
  components: [
    { name: "specHash", type: "bytes32" },
    { name: "datasetCommitment", type: "bytes32" },
    { name: "evalCommitment", type: "bytes32" },
    { name: "qualityThreshold", type: "uint256" },
    { name: "measurement", type: "bytes32" },
    { name: "committeeHash", type: "bytes32" },
    { name: "asset", type: "address" },
    { name: "priceCeiling", type: "uint96" },
    { name: "ownerKey", type: "address" },
    { name: "bidDeadline", type: "uint64" },
    { name: "attestDeadline", type: "uint64" },
    { name: "deliveryDeadline", type: "uint64" },
    { name: "teeTypes", type: "uint8" },
    { name: "parties", type: "uint8" },
    { name: "threshold", type: "uint8" },
    { name: "committeeSize", type: "uint8" },
    { name: "refundCommitment", type: "bytes32" },
    { name: "dataDeadline", type: "uint64" },
    { name: "configId", type: "uint32" },
  ],
} as const;

/**
 * The terms hash the JobMarket stores: `keccak256(abi.encode(terms))`.
 *
 * @param terms The job terms.
 * @returns The hash.
 * @example
 * const h = hashJobTerms(terms); // equals jobMarket.read.hashTerms([terms])
 */
export function hashJobTerms(terms: JobTerms): Hex {
  return keccak256(encodeAbiParameters([jobTermsAbiType], [terms]));
}

/**
 * The refund commitment `keccak256(abi.encode(refundTo, salt))`: the job stores it instead of a
 * buyer address; revealing the pair pays the refund to `refundTo`.
 *
 * @param refundTo Where refunds go.
 * @param salt 32 random bytes kept by the buyer.
 * @returns The commitment.
 */
export function refundCommitment(refundTo: Address, salt: Hex): Hex {
  return keccak256(encodeAbiParameters([{ type: "address" }, { type: "bytes32" }], [refundTo, salt]));
}

/** Parameters of {@link checkJobTerms}. */
export type CheckJobTermsParameters = {
  terms: JobTerms;
  /** Current chain time in seconds. */
  now: bigint;
  /** The stake token the market accepts besides ETH. */
  stakeToken?: Address | undefined;
};

/**
 * Checks job terms before posting, with the same rules as `JobMarket` (so a client gets a precise
 * message instead of a revert). Throws {@link JobTermsError} naming the first bad field.
 *
 * @example
 * checkJobTerms({ terms, now: BigInt(Math.floor(Date.now() / 1000)) });
 */
export function checkJobTerms({ terms, now, stakeToken }: CheckJobTermsParameters): void {
  const fail = (msg: string, details?: string): never => {
    throw new JobTermsError(msg, { details });
  };
  if (terms.asset !== ETH && terms.asset.toLowerCase() !== stakeToken?.toLowerCase())
    fail(`asset ${terms.asset} is neither ETH nor the stake token`);
  if (terms.priceCeiling <= 0n) fail("priceCeiling must be positive");
  if (terms.priceCeiling >= 2n ** 96n) fail("priceCeiling must fit in 96 bits");
  if (terms.teeTypes === 0 || (terms.teeTypes & ~0x1e) !== 0)
    fail(`teeTypes ${terms.teeTypes} is empty or names an unknown TEE type`);
  for (const field of ["specHash", "datasetCommitment", "evalCommitment", "refundCommitment"] as const)
    if (terms[field] === ZERO_HASH) fail(`${field} must not be zero`);
  for (const field of ["specHash", "datasetCommitment", "evalCommitment"] as const)
    if (BigInt(terms[field]) >= FIELD_MODULUS)
      fail(`${field} must be a BN254 field element`, `${terms[field]} ≥ r`);
  if (terms.qualityThreshold > 10_000n)
    fail(`qualityThreshold ${terms.qualityThreshold} is above 10000 basis points`);
  if (terms.ownerKey === ETH) fail("ownerKey must not be the zero address");
  if (terms.parties === 1) {
    if (terms.threshold !== 0 || terms.committeeSize !== 0 || terms.committeeHash !== ZERO_HASH)
      fail("a single-party job has no committee");
  } else if (terms.parties < 1 || terms.threshold < 1 || terms.threshold > terms.committeeSize) {
    fail(
      `invalid multi-party configuration: ${terms.parties} parties, ${terms.threshold}-of-${terms.committeeSize}`,
    );
  } else if (terms.committeeHash === ZERO_HASH) fail("committeeHash must not be zero for a multi-party job");
  if (terms.bidDeadline <= now)
    fail("bidDeadline must be in the future", `bidDeadline ${terms.bidDeadline}, now ${now}`);
  if (
    !(
      terms.bidDeadline < terms.attestDeadline &&
      terms.attestDeadline < terms.dataDeadline &&
      terms.dataDeadline < terms.deliveryDeadline
    )
  )
    fail("deadlines must be strictly increasing: bid < attest < data < delivery");
}
