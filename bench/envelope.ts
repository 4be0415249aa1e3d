// npm run bench:envelope: throughput of sdk/envelope against raw AES-256-GCM, in one run.
//   envelope_encrypt_MBps / envelope_decrypt_MBps (headline) — createEncryptStream /
//     createDecryptStream of 64 MiB in the default 64 KiB chunks, fed in 1 MiB pieces, output drained,
//     with the node:crypto AES backend (sdk/envelope/node.ts) that Node processes use.
//   one_shot_* — encryptEnvelope / decryptEnvelope (the result copied into one 64 MiB buffer).
//   webcrypto_* — the same through WebCrypto, the browser's path (slower in Node: each call hops to a
//     thread pool and copies).
//   raw_aes_gcm_MBps — node:crypto createCipheriv("aes-256-gcm"), one 64 KiB chunk at a time with a
//     41-byte AAD, output discarded: the native floor with no format.
//   raw_aes_gcm_contiguous_MBps (context) — the same with every chunk copied into one 64 MiB buffer.
//   envelope_vs_raw_ratio = min(envelope encrypt, decrypt) / raw. Target ≥ 0.5.
// MB = 10^6 bytes. Each figure is the median of ROUNDS runs after one warm-up run.
import { createCipheriv, randomBytes } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import {
  createDecryptStream,
  createEncryptStream,
  decryptEnvelope,
  ENVELOPE_DEFAULT_CHUNK_SIZE,
  encryptEnvelope,
  generateRecipientKeyPair,
  setAeadBackend,
  webCryptoAead,
} from "../sdk/envelope/index.ts";
import { useNodeCrypto } from "../sdk/envelope/node.ts";

const TOTAL = 64 * 1024 * 1024;
const CHUNK = ENVELOPE_DEFAULT_CHUNK_SIZE;
const PIECE = 1024 * 1024;
const ROUNDS = 9;
const TARGET_RATIO = 0.5;
const JOB = 1n;

const recipient = generateRecipientKeyPair();
const plaintext = new Uint8Array(randomBytes(TOTAL));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const mbps = (ms: number) => Number((TOTAL / 1e6 / (ms / 1000)).toFixed(1));

/** A source handing out `bytes` in `PIECE`-sized views, one per read (no read-ahead). */
function source(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= bytes.length) return controller.close();
        controller.enqueue(bytes.subarray(offset, offset + PIECE));
        offset += PIECE;
      },
    },
    { highWaterMark: 0 },
  );
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let length = 0;
  for await (const piece of stream) length += piece.length;
  return length;
}

// Correctness once, outside the timings.
const envelope = await encryptEnvelope({ recipientPublicKey: recipient.publicKey, jobId: JOB, plaintext });
const roundTrip = await decryptEnvelope({ recipientSecretKey: recipient.secretKey, jobId: JOB, envelope });
if (Buffer.compare(roundTrip, plaintext) !== 0) throw new Error("bench:envelope: round trip failed");

const key = randomBytes(32);
const aad = randomBytes(41);
function rawAesGcm(into?: Uint8Array): void {
  for (let offset = 0, i = 0; offset < TOTAL; offset += CHUNK, i++) {
    const nonce = Buffer.alloc(12);
    nonce.writeUInt32BE(i, 8);
    const cipher = createCipheriv("aes-256-gcm", key, nonce).setAAD(aad);
    const body = cipher.update(plaintext.subarray(offset, offset + CHUNK));
    cipher.final();
    const tag = cipher.getAuthTag();
    if (into) {
      const at = i * (CHUNK + 16);
      into.set(body, at);
      into.set(tag, at + body.length);
    }
  }
}

const envelopeMeasures = {
  encrypt: () => encryptEnvelope({ recipientPublicKey: recipient.publicKey, jobId: JOB, plaintext }),
  decrypt: () => decryptEnvelope({ recipientSecretKey: recipient.secretKey, jobId: JOB, envelope }),
  streamEncrypt: () =>
    drain(
      createEncryptStream({
        recipientPublicKey: recipient.publicKey,
        jobId: JOB,
        plaintext: source(plaintext),
      }),
    ),
  streamDecrypt: async () => {
    const length = await drain(
      createDecryptStream({
        recipientSecretKey: recipient.secretKey,
        jobId: JOB,
        envelope: source(envelope),
      }),
    );
    if (length !== TOTAL) throw new Error("bench:envelope: stream decrypted the wrong length");
  },
};
type Measure = keyof typeof envelopeMeasures;

/** Median ms of each measure: one block per measure (warm-up, then ROUNDS runs), so the 64 MiB
 *  allocations of the one-shot runs do not trigger garbage collections inside the streaming runs. */
async function timeAll<K extends string>(measures: Record<K, () => unknown>): Promise<Record<K, number>> {
  const out = {} as Record<K, number>;
  for (const [name, run] of Object.entries(measures) as [K, () => unknown][]) {
    await run();
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const start = performance.now();
      await run();
      times.push(performance.now() - start);
    }
    out[name] = median(times);
  }
  return out;
}

