// Threshold Paillier decryption, t-of-l, with a trusted dealer (the attested enclave).
//
// The construction is Shoup's threshold RSA (Shoup 2000, "Practical threshold signatures") carried
// over to Paillier by Fouque, Poupard and Stern (2000, "Sharing decryption in the context of voting
// or lotteries"), in the simplified form of Damgård and Jurik (2001, "A generalisation, a
// simplification and some applications of Paillier's probabilistic public-key system") where
// g = n + 1 and the secret exponent d satisfies d ≡ 0 (mod m), d ≡ 1 (mod n). Notation: l committee
// members with indices 1..l, threshold t (any t can decrypt, t − 1 learn nothing), Δ = l!.
//
// Dealer (class ThresholdDealer below):
//   p = 2p' + 1, q = 2q' + 1 safe primes, n = pq, m = p'q'. The squares of Z*_{n²} form a cyclic
//   group Q of order nm (n, p', q' are distinct primes), and every prime factor of |Q| is ≥ p'.
//   d = m · (m⁻¹ mod n): d ≡ 0 (mod m), d ≡ 1 (mod n), 0 ≤ d < nm.
//   f(X) = d + a₁X + … + a_{t−1}X^{t−1} with a_k uniform in [0, nm); share s_i = f(i) mod nm.
//   Verification base v: a uniform square mod n² (a generator of Q with overwhelming probability);
//   verification keys v_i = v^(Δ·s_i) mod n² (computed with CRT mod p², q² — only the dealer can).
//
// Decryption share of member i for a ciphertext c: c_i = c^(2Δ·s_i) mod n².
//
// Proof that c_i is correct (Chaum–Pedersen equality of discrete logarithms, made non-interactive
// with Fiat–Shamir): with x = Δ·s_i, c̃ = c⁴ and ĉ_i = c_i², prove log_{c̃}(ĉ_i) = log_v(v_i) = x.
//   Prover: r uniform in [0, 2^R); a = c̃^r, b = v^r;
//           e = SHA-256("BlindTraining.Paillier.DecryptionShareProof.v1", n, c, i, v, v_i, c_i, a, b)
//           read as a 256-bit integer; z = r + e·x (over the integers). The proof is (e, z).
//   Verifier: z in range; a' = c̃^z · ĉ_i^(−e), b' = v^z · v_i^(−e); accept iff e equals the hash
//           recomputed with (a', b').
//   Challenge length: 256 bits (the whole SHA-256 output). Soundness needs challenges smaller than
//   the smallest prime factor of |Q| (≥ p' ≈ 2^(|n|/2 − 1)); a cheating prover then succeeds with
//   probability about 2^−256 per hash query.
//   Response range: x < Δ·nm < Δ·n², so with R = |n²| + |Δ| + 256 + 128 bits, r statistically hides
//   e·x (statistical distance ≤ 2^−128: honest-verifier zero knowledge), and an honest z is below
//   2^R + 2^(R − 128) < 2^(R+1). Verifiers reject z ≥ 2^(R+1) or z < 0.
//   Why squares: c_i may be multiplied by an element of order 2 (−1, say) without changing the
//   combined result, since combination uses c_i². Squaring moves every value into Q, where the
//   proof is sound. The hash binds the ciphertext, the index and the keys, so a share made for
//   another ciphertext (a replay) or claimed under another index fails verification.
//
// Combination from a set S of t valid shares: λ_{0,i} = Δ · ∏_{j∈S, j≠i} j / (j − i) is an
// integer (Δ = l! clears every denominator). c' = ∏_{i∈S} c_i^(2·λ_{0,i}) = c^(4Δ²·d) because
// Σ λ_{0,i}·s_i ≡ Δ·f(0) = Δ·d in the exponent group. Writing c = (1+n)^M · r^n: r^(n·4Δ²d) = 1
// because 4d ≡ 0 mod 4m = |Z*_n| and (1+n)^(4Δ²dM) = 1 + 4Δ²·M·n (mod n²) because d ≡ 1 mod n.
// So M = L(c') · (4Δ²)⁻¹ mod n with L(u) = (u − 1)/n. Negative λ use one inverse per ciphertext
// (batched with Montgomery's trick).
//
// Batches: a member decrypting k ciphertexts at once (the packed vector of an aggregate) proves all
// k shares with ONE Chaum–Pedersen proof on random linear combinations (the small-exponent batch
// test of Bellare, Garay and Rabin 1998, "Fast batch verification for modular exponentiation and
// digital signatures"): weights ρ_j (128 bits each) are derived by hashing every ciphertext and
// every share, then C = (∏ c_j^ρ_j)⁴, D = (∏ c_{i,j}^ρ_j)² and the proof is log_C(D) = log_v(v_i).
// If some ĉ_{i,j} ≠ c̃_j^x, the errors ε_j lie in Q, whose prime factors all exceed 2^128, so
// ∏ ε_j^ρ_j = 1 holds for at most one value of the weight of a wrong share: a cheating batch
// passes with probability ≤ 2^−128 per hash query. A batch is accepted or rejected as a whole.
//
// Test keys (insecureTestKeyBits) have small p', so the soundness bounds above only hold for
// production sizes; correctness does not depend on them.
import {
  batchModInverse,
  bitLength,
  bytesToBigInt,
  bytesToHex,
  type CrtContext,
  crtContext,
  factorial,
  gcd,
  modInverse,
  modPow,
  modPowCrt,
  randomBelow,
  randomBits,
} from "./bigint.ts";
import { InsufficientSharesError, PaillierError, PaillierErrorCode, type RejectedShare } from "./errors.ts";
import { multiExp } from "./exponentiation.ts";
import {
  assertPaillierCiphertext,
  generateKeyPrimes,
  PaillierEncryptor,
  type PaillierKeyGenerationOptions,
  PaillierPrivateKey,
  type PaillierPublicKey,
  paillierPublicKey,
} from "./paillier.ts";
import type { SafePrimeStats } from "./primes.ts";
import { Transcript } from "./transcript.ts";

