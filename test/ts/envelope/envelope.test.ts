// Envelopes (sdk/envelope): header layout and parsing; round trips one-shot and streaming (equal byte
// for byte); the known-answer vectors of vectors.json, which an independent node:crypto
// implementation produced (re-checked here by the reference encryptor below); AES-GCM interop with
// createCipheriv/createDecipheriv; every error code, each through both the one-shot and the
// streaming decryptor (same code, same message); stream memory bounds, progress, cancellation; and
// fast-check properties (round trips, any single bit flip is detected with the expected code).
import assert from "node:assert/strict";
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
} from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type AeadBackend,
  aeadBackend,
  createDecryptStream,
  createEncryptStream,
  decryptEnvelope,
  ENVELOPE_DEFAULT_CHUNK_SIZE,
  ENVELOPE_HEADER_LENGTH,
  ENVELOPE_KDF_LABEL,
  ENVELOPE_MAX_CHUNK_SIZE,
  ENVELOPE_MIN_CHUNK_SIZE,
  ENVELOPE_TAG_LENGTH,
  EnvelopeError,
  type EnvelopeErrorCode,
  encryptEnvelope,
  envelopeLength,
  generateRecipientKeyPair,
  parseEnvelopeHeader,
  setAeadBackend,
} from "../../../sdk/envelope/index.ts";
import { deriveKeyMaterial, sharedSecret } from "../../../sdk/envelope/keySchedule.ts";
import { nodeCryptoAead } from "../../../sdk/envelope/node.ts";
import { BaseError } from "../../../sdk/errors.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const C = 1024; // the chunk size of most tests: small, so multi-chunk envelopes stay small
const JOB = 77n;
const RECIPIENT = generateRecipientKeyPair();
const TESTING = { ephemeralSecretKey: bytesOf(32, 11), salt: bytesOf(32, 29) };

// Low-order points of Curve25519 (u-coordinates, little-endian): 0, 1, and a point of order 8.
const ORDER_8_POINT = "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800";
const LOW_ORDER_KEYS = [new Uint8Array(32), fromHex(`01${"00".repeat(31)}`), fromHex(ORDER_8_POINT)];

type Vector = {
  name: string;
  jobId: string;
  chunkSize: number;
  recipientSecretKey: string;
  recipientPublicKey: string;
  ephemeralSecretKey: string;
  ephemeralPublicKey: string;
  salt: string;
  plaintext: string;
  sharedSecret: string;
  headerHash: string;
  aesKey: string;
  nonceBase: string;
  envelope: string;
};
const VECTORS = (
  JSON.parse(readFileSync(new URL("./vectors.json", import.meta.url), "utf8")) as { vectors: Vector[] }
).vectors;

function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, "hex"));
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** `length` bytes of a simple pattern that differs per seed (deterministic, not random). */
function bytesOf(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** A pull-driven source handing out `bytes` in pieces of `pieceSize`, counting what was pulled. */
function sourceOf(
  bytes: Uint8Array,
  pieceSize = 700,
): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= bytes.length) {
          controller.close();
          return;
        }
        const end = Math.min(bytes.length, offset + pieceSize);
        controller.enqueue(bytes.slice(offset, end));
        offset = end;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => offset };
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return concat(...parts);
}

function encryptFixed(plaintext: Uint8Array, chunkSize = C): Promise<Uint8Array> {
  return encryptEnvelope({
    recipientPublicKey: RECIPIENT.publicKey,
    jobId: JOB,
    plaintext,
    chunkSize,
    testing: TESTING,
  });
}

/** The header and the chunks (ciphertext ‖ tag each) of an envelope. */
function split(envelope: Uint8Array, chunkSize = C): { header: Uint8Array; chunks: Uint8Array[] } {
  const stride = chunkSize + ENVELOPE_TAG_LENGTH;
  const chunks: Uint8Array[] = [];
  for (let offset = ENVELOPE_HEADER_LENGTH; offset < envelope.length; offset += stride) {
    chunks.push(envelope.slice(offset, offset + stride));
  }
  return { header: envelope.slice(0, ENVELOPE_HEADER_LENGTH), chunks };
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7));
  return out;
}

/** Asserts that `run` rejects with an EnvelopeError of `code` (and chunk index, when given). */
async function rejectsWith(
  run: () => Promise<unknown>,
  code: EnvelopeErrorCode,
  chunkIndex?: number,
): Promise<EnvelopeError> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof EnvelopeError, `expected EnvelopeError ${code}, got ${String(caught)}`);
  assert.ok(caught instanceof BaseError);
  assert.equal(caught.code, code, caught.message);
  assert.ok(caught.message.startsWith(`${code}: `));
  if (chunkIndex !== undefined) {
    assert.equal(caught.chunkIndex, chunkIndex, caught.message);
    assert.match(caught.message, new RegExp(`chunk ${chunkIndex}\\b`));
  }
  return caught;
}

/**
 * Decrypts `envelope` one-shot and as a stream (odd-sized pieces, so chunks span pieces) and
 * asserts both fail with the same code, chunk index and message.
 */
async function bothRejectWith(
  envelope: Uint8Array,
  code: EnvelopeErrorCode,
  chunkIndex?: number,
  options: { jobId?: bigint; recipientSecretKey?: Uint8Array } = {},
): Promise<EnvelopeError> {
  const open = {
    recipientSecretKey: options.recipientSecretKey ?? RECIPIENT.secretKey,
    jobId: options.jobId ?? JOB,
  };
  const oneShot = await rejectsWith(() => decryptEnvelope({ ...open, envelope }), code, chunkIndex);
  const streamed = await rejectsWith(
    () => collect(createDecryptStream({ ...open, envelope: sourceOf(envelope, 333).stream })),
    code,
    chunkIndex,
  );
  assert.equal(streamed.message, oneShot.message);
  return oneShot;
}

