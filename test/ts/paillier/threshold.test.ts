// Threshold decryption: every t-of-l for l ≤ 5 and every subset of size t; proofs reject wrong
// exponents, tampered proofs, replays and relabelled shares; combination excludes bad shares and
// names them when fewer than t remain; batches; the dealer's output, sealing and forgetting.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { x25519 } from "@noble/curves/ed25519.js";
import { randomBelow } from "../../../sdk/paillier/bigint.ts";
import {
  checkThresholdKeyShare,
  combineDecryptionShareBatches,
  combineDecryptionShares,
  createDecryptionShare,
  createDecryptionShareBatch,
  type DecryptionShare,
  decryptionShareBatchFromJson,
  decryptionShareBatchToJson,
  decryptionShareFromJson,
  decryptionShareToJson,
  InsufficientSharesError,
  lagrangeAtZero,
  openKeyShare,
  PaillierEncryptor,
  PaillierError,
  PaillierErrorCode,
  publishDealerOutput,
  SHARE_PROOF_CHALLENGE_BITS,
  sealKeyShare,
  ThresholdDealer,
  thresholdParameters,
  thresholdParametersFromJson,
  thresholdParametersToJson,
  thresholdPublicKeyCommitment,
  verifyDecryptionShare,
  verifyDecryptionShareBatch,
} from "../../../sdk/paillier/index.ts";
import { subsets, testDealer } from "./support.ts";

const isCode = (code: PaillierErrorCode) => (e: unknown) => e instanceof PaillierError && e.code === code;

describe("paillier/threshold: every t-of-l, every subset", () => {
  for (let l = 1; l <= 5; l++) {
    for (let t = 1; t <= l; t++) {
      it(`${t}-of-${l}: all ${subsets(l, t).length} subsets of size ${t} decrypt`, () => {
        const dealer = testDealer(l, t);
        const params = dealer.parameters;
        const m = randomBelow(params.publicKey.n);
        const c = new PaillierEncryptor(params.publicKey).encrypt(m);
        const shares = Array.from({ length: l }, (_, i) => createDecryptionShare(dealer.keyShare(i + 1), c));
        for (const s of shares) assert.deepEqual(verifyDecryptionShare(params, c, s), { valid: true });
        for (const subset of subsets(l, t)) {
          const chosen = subset.map((i) => shares[i - 1] as DecryptionShare);
          const result = combineDecryptionShares(params, c, chosen);
          assert.equal(result.plaintext, m, `subset ${subset.join(",")}`);
          assert.deepEqual(result.used, subset);
          assert.deepEqual(result.rejected, []);
        }
        if (t > 1) {
          // any t − 1 shares are not enough
          assert.throws(
            () => combineDecryptionShares(params, c, shares.slice(0, t - 1)),
            (e: unknown) => e instanceof InsufficientSharesError && e.badIndices.length === 0,
          );
        }
      });
    }
  }

  it("Lagrange coefficients at zero are integers that interpolate Δ·f(0)", () => {
    const delta = 120n;
    const f = (x: bigint) => 17n + 5n * x + 3n * x * x; // degree 2, t = 3
    for (const S of subsets(5, 3)) {
      const sum = S.reduce((acc, i) => acc + lagrangeAtZero(S, i, delta) * f(BigInt(i)), 0n);
      assert.equal(sum, delta * 17n, `S = ${S}`);
    }
  });
});

