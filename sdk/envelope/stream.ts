// Streaming encryption and decryption over Web Streams (Node 22 and browsers). Both are pull-driven
// ReadableStreams: the source is read only when the consumer asks for output (plus one chunk of
// read-ahead), so memory stays at about two chunks whatever the stream's length, and a slow
// consumer slows the source down instead of filling a queue.
import { EnvelopeError } from "./errors.ts";
import { ENVELOPE_HEADER_LENGTH, ENVELOPE_TAG_LENGTH, parseEnvelopeHeader } from "./format.ts";
import { type ChunkKeys, sealChunk } from "./keySchedule.ts";
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
 * Chunk operations in flight per stream. Two let WebCrypto work on chunk i + 1 while chunk i is
 * handed to the consumer, at the cost of holding one more chunk.
 */
const STREAM_WINDOW = 2;

/** Called after each chunk with the total number of plaintext bytes processed so far. */
export type EnvelopeProgress = (plaintextBytes: number) => void;

/** Options of {@link createEncryptStream}. */
export type EncryptStreamOptions = SealOptions & {
  /** The plaintext, in pieces of any size. The stream locks it and cancels it if the output is cancelled. */
  readonly plaintext: ReadableStream<Uint8Array>;
  /** Called after each chunk is encrypted, with the plaintext bytes encrypted so far. */
  readonly onProgress?: EnvelopeProgress | undefined;
};

/** Options of {@link createDecryptStream}. */
export type DecryptStreamOptions = OpenOptions & {
  /** The envelope bytes, in pieces of any size. The stream locks it and cancels it on failure. */
  readonly envelope: ReadableStream<Uint8Array>;
  /** Called after each chunk is authenticated and released, with the plaintext bytes released so far. */
  readonly onProgress?: EnvelopeProgress | undefined;
};

/**
 * FIFO of byte pieces. `take` returns a view into a piece when the bytes lie inside one (the usual
 * case with large reads) and copies only when a chunk spans pieces.
 */
class ByteQueue {
  #pieces: Uint8Array[] = [];
  #first = 0;
  #offset = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(piece: unknown): void {
    if (!(piece instanceof Uint8Array)) {
      throw new EnvelopeError("Malformed", `the source stream produced a ${typeof piece}, not a Uint8Array`);
    }
    if (piece.length === 0) return;
    this.#pieces.push(piece);
    this.#length += piece.length;
  }

  take(length: number): Uint8Array {
    const head = this.#pieces[this.#first];
    let out: Uint8Array;
    if (head && head.length - this.#offset >= length) {
      out = head.subarray(this.#offset, this.#offset + length);
      this.#advance(length);
    } else {
      out = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        const piece = this.#pieces[this.#first] as Uint8Array;
        const n = Math.min(piece.length - this.#offset, length - filled);
        out.set(piece.subarray(this.#offset, this.#offset + n), filled);
        filled += n;
        this.#advance(n);
      }
    }
    // Drop consumed pieces in batches: shifting one at a time is quadratic for many tiny pieces.
    if (this.#first > 64 || this.#first === this.#pieces.length) {
      this.#pieces = this.#pieces.slice(this.#first);
      this.#first = 0;
    }
    return out;
  }

  takeAll(): Uint8Array {
    return this.take(this.#length);
  }

  #advance(n: number): void {
    this.#length -= n;
    this.#offset += n;
    if (this.#offset === (this.#pieces[this.#first] as Uint8Array).length) {
      this.#first++;
      this.#offset = 0;
    }
  }
}

/**
 * Reads the source until more than `threshold` bytes are queued or it ends. Returns whether it ended.
 * More than (not exactly) `threshold`: a full chunk is only known not to be last once a byte follows.
 */
async function fill(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  queue: ByteQueue,
  threshold: number,
): Promise<boolean> {
  while (queue.length <= threshold) {
    const { done, value } = await reader.read();
    if (done) return true;
    queue.push(value);
  }
  return false;
}

/**
 * A chunk operation that has started. Boxed because an async function returning a bare promise
 * would wait for it, and the window would never hold more than one operation.
 */
type StartedChunk = { readonly result: Promise<ChunkResult> };

/**
 * The machinery both streams share: `begin` once (header), then a window of chunk operations
 * started in order, results handed out in order, the first failure (or a source error) ending the
 * stream and cancelling the source. Every pull enqueues, closes or errors.
 */
function chunkPipeline(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  begin: (controller: ReadableStreamDefaultController<Uint8Array>) => Promise<boolean>,
  nextOperation: () => Promise<StartedChunk | undefined>,
  onProgress: EnvelopeProgress | undefined,
): ReadableStream<Uint8Array> {
  const inFlight: Promise<ChunkResult>[] = [];
  let begun = false;
  let exhausted = false;
  let processed = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (!begun) {
            begun = true;
            // The encryptor's header is output of its own and answers this read. A pull that
            // returns without enqueueing would leave the pending read waiting forever.
            if (await begin(controller)) return;
          }
          // Filling the window reads the source for the next chunk before this one is handed out:
          // one chunk of read-ahead, which keeps WebCrypto busy while the consumer works.
          while (!exhausted && inFlight.length < STREAM_WINDOW) {
            const operation = await nextOperation();
            if (operation) inFlight.push(operation.result);
            else exhausted = true;
          }
          const result = await inFlight.shift();
          if (result === undefined) {
            controller.close();
            return;
          }
          if ("error" in result) throw result.error;
          if (result.bytes.length > 0) controller.enqueue(result.bytes);
          processed += result.plaintextLength;
          onProgress?.(processed);
          if (exhausted && inFlight.length === 0) controller.close();
        } catch (error) {
          // Release the source too: nothing will read it again.
          reader.cancel(error).catch(() => {});
          throw error;
        }
      },
      async cancel(reason) {
        await reader.cancel(reason);
      },
    },
    // No read-ahead beyond the window: pull runs only when the consumer has asked for output.
    { highWaterMark: 0 },
  );
}

