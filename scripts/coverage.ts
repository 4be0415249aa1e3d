// `npm run coverage`: runs the whole suite (Solidity and TypeScript tests) under
// `hardhat test --coverage` and writes the line, statement and branch coverage of contracts/
// (outside contracts/generated, contracts/poseidon and contracts/test) to bench/results/coverage.json.
//
// Hardhat 3 reports lines and statements (coverage/lcov.info, coverage/html) but not branches: EDR
// instruments statements only. Branches are derived here from the same data: the statement tags
// EDR executed (coverage/data/*/*.json, tag → count) mapped onto the contracts' syntax tree (solc,
// parsing only). Each `if` has two branches: taken when a statement of its body ran; not taken
// when a statement of its `else` ran, or, without `else`, when the `if` ran more often than its
// body, or when its body always leaves (revert/return/break/continue) and the statement after the
// `if` ran. Each `try` clause is a branch, taken when a statement of its block ran. Ternaries and
// short-circuit operators are expressions EDR does not tag: they are not counted. A branch whose
// block has no statement cannot be observed and is listed as such. Counts are per test run, so a
// `false` side reached only inside a call whose `true` side also ran may read as not taken: the
// figure errs low, never high.
//
// `--no-run` recomputes the figures from the last run's coverage/ folder.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const COVERAGE = join(ROOT, "coverage");
const OUT = join(ROOT, "bench", "results", "coverage.json");
/** Folders of contracts/ that are not ours to cover: generated code and test doubles. */
const EXCLUDED = ["contracts/generated/", "contracts/poseidon/", "contracts/test/"];
/** Target of issue 12. */
const BRANCH_TARGET_PCT = 95;

const require = createRequire(import.meta.url);
const solc = require("solc") as { compile(input: string): string; version(): string };
// The instrumentation of the EDR that Hardhat itself loads: the tags must be the ones it recorded.
const { addStatementCoverageInstrumentation, latestSupportedSolidityVersion } = createRequire(
  require.resolve("hardhat/package.json"),
)("@nomicfoundation/edr") as typeof import("@nomicfoundation/edr");

type Range = { start: number; end: number };
type Statement = Range & { tag: string };
type Branch = { line: number; kind: string; taken: boolean | undefined };
type Figures = { hit: number; found: number; pct: number };

const figures = (hit: number, found: number): Figures => ({
  hit,
  found,
  pct: found === 0 ? 100 : Math.round((hit * 10_000) / found) / 100,
});

