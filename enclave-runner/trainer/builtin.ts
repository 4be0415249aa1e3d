// The built-in trainer (the embedded default): the frozen base model's features are extracted on
// every core (worker threads, each with its own TF.js WASM instance: rows are independent because
// the base is frozen), then the adapter is trained with the proven fixed-point SGD in BigInt.
import type { DataRow } from "../../sdk/training/index.ts";
import { encodeText, Featurizer, featurizeParallel } from "../model/index.ts";
import type { TrainerBackend, TrainerProgress, TrainingOutcome, TrainingTask } from "./backend.ts";
import { trainAllSegments } from "./sgd.ts";

/** Options of {@link BuiltinTrainer}. */
export type BuiltinTrainerOptions = {
  /** Worker threads for feature extraction; default: every core. 0 runs on the calling thread. */
  workers?: number | undefined;
};

/** The built-in TypeScript trainer. */
export class BuiltinTrainer implements TrainerBackend {
  readonly name = "builtin";
  readonly #workers: number | undefined;

  constructor(options: BuiltinTrainerOptions = {}) {
    this.#workers = options.workers;
  }

  /** {@inheritDoc TrainerBackend.train} */
  async train(task: TrainingTask, onProgress?: (p: TrainerProgress) => void): Promise<TrainingOutcome> {
    const texts = [...task.train, ...task.eval].map((r) => r.text);
    const t0 = performance.now();
    const report = (done: number, total: number) => onProgress?.({ phase: "featurize", done, total });
    let features: bigint[][];
    if (this.#workers === 0) {
      const featurizer = await Featurizer.create(task.baseModel);
      try {
        features = featurizer.featurize(texts, report);
      } finally {
        featurizer.dispose();
      }
    } else {
      features = await featurizeParallel(task.baseModel, texts, {
        ...(this.#workers === undefined ? {} : { workers: this.#workers }),
        onProgress: report,
      });
    }
    const featurizeMs = performance.now() - t0;
    const rowsOf = (rows: TrainingTask["train"], offset: number): DataRow[] =>
      rows.map((r, i) => ({ x: features[offset + i] as bigint[], y: r.label }));
    const trainRows = rowsOf(task.train, 0);
    const evalRows = rowsOf(task.eval, task.train.length);
    const t1 = performance.now();
    const weights = trainAllSegments(task.initialWeights, trainRows, task.params, (done, total) =>
      onProgress?.({ phase: "train", done, total }),
    );
    return {
      trainRows,
      evalRows,
      weights,
      tokens: tokenCount(task.baseModel.config.context, texts),
      featurizeMs,
      trainMs: performance.now() - t1,
    };
  }

  /** {@inheritDoc TrainerBackend.close} */
  async close(): Promise<void> {}
}

/** Bytes of UTF-8 text the base model sees: each text truncated to the context. */
export function tokenCount(context: number, texts: readonly string[]): number {
  return texts.reduce((n, t) => n + encodeText(t, context).length, 0);
}