/**
 * Encrypts a plaintext stream into an envelope stream: the header first, then one piece per chunk.
 * The concatenated output is byte-for-byte what {@link encryptEnvelope} returns for the same inputs
 * (with the same `testing` key and salt). It holds about two chunks in memory at any time.
 *
 * Arguments are checked, and the ephemeral key drawn, when the stream is created: a bad key or a
 * low-order recipient key throws here, not at the first read.
 *
 * @throws {EnvelopeError} `Malformed` or `LowOrderKey`, synchronously; a source that errors makes
 * the output error with the same reason.
 * @example
 * const file = await fetch(datasetUrl); // or, in a browser, input.files[0].stream()
 * const envelope = createEncryptStream({ recipientPublicKey, jobId, plaintext: file.body!, onProgress });
 * for await (const piece of envelope) await upload.write(piece);
 */
export function createEncryptStream(options: EncryptStreamOptions): ReadableStream<Uint8Array> {
  const { header, chunkSize, material } = prepareSealing(options);
  const reader = options.plaintext.getReader();
  const queue = new ByteQueue();
  let keys: ChunkKeys | undefined;
  let index = 0;
  let lastStarted = false;
  return chunkPipeline(
    reader,
    async (controller) => {
      keys = await importChunkKeys(material);
      controller.enqueue(header);
      return true;
    },
    async () => {
      if (lastStarted) return undefined;
      const ended = await fill(reader, queue, chunkSize);
      const last = ended && queue.length <= chunkSize;
      const plaintext = last ? queue.takeAll() : queue.take(chunkSize);
      lastStarted = last;
      return { result: settle(sealChunk(keys as ChunkKeys, index++, last, plaintext), plaintext.length) };
    },
    options.onProgress,
  );
}

/**
 * Decrypts an envelope stream into the plaintext stream, one piece per chunk. A chunk is released
 * only after it authenticated in its position, but a stream necessarily releases early chunks
 * before it sees later ones: treat the output as untrusted until the stream closes without error
 * (an error means the envelope was truncated, tampered with or extended, and the bytes already
 * released must be discarded). Holds about two chunks in memory at any time.
 *
 * The header is checked (magic, version, suite, chunk size, then the job id) before any
 * cryptography; every error is an {@link EnvelopeError} with the same code and message
 * {@link decryptEnvelope} gives for the same bytes.
 *
 * @throws {EnvelopeError} `Malformed` synchronously for a bad key or job id; everything else
 * through the stream.
 * @example
 * const plaintext = createDecryptStream({ recipientSecretKey, jobId, envelope: blobStream });
 * for await (const piece of plaintext) trainer.feed(piece);
 */
export function createDecryptStream(options: DecryptStreamOptions): ReadableStream<Uint8Array> {
  checkOpenOptions(options);
  const reader = options.envelope.getReader();
  const queue = new ByteQueue();
  let keys: ChunkKeys | undefined;
  let chunkSize = 0;
  let index = 0;
  let finalStarted = false;
  return chunkPipeline(
    reader,
    async () => {
      await fill(reader, queue, ENVELOPE_HEADER_LENGTH - 1);
      const header = parseEnvelopeHeader(queue.take(Math.min(queue.length, ENVELOPE_HEADER_LENGTH)));
      chunkSize = header.chunkSize;
      keys = await importChunkKeys(prepareOpening(header, options));
      return false;
    },
    async () => {
      if (finalStarted) return undefined;
      const stride = chunkSize + ENVELOPE_TAG_LENGTH;
      const ended = await fill(reader, queue, stride);
      const i = index++;
      if (ended && queue.length <= stride) {
        finalStarted = true;
        return { result: settle(openFinalChunk(keys as ChunkKeys, i, queue.takeAll(), chunkSize)) };
      }
      return { result: settle(openMiddleChunk(keys as ChunkKeys, i, queue.take(stride))) };
    },
    options.onProgress,
  );
}
