#!/usr/bin/env node
// An example external trainer backend speaking trainer/PROTOCOL.md. It is what a PyTorch/GPU
// backend would implement, written in TypeScript so the tests can run it anywhere: it loads the
// base model named by the task (by config, checked against its sha256), extracts features on one
// thread and runs the reference fixed-point SGD. Logs go to stderr; stdout carries only protocol.
import { createInterface } from "node:readline";
import { Featurizer, loadOrBuildBaseModel } from "../../model/index.ts";
import { tokenCount } from "../builtin.ts";
import {
  type BackendMessage,
  fromWire,
  type RunnerMessage,
  TRAINER_PROTOCOL_VERSION,
  toWire,
} from "../protocol.ts";
import { trainAllSegments } from "../sgd.ts";

const send = (m: BackendMessage) => process.stdout.write(`${JSON.stringify(m)}\n`);

async function train(task: Extract<RunnerMessage, { type: "train" }>["task"]): Promise<void> {
  const model = await loadOrBuildBaseModel(task.baseModel.config);
  if (model.sha256 !== task.baseModel.sha256)
    throw new Error(`base model ${model.sha256} is not the requested ${task.baseModel.sha256}`);
  const texts = [...task.train, ...task.eval].map((r) => r.text);
  const t0 = performance.now();
  const featurizer = await Featurizer.create(model);
  let features: bigint[][];
  try {
    features = featurizer.featurize(texts, (done, total) =>
      send({ type: "progress", phase: "featurize", done, total }),
    );
  } finally {
    featurizer.dispose();
  }
  const featurizeMs = performance.now() - t0;
  // Test hooks: a backend whose features are another model's (+2 units on the first row) or a
  // framework's off-by-one rounding on every value of the first row, which the runner must catch.
  const featureFault = { features: 2n, "features-off-by-one": 1n }[
    process.env.BLIND_TRAINING_EXAMPLE_BACKEND_FAULT ?? ""
  ];
  if (featureFault !== undefined) features[0] = (features[0] as bigint[]).map((v) => v + featureFault);
  const trainRows = task.train.map((r, i) => ({ x: features[i] as bigint[], y: r.label }));
  const t1 = performance.now();
  const weights = trainAllSegments(
    fromWire(task.initialWeights, "initialWeights"),
    trainRows,
    task.params,
    (done, total) => send({ type: "progress", phase: "train", done, total }),
  );
  // Test hook: a backend whose arithmetic is wrong, which the runner must catch.
  if (process.env.BLIND_TRAINING_EXAMPLE_BACKEND_FAULT === "weights")
    weights.bias[0] = (weights.bias[0] as bigint) + 1n;
  send({
    type: "result",
    trainFeatures: features.slice(0, task.train.length).map((x) => x.map(String)),
    evalFeatures: features.slice(task.train.length).map((x) => x.map(String)),
    weights: toWire(weights),
    tokens: tokenCount(model.config.context, texts),
    featurizeMs,
    trainMs: performance.now() - t1,
  });
}

send({ type: "ready", protocol: TRAINER_PROTOCOL_VERSION, name: "example-stdio-backend" });
for await (const line of createInterface({ input: process.stdin })) {
  let message: RunnerMessage;
  try {
    message = JSON.parse(line) as RunnerMessage;
  } catch {
    send({ type: "error", message: "a line on stdin is not JSON" });
    continue;
  }
  if (message.type === "shutdown") break;
  if (message.type !== "train" || message.protocol !== TRAINER_PROTOCOL_VERSION) {
    send({ type: "error", message: `unsupported message ${message.type}` });
    continue;
  }
  try {
    await train(message.task);
  } catch (e) {
    // The message names what failed; the reference's errors never quote data.
    send({ type: "error", message: (e as Error).message.split("\n")[0] ?? "training failed" });
  }
}
process.exit(0);
