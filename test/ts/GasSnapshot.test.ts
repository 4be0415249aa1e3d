// The gas snapshot check (as Uniswap v4-core's `forge snapshot --check`): re-measures the market's
// lifecycle and settlement transactions on a fresh in-process chain (bench/lifecycleGas.ts, the
// TestTrainingVerifier double, deterministic inputs) and compares them with the committed
// bench/gas-snapshot.json. A transaction that grew by more than 2 %, a new one and a missing one
// fail with the diff; `npm run gas:snapshot` updates the file (commit it with the change that moved
// the gas, so the review sees it). Under `npm run coverage` the contracts run instrumented (every
// statement costs extra gas), so there the check compares which transactions are measured, not
// their gas: scripts/coverage.ts sets BLIND_TRAINING_COVERAGE=1.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { compareSnapshot, measureMarketGas, readSnapshot, snapshotOf } from "../../bench/lifecycleGas.ts";

/** Coverage instrumentation inflates gas: only the set of measured transactions is compared then. */
const INSTRUMENTED = process.env.BLIND_TRAINING_COVERAGE === "1";

describe("gas snapshot (bench/gas-snapshot.json)", () => {
  it(
    INSTRUMENTED
      ? "every snapshot transaction is still measured (coverage run: gas is instrumented, not compared)"
      : "no lifecycle or settlement transaction grew by more than 2 %",
    async () => {
      const committed = readSnapshot();
      assert.ok(
        Object.keys(committed).length > 0,
        "bench/gas-snapshot.json is missing: run npm run gas:snapshot",
      );
      const { rows } = await measureMarketGas(await network.create());
      if (INSTRUMENTED) {
        assert.deepEqual(Object.keys(snapshotOf(rows)).sort(), Object.keys(committed).sort());
        return;
      }
      const { failures, lines } = compareSnapshot(committed, snapshotOf(rows));
      assert.deepEqual(
        failures,
        [],
        `gas differs from bench/gas-snapshot.json (committed → measured):\n${lines.join("\n")}\n` +
          "If the change is intended, run `npm run gas:snapshot` and commit bench/gas-snapshot.json.",
      );
    },
  );

  it("compares as documented: > 2 % growth, new and missing transactions fail; shrinking passes", () => {
    const { failures, lines } = compareSnapshot(
      { a: 100_000, b: 100_000, c: 100_000, gone: 1 },
      { a: 102_000, b: 102_001, c: 90_000, added: 5 },
    );
    assert.deepEqual(failures.sort(), ["added", "b", "gone"]);
    assert.equal(lines.length, 5);
    assert.match(lines.find((l) => l.includes(" b ")) ?? "", /100,000 →\s+102,001\s+\+2\.00 %\s+> 2 %/);
  });
});
