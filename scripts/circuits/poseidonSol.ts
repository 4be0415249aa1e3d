// Generates gas-optimized Solidity/Yul for circomlib's Poseidon(4) (t = 5) and Poseidon(6) (t = 7):
// `contracts/poseidon/PoseidonT5.sol` and `PoseidonT7.sol`, from circomlibjs' own optimized constants
// (`circomlibjs/src/poseidon_constants_opt.js`: round constants C, sparse partial-round matrices S,
// the MDS matrix M and the pre-partial matrix P, exactly the structure of circomlib's poseidon.circom
// and circomlibjs' poseidon_opt.js). The output equals circomlib's Poseidon(n), but inputs that are
// not field elements revert with `PoseidonInputNotInField(index, value)`.
//
// Regenerate: `npx node scripts/circuits/poseidonSol.ts` (then `npx hardhat build`). The generated
// files are committed; test/ts/circuits/poseidonSol.test.ts checks they equal `generatePoseidonSol`.
//
// The code is straight-line Yul: every round unrolled, constants as literals (constant additions are
// folded through the matrices at generation time), x^5 as three mulmods, the state on the stack.
// Sums of mulmod results are kept unreduced (plain `add`) while the generator can prove they stay
// below 2^256 (mulmod and the next mulmod accept any 256-bit operand), and reduced with `addmod`
// only when needed.
//
// Size: the permutation needs ≈ 700 (t = 5) / ≈ 1,000 (t = 7) distinct 254-bit constants, more than
// the 24,576-byte contract size limit (EIP-170) can hold as code. Each hash is therefore split over
// two contracts: `PoseidonT5` (the entry point: input checks, the first full rounds and the first
// partial rounds) passes the state to `PoseidonT5Tail` (deployed by its constructor; the remaining
// rounds) with one STATICCALL, which costs a cold account access (2,600 gas) per hash.
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { toFunctionSelector } from "viem";

/** BN254 scalar field order (circomlib's Poseidon field). */
export const FIELD_SIZE = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const P = FIELD_SIZE;
const WORD_MAX = (1n << 256n) - 1n;

/** Input counts generated (t = n + 1). */
export const POSEIDON_SOL_ARITIES = [4, 6] as const;

const N_ROUNDS_F = 8;
/** circomlib's partial round counts, indexed by t - 2. */
const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];

const ROOT = join(import.meta.dirname, "..", "..");

/** The generated file of Poseidon(n), relative to the repository root. */
export function poseidonSolPath(nInputs: number): string {
  return join("contracts", "poseidon", `PoseidonT${nInputs + 1}.sol`);
}

interface OptConstants {
  C: string[][];
  S: string[][];
  M: string[][][];
  P: string[][][];
}

/** circomlibjs' optimized Poseidon constants for state width t. */
interface Constants {
  C: bigint[];
  S: bigint[];
  M: bigint[][];
  P: bigint[][];
}

async function loadConstants(t: number): Promise<Constants> {
  const main = fileURLToPath(import.meta.resolve("circomlibjs"));
  const file = join(dirname(main), "src", "poseidon_constants_opt.js");
  const mod = (await import(pathToFileURL(file).href)) as { default: OptConstants };
  const opt = mod.default;
  const i = t - 2;
  const big = (x: string | undefined): bigint => {
    if (x === undefined) throw new Error(`missing Poseidon constant for t = ${t}`);
    return BigInt(x);
  };
  const C = opt.C[i];
  const S = opt.S[i];
  const M = opt.M[i];
  const Pm = opt.P[i];
  if (!C || !S || !M || !Pm) throw new Error(`no Poseidon constants for t = ${t}`);
  return {
    C: C.map(big),
    S: S.map(big),
    M: M.map((row) => row.map(big)),
    P: Pm.map((row) => row.map(big)),
  };
}

const mod = (x: bigint): bigint => ((x % P) + P) % P;

function pow5(x: bigint): bigint {
  const x2 = (x * x) % P;
  return (((x2 * x2) % P) * x) % P;
}

