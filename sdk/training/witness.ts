// Builds the circom input of one TrainingSegment proof from the job's data and checks it
// against the TypeScript reference, so a bad input fails here with a clear error instead of
// deep inside witness generation. Every well-formed run has a witness: overflowing values saturate,
// and the last segment states its outcome (metric >= tau or not) instead of asserting it.
import { commitWeights } from "./commitment.ts";
import { evaluate, metricMet } from "./eval.ts";
import {
  BASIS_POINTS,
  encodeField,
  FEATURE_BITS,
  FIELD_MODULUS,
  fitsSigned,
  type Saturation,
  TrainingInputError,
  WEIGHT_BITS,
} from "./fixedPoint.ts";
import { merkleRoot, rowLeaf, subtreePath } from "./merkle.ts";
import {
  type AdapterWeights,
  type DataRow,
  hyperParamsHash,
  type TrainingParams,
  trainRowCount,
  validateParams,
} from "./params.ts";
import { getPoseidon } from "./poseidon.ts";
import { trainSegment } from "./sgd.ts";

/** The `flags` of the segment hash: 0 for a segment that is not last, 1 / 3 for the last one. */
export type SegmentFlags = 0 | 1 | 3;

/**
 * flags = isLast + 2 · isLast · metricOk (FIXED_POINT.md §8): 0 (not the last segment), 1 (last,
 * metric below tau), 3 (last, metric at least tau). Groth16TrainingVerifier derives the same value
 * from the claim's `thresholdMet`.
 *
 * @param isLast - Whether the segment is the run's last (s = S - 1).
 * @param metricOk - Whether the eval metric of its output weights reaches tau.
 * @returns The flags value hashed into segHash.
 * @example
 * segmentFlags(true, false); // 1
 */
export function segmentFlags(isLast: boolean, metricOk: boolean): SegmentFlags {
  if (!isLast) return 0;
  return metricOk ? 3 : 1;
}

/** Options of {@link buildSegmentInput}. */
export type SegmentInputOptions = {
  params: TrainingParams;
  /** Job/provider binding: uint256(keccak256(abi.encode(chainId, market, jobId, provider))) mod r. */
  ctx: bigint;
  /** The job's initial weights (commitment C0). */
  initialWeights: AdapterWeights;
  /** Segment index s in [0, S). */
  segment: number;
  /** All S * K * B training rows of the run (R_train is their root). */
  trainRows: readonly DataRow[];
  /** The E eval rows (R_eval is their root). */
  evalRows: readonly DataRow[];
  /** Threshold in basis points, 0..10000. */
  tau: number;
  /** Weights entering segment s; default: segments 0..s-1 replayed from `initialWeights`. */
  inputWeights?: AdapterWeights;
};

/** A circom input: every signal as a decimal string of its field encoding. */
export type CircuitInput = Record<string, string | string[] | string[][]>;

/** What {@link buildSegmentInput} returns. */
export type SegmentWitness = {
  /** The input JSON of `TrainingSegment`. */
  input: CircuitInput;
  /** The one public input. */
  publicHash: bigint;
  c0: bigint;
  cIn: bigint;
  cOut: bigint;
  hpHash: bigint;
  specHash: bigint;
  segHash: bigint;
  rTrain: bigint;
  rEval: bigint;
  isLast: boolean;
  /** The segment hash's flags: 0 unless last; then 3 when the metric meets tau, else 1. */
  flags: SegmentFlags;
  /** The outcome a last segment proves (its metric meets tau); false for any other segment. */
  thresholdMet: boolean;
  /** Weights leaving the segment (commitment cOut). */
  outputWeights: AdapterWeights;
  /** Eval accuracy of the output weights (computed for every segment; stated by the last one). */
  metric: { correct: number; total: number; tau: number; ok: boolean };
  /** True when a logit, weight or bias of this segment saturated (the witness is still valid). */
  saturated: boolean;
  /** Every value this segment's training and eval clamped, in order (for logs). */
  saturations: Saturation[];
};

function toInteger(value: unknown, label: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?[0-9]+$/.test(value)) return BigInt(value);
  throw new TrainingInputError(`${label} is not an integer: ${String(value)}`, {
    details: "use a bigint, a safe integer number or a decimal string",
  });
}

function checkedSigned(value: unknown, bits: number, label: string): bigint {
  const v = toInteger(value, label);
  if (!fitsSigned(v, bits)) {
    const half = 1n << BigInt(bits - 1);
    throw new TrainingInputError(
      `${label} = ${v} is outside the ${bits}-bit signed range [${-half}, ${half - 1n}]`,
    );
  }
  return v;
}

