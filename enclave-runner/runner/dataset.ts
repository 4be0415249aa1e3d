// The buyer's dataset format: UTF-8 JSON Lines. The first line is `{"salt": "0x…"}`, the salt of the
// raw-data commitment posted on chain (docs/RAW_DATA.md: it travels inside the encrypted data so
// that nobody outside the enclave can test a guess of the rows against the commitment); then one row
// per line, `{"text": "...", "label": 0}`. Parsing happens in memory only, and no error message
// quotes the data: V8's own JSON errors embed a snippet of the input, so they are replaced by a line
// number.
import { type Hex, isHex } from "viem";
import { RunnerError } from "../errors.ts";

/** One labelled text row of a buyer's dataset. */
export type LabeledText = { text: string; label: number };

/** Limits a parsed dataset must respect. */
export type DatasetLimits = {
  /** Labels are integers in [0, classes). */
  classes: number;
  /** Exact number of rows the training statement needs (S·K·B for training, E for eval). */
  rows: number;
  /** Largest accepted plaintext, in bytes. */
  maxBytes: number;
  /** Longest accepted text in UTF-8 bytes: the base model's context (longer rows are refused, not cut). */
  maxTextBytes: number;
};

/** A parsed dataset: the raw-data commitment's salt and the rows. */
export type ParsedDataset = { salt: Hex; rows: LabeledText[] };

/**
 * Serializes a dataset as JSON Lines (what the buyer encrypts): the salt line, then the rows.
 *
 * @example
 * encodeDataset([{ text: "lights on", label: 1 }], commitRawData(rows).salt);
 */
export function encodeDataset(rows: readonly LabeledText[], salt: Hex): Uint8Array {
  return new TextEncoder().encode(
    [JSON.stringify({ salt }), ...rows.map((r) => JSON.stringify({ text: r.text, label: r.label }))].join(
      "\n",
    ),
  );
}

/**
 * Parses and checks a decrypted dataset. Blank lines are ignored (a trailing newline is common).
 * Throws {@link RunnerError} `DatasetTooLarge`, `BadData`, `TextTooLong`, `EmptyDataset` or
 * `WrongRowCount`.
 *
 * @param bytes The decrypted plaintext.
 * @param limits What the job allows.
 * @param what "training set" or "eval set", for messages.
 */
export function parseDataset(bytes: Uint8Array, limits: DatasetLimits, what: string): ParsedDataset {
  if (bytes.length > limits.maxBytes)
    throw new RunnerError(
      "DatasetTooLarge",
      `the ${what} has ${bytes.length} bytes, more than the limit of ${limits.maxBytes}`,
    );
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new RunnerError("BadData", `the ${what} is not valid UTF-8`);
  }
  const rows: LabeledText[] = [];
  let salt: Hex | undefined;
  const encoder = new TextEncoder();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new RunnerError("BadData", `${what} line ${i + 1} is not valid JSON`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new RunnerError("BadData", `${what} line ${i + 1} is not a JSON object`);
    if (salt === undefined) {
      const { salt: first } = value as Record<string, unknown>;
      if (typeof first !== "string" || !isHex(first, { strict: true }) || first.length !== 66)
        throw new RunnerError(
          "BadData",
          `${what} line ${i + 1} must be the salt line {"salt": "0x" + 64 hex digits} (docs/RAW_DATA.md)`,
        );
      salt = first;
      continue;
    }
    const { text: rowText, label } = value as Record<string, unknown>;
    if (typeof rowText !== "string" || rowText.length === 0)
      throw new RunnerError("BadData", `${what} line ${i + 1}: "text" must be a non-empty string`);
    if (typeof label !== "number" || !Number.isInteger(label) || label < 0 || label >= limits.classes)
      throw new RunnerError(
        "BadData",
        `${what} line ${i + 1}: "label" must be an integer in [0, ${limits.classes})`,
      );
    const textBytes = encoder.encode(rowText).length;
    if (textBytes > limits.maxTextBytes)
      throw new RunnerError(
        "TextTooLong",
        `${what} line ${i + 1}: the text has ${textBytes} UTF-8 bytes, more than the base model's context of ${limits.maxTextBytes}`,
      );
    rows.push({ text: rowText, label });
  }
  if (salt === undefined || rows.length === 0)
    throw new RunnerError("EmptyDataset", `the ${what} has no rows`);
  if (rows.length !== limits.rows)
    throw new RunnerError(
      "WrongRowCount",
      `the ${what} has ${rows.length} rows; the job's training statement needs exactly ${limits.rows}`,
    );
  return { salt, rows };
}