describe("paillier/threshold: malicious shares", () => {
  const dealer = () => testDealer(5, 3);
  const setup = () => {
    const d = dealer();
    const params = d.parameters;
    const enc = new PaillierEncryptor(params.publicKey);
    const m = randomBelow(params.publicKey.n);
    const c = enc.encrypt(m);
    const other = enc.encrypt(m); // same plaintext, different ciphertext
    const shares = [1, 2, 3, 4, 5].map((i) => createDecryptionShare(d.keyShare(i), c));
    return { d, params, m, c, other, shares };
  };
  const share = (shares: DecryptionShare[], i: number) => shares[i - 1] as DecryptionShare;

  it("a share with the wrong exponent fails its proof", () => {
    const { d, params, c } = setup();
    const honest = d.keyShare(2);
    // A member that uses s_i + 1 (or any other exponent) can only prove knowledge of that exponent,
    // which does not match its verification key v_i = v^(Δ·s_i).
    const wrong = createDecryptionShare({ ...honest, secret: honest.secret + 1n }, c);
    assert.equal(verifyDecryptionShare(params, c, wrong).valid, false);
    // The same with the honest proof attached to a wrong value.
    const good = createDecryptionShare(honest, c);
    const forged = { ...good, value: (good.value * c) % params.publicKey.nSquared };
    assert.deepEqual(verifyDecryptionShare(params, c, forged), {
      valid: false,
      reason: "proof does not verify",
    });
  });

  it("a tampered proof fails: challenge, response, and a proof borrowed from another member", () => {
    const { params, c, shares } = setup();
    const s = share(shares, 1);
    const bad = [
      { ...s, proof: { ...s.proof, response: s.proof.response + 1n } },
      { ...s, proof: { ...s.proof, challenge: s.proof.challenge ^ 1n } },
      { ...s, proof: share(shares, 2).proof },
      { ...s, proof: { ...s.proof, response: -1n } },
      { ...s, proof: { ...s.proof, response: s.proof.response << 5000n } },
      { ...s, proof: { ...s.proof, challenge: 1n << BigInt(SHARE_PROOF_CHALLENGE_BITS) } },
    ];
    for (const b of bad) assert.equal(verifyDecryptionShare(params, c, b).valid, false);
  });

  it("a share replayed from another ciphertext fails its proof", () => {
    const { d, params, c, other } = setup();
    const replayed = createDecryptionShare(d.keyShare(4), other);
    assert.equal(verifyDecryptionShare(params, other, replayed).valid, true);
    assert.deepEqual(verifyDecryptionShare(params, c, replayed), {
      valid: false,
      reason: "proof does not verify",
    });
  });

  it("a share relabelled with another member's index fails", () => {
    const { params, c, shares } = setup();
    const relabelled = { ...share(shares, 2), index: 3 };
    assert.equal(verifyDecryptionShare(params, c, relabelled).valid, false);
    assert.deepEqual(verifyDecryptionShare(params, c, { ...share(shares, 2), index: 9 }), {
      valid: false,
      reason: "index is not a committee index",
    });
    assert.deepEqual(verifyDecryptionShare(params, c, { ...share(shares, 2), value: 0n }), {
      valid: false,
      reason: "share value is outside (0, n²)",
    });
  });

  it("bad shares are excluded and combination succeeds with t valid ones", () => {
    const { d, params, m, c, other, shares } = setup();
    const replayed = createDecryptionShare(d.keyShare(1), other);
    const submitted = [
      replayed, // member 1: replay
      { ...share(shares, 2), proof: { ...share(shares, 2).proof, response: 7n } }, // member 2: bad proof
      share(shares, 3),
      share(shares, 3), // duplicate
      share(shares, 4),
      share(shares, 5),
    ];
    const result = combineDecryptionShares(params, c, submitted);
    assert.equal(result.plaintext, m);
    assert.deepEqual(result.used, [3, 4, 5]);
    assert.deepEqual(
      result.rejected.map((r) => [r.index, r.reason]),
      [
        [1, "proof does not verify"],
        [2, "proof does not verify"],
        [3, "duplicate index"],
      ],
    );
  });

  it("fewer than t valid shares fails with a typed error naming the bad shares", () => {
    const { d, params, c, other, shares } = setup();
    const wrongExponent = createDecryptionShare({ ...d.keyShare(4), secret: 5n }, c);
    const submitted = [
      createDecryptionShare(d.keyShare(1), other), // replay
      share(shares, 2),
      wrongExponent,
      share(shares, 5),
    ];
    assert.throws(
      () => combineDecryptionShares(params, c, submitted),
      (e: unknown) => {
        assert.ok(e instanceof InsufficientSharesError);
        assert.equal(e.code, PaillierErrorCode.InsufficientShares);
        assert.equal(e.threshold, 3);
        assert.deepEqual(e.validIndices, [2, 5]);
        assert.deepEqual(e.badIndices, [1, 4]);
        assert.match(
          e.message,
          /only 2 valid decryption share\(s\), 3 needed; invalid shares from member\(s\) 1, 4/,
        );
        assert.match(e.message, /member 1: proof does not verify; member 4: proof does not verify/);
        return true;
      },
    );
  });

  it("stopAtThreshold verifies only until t shares are valid", () => {
    const { params, m, c, shares } = setup();
    const bad = { ...share(shares, 5), proof: { ...share(shares, 5).proof, response: 1n } };
    const result = combineDecryptionShares(params, c, [...shares.slice(0, 3), bad], {
      stopAtThreshold: true,
    });
    assert.equal(result.plaintext, m);
    assert.deepEqual(result.rejected, []);
  });

  it("refuses ciphertexts that are not units mod n²", () => {
    const { d, params } = setup();
    assert.throws(
      () => createDecryptionShare(d.keyShare(1), params.publicKey.n),
      isCode(PaillierErrorCode.InvalidCiphertext),
    );
    assert.throws(
      () => createDecryptionShare(d.keyShare(1), 0n),
      isCode(PaillierErrorCode.InvalidCiphertext),
    );
  });
});

