// Shared fixtures of the Paillier tests: small INSECURE test keys (insecureTestKeyBits), generated
// lazily and cached per process. Nothing runs at import time (hardhat runs every .ts in test/ts).
import {
  generatePaillierKeyPair,
  type PaillierKeyPair,
  ThresholdDealer,
} from "../../../sdk/paillier/index.ts";

/** Modulus size of most tests: fast, and large enough for a few packed slots. */
export const TEST_KEY_BITS = 256;

const dealers = new Map<string, ThresholdDealer>();

/** A cached t-of-l dealer with an insecure test key of `bits` bits. */
export function testDealer(committeeSize: number, threshold: number, bits = TEST_KEY_BITS): ThresholdDealer {
  const key = `${committeeSize}/${threshold}/${bits}`;
  let dealer = dealers.get(key);
  if (!dealer) {
    dealer = new ThresholdDealer({ committeeSize, threshold, insecureTestKeyBits: bits });
    dealers.set(key, dealer);
  }
  return dealer;
}

let keyPair: PaillierKeyPair | undefined;

/** A cached plain key pair with an insecure 512-bit test key. */
export function testKeyPair(): PaillierKeyPair {
  keyPair ??= generatePaillierKeyPair({ insecureTestKeyBits: 512 });
  return keyPair;
}

/** All k-element subsets of [1..l], in lexicographic order. */
export function subsets(l: number, k: number): number[][] {
  const out: number[][] = [];
  const pick = (start: number, acc: number[]) => {
    if (acc.length === k) {
      out.push([...acc]);
      return;
    }
    for (let i = start; i <= l; i++) pick(i + 1, [...acc, i]);
  };
  pick(1, []);
  return out;
}
