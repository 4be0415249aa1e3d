// The feature projection (PCA by orthogonal iteration, fixed point) and the deterministic log2,
// checked against independent computations.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mulberry32 } from "../../../enclave-runner/model/corpus.ts";
import { log2 } from "../../../enclave-runner/model/pretrain.ts";
import { fitProjection, projectFeatures } from "../../../enclave-runner/model/projection.ts";

describe("fitProjection", () => {
  it("recovers the principal axes, ordered by variance, with scale = 3 standard deviations", () => {
    // Points in 6 dimensions with independent coordinates of std 5, 3, 1, 0.5, 0.2, 0.1 around an
    // offset, rotated by a known orthogonal map (a permutation with sign flips).
    const random = mulberry32(7);
    const stds = [5, 3, 1, 0.5, 0.2, 0.1];
    const perm = [3, 0, 5, 1, 4, 2];
    const signs = [1, -1, 1, 1, -1, 1];
    const offset = [10, -2, 0.5, 3, 0, 7];
    const pooled = Array.from({ length: 4000 }, () => {
      const x = new Float64Array(6);
      stds.forEach((s, k) => {
        // Uniform on [−√3, √3]·s: variance s².
        const u = (random() * 2 - 1) * Math.sqrt(3) * s;
        const axis = perm[k] as number;
        x[axis] = (offset[axis] as number) + (signs[k] as number) * u;
      });
      return x;
    });
    const p = fitProjection(pooled, 3, 1);
    for (let j = 0; j < 6; j++) assert.ok(Math.abs((p.mean[j] as number) - (offset[j] as number)) < 0.3);
    for (let c = 0; c < 3; c++) {
      const row = Array.from(p.components.subarray(c * 6, (c + 1) * 6));
      // The c-th component is ± the unit vector of axis perm[c], signed so its largest entry is positive.
      row.forEach((v, j) => {
        assert.ok(Math.abs(v - (j === perm[c] ? 1 : 0)) < 0.02, `component ${c}: ${row}`);
      });
      const expected = 3 * (stds[c] as number);
      assert.ok(
        Math.abs((p.scale[c] as number) - expected) / expected < 0.05,
        `scale ${p.scale[c]} vs ${expected}`,
      );
    }
    // Same input, same bits.
    assert.deepEqual(fitProjection(pooled, 3, 1), p);
  });
});

describe("projectFeatures", () => {
  const projection = {
    mean: Float32Array.from([1, 2]),
    components: Float32Array.from([1, 0, 0, 1, 0.6, 0.8]),
    scale: Float32Array.from([4, 2, 1]),
  };
  it("rounds (P·(x − mean)/scale)·2^8 half away from zero", () => {
    // z = (2/4, −1/2, 0.6·2 − 0.8·1) = (0.5, −0.5, 0.4) → 128, −128, 102.4 → 102.
    assert.deepEqual(projectFeatures(Float64Array.from([3, 1]), projection), [128n, -128n, 102n]);
    // z·256 = ±0.5 exactly: half away from zero.
    assert.deepEqual(projectFeatures(Float64Array.from([1 + 4 / 512, 2 - 2 / 512]), projection).slice(0, 2), [
      1n,
      -1n,
    ]);
  });
  it("clips to [−255, 255]", () => {
    assert.deepEqual(projectFeatures(Float64Array.from([100, -100]), projection), [255n, -255n, -255n]);
  });
});

describe("log2", () => {
  it("matches Math.log2 to within a few ulps", () => {
    for (const x of [1, 2, 0.5, 3, 1e-9, 0.123456, 255 / 256, 1 / 3, 7e12, Number.MIN_VALUE * 2 ** 60]) {
      const expected = Math.log2(x);
      assert.ok(
        Math.abs(log2(x) - expected) <= 4 * Number.EPSILON * Math.max(1, Math.abs(expected)),
        `log2(${x})`,
      );
    }
    assert.equal(log2(1024), 10);
  });
});
