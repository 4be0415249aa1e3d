import { type Hex, keccak256, toHex as viemToHex } from "viem";
import { concatBytes } from "./bytes.ts";
import type { IntelQuote } from "./intelQuote.ts";

// The bytes32 measurement each TEE type is allow-listed under in the EnclaveRegistry
// (docs/ATTESTATION.md, "Measurements"). The on-chain verifiers compute the same values.

/** TDX (and Simulated): keccak256(MRTD ‖ RTMR0 ‖ RTMR1 ‖ RTMR2 ‖ RTMR3). */
export function tdxMeasurement(report: { mrTd: Uint8Array; rtmrs: readonly Uint8Array[] }): Hex {
  return keccak256(concatBytes(report.mrTd, ...report.rtmrs));
}

/** SGX: MRENCLAVE as is. */
export function sgxMeasurement(report: { mrEnclave: Uint8Array }): Hex {
  return viemToHex(report.mrEnclave);
}

/** The measurement of a parsed Intel quote. */
export function intelQuoteMeasurement(quote: IntelQuote): Hex {
  return quote.body.kind === "tdx" ? tdxMeasurement(quote.body.report) : sgxMeasurement(quote.body.report);
}
