// The external-process trainer: the runner starts a backend program (for example PyTorch on a GPU
// inside the same confidential VM) and speaks trainer/PROTOCOL.md with it over stdin/stdout. The
// data crosses a pipe, never a file. The backend's stderr is not forwarded to the runner's logs
// (a backend may print data there); only its last bytes are kept in memory for error messages'
// length, never their content.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { DataRow } from "../../sdk/training/index.ts";
import type { TrainerBackend, TrainerProgress, TrainingOutcome, TrainingTask } from "./backend.ts";
import {
  type BackendMessage,
  featuresFromWire,
  fromWire,
  type RunnerMessage,
  TRAINER_PROTOCOL_VERSION,
  toWire,
} from "./protocol.ts";

/** Options of {@link ExternalTrainer}. */
export type ExternalTrainerOptions = {
  /** The program and its arguments, e.g. `["python3", "train.py"]`. */
  command: readonly string[];
  /** Milliseconds to wait for the backend's `ready` line (default 30 s). */
  startupTimeoutMs?: number | undefined;
  /** Extra environment for the backend (added to the runner's). */
  env?: Record<string, string> | undefined;
};

/** A trainer backend in another process. */
export class ExternalTrainer implements TrainerBackend {
  readonly name: string;
  readonly #options: ExternalTrainerOptions;

  constructor(options: ExternalTrainerOptions) {
    if (options.command.length === 0) throw new Error("ExternalTrainer: command is empty");
    this.#options = options;
    this.name = `external(${options.command.join(" ")})`;
  }

  /** {@inheritDoc TrainerBackend.train} */
  async train(task: TrainingTask, onProgress?: (p: TrainerProgress) => void): Promise<TrainingOutcome> {
    const [program, ...args] = this.#options.command as [string, ...string[]];
    const child = spawn(program, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...this.#options.env },
    });
    let stderrBytes = 0;
    child.stderr.on("data", (chunk: Buffer) => {
      stderrBytes += chunk.length;
    });
    const exited = new Promise<string>((resolve) => {
      child.on("exit", (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`));
      child.on("error", (e) => resolve(`could not start: ${e.message}`));
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const fail = async (why: string): Promise<never> => {
      child.kill("SIGKILL");
      const how = await Promise.race([
        exited,
        new Promise<string>((r) => setTimeout(() => r("still running"), 1000)),
      ]);
      throw new Error(
        `trainer backend ${this.name}: ${why} (${how}; ${stderrBytes} bytes on stderr, not shown)`,
      );
    };
    const next = async (timeoutMs?: number): Promise<BackendMessage> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout =
        timeoutMs === undefined
          ? undefined
          : new Promise<"timeout">((r) => {
              timer = setTimeout(() => r("timeout"), timeoutMs);
            });
      const line = await Promise.race([
        lines.next(),
        exited.then(() => "exited" as const),
        ...(timeout ? [timeout] : []),
      ]);
      clearTimeout(timer);
      if (line === "timeout") return fail(`no ready message within ${timeoutMs} ms`);
      if (line === "exited" || line.done) return fail("the backend ended before answering");
      try {
        return JSON.parse(line.value) as BackendMessage;
      } catch {
        return fail("the backend wrote a line that is not JSON on stdout");
      }
    };
    const send = (message: RunnerMessage) =>
      new Promise<void>((resolve, reject) =>
        child.stdin.write(`${JSON.stringify(message)}\n`, (e) => (e ? reject(e) : resolve())),
      );
    try {
      const ready = await next(this.#options.startupTimeoutMs ?? 30_000);
      if (ready.type !== "ready") return await fail(`expected a ready message, got ${ready.type}`);
      if (ready.protocol !== TRAINER_PROTOCOL_VERSION)
        return await fail(`speaks protocol ${ready.protocol}, the runner ${TRAINER_PROTOCOL_VERSION}`);
      await send({
        type: "train",
        protocol: TRAINER_PROTOCOL_VERSION,
        task: {
          baseModel: { config: task.baseModel.config, sha256: task.baseModel.sha256 },
          params: task.params,
          initialWeights: toWire(task.initialWeights),
          train: [...task.train],
          eval: [...task.eval],
        },
      });
      for (;;) {
        const m = await next();
        if (m.type === "progress") onProgress?.({ phase: m.phase, done: m.done, total: m.total });
        else if (m.type === "error") return await fail(`reported an error: ${m.message}`);
        else if (m.type === "result") {
          await send({ type: "shutdown" });
          return this.#outcome(task, m);
        } else return await fail(`unexpected message ${(m as { type: string }).type}`);
      }
    } finally {
      child.stdin.end();
      await stop(child, exited);
    }
  }

  #outcome(task: TrainingTask, m: Extract<BackendMessage, { type: "result" }>): TrainingOutcome {
    const D = task.params.features;
    const rows = (features: bigint[][], from: TrainingTask["train"]): DataRow[] =>
      features.map((x, i) => ({ x, y: (from[i] as { label: number }).label }));
    return {
      trainRows: rows(featuresFromWire(m.trainFeatures, task.train.length, D, "trainFeatures"), task.train),
      evalRows: rows(featuresFromWire(m.evalFeatures, task.eval.length, D, "evalFeatures"), task.eval),
      weights: fromWire(m.weights, "weights"),
      tokens: m.tokens,
      featurizeMs: m.featurizeMs,
      trainMs: m.trainMs,
    };
  }

  /** {@inheritDoc TrainerBackend.close} */
  async close(): Promise<void> {}
}

/** Waits briefly for a clean exit, then kills. */
async function stop(child: ChildProcessWithoutNullStreams, exited: Promise<string>): Promise<void> {
  const done = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 2000)),
  ]);
  if (!done) child.kill("SIGKILL");
}
