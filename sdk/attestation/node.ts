// Node-only attestation verifiers (certificate chains and CRLs through node:crypto).
export * from "./intelVerify.node.ts";
export * from "./sevSnpVerify.node.ts";
export * from "./statementSigner.node.ts";
export * from "./x509.node.ts";