/** Domain-separation tag of the single-ciphertext share proof. */
export const SHARE_PROOF_TAG = "BlindTraining.Paillier.DecryptionShareProof.v1";
/** Domain-separation tag of the batched share proof (weights and challenge). */
export const BATCH_SHARE_PROOF_TAG = "BlindTraining.Paillier.DecryptionShareBatchProof.v1";
/** Domain-separation tag of the commitment to the threshold public key. */
export const PUBLIC_KEY_COMMITMENT_TAG = "BlindTraining.Paillier.ThresholdPublicKey.v1";
/** Challenge length of the proofs (the whole SHA-256 output). */
export const SHARE_PROOF_CHALLENGE_BITS = 256;
/** Statistical hiding of the response z = r + e·x. */
export const SHARE_PROOF_HIDING_BITS = 128;
/** Length of the batch weights ρ_j. */
export const SHARE_BATCH_WEIGHT_BITS = 128;
/** Largest committee supported (Δ = l! grows quickly; indices are hashed as u32). */
export const THRESHOLD_MAX_COMMITTEE_SIZE = 64;

/** The public side of a threshold key: everything verifiers and combiners need. */
export type ThresholdParameters = {
  readonly publicKey: PaillierPublicKey;
  /** l, the number of committee members (indices 1..l). */
  readonly committeeSize: number;
  /** t, the number of shares needed to decrypt. */
  readonly threshold: number;
  /** v, a random square mod n². */
  readonly verificationBase: bigint;
  /** v_i = v^(Δ·s_i) mod n², at position i − 1. */
  readonly verificationKeys: readonly bigint[];
};

/** A committee member's secret share s_i with the public parameters. Never log or persist in clear. */
export type ThresholdKeyShare = {
  readonly index: number;
  readonly secret: bigint;
  readonly parameters: ThresholdParameters;
};

/** A non-interactive Chaum–Pedersen proof: challenge e (256 bits) and response z. */
export type DiscreteLogEqualityProof = { readonly challenge: bigint; readonly response: bigint };

/** Member `index`'s decryption share c_i = c^(2Δ·s_i) mod n² of one ciphertext, with its proof. */
export type DecryptionShare = {
  readonly index: number;
  readonly value: bigint;
  readonly proof: DiscreteLogEqualityProof;
};

/** Member `index`'s decryption shares of a vector of ciphertexts, with one batched proof. */
export type DecryptionShareBatch = {
  readonly index: number;
  readonly values: readonly bigint[];
  readonly proof: DiscreteLogEqualityProof;
};

/** Outcome of verifying a share or batch. */
export type DecryptionShareCheck =
  | { readonly valid: true }
  | { readonly valid: false; readonly reason: string };

/** A combined plaintext, with which shares were used and which were rejected. */
export type ShareCombineResult = {
  readonly plaintext: bigint;
  /** Indices of the t shares that were combined. */
  readonly used: readonly number[];
  readonly rejected: readonly RejectedShare[];
};

/** Combined plaintexts of a ciphertext vector. */
export type ShareBatchCombineResult = {
  readonly plaintexts: bigint[];
  readonly used: readonly number[];
  readonly rejected: readonly RejectedShare[];
};

/** Progress of a long per-ciphertext operation. */
export type ShareProgressCallback = (done: number, total: number) => void;