// ---- an independent implementation of FORMAT.md on node:crypto (test only) ----------------------

const PKCS8_X25519 = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_X25519 = Buffer.from("302a300506032b656e032100", "hex");
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest();

function nodeX25519(secretKey: Uint8Array, publicKey: Uint8Array): Buffer {
  return diffieHellman({
    privateKey: createPrivateKey({
      key: Buffer.concat([PKCS8_X25519, secretKey]),
      format: "der",
      type: "pkcs8",
    }),
    publicKey: createPublicKey({ key: Buffer.concat([SPKI_X25519, publicKey]), format: "der", type: "spki" }),
  });
}

/** AES key and nonce base per FORMAT.md, computed with node:crypto only. */
function nodeKeySchedule(
  recipientSecretKey: Uint8Array,
  header: Uint8Array,
): { key: Buffer; nonceBase: Buffer } {
  const recipientPublicKey = (
    createPublicKey(
      createPrivateKey({
        key: Buffer.concat([PKCS8_X25519, recipientSecretKey]),
        format: "der",
        type: "pkcs8",
      }),
    ).export({ format: "der", type: "spki" }) as Buffer
  ).subarray(SPKI_X25519.length);
  const shared = nodeX25519(recipientSecretKey, header.subarray(43, 75));
  const info = Buffer.concat([Buffer.from(ENVELOPE_KDF_LABEL), sha256(header), recipientPublicKey]);
  const okm = Buffer.from(hkdfSync("sha256", shared, header.subarray(75, 107), info, 44));
  return { key: okm.subarray(0, 32), nonceBase: okm.subarray(32) };
}

function nodeNonceAndAad(header: Uint8Array, nonceBase: Buffer, index: number, last: boolean) {
  const counter = Buffer.alloc(12);
  counter.writeBigUInt64BE(BigInt(index), 4);
  const nonce = Buffer.from(nonceBase.map((b, i) => b ^ (counter[i] as number)));
  const aad = Buffer.concat([sha256(header), counter.subarray(4), Buffer.from([last ? 1 : 0])]);
  return { nonce, aad };
}

/** Whole-envelope encryption per FORMAT.md with node:crypto (X25519, HKDF, AES-GCM). */
function nodeEncrypt(v: {
  recipientSecretKey: Uint8Array;
  ephemeralSecretKey: Uint8Array;
  salt: Uint8Array;
  jobId: bigint;
  chunkSize: number;
  plaintext: Uint8Array;
}): Uint8Array {
  const ephemeralPublicKey = (
    createPublicKey(
      createPrivateKey({
        key: Buffer.concat([PKCS8_X25519, v.ephemeralSecretKey]),
        format: "der",
        type: "pkcs8",
      }),
    ).export({ format: "der", type: "spki" }) as Buffer
  ).subarray(SPKI_X25519.length);
  const header = Buffer.alloc(ENVELOPE_HEADER_LENGTH);
  header.write("BTENV", 0, "ascii");
  header[5] = 1;
  header[6] = 1;
  header.writeUInt32BE(v.chunkSize, 7);
  Buffer.from(v.jobId.toString(16).padStart(64, "0"), "hex").copy(header, 11);
  Buffer.from(ephemeralPublicKey).copy(header, 43);
  Buffer.from(v.salt).copy(header, 75);
  const { key, nonceBase } = nodeKeySchedule(v.recipientSecretKey, header);
  const count = Math.max(1, Math.ceil(v.plaintext.length / v.chunkSize));
  const parts: Uint8Array[] = [header];
  for (let i = 0; i < count; i++) {
    const { nonce, aad } = nodeNonceAndAad(header, nonceBase, i, i === count - 1);
    const cipher = createCipheriv("aes-256-gcm", key, nonce).setAAD(aad);
    parts.push(cipher.update(v.plaintext.subarray(i * v.chunkSize, (i + 1) * v.chunkSize)), cipher.final());
    parts.push(cipher.getAuthTag());
  }
  return concat(...parts);
}

// ---- tests ------------------------------------------------------------------------------------