function lit(x: bigint): string {
  return `0x${x.toString(16)}`;
}

/** The scratch memory word of state element i (full-round temporaries). */
function slot(i: number): string {
  return lit(BigInt(0x80 + 32 * i));
}

/** A Yul expression with an upper bound on its value. */
interface Term {
  expr: string;
  bound: bigint;
}

/** `mulmod(x, c, p)`: any x below 2^256 works, the result is below p. */
function mulTerm(x: string, c: string, q = "p"): Term {
  return { expr: `mulmod(${x}, ${c}, ${q})`, bound: P - 1n };
}

/**
 * Sums terms with `add` while the bound proves no overflow, otherwise `addmod`. The running sum is
 * the last argument so it is evaluated first (Yul evaluates right to left): the stack stays shallow.
 */
function sum(terms: Term[], reduced = false, q = "p"): Term {
  const [first, ...rest] = terms;
  if (!first) throw new Error("empty sum");
  let acc = first;
  rest.forEach((term, k) => {
    const last = k === rest.length - 1;
    if (!(reduced && last) && acc.bound + term.bound <= WORD_MAX) {
      acc = { expr: `add(${term.expr},\n${acc.expr})`, bound: acc.bound + term.bound };
    } else {
      acc = { expr: `addmod(${term.expr},\n${acc.expr}, ${q})`, bound: P - 1n };
    }
  });
  if (reduced && acc.bound >= P) acc = { expr: `mod(${acc.expr}, ${q})`, bound: P - 1n };
  return acc;
}

/** Emits the Yul of one part (a contract's share) of the permutation. */
class Part {
  readonly lines: string[] = [];
  private depth: number;

  constructor(depth: number) {
    this.depth = depth;
  }

  /** How often each constant value appeared as a literal in this part. */
  private readonly uses = new Map<bigint, number>();

  /**
   * A literal for a multiplier c (any c + k·p, k ≤ 4, is below 2^256 and multiplies alike). The legacy
   * constant optimizer turns a PUSH32 value that appears several times into a costly CODECOPY, so the
   * k-th repetition of c in a part is written c + k·p: every literal stays distinct.
   */
  mulLit(c: bigint): string {
    const k = this.uses.get(c) ?? 0;
    if (k > 4) throw new Error(`constant ${lit(c)} used more than 5 times`);
    this.uses.set(c, k + 1);
    return lit(c + BigInt(k) * P);
  }

  /** A literal for an added constant (its value matters for the bounds: it must not repeat). */
  addLit(c: bigint): string {
    if (this.uses.has(c)) throw new Error(`added constant ${lit(c)} repeats`);
    this.uses.set(c, 1);
    return lit(c);
  }

  /** Yul function definitions, emitted after the code. */
  readonly functions: string[] = [];
  /** The row bounds of the mix function, once defined. */
  mixBounds: bigint[] | undefined;

  /**
   * Defines `mix(x0, .., x(t-1), q) -> r` once: the product by mat, with r the first entry and the
   * others in memory words 0x80 + 32 i (code size: a full round's t^2 constants appear once).
   */
  mixFunction(mat: bigint[][], t: number): bigint[] {
    if (this.mixBounds) return this.mixBounds;
    const xs = Array.from({ length: t }, (_, j) => `x${j}`);
    const row = (i: number): Term =>
      sum(
        xs.map((x, j) => mulTerm(x, this.mulLit(entry(mat, j, i)), "q")),
        false,
        "q",
      );
    const pad = "    ".repeat(this.depth);
    this.functions.push(`${pad}function mix(${xs.join(", ")}, q) -> r {`);
    const bounds: bigint[] = [];
    const statement = (text: string): void => {
      const [first, ...rest] = text.split("\n");
      this.functions.push(`${pad}    ${first}`, ...rest.map((l) => `${pad}        ${l}`));
    };
    for (let i = 1; i < t; i++) {
      const r = row(i);
      bounds[i] = r.bound;
      statement(`mstore(${slot(i)}, ${r.expr})`);
    }
    const r0 = row(0);
    bounds[0] = r0.bound;
    statement(`r := ${r0.expr}`);
    this.functions.push(`${pad}}`);
    this.mixBounds = bounds;
    return bounds;
  }