type Derived = {
  readonly delta: bigint;
  /** (4Δ²)⁻¹ mod n. */
  readonly combineFactor: bigint;
  /** R: bits of the prover's randomness. */
  readonly randomnessBits: number;
  /** 2^(R+1): responses must be below it. */
  readonly responseBound: bigint;
  /** v_i⁻¹ mod n², computed on first use. */
  readonly verificationKeyInverses: (bigint | undefined)[];
};

const derivedCache = new WeakMap<ThresholdParameters, Derived>();

function derived(params: ThresholdParameters): Derived {
  let d = derivedCache.get(params);
  if (!d) {
    assertCommittee(params.committeeSize, params.threshold);
    if (params.verificationKeys.length !== params.committeeSize) {
      throw new PaillierError(
        PaillierErrorCode.InvalidArgument,
        "one verification key per committee member is needed",
      );
    }
    const delta = factorial(params.committeeSize);
    const { n, nSquared } = params.publicKey;
    const randomnessBits =
      bitLength(nSquared) + bitLength(delta) + SHARE_PROOF_CHALLENGE_BITS + SHARE_PROOF_HIDING_BITS;
    d = {
      delta,
      combineFactor: modInverse(4n * delta * delta, n),
      randomnessBits,
      responseBound: 1n << BigInt(randomnessBits + 1),
      verificationKeyInverses: new Array(params.committeeSize).fill(undefined),
    };
    derivedCache.set(params, d);
  }
  return d;
}

function verificationKeyInverse(params: ThresholdParameters, index: number): bigint {
  const d = derived(params);
  let inv = d.verificationKeyInverses[index - 1];
  if (inv === undefined) {
    inv = modInverse(params.verificationKeys[index - 1] as bigint, params.publicKey.nSquared);
    d.verificationKeyInverses[index - 1] = inv;
  }
  return inv;
}

/** Δ = l! of a parameter set. */
export function thresholdDelta(params: ThresholdParameters): bigint {
  return derived(params).delta;
}

function assertCommittee(committeeSize: number, threshold: number): void {
  if (!Number.isInteger(committeeSize) || committeeSize < 1 || committeeSize > THRESHOLD_MAX_COMMITTEE_SIZE) {
    throw new PaillierError(
      PaillierErrorCode.InvalidArgument,
      `committeeSize must be an integer in [1, ${THRESHOLD_MAX_COMMITTEE_SIZE}]`,
    );
  }
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > committeeSize) {
    throw new PaillierError(
      PaillierErrorCode.InvalidArgument,
      "threshold must be an integer in [1, committeeSize]",
    );
  }
}

/**
 * Validates and freezes threshold parameters received from elsewhere (e.g. parsed from the
 * dealer's published output): sizes, ranges, v and every v_i units mod n².
 */
export function thresholdParameters(input: ThresholdParameters): ThresholdParameters {
  assertCommittee(input.committeeSize, input.threshold);
  const { n, nSquared } = input.publicKey;
  if (input.verificationKeys.length !== input.committeeSize) {
    throw new PaillierError(
      PaillierErrorCode.InvalidArgument,
      "one verification key per committee member is needed",
    );
  }
  for (const x of [input.verificationBase, ...input.verificationKeys]) {
    if (x <= 1n || x >= nSquared || gcd(x, n) !== 1n) {
      throw new PaillierError(
        PaillierErrorCode.InvalidArgument,
        "verification base and keys must be units mod n² other than 1",
      );
    }
  }
  return Object.freeze({
    publicKey: input.publicKey,
    committeeSize: input.committeeSize,
    threshold: input.threshold,
    verificationBase: input.verificationBase,
    verificationKeys: Object.freeze([...input.verificationKeys]),
  });
}

/**
 * SHA-256 commitment to the threshold public key: tag, n, l, t, v, v_1..v_l (transcript encoding of
 * ./transcript.ts). Recorded on-chain so members and parties can check they got the dealer's key.
 */
export function thresholdPublicKeyCommitment(params: ThresholdParameters): `0x${string}` {
  const t = new Transcript(PUBLIC_KEY_COMMITMENT_TAG)
    .integer(params.publicKey.n)
    .index(params.committeeSize)
    .index(params.threshold)
    .integer(params.verificationBase)
    .integers(params.verificationKeys);
  return bytesToHex(t.digest());
}

/**
 * Throws `InvalidKeyShare` unless v^(Δ·s_i) = v_i: a member checks the share it received matches
 * the published verification key (one exponentiation).
 */