/** Every .sol file under contracts/ that is reported. */
function contractFiles(): string[] {
  return readdirSync(join(ROOT, "contracts"), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".sol"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .filter((f) => !EXCLUDED.some((dir) => f.startsWith(dir)))
    .sort();
}

/** The test runs (`nodejs`, `solidity`) whose data the last coverage run left. */
function dataRuns(): string[] {
  const dataDir = join(COVERAGE, "data");
  if (!existsSync(dataDir)) return [];
  return readdirSync(dataDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && readdirSync(join(dataDir, e.name)).some((f) => f.endsWith(".json")))
    .map((e) => e.name)
    .sort();
}

/** Executed statement tags of the last run, summed over its data files (tag → count). */
function executedTags(): Map<string, number> {
  const dataDir = join(COVERAGE, "data");
  if (!existsSync(dataDir))
    throw new Error(`no coverage data in ${dataDir}: run \`hardhat test --coverage\` first`);
  const counts = new Map<string, number>();
  for (const e of readdirSync(dataDir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith(".json")) continue;
    const data = JSON.parse(readFileSync(join(e.parentPath, e.name), "utf8")) as Record<string, number>;
    for (const [tag, count] of Object.entries(data)) counts.set(tag, (counts.get(tag) ?? 0) + count);
  }
  return counts;
}

/** Line figures per file from Hardhat's lcov report. */
function lcovLines(): Map<string, { hit: number; found: number; uncovered: number[] }> {
  const out = new Map<string, { hit: number; found: number; uncovered: number[] }>();
  let current: { hit: number; found: number; uncovered: number[] } | undefined;
  for (const line of readFileSync(join(COVERAGE, "lcov.info"), "utf8").split("\n")) {
    if (line.startsWith("SF:")) {
      current = { hit: 0, found: 0, uncovered: [] };
      out.set(line.slice(3).replaceAll("\\", "/"), current);
    } else if (line.startsWith("DA:") && current) {
      const [lineNo, count] = line.slice(3).split(",").map(Number);
      current.found++;
      if (count) current.hit++;
      else if (lineNo !== undefined) current.uncovered.push(lineNo);
    }
  }
  return out;
}

/** The statements EDR instruments in `source` (the tags are a hash of the source name and position). */
function statementsOf(file: string, source: string): Statement[] {
  const version = solc.version().split("+")[0] ?? "";
  const latest = latestSupportedSolidityVersion();
  const instrumentationVersion = compareVersions(version, latest) <= 0 ? version : latest;
  const { metadata } = addStatementCoverageInstrumentation(source, `project/${file}`, instrumentationVersion);
  // EDR's ranges run from the end of the previous statement to the end of the line: trim them to the
  // statement itself, as solc's syntax tree delimits it.
  return metadata
    .filter((m) => m.kind === "statement")
    .map((m) => {
      let start = m.startUtf16;
      let end = m.endUtf16;
      while (start < end && /\s/.test(source[start] ?? "")) start++;
      while (end > start && /\s/.test(source[end - 1] ?? "")) end--;
      return { tag: Buffer.from(m.tag).toString("hex"), start, end };
    });
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

type AstNode = { nodeType?: string; src?: string; [key: string]: unknown };

/** solc's syntax tree of one file (parsing only: no imports needed). */
function astOf(file: string, source: string): AstNode {
  const input = {
    language: "Solidity",
    sources: { [file]: { content: source } },
    settings: { stopAfter: "parsing", outputSelection: { "*": { "": ["ast"] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    sources?: Record<string, { ast: AstNode }>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  const ast = output.sources?.[file]?.ast;
  if (errors.length > 0 || !ast)
    throw new Error(`${file}: ${errors.map((e) => e.formattedMessage).join("\n")}`);
  return ast;
}

/** Analyses one file: statements, lines, branches. */
function analyse(file: string, executed: Map<string, number>) {
  const source = readFileSync(join(ROOT, file), "utf8");
  const statements = statementsOf(file, source);
  // solc's `src` offsets count UTF-8 bytes; EDR's count UTF-16 units.
  const bytes = Buffer.from(source, "utf8");
  const utf16At = (byteOffset: number) => bytes.subarray(0, byteOffset).toString("utf8").length;
  const rangeOf = (node: AstNode): Range => {
    const [start, length] = (node.src ?? "0:0").split(":").map(Number);
    const s = utf16At(start ?? 0);
    const e = utf16At((start ?? 0) + (length ?? 0));
    // A simple statement's `src` stops before its semicolon; EDR's range includes it.
    return { start: s, end: source[e] === ";" ? e + 1 : e };
  };
  const lineOf = (offset: number) => source.slice(0, offset).split("\n").length;
  const inside = (r: Range) => statements.filter((s) => s.start >= r.start && s.end <= r.end);
  const count = (s: Statement | undefined) => (s ? (executed.get(s.tag) ?? 0) : 0);
  const ran = (r: Range): boolean | undefined => {
    const within = inside(r);
    return within.length === 0 ? undefined : within.some((s) => count(s) > 0);
  };
  /** The tag of exactly this node's range, if EDR tags it. */
  const own = (r: Range) => statements.find((s) => s.start === r.start && s.end === r.end);
  const leaves = (node: AstNode): boolean => {
    const type = node.nodeType;
    if (type === "Return" || type === "RevertStatement" || type === "Break" || type === "Continue")
      return true;
    if (type === "Block" || type === "UncheckedBlock") {
      const list = (node.statements as AstNode[] | undefined) ?? [];
      const last = list.at(-1);
      return last !== undefined && leaves(last);
    }
    if (type === "IfStatement") {
      return (
        node.falseBody !== null &&
        node.falseBody !== undefined &&
        leaves(node.trueBody as AstNode) &&
        leaves(node.falseBody as AstNode)
      );
    }
    return false;
  };

  const branches: Branch[] = [];
  const visit = (node: unknown, next?: AstNode) => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        visit(child, node[i + 1] as AstNode | undefined);
      });
      return;
    }
    if (node === null || typeof node !== "object") return;
    const n = node as AstNode;
    if (n.nodeType === "IfStatement") {
      const range = rangeOf(n);
      const body = n.trueBody as AstNode;
      const line = lineOf(range.start);
      const bodyRan = ran(rangeOf(body));
      branches.push({ line, kind: "if: taken", taken: bodyRan });
      let notTaken: boolean | undefined;
      if (n.falseBody) {
        notTaken = ran(rangeOf(n.falseBody as AstNode));
      } else {
        const firstOfBody = inside(rangeOf(body))[0];
        const self = own(range);
        const moreThanBody = self !== undefined && count(self) > count(firstOfBody);
        const after = next && leaves(body) ? ran(rangeOf(next)) === true : false;
        notTaken = moreThanBody || after;
      }
      branches.push({ line, kind: n.falseBody ? "if: else" : "if: not taken", taken: notTaken });
    } else if (n.nodeType === "TryStatement") {
      const clauses = (n.clauses as AstNode[] | undefined) ?? [];
      clauses.forEach((clause, i) => {
        const name = String(clause.errorName ?? "");
        branches.push({
          line: lineOf(rangeOf(clause).start),
          kind: i === 0 ? "try: success" : `catch${name ? ` ${name}` : ""}`,
          taken: ran(rangeOf(clause.block as AstNode)),
        });
      });
    }
    for (const value of Object.values(n)) if (value !== null && typeof value === "object") visit(value);
  };
  visit(astOf(file, source));

  const hitStatements = statements.filter((s) => count(s) > 0).length;
  return { statements: figures(hitStatements, statements.length), branches };
}

function main() {
  const args = new Set(process.argv.slice(2));
  let exitCode = 0;
  if (!args.has("--no-run")) {
    // Instrumented contracts cost more gas: the gas snapshot test then compares only which
    // transactions it measures (test/ts/GasSnapshot.test.ts).
    const run = spawnSync("hardhat", ["test", "--coverage"], {
      cwd: ROOT,
      stdio: "inherit",
      env: { ...process.env, BLIND_TRAINING_COVERAGE: "1" },
    });
    exitCode = run.status ?? 1;
    if (exitCode !== 0)
      console.error(`coverage: hardhat test exited with ${exitCode}; figures are of the tests that ran`);
  }
  const runs = dataRuns();
  if (!runs.includes("nodejs") || !runs.includes("solidity")) {
    console.error(
      `coverage: data only from [${runs.join(", ")}]: a test process ended before saving its data`,
    );
    exitCode ||= 1;
  }
  const executed = executedTags();
  const lines = lcovLines();
  const files: Record<string, unknown> = {};
  let lineHit = 0;
  let lineFound = 0;
  let stmtHit = 0;
  let stmtFound = 0;
  let branchHit = 0;
  let branchFound = 0;
  const uncovered: string[] = [];
  const unobservable: string[] = [];
  for (const file of contractFiles()) {
    const { statements, branches } = analyse(file, executed);
    if (statements.found === 0) continue; // interfaces, types, pure declarations
    const l = lines.get(file) ?? { hit: 0, found: 0, uncovered: [] };
    const measured = branches.filter((b) => b.taken !== undefined);
    const taken = measured.filter((b) => b.taken).length;
    for (const b of branches) {
      if (b.taken === false) uncovered.push(`${file}:${b.line} ${b.kind}`);
      if (b.taken === undefined) unobservable.push(`${file}:${b.line} ${b.kind}`);
    }
    files[file] = {
      lines: figures(l.hit, l.found),
      statements,
      branches: figures(taken, measured.length),
      uncoveredLines: l.uncovered,
    };
    lineHit += l.hit;
    lineFound += l.found;
    stmtHit += statements.hit;
    stmtFound += statements.found;
    branchHit += taken;
    branchFound += measured.length;
  }
  const total = {
    lines: figures(lineHit, lineFound),
    statements: figures(stmtHit, stmtFound),
    branches: figures(branchHit, branchFound),
  };
  const report = {
    command: "npm run coverage (hardhat test --coverage: Solidity and TypeScript tests)",
    scope: `contracts/ except ${EXCLUDED.join(", ")}`,
    branchMethod:
      "if (taken / not taken or else) and try clauses, from EDR's statement coverage; see scripts/coverage.ts",
    branchTargetPct: BRANCH_TARGET_PCT,
    testsExitCode: exitCode,
    testRuns: runs,
    total,
    files,
    uncoveredBranches: uncovered,
    unobservableBranches: unobservable,
  };
  writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    `coverage of contracts/: lines ${total.lines.pct} %, statements ${total.statements.pct} %, ` +
      `branches ${total.branches.pct} % (${branchHit}/${branchFound}; target ${BRANCH_TARGET_PCT} %) → ${relative(ROOT, OUT)}`,
  );
  process.exitCode = exitCode;
}

main();
