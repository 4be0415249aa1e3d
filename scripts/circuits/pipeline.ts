// The Groth16 ceremony and build pipeline: compile each main circuit with circom2, get a powers of
// tau file (the dev one generated locally and cached outside the clone, or PTAU_FILE), run phase 2
// (new zkey, two contributions, a beacon), verify the zkey against the r1cs and the powers of tau,
// and export the verification key and the Solidity verifier. A main whose manifest matches its
// sources and powers of tau, and whose outputs exist, is skipped.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { homedir, hostname } from "node:os";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import * as snarkjs from "snarkjs";
import { generateDevPtau } from "./devPtau.ts";

const require = createRequire(import.meta.url);

/** One main circuit, as listed in `circuits/params.json`. */
export interface CircuitSpec {
  /** Identifier: the build folder, file names and (in PascalCase) the verifier contract name. */
  name: string;
  /** The main `.circom` file, relative to the project root. */
  file: string;
  /** Power of two of the powers of tau used for the dev ceremony (2^power ≥ constraints + public). */
  power: number;
  /** circom simplification level; O2 (full linear simplification) unless set. */
  optimization?: "O0" | "O1" | "O2";
}

export interface BuildOptions {
  /** Project root: circom2 runs here and resolves `-l node_modules`. */
  root: string;
  /** The params file (absolute or relative to root). Every `.circom` under its folder is a source. */
  paramsFile: string;
  /** Where `<name>/` build folders go (default `build/circuits`). */
  outDir: string;
  /** Where `<PascalName>Groth16Verifier.sol` goes (default `contracts/generated`). */
  contractsDir: string;
  /** Build only these mains. */
  only?: readonly string[] | undefined;
  /** A public ceremony powers of tau file (`PTAU_FILE`), used instead of the dev one. */
  ptauFile?: string | undefined;
  /** Cache of dev powers of tau files (default `${XDG_CACHE_HOME:-~/.cache}/blind-training/ptau`). */
  ptauCacheDir: string;
  /** Rebuild even when the manifest matches. */
  force?: boolean | undefined;
  /** Pass snarkjs's own log lines through. */
  verbose?: boolean | undefined;
  /** Progress lines (default: nothing). */
  log?: ((line: string) => void) | undefined;
}

/** The files of one built main. */
export interface CircuitOutputs {
  dir: string;
  r1cs: string;
  sym: string;
  wasm: string;
  zkey: string;
  verificationKey: string;
  verifier: string;
  manifest: string;
}

export interface CircuitResult extends CircuitOutputs {
  name: string;
  status: "built" | "skipped";
  contractName: string;
  constraints: number;
  nPublic: number;
  /** Milliseconds per step of this run (empty when skipped). */
  timings: Record<string, number>;
}

interface PtauChoice {
  path: string;
  power: number;
  /** Has the phase-2 (Lagrange) sections that `zkey new` needs. */
  prepared: boolean;
  sha256: string;
  source: "dev" | "PTAU_FILE";
}

export const MANIFEST_VERSION = 1;
/** Beacon iterations exponent (2^10 hash iterations), the smallest snarkjs accepts. */
export const BEACON_ITERATIONS_EXP = 10;

/** `${XDG_CACHE_HOME:-~/.cache}/blind-training/ptau`. */
export function defaultPtauCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== "" ? env.XDG_CACHE_HOME : join(homedir(), ".cache");
  return join(base, "blind-training", "ptau");
}

/** `segment_test` → `SegmentTest`. */
export function pascalName(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== "")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

