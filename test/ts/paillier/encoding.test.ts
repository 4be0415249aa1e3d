// Fixed-point packing: layout and setup refusal, clipping and negative values, sums at the
// headroom limit, overflow detection by the decoder, and the end-to-end property
// decrypt(Σ encryptions) = Σ values through threshold decryption.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  aggregateCiphertextVectors,
  combineDecryptionShareBatches,
  createDecryptionShareBatch,
  PackedCodec,
  PackingLayoutError,
  PaillierEncryptor,
  PaillierError,
  PaillierErrorCode,
  SlotOverflowError,
} from "../../../sdk/paillier/index.ts";
import { testDealer } from "./support.ts";

const isCode = (code: PaillierErrorCode) => (e: unknown) => e instanceof PaillierError && e.code === code;

describe("paillier/encoding: layout", () => {
  it("sizes slots for the headroom and fills the modulus up to the safety margin", () => {
    const codec = new PackedCodec({ modulusBits: 2048, parties: 5 });
    // Q = 2^16, max sum 5·2^17 = 655,360 < 2^20 → 20 bits + 1 guard bit
    assert.equal(codec.maxMagnitude, 65536);
    assert.equal(codec.slotBits, 21);
    assert.equal(codec.slots, Math.floor((2048 - 1 - 16) / 21));
    assert.ok(codec.slots * codec.slotBits < 2048 - 16);
    const one = new PackedCodec({ modulusBits: 2048, parties: 1, guardBits: 0 });
    assert.equal(one.slotBits, 18);
    const many = new PackedCodec({ modulusBits: 2048, parties: 1000 });
    assert.equal(many.slotBits, 28); // 1000·2^17 < 2^27, + guard
  });

  it("refuses at setup a packing that does not fit, with a typed error", () => {
    assert.throws(
      () => new PackedCodec({ modulusBits: 256, parties: 5, slots: 12 }),
      (e: unknown) => {
        assert.ok(e instanceof PackingLayoutError);
        assert.equal(e.code, PaillierErrorCode.PackingDoesNotFit);
        assert.equal(e.slots, 12);
        assert.equal(e.slotBits, 21);
        assert.equal(e.availableBits, 256 - 1 - 16);
        return true;
      },
    );
    // exactly at the limit fits: 11 × 21 = 231 ≤ 239
    assert.equal(new PackedCodec({ modulusBits: 256, parties: 5, slots: 11 }).slots, 11);
    // a larger margin or more parties can make even one slot impossible
    assert.throws(
      () => new PackedCodec({ modulusBits: 256, parties: 5, safetyMarginBits: 240 }),
      PackingLayoutError,
    );
    assert.throws(
      () => new PackedCodec({ modulusBits: 64, parties: 1 << 20, scale: 2 ** 30, clip: 4 }),
      isCode(PaillierErrorCode.InvalidArgument), // sums beyond 2^53 cannot be decoded exactly
    );
    for (const bad of [{ scale: 0.5 }, { clip: 0 }, { parties: 0 }, { slots: 0 }, { guardBits: -1 }]) {
      assert.throws(() => new PackedCodec({ modulusBits: 2048, parties: 5, ...bad }), PaillierError);
    }
  });
});

