// Worker-thread entry: one ModelCompute (its own TF.js WASM instance) answering the pool's
// requests. Texts arrive by postMessage and are never written anywhere.
import { parentPort } from "node:worker_threads";
import { ModelCompute } from "./compute.ts";
import type { SlmConfig } from "./config.ts";
import { type Projection, projectFeatures } from "./projection.ts";

/** A request from the pool. `id` pairs it with its reply. */
export type WorkerRequest =
  | { id: number; op: "init"; config: SlmConfig; flat: Float32Array; projection?: Projection | undefined }
  | { id: number; op: "setWeights"; flat: Float32Array }
  | { id: number; op: "grads"; tokens: Uint8Array; rows: number }
  | { id: number; op: "pooled"; texts: Uint8Array[] }
  | { id: number; op: "nll"; seqs: Uint8Array[] }
  | { id: number; op: "featurize"; texts: Uint8Array[] };

/** A reply: the result, or the error's message. */
export type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string };

let compute: ModelCompute | undefined;
let projection: Projection | undefined;

const port = parentPort;
if (port === null) throw new Error("enclave-runner/model/worker.ts must run in a worker thread");

port.on("message", async (request: WorkerRequest) => {
  try {
    const [result, transfer] = await handle(request);
    port.postMessage({ id: request.id, ok: true, result } satisfies WorkerReply, transfer);
  } catch (error) {
    port.postMessage({ id: request.id, ok: false, error: String(error) } satisfies WorkerReply);
  }
});

/** The result and the buffers to move (not copy) back to the pool. */
async function handle(request: WorkerRequest): Promise<[unknown, ArrayBuffer[]]> {
  if (request.op === "init") {
    compute = await ModelCompute.create(request.config, request.flat);
    projection = request.projection;
    return [null, []];
  }
  const c = compute;
  if (c === undefined) throw new Error("worker used before init");
  switch (request.op) {
    case "setWeights":
      c.setWeights(request.flat);
      return [null, []];
    case "grads": {
      const result = c.grads(request.tokens, request.rows);
      return [result, [result.grads.buffer as ArrayBuffer]];
    }
    case "pooled": {
      const result = request.texts.map((t) => c.pooled(t));
      return [result, result.map((r) => r.buffer as ArrayBuffer)];
    }
    case "nll":
      return [c.nll(request.seqs), []];
    case "featurize": {
      if (projection === undefined) throw new Error("featurize needs a projection");
      const D = projection.scale.length;
      const out = new Int16Array(request.texts.length * D);
      const p = projection;
      request.texts.forEach((t, i) => {
        projectFeatures(c.pooled(t), p).forEach((v, k) => {
          out[i * D + k] = Number(v);
        });
      });
      return [out, [out.buffer as ArrayBuffer]];
    }
  }
}