describe("envelope header", () => {
  it("lays out magic, version, suite, chunk size, job id, ephemeral key and salt in 107 bytes", async () => {
    const jobId = (1n << 255n) + 12345n;
    const envelope = await encryptEnvelope({
      recipientPublicKey: RECIPIENT.publicKey,
      jobId,
      plaintext: bytesOf(10, 1),
      chunkSize: 4096,
      testing: TESTING,
    });
    const header = parseEnvelopeHeader(envelope);
    assert.equal(ENVELOPE_HEADER_LENGTH, 107);
    assert.equal(Buffer.from(envelope.subarray(0, 5)).toString("ascii"), "BTENV");
    assert.deepEqual([envelope[5], envelope[6]], [1, 1]);
    assert.equal(toHex(envelope.subarray(7, 11)), "00001000");
    assert.equal(toHex(envelope.subarray(11, 43)), jobId.toString(16).padStart(64, "0"));
    assert.deepEqual(
      { version: header.version, suite: header.suite, chunkSize: header.chunkSize, jobId: header.jobId },
      { version: 1, suite: 1, chunkSize: 4096, jobId },
    );
    assert.deepEqual(header.salt, TESTING.salt);
    assert.deepEqual(header.ephemeralPublicKey, envelope.subarray(43, 75));
    assert.deepEqual(header.bytes, envelope.subarray(0, ENVELOPE_HEADER_LENGTH));
  });

  it("envelopeLength is the exact size: header + plaintext + one tag per chunk", async () => {
    for (const n of [0, 1, C - 1, C, C + 1, 3 * C, 3 * C + 5]) {
      assert.equal((await encryptFixed(bytesOf(n, 2))).length, envelopeLength(n, C), `n = ${n}`);
    }
    assert.equal(envelopeLength(1_000_000), 107 + 1_000_000 + 16 * 16);
    assert.throws(() => envelopeLength(-1), EnvelopeError);
    assert.throws(() => envelopeLength(10, 100), EnvelopeError);
  });

  it("parseEnvelopeHeader checks magic, then version, then suite, then length, then chunk size", async () => {
    const header = (await encryptFixed(new Uint8Array(0))).subarray(0, ENVELOPE_HEADER_LENGTH);
    const withByte = (offset: number, value: number) => {
      const out = header.slice();
      out[offset] = value;
      return out;
    };
    const withChunkSize = (size: number) => {
      const out = header.slice();
      new DataView(out.buffer).setUint32(7, size);
      return out;
    };
    const parse = (bytes: Uint8Array) => async () => parseEnvelopeHeader(bytes);
    await rejectsWith(parse(withByte(0, 0x41)), "Malformed");
    await rejectsWith(parse(withByte(4, 0)), "Malformed");
    await rejectsWith(parse(withByte(5, 2)), "UnknownVersion");
    await rejectsWith(parse(withByte(5, 0)), "UnknownVersion");
    await rejectsWith(parse(withByte(6, 2)), "UnknownSuite");
    await rejectsWith(parse(header.subarray(0, 106)), "Truncated");
    await rejectsWith(parse(new Uint8Array(0)), "Truncated");
    await rejectsWith(parse(new TextEncoder().encode("BTE")), "Truncated");
    await rejectsWith(parse(new TextEncoder().encode("PK\x03")), "Malformed");
    await rejectsWith(parse(withByte(5, 9).subarray(0, 6)), "UnknownVersion");
    await rejectsWith(parse(withChunkSize(ENVELOPE_MIN_CHUNK_SIZE - 1)), "Malformed");
    await rejectsWith(parse(withChunkSize(ENVELOPE_MAX_CHUNK_SIZE + 1)), "Malformed");
    await rejectsWith(parse(withChunkSize(0)), "Malformed");
    assert.equal(
      parseEnvelopeHeader(withChunkSize(ENVELOPE_MIN_CHUNK_SIZE)).chunkSize,
      ENVELOPE_MIN_CHUNK_SIZE,
    );
    assert.equal(
      parseEnvelopeHeader(withChunkSize(ENVELOPE_MAX_CHUNK_SIZE)).chunkSize,
      ENVELOPE_MAX_CHUNK_SIZE,
    );
  });
});

describe("envelope round trips", () => {
  const sizes: [string, number, number][] = [
    ["empty", 0, C],
    ["1 byte", 1, C],
    ["chunk - 1", C - 1, C],
    ["chunk", C, C],
    ["chunk + 1", C + 1, C],
    ["several chunks", 5 * C + 17, C],
    ["1 MiB, default chunk size", MiB, ENVELOPE_DEFAULT_CHUNK_SIZE],
  ];
  for (const [name, size, chunkSize] of sizes) {
    it(`${name} (${size} bytes): one-shot and streaming agree byte for byte and decrypt`, async () => {
      const plaintext = bytesOf(size, size);
      const envelope = await encryptFixed(plaintext, chunkSize);
      assert.equal(envelope.length, envelopeLength(size, chunkSize));
      const streamed = await collect(
        createEncryptStream({
          recipientPublicKey: RECIPIENT.publicKey,
          jobId: JOB,
          plaintext: sourceOf(plaintext, 1000).stream,
          chunkSize,
          testing: TESTING,
        }),
      );
      assert.deepEqual(streamed, envelope);
      const open = { recipientSecretKey: RECIPIENT.secretKey, jobId: JOB };
      assert.deepEqual(await decryptEnvelope({ ...open, envelope }), plaintext);
      assert.deepEqual(
        await collect(createDecryptStream({ ...open, envelope: sourceOf(envelope, 777).stream })),
        plaintext,
      );
    });
  }

  it("streams accept any piece sizes: 1 byte, a chunk and a bit, everything at once", async () => {
    const plaintext = bytesOf(3 * C + 100, 5);
    const envelope = await encryptFixed(plaintext);
    const open = { recipientSecretKey: RECIPIENT.secretKey, jobId: JOB };
    for (const piece of [1, C + 16, C + 17, envelope.length]) {
      const encrypted = await collect(
        createEncryptStream({
          recipientPublicKey: RECIPIENT.publicKey,
          jobId: JOB,
          plaintext: sourceOf(plaintext, piece).stream,
          chunkSize: C,
          testing: TESTING,
        }),
      );
      assert.deepEqual(encrypted, envelope, `encrypt, pieces of ${piece}`);
      const decrypted = await collect(
        createDecryptStream({ ...open, envelope: sourceOf(envelope, piece).stream }),
      );
      assert.deepEqual(decrypted, plaintext, `decrypt, pieces of ${piece}`);
    }
    // Empty pieces are skipped, not mistaken for the end.
    const withEmpty = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(0));
        controller.enqueue(plaintext.subarray(0, 10));
        controller.enqueue(new Uint8Array(0));
        controller.enqueue(plaintext.subarray(10));
        controller.close();
      },
    });
    const encrypted = await collect(
      createEncryptStream({
        recipientPublicKey: RECIPIENT.publicKey,
        jobId: JOB,
        plaintext: withEmpty,
        chunkSize: C,
        testing: TESTING,
      }),
    );
    assert.deepEqual(encrypted, envelope);
  });

  it("without the testing hook every envelope has a fresh ephemeral key and salt", async () => {
    const plaintext = bytesOf(100, 3);
    const a = await encryptEnvelope({ recipientPublicKey: RECIPIENT.publicKey, jobId: JOB, plaintext });
    const b = await encryptEnvelope({ recipientPublicKey: RECIPIENT.publicKey, jobId: JOB, plaintext });
    assert.notDeepEqual(parseEnvelopeHeader(a).ephemeralPublicKey, parseEnvelopeHeader(b).ephemeralPublicKey);
    assert.notDeepEqual(parseEnvelopeHeader(a).salt, parseEnvelopeHeader(b).salt);
    assert.equal(parseEnvelopeHeader(a).chunkSize, ENVELOPE_DEFAULT_CHUNK_SIZE);
    for (const envelope of [a, b]) {
      assert.deepEqual(
        await decryptEnvelope({ recipientSecretKey: RECIPIENT.secretKey, jobId: JOB, envelope }),
        plaintext,
      );
    }
  });

  it("does not modify its inputs", async () => {
    const plaintext = bytesOf(2 * C + 3, 8);
    const plaintextCopy = plaintext.slice();
    const testing = { ephemeralSecretKey: TESTING.ephemeralSecretKey.slice(), salt: TESTING.salt.slice() };
    const envelope = await encryptEnvelope({
      recipientPublicKey: RECIPIENT.publicKey,
      jobId: JOB,
      plaintext,
      chunkSize: C,
      testing,
    });
    const envelopeCopy = envelope.slice();
    await decryptEnvelope({ recipientSecretKey: RECIPIENT.secretKey, jobId: JOB, envelope });
    assert.deepEqual(plaintext, plaintextCopy);
    assert.deepEqual(envelope, envelopeCopy);
    assert.deepEqual(testing, TESTING);
  });
});

