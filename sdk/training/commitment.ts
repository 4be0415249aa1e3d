// Weight commitment C(W, b), identical to circuits/lib/commitment.circom.
import { assertSigned, WEIGHT_BITS } from "./fixedPoint.ts";
import type { AdapterWeights } from "./params.ts";
import type { PoseidonHasher } from "./poseidon.ts";

/** Weights per packed field element and packed elements per hash call. */
export const VALUES_PER_ELEMENT = 15;

/** W row-major, then b. */
export function flattenWeights(w: AdapterWeights): bigint[] {
  return [...w.weights.flat(), ...w.bias];
}

/** Offset-unsigned WB-bit values packed 15 per field element, value 15m in the lowest bits. */
export function packWeights(w: AdapterWeights): bigint[] {
  const values = flattenWeights(w);
  const offset = 1n << BigInt(WEIGHT_BITS - 1);
  values.forEach((v, i) => {
    assertSigned(v, WEIGHT_BITS, `weight value ${i} (row-major W, then b)`);
  });
  const packed: bigint[] = [];
  for (let start = 0; start < values.length; start += VALUES_PER_ELEMENT) {
    let acc = 0n;
    const end = Math.min(start + VALUES_PER_ELEMENT, values.length);
    for (let i = end - 1; i >= start; i--)
      acc = (acc << BigInt(WEIGHT_BITS)) + (values[i] as bigint) + offset;
    packed.push(acc);
  }
  return packed;
}

/** h_0 = 0, h_{j+1} = Poseidon(h_j, 15 packed elements, zero-padded); C = last h. */
export function commitWeights(hash: PoseidonHasher, w: AdapterWeights): bigint {
  const packed = packWeights(w);
  let h = 0n;
  for (let start = 0; start < packed.length; start += VALUES_PER_ELEMENT) {
    const chunk = packed.slice(start, start + VALUES_PER_ELEMENT);
    while (chunk.length < VALUES_PER_ELEMENT) chunk.push(0n);
    h = hash([h, ...chunk]);
  }
  return h;
}