/** Reads and checks a params file: an array of `{ name, file, power, optimization? }`. */
export async function loadParams(paramsFile: string): Promise<CircuitSpec[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(paramsFile, "utf8"));
  } catch (error) {
    throw new Error(`cannot read params file ${paramsFile}: ${(error as Error).message}`);
  }
  if (!Array.isArray(raw)) throw new Error(`${paramsFile}: expected an array of { name, file, power }`);
  const seen = new Set<string>();
  return raw.map((entry: unknown, i): CircuitSpec => {
    const where = `${paramsFile}[${i}]`;
    if (typeof entry !== "object" || entry === null) throw new Error(`${where}: expected an object`);
    const { name, file, power, optimization } = entry as Record<string, unknown>;
    if (typeof name !== "string" || !/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`${where}: "name" must match [A-Za-z][A-Za-z0-9_]*`);
    }
    if (seen.has(name)) throw new Error(`${where}: duplicate name "${name}"`);
    seen.add(name);
    if (typeof file !== "string" || !file.endsWith(".circom")) {
      throw new Error(`${where}: "file" must be a .circom path relative to the project root`);
    }
    if (typeof power !== "number" || !Number.isInteger(power) || power < 1 || power > 28) {
      throw new Error(`${where}: "power" must be an integer in 1..28`);
    }
    if (
      optimization !== undefined &&
      optimization !== "O0" &&
      optimization !== "O1" &&
      optimization !== "O2"
    ) {
      throw new Error(`${where}: "optimization" must be "O0", "O1" or "O2"`);
    }
    return optimization === undefined ? { name, file, power } : { name, file, power, optimization };
  });
}

// ---------------------------------------------------------------------------------------------
// Binary headers (r1cs and ptau share the iden3 binfile layout: magic, version, sections).

interface BinSections {
  magic: string;
  sections: Map<number, { offset: number; size: number }>;
}

async function readBinSections(file: string, expectedMagic: string): Promise<BinSections> {
  const fd = await open(file, "r");
  try {
    const { size: fileSize } = await fd.stat();
    const head = Buffer.alloc(12);
    await fd.read(head, 0, 12, 0);
    const magic = head.toString("latin1", 0, 4);
    if (magic !== expectedMagic) throw new Error(`${file} is not a ${expectedMagic} file (magic "${magic}")`);
    const nSections = head.readUInt32LE(8);
    const sections = new Map<number, { offset: number; size: number }>();
    let pos = 12;
    const sh = Buffer.alloc(12);
    for (let i = 0; i < nSections; i++) {
      if (pos + 12 > fileSize) throw new Error(`${file} is truncated`);
      await fd.read(sh, 0, 12, pos);
      const type = sh.readUInt32LE(0);
      const size = Number(sh.readBigUInt64LE(4));
      sections.set(type, { offset: pos + 12, size });
      pos += 12 + size;
    }
    if (pos > fileSize) throw new Error(`${file} is truncated`);
    return { magic, sections };
  } finally {
    await fd.close();
  }
}

async function readAt(file: string, offset: number, length: number): Promise<Buffer> {
  const fd = await open(file, "r");
  try {
    const buf = Buffer.alloc(length);
    await fd.read(buf, 0, length, offset);
    return buf;
  } finally {
    await fd.close();
  }
}

const BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const BN254_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

function leBigInt(buf: Buffer, offset: number, n8: number): bigint {
  let v = 0n;
  for (let i = n8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[offset + i] ?? 0);
  return v;
}

/** Header of a powers of tau file: its power, whether it is prepared for phase 2. */
export async function readPtauHeader(file: string): Promise<{ power: number; prepared: boolean }> {
  const { sections } = await readBinSections(file, "ptau");
  const header = sections.get(1);
  if (!header) throw new Error(`${file}: powers of tau file without a header section`);
  const buf = await readAt(file, header.offset, header.size);
  const n8 = buf.readUInt32LE(0);
  if (leBigInt(buf, 4, n8) !== BN254_Q) throw new Error(`${file}: powers of tau is not for the bn128 curve`);
  return { power: buf.readUInt32LE(4 + n8), prepared: sections.has(12) };
}