export function checkThresholdKeyShare(share: ThresholdKeyShare): void {
  const { parameters: params, index, secret } = share;
  if (!Number.isInteger(index) || index < 1 || index > params.committeeSize) {
    throw new PaillierError(
      PaillierErrorCode.InvalidKeyShare,
      `key share index ${index} is not a committee index`,
    );
  }
  const expected = params.verificationKeys[index - 1] as bigint;
  if (
    modPow(params.verificationBase, derived(params).delta * secret, params.publicKey.nSquared) !== expected
  ) {
    throw new PaillierError(
      PaillierErrorCode.InvalidKeyShare,
      `key share ${index} does not match its verification key`,
    );
  }
}

/**
 * λ_{0,i}^S = Δ · ∏_{j∈S, j≠i} j / (j − i), an exact integer (may be negative).
 */
export function lagrangeAtZero(indices: readonly number[], i: number, delta: bigint): bigint {
  let num = delta;
  let den = 1n;
  for (const j of indices) {
    if (j === i) continue;
    num *= BigInt(j);
    den *= BigInt(j - i);
  }
  if (num % den !== 0n) throw new Error("unreachable: Δ·λ is not an integer");
  return num / den;
}

// --- proofs ---------------------------------------------------------------------------------

/** Chaum–Pedersen: prove log_{g1}(h1) = log_{g2}(h2) = x, challenge from `challenge(a, b)`. */
function proveEqualLogs(
  x: bigint,
  g1: bigint,
  g2: bigint,
  modulus: bigint,
  randomnessBits: number,
  challenge: (a: bigint, b: bigint) => bigint,
): DiscreteLogEqualityProof {
  const r = randomBits(randomnessBits);
  const a = modPow(g1, r, modulus);
  const b = modPow(g2, r, modulus);
  const e = challenge(a, b);
  return { challenge: e, response: r + e * x };
}

/** Recomputes the commitments from (e, z) and compares the challenge. h1Inverse = h1⁻¹, h2Inverse = h2⁻¹. */
function verifyEqualLogs(
  proof: DiscreteLogEqualityProof,
  g1: bigint,
  h1Inverse: bigint,
  g2: bigint,
  h2Inverse: bigint,
  modulus: bigint,
  responseBound: bigint,
  challenge: (a: bigint, b: bigint) => bigint,
): DecryptionShareCheck {
  const { challenge: e, response: z } = proof;
  if (typeof e !== "bigint" || typeof z !== "bigint") return { valid: false, reason: "malformed proof" };
  if (e < 0n || e >> BigInt(SHARE_PROOF_CHALLENGE_BITS) !== 0n)
    return { valid: false, reason: "challenge out of range" };
  if (z < 0n || z >= responseBound) return { valid: false, reason: "response out of range" };
  const a = (modPow(g1, z, modulus) * modPow(h1Inverse, e, modulus)) % modulus;
  const b = (modPow(g2, z, modulus) * modPow(h2Inverse, e, modulus)) % modulus;
  return challenge(a, b) === e ? { valid: true } : { valid: false, reason: "proof does not verify" };
}

function singleChallenge(params: ThresholdParameters, c: bigint, index: number, value: bigint) {
  return (a: bigint, b: bigint) =>
    new Transcript(SHARE_PROOF_TAG)
      .integer(params.publicKey.n)
      .integer(c)
      .index(index)
      .integer(params.verificationBase)
      .integer(params.verificationKeys[index - 1] as bigint)
      .integer(value)
      .integer(a)
      .integer(b)
      .digestInteger();
}

/** Checks shape and range of a claimed share value; returns a reason or undefined. */
function shareValueProblem(params: ThresholdParameters, value: unknown): string | undefined {
  if (typeof value !== "bigint") return "share value is not an integer";
  if (value <= 0n || value >= params.publicKey.nSquared) return "share value is outside (0, n²)";
  return undefined;
}

function indexProblem(params: ThresholdParameters, index: unknown): string | undefined {
  if (typeof index !== "number" || !Number.isInteger(index) || index < 1 || index > params.committeeSize) {
    return "index is not a committee index";
  }
  return undefined;
}

/**
 * Member's decryption share of ciphertext c with its proof: two full exponentiations for the
 * proof commitments plus one for the share (≈ 3 × 4,500-bit exponents at 2048 bits).
 */
export function createDecryptionShare(keyShare: ThresholdKeyShare, ciphertext: bigint): DecryptionShare {
  const params = keyShare.parameters;
  const { nSquared } = params.publicKey;
  assertPaillierCiphertext(params.publicKey, ciphertext, true);
  const d = derived(params);
  const x = d.delta * keyShare.secret;
  const value = modPow(ciphertext, 2n * x, nSquared);
  const c4 = modPow(ciphertext, 4n, nSquared);
  const proof = proveEqualLogs(
    x,
    c4,
    params.verificationBase,
    nSquared,
    d.randomnessBits,
    singleChallenge(params, ciphertext, keyShare.index, value),
  );
  return { index: keyShare.index, value, proof };
}

