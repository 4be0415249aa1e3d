// snarkjs' r1cs reader, used by circuit tests only (scripts/circuits/vendor.d.ts declares the parts
// the pipeline uses). `exportJson` returns the header counts and the constraints as
// [A, B, C] maps from wire index to decimal coefficient.
export {};

declare module "snarkjs" {
  export const r1cs: {
    exportJson(r1csFile: string, logger?: unknown): Promise<unknown>;
  };
}