/** Header of an r1cs file: constraint and public signal counts. */
export async function readR1csHeader(file: string): Promise<{
  nWires: number;
  nConstraints: number;
  nPubInputs: number;
  nOutputs: number;
  nPrvInputs: number;
}> {
  const { sections } = await readBinSections(file, "r1cs");
  const header = sections.get(1);
  if (!header) throw new Error(`${file}: r1cs file without a header section`);
  const buf = await readAt(file, header.offset, header.size);
  const n8 = buf.readUInt32LE(0);
  if (leBigInt(buf, 4, n8) !== BN254_R) throw new Error(`${file}: r1cs is not over the bn128 scalar field`);
  let p = 4 + n8;
  const nWires = buf.readUInt32LE(p);
  const nOutputs = buf.readUInt32LE(p + 4);
  const nPubInputs = buf.readUInt32LE(p + 8);
  const nPrvInputs = buf.readUInt32LE(p + 12);
  p += 16 + 8; // nLabels is a u64
  const nConstraints = buf.readUInt32LE(p);
  return { nWires, nConstraints, nPubInputs, nOutputs, nPrvInputs };
}

/** Smallest power p with 2^p > constraints + public inputs + outputs (snarkjs `zkey new`'s rule). */
export function requiredPower(r1cs: { nConstraints: number; nPubInputs: number; nOutputs: number }): number {
  const v = r1cs.nConstraints + r1cs.nPubInputs + r1cs.nOutputs;
  let p = 0;
  while (2 ** p <= v) p++;
  return p;
}

// ---------------------------------------------------------------------------------------------
// Hashing, locking, small helpers.

const fileHashes = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

export async function sha256File(file: string): Promise<string> {
  const st = await stat(file);
  const cached = fileHashes.get(file);
  if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return cached.sha256;
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const sha256 = hash.digest("hex");
  fileHashes.set(file, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
  return sha256;
}

async function listCircomFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && !entry.name.startsWith(".")) await walk(p);
      } else if (entry.name.endsWith(".circom")) out.push(p);
    }
  };
  if (existsSync(dir)) await walk(dir);
  return out;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs `body` holding an exclusive lock file (O_EXCL create). A lock left by a dead process on this
 * host is taken over; otherwise waits, reporting once.
 */
export async function withLock<T>(lockPath: string, body: () => Promise<T>, log?: (line: string) => void) {
  await mkdir(dirname(lockPath), { recursive: true });
  const me = `${process.pid}@${hostname()}`;
  let reported = false;
  for (;;) {
    try {
      const fh = await open(lockPath, "wx");
      await fh.writeFile(me);
      await fh.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = await readFile(lockPath, "utf8").catch(() => "");
      const [pidText, host] = holder.split("@");
      const pid = Number(pidText);
      if (holder !== "" && host === hostname() && Number.isInteger(pid) && !isAlive(pid)) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (!reported && log) log(`waiting for lock ${lockPath} (held by ${holder || "?"})`);
      reported = true;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await body();
  } finally {
    await rm(lockPath, { force: true });
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function timed<T>(timings: Record<string, number>, key: string, body: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await body();
  timings[key] = Math.round(performance.now() - t0);
  return result;
}

/** A logger for snarkjs that keeps its errors (to explain a failure) and prints only when verbose. */
export function snarkLogger(verbose: boolean | undefined, prefix: string) {
  const errors: string[] = [];
  const print = (level: string) => (message: string) => {
    if (verbose) process.stderr.write(`  ${prefix} snarkjs ${level}: ${message}\n`);
  };
  return {
    errors,
    logger: {
      debug: () => {},
      // powersoftau new calls `log` (every 100,000 points, i.e. from power 17 on).
      log: print("log"),
      info: print("info"),
      warn: print("warn"),
      error: (message: string) => {
        errors.push(message);
        print("error")(message);
      },
    },
  };
}

/**
 * snarkjs's `zkey verify` run by verifyZkey.ts in a child process, which leaves the powers of tau
 * file open (see there); stderr is passed through when verbose and returned for the error message.
 */
function verifyZkeyInChild(
  r1cs: string,
  ptau: string,
  zkey: string,
  verbose: boolean | undefined,
): Promise<{ code: number; stderr: string }> {
  const script = join(import.meta.dirname, "verifyZkey.ts");
  const args = [script, r1cs, ptau, zkey, ...(verbose ? ["--verbose"] : [])];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      if (verbose) process.stderr.write(d);
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? 1, stderr }));
  });
}