/** Verifies one decryption share against ciphertext c and the member's verification key. */
export function verifyDecryptionShare(
  params: ThresholdParameters,
  ciphertext: bigint,
  share: DecryptionShare,
): DecryptionShareCheck {
  const { nSquared } = params.publicKey;
  assertPaillierCiphertext(params.publicKey, ciphertext);
  const problem = indexProblem(params, share.index) ?? shareValueProblem(params, share.value);
  if (problem) return { valid: false, reason: problem };
  if (!share.proof) return { valid: false, reason: "missing proof" };
  let valueSquaredInverse: bigint;
  try {
    valueSquaredInverse = modInverse((share.value * share.value) % nSquared, nSquared);
  } catch {
    return { valid: false, reason: "share value is not a unit mod n²" };
  }
  const d = derived(params);
  return verifyEqualLogs(
    share.proof,
    modPow(ciphertext, 4n, nSquared),
    valueSquaredInverse,
    params.verificationBase,
    verificationKeyInverse(params, share.index),
    nSquared,
    d.responseBound,
    singleChallenge(params, ciphertext, share.index, share.value),
  );
}

/** Options of the combiners. */
export type ShareCombineOptions = {
  /**
   * Stop verifying once t shares verified (faster; later bad shares go unreported). Default false:
   * every submitted share is verified, so every bad one is named.
   */
  stopAtThreshold?: boolean;
  onProgress?: ShareProgressCallback;
};

/**
 * Verifies the submitted shares (all of them unless `stopAtThreshold`), excludes invalid and
 * duplicate ones, and combines the first t valid shares. Throws {@link InsufficientSharesError}
 * naming every rejected share when fewer than t verify.
 */
export function combineDecryptionShares(
  params: ThresholdParameters,
  ciphertext: bigint,
  shares: readonly DecryptionShare[],
  options: ShareCombineOptions = {},
): ShareCombineResult {
  assertPaillierCiphertext(params.publicKey, ciphertext, true);
  const { valid, rejected } = screen(
    params,
    shares,
    (s) => verifyDecryptionShare(params, ciphertext, s),
    options.stopAtThreshold ?? false,
  );
  if (valid.length < params.threshold) {
    throw new InsufficientSharesError(
      params.threshold,
      valid.map((s) => s.index),
      rejected,
    );
  }
  const used = valid.slice(0, params.threshold);
  const indices = used.map((s) => s.index);
  const [plaintext] = combineValues(
    params,
    indices,
    used.map((s) => [s.value]),
    1,
  );
  return { plaintext: plaintext as bigint, used: indices, rejected };
}

/** Splits shares into verified and rejected (unknown indices, failed proofs, duplicates of a valid share). */
function screen<S extends { readonly index: number }>(
  params: ThresholdParameters,
  shares: readonly S[],
  verify: (s: S) => DecryptionShareCheck,
  stopAtThreshold: boolean,
): { valid: S[]; rejected: RejectedShare[] } {
  const valid: S[] = [];
  const rejected: RejectedShare[] = [];
  const seen = new Set<number>();
  for (const s of shares) {
    if (stopAtThreshold && valid.length >= params.threshold) break;
    const problem = indexProblem(params, s.index);
    if (problem) {
      rejected.push({ index: s.index, reason: problem });
      continue;
    }
    if (seen.has(s.index)) {
      // A second share for an index that already has a valid one; an invalid share does not
      // block a later valid one from the same member.
      rejected.push({ index: s.index, reason: "duplicate index" });
      continue;
    }
    const check = verify(s);
    if (check.valid) {
      seen.add(s.index);
      valid.push(s);
    } else rejected.push({ index: s.index, reason: check.reason });
  }
  return { valid, rejected };
}

/**
 * The plaintexts from t verified share vectors: for each ciphertext position j,
 * c'_j = ∏_i c_{i,j}^(2λ_i), M_j = L(c'_j)·(4Δ²)⁻¹ mod n.
 */
