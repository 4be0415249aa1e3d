// npm run gas:snapshot: re-measures the market's lifecycle and settlement transactions
// (bench/lifecycleGas.ts) and writes bench/gas-snapshot.json, the values `npm test` compares with
// (test/ts/GasSnapshot.test.ts). Prints what changed against the previous snapshot.
import { network } from "hardhat";
import {
  compareSnapshot,
  measureMarketGas,
  readSnapshot,
  SNAPSHOT_FILE,
  snapshotOf,
  writeSnapshot,
} from "./lifecycleGas.ts";

const { rows } = await measureMarketGas(await network.create());
const measured = snapshotOf(rows);
const { lines } = compareSnapshot(readSnapshot(), measured);
console.log(lines.length === 0 ? "gas snapshot unchanged" : `gas snapshot changes:\n${lines.join("\n")}`);
writeSnapshot(measured);
console.log(`wrote ${SNAPSHOT_FILE} (${Object.keys(measured).length} transactions)`);
