// The attested enclave's feature binding (contracts/verifiers/FeatureBindingVerifier.sol): the buyer
// commits to raw rows only (docs/RAW_DATA.md); the enclave featurizes them with the base model and
// signs "the raw commitments of job J became the feature rows R_train, R_eval, with base model M, by
// backend B, and the LoRA adapter L". The market's training verifier checks this signature against
// the job's attested signer, then the head proof over R_train, R_eval. Trust split: the TEE vouches
// for featurization and LoRA, the Groth16 proof for the head, and the payout needs both.
import {
  type Address,
  decodeAbiParameters,
  encodeAbiParameters,
  type Hex,
  keccak256,
  type LocalAccount,
  recoverTypedDataAddress,
  stringToHex,
} from "viem";

/** What the enclave states about a job's data (`FeatureBindingVerifier.FeatureBinding`). */
export type FeatureBinding = {
  /** R_train: Merkle root of the training feature rows (a BN254 field element). */
  featureTrainCommitment: Hex;
  /** R_eval: Merkle root of the eval feature rows. */
  featureEvalCommitment: Hex;
  /** SHA-256 of the base model file the features came from (the job spec names it). */
  baseModelHash: Hex;
  /** {@link featureBackendId} of the backend that computed the features. */
  featureBackend: Hex;
  /** SHA-256 of the trained LoRA adapter, or zero when the job trains none. */
  loraCommitment: Hex;
};

/** The binding together with the job it is about. */
export type FeatureBindingStatement = {
  chainId: number;
  market: Address;
  jobId: bigint;
  /** The job's `datasetCommitment` (raw training rows). */
  rawTrainCommitment: Hex;
  /** The job's `evalCommitment` (raw eval rows). */
  rawEvalCommitment: Hex;
  binding: FeatureBinding;
};

const bindingComponents = [
  { name: "featureTrainCommitment", type: "bytes32" },
  { name: "featureEvalCommitment", type: "bytes32" },
  { name: "baseModelHash", type: "bytes32" },
  { name: "featureBackend", type: "bytes32" },
  { name: "loraCommitment", type: "bytes32" },
] as const;

/** EIP-712 types of the statement, as `FeatureBindingVerifier.FEATURE_BINDING_TYPEHASH`. */
export const featureBindingTypes = {
  FeatureBinding: [
    { name: "market", type: "address" },
    { name: "jobId", type: "uint256" },
    { name: "rawTrainCommitment", type: "bytes32" },
    { name: "rawEvalCommitment", type: "bytes32" },
    ...bindingComponents,
  ],
} as const;

/** The EIP-712 domain: no verifying contract, the statement names its market and job itself. */
export function featureBindingDomain(chainId: number) {
  return { name: "BlindTraining FeatureBinding", version: "1", chainId } as const;
}

/** The id a binding gives a feature backend: `keccak256(utf8(name))`, e.g. of "builtin-tfjs-wasm". */
export function featureBackendId(name: string): Hex {
  return keccak256(stringToHex(name));
}

function typedData(s: FeatureBindingStatement) {
  return {
    domain: featureBindingDomain(s.chainId),
    types: featureBindingTypes,
    primaryType: "FeatureBinding" as const,
    message: {
      market: s.market,
      jobId: s.jobId,
      rawTrainCommitment: s.rawTrainCommitment,
      rawEvalCommitment: s.rawEvalCommitment,
      ...s.binding,
    },
  };
}

/**
 * Signs the binding with the enclave's attested signing key.
 *
 * @example
 * const signature = await signFeatureBinding(enclaveKey, { chainId, market, jobId, rawTrainCommitment, rawEvalCommitment, binding });
 */
export function signFeatureBinding(
  enclaveKey: LocalAccount,
  statement: FeatureBindingStatement,
): Promise<Hex> {
  return enclaveKey.signTypedData(typedData(statement));
}

/**
 * The address that signed a binding (compare it with the job's `enclaveSigner`, as the verifier does).
 *
 * @example
 * (await recoverFeatureBindingSigner(statement, signature)) === job.enclaveSigner;
 */
export function recoverFeatureBindingSigner(
  statement: FeatureBindingStatement,
  signature: Hex,
): Promise<Address> {
  return recoverTypedDataAddress({ ...typedData(statement), signature });
}

const boundProofParameters = [
  { type: "tuple", components: bindingComponents },
  { type: "bytes" },
  { type: "bytes" },
] as const;

/** The proof bytes `FeatureBindingVerifier` takes: `abi.encode(binding, signature, headProof)`. */
export function encodeBoundTrainingProof(binding: FeatureBinding, signature: Hex, headProof: Hex): Hex {
  return encodeAbiParameters(boundProofParameters, [binding, signature, headProof]);
}

/** Inverse of {@link encodeBoundTrainingProof}; throws viem's decoding error on malformed bytes. */
export function decodeBoundTrainingProof(proof: Hex): {
  binding: FeatureBinding;
  signature: Hex;
  headProof: Hex;
} {
  const [binding, signature, headProof] = decodeAbiParameters(boundProofParameters, proof);
  return { binding: { ...binding }, signature, headProof };
}
