// Every custom error our contracts declare must be triggered by at least one test (issues 2 and 12).
// "Triggered" means a revert carrying the error was actually seen, not that a test names it:
// - TypeScript tests: `npm test` runs `hardhat test` with BLIND_TRAINING_REVERT_LOG set, and the
//   network hook of test/support/errorRecorder.ts appends the selector of every revert any
//   JSON-RPC request returned (eth_call, eth_estimateGas, a reverted transaction) and of every
//   verifier error reported inside a successful transaction (JobMarket's `EvidenceRejected`
//   reason) to that log. This file runs after the whole suite (a later step of `npm test`, outside
//   test/ts so `hardhat test` never runs it concurrently with the tests it checks).
// - Solidity tests cannot be hooked: an error counts when a test in test/solidity asserts it with
//   `vm.expectRevert(…X.selector…)`, because that assertion fails unless the next call reverts
//   with that selector. A selector passed through a variable or helper does not count.
// Run alone after a full run: `node --test test/errorCoverage.test.ts` (the log defaults to
// build/revert-selectors.log, the file `npm test` writes).
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { encodeAbiParameters, encodeErrorResult, type Hex, toFunctionSelector } from "viem";
import { formatAbiItem } from "viem/utils";
import * as abis from "../sdk/generated/abis.ts";
import {
  EVIDENCE_REJECTED_TOPIC,
  REVERT_LOG_ENV,
  readRevertLog,
  rejectionSelectors,
  revertDataOf,
} from "./support/errorRecorder.ts";

const ROOT = join(import.meta.dirname, "..");
/** The log `npm test` writes (BLIND_TRAINING_REVERT_LOG overrides it). */
const LOG = process.env[REVERT_LOG_ENV] ?? join(ROOT, "build", "revert-selectors.log");

/** Errors we declare, by component prefix; `AttestationRevoked` is IAttestationVerifier's. */
const OURS =
  /^(JobMarket|MultiParty|ProviderRegistry|EnclaveRegistry|DataDelivery|Governed|IntelQuote|AttestationStatement|DevStakeToken|Groth16Training|FeatureBinding)|^AttestationRevoked$/;
/** OpenZeppelin errors our access control and reentrancy protection rely on. */
const RELIED_ON = ["OwnableUnauthorizedAccount", "ReentrancyGuardReentrantCall"];

type AbiError = { type: "error"; name: string; inputs: readonly { type: string }[] };

/** Every wanted error of the generated ABIs, keyed by selector (one per signature). */
function declaredErrors(): Map<Hex, { name: string; signature: string; contracts: string[] }> {
  const out = new Map<Hex, { name: string; signature: string; contracts: string[] }>();
  for (const [abiName, abi] of Object.entries(abis)) {
    for (const item of abi as readonly { type: string }[]) {
      if (item.type !== "error") continue;
      const error = item as AbiError;
      if (!OURS.test(error.name) && !RELIED_ON.includes(error.name)) continue;
      const signature = formatAbiItem(error as never);
      const selector = toFunctionSelector(signature);
      const entry = out.get(selector) ?? { name: error.name, signature, contracts: [] };
      entry.contracts.push(abiName.replace(/Abi$/, ""));
      out.set(selector, entry);
    }
  }
  return out;
}

/** Solidity source without comments. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/[^\n]*/g, "");
}

