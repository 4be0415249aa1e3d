// Threshold Paillier for secure aggregation (browser-safe core; the worker-thread helpers are in
// ./workers.node.ts). See ./README.md for the design, the math and the security parameters.
// Generic helpers (randomness, hex, gcd) stay internal to avoid name clashes in sdk/index.ts.
export {
  batchModInverse,
  type CrtContext,
  crtCombine,
  crtContext,
  modInverse,
  modPow,
  modPowCrt,
} from "./bigint.ts";
export * from "./encoding.ts";
export * from "./errors.ts";
export * from "./exponentiation.ts";
export * from "./paillier.ts";
export * from "./primes.ts";
export * from "./seal.ts";
export * from "./serialize.ts";
export {
  BATCH_SHARE_PROOF_TAG,
  checkThresholdKeyShare,
  combineDecryptionShareBatches,
  combineDecryptionShares,
  createDecryptionShare,
  createDecryptionShareBatch,
  type DecryptionShare,
  type DecryptionShareBatch,
  type DecryptionShareCheck,
  type DiscreteLogEqualityProof,
  lagrangeAtZero,
  PUBLIC_KEY_COMMITMENT_TAG,
  SHARE_BATCH_WEIGHT_BITS,
  SHARE_PROOF_CHALLENGE_BITS,
  SHARE_PROOF_HIDING_BITS,
  SHARE_PROOF_TAG,
  type ShareBatchCombineResult,
  type ShareBatchOptions,
  type ShareCombineOptions,
  type ShareCombineResult,
  type ShareProgressCallback,
  THRESHOLD_MAX_COMMITTEE_SIZE,
  ThresholdDealer,
  type ThresholdDealerOptions,
  type ThresholdKeyShare,
  type ThresholdParameters,
  thresholdDelta,
  thresholdParameters,
  thresholdPublicKeyCommitment,
  verifyDecryptionShare,
  verifyDecryptionShareBatch,
} from "./threshold.ts";