describe("paillier/threshold: batches", () => {
  it("batched shares of a vector combine to every plaintext; a bad batch is excluded", () => {
    const d = testDealer(5, 3);
    const params = d.parameters;
    const enc = new PaillierEncryptor(params.publicKey);
    const ms = Array.from({ length: 12 }, () => randomBelow(params.publicKey.n));
    const cs = enc.encryptMany(ms);
    const progress: number[] = [];
    const batches = [1, 2, 3, 4, 5].map((i) =>
      createDecryptionShareBatch(d.keyShare(i), cs, { onProgress: (done) => progress.push(done) }),
    );
    assert.equal(progress.at(-1), 12);
    for (const b of batches) assert.deepEqual(verifyDecryptionShareBatch(params, cs, b), { valid: true });
    const ok = combineDecryptionShareBatches(
      params,
      cs,
      [batches[4], batches[0], batches[2]].filter((b) => b !== undefined),
    );
    assert.deepEqual(ok.plaintexts, ms);
    assert.deepEqual(ok.used, [5, 1, 3]);

    const b2 = batches[1];
    const b4 = batches[3];
    assert.ok(b2 && b4);
    // one wrong value in the middle of a batch
    const tampered = {
      ...b2,
      values: b2.values.map((v, j) => (j === 7 ? (v * v) % params.publicKey.nSquared : v)),
    };
    assert.equal(verifyDecryptionShareBatch(params, cs, tampered).valid, false);
    // a batch made for another vector (replay), a truncated batch, a reordered vector
    const otherCs = enc.encryptMany(ms);
    const replayed = createDecryptionShareBatch(d.keyShare(4), otherCs);
    assert.equal(verifyDecryptionShareBatch(params, cs, replayed).valid, false);
    assert.equal(verifyDecryptionShareBatch(params, cs, { ...b4, values: b4.values.slice(1) }).valid, false);
    assert.equal(verifyDecryptionShareBatch(params, [...cs].reverse(), b4).valid, false);
    // values computed with the wrong exponent (e.g. by a faulty worker) do not verify
    const wrongValues = createDecryptionShareBatch(d.keyShare(2), cs, { values: b4.values });
    assert.equal(verifyDecryptionShareBatch(params, cs, wrongValues).valid, false);

    const result = combineDecryptionShareBatches(params, cs, [tampered, replayed, ...batches.slice(2)]);
    assert.deepEqual(result.plaintexts, ms);
    assert.deepEqual(result.used, [3, 4, 5]);
    assert.deepEqual(
      result.rejected.map((r) => r.index),
      [2, 4],
    );
    // a valid batch after the bad one from the same member still counts; a second valid one does not
    const again = combineDecryptionShareBatches(
      params,
      cs,
      [replayed, b4, b4, batches[0], batches[2]].filter((b) => b !== undefined),
    );
    assert.deepEqual(again.used, [4, 1, 3]);
    assert.deepEqual(
      again.rejected.map((r) => [r.index, r.reason]),
      [
        [4, "proof does not verify"],
        [4, "duplicate index"],
      ],
    );
    assert.throws(
      () => combineDecryptionShareBatches(params, cs, [tampered, replayed, ...batches.slice(3)]),
      (e: unknown) => e instanceof InsufficientSharesError && e.badIndices.join() === "2,4",
    );
  });

  it("JSON forms of shares and batches round-trip", () => {
    const d = testDealer(3, 2);
    const params = d.parameters;
    const c = new PaillierEncryptor(params.publicKey).encrypt(42n);
    const s = createDecryptionShare(d.keyShare(2), c);
    const parsed = decryptionShareFromJson(JSON.parse(JSON.stringify(decryptionShareToJson(s))));
    assert.deepEqual(parsed, s);
    const b = createDecryptionShareBatch(d.keyShare(1), [c]);
    const pb = decryptionShareBatchFromJson(JSON.parse(JSON.stringify(decryptionShareBatchToJson(b))));
    assert.deepEqual(pb, b);
    assert.equal(
      combineDecryptionShareBatches(
        params,
        [c],
        [pb, { ...b, index: 3 }, createDecryptionShareBatch(d.keyShare(3), [c])],
      ).plaintexts[0],
      42n,
    );
  });
});