function combineValues(
  params: ThresholdParameters,
  indices: readonly number[],
  values: readonly (readonly bigint[])[],
  length: number,
  onProgress?: ShareProgressCallback,
): bigint[] {
  const { n, nSquared } = params.publicKey;
  const d = derived(params);
  const lambdas = indices.map((i) => 2n * lagrangeAtZero(indices, i, d.delta));
  const numerators: bigint[] = new Array(length);
  const denominators: bigint[] = new Array(length);
  let anyNegative = false;
  for (let j = 0; j < length; j++) {
    let num = 1n;
    let den = 1n;
    for (let k = 0; k < indices.length; k++) {
      const lambda = lambdas[k] as bigint;
      const value = (values[k] as readonly bigint[])[j] as bigint;
      if (lambda > 0n) num = (num * modPow(value, lambda, nSquared)) % nSquared;
      else if (lambda < 0n) {
        den = (den * modPow(value, -lambda, nSquared)) % nSquared;
        anyNegative = true;
      }
    }
    numerators[j] = num;
    denominators[j] = den;
    if (onProgress && ((j + 1) & 63) === 0) onProgress(j + 1, length);
  }
  const inverses = anyNegative ? batchModInverse(denominators, nSquared) : undefined;
  const out: bigint[] = new Array(length);
  for (let j = 0; j < length; j++) {
    const combined = inverses
      ? ((numerators[j] as bigint) * (inverses[j] as bigint)) % nSquared
      : (numerators[j] as bigint);
    if ((combined - 1n) % n !== 0n) {
      throw new PaillierError(
        PaillierErrorCode.InconsistentShares,
        `verified shares do not combine to a plaintext at position ${j}`,
      );
    }
    out[j] = (((combined - 1n) / n) * d.combineFactor) % n;
  }
  onProgress?.(length, length);
  return out;
}

// --- batches --------------------------------------------------------------------------------

/** Weights ρ_j and the seed digest binding everything the batch proof is about. */
function batchWeights(
  params: ThresholdParameters,
  index: number,
  ciphertexts: readonly bigint[],
  values: readonly bigint[],
): { seed: Uint8Array; weights: bigint[] } {
  const seed = new Transcript(`${BATCH_SHARE_PROOF_TAG}/weights`)
    .integer(params.publicKey.n)
    .index(index)
    .integer(params.verificationBase)
    .integer(params.verificationKeys[index - 1] as bigint)
    .integers(ciphertexts)
    .integers(values)
    .digest();
  const weights = ciphertexts.map((_, j) => {
    const digest = new Transcript(`${BATCH_SHARE_PROOF_TAG}/weight`).bytes(seed).index(j).digest();
    return bytesToBigInt(digest.subarray(0, SHARE_BATCH_WEIGHT_BITS / 8));
  });
  return { seed, weights };
}

function batchStatement(
  params: ThresholdParameters,
  index: number,
  ciphertexts: readonly bigint[],
  values: readonly bigint[],
) {
  const { nSquared } = params.publicKey;
  const { seed, weights } = batchWeights(params, index, ciphertexts, values);
  const cCombined = modPow(multiExp(ciphertexts, weights, nSquared), 4n, nSquared);
  const dCombined = modPow(multiExp(values, weights, nSquared), 2n, nSquared);
  const challenge = (a: bigint, b: bigint) =>
    new Transcript(BATCH_SHARE_PROOF_TAG)
      .bytes(seed)
      .integer(cCombined)
      .integer(dCombined)
      .integer(a)
      .integer(b)
      .digestInteger();
  return { cCombined, dCombined, challenge };
}

/** Options of {@link createDecryptionShareBatch}. */
export type ShareBatchOptions = {
  /**
   * The share values c_j^(2Δ·s_i), when already computed (by ./workers.node.ts on all cores).
   * A wrong value only makes the proof fail verification.
   */
  values?: readonly bigint[];
  onProgress?: ShareProgressCallback;
};

/** The member's shares of every ciphertext, proven together by one batched proof. */
export function createDecryptionShareBatch(
  keyShare: ThresholdKeyShare,
  ciphertexts: readonly bigint[],
  options: ShareBatchOptions = {},
): DecryptionShareBatch {
  const params = keyShare.parameters;
  const { nSquared } = params.publicKey;
  if (ciphertexts.length === 0) throw new PaillierError(PaillierErrorCode.InvalidArgument, "no ciphertexts");
  const d = derived(params);
  const x = d.delta * keyShare.secret;
  let values = options.values;
  if (values === undefined) {
    const computed: bigint[] = new Array(ciphertexts.length);
    ciphertexts.forEach((c, j) => {
      assertPaillierCiphertext(params.publicKey, c, true);
      computed[j] = modPow(c, 2n * x, nSquared);
      options.onProgress?.(j + 1, ciphertexts.length);
    });
    values = computed;
  } else {
    if (values.length !== ciphertexts.length) {
      throw new PaillierError(PaillierErrorCode.InvalidArgument, "one share value per ciphertext is needed");
    }
    for (const c of ciphertexts) assertPaillierCiphertext(params.publicKey, c, true);
  }
  const { cCombined, challenge } = batchStatement(params, keyShare.index, ciphertexts, values);
  const proof = proveEqualLogs(x, cCombined, params.verificationBase, nSquared, d.randomnessBits, challenge);
  return { index: keyShare.index, values: [...values], proof };
}

