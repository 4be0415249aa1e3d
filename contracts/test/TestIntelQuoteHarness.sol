// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {P256} from "../libraries/P256.sol";
import {TeeType} from "../types/TeeType.sol";
import {IntelQuoteVerifier} from "../verifiers/IntelQuoteVerifier.sol";

/// @notice Test harness of {IntelQuoteVerifier}: exposes its internal checks one by one, so tests can show
///         that a real quote (whose report data is not a job binding) passes every check but the report data.
///         Never deployed by a deployment module.
contract TestIntelQuoteHarness is IntelQuoteVerifier {
    constructor(address initialOwner, bool development_, bytes32 tdxQeMrSigner_, bytes32 sgxQeMrSigner_)
        IntelQuoteVerifier(initialOwner, development_, tdxQeMrSigner_, sgxQeMrSigner_)
    {}

    /// @notice Every check of verifyEvidence except the report data.
    function verifyQuote(TeeType teeType, bytes calldata evidence)
        external
        view
        returns (bytes32 measurement, bytes32 reportData, bytes32 reportDataTail)
    {
        (bytes calldata quote, uint256 pckX, uint256 pckY) = _decodeEvidence(evidence);
        (measurement, reportData, reportDataTail) = _verifyQuote(teeType, quote, pckX, pckY);
        _checkPckKeyStatus(pckX, pckY);
    }

    /// @notice The quote signature check alone (reverts if invalid, else returns true).
    function checkQuoteSignature(bytes calldata evidence, bool tdx) external view returns (bool) {
        (bytes calldata quote,,) = _decodeEvidence(evidence);
        _checkQuoteSignature(quote, _signedLength(tdx));
        return true;
    }

    /// @notice The QE report signature check alone (reverts if invalid, else returns true).
    function checkQeReportSignature(bytes calldata evidence, bool tdx) external view returns (bool) {
        (bytes calldata quote, uint256 pckX, uint256 pckY) = _decodeEvidence(evidence);
        _checkQeReportSignature(quote, _qeReportOffset(quote, tdx), pckX, pckY);
        return true;
    }

    /// @notice The attestation-key binding check alone (reverts if invalid, else returns true).
    function checkAttestationKeyBinding(bytes calldata evidence, bool tdx) external pure returns (bool) {
        (bytes calldata quote,,) = _decodeEvidence(evidence);
        _checkAttestationKeyBinding(quote, _signedLength(tdx), _qeReportOffset(quote, tdx));
        return true;
    }

    /// @notice The P256 library as is.
    function p256Verify(bytes32 hash, bytes32 r, bytes32 s, bytes32 x, bytes32 y) external view returns (bool) {
        return P256.verify(hash, r, s, x, y);
    }
}
