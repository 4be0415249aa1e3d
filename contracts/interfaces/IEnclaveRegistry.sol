// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TeeType} from "../types/TeeType.sol";
import {IAttestationVerifier} from "./IAttestationVerifier.sol";

/// @title IEnclaveRegistry
/// @notice Per TEE type, the allow-list of approved enclave measurements (each with an expiry) and
///         the attestation verifier that checks that type's evidence. The Simulated type is refused
///         unless explicitly enabled, which is possible only on local development chains.
interface IEnclaveRegistry {
    /// @notice An allow-list entry.
    /// @param expiresAt Last second (inclusive) at which the measurement is accepted; 0 = never added.
    /// @param revokedAt When governance revoked the measurement (0: not revoked).
    struct MeasurementEntry {
        uint64 expiresAt;
        uint64 revokedAt;
    }

    /// @notice Thrown when a TEE type is `None` or out of range.
    error EnclaveRegistryUnknownTeeType(uint8 teeType);
    /// @notice Thrown when Simulated evidence is presented while Simulated is disabled.
    error EnclaveRegistrySimulatedDisabled();
    /// @notice Thrown when enabling Simulated on a chain that is not a local development chain.
    error EnclaveRegistrySimulatedOnlyOnLocalChain(uint256 chainId);
    /// @notice Thrown when no verifier is configured for a TEE type.
    error EnclaveRegistryNoVerifier(TeeType teeType);
    /// @notice Thrown when a measurement was never allow-listed for the TEE type.
    error EnclaveRegistryMeasurementNotAllowed(TeeType teeType, bytes32 measurement);
    /// @notice Thrown when a measurement's allow-list entry has expired.
    error EnclaveRegistryMeasurementExpired(TeeType teeType, bytes32 measurement, uint64 expiredAt);
    /// @notice Thrown when an allow-list expiry is not in the future.
    error EnclaveRegistryExpiryInPast(uint64 expiresAt, uint256 nowTimestamp);
    /// @notice Thrown when a zero measurement is added.
    error EnclaveRegistryZeroMeasurement();

    /// @notice Emitted when a measurement is allow-listed (or its expiry changed).
    event MeasurementAllowed(TeeType indexed teeType, bytes32 indexed measurement, uint64 expiresAt);
    /// @notice Emitted when a measurement is revoked.
    event MeasurementRevoked(TeeType indexed teeType, bytes32 indexed measurement);
    /// @notice Emitted when the verifier of a TEE type changes.
    event AttestationVerifierSet(TeeType indexed teeType, address verifier);
    /// @notice Emitted when the Simulated TEE type is enabled or disabled.
    event SimulatedTeeToggled(bool enabled);

    /// @notice Allow-lists `measurement` for `teeType` until `expiresAt` (inclusive). Owner only.
    /// @dev Re-adding a revoked measurement clears the revocation. Emits a {MeasurementAllowed} event.
    /// @param teeType The TEE type.
    /// @param measurement The measurement (MRTD/RTMR digest, MRENCLAVE, SNP launch measurement...).
    /// @param expiresAt Expiry timestamp, in the future.
    function allowMeasurement(TeeType teeType, bytes32 measurement, uint64 expiresAt) external;

    /// @notice Revokes an allow-listed measurement, recording the time of revocation. Owner only.
    /// @dev Revoking a revoked measurement changes nothing (the first `revokedAt` stands, no event); re-allowing
    ///      it with {allowMeasurement} clears the revocation. Emits a {MeasurementRevoked} event.
    function revokeMeasurement(TeeType teeType, bytes32 measurement) external;

    /// @notice Sets the verifier for a TEE type (`address(0)` removes it). Owner only.
    /// @dev Emits an {AttestationVerifierSet} event.
    function setVerifier(TeeType teeType, IAttestationVerifier verifier) external;

    /// @notice Enables or disables the Simulated TEE type. Owner only; enabling works only on local
    ///         chains (chain id 31337 or 1337).
    /// @dev Emits a {SimulatedTeeToggled} event.
    function setSimulatedEnabled(bool enabled) external;

    /// @notice Verifies evidence with the TEE type's verifier and checks the measurement against the
    ///         allow-list. Reverts with the verifier's or this registry's error when anything fails.
    /// @dev A verifier's {IAttestationVerifier-AttestationRevoked} (a revoked key or signer) passes through
    ///      as is; the measurement is then not checked, since the verifier returned none.
    /// @param teeType The TEE type claimed by the evidence.
    /// @param evidence The evidence.
    /// @param expectedReportData The job binding the evidence must commit to.
    /// @return measurement The verified, allow-listed measurement.
    function verifyEvidence(TeeType teeType, bytes calldata evidence, bytes32 expectedReportData)
        external
        view
        returns (bytes32 measurement);

    /// @notice {verifyEvidence} with a given verifier instead of the TEE type's current one: the market
    ///         passes the verifier pinned in a job's config, so a later {setVerifier} cannot turn a
    ///         provider's honest evidence into a slash. Same checks: known TEE type, Simulated only when
    ///         enabled, measurement allow-listed, unexpired and unrevoked. Reverts
    ///         `EnclaveRegistryNoVerifier` for the zero address.
    /// @param verifier The verifier to use.
    /// @param teeType The TEE type claimed by the evidence.
    /// @param evidence The evidence.
    /// @param expectedReportData The job binding the evidence must commit to.
    /// @return measurement The verified, allow-listed measurement.
    function verifyEvidenceWith(
        IAttestationVerifier verifier,
        TeeType teeType,
        bytes calldata evidence,
        bytes32 expectedReportData
    ) external view returns (bytes32 measurement);

    /// @notice Reverts unless `measurement` is currently allow-listed for `teeType`. A measurement revoked
    ///         while still valid reverts with {IAttestationVerifier-AttestationRevoked}`(measurement, revokedAt)`;
    ///         one that expired before it was revoked with `EnclaveRegistryMeasurementExpired`.
    function checkMeasurement(TeeType teeType, bytes32 measurement) external view;

    /// @notice The allow-list entry of a measurement.
    function measurementOf(TeeType teeType, bytes32 measurement) external view returns (MeasurementEntry memory);

    /// @notice The verifier configured for a TEE type.
    function verifierOf(TeeType teeType) external view returns (IAttestationVerifier);

    /// @notice Whether the Simulated TEE type is accepted.
    function simulatedEnabled() external view returns (bool);
}
