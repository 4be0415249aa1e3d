// The frozen base's feature map: a PCA of pooled hidden states, fitted once after pretraining with
// plain float64 arithmetic (+, ×, ÷, √ only, all correctly rounded), then fixed point.
import { gaussian, mulberry32 } from "./corpus.ts";

/** The projection of a {@link BaseModel}: components is features × dModel, row-major. */
export type Projection = { mean: Float32Array; components: Float32Array; scale: Float32Array };

/** Fraction bits of the features (F = 8): a value z becomes round(z · 2^8). */
export const FEATURE_FRACTION_BITS = 8;
/** Largest feature magnitude: the circuit's features are 9-bit signed, |x| < 2^8. */
export const FEATURE_MAX = 255;
/** Components are scaled by this many standard deviations, so most features land in [−1, 1). */
export const SCALE_STDS = 3;
/** Orthogonal-iteration rounds: fixed, so the result never depends on a convergence test. */
export const PCA_ITERATIONS = 300;

/**
 * Fits the projection on pooled vectors: their mean, the top-`k` principal components of their
 * covariance by orthogonal iteration from a seeded start (each component signed so its largest
 * entry is positive), and scale = 3 × the standard deviation along each component.
 *
 * @param pooled n vectors of length d.
 * @param k Number of components (the model's D).
 * @param seed Seed of the start basis.
 */
export function fitProjection(pooled: readonly Float64Array[], k: number, seed: number): Projection {
  const n = pooled.length;
  const d = (pooled[0] as Float64Array).length;
  const mean = new Float64Array(d);
  for (const x of pooled) for (let j = 0; j < d; j++) (mean[j] as number) += x[j] as number;
  for (let j = 0; j < d; j++) (mean[j] as number) /= n;
  const cov = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (const x of pooled) {
    for (let j = 0; j < d; j++) centred[j] = (x[j] as number) - (mean[j] as number);
    for (let a = 0; a < d; a++) {
      const ca = centred[a] as number;
      for (let b = a; b < d; b++) (cov[a * d + b] as number) += ca * (centred[b] as number);
    }
  }
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      const v = (cov[a * d + b] as number) / n;
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  // Q: k orthonormal columns stored as k rows of length d.
  const normal = gaussian(mulberry32(seed));
  let q: Float64Array[] = Array.from({ length: k }, () => Float64Array.from({ length: d }, () => normal()));
  orthonormalise(q);
  for (let it = 0; it < PCA_ITERATIONS; it++) {
    q = q.map((row) => multiply(cov, row, d));
    orthonormalise(q);
  }
  const components = new Float32Array(k * d);
  const scale = new Float32Array(k);
  q.forEach((row, c) => {
    let big = 0;
    for (let j = 1; j < d; j++) if (Math.abs(row[j] as number) > Math.abs(row[big] as number)) big = j;
    const sign = (row[big] as number) < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) components[c * d + j] = sign * (row[j] as number);
    // Variance along the component = qᵀ·C·q.
    const cq = multiply(cov, row, d);
    let variance = 0;
    for (let j = 0; j < d; j++) variance += (row[j] as number) * (cq[j] as number);
    const std = Math.sqrt(Math.max(0, variance));
    scale[c] = std > 0 ? SCALE_STDS * std : 1;
  });
  return { mean: Float32Array.from(mean), components, scale };
}

/**
 * Fixed-point features of one pooled vector: clip(round((P·(pooled − mean)) / scale · 2^8),
 * −255, 255), rounding half away from zero, all in float64.
 */
export function projectFeatures(pooled: Float64Array, projection: Projection): bigint[] {
  const { mean, components, scale } = projection;
  const d = mean.length;
  const out: bigint[] = [];
  for (let c = 0; c < scale.length; c++) {
    let dot = 0;
    for (let j = 0; j < d; j++)
      dot += (components[c * d + j] as number) * ((pooled[j] as number) - (mean[j] as number));
    const z = (dot / (scale[c] as number)) * 2 ** FEATURE_FRACTION_BITS;
    const r = Math.sign(z) * Math.round(Math.abs(z));
    out.push(BigInt(Math.max(-FEATURE_MAX, Math.min(FEATURE_MAX, r))));
  }
  return out;
}

/** The unrounded projected features z = P·(pooled − mean) / scale (the TF.js head baseline's inputs). */
export function projectFloat(pooled: Float64Array, projection: Projection): Float64Array {
  const { mean, components, scale } = projection;
  const d = mean.length;
  const out = new Float64Array(scale.length);
  for (let c = 0; c < scale.length; c++) {
    let dot = 0;
    for (let j = 0; j < d; j++)
      dot += (components[c * d + j] as number) * ((pooled[j] as number) - (mean[j] as number));
    out[c] = dot / (scale[c] as number);
  }
  return out;
}

function multiply(m: Float64Array, v: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d);
  for (let a = 0; a < d; a++) {
    let s = 0;
    for (let b = 0; b < d; b++) s += (m[a * d + b] as number) * (v[b] as number);
    out[a] = s;
  }
  return out;
}

/** Modified Gram–Schmidt on the rows, in order (a zero row stays zero). */
function orthonormalise(rows: Float64Array[]): void {
  rows.forEach((row, i) => {
    for (let p = 0; p < i; p++) {
      const prev = rows[p] as Float64Array;
      let dot = 0;
      for (let j = 0; j < row.length; j++) dot += (row[j] as number) * (prev[j] as number);
      for (let j = 0; j < row.length; j++) (row[j] as number) -= dot * (prev[j] as number);
    }
    let norm = 0;
    for (let j = 0; j < row.length; j++) norm += (row[j] as number) * (row[j] as number);
    norm = Math.sqrt(norm);
    if (norm > 0) for (let j = 0; j < row.length; j++) (row[j] as number) /= norm;
  });
}