  /** A statement; a sum's terms go on continuation lines (one more level of indentation). */
  line(text: string): void {
    const [first, ...rest] = text.split("\n");
    const pad = "    ".repeat(this.depth);
    this.lines.push(`${pad}${first}`, ...rest.map((l) => `${pad}    ${l}`));
  }

  open(text = "{"): void {
    this.line(text);
    this.depth++;
  }

  close(): void {
    this.depth--;
    this.line("}");
  }
}

/** The permutation's state: the variables s0..s(t-1) and a bound on each. */
class State {
  readonly bound: bigint[];
  part: Part;
  readonly t: number;
  /** The value of the variable m in the current part, once declared. */
  m: bigint | undefined;

  /** Full-round temporaries kept on the stack (the rest go through memory). */
  readonly stackTemps: number;

  /** Full rounds by this matrix call the part's mix function when useMixFunction. */
  readonly useMixFunction: boolean;
  readonly mixMatrix: bigint[][];

  constructor(t: number, part: Part, bound: bigint[], plan: SplitPlan, mixMatrix: bigint[][]) {
    this.stackTemps = plan.stackTemps;
    this.useMixFunction = plan.mixFunction;
    this.mixMatrix = mixMatrix;
    this.t = t;
    this.part = part;
    this.bound = bound;
  }

  /** s_j := s_j^5. */
  sbox(j: number): void {
    const s = `s${j}`;
    this.part.open();
    this.part.line(`let y := mulmod(${s}, ${s}, p)`);
    this.part.line(`${s} := mulmod(mulmod(y, y, p), ${s}, p)`);
    this.part.close();
    this.bound[j] = P - 1n;
  }

  /**
   * The linear layer of a full round after its S-boxes: s_i := k_i + sum_{j in vars} mat[j][i] s_j,
   * where k is the round's constants folded through the matrix. `declare0` declares s0 (the first
   * round, where s0 entered as a constant). Only s0 when `onlyFirst` (the last round's output).
   */
  mix(mat: bigint[][], k: bigint[] | null, vars: number[], declare0: boolean, onlyFirst = false): void {
    const t = this.t;
    const row = (i: number): Term => {
      const terms: Term[] = [];
      const ki = k?.[i] ?? 0n;
      if (ki !== 0n) terms.push({ expr: this.part.addLit(ki), bound: ki });
      for (const j of vars) terms.push(mulTerm(`s${j}`, this.part.mulLit(entry(mat, j, i))));
      return sum(terms, onlyFirst);
    };
    if (onlyFirst) {
      this.part.line(`s0 := ${row(0).expr}`);
      this.bound[0] = P - 1n;
      return;
    }
    if (this.useMixFunction && mat === this.mixMatrix) {
      const bounds = this.part.mixFunction(mat, t);
      const args = Array.from({ length: t }, (_, j) => (vars.includes(j) ? `s${j}` : "0"));
      for (let i = 0; i < t; i++) {
        const value = i === 0 ? `mix(${args.join(", ")}, p)` : `mload(${slot(i)})`;
        const ki = k?.[i] ?? 0n;
        const terms: Term[] = [{ expr: value, bound: bounds[i] as bigint }];
        if (ki !== 0n) terms.push({ expr: this.part.addLit(ki), bound: ki });
        const r = sum(terms);
        this.part.line(`${i === 0 && declare0 ? "let " : ""}s${i} := ${r.expr}`);
        this.bound[i] = r.bound;
      }
      return;
    }
    const rows = Array.from({ length: t }, (_, i) => row(i));
    const expr = (i: number): string => (rows[i] as Term).expr;
    // Every new value needs every old one: all but one go through temporaries n_i first.
    if (declare0) this.part.line(`let s0 := ${expr(0)}`);
    const direct = declare0 ? 1 : 0;
    const temps = Array.from({ length: t }, (_, i) => i).filter((i) => i !== 0 && i !== direct);
    // The first stackTemps temporaries are stack variables, the others (stack too deep) memory words.
    const onStack = (i: number): boolean => temps.indexOf(i) < this.stackTemps;
    this.part.open();
    for (const i of temps) {
      this.part.line(onStack(i) ? `let n${i} := ${expr(i)}` : `mstore(${slot(i)}, ${expr(i)})`);
    }
    this.part.line(`s${direct} := ${expr(direct)}`);
    for (const i of temps) this.part.line(`s${i} := ${onStack(i) ? `n${i}` : `mload(${slot(i)})`}`);
    this.part.close();
    rows.forEach((r, i) => {
      this.bound[i] = r.bound;
    });
  }

