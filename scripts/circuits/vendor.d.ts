// Types for the parts of snarkjs and circomlibjs the circuit pipeline uses (neither ships types).

declare module "snarkjs" {
  /** A snarkjs logger: snarkjs calls all five methods when a logger is given. */
  export interface SnarkjsLogger {
    debug(message: string): void;
    log(message: string): void;
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
  }

  export interface Groth16Proof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }

  export interface VerificationKey {
    protocol: string;
    curve: string;
    nPublic: number;
    [key: string]: unknown;
  }

  export type CircuitSignals = Record<string, bigint | number | string | unknown[]>;

  export const powersOfTau: {
    newAccumulator(curve: unknown, power: number, fileName: string, logger?: SnarkjsLogger): Promise<unknown>;
    contribute(
      oldPtau: string,
      newPtau: string,
      name: string,
      entropy: string,
      logger?: SnarkjsLogger,
    ): Promise<unknown>;
    preparePhase2(oldPtau: string, newPtau: string, logger?: SnarkjsLogger): Promise<unknown>;
    verify(ptau: string, logger?: SnarkjsLogger): Promise<boolean>;
  };

  export const zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: SnarkjsLogger): Promise<unknown>;
    contribute(
      oldZkey: string,
      newZkey: string,
      name: string,
      entropy: string,
      logger?: SnarkjsLogger,
    ): Promise<unknown>;
    beacon(
      oldZkey: string,
      newZkey: string,
      name: string,
      beaconHashHex: string,
      numIterationsExp: number,
      logger?: SnarkjsLogger,
    ): Promise<unknown>;
    verifyFromR1cs(r1cs: string, ptau: string, zkey: string, logger?: SnarkjsLogger): Promise<boolean>;
    exportVerificationKey(zkey: string, logger?: SnarkjsLogger): Promise<VerificationKey>;
    exportSolidityVerifier(
      zkey: string,
      templates: Record<string, string>,
      logger?: SnarkjsLogger,
    ): Promise<string>;
  };

  /** An in-memory file for snarkjs (`{ type: "mem" }`), filled by the call it is passed to. */
  export type WtnsMem = { type: "mem"; data?: Uint8Array };

  export const wtns: {
    calculate(input: CircuitSignals, wasmFile: string, wtnsFile: string | WtnsMem): Promise<void>;
  };

  export const groth16: {
    prove(
      zkeyFile: string,
      wtnsFile: string | WtnsMem,
      logger?: SnarkjsLogger,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    fullProve(
      input: CircuitSignals,
      wasmFile: string,
      zkeyFile: string,
      logger?: SnarkjsLogger,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    verify(
      vkey: VerificationKey,
      publicSignals: readonly string[],
      proof: Groth16Proof,
      logger?: SnarkjsLogger,
    ): Promise<boolean>;
    exportSolidityCallData(proof: Groth16Proof, publicSignals: readonly string[]): Promise<string>;
  };

  /** A field of ffjavascript (elements are Montgomery-form little-endian byte arrays). */
  export interface CurveField {
    n8: number;
    /** 2-adicity: the largest power of two dividing p - 1. */
    s: number;
    one: Uint8Array;
    zero: Uint8Array;
    e(value: bigint | number | string): Uint8Array;
    mul(a: Uint8Array, b: Uint8Array): Uint8Array;
    eq(a: Uint8Array, b: Uint8Array): boolean;
    toString(a: Uint8Array, radix?: number): string;
    /** Element i of the result is buff[i] · first · inc^i. */
    batchApplyKey(buff: Uint8Array, first: Uint8Array, inc: Uint8Array): Promise<Uint8Array>;
    ifft(buff: Uint8Array): Promise<Uint8Array>;
    batchFromMontgomery(buff: Uint8Array): Promise<Uint8Array>;
  }

  /** G1 or G2 of a curve (points are Montgomery-form byte arrays; affine LEM is what files store). */
  export interface CurveGroup {
    F: { n8: number };
    g: Uint8Array;
    oneAffine: Uint8Array;
    zeroAffine: Uint8Array;
    eq(a: Uint8Array, b: Uint8Array): boolean;
    timesFr(p: Uint8Array, s: Uint8Array): Uint8Array;
    fromRprLEM(buff: Uint8Array, offset?: number): Uint8Array;
    toRprUncompressed(buff: Uint8Array, offset: number, p: Uint8Array): void;
    batchLEMtoC(buff: Uint8Array): Promise<Uint8Array>;
    batchLEMtoU(buff: Uint8Array): Promise<Uint8Array>;
  }

  export interface Curve {
    name: string;
    q: bigint;
    r: bigint;
    Fr: CurveField;
    G1: CurveGroup;
    G2: CurveGroup;
    /** ffjavascript's thread manager; `code` is the curve's WebAssembly module. */
    tm: { code: Uint8Array; concurrency: number };
    terminate(): Promise<void>;
  }

  export const curves: {
    getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<Curve>;
  };
}

declare module "circomlibjs" {
  export interface PoseidonField {
    toObject(element: Uint8Array): bigint;
  }
  export interface Poseidon {
    (inputs: readonly (bigint | number | string)[]): Uint8Array;
    F: PoseidonField;
  }
  export function buildPoseidon(): Promise<Poseidon>;
  export const poseidonContract: {
    createCode(nInputs: number): string;
    generateABI(nInputs: number): readonly Record<string, unknown>[];
  };
}
