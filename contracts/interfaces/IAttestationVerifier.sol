// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TeeType} from "../types/TeeType.sol";

/// @title IAttestationVerifier
/// @notice Checks one TEE family's attestation evidence and extracts its measurement.
/// @dev Implementations revert with their own descriptive custom errors when evidence is invalid
///      (bad signature, wrong report data, expired statement, malformed bytes). The EnclaveRegistry
///      routes evidence by TEE type and checks the measurement against its allow-list.
interface IAttestationVerifier {
    /// @notice Thrown by a verifier or registry when evidence fails only because `subject` (a
    ///         measurement, a PCK key hash, a statement signer) was revoked by governance at
    ///         `revokedAt`. The market releases a job without fault when that happened after the job
    ///         was posted: the provider could not have known when it bid.
    /// @dev Implementations check revocation after every other check, so that this error never hides
    ///      another defect of the evidence, and report a subject that had expired before it was revoked
    ///      as expired instead. `subject` is the measurement, the PCK `keyHash`, or
    ///      `bytes32(uint256(uint160(signer)))` for a statement signer.
    error AttestationRevoked(bytes32 subject, uint64 revokedAt);

    /// @notice Verifies `evidence` for `teeType` and that its report data equals `expectedReportData`.
    /// @param teeType The TEE type the evidence claims to come from.
    /// @param evidence Verifier-specific encoding of the evidence.
    /// @param expectedReportData The job binding the evidence must commit to.
    /// @return measurement The enclave measurement the evidence attests to.
    function verifyEvidence(TeeType teeType, bytes calldata evidence, bytes32 expectedReportData)
        external
        view
        returns (bytes32 measurement);
}
