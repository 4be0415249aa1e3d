import { type Address, encodeAbiParameters, type Hex, toHex as viemHex } from "viem";
import type { LocalAccount } from "viem/accounts";
import { bytesToBigIntBE } from "./bytes.ts";
import { AttestationError } from "./errors.ts";
import { parseIntelQuote, toOnChainQuote } from "./intelQuote.ts";
import type { TcbStatus } from "./tcbStatus.ts";

// Encodings of evidence for the on-chain verifiers (docs/ATTESTATION.md, "On-chain").

/**
 * Evidence for `IntelQuoteVerifier`: `abi.encode(bytes quote, uint256 pckX, uint256 pckY)`, the
 * quote cut after the QE authentication data (the PEM chain is never read on-chain).
 *
 * @param quote The full quote.
 * @param pckPublicKey The PCK key x‖y (64 bytes) — from the verified chain (`verifyIntelQuote(...).pck.publicKey`).
 */
export function encodeIntelEvidence(quote: Uint8Array, pckPublicKey: Uint8Array): Hex {
  if (pckPublicKey.length !== 64)
    throw new AttestationError("Malformed", "a PCK public key is 64 bytes (x‖y)");
  const cut = toOnChainQuote(parseIntelQuote(quote), quote);
  return encodeAbiParameters(
    [{ type: "bytes" }, { type: "uint256" }, { type: "uint256" }],
    [viemHex(cut), bytesToBigIntBE(pckPublicKey.subarray(0, 32)), bytesToBigIntBE(pckPublicKey.subarray(32))],
  );
}

/** EIP-712 domain name and version of `AttestationStatementVerifier`. */
export const ATTESTATION_STATEMENT_DOMAIN = {
  name: "BlindTraining AttestationStatement",
  version: "1",
} as const;

/** The statement a registered verifier signs after checking evidence (e.g. an SEV-SNP report). */
export type AttestationStatement = {
  teeType: number;
  measurement: Hex;
  /** The job binding (first 32 bytes of the report data). */
  reportData: Hex;
  tcbStatus: TcbStatus;
  expiresAt: bigint;
};

/** EIP-712 types of the statement (`AttestationStatementVerifier.ATTESTATION_STATEMENT_TYPEHASH`). */
export const ATTESTATION_STATEMENT_TYPES = {
  AttestationStatement: [
    { name: "teeType", type: "uint8" },
    { name: "measurement", type: "bytes32" },
    { name: "reportData", type: "bytes32" },
    { name: "tcbStatus", type: "uint8" },
    { name: "expiresAt", type: "uint64" },
  ],
} as const;

/** `AttestationStatementVerifier` evidence: `abi.encode(measurement, reportData, tcbStatus, expiresAt, signature)`. */
export function encodeAttestationStatement(
  // Any uint8 status encodes (the contract decides which it accepts); tests send out-of-range ones.
  statement: Omit<AttestationStatement, "tcbStatus"> & { tcbStatus: number },
  signature: Hex,
): Hex {
  return encodeAbiParameters(
    [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint8" }, { type: "uint64" }, { type: "bytes" }],
    [statement.measurement, statement.reportData, statement.tcbStatus, statement.expiresAt, signature],
  );
}

/**
 * Signs an attestation statement with a registered verifier key and encodes it as
 * `AttestationStatementVerifier` evidence (see {@link encodeAttestationStatement}).
 *
 * @example
 * const evidence = await signAttestationStatement(verifierAccount, { chainId, verifier }, statement);
 */
export async function signAttestationStatement(
  signer: LocalAccount,
  domain: { chainId: number; verifier: Address },
  statement: AttestationStatement,
): Promise<Hex> {
  const signature = await signer.signTypedData({
    domain: { ...ATTESTATION_STATEMENT_DOMAIN, chainId: domain.chainId, verifyingContract: domain.verifier },
    types: ATTESTATION_STATEMENT_TYPES,
    primaryType: "AttestationStatement",
    message: statement,
  });
  return encodeAttestationStatement(statement, signature);
}
