// Plain Paillier: key-size policy, both randomizers, CRT decryption against the textbook λ/μ
// decryption, and the homomorphic operations.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { gcd, modInverse, modPow, randomBelow } from "../../../sdk/paillier/bigint.ts";
import {
  addCiphertexts,
  addPlaintext,
  aggregateCiphertextVectors,
  generateKeyPrimes,
  generatePaillierKeyPair,
  multiplyByScalar,
  PAILLIER_MIN_KEY_BITS,
  PaillierEncryptor,
  PaillierError,
  PaillierErrorCode,
  PaillierPrivateKey,
  type PaillierPublicKey,
  paillierEncrypt,
  paillierFromSigned,
  paillierPublicKey,
  paillierToSigned,
  resolvePaillierKeyBits,
  serializePaillierCiphertexts,
  sumCiphertexts,
  ThresholdDealer,
} from "../../../sdk/paillier/index.ts";
import { testKeyPair } from "./support.ts";

const isCode = (code: PaillierErrorCode) => (e: unknown) => e instanceof PaillierError && e.code === code;

/** Textbook decryption without CRT: m = L(c^λ mod n²) · μ mod n, λ = lcm(p − 1, q − 1). */
function textbookDecrypt(publicKey: PaillierPublicKey, p: bigint, q: bigint, c: bigint): bigint {
  const { n, nSquared } = publicKey;
  const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
  const L = (u: bigint) => (u - 1n) / n;
  const mu = modInverse(L(modPow(n + 1n, lambda, nSquared)), n);
  return (L(modPow(c, lambda, nSquared)) * mu) % n;
}

describe("paillier/keys", () => {
  it("refuses keys below 2048 bits unless insecureTestKeyBits is given explicitly", () => {
    assert.equal(resolvePaillierKeyBits({}), 2048);
    assert.equal(resolvePaillierKeyBits({ keyBits: 3072 }), 3072);
    assert.throws(() => resolvePaillierKeyBits({ keyBits: 1024 }), isCode(PaillierErrorCode.InvalidKeySize));
    assert.throws(() => resolvePaillierKeyBits({ keyBits: 2049 }), isCode(PaillierErrorCode.InvalidKeySize));
    assert.throws(
      () => resolvePaillierKeyBits({ keyBits: 2048, insecureTestKeyBits: 256 }),
      isCode(PaillierErrorCode.InvalidKeySize),
    );
    assert.throws(
      () => resolvePaillierKeyBits({ insecureTestKeyBits: 64 }),
      isCode(PaillierErrorCode.InvalidKeySize),
    );
    assert.equal(resolvePaillierKeyBits({ insecureTestKeyBits: 256 }), 256);
    assert.throws(() => generatePaillierKeyPair({ keyBits: 512 }), isCode(PaillierErrorCode.InvalidKeySize));
    assert.throws(
      () => new ThresholdDealer({ committeeSize: 3, threshold: 2, keyBits: 512 }),
      isCode(PaillierErrorCode.InvalidKeySize),
    );
    const { publicKey } = testKeyPair();
    assert.throws(() => paillierPublicKey(publicKey.n), isCode(PaillierErrorCode.InvalidKeySize));
    assert.throws(
      () => paillierPublicKey(publicKey.n, { insecureTestKeyBits: 1024 }),
      isCode(PaillierErrorCode.InvalidKeySize),
    );
    assert.equal(paillierPublicKey(publicKey.n, { insecureTestKeyBits: 512 }).n, publicKey.n);
    assert.equal(PAILLIER_MIN_KEY_BITS, 2048);
  });

  it("generates n = pq from two distinct safe primes of half the size", () => {
    const { publicKey, primeStats } = generatePaillierKeyPair({ insecureTestKeyBits: 256 });
    assert.equal(publicKey.bits, 256);
    assert.equal(publicKey.nSquared, publicKey.n * publicKey.n);
    assert.equal(primeStats.length, 2);
  });

  it("rejects supplied primes that are not safe, equal, or of the wrong size", () => {
    const bad = (primes: { p: bigint; q: bigint }) =>
      assert.throws(
        () => generatePaillierKeyPair({ insecureTestKeyBits: 128, primes }),
        isCode(PaillierErrorCode.InvalidPrime),
      );
    const { p, q } = generateKeyPrimes({ insecureTestKeyBits: 128 });
    bad({ p, q: p });
    bad({ p, q: q + 4n });
    bad({ p: 23n, q });
    bad({ p: 2n * p - 1n, q }); // one bit too long
    const ok = generatePaillierKeyPair({ insecureTestKeyBits: 128, primes: { p, q } });
    assert.equal(ok.publicKey.n, p * q);
    const direct = new PaillierPrivateKey(ok.publicKey, p, q);
    assert.equal(direct.decrypt(paillierEncrypt(ok.publicKey, 77n)), 77n);
    assert.throws(() => new PaillierPrivateKey(ok.publicKey, p, p), isCode(PaillierErrorCode.InvalidPrime));
  });
});

