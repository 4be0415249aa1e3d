// circomlibjs' own EVM Poseidon (`poseidonContract.createCode(n)`, the same constants as circomlib's
// Poseidon(n) template): the reference and gas baseline for our generated Solidity Poseidon
// (contracts/poseidon/, scripts/circuits/poseidonSol.ts), which the training verifier uses.
// `poseidonArtifact(n)` is a Hardhat/Ignition artifact object deployable from raw bytecode.
//
// Callers use `contracts/poseidon/IPoseidon.sol`. The generated code reduces inputs modulo the BN254
// scalar field without rejecting them, so a caller must pass only canonical values (< FIELD_SIZE)
// when distinct uint256 inputs must not collide.
import { poseidonContract } from "circomlibjs";
import type { Abi, Hex } from "viem";

/** Input counts the training statement uses: Poseidon4 (segment) and Poseidon6 (public input). */
export const POSEIDON_ARITIES = [4, 6] as const;

/** `PoseidonT<n+1>`: the usual name after the state width t = n + 1. */
export function poseidonContractName(nInputs: number): string {
  return `PoseidonT${nInputs + 1}`;
}

/** The uint256 overload only (the generated contract also answers `poseidon(bytes32[n])`). */
export function poseidonAbi(nInputs: number) {
  return [
    {
      type: "function",
      name: "poseidon",
      stateMutability: "pure",
      inputs: [{ name: "input", type: `uint256[${nInputs}]`, internalType: `uint256[${nInputs}]` }],
      outputs: [{ name: "", type: "uint256", internalType: "uint256" }],
    },
  ] as const;
}

/** Hardhat-format artifact (what Ignition's `m.contract(name, artifact)` takes) for Poseidon(n). */
export function poseidonArtifact(nInputs: number) {
  const bytecode = poseidonContract.createCode(nInputs) as Hex;
  return {
    _format: "hh3-artifact-1",
    contractName: poseidonContractName(nInputs),
    sourceName: `circomlibjs/poseidon_gencontract.js#createCode(${nInputs})`,
    // The full generated ABI (uint256[n] and bytes32[n] overloads).
    abi: poseidonContract.generateABI(nInputs) as Abi,
    bytecode,
    // Unknown until deployed: createCode returns init code only.
    deployedBytecode: "0x",
    linkReferences: {},
    deployedLinkReferences: {},
  };
}