/** Names `X` of every `vm.expectRevert(…X.selector…)` in the Solidity tests under `dir`. */
export function expectedRevertNames(dir: string): Set<string> {
  const names = new Set<string>();
  if (!existsSync(dir)) return names;
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter(
    (e) => e.isFile() && e.name.endsWith(".sol"),
  );
  for (const file of files) {
    const source = stripComments(readFileSync(join(file.parentPath, file.name), "utf8"));
    for (const match of source.matchAll(/vm\.expectRevert\s*\(/g)) {
      // The call's argument list, up to its closing parenthesis.
      let depth = 1;
      let end = (match.index ?? 0) + match[0].length;
      for (; end < source.length && depth > 0; end++) {
        if (source[end] === "(") depth++;
        else if (source[end] === ")") depth--;
      }
      const args = source.slice((match.index ?? 0) + match[0].length, end - 1);
      for (const m of args.matchAll(/(\w+)\s*\.\s*selector\b/g)) if (m[1]) names.add(m[1]);
    }
  }
  return names;
}

describe("custom error coverage", () => {
  it("every declared custom error is triggered by some test", (t) => {
    assert.ok(
      existsSync(LOG),
      `no revert log at ${LOG}: run the suite with ${REVERT_LOG_ENV} set (npm test does) before this check`,
    );
    const declared = declaredErrors();
    assert.ok(declared.size > 50, `expected the contracts' errors, found only ${declared.size}`);
    const seen = readRevertLog(LOG);
    const asserted = expectedRevertNames(join(ROOT, "test", "solidity"));

    const missing = [...declared]
      .filter(([selector, e]) => !seen.has(selector) && !asserted.has(e.name))
      .map(([, e]) => `${e.signature} (${e.contracts.join(", ")})`)
      .sort();
    const byTs = [...declared.keys()].filter((s) => seen.has(s)).length;
    t.diagnostic(
      `${declared.size} custom errors: ${byTs} seen reverting in TS tests, ` +
        `${[...declared.values()].filter((e) => asserted.has(e.name)).length} asserted by Solidity tests, ` +
        `${missing.length} never triggered`,
    );
    assert.deepEqual(
      missing,
      [],
      `custom errors no test triggers (${missing.length}):\n  ${missing.join("\n  ")}`,
    );
  });
});

describe("revert recorder", () => {
  const revert = encodeErrorResult({
    abi: abis.jobMarketAbi,
    errorName: "JobMarketUnknownJob",
    args: [7n],
  });

  it("takes the selector from a provider error's data, its { data } object or its cause", () => {
    assert.equal(revertDataOf({ data: revert }), revert);
    assert.equal(revertDataOf({ data: { data: revert, transactionHash: "0x01" } }), revert);
    assert.equal(revertDataOf(new Error("wrapped", { cause: { data: revert } })), revert);
    assert.equal(revertDataOf({ data: "0x" }), undefined);
    assert.equal(revertDataOf(new Error("no data")), undefined);
  });

  it("takes the verifier's error from EvidenceRejected logs only", () => {
    const data = encodeAbiParameters([{ type: "bytes" }], [revert]);
    const receipt = {
      logs: [
        { topics: [EVIDENCE_REJECTED_TOPIC, "0x01", "0x04"], data },
        { topics: [toFunctionSelector("Other(bytes)").padEnd(66, "0")], data },
      ],
    };
    assert.deepEqual(rejectionSelectors(receipt), [revert.slice(0, 10)]);
    assert.deepEqual(rejectionSelectors(null), []);
  });

  it("counts a Solidity error only inside vm.expectRevert, comments excluded", () => {
    const dir = mkdtempSync(join(tmpdir(), "error-coverage-"));
    try {
      mkdirSync(join(dir, "nested"));
      writeFileSync(
        join(dir, "nested", "A.t.sol"),
        [
          "function test_a() public {",
          "    vm.expectRevert(",
          "        abi.encodeWithSelector(IJobMarket.JobMarketBidNotLower.selector, bid, (max + 1))",
          "    );",
          "    vm.expectRevert(IGoverned.GovernedRenounceDisabled.selector);",
          "    bytes4 unused = IJobMarket.JobMarketZeroPrice.selector;",
          "    // vm.expectRevert(IJobMarket.JobMarketUnknownJob.selector);",
          "    /* vm.expectRevert(IJobMarket.JobMarketEmptyResult.selector); */",
          "}",
        ].join("\n"),
      );
      assert.deepEqual([...expectedRevertNames(dir)].sort(), [
        "GovernedRenounceDisabled",
        "JobMarketBidNotLower",
      ]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
