// TF.js on its WASM backend, set up once per process or worker thread. The .wasm binaries come from
// the installed @tensorflow/tfjs-backend-wasm package, so nothing is ever downloaded.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";
import { registerGradients } from "./gradients.ts";

const require = createRequire(import.meta.url);

/** The TF.js module type, for signatures that take the initialised library. */
export type Tf = typeof tf;

/** Versions of the two TF.js packages; part of the cache key, since another WASM binary may round differently. */
export const TFJS_VERSIONS: { core: string; wasm: string } = {
  core: (require("@tensorflow/tfjs-core/package.json") as { version: string }).version,
  wasm: (require("@tensorflow/tfjs-backend-wasm/package.json") as { version: string }).version,
};

let ready: Promise<Tf> | undefined;

/**
 * Initialises TF.js on the WASM backend, with the gradients autodiff needs (idempotent: every call in a process or worker thread
 * returns the same promise).
 *
 * @returns The initialised `@tensorflow/tfjs-core` module.
 * @example
 * const tf = await initTf();
 * tf.tidy(() => tf.matMul(a, b));
 */
export function initTf(): Promise<Tf> {
  ready ??= (async () => {
    const dist = join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist");
    setWasmPaths(`${dist}/`);
    // Skips TF.js's debug-time checks; it changes no arithmetic.
    tf.enableProdMode();
    if (!(await tf.setBackend("wasm"))) throw new Error("TF.js could not initialise its WASM backend");
    await tf.ready();
    registerGradients(tf);
    return tf;
  })();
  return ready;
}
