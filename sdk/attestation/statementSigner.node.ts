import type { Address, Hex } from "viem";
import type { LocalAccount } from "viem/accounts";
import { TeeType } from "../types.ts";
import { AttestationError } from "./errors.ts";
import { signAttestationStatement } from "./onchain.ts";
import { type SevSnpVerifyOptions, verifySevSnpAttestation } from "./sevSnpVerify.node.ts";

/** Parameters of {@link attestSevSnpOnChain}. */
export type AttestSevSnpParameters = {
  report: Uint8Array;
  /** Verification options (VCEK, chain, validation time, expected binding, policy). */
  verify: SevSnpVerifyOptions;
  /** The registered verifier key of this service. */
  signer: LocalAccount;
  /** The `AttestationStatementVerifier` deployment. */
  domain: { chainId: number; verifier: Address };
  /** How long the statement stays valid, in seconds (capped by the certificates' expiry). Default 1 hour. */
  ttlSeconds?: number | undefined;
};

/**
 * The verifier service's step for SEV-SNP (no P-384 precompile exists): verify the report in full
 * here, then sign the EIP-712 statement the on-chain `AttestationStatementVerifier` accepts. A
 * report that fails any check yields no statement.
 *
 * @returns The evidence bytes for `submitAttestation` with TEE type SevSnp.
 */
export async function attestSevSnpOnChain(
  p: AttestSevSnpParameters,
): Promise<{ evidence: Hex; expiresAt: bigint; measurement: Hex }> {
  const v = verifySevSnpAttestation(p.report, p.verify);
  if (!/^0x[0-9a-f]{64}0{64}$/i.test(v.reportData)) {
    throw new AttestationError(
      "ReportDataMismatch",
      "the report data is not a job binding (32 bytes followed by 32 zero bytes)",
    );
  }
  const ttl = BigInt(p.ttlSeconds ?? 3600);
  const now = BigInt(Math.floor(p.verify.at.getTime() / 1000));
  const certificatesEnd = BigInt(Math.floor(v.validUntil.getTime() / 1000));
  const expiresAt = now + ttl < certificatesEnd ? now + ttl : certificatesEnd;
  const evidence = await signAttestationStatement(p.signer, p.domain, {
    teeType: TeeType.SevSnp,
    measurement: v.measurement,
    reportData: `0x${v.reportData.slice(2, 66)}`,
    tcbStatus: v.tcbStatus,
    expiresAt,
  });
  return { evidence, expiresAt, measurement: v.measurement };
}
