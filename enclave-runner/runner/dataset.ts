// The buyer's dataset format: UTF-8 JSON Lines, one row per line, `{"text": "...", "label": 0}`.
// Parsing happens in memory only, and no error message quotes the data: V8's own JSON errors embed
// a snippet of the input, so they are replaced by a line number.
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
};

/** Serializes rows as JSON Lines (what the buyer encrypts). */
export function encodeDataset(rows: readonly LabeledText[]): Uint8Array {
  return new TextEncoder().encode(
    rows.map((r) => JSON.stringify({ text: r.text, label: r.label })).join("\n"),
  );
}

/**
 * Parses and checks a decrypted dataset. Blank lines are ignored (a trailing newline is common).
 * Throws {@link RunnerError} `DatasetTooLarge`, `BadData`, `EmptyDataset` or `WrongRowCount`.
 *
 * @param bytes The decrypted plaintext.
 * @param limits What the job allows.
 * @param what "training set" or "eval set", for messages.
 */
export function parseDataset(bytes: Uint8Array, limits: DatasetLimits, what: string): LabeledText[] {
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
    const { text: rowText, label } = value as Record<string, unknown>;
    if (typeof rowText !== "string" || rowText.length === 0)
      throw new RunnerError("BadData", `${what} line ${i + 1}: "text" must be a non-empty string`);
    if (typeof label !== "number" || !Number.isInteger(label) || label < 0 || label >= limits.classes)
      throw new RunnerError(
        "BadData",
        `${what} line ${i + 1}: "label" must be an integer in [0, ${limits.classes})`,
      );
    rows.push({ text: rowText, label });
  }
  if (rows.length === 0) throw new RunnerError("EmptyDataset", `the ${what} has no rows`);
  if (rows.length !== limits.rows)
    throw new RunnerError(
      "WrongRowCount",
      `the ${what} has ${rows.length} rows; the job's training statement needs exactly ${limits.rows}`,
    );
  return rows;
}
