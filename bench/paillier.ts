// npm run bench:paillier: threshold Paillier secure aggregation at 2048 bits, measured in one run.
//   keygen_s            — the dealer at 2048 bits, 3-of-5: two safe primes searched on all cores
//                         (combined sieve + Miller–Rabin), share polynomial, verification keys (CRT),
//                         self-test. Keys are secrets: nothing is cached on disk, so every run pays it.
//   naive_values_per_s  — the baseline: one value per ciphertext, paillier-bigint's PublicKey.encrypt
//                         (g^m · r^n mod n² with a fresh full-length r) and .addition, 5 parties ×
//                         NAIVE_VALUES values each, single-threaded (paillier-bigint is synchronous).
//   ours_values_per_s   — 5 parties × 100,000 values: clip + fixed point + pack (96 values per
//                         plaintext) + encrypt (short-exponent randomizer h^α from a fixed-base table)
//                         on all cores, then the element-wise aggregate. speedup = ours / naive.
//   share_ms, combine_ms — one ciphertext, t = 3 of n = 5: one member's decryption share with its
//                         Chaum–Pedersen proof; verification of 3 shares + combination.
//   e2e                 — the same 5 × 100,000 values all the way: encrypt + aggregate, 3 members'
//                         batched decryption shares (each on all cores, one after the other here),
//                         verification + combination, decoding; checked exactly against the sums.
// Run with `npx node bench/paillier.ts` (Node 22); the baseline `paillier-bigint` must be installed.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import {
  combineDecryptionShareBatches,
  combineDecryptionShares,
  createDecryptionShare,
  DEFAULT_RANDOMIZER_EXPONENT_BITS,
  type DecryptionShare,
  PackedCodec,
  verifyDecryptionShare,
} from "../sdk/paillier/index.ts";
import { createThresholdDealerParallel, PaillierWorkerPool } from "../sdk/paillier/workers.node.ts";

const KEY_BITS = 2048;
const PARTIES = 5;
const VALUES_PER_PARTY = 100_000;
const COMMITTEE = 5;
const THRESHOLD = 3;
const DECRYPTING_MEMBERS = [2, 4, 5];
const NAIVE_VALUES = 12; // per party: 60 full encryptions ≈ 2 s
const SCALE = 2 ** 16;
const CLIP = 1;
const TARGET_SPEEDUP = 100;

type BaselinePublicKey = { encrypt(m: bigint): bigint; addition(...ciphertexts: bigint[]): bigint };
type Baseline = { PublicKey: new (n: bigint, g: bigint) => BaselinePublicKey };

/** Loads paillier-bigint, or explains how to install it. */
async function loadBaseline(): Promise<{ lib: Baseline; version: string }> {
  const name = "paillier-bigint";
  let mod: Partial<Baseline> & { default?: Partial<Baseline> };
  try {
    mod = (await import(name)) as typeof mod;
  } catch (cause) {
    throw new Error(
      "bench:paillier needs the baseline library paillier-bigint, which is not installed.\n" +
        "Install it as a devDependency: npx -y -p node@22 -- npm install --save-dev paillier-bigint",
      { cause },
    );
  }
  const PublicKey = mod.PublicKey ?? mod.default?.PublicKey;
  if (!PublicKey) throw new Error("paillier-bigint does not export PublicKey (unexpected version)");
  const pkgPath = join(import.meta.dirname, "..", "node_modules", name, "package.json");
  const version = existsSync(pkgPath)
    ? (JSON.parse(readFileSync(pkgPath, "utf8")) as { version: string }).version
    : "?";
  return { lib: { PublicKey }, version };
}

