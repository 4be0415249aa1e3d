// Forward pass and fixed-point SGD with saturating arithmetic, identical to circuits/lib/sgd.circom.
import {
  assertSigned,
  clampSigned,
  FEATURE_BITS,
  floorShift,
  LOGIT_BITS,
  type Saturation,
  TrainingInputError,
  WEIGHT_BITS,
} from "./fixedPoint.ts";
import { type AdapterWeights, type DataRow, log2Exact, type TrainingParams } from "./params.ts";

/** Throws unless `w` is C x D plus C biases, every value a WB-bit signed integer. */
export function checkWeights(w: AdapterWeights, params: TrainingParams, what = "weights"): void {
  if (!Array.isArray(w.weights) || w.weights.length !== params.classes) {
    throw new TrainingInputError(`${what}: expected ${params.classes} weight rows, got ${w.weights?.length}`);
  }
  if (!Array.isArray(w.bias) || w.bias.length !== params.classes) {
    throw new TrainingInputError(`${what}: expected ${params.classes} biases, got ${w.bias?.length}`);
  }
  w.weights.forEach((row, c) => {
    if (!Array.isArray(row) || row.length !== params.features) {
      throw new TrainingInputError(
        `${what}: row ${c} has ${row?.length} weights, expected ${params.features}`,
      );
    }
    row.forEach((v, d) => {
      assertSigned(v, WEIGHT_BITS, `${what} W[${c}][${d}]`);
    });
  });
  w.bias.forEach((v, c) => {
    assertSigned(v, WEIGHT_BITS, `${what} b[${c}]`);
  });
}

/**
 * z[c] = clamp_ZB(floor((sum_d W[c][d] x[d] + b[c] 2^F) / 2^F)) (FIXED_POINT.md §4).
 *
 * @param w - Weights within WB bits.
 * @param x - One row's features within XB bits.
 * @param params - The run's parameters (F).
 * @param label - Names the logits in saturation records.
 * @param saturations - Receives a record for each logit clamped to ZB bits.
 * @returns The C logits.
 * @example
 * const z = logits(weights, row.x, params);
 */
export function logits(
  w: AdapterWeights,
  x: readonly bigint[],
  params: TrainingParams,
  label = "z",
  saturations?: Saturation[],
): bigint[] {
  const shift = BigInt(params.fracBits);
  return w.weights.map((row, c) => {
    let acc = (w.bias[c] as bigint) << shift;
    for (let d = 0; d < row.length; d++) acc += (row[d] as bigint) * (x[d] as bigint);
    return clampSigned(floorShift(acc, params.fracBits), LOGIT_BITS, `${label}[${c}]`, saturations);
  });
}

/**
 * One SGD step on a batch of B rows (FIXED_POINT.md §5):
 * g = z - 2^F onehot(y); W' = clamp_WB(W - floor(sum g x / 2^(F + LR_SHIFT + log2 B)));
 * b' = clamp_WB(b - floor(sum g / 2^(LR_SHIFT + log2 B))).
 * Never throws for overflow: values beyond WB bits saturate, as in the circuit.
 *
 * @param w - Weights entering the step, within WB bits.
 * @param batch - The B rows of the step.
 * @param params - The run's parameters.
 * @param step - Step number, for labels.
 * @param saturations - Receives a record for each clamped logit, weight or bias.
 * @returns The weights leaving the step.
 * @example
 * const log: Saturation[] = [];
 * const next = sgdStep(weights, rows.slice(0, params.batchSize), params, 0, log);
 */
export function sgdStep(
  w: AdapterWeights,
  batch: readonly DataRow[],
  params: TrainingParams,
  step = 0,
  saturations?: Saturation[],
): AdapterWeights {
  const { classes: C, features: D, fracBits: F } = params;
  if (batch.length !== params.batchSize) {
    throw new TrainingInputError(
      `step ${step}: batch has ${batch.length} rows, expected ${params.batchSize}`,
    );
  }
  const tb = params.lrShift + log2Exact(params.batchSize);
  const tw = F + tb;
  const one = 1n << BigInt(F);
  const grads = batch.map((row, r) =>
    logits(w, row.x, params, `z (step ${step}, row ${r})`, saturations).map(
      (z, c) => z - (c === row.y ? one : 0n),
    ),
  );
  const weights: bigint[][] = [];
  const bias: bigint[] = [];
  for (let c = 0; c < C; c++) {
    const wRow = w.weights[c] as bigint[];
    const out: bigint[] = [];
    for (let d = 0; d < D; d++) {
      let s = 0n;
      for (let r = 0; r < batch.length; r++)
        s += ((grads[r] as bigint[])[c] as bigint) * ((batch[r] as DataRow).x[d] as bigint);
      out.push(
        clampSigned(
          (wRow[d] as bigint) - floorShift(s, tw),
          WEIGHT_BITS,
          `W[${c}][${d}] after step ${step}`,
          saturations,
        ),
      );
    }
    weights.push(out);
    let g = 0n;
    for (let r = 0; r < batch.length; r++) g += (grads[r] as bigint[])[c] as bigint;
    bias.push(
      clampSigned(
        (w.bias[c] as bigint) - floorShift(g, tb),
        WEIGHT_BITS,
        `b[${c}] after step ${step}`,
        saturations,
      ),
    );
  }
  return { weights, bias };
}

/**
 * K steps on the K * B rows of one segment (step k uses rows kB..kB+B-1).
 *
 * @param w - Weights entering the segment (checked: WB bits).
 * @param rows - The segment's K * B rows (features checked: XB bits).
 * @param params - The run's parameters.
 * @param saturations - Receives a record for each value clamped during the segment.
 * @returns The weights leaving the segment.
 * @throws {@link FixedPointOverflowError} when an input weight or feature is out of range.
 * @example
 * const out = trainSegment(initialWeights, trainRows.slice(0, K * B), params);
 */
export function trainSegment(
  w: AdapterWeights,
  rows: readonly DataRow[],
  params: TrainingParams,
  saturations?: Saturation[],
): AdapterWeights {
  const { steps: K, batchSize: B } = params;
  if (rows.length !== K * B) {
    throw new TrainingInputError(`a segment needs K * B = ${K * B} rows, got ${rows.length}`);
  }
  checkWeights(w, params, "input weights");
  rows.forEach((row, i) => {
    row.x.forEach((v, d) => {
      assertSigned(v, FEATURE_BITS, `training row ${i} x[${d}]`);
    });
  });
  let cur = w;
  for (let k = 0; k < K; k++) cur = sgdStep(cur, rows.slice(k * B, (k + 1) * B), params, k, saturations);
  return cur;
}
