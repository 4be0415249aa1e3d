import { type Address, isAddress } from "viem";
import { DeploymentError } from "./errors.ts";

/** Addresses of one deployment of the system on one chain. */
export type Deployment = {
  chainId: number;
  jobMarket: Address;
  providerRegistry: Address;
  enclaveRegistry: Address;
  /** MultiPartyCoordinator recording multi-party jobs' update, aggregate and share hashes. */
  multiPartyCoordinator?: Address | undefined;
  /** DataDelivery recording single-party data deliveries and their availability challenges. */
  dataDelivery?: Address | undefined;
  /** OpenZeppelin TimelockController that owns the contracts (production deployments). */
  timelock?: Address | undefined;
  /** The ERC-20 accepted besides ETH, or the zero address. */
  stakeToken: Address;
  /** IntelQuoteVerifier (production mode) checking TDX and SGX quotes. */
  intelQuoteVerifier?: Address | undefined;
  /** AttestationStatementVerifier accepting SEV-SNP statements from registered verifier keys. */
  statementVerifier?: Address | undefined;
  /** Present on local chains where the Simulated TEE is enabled: the development IntelQuoteVerifier. */
  simulatedVerifier?: Address | undefined;
  /** The market's Groth16 training verifier, when one is deployed. */
  trainingVerifier?: Address | undefined;
  /** Name of the circuit (circuits/params.json) whose proofs that verifier accepts. */
  trainingCircuit?: string | undefined;
  /** Block the deployment finished in (a lower bound for log queries). */
  deployBlock: number;
};

const REQUIRED = ["jobMarket", "providerRegistry", "enclaveRegistry", "stakeToken"] as const;
const OPTIONAL_ADDRESSES = [
  "multiPartyCoordinator",
  "dataDelivery",
  "timelock",
  "intelQuoteVerifier",
  "statementVerifier",
  "simulatedVerifier",
  "trainingVerifier",
] as const;

/**
 * Validates a parsed deployment file. Throws {@link DeploymentError} naming the bad field.
 *
 * @param value Parsed JSON.
 * @param source Where it came from, for the error message.
 * @returns The deployment.
 */
export function parseDeployment(value: unknown, source: string): Deployment {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new DeploymentError(`${source} is not a JSON object`);
  const v = value as Record<string, unknown>;
  if (typeof v.chainId !== "number" || !Number.isInteger(v.chainId))
    throw new DeploymentError(`${source}: chainId must be an integer`);
  for (const key of REQUIRED)
    if (typeof v[key] !== "string" || !isAddress(v[key] as string))
      throw new DeploymentError(`${source}: ${key} must be an address`, { details: `got ${String(v[key])}` });
  for (const key of OPTIONAL_ADDRESSES)
    if (v[key] !== undefined && (typeof v[key] !== "string" || !isAddress(v[key] as string)))
      throw new DeploymentError(`${source}: ${key} must be an address when present`);
  if (v.trainingCircuit !== undefined && typeof v.trainingCircuit !== "string")
    throw new DeploymentError(`${source}: trainingCircuit must be a string when present`);
  if (typeof v.deployBlock !== "number") throw new DeploymentError(`${source}: deployBlock must be a number`);
  return v as unknown as Deployment;
}