describe("envelope streams", () => {
  it("report progress after every chunk, in plaintext bytes", async () => {
    const plaintext = bytesOf(3 * C + 10, 4);
    const encryptProgress: number[] = [];
    const envelope = await collect(
      createEncryptStream({
        recipientPublicKey: RECIPIENT.publicKey,
        jobId: JOB,
        plaintext: sourceOf(plaintext).stream,
        chunkSize: C,
        onProgress: (n) => encryptProgress.push(n),
      }),
    );
    assert.deepEqual(encryptProgress, [C, 2 * C, 3 * C, 3 * C + 10]);
    const decryptProgress: number[] = [];
    await collect(
      createDecryptStream({
        recipientSecretKey: RECIPIENT.secretKey,
        jobId: JOB,
        envelope: sourceOf(envelope).stream,
        onProgress: (n) => decryptProgress.push(n),
      }),
    );
    assert.deepEqual(decryptProgress, encryptProgress);
  });

  it("never hold more than two chunks (plus one source piece) beyond what the consumer has read", async () => {
    const chunkSize = 16 * KiB;
    const piece = KiB;
    const plaintext = bytesOf(40 * chunkSize + 123, 6);
    let encrypted = 0;
    const source = sourceOf(plaintext, piece);
    const encryptor = createEncryptStream({
      recipientPublicKey: RECIPIENT.publicKey,
      jobId: JOB,
      plaintext: source.stream,
      chunkSize,
      onProgress: (n) => {
        encrypted = n;
      },
    });
    const parts: Uint8Array[] = [];
    let maxAhead = 0;
    for await (const part of encryptor) {
      parts.push(part);
      // Give the stream every chance to read ahead before measuring.
      await new Promise((resolve) => setTimeout(resolve, 1));
      maxAhead = Math.max(maxAhead, source.pulled() - encrypted);
    }
    assert.ok(maxAhead <= 2 * chunkSize + piece, `encryptor read ${maxAhead} bytes ahead`);
    const envelope = concat(...parts);

    let decrypted = 0;
    const envelopeSource = sourceOf(envelope, piece);
    const decryptor = createDecryptStream({
      recipientSecretKey: RECIPIENT.secretKey,
      jobId: JOB,
      envelope: envelopeSource.stream,
      onProgress: (n) => {
        decrypted = n;
      },
    });
    maxAhead = 0;
    const stride = chunkSize + ENVELOPE_TAG_LENGTH;
    for await (const _ of decryptor) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      // Envelope bytes behind the plaintext released so far (exact for full chunks).
      const consumed = ENVELOPE_HEADER_LENGTH + Math.floor(decrypted / chunkSize) * stride;
      maxAhead = Math.max(maxAhead, envelopeSource.pulled() - consumed);
    }
    assert.ok(maxAhead <= 2 * stride + piece, `decryptor read ${maxAhead} bytes ahead`);
  });

  it("cancelling the output cancels the source", async () => {
    let cancelled: unknown;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(C));
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    const output = createEncryptStream({
      recipientPublicKey: RECIPIENT.publicKey,
      jobId: JOB,
      plaintext: source,
      chunkSize: C,
    });
    const reader = output.getReader();
    await reader.read(); // header
    await reader.read(); // chunk 0
    await reader.cancel("enough");
    assert.equal(cancelled, "enough");
  });

  it("a failing source fails the output with the source's error", async () => {
    const boom = new Error("disk on fire");
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(2 * C));
        controller.error(boom);
      },
    });
    await assert.rejects(
      collect(
        createEncryptStream({
          recipientPublicKey: RECIPIENT.publicKey,
          jobId: JOB,
          plaintext: source,
          chunkSize: C,
        }),
      ),
      (error) => error === boom,
    );
  });

  it("a decryption failure cancels the source; pieces that are not bytes are Malformed", async () => {
    const envelope = flipBit(await encryptFixed(bytesOf(5 * C, 1)), (ENVELOPE_HEADER_LENGTH + 10) * 8);
    let cancelled: unknown;
    let offset = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(envelope.slice(offset, offset + 500));
        offset += 500;
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    await rejectsWith(
      () =>
        collect(
          createDecryptStream({ recipientSecretKey: RECIPIENT.secretKey, jobId: JOB, envelope: source }),
        ),
      "AuthenticationFailed",
      0,
    );
    assert.ok(cancelled instanceof EnvelopeError);
    const strings = new ReadableStream<unknown>({
      start(controller) {
        controller.enqueue("not bytes");
        controller.close();
      },
    }) as unknown as ReadableStream<Uint8Array>;
    await rejectsWith(
      () =>
        collect(
          createEncryptStream({ recipientPublicKey: RECIPIENT.publicKey, jobId: JOB, plaintext: strings }),
        ),
      "Malformed",
    );
  });
});

