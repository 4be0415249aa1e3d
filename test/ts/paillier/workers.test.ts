// The worker-thread pool: parallel encode + pack + encrypt, aggregation, decryption-share values and
// safe-prime search agree with the single-threaded core.
import assert from "node:assert/strict";
import { checkPrimeSync } from "node:crypto";
import { after, describe, it } from "node:test";
import {
  combineDecryptionShareBatches,
  PackedCodec,
  PaillierError,
  PaillierErrorCode,
  verifyDecryptionShareBatch,
} from "../../../sdk/paillier/index.ts";
import {
  createThresholdDealerParallel,
  generateSafePrimesParallel,
  PaillierWorkerPool,
  type PoolProgress,
} from "../../../sdk/paillier/workers.node.ts";
import { testDealer } from "./support.ts";

describe("paillier/workers", () => {
  const pool = new PaillierWorkerPool({ size: 2 });
  after(() => pool.close());

  it("encrypts packed vectors and aggregates them on the workers; threshold decryption recovers the sums", async () => {
    const dealer = testDealer(4, 3, 512);
    const params = dealer.parameters;
    const publicKey = params.publicKey;
    const codec = PackedCodec.forPublicKey(publicKey, { parties: 4, clip: 1.5 });
    const length = codec.slots * 9 + 5;
    const vectors = [0, 1, 2].map(() => Float64Array.from({ length }, () => Math.random() * 4 - 2));
    const progress: PoolProgress[] = [];
    const encrypted = [];
    for (const v of vectors) {
      encrypted.push(
        await pool.encryptVector(publicKey, codec, v, {
          encryptor: { windowBits: 4 },
          onProgress: (p) => progress.push(p),
        }),
      );
    }
    assert.equal(encrypted[0]?.length, 10);
    assert.deepEqual(progress.at(-1), { ...progress.at(-1), operation: "encrypt", done: 10, total: 10 });
    const aggregate = await pool.aggregate(publicKey, encrypted);
    const plain = await pool.encryptVector(publicKey, codec, vectors[0] as Float64Array, {
      encryptor: { randomizer: "plain" },
    });
    assert.deepEqual(
      codec.decodeIntegers(
        plain.map((c) => dealer.decrypt(c)),
        { contributions: 1, length },
      ),
      Float64Array.from(vectors[0] as Float64Array, (x) => codec.quantize(x)),
    );

    const shareProgress: number[] = [];
    const batches = [];
    for (const i of [2, 3, 4]) {
      batches.push(
        await pool.createDecryptionShareBatch(dealer.keyShare(i), aggregate, {
          onProgress: (p) => shareProgress.push(p.done),
        }),
      );
    }
    assert.equal(shareProgress.at(-1), 10);
    for (const b of batches)
      assert.deepEqual(verifyDecryptionShareBatch(params, aggregate, b), { valid: true });
    const { plaintexts } = combineDecryptionShareBatches(params, aggregate, batches);
    const sums = codec.decodeIntegers(plaintexts, { contributions: 3, length });
    for (let j = 0; j < length; j++) {
      assert.equal(
        sums[j],
        vectors.reduce((s, v) => s + codec.quantize(v[j] as number), 0),
      );
    }
  });

  it("rejects a codec sized for another modulus and ciphertexts out of range", async () => {
    const publicKey = testDealer(3, 2).publicKey;
    const codec = new PackedCodec({ modulusBits: 512, parties: 2 });
    await assert.rejects(pool.encryptVector(publicKey, codec, [1]), PaillierError);
    await assert.rejects(pool.aggregate(publicKey, [[0n]]), PaillierError);
  });

  it("searches safe primes in parallel and builds a dealer from them", async () => {
    const { primes, stats } = await generateSafePrimesParallel(3, 96, { workers: 2 });
    assert.equal(new Set(primes).size, 3);
    for (const p of primes) assert.ok(checkPrimeSync(p) && checkPrimeSync((p - 1n) / 2n));
    assert.ok(stats.length >= 3);
    const progress: number[] = [];
    const { dealer, primesMs } = await createThresholdDealerParallel({
      committeeSize: 3,
      threshold: 2,
      insecureTestKeyBits: 256,
      workers: 2,
      onParallelProgress: (p) => progress.push(p.found),
    });
    assert.equal(dealer.publicKey.bits, 256);
    assert.ok(primesMs >= 0);
    assert.equal(progress.at(-1), 2);
    await assert.rejects(
      createThresholdDealerParallel({ committeeSize: 3, threshold: 2, keyBits: 1024 }),
      (e: unknown) => e instanceof PaillierError && e.code === PaillierErrorCode.InvalidKeySize,
    );
  });

  it("a closed pool refuses work", async () => {
    const p = new PaillierWorkerPool({ size: 1 });
    await p.close();
    await assert.rejects(p.aggregate(testDealer(3, 2).publicKey, [[1n]]), PaillierError);
  });
});
