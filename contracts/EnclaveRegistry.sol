// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {Governed} from "./access/Governed.sol";
import {IAttestationVerifier} from "./interfaces/IAttestationVerifier.sol";
import {IEnclaveRegistry} from "./interfaces/IEnclaveRegistry.sol";
import {TeeType} from "./types/TeeType.sol";

/// @title EnclaveRegistry
/// @notice Measurement allow-lists and attestation verifiers per TEE type. See {IEnclaveRegistry}.
contract EnclaveRegistry is IEnclaveRegistry, Governed {
    /// @notice Chain id of Hardhat's development network.
    uint256 public constant HARDHAT_CHAIN_ID = 31337;
    /// @notice Chain id conventionally used by other local development chains.
    uint256 public constant LOCAL_CHAIN_ID = 1337;

    mapping(TeeType teeType => mapping(bytes32 measurement => MeasurementEntry)) private _measurements;
    mapping(TeeType teeType => IAttestationVerifier) private _verifiers;
    /// @inheritdoc IEnclaveRegistry
    bool public simulatedEnabled;

    /// @param initialOwner Governance (two-step transferable).
    constructor(address initialOwner) Ownable(initialOwner) {}

    /// @inheritdoc IEnclaveRegistry
    function allowMeasurement(TeeType teeType, bytes32 measurement, uint64 expiresAt) external onlyOwner {
        _requireKnown(teeType);
        if (measurement == bytes32(0)) revert EnclaveRegistryZeroMeasurement();
        if (expiresAt <= block.timestamp) revert EnclaveRegistryExpiryInPast(expiresAt, block.timestamp);
        _measurements[teeType][measurement] = MeasurementEntry({expiresAt: expiresAt, revokedAt: 0});
        emit MeasurementAllowed(teeType, measurement, expiresAt);
    }

    /// @inheritdoc IEnclaveRegistry
    function revokeMeasurement(TeeType teeType, bytes32 measurement) external onlyOwner {
        MeasurementEntry storage entry = _measurements[teeType][measurement];
        if (entry.expiresAt == 0) revert EnclaveRegistryMeasurementNotAllowed(teeType, measurement);
        if (entry.revokedAt != 0) return;
        entry.revokedAt = uint64(block.timestamp);
        emit MeasurementRevoked(teeType, measurement);
    }

    /// @inheritdoc IEnclaveRegistry
    function setVerifier(TeeType teeType, IAttestationVerifier verifier) external onlyOwner {
        _requireKnown(teeType);
        _verifiers[teeType] = verifier;
        emit AttestationVerifierSet(teeType, address(verifier));
    }

    /// @inheritdoc IEnclaveRegistry
    function setSimulatedEnabled(bool enabled) external onlyOwner {
        // Defence in depth: even a misconfigured deployment cannot accept development evidence on a
        // public chain.
        if (enabled && block.chainid != HARDHAT_CHAIN_ID && block.chainid != LOCAL_CHAIN_ID) {
            revert EnclaveRegistrySimulatedOnlyOnLocalChain(block.chainid);
        }
        simulatedEnabled = enabled;
        emit SimulatedTeeToggled(enabled);
    }

    /// @inheritdoc IEnclaveRegistry
    function verifyEvidence(TeeType teeType, bytes calldata evidence, bytes32 expectedReportData)
        external
        view
        returns (bytes32 measurement)
    {
        return _verifyEvidence(_verifiers[teeType], teeType, evidence, expectedReportData);
    }

    /// @inheritdoc IEnclaveRegistry
    function verifyEvidenceWith(
        IAttestationVerifier verifier,
        TeeType teeType,
        bytes calldata evidence,
        bytes32 expectedReportData
    ) external view returns (bytes32 measurement) {
        return _verifyEvidence(verifier, teeType, evidence, expectedReportData);
    }

    /// @inheritdoc IEnclaveRegistry
    function checkMeasurement(TeeType teeType, bytes32 measurement) public view {
        MeasurementEntry memory entry = _measurements[teeType][measurement];
        if (entry.expiresAt == 0) revert EnclaveRegistryMeasurementNotAllowed(teeType, measurement);
        // Revoked while still valid (whichever of revocation and expiry came first is reported).
        if (entry.revokedAt != 0 && entry.revokedAt <= entry.expiresAt) {
            revert IAttestationVerifier.AttestationRevoked(measurement, entry.revokedAt);
        }
        if (block.timestamp > entry.expiresAt) {
            revert EnclaveRegistryMeasurementExpired(teeType, measurement, entry.expiresAt);
        }
    }

    /// @inheritdoc IEnclaveRegistry
    function measurementOf(TeeType teeType, bytes32 measurement) external view returns (MeasurementEntry memory) {
        return _measurements[teeType][measurement];
    }

    /// @inheritdoc IEnclaveRegistry
    function verifierOf(TeeType teeType) external view returns (IAttestationVerifier) {
        return _verifiers[teeType];
    }

    function _verifyEvidence(
        IAttestationVerifier verifier,
        TeeType teeType,
        bytes calldata evidence,
        bytes32 expectedReportData
    ) private view returns (bytes32 measurement) {
        _requireKnown(teeType);
        if (teeType == TeeType.Simulated && !simulatedEnabled) revert EnclaveRegistrySimulatedDisabled();
        if (address(verifier) == address(0)) revert EnclaveRegistryNoVerifier(teeType);
        measurement = verifier.verifyEvidence(teeType, evidence, expectedReportData);
        checkMeasurement(teeType, measurement);
    }

    function _requireKnown(TeeType teeType) private pure {
        if (teeType == TeeType.None) revert EnclaveRegistryUnknownTeeType(uint8(teeType));
    }
}
