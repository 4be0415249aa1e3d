import type { Hex } from "viem";
import {
  buildSimulatedQuote,
  DEV_PCK_PUBLIC_KEY,
  reportDataForBinding,
  type TdReportFields,
} from "./attestation/index.ts";
import { encodeIntelEvidence } from "./attestation/onchain.ts";

export { SIMULATED_MEASUREMENT } from "./attestation/devChain.ts";

/** Parameters of {@link createSimulatedEvidence}. */
export type CreateSimulatedEvidenceParameters = {
  /** The job binding (see `attestationBinding`), 32 bytes. */
  reportData: Hex;
  /** TD report fields to override (tests build debug or unknown-measurement quotes with it). */
  report?: Omit<TdReportFields, "reportData"> | undefined;
};

/**
 * Simulated-TEE evidence for `JobMarket.submitAttestation`: a TDX quote v4 of the Simulated TD,
 * signed by the development chain (`sdk/attestation/devChain.ts`), encoded for the development
 * `IntelQuoteVerifier`. It proves nothing about hardware; the EnclaveRegistry accepts the Simulated
 * TEE type only on local chains where it was enabled.
 *
 * @example
 * const evidence = createSimulatedEvidence({ reportData: attestationBinding({ ... }) });
 */
export function createSimulatedEvidence(p: CreateSimulatedEvidenceParameters): Hex {
  const quote = buildSimulatedQuote({ reportData: reportDataForBinding(p.reportData), report: p.report });
  return encodeIntelEvidence(quote, DEV_PCK_PUBLIC_KEY);
}