describe("envelope known-answer vectors (test/ts/envelope/vectors.json)", () => {
  assert.ok(VECTORS.length >= 4);
  for (const v of VECTORS) {
    it(`${v.name}: encryption reproduces the vector, decryption recovers the plaintext`, async () => {
      const options = {
        recipientPublicKey: fromHex(v.recipientPublicKey),
        jobId: BigInt(v.jobId),
        plaintext: fromHex(v.plaintext),
        chunkSize: v.chunkSize,
        testing: { ephemeralSecretKey: fromHex(v.ephemeralSecretKey), salt: fromHex(v.salt) },
      };
      assert.equal(toHex(await encryptEnvelope(options)), v.envelope);
      const streamed = await collect(
        createEncryptStream({ ...options, plaintext: sourceOf(options.plaintext, 300).stream }),
      );
      assert.equal(toHex(streamed), v.envelope);
      const open = { recipientSecretKey: fromHex(v.recipientSecretKey), jobId: BigInt(v.jobId) };
      assert.equal(toHex(await decryptEnvelope({ ...open, envelope: fromHex(v.envelope) })), v.plaintext);
      const decrypted = await collect(
        createDecryptStream({ ...open, envelope: sourceOf(fromHex(v.envelope), 300).stream }),
      );
      assert.equal(toHex(decrypted), v.plaintext);
    });

    it(`${v.name}: intermediate values match, and node:crypto reproduces the vector`, () => {
      const header = fromHex(v.envelope).subarray(0, ENVELOPE_HEADER_LENGTH);
      const shared = sharedSecret(fromHex(v.ephemeralSecretKey), fromHex(v.recipientPublicKey), "test");
      assert.equal(toHex(shared), v.sharedSecret);
      const material = deriveKeyMaterial(shared, header, fromHex(v.recipientPublicKey), fromHex(v.salt));
      assert.deepEqual(
        {
          key: toHex(material.key),
          nonceBase: toHex(material.nonceBase),
          headerHash: toHex(material.headerHash),
        },
        { key: v.aesKey, nonceBase: v.nonceBase, headerHash: v.headerHash },
      );
      const reference = nodeEncrypt({
        recipientSecretKey: fromHex(v.recipientSecretKey),
        ephemeralSecretKey: fromHex(v.ephemeralSecretKey),
        salt: fromHex(v.salt),
        jobId: BigInt(v.jobId),
        chunkSize: v.chunkSize,
        plaintext: fromHex(v.plaintext),
      });
      assert.equal(toHex(reference), v.envelope);
    });
  }

  it("includes a multi-chunk vector with chunk size 1024", () => {
    assert.ok(VECTORS.some((v) => v.chunkSize === 1024 && v.plaintext.length / 2 > 2 * 1024));
  });
});

describe("envelope AES-GCM interoperability with node:crypto", () => {
  it("a chunk made by WebCrypto opens with createDecipheriv and one made by createCipheriv opens here", async () => {
    const recipient = generateRecipientKeyPair();
    const plaintext = bytesOf(2 * C + 50, 12);
    const envelope = await encryptEnvelope({
      recipientPublicKey: recipient.publicKey,
      jobId: 9n,
      plaintext,
      chunkSize: C,
    });
    const { header, chunks } = split(envelope);
    const { key, nonceBase } = nodeKeySchedule(recipient.secretKey, header);

    const chunk0 = chunks[0] as Uint8Array;
    const { nonce, aad } = nodeNonceAndAad(header, nonceBase, 0, false);
    const decipher = createDecipheriv("aes-256-gcm", key, nonce).setAAD(aad);
    decipher.setAuthTag(chunk0.subarray(C));
    const opened = Buffer.concat([decipher.update(chunk0.subarray(0, C)), decipher.final()]);
    assert.deepEqual(new Uint8Array(opened), plaintext.subarray(0, C));

    // Replace chunk 1 by node:crypto's encryption of other bytes: it must open here.
    const other = bytesOf(C, 99);
    const at1 = nodeNonceAndAad(header, nonceBase, 1, false);
    const cipher = createCipheriv("aes-256-gcm", key, at1.nonce).setAAD(at1.aad);
    const chunk1 = concat(cipher.update(other), cipher.final(), cipher.getAuthTag());
    const spliced = concat(header, chunk0, chunk1, chunks[2] as Uint8Array);
    const decrypted = await decryptEnvelope({
      recipientSecretKey: recipient.secretKey,
      jobId: 9n,
      envelope: spliced,
    });
    assert.deepEqual(decrypted, concat(plaintext.subarray(0, C), other, plaintext.subarray(2 * C)));
  });
});

