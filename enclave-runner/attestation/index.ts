// Evidence sources: which one the runner uses is a configuration choice (`--tee`), never a fallback,
// so a misconfigured production runner fails instead of silently producing development evidence.
import { AttestationError } from "../../sdk/attestation/errors.ts";
import { ConfigfsTsmSource } from "./configfsTsm.ts";
import type { EvidenceSource } from "./evidenceSource.ts";
import { GramineSgxSource } from "./gramineSgx.ts";
import { SimulatedTdxSource } from "./simulated.ts";

export * from "./configfsTsm.ts";
export * from "./evidenceSource.ts";
export * from "./gramineSgx.ts";
export * from "./simulated.ts";

/** The TEE choices of the runner's `--tee` option. */
export const TEE_CHOICES = ["tdx", "sev-snp", "sgx", "simulated"] as const;
/** One of {@link TEE_CHOICES}. */
export type TeeChoice = (typeof TEE_CHOICES)[number];

/**
 * The evidence source for a TEE choice: TDX and SEV-SNP through configfs-tsm, SGX through Gramine,
 * Simulated from the development chain.
 *
 * @example
 * const source = createEvidenceSource("tdx");
 * const { evidence } = await source.getEvidence(reportData);
 */
export function createEvidenceSource(tee: string): EvidenceSource {
  switch (tee) {
    case "tdx":
      return new ConfigfsTsmSource({ expectedProvider: "tdx_guest" });
    case "sev-snp":
      return new ConfigfsTsmSource({ expectedProvider: "sev_guest" });
    case "sgx":
      return new GramineSgxSource();
    case "simulated":
      return new SimulatedTdxSource();
    default:
      throw new AttestationError(
        "Unsupported",
        `unknown TEE "${tee}" (choose one of ${TEE_CHOICES.join(", ")})`,
      );
  }
}
