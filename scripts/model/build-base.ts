// node scripts/model/build-base.ts [--config default|test] [--rebuild]: builds (pretrains) the frozen
// base model into the cache, or loads it from there, and prints what it is — parameters, the sha256
// that job specs quote, where the file is, and the pretraining figures.
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  type BaseModel,
  cacheFileName,
  DEFAULT_SLM_CONFIG,
  defaultCacheDir,
  loadCorpus,
  loadOrBuildBaseModel,
  parameterCount,
  type SlmConfig,
  SlmError,
  TEST_SLM_CONFIG,
} from "../../enclave-runner/model/index.ts";

const HELP = `Usage: node scripts/model/build-base.ts [--config default|test] [--rebuild]

Builds the frozen base model (a byte-level transformer pretrained on TypeScript's lib.*.d.ts) into
the cache, or loads it from there, and prints its parameters, sha256 (the base model id of job
specs), cache file and pretraining figures. The build is deterministic: every machine with the same
lockfile gets the same sha256. Cache: $BLIND_TRAINING_CACHE/slm (default ~/.cache/blind-training/slm).
Exits 1 when the build or the cached file fails, 2 on bad usage.

Options:
  --config <name>   default (slm-byte-3m, about 1.5 minutes on 2 cores) or test (slm-byte-test, seconds)
  --rebuild         build again even if a cached file exists (replaces a corrupt one)
  -h, --help        this text`;

const CONFIGS: Record<string, SlmConfig> = { default: DEFAULT_SLM_CONFIG, test: TEST_SLM_CONFIG };

function fail(code: number, message: string): never {
  console.error(message);
  process.exit(code);
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      config: { type: "string", default: "default" },
      rebuild: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}
try {
  parsed = parse();
} catch (e) {
  fail(2, `build-base: ${(e as Error).message}\n\n${HELP}`);
}
const { values: o } = parsed;
if (o.help) {
  console.log(HELP);
  process.exit(0);
}
const config = CONFIGS[o.config];
if (config === undefined)
  fail(2, `build-base: unknown config "${o.config}" (expected default or test)\n\n${HELP}`);

const t0 = performance.now();
let model: BaseModel;
try {
  model = await loadOrBuildBaseModel(config, {
    rebuild: o.rebuild,
    onProgress: (line) => console.log(`  ${line}`),
  });
} catch (e) {
  if (e instanceof SlmError) fail(1, `build-base: ${e.message}`);
  throw e;
}
const seconds = (performance.now() - t0) / 1000;
const r = model.report;
const bits = (x: number) => `${x.toFixed(3)} bits/byte`;
const rows: [string, string][] = [
  ["parameters", parameterCount(model.config).toLocaleString("en-US")],
  [
    "architecture",
    `d ${model.config.dModel}, ${model.config.layers} layer${model.config.layers === 1 ? "" : "s"}, ${model.config.heads} heads, ffn ${model.config.ffn}, context ${model.config.context} bytes, ${model.config.features} features`,
  ],
  ["sha256", model.sha256],
  ["cache file", join(defaultCacheDir(), cacheFileName(model.config, loadCorpus().info.sha256))],
  [
    "corpus",
    `${model.corpus.source}: ${model.corpus.files} files, ${model.corpus.bytes.toLocaleString("en-US")} bytes`,
  ],
  [
    "pretraining",
    `${r.pretrainSteps} steps, ${r.pretrainTokens.toLocaleString("en-US")} tokens, ${Number.isNaN(r.pretrainSeconds) ? "time unknown" : `${r.pretrainSeconds.toFixed(1)} s`}`,
  ],
  ["loss", `${bits(r.lossFirst)} → ${bits(r.lossLast)}`],
  ["held-out", `${bits(r.heldOutBitsPerByte)} (unigram ${bits(r.unigramBitsPerByte)})`],
  ["this run", `${seconds.toFixed(1)} s`],
];
console.log(`\n${model.config.name}`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(14)}${v}`);
