import type { TransactionReceipt } from "viem";

/** One step of a printed timeline. */
export type TimelineStep = { step: string; actor: string; gasUsed: bigint | undefined; note: string };

/**
 * Records the transactions of a run (step, actor, gas, what happened) and prints them as they
 * happen and as a table at the end — the demo's and the gas benchmark's output.
 */
export class Timeline {
  readonly steps: TimelineStep[] = [];
  private readonly started = Date.now();

  // A plain field, not a parameter property: Node's type stripping (bench scripts run under plain
  // `node`) does not support parameter properties.
  private readonly out: (line: string) => void;

  constructor(out: (line: string) => void = console.log) {
    this.out = out;
  }

  /** Records a transaction by its receipt. */
  tx(step: string, actor: string, receipt: TransactionReceipt, note = ""): void {
    this.add({ step, actor, gasUsed: receipt.gasUsed, note });
  }

  /** Records an off-chain event (no gas). */
  info(step: string, actor: string, note: string): void {
    this.add({ step, actor, gasUsed: undefined, note });
  }

  /** Records a step whose gas was measured elsewhere. */
  add(s: TimelineStep): void {
    this.steps.push(s);
    const t = ((Date.now() - this.started) / 1000).toFixed(1).padStart(6);
    const gas =
      s.gasUsed === undefined ? "".padStart(10) : `${s.gasUsed.toLocaleString("en-US").padStart(10)} gas`;
    this.out(`[${t}s] ${s.actor.padEnd(10)} ${s.step.padEnd(30)} ${gas}  ${s.note}`);
  }

  /** Total gas of the steps whose names are listed (all steps when omitted). */
  totalGas(stepNames?: readonly string[]): bigint {
    return this.steps
      .filter((s) => s.gasUsed !== undefined && (stepNames === undefined || stepNames.includes(s.step)))
      .reduce((sum, s) => sum + (s.gasUsed ?? 0n), 0n);
  }
}

/**
 * Formats rows as an aligned text table: numbers right-aligned, the columns listed in
 * `leftColumns` (default: the first) left-aligned.
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  leftColumns: readonly number[] = [0],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (leftColumns.includes(i) ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
