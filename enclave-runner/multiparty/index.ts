// The multi-party flow of a training job as a library, one role per module (see ./README.md).
export * from "./adapter.ts";
export * from "./aggregator.ts";
export * from "./chain.ts";
export * from "./combine.ts";
export * from "./dealer.ts";
export * from "./errors.ts";
export * from "./format.ts";
export * from "./member.ts";
export * from "./party.ts";
export * from "./settle.ts";
