// Fixed-point training reference: the TypeScript twin of circuits/training_segment.circom.
export * from "./commitment.ts";
export * from "./eval.ts";
export * from "./fixedPoint.ts";
export * from "./merkle.ts";
export * from "./params.ts";
export * from "./poseidon.ts";
export * from "./prover.ts";
export * from "./sgd.ts";
export * from "./witness.ts";