describe("envelope failures (one-shot and streaming give the same error)", () => {
  // Four chunks: 1024, 1024, 1024, 200.
  const plaintext = bytesOf(3 * C + 200, 21);
  const envelopeP = encryptFixed(plaintext);
  // Three full chunks: the last chunk is full-size.
  const fullP = encryptFixed(bytesOf(3 * C, 22));

  it("a flipped bit in each header field fails with that field's error", async () => {
    const envelope = await envelopeP;
    await bothRejectWith(flipBit(envelope, 0), "Malformed");
    await bothRejectWith(flipBit(envelope, 4 * 8 + 3), "Malformed");
    await bothRejectWith(flipBit(envelope, 5 * 8), "UnknownVersion");
    await bothRejectWith(flipBit(envelope, 6 * 8 + 1), "UnknownSuite");
    await bothRejectWith(flipBit(envelope, 7 * 8), "Malformed"); // chunk size 2^31 + 1024
    await bothRejectWith(flipBit(envelope, 10 * 8 + 1), "AuthenticationFailed", 0); // 1026, in range
    await bothRejectWith(flipBit(envelope, 42 * 8), "WrongJob");
    await bothRejectWith(flipBit(envelope, 11 * 8 + 7), "WrongJob");
    for (const byte of [43, 60, 74, 75, 90, 106]) {
      await bothRejectWith(flipBit(envelope, byte * 8 + 2), "AuthenticationFailed", 0);
    }
    // X25519 ignores the top bit of a public key, so this flip leaves the shared secret unchanged;
    // binding the header hash into the key still catches it.
    await bothRejectWith(flipBit(envelope, 74 * 8 + 7), "AuthenticationFailed", 0);
  });

  it("a flipped bit in each chunk's ciphertext and in each chunk's tag names that chunk", async () => {
    const envelope = await envelopeP;
    const { chunks } = split(envelope);
    let offset = ENVELOPE_HEADER_LENGTH;
    for (const [index, chunk] of chunks.entries()) {
      await bothRejectWith(flipBit(envelope, (offset + 5) * 8), "AuthenticationFailed", index);
      const error = await bothRejectWith(
        flipBit(envelope, (offset + chunk.length - 1) * 8 + 7),
        "AuthenticationFailed",
        index,
      );
      assert.match(error.message, /wrong recipient key/);
      assert.match(error.message, /tampered header or chunk/);
      assert.match(error.message, /reordered, dropped, duplicated or substituted chunk/);
      offset += chunk.length;
    }
  });

  it("the first failing chunk is reported when several are damaged", async () => {
    const envelope = await envelopeP;
    const stride = C + ENVELOPE_TAG_LENGTH;
    const damaged = flipBit(
      flipBit(envelope, (ENVELOPE_HEADER_LENGTH + 3 * stride + 1) * 8),
      (ENVELOPE_HEADER_LENGTH + stride + 1) * 8,
    );
    await bothRejectWith(damaged, "AuthenticationFailed", 1);
  });

  it("reordered chunks", async () => {
    const { header, chunks } = split(await envelopeP);
    const [c0, c1, c2, c3] = chunks as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    await bothRejectWith(concat(header, c0, c2, c1, c3), "AuthenticationFailed", 1);
    await bothRejectWith(concat(header, c1, c0, c2, c3), "AuthenticationFailed", 0);
  });

  it("a dropped middle chunk", async () => {
    const { header, chunks } = split(await envelopeP);
    const [c0, c1, , c3] = chunks as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    await bothRejectWith(concat(header, c0, c1, c3), "AuthenticationFailed", 2);
  });

  it("a dropped last chunk is Truncated (the stream ends on a chunk not flagged last)", async () => {
    const { header, chunks } = split(await envelopeP);
    const [c0, c1, c2] = chunks as [Uint8Array, Uint8Array, Uint8Array];
    const error = await bothRejectWith(concat(header, c0, c1, c2), "Truncated", 2);
    assert.match(error.message, /not flagged last/);
    await bothRejectWith(concat(header, c0), "Truncated", 0);
  });

  it("other truncations: inside the header, right after it, inside a tag, mid-chunk", async () => {
    const envelope = await envelopeP;
    await bothRejectWith(envelope.subarray(0, 50), "Truncated");
    await bothRejectWith(envelope.subarray(0, 0), "Truncated");
    const headerOnly = await bothRejectWith(envelope.subarray(0, ENVELOPE_HEADER_LENGTH), "Truncated", 0);
    assert.match(headerOnly.message, /ends after its header/);
    const stride = C + ENVELOPE_TAG_LENGTH;
    await bothRejectWith(envelope.subarray(0, ENVELOPE_HEADER_LENGTH + 3 * stride + 10), "Truncated", 3);
    // Cut inside a chunk's data: indistinguishable from a damaged last chunk.
    await bothRejectWith(
      envelope.subarray(0, ENVELOPE_HEADER_LENGTH + 2 * stride + 500),
      "AuthenticationFailed",
      2,
    );
  });

  it("a duplicated chunk", async () => {
    const { header, chunks } = split(await envelopeP);
    const [c0, c1, c2, c3] = chunks as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    await bothRejectWith(concat(header, c0, c0, c1, c2, c3), "AuthenticationFailed", 1);
    await bothRejectWith(concat(header, c0, c1, c1, c2, c3), "AuthenticationFailed", 2);
  });

  it("an appended chunk or appended bytes after a full-size last chunk are TrailingData", async () => {
    const full = await fullP;
    const { chunks } = split(full);
    const error = await bothRejectWith(concat(full, chunks[0] as Uint8Array), "TrailingData", 2);
    assert.match(error.message, /flagged last/);
    await bothRejectWith(concat(full, new Uint8Array([0])), "TrailingData", 2);
    await bothRejectWith(concat(full, chunks[2] as Uint8Array), "TrailingData", 2);
  });

  it("bytes appended after a short last chunk fail authentication of that chunk", async () => {
    // Chunk lengths are implied, so the decryptor cannot find where a short last chunk ends once
    // bytes follow it: it fails as a damaged chunk rather than as TrailingData. Either way, nothing
    // after the last chunk is ever accepted.
    const envelope = await envelopeP;
    const { chunks } = split(envelope);
    await bothRejectWith(concat(envelope, new Uint8Array([1, 2, 3])), "AuthenticationFailed", 3);
    await bothRejectWith(concat(envelope, chunks[0] as Uint8Array), "AuthenticationFailed", 3);
  });

  it("a chunk substituted from another envelope to the same recipient and job", async () => {
    const { header, chunks } = split(await envelopeP);
    const other = split(
      await encryptEnvelope({ recipientPublicKey: RECIPIENT.publicKey, jobId: JOB, plaintext, chunkSize: C }),
    );
    const [c0, , c2, c3] = chunks as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    await bothRejectWith(
      concat(header, c0, other.chunks[1] as Uint8Array, c2, c3),
      "AuthenticationFailed",
      1,
    );
  });

  it("a wrong job id is WrongJob, checked before any cryptography", async () => {
    const envelope = await envelopeP;
    const error = await bothRejectWith(envelope, "WrongJob", undefined, { jobId: JOB + 1n });
    assert.match(error.message, new RegExp(`job ${JOB}\\b`));
    assert.match(error.message, new RegExp(`job ${JOB + 1n}\\b`));
    // A low-order ephemeral key would fail X25519: getting WrongJob shows the job is checked first.
    const lowOrder = envelope.slice();
    lowOrder.fill(0, 43, 75);
    await bothRejectWith(lowOrder, "WrongJob", undefined, { jobId: JOB + 1n });
  });

  it("a wrong recipient key is AuthenticationFailed at chunk 0", async () => {
    const error = await bothRejectWith(await envelopeP, "AuthenticationFailed", 0, {
      recipientSecretKey: generateRecipientKeyPair().secretKey,
    });
    assert.match(error.message, /wrong recipient key/);
  });

  it("unknown version and unknown suite", async () => {
    const envelope = await envelopeP;
    const v2 = envelope.slice();
    v2[5] = 2;
    await bothRejectWith(v2, "UnknownVersion");
    const s7 = envelope.slice();
    s7[6] = 7;
    await bothRejectWith(s7, "UnknownSuite");
  });

  it("bad magic", async () => {
    const envelope = (await envelopeP).slice();
    envelope.set(new TextEncoder().encode("BTENX"), 0);
    await bothRejectWith(envelope, "Malformed");
  });

  it("low-order recipient keys are refused when encrypting, low-order ephemeral keys when decrypting", async () => {
    for (const key of LOW_ORDER_KEYS) {
      await rejectsWith(
        () => encryptEnvelope({ recipientPublicKey: key, jobId: JOB, plaintext: bytesOf(10, 1) }),
        "LowOrderKey",
      );
      // Streams check at creation: the error is thrown synchronously.
      assert.throws(
        () =>
          createEncryptStream({
            recipientPublicKey: key,
            jobId: JOB,
            plaintext: sourceOf(new Uint8Array(1)).stream,
          }),
        (error) => error instanceof EnvelopeError && error.code === "LowOrderKey",
      );
    }
    const envelope = (await envelopeP).slice();
    envelope.set(LOW_ORDER_KEYS[2] as Uint8Array, 43);
    const error = await bothRejectWith(envelope, "LowOrderKey");
    assert.match(error.message, /ephemeral public key/);
  });

  it("arguments of the wrong shape are Malformed", async () => {
    const plaintext = bytesOf(10, 1);
    const bad = [
      { recipientPublicKey: new Uint8Array(31), jobId: JOB, plaintext },
      { recipientPublicKey: RECIPIENT.publicKey, jobId: -1n, plaintext },
      { recipientPublicKey: RECIPIENT.publicKey, jobId: 1n << 256n, plaintext },
      { recipientPublicKey: RECIPIENT.publicKey, jobId: JOB, plaintext, chunkSize: 1023 },
      { recipientPublicKey: RECIPIENT.publicKey, jobId: JOB, plaintext, chunkSize: 16 * MiB + 1 },
      { recipientPublicKey: RECIPIENT.publicKey, jobId: JOB, plaintext, chunkSize: 1024.5 },
      {
        recipientPublicKey: RECIPIENT.publicKey,
        jobId: JOB,
        plaintext,
        testing: { ephemeralSecretKey: new Uint8Array(32), salt: new Uint8Array(16) },
      },
    ];
    for (const options of bad) await rejectsWith(() => encryptEnvelope(options), "Malformed");
    const envelope = await envelopeP;
    await rejectsWith(
      () => decryptEnvelope({ recipientSecretKey: new Uint8Array(33), jobId: JOB, envelope }),
      "Malformed",
    );
    await rejectsWith(
      () => decryptEnvelope({ recipientSecretKey: RECIPIENT.secretKey, jobId: -5n, envelope }),
      "Malformed",
    );
    assert.throws(
      () =>
        createDecryptStream({
          recipientSecretKey: new Uint8Array(0),
          jobId: JOB,
          envelope: sourceOf(envelope).stream,
        }),
      EnvelopeError,
    );
  });
});

