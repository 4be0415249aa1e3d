// Minimal typings for the part of circomlibjs the training reference uses (the package ships none).
declare module "circomlibjs" {
  /** The BN254 scalar field of a circomlibjs hasher. */
  export interface CircomlibField {
    /** Field element (Montgomery form bytes) to its canonical integer. */
    toObject(element: Uint8Array): bigint;
  }
  /** circomlib-compatible Poseidon over 1..16 inputs. */
  export interface CircomlibPoseidon {
    (inputs: readonly bigint[]): Uint8Array;
    F: CircomlibField;
  }
  export function buildPoseidon(): Promise<CircomlibPoseidon>;
}
