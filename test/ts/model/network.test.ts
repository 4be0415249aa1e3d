// The network itself: sizes, hand-written gradients against finite differences, and the TF.js
// head-training baseline.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flatLength, weightShapes } from "../../../enclave-runner/model/config.ts";
import { loadCorpus } from "../../../enclave-runner/model/corpus.ts";
import {
  createTfjsHeadTrainer,
  DEFAULT_SLM_CONFIG,
  initTf,
  parameterCount,
  SlmError,
  TEST_SLM_CONFIG,
} from "../../../enclave-runner/model/index.ts";
import {
  initWeights,
  lmLoss,
  tokenTensor,
  uploadWeights,
} from "../../../enclave-runner/model/transformer.ts";
import { buildTestModel } from "./support.ts";

describe("parameterCount", () => {
  it("counts ~3.2M parameters for the default config, by the architecture's formula", () => {
    const n = parameterCount(DEFAULT_SLM_CONFIG);
    assert.ok(n > 2e6 && n < 6e6, `${n}`);
    // Embeddings (256 + context rows), per block 2 layer norms + 4 attention maps + the FFN, final norm.
    const { dModel: d, ffn: f, context: t, layers } = DEFAULT_SLM_CONFIG;
    assert.equal(n, 256 * d + t * d + layers * (4 * d + 4 * (d * d + d) + d * f + f + f * d + d) + 2 * d);
    assert.equal(n, flatLength(DEFAULT_SLM_CONFIG));
  });

  it("lists tensors in code-unit name order", () => {
    const names = weightShapes(TEST_SLM_CONFIG).map(([name]) => name);
    assert.deepEqual(
      names,
      [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    assert.ok(names.includes("tok_emb") && names.includes("blocks.0.ffn.w2"));
  });

  it("rejects a malformed config", () => {
    assert.throws(
      () => parameterCount({ ...TEST_SLM_CONFIG, dModel: 30, heads: 4 }),
      (e: unknown) => e instanceof SlmError && e.code === "BadConfig",
    );
  });
});

describe("gradients", () => {
  it("match central finite differences for every tensor", async () => {
    const tf = await initTf();
    // Context 32: float32 finite differences get noisier with longer sums; the test is about gradients.
    const config = { ...TEST_SLM_CONFIG, layers: 2, context: 32 };
    const weights = initWeights(config);
    // Non-trivial layer-norm gains and biases, so their gradients are exercised too.
    for (const [name, shape] of weightShapes(config))
      if (shape.length === 1) {
        const a = weights[name] as Float32Array;
        for (let i = 0; i < a.length; i++) (a[i] as number) += 0.1 * Math.sin(i + name.length);
      }
    const train = loadCorpus().train;
    const seqs = Array.from({ length: 4 }, (_, i) => train.subarray(i * 977, i * 977 + config.context));
    const ids = tokenTensor(tf, config.context, seqs);
    const lossAt = () => {
      const p = uploadWeights(tf, config, weights, false);
      const loss = tf.tidy(() => lmLoss(tf, config, p, ids));
      const v = loss.dataSync()[0] as number;
      tf.dispose([loss, ...Object.values(p)]);
      return v;
    };
    const params = uploadWeights(tf, config, weights, true);
    const vars = Object.values(params) as import("@tensorflow/tfjs-core").Variable[];
    const { value, grads } = tf.variableGrads(() => lmLoss(tf, config, params, ids), vars);
    let checked = 0;
    for (const [name] of weightShapes(config)) {
      const v = params[name] as import("@tensorflow/tfjs-core").Variable;
      const g = (grads[v.name] as import("@tensorflow/tfjs-core").Tensor).dataSync();
      let i = 0;
      for (let j = 1; j < g.length; j++) if (Math.abs(g[j] as number) > Math.abs(g[i] as number)) i = j;
      // Float32 differences resolve gradients down to ~1e-4; smaller ones (attention queries and
      // keys at init) are noise here.
      if (Math.abs(g[i] as number) < 2e-3) continue;
      const a = weights[name] as Float32Array;
      const original = a[i] as number;
      const eps = 1e-2;
      a[i] = original + eps;
      const up = lossAt();
      a[i] = original - eps;
      const down = lossAt();
      a[i] = original;
      const numeric = (up - down) / (2 * eps);
      const rel = Math.abs(numeric - (g[i] as number)) / Math.abs(numeric);
      assert.ok(rel < 0.05, `${name}[${i}]: autodiff ${g[i]} vs numeric ${numeric}`);
      checked++;
    }
    assert.ok(checked >= 15, `only ${checked} tensors had a measurable gradient`);
    tf.dispose([ids, value, ...vars, ...Object.values(grads)]);
  });
});

describe("createTfjsHeadTrainer", () => {
  it("lowers the loss on a trivially separable 2-class set", async () => {
    const model = await buildTestModel();
    const head = await createTfjsHeadTrainer(model, 2, 0.25);
    try {
      const texts = [
        "interface Foo { a: number; }",
        "0000000000",
        "interface Bar<T> { b: T; }",
        "1111111111",
      ];
      const labels = [0, 1, 0, 1];
      const losses = Array.from({ length: 12 }, () => head.step(texts, labels));
      // Zero-initialised head, one-hot targets: the first MSE is exactly 1/C.
      assert.ok(Math.abs((losses[0] as number) - 0.5) < 1e-6, `first loss ${losses[0]}`);
      assert.ok((losses.at(-1) as number) < (losses[0] as number) / 2, losses.join(", "));
      assert.throws(
        () => head.step(texts, [0, 1, 2, 0]),
        (e: unknown) => e instanceof SlmError && e.code === "BadInput",
      );
      assert.throws(
        () => head.step(texts, [0, 1]),
        (e: unknown) => e instanceof SlmError && e.code === "BadInput",
      );
    } finally {
      head.dispose();
    }
  });
});