function checkedCount(value: unknown, label: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new TrainingInputError(`${label} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

function normalizeWeights(w: unknown, params: TrainingParams, what: string): AdapterWeights {
  const obj = w as Partial<AdapterWeights> | undefined;
  if (typeof obj !== "object" || obj === null || !Array.isArray(obj.weights) || !Array.isArray(obj.bias)) {
    throw new TrainingInputError(`${what} must be { weights: bigint[C][D], bias: bigint[C] }`);
  }
  if (obj.weights.length !== params.classes || obj.bias.length !== params.classes) {
    throw new TrainingInputError(
      `${what} has ${obj.weights.length} weight rows and ${obj.bias.length} biases, expected ${params.classes} of each`,
    );
  }
  const weights = Array.from(obj.weights, (row, c) => {
    if (!Array.isArray(row) || row.length !== params.features) {
      throw new TrainingInputError(
        `${what} row ${c} has ${row?.length} weights, expected ${params.features}`,
      );
    }
    return Array.from(row, (v, d) => checkedSigned(v, WEIGHT_BITS, `${what} W[${c}][${d}]`));
  });
  const bias = Array.from(obj.bias, (v, c) => checkedSigned(v, WEIGHT_BITS, `${what} b[${c}]`));
  return { weights, bias };
}

function normalizeRows(rows: unknown, count: number, params: TrainingParams, what: string): DataRow[] {
  if (!Array.isArray(rows)) throw new TrainingInputError(`${what} must be an array of rows`);
  if (rows.length !== count) {
    throw new TrainingInputError(`${what}: expected ${count} rows, got ${rows.length}`, {
      details: rows.length < count ? `${count - rows.length} rows are missing` : undefined,
    });
  }
  return Array.from(rows, (row: unknown, i) => {
    const r = row as Partial<DataRow> | undefined;
    if (typeof r !== "object" || r === null || !Array.isArray(r.x)) {
      throw new TrainingInputError(`${what} row ${i} is missing or has no features array x`);
    }
    if (r.x.length !== params.features) {
      throw new TrainingInputError(
        `${what} row ${i} has ${r.x.length} features, expected ${params.features}`,
      );
    }
    const x = Array.from(r.x, (v, d) => checkedSigned(v, FEATURE_BITS, `${what} row ${i} x[${d}]`));
    const y = checkedCount(r.y, `${what} row ${i} label y`, 0, params.classes - 1);
    return { x, y };
  });
}

const dec = (v: bigint) => encodeField(v).toString();

/**
 * The circom input of segment `segment` and the values the contract and verifier will see.
 * A witness exists for every well-formed input, whatever the outcome: values leaving their range
 * saturate (`saturated`, `saturations`), and the last segment states whether the metric meets tau
 * (`thresholdMet`, `flags`).
 *
 * @param options - The run, the job binding `ctx` and the segment index.
 * @returns The circuit input and the public values.
 * @throws {@link TrainingInputError} on malformed input (shapes, types, features beyond XB bits,
 *   labels out of range, tau above 10000, weights given beyond WB bits).
 * @example
 * const seg = await buildSegmentInput({ params, ctx, initialWeights, segment: 0, trainRows, evalRows, tau: 7500 });
 * seg.thresholdMet; // the outcome the last segment proves
 */
export async function buildSegmentInput(options: SegmentInputOptions): Promise<SegmentWitness> {
  const { params } = options;
  validateParams(params);
  const { steps: K, batchSize: B, segments: S } = params;
  const s = checkedCount(options.segment, "segment", 0, S - 1);
  const tau = checkedCount(options.tau, "tau (basis points)", 0, BASIS_POINTS);
  const ctx = toInteger(options.ctx, "ctx");
  if (ctx < 0n || ctx >= FIELD_MODULUS) throw new TrainingInputError(`ctx is not a field element: ${ctx}`);
  const initial = normalizeWeights(options.initialWeights, params, "initial weights");
  const trainRows = normalizeRows(options.trainRows, trainRowCount(params), params, "training rows");
  const evalRows = normalizeRows(options.evalRows, params.evalRows, params, "eval rows");

  const hash = await getPoseidon();
  let wIn: AdapterWeights;
  if (options.inputWeights !== undefined) {
    wIn = normalizeWeights(options.inputWeights, params, "input weights");
  } else {
    wIn = initial;
    for (let p = 0; p < s; p++) wIn = trainSegment(wIn, trainRows.slice(p * K * B, (p + 1) * K * B), params);
  }
  const segRows = trainRows.slice(s * K * B, (s + 1) * K * B);
  const saturations: Saturation[] = [];
  const wOut = trainSegment(wIn, segRows, params, saturations);

  const leaves = trainRows.map((row) => rowLeaf(hash, row, params));
  const { siblings, root: rTrain } = subtreePath(hash, leaves, K * B, s);
  const rEval = merkleRoot(
    hash,
    evalRows.map((row) => rowLeaf(hash, row, params)),
  );

  const c0 = commitWeights(hash, initial);
  const cIn = commitWeights(hash, wIn);
  const cOut = commitWeights(hash, wOut);
  if (s === 0 && cIn !== c0) {
    throw new TrainingInputError("segment 0 must start from the initial weights (C_in != C0)");
  }
  const isLast = s === S - 1;
  const { correct, total } = evaluate(wOut, evalRows, params, saturations);
  const ok = metricMet(correct, total, tau);
  const flags = segmentFlags(isLast, ok);

  const hpHash = hyperParamsHash(hash, params);
  const specHash = hash([c0, hpHash]);
  const segHash = hash([cIn, cOut, BigInt(s), BigInt(flags)]);
  const publicHash = hash([ctx, specHash, rTrain, rEval, BigInt(tau), segHash]);

  const input: CircuitInput = {
    ctx: dec(ctx),
    C0: dec(c0),
    s: String(s),
    isLast: isLast ? "1" : "0",
    tau: String(tau),
    W_in: wIn.weights.map((row) => row.map(dec)),
    b_in: wIn.bias.map(dec),
    x: segRows.map((row) => row.x.map(dec)),
    y: segRows.map((row) => String(row.y)),
    path: siblings.map(dec),
    ex: evalRows.map((row) => row.x.map(dec)),
    ey: evalRows.map((row) => String(row.y)),
    publicHash: dec(publicHash),
  };
  return {
    input,
    publicHash,
    c0,
    cIn,
    cOut,
    hpHash,
    specHash,
    segHash,
    rTrain,
    rEval,
    isLast,
    flags,
    thresholdMet: isLast && ok,
    outputWeights: wOut,
    metric: { correct, total, tau, ok },
    saturated: saturations.length > 0,
    saturations,
  };
}
