// One interface for every trainer backend. A backend turns the buyer's labelled texts into the
// frozen base model's fixed-point features and runs the proven fixed-point SGD of the adapter (a
// linear head, circuits/FIXED_POINT.md). The runner never trusts a backend's arithmetic: it
// recomputes the SGD with the reference (cheap next to feature extraction) and compares, and the
// commitments of the features must equal those the buyer posted.
import type { AdapterWeights, DataRow, TrainingParams } from "../../sdk/training/index.ts";
import type { BaseModel } from "../model/index.ts";
import type { LabeledText } from "../runner/dataset.ts";

/** What a backend is asked to do. */
export type TrainingTask = {
  /** The frozen base model (its sha256 names it to out-of-process backends). */
  baseModel: BaseModel;
  /** The training statement's parameters (D must equal the base model's feature count). */
  params: TrainingParams;
  /** Adapter weights before step 0 (committed on chain as C0). */
  initialWeights: AdapterWeights;
  /** Exactly S·K·B rows, in the order the statement uses them. */
  train: readonly LabeledText[];
  /** Exactly E rows. */
  eval: readonly LabeledText[];
};

/** Progress of a backend: which phase, how far. */
export type TrainerProgress = { phase: "featurize" | "train"; done: number; total: number };

/** What a backend returns. */
export type TrainingOutcome = {
  /** Training rows as the statement sees them: features and labels. */
  trainRows: DataRow[];
  /** Eval rows as the statement sees them. */
  evalRows: DataRow[];
  /** Adapter weights after all S·K steps. */
  weights: AdapterWeights;
  /** Bytes of text that went through the base model (after truncation to its context). */
  tokens: number;
  /** Wall time of feature extraction and of the SGD steps, in milliseconds. */
  featurizeMs: number;
  trainMs: number;
};

/** A trainer backend: the built-in TypeScript trainer or an external process. */
export interface TrainerBackend {
  /** For logs and the evidence bundle. */
  readonly name: string;
  /** Runs the task; throws on failure (the runner turns it into `TrainerFailed`). */
  train(task: TrainingTask, onProgress?: (p: TrainerProgress) => void): Promise<TrainingOutcome>;
  /** Frees workers, processes and memory. */
  close(): Promise<void>;
}