  /**
   * A sparse partial round r: s0 := s0^5 + c; then s_k += s0 * v_k (k >= 1) and
   * s0 := m'·s0 + sum_k w_k s_k over the updated s_k, where m' = M00 - w·v absorbs the update.
   */
  partial(c: bigint, w: bigint[], v: bigint[], m00: bigint): void {
    const t = this.t;
    this.part.open();
    this.part.line("let y := mulmod(s0, s0, p)");
    this.part.line(`s0 := add(mulmod(mulmod(y, y, p), s0, p), ${this.part.addLit(c)})`);
    this.part.close();
    for (let k = 1; k < t; k++) {
      const term = mulTerm("s0", this.part.mulLit(v[k] as bigint));
      const s = `s${k}`;
      const bk = this.bound[k] as bigint;
      if (bk + term.bound <= WORD_MAX) {
        this.part.line(`${s} := add(${term.expr}, ${s})`);
        this.bound[k] = bk + term.bound;
      } else {
        this.part.line(`${s} := addmod(${term.expr}, ${s}, p)`);
        this.bound[k] = P - 1n;
      }
    }
    let wv = 0n;
    for (let k = 1; k < t; k++) wv += (w[k] as bigint) * (v[k] as bigint);
    const m = mod(m00 - wv);
    // m' is the same in every round: held in the variable m (a literal repeated this often would be
    // turned into a CODECOPY by the legacy constant optimizer).
    if (this.m === undefined) {
      this.m = m;
      this.part.line(`let m := ${this.part.mulLit(m)}`);
    }
    const terms: Term[] = [mulTerm("s0", m === this.m ? "m" : this.part.mulLit(m))];
    for (let k = 1; k < t; k++) terms.push(mulTerm(`s${k}`, this.part.mulLit(w[k] as bigint)));
    const s0 = sum(terms);
    this.part.line(`s0 := ${s0.expr}`);
    this.bound[0] = s0.bound;
  }
}

/** mat[j][i] (circomlibjs multiplies row vectors: new_i = sum_j mat[j][i] old_j). */
function entry(mat: bigint[][], j: number, i: number): bigint {
  const v = mat[j]?.[i];
  if (v === undefined) throw new Error(`matrix index ${j},${i}`);
  return v;
}

/** Folds a constant vector added before a linear layer through it: k_i = sum_j mat[j][i] c_j. */
function fold(mat: bigint[][], c: bigint[]): bigint[] {
  return c.map((_, i) => mod(c.reduce((acc, cj, j) => acc + entry(mat, j, i) * cj, 0n)));
}

/** How the permutation is split between the entry contract and its tail. */
export interface SplitPlan {
  /** Partial rounds done by the entry contract (the tail does the rest). */
  headPartialRounds: number;
  /** Full-round temporaries kept on the stack (more would be stack too deep). */
  stackTemps: number;
  /** Full rounds by M call a Yul function (smaller code, ~70 gas per call). */
  mixFunction: boolean;
}

/** Default split points, chosen so both contracts stay under the size limit. */
const DEFAULT_SPLIT: Record<number, SplitPlan> = {
  5: { headPartialRounds: 30, stackTemps: 4, mixFunction: false },
  7: { headPartialRounds: 32, stackTemps: 0, mixFunction: true },
};

