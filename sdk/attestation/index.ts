// Attestation: job binding, evidence parsing, signature checks, development chain and on-chain
// encodings. Browser-safe; the certificate-chain verifiers are in `./node.ts` (node:crypto).
export * from "./binding.ts";
export * from "./devChain.ts";
export * from "./errors.ts";
export * from "./intelCollateral.ts";
export * from "./intelQuote.ts";
export * from "./intelQuoteBuilder.ts";
export * from "./intelSignatures.ts";
export * from "./measurement.ts";
export * from "./onchain.ts";
export * from "./sevSnp.ts";
export * from "./tcbStatus.ts";