describe("paillier/encoding: values", () => {
  const codec = new PackedCodec({ modulusBits: 256, parties: 3, scale: 1000, clip: 2 });

  it("clips, rounds and encodes negative values by offset", () => {
    assert.equal(codec.quantize(0.0014), 1);
    assert.equal(codec.quantize(-0.0016), -2);
    assert.equal(codec.quantize(7), 2000);
    assert.equal(codec.quantize(-1e300), -2000);
    assert.throws(() => codec.quantize(Number.NaN), isCode(PaillierErrorCode.NonFiniteValue));
    assert.throws(
      () => codec.encode([1, Number.POSITIVE_INFINITY]),
      isCode(PaillierErrorCode.NonFiniteValue),
    );
    const values = [-2, -1.5, -0.001, 0, 0.001, 1.999, 2, 3, -3];
    const plaintexts = codec.encode(values);
    assert.equal(plaintexts.length, Math.ceil(values.length / codec.slots));
    assert.deepEqual(
      Array.from(codec.decode(plaintexts, { contributions: 1, length: values.length })),
      [-2, -1.5, -0.001, 0, 0.001, 1.999, 2, 2, -2],
    );
  });

  it("sums packed plaintexts slot by slot, negatives included, down to the honest bound", () => {
    const a = [-1.25, 0.5, 2, -2, 0.001];
    const b = [1, -0.75, 2, -2, -0.002];
    const c = [0.25, 0.25, 2, -2, 0];
    const sum = [a, b, c].map((v) => codec.encode(v)).reduce((x, y) => x.map((m, i) => m + (y[i] as bigint)));
    assert.deepEqual(Array.from(codec.decode(sum, { contributions: 3, length: 5 })), [0, 0, 6, -6, -0.001]);
  });

  it("decodes sums exactly at the headroom limit (every party at +clip or −clip)", () => {
    const full = new PackedCodec({ modulusBits: 256, parties: 4, scale: 2 ** 16, clip: 1, guardBits: 0 });
    const length = full.slots * 2 + 3;
    const top = Array.from({ length }, () => 1);
    const bottom = Array.from({ length }, () => -1);
    const sumOf = (vs: number[][]) =>
      vs.map((v) => full.encode(v)).reduce((x, y) => x.map((m, i) => m + (y[i] as bigint)));
    const max = sumOf([top, top, top, top]);
    // every slot holds parties · 2Q = 2^19, the largest sum the 20-bit slot is sized for (no guard bit)
    const maxSlot = 4n * 2n * 65536n;
    assert.ok(maxSlot < 1n << BigInt(full.slotBits) && 2n * maxSlot >= 1n << BigInt(full.slotBits));
    assert.deepEqual(Array.from(full.decode(max, { contributions: 4, length })), Array(length).fill(4));
    assert.deepEqual(
      Array.from(full.decode(sumOf([bottom, bottom, bottom, bottom]), { contributions: 4, length })),
      Array(length).fill(-4),
    );
    assert.deepEqual(
      Array.from(full.decode(sumOf([top, bottom, top]), { contributions: 3, length })),
      Array(length).fill(1),
    );
  });

  it("the decoder detects overflowed slots and carries out of the top slot", () => {
    const values = [0.5, -0.5, 1];
    const pt = codec.encode(values);
    // declaring fewer contributions than were summed → slots exceed the honest maximum
    const twice = pt.map((m) => 2n * m);
    assert.throws(
      () => codec.decode(twice, { contributions: 1, length: 3 }),
      (e: unknown) =>
        e instanceof SlotOverflowError && e.plaintextIndex === 0 && e.slot === 0 && e.max === 4000n,
    );
    // more contributions than the configured headroom are refused outright
    assert.throws(
      () => codec.decode(pt, { contributions: 4, length: 3 }),
      isCode(PaillierErrorCode.InvalidArgument),
    );
    // a slot value beyond the honest bound in the middle
    const b = BigInt(codec.slotBits);
    const corrupt = [(pt[0] as bigint) + (5000n << b)];
    assert.throws(
      () => codec.decode(corrupt, { contributions: 1, length: 3 }),
      (e: unknown) => e instanceof SlotOverflowError && e.slot === 1,
    );
    // bits above the last slot (a carry out of the top slot)
    const carried = [(pt[0] as bigint) + (1n << (b * BigInt(codec.slots)))];
    assert.throws(
      () => codec.decode(carried, { contributions: 1, length: 3 }),
      (e: unknown) => e instanceof SlotOverflowError && e.slot === codec.slots,
    );
    assert.throws(
      () => codec.decode(pt, { contributions: 1, length: 3 + codec.slots }),
      isCode(PaillierErrorCode.InvalidArgument),
    );
  });
});

describe("paillier/encoding: encrypted aggregation (property)", () => {
  it("threshold-decrypt(Σ encryptions) = Σ values for random vectors and party counts", () => {
    const dealer = testDealer(3, 2);
    const params = dealer.parameters;
    const publicKey = params.publicKey;
    const encryptor = new PaillierEncryptor(publicKey);
    const value = fc.double({ min: -3, max: 3, noNaN: true });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.array(value, { minLength: 30, maxLength: 30 }), { minLength: 6, maxLength: 6 }),
        fc.constantFrom(1, 2 ** 8, 2 ** 16),
        (headroom, length, partiesRaw, matrix, scale) => {
          const parties = Math.min(partiesRaw, headroom);
          const codec = PackedCodec.forPublicKey(publicKey, { parties: headroom, scale, clip: 2 });
          const vectors = matrix.slice(0, parties).map((v) => v.slice(0, length));
          const encrypted = vectors.map((v) => encryptor.encryptMany(codec.encode(v)));
          const aggregate = aggregateCiphertextVectors(publicKey, encrypted);
          const batches = [3, 1].map((i) => createDecryptionShareBatch(dealer.keyShare(i), aggregate));
          const { plaintexts } = combineDecryptionShareBatches(params, aggregate, batches);
          const sums = codec.decodeIntegers(plaintexts, { contributions: parties, length });
          for (let j = 0; j < length; j++) {
            const expected = vectors.reduce((s, v) => s + codec.quantize(v[j] as number), 0);
            assert.equal(sums[j], expected, `position ${j}`);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