const raw = await timeAll({
  raw: () => rawAesGcm(),
  rawContiguous: () => rawAesGcm(new Uint8Array(TOTAL + (TOTAL / CHUNK) * 16)),
});
setAeadBackend(webCryptoAead);
const web: Record<Measure, number> = await timeAll(envelopeMeasures);
useNodeCrypto(); // what Node processes (enclave runner, provider node) use
const node: Record<Measure, number> = await timeAll(envelopeMeasures);

const rawMBps = mbps(raw.raw);
// Headline: streaming through node:crypto, the runner's path (it decrypts the buyer's data as it
// arrives from the blob store; the raw baseline likewise discards its output chunk by chunk).
const result = {
  envelope_encrypt_MBps: mbps(node.streamEncrypt),
  envelope_decrypt_MBps: mbps(node.streamDecrypt),
  raw_aes_gcm_MBps: rawMBps,
  envelope_vs_raw_ratio: 0,
  one_shot_encrypt_MBps: mbps(node.encrypt),
  one_shot_decrypt_MBps: mbps(node.decrypt),
  webcrypto_stream_encrypt_MBps: mbps(web.streamEncrypt),
  webcrypto_stream_decrypt_MBps: mbps(web.streamDecrypt),
  webcrypto_one_shot_encrypt_MBps: mbps(web.encrypt),
  webcrypto_one_shot_decrypt_MBps: mbps(web.decrypt),
  raw_aes_gcm_contiguous_MBps: mbps(raw.rawContiguous),
};
result.envelope_vs_raw_ratio = Number(
  (Math.min(result.envelope_encrypt_MBps, result.envelope_decrypt_MBps) / rawMBps).toFixed(3),
);

const rows: [string, number, number][] = [
  ["stream encrypt, node:crypto (headline)", node.streamEncrypt, result.envelope_encrypt_MBps],
  ["stream decrypt, node:crypto (headline)", node.streamDecrypt, result.envelope_decrypt_MBps],
  ["one-shot encrypt, node:crypto", node.encrypt, result.one_shot_encrypt_MBps],
  ["one-shot decrypt, node:crypto", node.decrypt, result.one_shot_decrypt_MBps],
  ["stream encrypt, WebCrypto (browser path)", web.streamEncrypt, result.webcrypto_stream_encrypt_MBps],
  ["stream decrypt, WebCrypto", web.streamDecrypt, result.webcrypto_stream_decrypt_MBps],
  ["one-shot encrypt, WebCrypto", web.encrypt, result.webcrypto_one_shot_encrypt_MBps],
  ["one-shot decrypt, WebCrypto", web.decrypt, result.webcrypto_one_shot_decrypt_MBps],
  ["raw createCipheriv, 64 KiB chunks", raw.raw, rawMBps],
  ["raw createCipheriv into one buffer", raw.rawContiguous, result.raw_aes_gcm_contiguous_MBps],
];
const table = [
  ["operation (64 MiB, 64 KiB chunks)", "median ms", "MB/s", "vs raw"],
  ...rows.map(([name, ms, rate]) => [name, ms.toFixed(1), rate.toFixed(0), (rate / rawMBps).toFixed(2)]),
];
const widths = (table[0] as string[]).map((_, i) =>
  Math.max(...table.map((row) => (row[i] as string).length)),
);
for (const [r, row] of table.entries()) {
  console.log(
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number)))
      .join("  "),
  );
  if (r === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
}
console.log(
  `\nenvelope_vs_raw_ratio ${result.envelope_vs_raw_ratio} (streaming, node:crypto); target ≥ ${TARGET_RATIO}`,
);

const json = {
  ...result,
  _meta: {
    bytes: TOTAL,
    chunk_size: CHUNK,
    stream_piece_size: PIECE,
    rounds: ROUNDS,
    statistic: "median of ROUNDS runs after one warm-up run, one block per measure",
    MB: "10^6 bytes",
    target_envelope_vs_raw_ratio: TARGET_RATIO,
    meets_target: result.envelope_vs_raw_ratio >= TARGET_RATIO,
    ratio_definition: "min(stream encrypt, stream decrypt) with the node:crypto backend / raw_aes_gcm",
    raw_baseline: "node:crypto createCipheriv aes-256-gcm, 64 KiB per cipher, 41-byte AAD, output discarded",
    aes_backend:
      "headline: node:crypto (sdk/envelope/node.ts, useNodeCrypto); webcrypto_*: crypto.subtle, the browser path",
    windows: "one-shot: 8 chunk operations in flight; streams: 2",
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown",
    cpu_count: cpus().length,
    measured_at: new Date().toISOString(),
  },
};
const dir = join(import.meta.dirname, "results");
mkdirSync(dir, { recursive: true });
const out = join(dir, "envelope.json");
writeFileSync(`${out}.tmp`, `${JSON.stringify(json, null, 2)}\n`);
renameSync(`${out}.tmp`, out);
console.log(`wrote ${out}`);