/** Yul for both parts (head: from calldata inputs; tail: from a state in calldata). */
function permutationYul(t: number, k: Constants, plan: SplitPlan): { head: string[]; tail: string[] } {
  const nRoundsP = N_ROUNDS_P[t - 2] as number;
  const half = N_ROUNDS_F / 2;
  const C = (i: number): bigint => {
    const v = k.C[i];
    if (v === undefined) throw new Error(`C[${i}]`);
    return v;
  };
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  const all = range(t);
  const inputs = range(t).slice(1);

  const head = new Part(3);
  // s0 starts as the constant C[0] (the capacity element is 0); inputs are s1..s(t-1) < p.
  const bound = range(t).map(() => P - 1n);
  const st = new State(t, head, bound, plan, k.M);
  for (const i of inputs) {
    head.line(`s${i} := add(s${i}, ${head.addLit(C(i))})`);
    bound[i] = P - 1n + C(i);
  }
  // Round 0: s0 = C[0] is a constant, so its S-box and its column of the mix are constants too.
  for (const i of inputs) st.sbox(i);
  const c0 = range(t).map((j) => (j === 0 ? mod(pow5(C(0)) + C(t)) : C(t + j)));
  st.mix(k.M, fold(k.M, c0), inputs, true);
  for (let r = 1; r < half; r++) {
    for (const j of all) st.sbox(j);
    const c = all.map((j) => C((r + 1) * t + j));
    st.mix(r === half - 1 ? k.P : k.M, fold(r === half - 1 ? k.P : k.M, c), all, false);
  }
  const m00 = entry(k.M, 0, 0);
  const partial = (r: number): void => {
    const base = (2 * t - 1) * r;
    const w = range(t).map((j) => k.S[base + j] as bigint);
    const v = range(t).map((j) => (j === 0 ? 0n : (k.S[base + t + j - 1] as bigint)));
    if (w[0] !== m00) throw new Error("unexpected sparse matrix layout");
    st.partial(C((half + 1) * t + r), w, v, m00);
  };
  // The partial rounds of each part are a block: its variable m is popped after them.
  head.open();
  for (let r = 0; r < plan.headPartialRounds; r++) partial(r);
  head.close();

  const tail = new Part(3);
  st.part = tail;
  st.m = undefined;
  tail.open();
  for (let r = plan.headPartialRounds; r < nRoundsP; r++) partial(r);
  tail.close();
  for (let r = 0; r < half - 1; r++) {
    for (const j of all) st.sbox(j);
    const c = all.map((j) => C((half + 1) * t + nRoundsP + r * t + j));
    st.mix(k.M, fold(k.M, c), all, false);
  }
  for (const j of all) st.sbox(j);
  st.mix(k.M, null, all, false, true);
  return { head: [...head.lines, ...head.functions], tail: [...tail.lines, ...tail.functions] };
}

const ERROR_SELECTOR = toFunctionSelector("PoseidonInputNotInField(uint256,uint256)");

