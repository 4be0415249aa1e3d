// `zkey verify` in a process of its own: node scripts/circuits/verifyZkey.ts <r1cs> <ptau> <zkey>
// [--verbose]. Exit 0 when the zkey is the phase 2 of this circuit over this powers of tau, 1 with
// snarkjs's errors on stderr when it is not, 2 on bad arguments.
//
// Why a child process: snarkjs (0.7, zkey verify's sameRatioH) opens the powers of tau file and never
// closes it; Node then warns "Closing file descriptor … on garbage collection" (DEP0137) in whatever
// process ran the check (the demo, the tests). Here the handle closes with the process.
import * as snarkjs from "snarkjs";
import { releaseSnarkjs, snarkLogger } from "./pipeline.ts";

const args = process.argv.slice(2);
const verbose = args.includes("--verbose");
const files = args.filter((a) => a !== "--verbose");
if (files.length !== 3) {
  process.stderr.write("usage: node scripts/circuits/verifyZkey.ts <r1cs> <ptau> <zkey> [--verbose]\n");
  process.exit(2);
}
const [r1cs, ptau, zkey] = files as [string, string, string];
const { errors, logger } = snarkLogger(verbose, "[zkey verify]");
const ok = await snarkjs.zKey.verifyFromR1cs(r1cs, ptau, zkey, logger);
await releaseSnarkjs();
if (ok !== true) {
  process.stderr.write(`${errors.join("\n") || "zkey verify returned false"}\n`);
  process.exit(1);
}
