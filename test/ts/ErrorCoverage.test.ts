// Every custom error our contracts declare must be triggered by at least one test (issue 2). This
// test reads the errors from the generated ABIs and looks for each name in the test sources, where
// an assertion names it (`"JobMarketZeroPrice"` in TS, `JobMarketZeroPrice.selector` in Solidity).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  attestationStatementVerifierAbi,
  devStakeTokenAbi,
  enclaveRegistryAbi,
  groth16TrainingVerifierAbi,
  intelQuoteVerifierAbi,
  jobMarketAbi,
  multiPartyCoordinatorAbi,
  providerRegistryAbi,
} from "../../sdk/index.ts";

/** Errors we declare (OpenZeppelin's own are covered where we rely on them, listed explicitly). */
const OURS =
  /^(JobMarket|MultiParty|ProviderRegistry|EnclaveRegistry|IntelQuote|AttestationStatement|DevStakeToken|Groth16Training)/;
const RELIED_ON = ["OwnableUnauthorizedAccount", "ReentrancyGuardReentrantCall"];

function sources(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext) && e.name !== "ErrorCoverage.test.ts")
    .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"));
}

describe("custom error coverage", () => {
  it("every declared custom error is asserted by some test", () => {
    const abis = [
      jobMarketAbi,
      multiPartyCoordinatorAbi,
      providerRegistryAbi,
      enclaveRegistryAbi,
      groth16TrainingVerifierAbi,
      intelQuoteVerifierAbi,
      attestationStatementVerifierAbi,
      devStakeTokenAbi,
    ];
    const declared = new Set(
      abis.flatMap((abi) => abi.filter((item) => item.type === "error").map((item) => item.name)),
    );
    const wanted = [...declared].filter((name) => OURS.test(name) || RELIED_ON.includes(name)).sort();
    assert.ok(wanted.length > 50, `expected the contracts' errors, found only ${wanted.length}`);

    const root = join(import.meta.dirname, "..");
    const ts = sources(join(root, "ts"), ".ts").join("\n");
    const sol = sources(join(root, "solidity"), ".sol").join("\n");
    const missing = wanted.filter((name) => !ts.includes(`"${name}"`) && !sol.includes(`${name}.selector`));
    assert.deepEqual(missing, [], `custom errors no test triggers: ${missing.join(", ")}`);
  });
});