describe("paillier/encryption", () => {
  it("decrypts what it encrypts with both randomizers, CRT equal to textbook decryption", () => {
    const { publicKey, privateKey } = testKeyPair();
    const encryptors = [
      new PaillierEncryptor(publicKey),
      new PaillierEncryptor(publicKey, { randomizer: "plain" }),
      new PaillierEncryptor(publicKey, { exponentBits: 512, windowBits: 8 }),
    ];
    for (const enc of encryptors) {
      for (const m of [0n, 1n, 2n, publicKey.n - 1n, randomBelow(publicKey.n)]) {
        const c = enc.encrypt(m);
        assert.ok(c > 0n && c < publicKey.nSquared);
        assert.equal(privateKey.decrypt(c), m, `${enc.randomizer}: m = ${m}`);
      }
    }
    const first = paillierEncrypt(publicKey, 5n);
    assert.notEqual(paillierEncrypt(publicKey, 5n), first, "randomized");
  });

  it("CRT decryption equals λ/μ decryption for random ciphertexts", () => {
    const { p, q } = generateKeyPrimes({ insecureTestKeyBits: 256 });
    const pair = generatePaillierKeyPair({ insecureTestKeyBits: 256, primes: { p, q } });
    for (let i = 0; i < 30; i++) {
      const c = (() => {
        for (;;) {
          const x = randomBelow(pair.publicKey.nSquared);
          if (x > 0n && gcd(x, pair.publicKey.n) === 1n) return x; // any unit is a valid ciphertext
        }
      })();
      assert.equal(pair.privateKey.decrypt(c), textbookDecrypt(pair.publicKey, p, q, c));
    }
  });

  it("short-exponent randomizers are n-th residues, fresh for each encryption", () => {
    const { publicKey, privateKey } = testKeyPair();
    const enc = new PaillierEncryptor(publicKey);
    const seen = new Set<bigint>();
    for (let i = 0; i < 50; i++) {
      const rho = enc.randomizerValue();
      // an n-th residue decrypts to 0 (it is an encryption of 0)
      assert.equal(privateKey.decrypt(rho), 0n);
      seen.add(rho);
    }
    assert.equal(seen.size, 50);
    assert.equal(enc.exponentBits, 256);
    assert.throws(
      () => new PaillierEncryptor(publicKey, { exponentBits: 128 }),
      isCode(PaillierErrorCode.InvalidArgument),
    );
  });

  it("refuses plaintexts outside [0, n) and ciphertexts outside (0, n²)", () => {
    const { publicKey, privateKey } = testKeyPair();
    const enc = new PaillierEncryptor(publicKey);
    assert.throws(() => enc.encrypt(-1n), isCode(PaillierErrorCode.InvalidPlaintext));
    assert.throws(() => enc.encrypt(publicKey.n), isCode(PaillierErrorCode.InvalidPlaintext));
    assert.throws(() => privateKey.decrypt(0n), isCode(PaillierErrorCode.InvalidCiphertext));
    assert.throws(() => privateKey.decrypt(publicKey.nSquared), isCode(PaillierErrorCode.InvalidCiphertext));
    assert.throws(() => privateKey.decrypt(publicKey.n), isCode(PaillierErrorCode.InvalidCiphertext));
  });
});

