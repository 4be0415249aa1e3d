// The on-chain side of a built circuit: its generated Groth16 verifier compiled with the project's
// solc settings (so it needs no `hardhat build`), and the deployment of the verifier stack that
// Groth16TrainingVerifier takes (Poseidon(4), Poseidon(6), segment verifier).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import solc from "solc";
import type { Abi, Address, Hex, PublicClient } from "viem";
import type { Wallet } from "../lib/market.ts";
import type { CircuitResult } from "./pipeline.ts";

/** Compiles one generated verifier with the project's solc and settings (as in hardhat.config.ts). */
export function compileVerifier(source: string, contractName: string): { abi: Abi; bytecode: Hex } {
  const input = {
    language: "Solidity",
    sources: { "Verifier.sol": { content: source } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "osaka",
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const contract = output.contracts?.["Verifier.sol"]?.[contractName];
  if (!contract) throw new Error(`${contractName} not in the compiler output`);
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
}

/** Deploys raw init code and returns the address. */
export async function deployBytecode(
  publicClient: PublicClient,
  wallet: Wallet,
  abi: Abi,
  bytecode: Hex,
): Promise<Address> {
  const hash = await wallet.deployContract({ abi, bytecode });
  const { contractAddress, status } = await publicClient.waitForTransactionReceipt({ hash });
  if (status !== "success" || !contractAddress) throw new Error("deployment failed");
  return contractAddress;
}

/**
 * Deploys PoseidonT5, PoseidonT7 (circomlibjs bytecode) and the generated segment verifier;
 * returns their addresses (the constructor arguments of Groth16TrainingVerifier).
 */
export async function deployGroth16Dependencies(
  publicClient: PublicClient,
  wallet: Wallet,
  circuit: CircuitResult,
): Promise<{ segmentVerifier: Address; poseidon4: Address; poseidon6: Address }> {
  const t5 = await compiledArtifact("PoseidonT5");
  const t7 = await compiledArtifact("PoseidonT7");
  const poseidon4 = await deployBytecode(publicClient, wallet, t5.abi, t5.bytecode);
  const poseidon6 = await deployBytecode(publicClient, wallet, t7.abi, t7.bytecode);
  const { abi, bytecode } = compileVerifier(await readFile(circuit.verifier, "utf8"), circuit.contractName);
  const segmentVerifier = await deployBytecode(publicClient, wallet, abi, bytecode);
  return { segmentVerifier, poseidon4, poseidon6 };
}

/** A Hardhat-format artifact of a circuit's generated verifier (for Ignition's `m.contract(name, artifact)`). */
export async function groth16VerifierArtifact(circuit: Pick<CircuitResult, "verifier" | "contractName">) {
  const { abi, bytecode } = compileVerifier(await readFile(circuit.verifier, "utf8"), circuit.contractName);
  return {
    _format: "hh3-artifact-1",
    contractName: circuit.contractName,
    sourceName: circuit.verifier,
    abi,
    bytecode,
    deployedBytecode: "0x" as Hex,
    linkReferences: {},
    deployedLinkReferences: {},
  };
}

/**
 * A contract compiled by `hardhat build` (artifacts/), read directly so scripts and tests can deploy
 * it with any wallet client. Used for the generated Poseidon contracts (contracts/poseidon/).
 */
async function compiledArtifact(name: "PoseidonT5" | "PoseidonT7"): Promise<{ abi: Abi; bytecode: Hex }> {
  const file = join(
    import.meta.dirname,
    "..",
    "..",
    "artifacts",
    "contracts",
    "poseidon",
    `${name}.sol`,
    `${name}.json`,
  );
  try {
    return JSON.parse(await readFile(file, "utf8")) as { abi: Abi; bytecode: Hex };
  } catch (cause) {
    throw new Error(`${name} is not compiled (${file}); run \`npm run build\` first`, { cause });
  }
}
