import { buildSimulatedQuote } from "../../sdk/attestation/devChain.ts";
import { assertReportData, type Evidence, type EvidenceSource } from "./evidenceSource.ts";

/**
 * Development evidence: a TDX quote v4 of the Simulated TD, signed by the development chain
 * (`sdk/attestation/devChain.ts`). It goes through the same parser and verifiers as a real TDX
 * quote; only the pinned root differs, and production configurations refuse it (`UntrustedRoot`
 * in TypeScript; on-chain, only the development `IntelQuoteVerifier` accepts the Simulated type,
 * and only on local chains).
 */
export class SimulatedTdxSource implements EvidenceSource {
  readonly name = "simulated (development TDX quote)";

  async getEvidence(reportData: Uint8Array): Promise<Evidence> {
    assertReportData(reportData);
    return {
      kind: "simulated-tdx-quote",
      evidence: buildSimulatedQuote({ reportData }),
      provider: "simulated",
    };
  }
}
