// The one module other components import the contracts and protocol types from.
export * from "./attestation/index.ts";
export * from "./blobs/index.ts";
export * from "./deployments.ts";
export * from "./enclaveStatements.ts";
export * from "./envelope/index.ts";
export * from "./errors.ts";
export * from "./generated/abis.ts";
export * from "./jobTerms.ts";
export * from "./multiParty.ts";
export * from "./ownerActions.ts";
export * from "./paillier/index.ts";
export * from "./permit.ts";
export * from "./simulatedTee.ts";
export * from "./timelock.ts";
export * from "./training/index.ts";
export * from "./types.ts";
