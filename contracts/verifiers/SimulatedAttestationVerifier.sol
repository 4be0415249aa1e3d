// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {IAttestationVerifier} from "../interfaces/IAttestationVerifier.sol";
import {TeeType} from "../types/TeeType.sol";

/// @title SimulatedAttestationVerifier
/// @notice Development-only attestation: the evidence is an EIP-712 statement
///         `SimulatedQuote(uint8 teeType,bytes32 measurement,bytes32 reportData,uint64 expiresAt)`
///         signed by a development key fixed at deployment. It proves nothing about hardware; the
///         EnclaveRegistry accepts it only for the Simulated TEE type and only while Simulated is
///         enabled, which is possible on local chains alone.
/// @dev Evidence encoding: `abi.encode(bytes32 measurement, bytes32 reportData, uint64 expiresAt, bytes signature)`.
contract SimulatedAttestationVerifier is IAttestationVerifier, EIP712 {
    /// @notice EIP-712 type hash of the statement.
    bytes32 public constant SIMULATED_QUOTE_TYPEHASH =
        keccak256("SimulatedQuote(uint8 teeType,bytes32 measurement,bytes32 reportData,uint64 expiresAt)");

    /// @notice The development key whose statements count as evidence.
    address public immutable devSigner;

    /// @notice Thrown when the development signer is the zero address.
    error SimulatedAttestationZeroSigner();
    /// @notice Thrown for evidence of any TEE type but Simulated.
    error SimulatedAttestationWrongTeeType(TeeType teeType);
    /// @notice Thrown when the statement's report data is not the job binding.
    error SimulatedAttestationReportDataMismatch(bytes32 reportData, bytes32 expected);
    /// @notice Thrown when the statement has expired.
    error SimulatedAttestationExpired(uint64 expiresAt, uint256 nowTimestamp);
    /// @notice Thrown when the statement is not signed by the development key.
    error SimulatedAttestationBadSignature(address recovered, address expected);

    /// @param devSigner_ The development attestation key.
    constructor(address devSigner_) EIP712("BlindTraining SimulatedTEE", "1") {
        if (devSigner_ == address(0)) revert SimulatedAttestationZeroSigner();
        devSigner = devSigner_;
    }

    /// @inheritdoc IAttestationVerifier
    function verifyEvidence(TeeType teeType, bytes calldata evidence, bytes32 expectedReportData)
        external
        view
        returns (bytes32 measurement)
    {
        if (teeType != TeeType.Simulated) revert SimulatedAttestationWrongTeeType(teeType);
        (bytes32 measurement_, bytes32 reportData, uint64 expiresAt, bytes memory signature) =
            abi.decode(evidence, (bytes32, bytes32, uint64, bytes));
        if (reportData != expectedReportData) {
            revert SimulatedAttestationReportDataMismatch(reportData, expectedReportData);
        }
        if (block.timestamp > expiresAt) revert SimulatedAttestationExpired(expiresAt, block.timestamp);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(SIMULATED_QUOTE_TYPEHASH, uint8(teeType), measurement_, reportData, expiresAt))
        );
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError || recovered != devSigner) {
            revert SimulatedAttestationBadSignature(recovered, devSigner);
        }
        return measurement_;
    }

    /// @notice The EIP-712 domain separator (for off-chain signers).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }
}
