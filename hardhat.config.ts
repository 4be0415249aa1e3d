import { createRequire } from "node:module";
import hardhatToolboxViem from "@nomicfoundation/hardhat-toolbox-viem";
import { configVariable, defineConfig } from "hardhat/config";
import type { HardhatPlugin } from "hardhat/types/plugins";

// solc comes from the `solc` npm package (WASM), so nothing is downloaded at build time.
const require = createRequire(import.meta.url);
const solcPackage = require("solc/package.json") as { version: string };

const solc = { version: solcPackage.version, path: require.resolve("solc/soljson.js") };
const optimizer = { enabled: true, runs: 200 };

// Records the revert selectors the TypeScript tests provoke when BLIND_TRAINING_REVERT_LOG names a
// file (set by `npm test`; test/support/errorRecorder.ts, checked by test/errorCoverage.test.ts).
const revertRecorder: HardhatPlugin = {
  id: "blind-training-revert-recorder",
  hookHandlers: { network: () => import("./test/support/errorRecorder.ts") },
};

// `--coverage` compiles instrumented contracts: they go to coverage/ instead of artifacts/ and cache/,
// so a coverage run neither overwrites the normal build nor forces its recompilation, and no other
// test or benchmark ever runs the instrumented (more expensive) bytecode.
const coverageRun = process.argv.includes("--coverage") || process.env.HARDHAT_COVERAGE === "true";

export default defineConfig({
  plugins: [hardhatToolboxViem, ...(process.env.BLIND_TRAINING_REVERT_LOG ? [revertRecorder] : [])],
  solidity: {
    // The IR pipeline keeps JobMarket under the 24,576-byte code size limit (EIP-170) that the
    // legacy one exceeds by about 2 KB, and spends less gas.
    compilers: [{ ...solc, settings: { optimizer, evmVersion: "osaka", viaIR: true } }],
    // The generated Poseidon contracts are one long straight-line computation that fits the size
    // limit only through the legacy pipeline (PoseidonT7 grows from 24 KB to 33 KB via IR).
    overrides: Object.fromEntries(
      ["contracts/poseidon/PoseidonT5.sol", "contracts/poseidon/PoseidonT7.sol"].map((file) => [
        file,
        { ...solc, settings: { optimizer, evmVersion: "osaka" } },
      ]),
    ),
  },
  paths: {
    tests: { nodejs: "test/ts", solidity: "test/solidity" },
    ...(coverageRun ? { artifacts: "coverage/artifacts", cache: "coverage/cache" } : {}),
  },
  // Generated and test-only contracts stay uninstrumented (scripts/coverage.ts reports the rest).
  coverage: { skipFiles: ["contracts/generated/**", "contracts/poseidon/**", "contracts/test/**"] },
  test: {
    solidity: {
      fuzz: { runs: 256 },
      // Issue 12: at least 256 runs × 100 calls per invariant campaign (each `invariant_` function
      // is a campaign of its own; JobMarket.invariant.t.sol checks all its properties in one).
      invariant: { runs: 256, depth: 100, failOnRevert: false },
    },
  },
  networks: {
    // The in-process chain used by tests, the demo and the benchmarks. Osaka gives the P-256
    // precompile at 0x100 that quote verification uses.
    default: { type: "edr-simulated", chainType: "l1", hardfork: "osaka" },
    // The persistent node started by `npm run chain`.
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
    // Any EVM chain with the P-256 precompile: set RPC_URL and DEPLOYER_KEY with
    // `npx hardhat keystore set RPC_URL` / `DEPLOYER_KEY` (encrypted keystore, nothing in files).
    remote: {
      type: "http",
      chainType: "l1",
      url: configVariable("RPC_URL"),
      accounts: [configVariable("DEPLOYER_KEY")],
    },
  },
});