describe("paillier/threshold: dealer", () => {
  it("publishes verification keys consistent with the shares and a commitment to the public key", () => {
    const d = testDealer(4, 2);
    const params = d.parameters;
    assert.equal(params.verificationKeys.length, 4);
    for (let i = 1; i <= 4; i++) checkThresholdKeyShare(d.keyShare(i));
    assert.throws(
      () => checkThresholdKeyShare({ ...d.keyShare(1), secret: d.keyShare(1).secret + 1n }),
      isCode(PaillierErrorCode.InvalidKeyShare),
    );
    assert.throws(
      () => checkThresholdKeyShare({ ...d.keyShare(1), index: 2 }),
      isCode(PaillierErrorCode.InvalidKeyShare),
    );
    assert.match(d.commitment, /^0x[0-9a-f]{64}$/);
    assert.equal(thresholdPublicKeyCommitment(params), d.commitment);
    const json = thresholdParametersToJson(params);
    const parsed = thresholdParametersFromJson(JSON.parse(JSON.stringify(json)), {
      insecureTestKeyBits: 256,
    });
    assert.equal(thresholdPublicKeyCommitment(parsed), d.commitment);
    assert.throws(() => thresholdParametersFromJson(json), isCode(PaillierErrorCode.InvalidKeySize));
    const changed = thresholdParameters({ ...params, threshold: 3 });
    assert.notEqual(thresholdPublicKeyCommitment(changed), d.commitment);
    assert.throws(
      () => thresholdParameters({ ...params, verificationKeys: params.verificationKeys.slice(1) }),
      isCode(PaillierErrorCode.InvalidArgument),
    );
    assert.throws(
      () => new ThresholdDealer({ committeeSize: 3, threshold: 4, insecureTestKeyBits: 256 }),
      isCode(PaillierErrorCode.InvalidArgument),
    );
  });

  it("decrypts with CRT and computes share values with CRT equal to members' shares", () => {
    const d = testDealer(3, 2);
    const m = randomBelow(d.publicKey.n);
    const c = new PaillierEncryptor(d.publicKey).encrypt(m);
    assert.equal(d.decrypt(c), m);
    for (let i = 1; i <= 3; i++)
      assert.equal(d.decryptionShareValue(i, c), createDecryptionShare(d.keyShare(i), c).value);
  });

  it("seals each share to its member's X25519 key; members open and check them", async () => {
    const d = new ThresholdDealer({ committeeSize: 3, threshold: 2, insecureTestKeyBits: 256 });
    const secrets = [1, 2, 3].map(() => x25519.utils.randomSecretKey());
    const members = secrets.map((sk, k) => ({ index: k + 1, publicKey: x25519.getPublicKey(sk) }));
    const jobId = 77n;
    const output = await publishDealerOutput(d, [...members].reverse(), jobId);
    assert.equal(output.publicKeyCommitment, d.commitment);
    assert.deepEqual(
      output.sealedShares.map((s) => s.index),
      [1, 2, 3],
    );
    const expected = [1, 2, 3].map((i) => d.keyShare(i).secret);
    d.forget();
    assert.equal(d.forgotten, true);
    assert.throws(() => d.keyShare(1), isCode(PaillierErrorCode.KeyForgotten));
    assert.throws(() => d.decrypt(1n), isCode(PaillierErrorCode.KeyForgotten));
    assert.doesNotThrow(() => d.forget());

    // Members receive only the JSON output and their own secret key.
    const published = JSON.parse(JSON.stringify(output)) as typeof output;
    const params = thresholdParametersFromJson(published.parameters, { insecureTestKeyBits: 256 });
    assert.equal(thresholdPublicKeyCommitment(params), published.publicKeyCommitment);
    const shares = await Promise.all(
      published.sealedShares.map((s, k) => openKeyShare(s, secrets[k] as Uint8Array, jobId, params)),
    );
    assert.deepEqual(
      shares.map((s) => s.secret),
      expected,
    );
    // The opened shares decrypt.
    const c = new PaillierEncryptor(params.publicKey).encrypt(1234n);
    assert.equal(
      combineDecryptionShares(
        params,
        c,
        shares.slice(1).map((s) => createDecryptionShare(s, c)),
      ).plaintext,
      1234n,
    );

    const sealed = published.sealedShares[0];
    assert.ok(sealed);
    const fails = async (p: Promise<unknown>) =>
      assert.rejects(p, isCode(PaillierErrorCode.SealedShareInvalid));
    await fails(openKeyShare(sealed, secrets[1] as Uint8Array, jobId, params)); // another member's key
    await fails(openKeyShare(sealed, secrets[0] as Uint8Array, jobId + 1n, params)); // another job
    await fails(openKeyShare({ ...sealed, index: 2 }, secrets[0] as Uint8Array, jobId, params)); // moved slot
    const flipped =
      `${sealed.envelope.slice(0, -2)}${sealed.envelope.endsWith("00") ? "01" : "00"}` as `0x${string}`;
    await fails(openKeyShare({ ...sealed, envelope: flipped }, secrets[0] as Uint8Array, jobId, params)); // tampered
    const otherParams = thresholdParameters({ ...params, threshold: 3 });
    await fails(openKeyShare(sealed, secrets[0] as Uint8Array, jobId, otherParams)); // other key
  });

  it("a share sealed correctly but inconsistent with the verification key is refused on opening", async () => {
    const d = testDealer(3, 2);
    const sk = x25519.utils.randomSecretKey();
    const share = d.keyShare(2);
    const sealed = await sealKeyShare({ ...share, secret: share.secret + 1n }, x25519.getPublicKey(sk), 5n);
    await assert.rejects(
      openKeyShare(sealed, sk, 5n, d.parameters),
      isCode(PaillierErrorCode.InvalidKeyShare),
    );
    assert.equal(
      (await openKeyShare(await sealKeyShare(share, x25519.getPublicKey(sk), 5n), sk, 5n, d.parameters))
        .secret,
      share.secret,
    );
  });

  it("publishDealerOutput needs each member index exactly once", async () => {
    const d = testDealer(3, 2);
    const pk = x25519.getPublicKey(x25519.utils.randomSecretKey());
    await assert.rejects(
      publishDealerOutput(
        d,
        [
          { index: 1, publicKey: pk },
          { index: 1, publicKey: pk },
          { index: 3, publicKey: pk },
        ],
        1n,
      ),
      isCode(PaillierErrorCode.InvalidArgument),
    );
  });
});
