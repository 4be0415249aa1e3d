import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { Abi, Hex } from "viem";

/** A Hardhat-format artifact, e.g. from `groth16VerifierArtifact` (scripts/circuits/verifierDeploy.ts). */
export type VerifierArtifact = {
  _format: string;
  contractName: string;
  sourceName: string;
  abi: Abi;
  bytecode: Hex;
  deployedBytecode: Hex;
  linkReferences: Record<string, never>;
  deployedLinkReferences: Record<string, never>;
};

/**
 * The Groth16 training verifier of one segment circuit: Poseidon(4) and Poseidon(6) (Solidity
 * generated from circomlibjs' constants by scripts/circuits/poseidonSol.ts), the snarkjs verifier
 * generated for the circuit by `npm run circuits:build` (passed as an artifact compiled from
 * `contracts/generated/`), the {Groth16TrainingVerifier} that chains segment proofs of the head
 * training over feature rows (`headVerifier`), and the {FeatureBindingVerifier} in front of it
 * (`trainingVerifier`), which checks the attested enclave's signed binding of the job's raw-data
 * commitments to those feature rows (docs/RAW_DATA.md). None of them has an owner. A market uses it once a config names it: the `trainingVerifier` parameter of the
 * BlindTraining and LocalDevnet modules (the first config), or a later `JobMarket.publishConfig`
 * (governance; jobs already posted keep the verifier of their own config).
 *
 * @param segmentVerifierArtifact The circuit's generated verifier, compiled.
 */
export function trainingVerifierModule(segmentVerifierArtifact: VerifierArtifact) {
  return buildModule(`TrainingVerifier_${segmentVerifierArtifact.contractName}`, (m) => {
    const poseidon4 = m.contract("PoseidonT5", []);
    const poseidon6 = m.contract("PoseidonT7", []);
    const segmentVerifier = m.contract(segmentVerifierArtifact.contractName, segmentVerifierArtifact);
    const headVerifier = m.contract("Groth16TrainingVerifier", [segmentVerifier, poseidon4, poseidon6]);
    const trainingVerifier = m.contract("FeatureBindingVerifier", [headVerifier]);
    return { poseidon4, poseidon6, segmentVerifier, headVerifier, trainingVerifier };
  });
}
