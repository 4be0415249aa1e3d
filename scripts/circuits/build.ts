// `npm run circuits:build`: compiles the main circuits listed in circuits/params.json, runs the
// Groth16 phase-2 ceremony on a powers of tau file, verifies the zkey and exports the verification
// key and the Solidity verifier. See --help.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildCircuits, defaultPtauCacheDir, releaseSnarkjs } from "./pipeline.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");

const HELP = `Usage: npm run circuits:build -- [options]
       npx node scripts/circuits/build.ts [options]

Builds every main circuit listed in the params file into <out>/<name>/:
  <name>.r1cs, <name>.sym, <name>.wasm     circom2 output (--O2 unless the entry says otherwise)
  <name>.zkey                              phase 2: zkey new, 2 random contributions, a random beacon
  verification_key.json                    exported from the zkey (after "zkey verify" passed)
  manifest.json                            source/ptau hashes: an unchanged main is skipped
and <contracts-out>/<PascalName>Groth16Verifier.sol (generated, not committed).

Options:
  --params <file>         params file (default circuits/params.json): [{ "name", "file", "power" }]
  --only <name>           build only this main (repeatable, or comma-separated)
  --out <dir>             build folder (default build/circuits)
  --contracts-out <dir>   verifier folder (default contracts/generated)
  --force                 rebuild even when the manifest matches
  --verbose               show snarkjs's own log lines
  -h, --help              this text

Environment:
  PTAU_FILE=<path>        use this powers of tau (e.g. a public ceremony *_final.ptau) instead of the
                          dev one; it must be prepared for phase 2 and large enough for each circuit
  XDG_CACHE_HOME          the dev powers of tau is generated once per power and cached in
                          \${XDG_CACHE_HOME:-~/.cache}/blind-training/ptau/pot<power>_final.ptau
                          (a cached larger power serves smaller circuits)
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      params: { type: "string", default: "circuits/params.json" },
      only: { type: "string", multiple: true },
      out: { type: "string", default: "build/circuits" },
      "contracts-out": { type: "string", default: "contracts/generated" },
      force: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const t0 = performance.now();
  const outDir = resolve(ROOT, values.out);
  const log = (line: string) => {
    process.stdout.write(`circuits: ${line}\n`);
  };
  const results = await buildCircuits({
    root: ROOT,
    paramsFile: resolve(ROOT, values.params),
    outDir,
    contractsDir: resolve(ROOT, values["contracts-out"]),
    only: (values.only ?? []).flatMap((s) => s.split(",")).filter((s) => s !== ""),
    ptauFile: process.env.PTAU_FILE,
    ptauCacheDir: defaultPtauCacheDir(),
    force: values.force,
    verbose: values.verbose,
    log,
  });
  const built = results.filter((r) => r.status === "built").length;
  log(
    `done in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${built} built, ${results.length - built} up to date`,
  );
  return 0;
}

main()
  .then(
    (code) => code,
    (error: unknown) => {
      process.stderr.write(`circuits: error: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    },
  )
  .then(async (code) => {
    await releaseSnarkjs();
    process.exitCode = code;
  });
