// The external trainer protocol (trainer/PROTOCOL.md), version 1: newline-delimited JSON over the
// backend's stdin/stdout. Integers that may exceed 2^53 (weights, features) travel as decimal
// strings. Shared by the runner's client and the example backend.
import type { AdapterWeights, TrainingParams } from "../../sdk/training/index.ts";
import type { SlmConfig } from "../model/index.ts";
import type { LabeledText } from "../runner/dataset.ts";

/** The protocol version both sides must speak. */
export const TRAINER_PROTOCOL_VERSION = 1;

/** Weights on the wire. */
export type WireWeights = { weights: string[][]; bias: string[] };

/** runner → backend */
export type RunnerMessage =
  | {
      type: "train";
      protocol: number;
      task: {
        baseModel: { config: SlmConfig; sha256: string };
        params: TrainingParams;
        initialWeights: WireWeights;
        train: LabeledText[];
        eval: LabeledText[];
      };
    }
  | { type: "shutdown" };

/** backend → runner */
export type BackendMessage =
  | { type: "ready"; protocol: number; name: string }
  | { type: "progress"; phase: "featurize" | "train"; done: number; total: number }
  | {
      type: "result";
      trainFeatures: string[][];
      evalFeatures: string[][];
      weights: WireWeights;
      tokens: number;
      featurizeMs: number;
      trainMs: number;
    }
  | { type: "error"; message: string };

/** Weights to their wire form. */
export function toWire(w: AdapterWeights): WireWeights {
  return { weights: w.weights.map((row) => row.map(String)), bias: w.bias.map(String) };
}

const INTEGER = /^-?(0|[1-9][0-9]*)$/;

/** A decimal string to a bigint; throws on anything else. */
export function bigintFromWire(v: unknown, where: string): bigint {
  if (typeof v !== "string" || !INTEGER.test(v)) throw new Error(`${where} must be a decimal integer string`);
  return BigInt(v);
}

/** Weights from their wire form; throws naming the bad value. */
export function fromWire(w: unknown, where: string): AdapterWeights {
  const o = w as WireWeights;
  if (typeof o !== "object" || o === null || !Array.isArray(o.weights) || !Array.isArray(o.bias))
    throw new Error(`${where} must be {weights, bias}`);
  return {
    weights: o.weights.map((row, c) => {
      if (!Array.isArray(row)) throw new Error(`${where}.weights[${c}] must be an array`);
      return row.map((v, d) => bigintFromWire(v, `${where}.weights[${c}][${d}]`));
    }),
    bias: o.bias.map((v, c) => bigintFromWire(v, `${where}.bias[${c}]`)),
  };
}

/** Feature matrix from its wire form. */
export function featuresFromWire(rows: unknown, count: number, features: number, where: string): bigint[][] {
  if (!Array.isArray(rows) || rows.length !== count) throw new Error(`${where} must have ${count} rows`);
  return rows.map((row, i) => {
    if (!Array.isArray(row) || row.length !== features)
      throw new Error(`${where}[${i}] must have ${features} features`);
    return row.map((v, d) => bigintFromWire(v, `${where}[${i}][${d}]`));
  });
}
