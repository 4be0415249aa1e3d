// A compiled circom main for circuit tests that need no ceremony: r1cs, wasm witness calculator and
// symbol table, compiled with circom2 --O2 into a folder of the caller's choice (one folder per test
// file: `hardhat test` runs test files concurrently in one process) and reused while no .circom
// source under circuits/ is newer than the build.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { CircuitInput } from "../../sdk/training/index.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

type WitnessCalculator = { calculateWitness(input: CircuitInput, sanityCheck: boolean): Promise<bigint[]> };

/** A compiled main: witness generation, its r1cs, and read-back of named signals. */
export type CompiledCircuit = {
  /** Absolute path of the .r1cs file. */
  r1cs: string;
  /** The witness (wire values, wire 0 = 1) of `input`; rejects with circom's "Assert Failed" otherwise. */
  witness(input: CircuitInput): Promise<bigint[]>;
  /**
   * Value of main.<name>, or undefined when --O2 replaced the signal by a constant or another
   * signal (e.g. C_in by C0 when S = 1).
   */
  signal(witness: bigint[], name: string): bigint | undefined;
  /** Every signal name (`main.…`) of each wire, from the .sym file (a wire may carry several). */
  wireNames: Map<number, string[]>;
};

/** Newest modification time of the .circom sources under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith(".circom")) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Compiles `file` (relative to the repo root) into `<outDir>/<name>` unless an up-to-date build exists.
 *
 * @param name - The main's name (folder and file names of the build).
 * @param file - The main's .circom file, relative to the repository root.
 * @param outDir - Build folder relative to the repository root, e.g. `build/circuits/test-differential`.
 * @returns The compiled circuit.
 * @example
 * const circuit = await compileCircuit("segment_test", "circuits/main/segment_test.circom", "build/circuits/test-x");
 */
export async function compileCircuit(name: string, file: string, outDir: string): Promise<CompiledCircuit> {
  const dir = path.join(outDir, name);
  const jsDir = path.join(ROOT, dir, `${name}_js`);
  const wasm = path.join(jsDir, `${name}.wasm`);
  const sym = path.join(ROOT, dir, `${name}.sym`);
  const r1cs = path.join(ROOT, dir, `${name}.r1cs`);
  if (
    !existsSync(wasm) ||
    !existsSync(sym) ||
    !existsSync(r1cs) ||
    statSync(wasm).mtimeMs < newestSource(path.join(ROOT, "circuits"))
  ) {
    mkdirSync(path.join(ROOT, dir), { recursive: true });
    // circom2 runs in a WASI sandbox that sees the working directory only: relative paths.
    execFileSync(
      "npx",
      ["circom2", file, "--r1cs", "--wasm", "--sym", "--O2", "-l", "node_modules", "-o", dir],
      { cwd: ROOT, stdio: "pipe" },
    );
  }
  // The generated calculator is CommonJS; the repo is "type": "module".
  copyFileSync(path.join(jsDir, "witness_calculator.js"), path.join(jsDir, "witness_calculator.cjs"));
  const require = createRequire(import.meta.url);
  const builder = require(path.join(jsDir, "witness_calculator.cjs")) as (
    code: Buffer,
  ) => Promise<WitnessCalculator>;
  const calculator = await builder(readFileSync(wasm));
  const index = new Map<string, number>();
  const wireNames = new Map<number, string[]>();
  for (const line of readFileSync(sym, "utf8").split("\n")) {
    const [, wireText, , label] = line.split(",");
    if (label === undefined || wireText === undefined) continue;
    const wire = Number(wireText);
    if (label.startsWith("main.") && !label.slice(5).includes(".")) index.set(label.slice(5), wire);
    if (wire >= 0) wireNames.set(wire, [...(wireNames.get(wire) ?? []), label]);
  }
  return {
    r1cs,
    witness: (input) => calculator.calculateWitness(input, true),
    signal(witness, signalName) {
      const i = index.get(signalName);
      assert.ok(i !== undefined, `signal main.${signalName} not in ${sym}`);
      return i < 0 ? undefined : (witness[i] as bigint);
    },
    wireNames,
  };
}