const started = performance.now();
const log = (msg: string) =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}`);
/** Calls `fn` at most every `ms` milliseconds. */
function throttle<T>(ms: number, fn: (x: T) => void): (x: T) => void {
  let last = 0;
  return (x) => {
    const now = performance.now();
    if (now - last >= ms) {
      last = now;
      fn(x);
    }
  };
}
const seconds = (ms: number) => Math.round(ms) / 1000;
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

const baseline = await loadBaseline();
const cores = availableParallelism();
log(`baseline paillier-bigint ${baseline.version}; ${cores} core(s); ${KEY_BITS}-bit key`);

// --- key generation -----------------------------------------------------------------------------
let t0 = performance.now();
const { dealer, primesMs } = await createThresholdDealerParallel({
  committeeSize: COMMITTEE,
  threshold: THRESHOLD,
  keyBits: KEY_BITS,
  onParallelProgress: throttle(2000, (p) =>
    log(
      `keygen: ${p.found}/${p.wanted} safe primes, ${p.candidates.toLocaleString("en-US")} candidates sieved`,
    ),
  ),
});
const keygenMs = performance.now() - t0;
const params = dealer.parameters;
const publicKey = params.publicKey;
log(`keygen: ${seconds(keygenMs)} s (safe primes ${seconds(primesMs)} s)`);

const codec = PackedCodec.forPublicKey(publicKey, { parties: PARTIES, scale: SCALE, clip: CLIP });
const randomVector = (length: number) =>
  Float64Array.from({ length }, () => (Math.random() * 2 - 1) * 1.2 * CLIP);

// --- baseline: one value per ciphertext ----------------------------------------------------------
const naiveKey = new baseline.lib.PublicKey(publicKey.n, publicKey.n + 1n);
const naiveVectors = Array.from({ length: PARTIES }, () => randomVector(NAIVE_VALUES));
t0 = performance.now();
const naiveEncrypted = naiveVectors.map((v) =>
  Array.from(v, (x) => naiveKey.encrypt(BigInt(codec.quantize(x) + codec.maxMagnitude))),
);
const naiveAggregate = Array.from({ length: NAIVE_VALUES }, (_, j) =>
  naiveKey.addition(...naiveEncrypted.map((party) => party[j] as bigint)),
);
const naiveMs = performance.now() - t0;
const naiveValuesPerS = (PARTIES * NAIVE_VALUES) / (naiveMs / 1000);
naiveAggregate.forEach((c, j) => {
  const expected = naiveVectors.reduce((s, v) => s + codec.quantize(v[j] as number) + codec.maxMagnitude, 0);
  if (dealer.decrypt(c) !== BigInt(expected))
    throw new Error("baseline aggregate does not decrypt to the sum");
});
log(
  `naive: ${PARTIES * NAIVE_VALUES} encryptions + additions in ${round(naiveMs, 0)} ms → ${round(naiveValuesPerS)} values/s`,
);

// --- ours: encode + pack + encrypt + aggregate, all cores -----------------------------------------
const pool = new PaillierWorkerPool();
const single = new PaillierWorkerPool({ size: 1 });
const vectors = Array.from({ length: PARTIES }, () => randomVector(VALUES_PER_PARTY));
// warm-up: spawn workers and build their encryptors (h = r₀^n and the fixed-base table)
await Promise.all([
  pool.encryptVector(publicKey, codec, randomVector(codec.slots * pool.size * 4)),
  single.encryptVector(publicKey, codec, randomVector(codec.slots)),
]);
t0 = performance.now();
const oneCore = await single.encryptVector(publicKey, codec, vectors[0] as Float64Array);
const singleCoreMs = performance.now() - t0;
const singleCoreValuesPerS = VALUES_PER_PARTY / (singleCoreMs / 1000);
await single.close();
log(
  `ours, 1 core: ${VALUES_PER_PARTY.toLocaleString("en-US")} values encrypted in ${round(singleCoreMs, 0)} ms`,
);

t0 = performance.now();
const encrypted: bigint[][] = [];
for (const [k, v] of vectors.entries()) {
  encrypted.push(
    await pool.encryptVector(publicKey, codec, v, {
      onProgress: throttle(2000, (p) => log(`party ${k + 1}: ${p.done}/${p.total} ciphertexts`)),
    }),
  );
}
const aggregate = await pool.aggregate(publicKey, encrypted);
const aggregateMs = performance.now() - t0;
const oursValuesPerS = (PARTIES * VALUES_PER_PARTY) / (aggregateMs / 1000);
if (oneCore.length !== aggregate.length) throw new Error("ciphertext count mismatch");
log(
  `ours, ${pool.size} cores: ${PARTIES} × ${VALUES_PER_PARTY.toLocaleString("en-US")} values → ${aggregate.length} ` +
    `aggregate ciphertexts in ${round(aggregateMs, 0)} ms → ${Math.round(oursValuesPerS).toLocaleString("en-US")} values/s`,
);

// --- one ciphertext: share and combine, t = 3 of 5 -----------------------------------------------
const c0 = aggregate[0] as bigint;
const shareTimes: number[] = [];
const shares: DecryptionShare[] = [];
for (const i of DECRYPTING_MEMBERS) {
  t0 = performance.now();
  shares.push(createDecryptionShare(dealer.keyShare(i), c0));
  shareTimes.push(performance.now() - t0);
}
const verifyTimes = shares.map((s) => {
  t0 = performance.now();
  if (!verifyDecryptionShare(params, c0, s).valid) throw new Error("a share does not verify");
  return performance.now() - t0;
});
t0 = performance.now();
const single0 = combineDecryptionShares(params, c0, shares);
const combineMs = performance.now() - t0;
if (single0.plaintext !== dealer.decrypt(c0))
  throw new Error("threshold decryption disagrees with the dealer");
log(
  `share ${round(median(shareTimes))} ms, verify ${round(median(verifyTimes))} ms, combine ${round(combineMs)} ms`,
);

// --- end to end: threshold decryption of the whole aggregate --------------------------------------
const memberMs: number[] = [];
const batches = [];
for (const i of DECRYPTING_MEMBERS) {
  t0 = performance.now();
  batches.push(
    await pool.createDecryptionShareBatch(dealer.keyShare(i), aggregate, {
      onProgress: throttle(5000, (p) => log(`member ${i}: ${p.done}/${p.total} decryption shares`)),
    }),
  );
  memberMs.push(performance.now() - t0);
  log(`member ${i}: ${aggregate.length} shares + batched proof in ${seconds(memberMs.at(-1) as number)} s`);
}
t0 = performance.now();
const combined = combineDecryptionShareBatches(params, aggregate, batches);
const batchCombineMs = performance.now() - t0;
t0 = performance.now();
const sums = codec.decodeIntegers(combined.plaintexts, { contributions: PARTIES, length: VALUES_PER_PARTY });
const decodeMs = performance.now() - t0;
for (let j = 0; j < VALUES_PER_PARTY; j++) {
  const expected = vectors.reduce((s, v) => s + codec.quantize(v[j] as number), 0);
  if (sums[j] !== expected) throw new Error(`decrypted sum ${j} is wrong`);
}
await pool.close();
dealer.forget();
const sharesMs = memberMs.reduce((a, b) => a + b, 0);
const e2eMs = aggregateMs + sharesMs + batchCombineMs + decodeMs;
const e2eParallelMembersMs = aggregateMs + Math.max(...memberMs) + batchCombineMs + decodeMs;
log(`e2e: ${seconds(e2eMs)} s, all ${VALUES_PER_PARTY.toLocaleString("en-US")} sums exact`);

// --- report ----------------------------------------------------------------------------------------
const speedup = oursValuesPerS / naiveValuesPerS;
const rows: [string, string, string][] = [
  [
    "keygen_s",
    String(seconds(keygenMs)),
    `2048-bit, safe primes on ${cores} core(s): ${seconds(primesMs)} s`,
  ],
  [
    "naive_values_per_s",
    String(round(naiveValuesPerS)),
    `paillier-bigint ${baseline.version}, 1 value/ciphertext`,
  ],
  [
    "ours_values_per_s",
    String(Math.round(oursValuesPerS)),
    `${codec.slots} values/ciphertext, ${pool.size} core(s)`,
  ],
  ["speedup", String(round(speedup, 0)), `target ≥ ${TARGET_SPEEDUP}`],
  ["speedup (1 core)", String(round(singleCoreValuesPerS / naiveValuesPerS, 0)), "ours on one worker"],
  ["share_ms", String(round(median(shareTimes))), "one share + proof, 1 ciphertext"],
  ["combine_ms", String(round(combineMs)), "verify 3 shares + combine, 1 ciphertext"],
  [
    "e2e encrypt+aggregate s",
    String(seconds(aggregateMs)),
    `${PARTIES} × ${VALUES_PER_PARTY.toLocaleString("en-US")} values`,
  ],
  [
    "e2e decryption shares s",
    String(seconds(sharesMs)),
    `3 members × ${aggregate.length} ciphertexts, sequential`,
  ],
  ["e2e verify+combine s", String(seconds(batchCombineMs + decodeMs)), "3 batched proofs, decode"],
  ["e2e total s", String(seconds(e2eMs)), `members in parallel: ${seconds(e2eParallelMembersMs)} s`],
];
const width = [0, 1, 2].map((k) => Math.max(...rows.map((r) => r[k]?.length ?? 0)));
console.log();
for (const r of rows) console.log(`${r[0].padEnd(width[0] ?? 0)}  ${r[1].padStart(width[1] ?? 0)}  ${r[2]}`);

const json = {
  naive_values_per_s: round(naiveValuesPerS),
  ours_values_per_s: Math.round(oursValuesPerS),
  speedup: round(speedup, 0),
  share_ms: round(median(shareTimes)),
  combine_ms: round(combineMs),
  keygen_s: seconds(keygenMs),
  e2e_5x100k: {
    encrypt_aggregate_s: seconds(aggregateMs),
    decryption_shares_s: seconds(sharesMs),
    per_member_s: memberMs.map(seconds),
    verify_combine_s: seconds(batchCombineMs),
    decode_s: seconds(decodeMs),
    total_s: seconds(e2eMs),
    total_members_in_parallel_s: seconds(e2eParallelMembersMs),
  },
  _meta: {
    key_bits: KEY_BITS,
    cores,
    threshold: `${THRESHOLD}-of-${COMMITTEE}`,
    parties: PARTIES,
    values_per_party: VALUES_PER_PARTY,
    aggregate_ciphertexts: aggregate.length,
    packing: { slots_per_ciphertext: codec.slots, slot_bits: codec.slotBits, scale: SCALE, clip: CLIP },
    randomizer: `short-exponent h^α, α of ${DEFAULT_RANDOMIZER_EXPONENT_BITS} bits, fixed-base table (window 6)`,
    baseline: {
      name: "paillier-bigint",
      version: baseline.version,
      method: "PublicKey(n, n+1).encrypt per value + addition per position, single-threaded",
      values: PARTIES * NAIVE_VALUES,
    },
    target_speedup: TARGET_SPEEDUP,
    ours_single_core_values_per_s: Math.round(singleCoreValuesPerS),
    speedup_single_core: round(singleCoreValuesPerS / naiveValuesPerS, 0),
    verify_share_ms: round(median(verifyTimes)),
    safe_primes_s: seconds(primesMs),
    node: process.version,
    measured_at: new Date().toISOString(),
  },
};
const out = join(import.meta.dirname, "results", "paillier.json");
mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
writeFileSync(`${out}.tmp`, `${JSON.stringify(json, null, 2)}\n`);
renameSync(`${out}.tmp`, out);
log(`wrote ${out}`);
if (speedup < TARGET_SPEEDUP) {
  console.error(`speedup ${round(speedup, 0)} is below the target ${TARGET_SPEEDUP}`);
  process.exitCode = 1;
}
