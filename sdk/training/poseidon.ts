// circomlib-compatible Poseidon as a lazily built singleton returning bigints.
import { buildPoseidon, type CircomlibPoseidon } from "circomlibjs";
import { FIELD_MODULUS, TrainingInputError } from "./fixedPoint.ts";

/** Synchronous Poseidon over 1..16 field elements. */
export type PoseidonHasher = (inputs: readonly bigint[]) => bigint;

let hasher: Promise<PoseidonHasher> | undefined;

function wrap(raw: CircomlibPoseidon): PoseidonHasher {
  return (inputs) => {
    if (inputs.length < 1 || inputs.length > 16) {
      throw new TrainingInputError(`Poseidon takes 1 to 16 inputs, got ${inputs.length}`);
    }
    for (const v of inputs) {
      if (v < 0n || v >= FIELD_MODULUS)
        throw new TrainingInputError(`Poseidon input is not a field element: ${v}`);
    }
    return raw.F.toObject(raw(inputs));
  };
}

/** The shared hasher (built on first use; building takes a few hundred ms). */
export function getPoseidon(): Promise<PoseidonHasher> {
  hasher ??= buildPoseidon().then(wrap);
  return hasher;
}

/** Poseidon(inputs) as a bigint. */
export async function poseidonHash(inputs: readonly bigint[]): Promise<bigint> {
  return (await getPoseidon())(inputs);
}