/** snarkjs signals some failures by returning -1 or false instead of throwing. */
function check(result: unknown, what: string, errors: readonly string[]) {
  if (result === -1 || result === false) {
    throw new Error(`${what} failed${errors.length > 0 ? `: ${errors.join("; ")}` : ""}`);
  }
}

function entropy(): string {
  return randomBytes(32).toString("hex");
}

/** Stops snarkjs's worker threads (the cached bn128 curve) so the process can exit. */
export async function releaseSnarkjs(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  if (g.curve_bn128) await g.curve_bn128.terminate();
}

// ---------------------------------------------------------------------------------------------
// Powers of tau.

/**
 * Generates the dev `pot<power>_final.ptau` with the fast generator (devPtau.ts: one party, secrets
 * from crypto randomness, snarkjs's format with one contribution record and the phase-2 sections
 * exactly as `prepare phase2` makes them; seconds where snarkjs's new + contribute + prepare phase2
 * takes minutes to an hour). Files made earlier by snarkjs under the same name stay valid.
 */
async function makeDevPtau(file: string, power: number, opts: BuildOptions): Promise<void> {
  const log = opts.log ?? (() => {});
  log(`ptau: generating dev powers of tau 2^${power} (one-time; cached at ${file})`);
  await generateDevPtau(power, file, (line) => log(`ptau: ${line}`));
}

/** Cached dev files, by power. */
async function cachedDevPtaus(cacheDir: string): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  if (!existsSync(cacheDir)) return found;
  for (const entry of await readdir(cacheDir)) {
    const m = /^pot(\d+)_final\.ptau$/.exec(entry);
    if (m?.[1]) found.set(Number(m[1]), join(cacheDir, entry));
  }
  return found;
}

/**
 * The powers of tau for a main: PTAU_FILE when given (checked: bn128, prepared for phase 2), else
 * the smallest cached dev file of at least `power`, generated when there is none.
 */
export async function resolvePtau(power: number, opts: BuildOptions): Promise<PtauChoice> {
  if (opts.ptauFile !== undefined && opts.ptauFile !== "") {
    const path = resolve(opts.root, opts.ptauFile);
    if (!existsSync(path)) throw new Error(`PTAU_FILE ${path} does not exist`);
    const header = await readPtauHeader(path);
    return {
      path,
      power: header.power,
      prepared: header.prepared,
      sha256: await sha256File(path),
      source: "PTAU_FILE",
    };
  }
  const pick = async () => {
    const cached = [...(await cachedDevPtaus(opts.ptauCacheDir)).entries()]
      .filter(([p]) => p >= power)
      .sort(([a], [b]) => a - b)[0];
    return cached;
  };
  let chosen = await pick();
  if (!chosen) {
    const file = join(opts.ptauCacheDir, `pot${power}_final.ptau`);
    await withLock(
      `${file}.lock`,
      async () => {
        // Another build may have made it while we waited for the lock.
        if (!existsSync(file)) await makeDevPtau(file, power, opts);
      },
      opts.log,
    );
    chosen = await pick();
    if (!chosen) throw new Error(`dev powers of tau 2^${power} missing after generation`);
  }
  const [p, path] = chosen;
  const header = await readPtauHeader(path);
  if (header.power !== p || !header.prepared) {
    throw new Error(
      `cached dev powers of tau ${path} is damaged (power ${header.power}); delete it to regenerate`,
    );
  }
  return { path, power: p, prepared: true, sha256: await sha256File(path), source: "dev" };
}

// ---------------------------------------------------------------------------------------------
// One main.

