// Row leaves and Poseidon(2) Merkle trees, identical to circuits/lib/row.circom and merkle.circom.
import { assertSigned, FEATURE_BITS, TrainingInputError } from "./fixedPoint.ts";
import type { DataRow, TrainingParams } from "./params.ts";
import type { PoseidonHasher } from "./poseidon.ts";

/** Features packed per leaf field element (25 x 9 bits = 225 bits). */
export const FEATURES_PER_LEAF_ELEMENT = 25;

/** Features as offset-unsigned XB-bit values, 25 per field element, feature 25j lowest. */
export function packFeatures(x: readonly bigint[]): bigint[] {
  const offset = 1n << BigInt(FEATURE_BITS - 1);
  const packed: bigint[] = [];
  for (let start = 0; start < x.length; start += FEATURES_PER_LEAF_ELEMENT) {
    let acc = 0n;
    const end = Math.min(start + FEATURES_PER_LEAF_ELEMENT, x.length);
    for (let i = end - 1; i >= start; i--) {
      acc = (acc << BigInt(FEATURE_BITS)) + (x[i] as bigint) + offset;
    }
    packed.push(acc);
  }
  return packed;
}

/** leaf = Poseidon(packed features..., y); x range-checked to XB bits signed, y in [0, C). */
export function rowLeaf(hash: PoseidonHasher, row: DataRow, params: TrainingParams): bigint {
  if (row.x.length !== params.features) {
    throw new TrainingInputError(`row has ${row.x.length} features, expected ${params.features}`);
  }
  row.x.forEach((v, d) => {
    assertSigned(v, FEATURE_BITS, `x[${d}]`);
  });
  if (!Number.isSafeInteger(row.y) || row.y < 0 || row.y >= params.classes) {
    throw new TrainingInputError(`label y = ${row.y} is not in [0, ${params.classes})`);
  }
  return hash([...packFeatures(row.x), BigInt(row.y)]);
}

/** All levels of the tree over `leaves` (a power of two): levels[0] = leaves, last = [root]. */
export function merkleLevels(hash: PoseidonHasher, leaves: readonly bigint[]): bigint[][] {
  const n = leaves.length;
  if (n < 1 || (n & (n - 1)) !== 0) throw new TrainingInputError(`Merkle tree needs 2^k leaves, got ${n}`);
  const levels: bigint[][] = [[...leaves]];
  let level = levels[0] as bigint[];
  while (level.length > 1) {
    const next: bigint[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hash([level[i] as bigint, level[i + 1] as bigint]));
    levels.push(next);
    level = next;
  }
  return levels;
}

/** Root of a Poseidon(2) tree over 2^k leaves (one leaf is its own root). */
export function merkleRoot(hash: PoseidonHasher, leaves: readonly bigint[]): bigint {
  const levels = merkleLevels(hash, leaves);
  return (levels[levels.length - 1] as bigint[])[0] as bigint;
}

/**
 * Siblings (nearest first) from the root of subtree `index` (each subtree `subtreeSize` leaves)
 * up to the root of the whole tree.
 */
export function subtreePath(
  hash: PoseidonHasher,
  leaves: readonly bigint[],
  subtreeSize: number,
  index: number,
): { subtreeRoot: bigint; siblings: bigint[]; root: bigint } {
  const levels = merkleLevels(hash, leaves);
  const start = Math.round(Math.log2(subtreeSize));
  if (2 ** start !== subtreeSize || start >= levels.length) {
    throw new TrainingInputError(`bad subtree size ${subtreeSize} for ${leaves.length} leaves`);
  }
  const siblings: bigint[] = [];
  let i = index;
  for (let l = start; l < levels.length - 1; l++) {
    siblings.push((levels[l] as bigint[])[i ^ 1] as bigint);
    i >>= 1;
  }
  return {
    subtreeRoot: (levels[start] as bigint[])[index] as bigint,
    siblings,
    root: (levels[levels.length - 1] as bigint[])[0] as bigint,
  };
}

/** R_train or R_eval: root over the leaves of `rows` (2^k rows). */
export function rowsRoot(hash: PoseidonHasher, rows: readonly DataRow[], params: TrainingParams): bigint {
  return merkleRoot(
    hash,
    rows.map((row) => rowLeaf(hash, row, params)),
  );
}
