// Forward pass and fixed-point SGD, identical to circuits/lib/sgd.circom.
import {
  assertSigned,
  FEATURE_BITS,
  floorShift,
  LOGIT_BITS,
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

/** z[c] = floor((sum_d W[c][d] x[d] + b[c] 2^F) / 2^F), each within ZB bits signed. */
export function logits(
  w: AdapterWeights,
  x: readonly bigint[],
  params: TrainingParams,
  label = "z",
): bigint[] {
  const shift = BigInt(params.fracBits);
  return w.weights.map((row, c) => {
    let acc = (w.bias[c] as bigint) << shift;
    for (let d = 0; d < row.length; d++) acc += (row[d] as bigint) * (x[d] as bigint);
    return assertSigned(floorShift(acc, params.fracBits), LOGIT_BITS, `${label}[${c}]`);
  });
}

/**
 * One SGD step on a batch of B rows:
 * g = z - 2^F onehot(y); W -= floor(sum g x / 2^(F + LR_SHIFT + log2 B)); b -= floor(sum g / 2^(LR_SHIFT + log2 B)).
 * Throws {@link FixedPointOverflowError} when a new weight leaves WB bits (the circuit has no witness then).
 */
export function sgdStep(
  w: AdapterWeights,
  batch: readonly DataRow[],
  params: TrainingParams,
  step = 0,
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
    logits(w, row.x, params, `z (step ${step}, row ${r})`).map((z, c) => z - (c === row.y ? one : 0n)),
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
        assertSigned(
          (wRow[d] as bigint) - floorShift(s, tw),
          WEIGHT_BITS,
          `W[${c}][${d}] after step ${step}`,
        ),
      );
    }
    weights.push(out);
    let g = 0n;
    for (let r = 0; r < batch.length; r++) g += (grads[r] as bigint[])[c] as bigint;
    bias.push(
      assertSigned((w.bias[c] as bigint) - floorShift(g, tb), WEIGHT_BITS, `b[${c}] after step ${step}`),
    );
  }
  return { weights, bias };
}

/** K steps on the K * B rows of one segment (step k uses rows kB..kB+B-1). */
export function trainSegment(
  w: AdapterWeights,
  rows: readonly DataRow[],
  params: TrainingParams,
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
  for (let k = 0; k < K; k++) cur = sgdStep(cur, rows.slice(k * B, (k + 1) * B), params, k);
  return cur;
}