describe("envelope properties (fast-check)", () => {
  it("random plaintexts and chunk sizes round-trip, one-shot and streaming", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 5000 }),
        fc.integer({ min: ENVELOPE_MIN_CHUNK_SIZE, max: 2048 }),
        fc.integer({ min: 1, max: 3000 }),
        async (plaintext, chunkSize, piece) => {
          const envelope = await encryptEnvelope({
            recipientPublicKey: RECIPIENT.publicKey,
            jobId: JOB,
            plaintext,
            chunkSize,
          });
          assert.equal(envelope.length, envelopeLength(plaintext.length, chunkSize));
          const open = { recipientSecretKey: RECIPIENT.secretKey, jobId: JOB };
          assert.deepEqual(await decryptEnvelope({ ...open, envelope }), plaintext);
          assert.deepEqual(
            await collect(createDecryptStream({ ...open, envelope: sourceOf(envelope, piece).stream })),
            plaintext,
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it("any single bit flip anywhere is detected, with the error its position implies", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 4000 }),
        fc.integer({ min: ENVELOPE_MIN_CHUNK_SIZE, max: 1536 }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        async (plaintext, chunkSize, where) => {
          const envelope = await encryptEnvelope({
            recipientPublicKey: RECIPIENT.publicKey,
            jobId: JOB,
            plaintext,
            chunkSize,
          });
          const bit = Math.floor(where * envelope.length * 8);
          const byte = bit >> 3;
          let caught: unknown;
          try {
            await decryptEnvelope({
              recipientSecretKey: RECIPIENT.secretKey,
              jobId: JOB,
              envelope: flipBit(envelope, bit),
            });
          } catch (error) {
            caught = error;
          }
          assert.ok(caught instanceof EnvelopeError, `flip of bit ${bit} went undetected`);
          const expected: EnvelopeErrorCode[] =
            byte < 5
              ? ["Malformed"]
              : byte === 5
                ? ["UnknownVersion"]
                : byte === 6
                  ? ["UnknownSuite"]
                  : byte < 11
                    ? ["Malformed", "AuthenticationFailed"]
                    : byte < 43
                      ? ["WrongJob"]
                      : ["AuthenticationFailed"];
          assert.ok(expected.includes(caught.code), `bit ${bit}: ${caught.message}`);
          if (byte >= ENVELOPE_HEADER_LENGTH) {
            assert.equal(
              caught.chunkIndex,
              Math.floor((byte - ENVELOPE_HEADER_LENGTH) / (chunkSize + ENVELOPE_TAG_LENGTH)),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("envelope AES-GCM backends (sdk/envelope/node.ts)", () => {
  /** Runs `fn` with `backend` selected, restoring the previous one afterwards. */
  async function withBackend(backend: AeadBackend, fn: () => Promise<void>): Promise<void> {
    const previous = aeadBackend();
    setAeadBackend(backend);
    try {
      await fn();
    } finally {
      setAeadBackend(previous);
    }
  }

  it("node:crypto reproduces every vector and opens envelopes made with WebCrypto, and back", async () => {
    for (const v of VECTORS) {
      const options = {
        recipientPublicKey: fromHex(v.recipientPublicKey),
        jobId: BigInt(v.jobId),
        plaintext: fromHex(v.plaintext),
        chunkSize: v.chunkSize,
        testing: { ephemeralSecretKey: fromHex(v.ephemeralSecretKey), salt: fromHex(v.salt) },
      };
      const open = { recipientSecretKey: fromHex(v.recipientSecretKey), jobId: BigInt(v.jobId) };
      await withBackend(nodeCryptoAead, async () => {
        assert.equal(aeadBackend().name, "node:crypto");
        assert.equal(toHex(await encryptEnvelope(options)), v.envelope);
        assert.equal(toHex(await decryptEnvelope({ ...open, envelope: fromHex(v.envelope) })), v.plaintext);
      });
    }
    const plaintext = bytesOf(5 * C + 17, 3);
    const byWebCrypto = await encryptFixed(plaintext);
    await withBackend(nodeCryptoAead, async () => {
      assert.deepEqual(
        await decryptEnvelope({ recipientSecretKey: RECIPIENT.secretKey, jobId: JOB, envelope: byWebCrypto }),
        plaintext,
      );
    });
  });

  it("node:crypto detects a flipped bit in any chunk and a wrong key, like WebCrypto", async () => {
    const plaintext = bytesOf(3 * C + 5, 8);
    const envelope = await encryptFixed(plaintext);
    // Other test files of the same process may have switched the backend: restore means "as before".
    const previous = aeadBackend();
    await withBackend(nodeCryptoAead, async () => {
      for (const bit of [
        ENVELOPE_HEADER_LENGTH * 8 + 3,
        (ENVELOPE_HEADER_LENGTH + C + 16) * 8 + 100,
        envelope.length * 8 - 1,
      ]) {
        await rejectsWith(
          () =>
            decryptEnvelope({
              recipientSecretKey: RECIPIENT.secretKey,
              jobId: JOB,
              envelope: flipBit(envelope, bit),
            }),
          "AuthenticationFailed",
        );
      }
      const other = generateRecipientKeyPair();
      await rejectsWith(
        () => decryptEnvelope({ recipientSecretKey: other.secretKey, jobId: JOB, envelope }),
        "AuthenticationFailed",
      );
    });
    assert.equal(aeadBackend(), previous, "the previous backend is restored");
  });
});