function outputsOf(spec: CircuitSpec, opts: BuildOptions): CircuitOutputs {
  const dir = join(opts.outDir, spec.name);
  return {
    dir,
    r1cs: join(dir, `${spec.name}.r1cs`),
    sym: join(dir, `${spec.name}.sym`),
    wasm: join(dir, `${spec.name}.wasm`),
    zkey: join(dir, `${spec.name}.zkey`),
    verificationKey: join(dir, "verification_key.json"),
    verifier: join(opts.contractsDir, `${pascalName(spec.name)}Groth16Verifier.sol`),
    manifest: join(dir, "manifest.json"),
  };
}

/** Folder of an installed package (some, like snarkjs, do not export their package.json). */
function packageDir(pkg: string): string {
  let dir = dirname(require.resolve(pkg));
  while (!existsSync(join(dir, "package.json")) || basename(dir) !== basename(pkg)) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot locate package ${pkg}`);
    dir = up;
  }
  return dir;
}

function packageVersion(pkg: string): string {
  return (require(join(packageDir(pkg), "package.json")) as { version: string }).version;
}

/** What a main's outputs depend on; the manifest stores it and a build compares it. */
async function manifestInputs(spec: CircuitSpec, opts: BuildOptions, ptau: PtauChoice) {
  const mainFile = resolve(opts.root, spec.file);
  if (!existsSync(mainFile)) throw new Error(`${spec.name}: main file ${spec.file} does not exist`);
  const sourceDir = dirname(resolve(opts.root, opts.paramsFile));
  const files = new Set([mainFile, ...(await listCircomFiles(sourceDir))]);
  const sources: Record<string, string> = {};
  for (const f of [...files].sort()) sources[relative(opts.root, f)] = await sha256File(f);
  return {
    manifestVersion: MANIFEST_VERSION,
    name: spec.name,
    file: spec.file,
    power: spec.power,
    optimization: spec.optimization ?? "O2",
    sources,
    circomlib: packageVersion("circomlib"),
    circom2: packageVersion("circom2"),
    snarkjs: packageVersion("snarkjs"),
    ptau: { sha256: ptau.sha256, power: ptau.power, source: ptau.source },
  };
}

function runCircom(args: string[], cwd: string): Promise<string> {
  const cli = require.resolve("circom2/cli.js");
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colours from circom's output
      const clean = output.replace(/\u001b\[[0-9;]*m/g, "");
      if (code === 0) resolvePromise(clean);
      else reject(new Error(`circom2 exited with ${code}:\n${clean.trim()}`));
    });
  });
}

async function compile(spec: CircuitSpec, opts: BuildOptions, out: CircuitOutputs): Promise<void> {
  const tmpDir = join(out.dir, `.compile-${process.pid}`);
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });
  try {
    const rel = (p: string) => relative(opts.root, p) || ".";
    await runCircom(
      [
        rel(resolve(opts.root, spec.file)),
        "--r1cs",
        "--wasm",
        "--sym",
        `--${spec.optimization ?? "O2"}`,
        "-l",
        rel(join(opts.root, "node_modules")),
        "-o",
        rel(tmpDir),
      ],
      opts.root,
    );
    const base = basename(spec.file, ".circom");
    await rename(join(tmpDir, `${base}.r1cs`), out.r1cs);
    await rename(join(tmpDir, `${base}.sym`), out.sym);
    await rename(join(tmpDir, `${base}_js`, `${base}.wasm`), out.wasm);
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}

async function readManifest(
  file: string,
): Promise<{ inputs?: unknown; constraints?: number; nPublic?: number }> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as { inputs?: unknown };
  } catch {
    return {};
  }
}

/** Renames the snarkjs template's `Groth16Verifier` and marks the file as generated. */
export function renameVerifier(source: string, contractName: string, zkeyLabel: string): string {
  if (!source.includes("contract Groth16Verifier {")) {
    throw new Error("snarkjs verifier template changed: `contract Groth16Verifier {` not found");
  }
  const lines = source.replace("contract Groth16Verifier {", `contract ${contractName} {`).split("\n");
  const note = `// GENERATED by scripts/circuits/build.ts from ${zkeyLabel} (snarkjs template); do not edit.`;
  const spdx = lines.findIndex((l) => l.startsWith("// SPDX-License-Identifier"));
  lines.splice(spdx + 1, 0, note);
  return lines.join("\n");
}

async function buildOne(spec: CircuitSpec, opts: BuildOptions): Promise<CircuitResult> {
  const log = opts.log ?? (() => {});
  const say = (line: string) => log(`[${spec.name}] ${line}`);
  const out = outputsOf(spec, opts);
  const contractName = `${pascalName(spec.name)}Groth16Verifier`;
  const timings: Record<string, number> = {};

  const ptau = await timed(timings, "ptau", () => resolvePtau(spec.power, opts));
  const inputs = await manifestInputs(spec, opts, ptau);
  const previous = await readManifest(out.manifest);
  const outputsExist = [out.r1cs, out.wasm, out.zkey, out.verificationKey, out.verifier].every((f) =>
    existsSync(f),
  );
  if (!opts.force && outputsExist && JSON.stringify(previous.inputs) === JSON.stringify(inputs)) {
    say(`up to date, skipped (${previous.constraints} constraints)`);
    return {
      name: spec.name,
      status: "skipped",
      contractName,
      constraints: previous.constraints ?? 0,
      nPublic: previous.nPublic ?? 0,
      timings: {},
      ...out,
    };
  }

  const t0 = performance.now();
  await mkdir(out.dir, { recursive: true });
  await mkdir(opts.contractsDir, { recursive: true });
  await rm(out.manifest, { force: true }); // a crash from here on leaves no matching manifest

  await timed(timings, "compile", () => compile(spec, opts, out));
  const r1cs = await readR1csHeader(out.r1cs);
  const need = requiredPower(r1cs);
  const nPublic = r1cs.nPubInputs + r1cs.nOutputs;
  say(
    `compiled ${seconds(timings.compile ?? 0)}: ${r1cs.nConstraints} constraints, ${nPublic} public, ` +
      `${r1cs.nWires} wires (needs ptau 2^${need})`,
  );
  if (ptau.source === "PTAU_FILE" && ptau.power < need) {
    throw new Error(
      `PTAU_FILE ${ptau.path} has power ${ptau.power} (2^${ptau.power} = ${2 ** ptau.power}) but ${spec.name} ` +
        `needs power ${need}: ${r1cs.nConstraints} constraints + ${nPublic} public signals must be < 2^power. ` +
        `Use a powers of tau file of power ≥ ${need}.`,
    );
  }
  if (!ptau.prepared) {
    throw new Error(
      `PTAU_FILE ${ptau.path} is not prepared for phase 2 (no Lagrange section); use a *_final.ptau ` +
        "or run `snarkjs powersoftau prepare phase2` on it",
    );
  }
  if (need > spec.power) {
    throw new Error(
      `${spec.name} needs powers of tau 2^${need} (${r1cs.nConstraints} constraints + ${nPublic} public) ` +
        `but its params entry says power ${spec.power}; raise "power" to ${need} in ${opts.paramsFile}`,
    );
  }
  say(`ptau: ${ptau.source === "dev" ? "dev" : "PTAU_FILE"} 2^${ptau.power} ${ptau.path}`);

  const { errors, logger } = snarkLogger(opts.verbose, `[${spec.name}]`);
  const tag = `${out.zkey}.${process.pid}`;
  const z = [`${tag}.0.tmp`, `${tag}.1.tmp`, `${tag}.2.tmp`, `${tag}.final.tmp`] as const;
  try {
    await timed(timings, "zkeyNew", async () =>
      check(await snarkjs.zKey.newZKey(out.r1cs, ptau.path, z[0], logger), "zkey new", errors),
    );
    say(`zkey new ${seconds(timings.zkeyNew ?? 0)}`);
    await timed(timings, "contribute1", async () =>
      check(
        await snarkjs.zKey.contribute(z[0], z[1], "contribution 1", entropy(), logger),
        "contribute",
        errors,
      ),
    );
    await timed(timings, "contribute2", async () =>
      check(
        await snarkjs.zKey.contribute(z[1], z[2], "contribution 2", entropy(), logger),
        "contribute",
        errors,
      ),
    );
    say(`2 contributions ${seconds((timings.contribute1 ?? 0) + (timings.contribute2 ?? 0))}`);
    const beaconHash = randomBytes(32).toString("hex");
    await timed(timings, "beacon", async () =>
      check(
        await snarkjs.zKey.beacon(z[2], z[3], "final beacon", beaconHash, BEACON_ITERATIONS_EXP, logger),
        "zkey beacon",
        errors,
      ),
    );
    say(
      `beacon ${seconds(timings.beacon ?? 0)} (hash ${beaconHash.slice(0, 16)}…, 2^${BEACON_ITERATIONS_EXP} iterations)`,
    );
    const verdict = await timed(timings, "zkeyVerify", () =>
      verifyZkeyInChild(out.r1cs, ptau.path, z[3], opts.verbose),
    );
    if (verdict.code !== 0) {
      throw new Error(
        `${spec.name}: zkey verify against r1cs and ptau FAILED (exit ${verdict.code})${verdict.stderr ? `: ${verdict.stderr.trim()}` : ""}`,
      );
    }
    say(`zkey verify OK ${seconds(timings.zkeyVerify ?? 0)}`);
    await rename(z[3], out.zkey);
  } finally {
    for (const f of z) await rm(f, { force: true });
  }

  await timed(timings, "export", async () => {
    const vkey = await snarkjs.zKey.exportVerificationKey(out.zkey, logger);
    await writeFile(out.verificationKey, `${JSON.stringify(vkey, null, 2)}\n`);
    const templateDir = join(packageDir("snarkjs"), "templates");
    const groth16 = await readFile(join(templateDir, "verifier_groth16.sol.ejs"), "utf8");
    const sol = await snarkjs.zKey.exportSolidityVerifier(out.zkey, { groth16 }, logger);
    await writeFile(out.verifier, renameVerifier(sol, contractName, relative(opts.root, out.zkey)));
  });
  timings.total = Math.round(performance.now() - t0);
  say(`exported ${contractName} → ${relative(opts.root, out.verifier)} (total ${seconds(timings.total)})`);

  const manifest = {
    inputs,
    constraints: r1cs.nConstraints,
    nPublic,
    wires: r1cs.nWires,
    requiredPower: need,
    ptauPath: ptau.path,
    contractName,
    outputs: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, relative(opts.root, v)])),
    timingsMs: timings,
    builtAt: new Date().toISOString(),
  };
  await writeFile(out.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  return {
    name: spec.name,
    status: "built",
    contractName,
    constraints: r1cs.nConstraints,
    nPublic,
    timings,
    ...out,
  };
}

/** Builds every main of the params file (or those in `only`), in order. */
export async function buildCircuits(opts: BuildOptions): Promise<CircuitResult[]> {
  const paramsFile = isAbsolute(opts.paramsFile) ? opts.paramsFile : resolve(opts.root, opts.paramsFile);
  const specs = await loadParams(paramsFile);
  const only = opts.only && opts.only.length > 0 ? new Set(opts.only) : undefined;
  if (only) {
    const unknown = [...only].filter((n) => !specs.some((s) => s.name === n));
    if (unknown.length > 0) {
      throw new Error(
        `unknown main(s) ${unknown.join(", ")}; ${paramsFile} has ${specs.map((s) => s.name).join(", ")}`,
      );
    }
  }
  const selected = specs.filter((s) => !only || only.has(s.name));
  if ((opts.ptauFile ?? "") === "" && selected.length > 0) {
    // One dev file of the largest power serves every smaller main: generating it first avoids
    // generating a smaller one too (a smaller file is generated only when no larger one exists).
    await resolvePtau(Math.max(...selected.map((s) => s.power)), opts);
  }
  const results: CircuitResult[] = [];
  for (const spec of selected) results.push(await buildOne(spec, { ...opts, paramsFile }));
  return results;
}