/** Verifies a member's batch of shares: two multi-exponentiations and one proof. */
export function verifyDecryptionShareBatch(
  params: ThresholdParameters,
  ciphertexts: readonly bigint[],
  batch: DecryptionShareBatch,
): DecryptionShareCheck {
  const { nSquared } = params.publicKey;
  const problem = indexProblem(params, batch.index);
  if (problem) return { valid: false, reason: problem };
  if (!Array.isArray(batch.values) || batch.values.length !== ciphertexts.length) {
    return { valid: false, reason: "batch has the wrong number of share values" };
  }
  for (const v of batch.values) {
    const p = shareValueProblem(params, v);
    if (p) return { valid: false, reason: p };
  }
  if (!batch.proof) return { valid: false, reason: "missing proof" };
  const { cCombined, dCombined, challenge } = batchStatement(params, batch.index, ciphertexts, batch.values);
  let dInverse: bigint;
  try {
    dInverse = modInverse(dCombined, nSquared);
  } catch {
    return { valid: false, reason: "share values are not units mod n²" };
  }
  return verifyEqualLogs(
    batch.proof,
    cCombined,
    dInverse,
    params.verificationBase,
    verificationKeyInverse(params, batch.index),
    nSquared,
    derived(params).responseBound,
    challenge,
  );
}

/**
 * Verifies the submitted batches (all unless `stopAtThreshold`), excludes bad members and
 * combines the first t valid ones position by position. Throws {@link InsufficientSharesError}
 * naming the rejected members when fewer than t verify.
 */
export function combineDecryptionShareBatches(
  params: ThresholdParameters,
  ciphertexts: readonly bigint[],
  batches: readonly DecryptionShareBatch[],
  options: ShareCombineOptions = {},
): ShareBatchCombineResult {
  if (ciphertexts.length === 0) throw new PaillierError(PaillierErrorCode.InvalidArgument, "no ciphertexts");
  for (const c of ciphertexts) assertPaillierCiphertext(params.publicKey, c);
  const { valid, rejected } = screen(
    params,
    batches,
    (b) => verifyDecryptionShareBatch(params, ciphertexts, b),
    options.stopAtThreshold ?? false,
  );
  if (valid.length < params.threshold) {
    throw new InsufficientSharesError(
      params.threshold,
      valid.map((b) => b.index),
      rejected,
    );
  }
  const used = valid.slice(0, params.threshold);
  const indices = used.map((b) => b.index);
  const plaintexts = combineValues(
    params,
    indices,
    used.map((b) => b.values),
    ciphertexts.length,
    options.onProgress,
  );
  return { plaintexts, used: indices, rejected };
}

// --- dealer ---------------------------------------------------------------------------------

/** Options of {@link ThresholdDealer}: key size, committee and (optionally) pre-generated primes. */
export type ThresholdDealerOptions = PaillierKeyGenerationOptions & {
  /** l, the number of committee members. */
  committeeSize: number;
  /** t, the shares needed to decrypt. */
  threshold: number;
};

type DealerSecret = {
  privateKey: PaillierPrivateKey;
  shares: bigint[];
  /** For CRT exponentiation mod n² = p²·q² (verification keys, self-test). */
  crt: CrtContext;
  orderP2: bigint;
  orderQ2: bigint;
};

/**
 * The trusted dealer (the attested enclave): generates the key from safe primes, shares d, and
 * publishes the verification keys and a commitment to the public key. After handing out the
 * (sealed) shares it must call {@link ThresholdDealer.forget}.
 *
 * @example
 * const dealer = new ThresholdDealer({ committeeSize: 5, threshold: 3 }); // 2048-bit key
 * const output = await publishDealerOutput(dealer, members, jobId); // shares sealed to X25519 keys
 * dealer.forget();
 */
export class ThresholdDealer {
  readonly parameters: ThresholdParameters;
  /** SHA-256 commitment to the threshold public key ({@link thresholdPublicKeyCommitment}). */
  readonly commitment: `0x${string}`;
  /** Milliseconds to generate (or check) the safe primes. */
  readonly primesMs: number;
  /** Safe-prime search statistics (empty when primes were supplied). */
  readonly primeStats: readonly SafePrimeStats[];
  #secret: DealerSecret | undefined;

