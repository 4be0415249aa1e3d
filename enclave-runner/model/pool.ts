// A fixed set of worker threads, each running worker.ts with its own copy of the network. The pool
// only moves work and results; every result is placed by index, so scheduling never changes it.
import { Worker } from "node:worker_threads";
import type { SlmConfig } from "./config.ts";
import { SlmError } from "./errors.ts";
import type { Projection } from "./projection.ts";
import type { WorkerReply, WorkerRequest } from "./worker.ts";

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

/** Worker threads that each hold the model; requests go to a chosen worker. */
export class WorkerPool {
  readonly #workers: Worker[];
  readonly #pending: Map<number, Pending>[];
  #nextId = 0;
  #failure: Error | undefined;

  private constructor(size: number) {
    this.#workers = [];
    this.#pending = [];
    for (let w = 0; w < size; w++) {
      const worker = new Worker(new URL("./worker.ts", import.meta.url));
      const pending = new Map<number, Pending>();
      worker.on("message", (reply: WorkerReply) => {
        const p = pending.get(reply.id);
        if (p === undefined) return;
        pending.delete(reply.id);
        if (reply.ok) p.resolve(reply.result);
        else p.reject(new SlmError("WorkerFailed", `worker ${w}: ${reply.error}`));
      });
      const fail = (cause: unknown) => {
        this.#failure ??= new SlmError("WorkerFailed", `worker ${w} stopped: ${String(cause)}`, { cause });
        for (const p of pending.values()) p.reject(this.#failure);
        pending.clear();
      };
      worker.on("error", fail);
      worker.on("exit", (code) => {
        if (pending.size > 0) fail(`exit code ${code}`);
      });
      this.#workers.push(worker);
      this.#pending.push(pending);
    }
  }

  /** Starts `size` workers and loads the model (flat weights, optional projection) into each. */
  static async start(
    size: number,
    init: { config: SlmConfig; flat: Float32Array; projection?: Projection | undefined },
  ): Promise<WorkerPool> {
    const pool = new WorkerPool(size);
    try {
      await Promise.all(pool.#workers.map((_, w) => pool.request(w, { op: "init", ...init })));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Number of workers. */
  get size(): number {
    return this.#workers.length;
  }

  /** Sends one request to worker `w` and resolves with its result. */
  request<T = unknown>(w: number, request: Request, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const pending = this.#pending[w] as Map<number, Pending>;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      (this.#workers[w] as Worker).postMessage({ ...request, id }, transfer);
    });
  }

  /**
   * Runs `count` jobs over the workers, each job going to the next free worker; results land at
   * their job's index.
   */
  async map<T>(count: number, job: (index: number, w: number) => Promise<T>): Promise<T[]> {
    const results = new Array<T>(count);
    let next = 0;
    await Promise.all(
      this.#workers.map(async (_, w) => {
        while (next < count) {
          const index = next++;
          results[index] = await job(index, w);
        }
      }),
    );
    return results;
  }

  /** Terminates every worker. */
  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
