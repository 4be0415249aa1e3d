// One-shot encryption and decryption of whole envelopes held in memory. Chunks go through WebCrypto
// a few at a time (see ONE_SHOT_WINDOW) and are written into one preallocated output buffer.
import { EnvelopeError } from "./errors.ts";
import {
  ENVELOPE_HEADER_LENGTH,
  ENVELOPE_TAG_LENGTH,
  envelopeChunkCount,
  envelopeLength,
  parseEnvelopeHeader,
} from "./format.ts";
import { sealChunk } from "./keySchedule.ts";
import {
  type ChunkResult,
  checkOpenOptions,
  importChunkKeys,
  type OpenOptions,
  openFinalChunk,
  openMiddleChunk,
  prepareOpening,
  prepareSealing,
  type SealOptions,
  settle,
} from "./session.ts";

/**
 * Chunk operations in flight at once. WebCrypto runs each call off the main thread (Node: the
 * libuv pool) with a fixed per-call cost of tens of microseconds; keeping several in flight hides
 * that cost and, on multi-core machines, runs chunks in parallel. Memory stays bounded by the
 * window times the chunk size on top of the input and output buffers.
 */
const ONE_SHOT_WINDOW = 8;

/** Options of {@link encryptEnvelope}. */
export type EncryptEnvelopeOptions = SealOptions & {
  /** The bytes to encrypt (any length, including 0). */
  readonly plaintext: Uint8Array;
};

/** Options of {@link decryptEnvelope}. */
export type DecryptEnvelopeOptions = OpenOptions & {
  /** A whole envelope: header followed by every chunk, nothing after the last one. */
  readonly envelope: Uint8Array;
};

/**
 * Runs `count` chunk operations in index order with at most `window` in flight, and throws the
 * error of the lowest failing index (the same error a stream would report first). On failure it
 * waits for the operations still in flight, so none writes after the caller wipes the output.
 */
async function runInOrder(
  count: number,
  window: number,
  start: (index: number) => Promise<ChunkResult>,
  done: (index: number, bytes: Uint8Array) => void,
): Promise<void> {
  const inFlight: Promise<ChunkResult>[] = [];
  let next = 0;
  for (let index = 0; index < count; index++) {
    while (next < count && inFlight.length < window) inFlight.push(start(next++));
    const result = (await inFlight.shift()) as ChunkResult;
    if ("error" in result) {
      await Promise.all(inFlight);
      throw result.error;
    }
    done(index, result.bytes);
  }
}

/**
 * Encrypts `plaintext` to `recipientPublicKey` for job `jobId`: a fresh ephemeral X25519 key and
 * salt, then AES-256-GCM chunks of `chunkSize` plaintext bytes (sdk/envelope/FORMAT.md).
 * The result is byte-for-byte what {@link createEncryptStream} produces for the same inputs.
 *
 * @throws {EnvelopeError} `Malformed` for a key that is not 32 bytes, a job id outside uint256 or a
 * chunk size outside 1 KiB..16 MiB; `LowOrderKey` for a low-order recipient key.
 * @example
 * const envelope = await encryptEnvelope({ recipientPublicKey: attestedEncKey, jobId: 7n, plaintext });
 */
export async function encryptEnvelope(options: EncryptEnvelopeOptions): Promise<Uint8Array> {
  const { plaintext } = options;
  if (!(plaintext instanceof Uint8Array))
    throw new EnvelopeError("Malformed", "plaintext must be a Uint8Array");
  const { header, chunkSize, material } = prepareSealing(options);
  const keys = await importChunkKeys(material);
  const count = envelopeChunkCount(plaintext.length, chunkSize);
  const out = new Uint8Array(envelopeLength(plaintext.length, chunkSize));
  out.set(header, 0);
  await runInOrder(
    count,
    ONE_SHOT_WINDOW,
    (index) => {
      const start = index * chunkSize;
      const chunk = plaintext.subarray(start, Math.min(plaintext.length, start + chunkSize));
      return settle(sealChunk(keys, index, index === count - 1, chunk));
    },
    (index, bytes) => out.set(bytes, ENVELOPE_HEADER_LENGTH + index * (chunkSize + ENVELOPE_TAG_LENGTH)),
  );
  return out;
}

/**
 * Decrypts a whole envelope made for `jobId` with the recipient's secret key. Nothing is returned
 * unless every chunk authenticates in its position and the chunk flagged last ends the input.
 *
 * @throws {EnvelopeError} header errors (`Malformed`, `UnknownVersion`, `UnknownSuite`,
 * `Truncated`), `WrongJob` (checked before any cryptography), `LowOrderKey`,
 * `AuthenticationFailed` (wrong key, tampering, reordered/dropped/duplicated/substituted chunks),
 * `Truncated` (input ends before the last chunk), `TrailingData` (bytes after the last chunk).
 * @example
 * const plaintext = await decryptEnvelope({ recipientSecretKey, jobId: 7n, envelope });
 */
export async function decryptEnvelope(options: DecryptEnvelopeOptions): Promise<Uint8Array> {
  checkOpenOptions(options);
  const { envelope } = options;
  const header = parseEnvelopeHeader(envelope);
  const keys = await importChunkKeys(prepareOpening(header, options));
  const { chunkSize } = header;
  const stride = chunkSize + ENVELOPE_TAG_LENGTH;
  const body = envelope.subarray(ENVELOPE_HEADER_LENGTH);
  // Every chunk but the last is exactly `stride` bytes and must be followed by more bytes; the last
  // is whatever remains (1..stride bytes; 0 when nothing follows the header).
  const count = Math.max(1, Math.ceil(body.length / stride));
  const finalLength = body.length - (count - 1) * stride;
  // A final piece shorter than a tag fails as Truncated, but only after the chunks before it.
  const out = new Uint8Array((count - 1) * chunkSize + Math.max(0, finalLength - ENVELOPE_TAG_LENGTH));
  try {
    await runInOrder(
      count,
      ONE_SHOT_WINDOW,
      (index) => {
        const chunk = body.subarray(index * stride, Math.min(body.length, (index + 1) * stride));
        return settle(
          index === count - 1
            ? openFinalChunk(keys, index, chunk, chunkSize)
            : openMiddleChunk(keys, index, chunk),
        );
      },
      (index, bytes) => out.set(bytes, index * chunkSize),
    );
  } catch (error) {
    // Chunks before the failure did authenticate, but the caller gets nothing; do not leave them around.
    out.fill(0);
    throw error;
  }
  return out;
}
