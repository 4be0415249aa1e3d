import {
  type Address,
  encodeAbiParameters,
  type Hex,
  keccak256,
  type LocalAccount,
  recoverTypedDataAddress,
} from "viem";

/** EIP-712 domain of owner-key actions on a JobMarket. */
export function jobMarketDomain(chainId: number, jobMarket: Address) {
  return { name: "BlindTraining JobMarket", version: "1", chainId, verifyingContract: jobMarket } as const;
}

/** EIP-712 types of owner-key actions, as in `JobMarket.CANCEL_JOB_TYPEHASH` and `EXTEND_DELIVERY_TYPEHASH`. */
export const ownerActionTypes = {
  CancelJob: [
    { name: "jobId", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
  ExtendDelivery: [
    { name: "jobId", type: "uint256" },
    { name: "deliveryDeadline", type: "uint64" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** EIP-712 domain of delivery records on a DataDelivery contract. */
export function dataDeliveryDomain(chainId: number, dataDelivery: Address) {
  return {
    name: "BlindTraining DataDelivery",
    version: "1",
    chainId,
    verifyingContract: dataDelivery,
  } as const;
}

/** EIP-712 type of the owner key's delivery record, as in `DataDelivery.RECORD_DELIVERY_TYPEHASH`. */
export const recordDeliveryTypes = {
  RecordDelivery: [
    { name: "jobId", type: "uint256" },
    { name: "dataHash", type: "bytes32" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** Parameters shared by owner-key signatures. */
export type OwnerActionParameters = {
  /** The job's owner key (a local account: the key never leaves the buyer's device). */
  ownerKey: LocalAccount;
  chainId: number;
  jobMarket: Address;
  jobId: bigint;
  /** The owner key's next nonce (`jobMarket.read.nonces([ownerKey.address])`). */
  nonce: bigint;
  /** Last second the signature is valid. */
  deadline: bigint;
};

/**
 * Signs `CancelJob(jobId, nonce, deadline)` with the job's owner key; anyone can relay it.
 *
 * @returns The signature for `JobMarket.cancelJob`.
 * @example
 * const sig = await signCancelJob({ ownerKey, chainId, jobMarket, jobId, nonce: 0n, deadline });
 */
export function signCancelJob(p: OwnerActionParameters): Promise<Hex> {
  return p.ownerKey.signTypedData({
    domain: jobMarketDomain(p.chainId, p.jobMarket),
    types: ownerActionTypes,
    primaryType: "CancelJob",
    message: { jobId: p.jobId, nonce: p.nonce, deadline: p.deadline },
  });
}

/**
 * Signs `ExtendDelivery(jobId, deliveryDeadline, nonce, deadline)` with the job's owner key.
 *
 * @returns The signature for `JobMarket.extendDeliveryDeadline`.
 */
export function signExtendDelivery(p: OwnerActionParameters & { deliveryDeadline: bigint }): Promise<Hex> {
  return p.ownerKey.signTypedData({
    domain: jobMarketDomain(p.chainId, p.jobMarket),
    types: ownerActionTypes,
    primaryType: "ExtendDelivery",
    message: { jobId: p.jobId, deliveryDeadline: p.deliveryDeadline, nonce: p.nonce, deadline: p.deadline },
  });
}

/** The blobs of a data delivery as the market records them. */
export type DeliveredBlobs = {
  /** SHA-256 of each ciphertext blob (a blob id `sha256:<hex>` without its prefix). */
  blobIds: readonly Hex[];
  /** Each blob's size in bytes. */
  sizes: readonly bigint[];
};

/**
 * The data hash `keccak256(abi.encode(blobIds, sizes))` the market stores for a delivery and the
 * enclave names in its failure statements.
 *
 * @example
 * const dataHash = deliveryDataHash({ blobIds: [id], sizes: [1024n] });
 */
export function deliveryDataHash(blobs: DeliveredBlobs): Hex {
  return keccak256(
    encodeAbiParameters([{ type: "bytes32[]" }, { type: "uint64[]" }], [blobs.blobIds, blobs.sizes]),
  );
}

/** Parameters of {@link signRecordDelivery}. */
export type SignRecordDeliveryParameters = DeliveredBlobs & {
  /** The job's owner key. */
  ownerKey: LocalAccount;
  chainId: number;
  /** The DataDelivery contract pinned by the job's market config. */
  dataDelivery: Address;
  jobId: bigint;
  /** Last second the signature is valid. */
  deadline: bigint;
};

/**
 * Signs `RecordDelivery(jobId, dataHash, deadline)` with the job's owner key: the on-chain record of
 * which blobs the buyer delivered (relayable by anyone, `DataDelivery.recordDelivery`). One record
 * per job, so no nonce.
 *
 * @returns The signature.
 * @example
 * const sig = await signRecordDelivery({ ownerKey, chainId, dataDelivery, jobId, deadline, blobIds, sizes });
 */
export function signRecordDelivery(p: SignRecordDeliveryParameters): Promise<Hex> {
  return p.ownerKey.signTypedData({
    domain: dataDeliveryDomain(p.chainId, p.dataDelivery),
    types: recordDeliveryTypes,
    primaryType: "RecordDelivery",
    message: { jobId: p.jobId, dataHash: deliveryDataHash(p), deadline: p.deadline },
  });
}

/**
 * EIP-712 type of the owner key's approval of a job spec document (off chain, in the JobMarket
 * domain): the enclave runs only the spec the buyer approved, so a provider cannot hand it another
 * result key, base model, LoRA spec or limit than the buyer's.
 */
export const jobSpecDocumentTypes = {
  JobSpecDocument: [
    { name: "jobId", type: "uint256" },
    { name: "documentHash", type: "bytes32" },
  ],
} as const;

/** Parameters of {@link signJobSpecDocument} and {@link recoverJobSpecDocumentSigner}. */
export type JobSpecDocumentParameters = {
  chainId: number;
  jobMarket: Address;
  jobId: bigint;
  /** keccak256 of the spec's canonical JSON without its signature (`jobSpecDocumentHash`). */
  documentHash: Hex;
};

function jobSpecDocumentTypedData(p: JobSpecDocumentParameters) {
  return {
    domain: jobMarketDomain(p.chainId, p.jobMarket),
    types: jobSpecDocumentTypes,
    primaryType: "JobSpecDocument" as const,
    message: { jobId: p.jobId, documentHash: p.documentHash },
  };
}

/**
 * Signs `JobSpecDocument(jobId, documentHash)` with the job's owner key.
 *
 * @example
 * const ownerSignature = await signJobSpecDocument(ownerKey, { chainId, jobMarket, jobId, documentHash });
 */
export function signJobSpecDocument(ownerKey: LocalAccount, p: JobSpecDocumentParameters): Promise<Hex> {
  return ownerKey.signTypedData(jobSpecDocumentTypedData(p));
}

/** The address that signed a job spec document (the enclave compares it with `terms.ownerKey`). */
export function recoverJobSpecDocumentSigner(p: JobSpecDocumentParameters, signature: Hex): Promise<Address> {
  return recoverTypedDataAddress({ ...jobSpecDocumentTypedData(p), signature });
}