  constructor(options: ThresholdDealerOptions) {
    assertCommittee(options.committeeSize, options.threshold);
    const primes = generateKeyPrimes(options);
    const { p, q } = primes;
    const n = p * q;
    const publicKey = paillierPublicKey(
      n,
      options.insecureTestKeyBits !== undefined ? { insecureTestKeyBits: primes.keyBits } : {},
    );
    const nSquared = publicKey.nSquared;
    const m = ((p - 1n) / 2n) * ((q - 1n) / 2n);
    const nm = n * m;
    // d ≡ 0 (mod m), d ≡ 1 (mod n)
    const d = m * modInverse(m, n);
    const coefficients = [d];
    for (let k = 1; k < options.threshold; k++) coefficients.push(randomBelow(nm));
    const shares: bigint[] = [];
    for (let i = 1; i <= options.committeeSize; i++) {
      let acc = 0n;
      for (let k = coefficients.length - 1; k >= 0; k--)
        acc = (acc * BigInt(i) + (coefficients[k] as bigint)) % nm;
      shares.push(acc);
    }
    coefficients.length = 0;
    const delta = factorial(options.committeeSize);
    const crt = crtContext(p * p, q * q);
    const orderP2 = p * (p - 1n);
    const orderQ2 = q * (q - 1n);
    let r = randomBelow(nSquared);
    while (r === 0n || gcd(r, n) !== 1n) r = randomBelow(nSquared);
    const v = (r * r) % nSquared; // uniform square of Z*_{n²}
    const verificationKeys = shares.map((s) => modPowCrt(v, delta * s, crt, orderP2, orderQ2));
    this.parameters = thresholdParameters({
      publicKey,
      committeeSize: options.committeeSize,
      threshold: options.threshold,
      verificationBase: v,
      verificationKeys,
    });
    this.commitment = thresholdPublicKeyCommitment(this.parameters);
    this.primesMs = primes.elapsedMs;
    this.primeStats = primes.stats;
    this.#secret = { privateKey: new PaillierPrivateKey(publicKey, p, q), shares, crt, orderP2, orderQ2 };
    this.#selfTest();
  }

  /**
   * Encrypts a random plaintext and decrypts it with the first t shares (CRT exponentiation, no
   * proofs): catches a faulty computation before any share leaves the enclave.
   */
  #selfTest(): void {
    const s = this.#live();
    const params = this.parameters;
    const expected = randomBelow(params.publicKey.n);
    const c = new PaillierEncryptor(params.publicKey, { randomizer: "plain" }).encrypt(expected);
    const indices = Array.from({ length: params.threshold }, (_, k) => k + 1);
    const delta = derived(params).delta;
    const values = indices.map((i) => [
      modPowCrt(c, 2n * delta * (s.shares[i - 1] as bigint), s.crt, s.orderP2, s.orderQ2),
    ]);
    const [m] = combineValues(params, indices, values, 1);
    if (m !== expected || s.privateKey.decrypt(c) !== expected) {
      throw new PaillierError(PaillierErrorCode.InconsistentShares, "dealer self-test failed");
    }
  }

  #live(): DealerSecret {
    if (!this.#secret)
      throw new PaillierError(PaillierErrorCode.KeyForgotten, "the dealer forgot its secret");
    return this.#secret;
  }

  /** True once {@link forget} ran. */
  get forgotten(): boolean {
    return this.#secret === undefined;
  }

  /** The public key n (g = n + 1). */
  get publicKey(): PaillierPublicKey {
    return this.parameters.publicKey;
  }

  /** Member `index`'s key share in clear — for use inside the enclave (sealing) and tests only. */
  keyShare(index: number): ThresholdKeyShare {
    const s = this.#live();
    if (!Number.isInteger(index) || index < 1 || index > this.parameters.committeeSize) {
      throw new PaillierError(PaillierErrorCode.InvalidArgument, `no key share ${index}`);
    }
    return { index, secret: s.shares[index - 1] as bigint, parameters: this.parameters };
  }

  /** Decrypts with the factors (CRT) — the dealer alone, before it forgets. */
  decrypt(ciphertext: bigint): bigint {
    return this.#live().privateKey.decrypt(ciphertext);
  }

  /**
   * Member `index`'s decryption share value computed with CRT (≈ 3× faster than a member can);
   * for dealer-side checks and tests, not a substitute for members' proven shares.
   */
  decryptionShareValue(index: number, ciphertext: bigint): bigint {
    const s = this.#live();
    assertPaillierCiphertext(this.parameters.publicKey, ciphertext, true);
    const share = this.keyShare(index);
    return modPowCrt(
      ciphertext,
      2n * derived(this.parameters).delta * share.secret,
      s.crt,
      s.orderP2,
      s.orderQ2,
    );
  }

  /**
   * Forgets the secret: drops every reference to p, q, d's shares and the CRT constants. JavaScript
   * cannot overwrite a BigInt in place; once unreferenced the collector reclaims it. Byte buffers
   * that held secrets (the sealed shares' plaintexts) are zeroized where they are created.
   */
  forget(): void {
    const s = this.#secret;
    if (!s) return;
    s.privateKey.forget();
    s.shares.fill(0n);
    s.shares.length = 0;
    this.#secret = undefined;
  }
}