/** The Solidity source of PoseidonT<n+1>.sol. */
export async function generatePoseidonSol(nInputs: number, plan?: SplitPlan): Promise<string> {
  const t = nInputs + 1;
  const k = await loadConstants(t);
  const split = plan ?? DEFAULT_SPLIT[t];
  if (!split) throw new Error(`no split plan for t = ${t}`);
  const { head, tail } = permutationYul(t, k, split);
  const name = `PoseidonT${t}`;
  const iface = `IPoseidon${nInputs}`;
  const inputs = Array.from({ length: nInputs }, (_, i) => i + 1);
  const stateWords = 32 * t;
  const loads = inputs.map((i) => `            let s${i} := calldataload(${4 + 32 * (i - 1)})`);
  const inField = inputs.reduceRight<string>(
    (acc, i) => (acc === "" ? `lt(s${i}, p)` : `and(lt(s${i}, p),\n                ${acc})`),
    "",
  );
  const tailLoads = Array.from({ length: t }, (_, i) => `            let s${i} := calldataload(${32 * i})`);
  const stores = Array.from({ length: t }, (_, i) => `            mstore(${0x80 + 32 * i}, s${i})`);
  return `// SPDX-License-Identifier: Apache-2.0
// GENERATED by scripts/circuits/poseidonSol.ts from circomlibjs constants — do not edit.
// Two contracts: the entry contract and the tail its constructor deploys.
// solhint-disable-next-line one-contract-per-file
pragma solidity ^0.8.28;

import {${iface}, POSEIDON_FIELD_SIZE} from "./IPoseidon.sol";

/// @title ${name}
/// @notice circomlib Poseidon(${nInputs}) (t = ${t}): equals circomlib's \`Poseidon(${nInputs})\` template and
///         circomlibjs \`poseidon\`, in straight-line Yul from circomlibjs' optimized constants
///         (sparse partial rounds). Inputs must be field elements (< POSEIDON_FIELD_SIZE).
/// @dev The constants do not fit one contract (EIP-170), so the last rounds run in
///      ${name}Tail, deployed by the constructor and called with the intermediate state.
contract ${name} is ${iface} {
    /// @notice Input \`index\` is \`value\`, not below POSEIDON_FIELD_SIZE.
    error PoseidonInputNotInField(uint256 index, uint256 value);

    /// @dev Computes the rest of the permutation from the intermediate state.
    address private immutable TAIL;

    constructor() {
        TAIL = address(new ${name}Tail());
    }

    /// @inheritdoc ${iface}
    function poseidon(uint256[${nInputs}] calldata) external pure returns (uint256) {
        // The tail is a STATICCALL to a contract whose code is fixed at construction: a pure
        // computation, which the compiler can only see as view.
        function() internal view returns (uint256) hashView = _hash;
        function() internal pure returns (uint256) hashPure;
        assembly ("memory-safe") {
            hashPure := hashView
        }
        return hashPure();
    }

    /// @dev Hashes the calldata input (read directly from calldata, each word checked against p).
    // Generated straight-line code (every round unrolled), hence the length.
    // solhint-disable-next-line function-max-lines
    function _hash() private view returns (uint256 hash) {
        uint256 p = POSEIDON_FIELD_SIZE;
        assembly {
${loads.join("\n")}
            if iszero(${inField}) {
                for { let i := 0 } 1 { i := add(i, 1) } {
                    let v := calldataload(add(4, shl(5, i)))
                    if iszero(lt(v, p)) {
                        mstore(0, shl(224, ${ERROR_SELECTOR}))
                        mstore(4, i)
                        mstore(0x24, v)
                        revert(0, 0x44)
                    }
                }
            }
${head.join("\n")}
${stores.join("\n")}
        }
        address tail = TAIL;
        assembly {
            if iszero(staticcall(gas(), tail, 0x80, ${stateWords}, 0, 0x20)) { revert(0, 0) }
            hash := mload(0)
        }
    }
}

/// @title ${name}Tail
/// @notice The last rounds of ${name}: takes the ${t}-word intermediate state as raw calldata and
///         returns the hash. Only meaningful for the state ${name} passes.
contract ${name}Tail {
    // The tail's only entry point: generated straight-line rounds on raw calldata.
    // solhint-disable-next-line no-complex-fallback, function-max-lines
    fallback() external {
        uint256 p = POSEIDON_FIELD_SIZE;
        assembly {
${tailLoads.join("\n")}
${tail.join("\n")}
            mstore(0, s0)
            return(0, 0x20)
        }
    }
}
`;
}

/** Writes both generated files; returns their paths. */
export async function writePoseidonSol(root = ROOT): Promise<string[]> {
  const files: string[] = [];
  for (const n of POSEIDON_SOL_ARITIES) {
    const file = join(root, poseidonSolPath(n));
    await writeFile(file, await generatePoseidonSol(n));
    files.push(file);
  }
  return files;
}

/** The committed text of a generated file. */
export async function readPoseidonSol(nInputs: number, root = ROOT): Promise<string> {
  return readFile(join(root, poseidonSolPath(nInputs)), "utf8");
}

if (import.meta.main) {
  for (const file of await writePoseidonSol()) console.log(`wrote ${file}`);
}