describe("paillier/homomorphism", () => {
  it("adds ciphertexts, adds plaintexts and multiplies by scalars (property)", () => {
    const { publicKey, privateKey } = testKeyPair();
    const enc = new PaillierEncryptor(publicKey);
    const n = publicKey.n;
    const z = fc.bigInt({ min: 0n, max: n - 1n });
    fc.assert(
      fc.property(z, z, fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }), (a, b, k) => {
        const ca = enc.encrypt(a);
        const cb = enc.encrypt(b);
        assert.equal(privateKey.decrypt(addCiphertexts(publicKey, ca, cb)), (a + b) % n);
        assert.equal(privateKey.decrypt(addPlaintext(publicKey, ca, k)), (((a + k) % n) + n) % n);
        assert.equal(privateKey.decrypt(multiplyByScalar(publicKey, ca, k)), (((a * k) % n) + n) % n);
      }),
      { numRuns: 40 },
    );
  });

  it("sums many ciphertexts and aggregates vectors element-wise", () => {
    const { publicKey, privateKey } = testKeyPair();
    const enc = new PaillierEncryptor(publicKey);
    const values = Array.from({ length: 10 }, (_, i) => BigInt(i * 1000 + 7));
    const sum = sumCiphertexts(publicKey, enc.encryptMany(values));
    assert.equal(
      privateKey.decrypt(sum),
      values.reduce((s, x) => s + x, 0n),
    );
    const vectors = [0, 1, 2].map((k) => enc.encryptMany([BigInt(k), BigInt(10 * k), BigInt(100 * k)]));
    const progress: number[] = [];
    const agg = aggregateCiphertextVectors(publicKey, vectors, (done) => progress.push(done));
    assert.deepEqual(
      agg.map((c) => privateKey.decrypt(c)),
      [3n, 30n, 300n],
    );
    assert.equal(progress.at(-1), 3);
    assert.throws(() => aggregateCiphertextVectors(publicKey, []), isCode(PaillierErrorCode.InvalidArgument));
    assert.throws(
      () => aggregateCiphertextVectors(publicKey, [[1n], [1n, 2n]]),
      isCode(PaillierErrorCode.InvalidArgument),
    );
    assert.throws(
      () => aggregateCiphertextVectors(publicKey, [[0n]]),
      isCode(PaillierErrorCode.InvalidCiphertext),
    );
  });

  it("negative values by mod-n centring", () => {
    const { publicKey, privateKey } = testKeyPair();
    const enc = new PaillierEncryptor(publicKey);
    const xs = [-5n, 3n, -100n, 7n];
    const sum = sumCiphertexts(
      publicKey,
      xs.map((x) => enc.encrypt(paillierFromSigned(publicKey, x))),
    );
    assert.equal(paillierToSigned(publicKey, privateKey.decrypt(sum)), -95n);
    assert.throws(
      () => paillierFromSigned(publicKey, publicKey.n),
      isCode(PaillierErrorCode.InvalidPlaintext),
    );
  });

  it("serializes ciphertexts at fixed width", () => {
    const { publicKey } = testKeyPair();
    const bytes = serializePaillierCiphertexts(publicKey, [1n, publicKey.nSquared - 1n]);
    assert.equal(bytes.length, 2 * 128);
    assert.equal(bytes[127], 1);
    assert.throws(
      () => serializePaillierCiphertexts(publicKey, [0n]),
      isCode(PaillierErrorCode.InvalidCiphertext),
    );
  });

  it("a forgotten private key refuses to decrypt", () => {
    const pair = generatePaillierKeyPair({ insecureTestKeyBits: 128 });
    const c = paillierEncrypt(pair.publicKey, 9n);
    assert.equal(pair.privateKey.decrypt(c), 9n);
    pair.privateKey.forget();
    assert.equal(pair.privateKey.forgotten, true);
    assert.throws(() => pair.privateKey.decrypt(c), isCode(PaillierErrorCode.KeyForgotten));
  });
});
