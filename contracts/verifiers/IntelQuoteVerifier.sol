// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {Governed} from "../access/Governed.sol";
import {IAttestationVerifier} from "../interfaces/IAttestationVerifier.sol";
import {P256} from "../libraries/P256.sol";
import {TeeType} from "../types/TeeType.sol";

/// @title IntelQuoteVerifier
/// @notice Verifies Intel DCAP quotes on-chain — TDX quote v4 and SGX quote v3 with an ECDSA-P256
///         attestation key — and returns the enclave measurement (docs/ATTESTATION.md, "On-chain").
///         Checks: the header (version, attestation key type, TEE type, Intel's QE vendor id), the quote
///         signature by the attestation key over SHA-256(header ‖ body), the QE report signature by a
///         registered PCK key, the attestation-key binding (QE report data = SHA-256(attestation key ‖ QE
///         authentication data) ‖ 32 zero bytes), the quoting enclave's MRSIGNER and ISVPRODID, debug mode
///         refused, and report data = job binding ‖ 32 zero bytes. Both signatures use the P-256
///         precompile at `0x100` (EIP-7951); on a chain without it every quote is refused.
///
///         TRUST ASSUMPTION (PCK keys). Certificate chains are not parsed on-chain. Governance registers a
///         platform's PCK public key once ({registerPckKey}, with an expiry no later than the PCK
///         certificate's) after the off-chain TypeScript verifier checked its chain up to the Intel SGX Root
///         CA and the PCK CRL, and revokes it ({revokePckKey}) when Intel's CRL lists it. Whoever controls
///         governance could register a key that is not Intel's and so forge quotes: this check is as strong
///         as governance's diligence, and every registration is an event anyone can re-check against
///         Intel's PCS. TCB status (TCB info, QE identity ISVSVN levels) is not evaluated on-chain either.
///
///         Revocation. A key revoked while still valid makes otherwise valid evidence revert with
///         {IAttestationVerifier-AttestationRevoked}`(keyHash, revokedAt)`; that check comes after every other
///         one (report data included), so the error never hides another defect of the evidence. A key that
///         expired before it was revoked reports {IntelQuotePckKeyExpired}.
///
///         Modes. A production instance accepts `TeeType.Tdx` (TDX v4 layout, TEE type 0x81) and
///         `TeeType.Sgx` (SGX v3 layout, TEE type 0) and refuses `TeeType.Simulated`. A development instance
///         accepts `TeeType.Simulated` only — development quotes in the TDX v4 layout, signed by the
///         development QE and PCK keys — and refuses the real types.
/// @dev Evidence encoding: `abi.encode(bytes quote, uint256 pckX, uint256 pckY)`. The quote is read from
///      calldata in place. It may be the full quote or cut right after the QE authentication data (the PEM
///      chain behind it is never read); every read is bounds-checked against its length
///      ({IntelQuoteTruncated}). The signature data length (u32 after the body) and the certification data
///      size of a v4 quote are not interpreted: the fixed layout determines every offset.
contract IntelQuoteVerifier is IAttestationVerifier, Governed {
    /// @notice Governance's record of one PCK public key.
    /// @param expiresAt Last second (inclusive) the key is accepted; zero means never registered.
    /// @param revokedAt When governance revoked the key, e.g. once Intel's PCK CRL lists it (0: not revoked).
    struct PckKey {
        uint64 expiresAt;
        uint64 revokedAt;
    }

    /// @notice Intel's quoting-enclave vendor id (939A7233-F79C-4CA9-940A-0DB3957F0607).
    bytes16 public constant INTEL_QE_VENDOR_ID = 0x939a7233f79c4ca9940a0db3957f0607;

    // Layout (little-endian integers). Offsets of the quote header.
    uint256 private constant HEADER_BYTES = 48;
    uint256 private constant HEADER_KEY_TYPE = 2;
    uint256 private constant HEADER_TEE_TYPE = 4;
    uint256 private constant HEADER_QE_VENDOR_ID = 12;
    // Body sizes and offsets within the body.
    uint256 private constant TD_REPORT_BYTES = 584;
    uint256 private constant ENCLAVE_REPORT_BYTES = 384;
    uint256 private constant TD_ATTRIBUTES = 120;
    uint256 private constant TD_MRTD = 136;
    uint256 private constant TD_RTMR0 = 328;
    uint256 private constant TD_REPORT_DATA = 520;
    // Offsets within an enclave report (the SGX body and every QE report).
    uint256 private constant ER_ATTRIBUTES = 48;
    uint256 private constant ER_MRENCLAVE = 64;
    uint256 private constant ER_MRSIGNER = 128;
    uint256 private constant ER_ISVPRODID = 256;
    uint256 private constant ER_REPORT_DATA = 320;
    // Signature data.
    uint256 private constant SIGNATURE_DATA_LENGTH_BYTES = 4;
    uint256 private constant SIGNATURE_BYTES = 64;
    uint256 private constant KEY_BYTES = 64;
    uint256 private constant CERTIFICATION_HEADER_BYTES = 6;
    uint256 private constant QE_AUTH_LENGTH_BYTES = 2;

    uint16 private constant VERSION_TDX = 4;
    uint16 private constant VERSION_SGX = 3;
    uint32 private constant TEE_TYPE_TDX = 0x81;
    uint32 private constant TEE_TYPE_SGX = 0;
    uint16 private constant ATTESTATION_KEY_TYPE_ECDSA_P256 = 2;
    uint16 private constant CERTIFICATION_DATA_QE_REPORT = 6;
    uint16 private constant TDX_QE_ISVPRODID = 2;
    uint16 private constant SGX_QE_ISVPRODID = 1;
    uint8 private constant TD_ATTRIBUTES_DEBUG = 0x01;
    uint8 private constant SGX_ATTRIBUTES_DEBUG = 0x02;

    // P-256 curve: field prime and coefficient b (a = -3).
    uint256 private constant P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff;
    uint256 private constant P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b;

    /// @notice Whether this is a development instance (accepts `TeeType.Simulated` only).
    bool public immutable development;
    /// @notice MRSIGNER of the quoting enclave accepted for TDX (and Simulated) quotes.
    bytes32 public immutable tdxQeMrSigner;
    /// @notice MRSIGNER of the quoting enclave accepted for SGX quotes; zero refuses SGX altogether.
    bytes32 public immutable sgxQeMrSigner;

    mapping(bytes32 keyHash => PckKey) private _pckKeys;

    /// @notice A PCK public key was registered (or re-registered, clearing a revocation).
    /// @param keyHash `keccak256(abi.encode(x, y))`.
    /// @param x The key's x coordinate.
    /// @param y The key's y coordinate.
    /// @param expiresAt Last second the key is accepted.
    event PckKeyRegistered(bytes32 indexed keyHash, uint256 x, uint256 y, uint64 expiresAt);
    /// @notice A PCK public key was revoked.
    /// @param keyHash `keccak256(abi.encode(x, y))`.
    /// @param x The key's x coordinate.
    /// @param y The key's y coordinate.
    event PckKeyRevoked(bytes32 indexed keyHash, uint256 x, uint256 y);

    /// @notice Thrown at deployment when the TDX QE MRSIGNER is zero.
    error IntelQuoteZeroQeMrSigner();
    /// @notice Thrown when registering a PCK key with an expiry that is not in the future.
    error IntelQuoteExpiryInPast(uint64 expiresAt, uint256 nowTimestamp);
    /// @notice Thrown when registering coordinates that are not a point of the P-256 curve.
    error IntelQuoteInvalidPckKey(uint256 x, uint256 y);
    /// @notice Thrown for a TEE type this verifier never handles (None, SEV-SNP, or SGX without a QE MRSIGNER).
    error IntelQuoteUnsupportedTeeType(TeeType teeType);
    /// @notice Thrown for Simulated evidence on a production instance, or real evidence on a development one.
    error IntelQuoteWrongMode(TeeType teeType, bool development);
    /// @notice Thrown when the evidence is not `abi.encode(bytes, uint256, uint256)` with in-bounds bytes.
    error IntelQuoteMalformedEvidence();
    /// @notice Thrown when reading `needed` bytes at `offset` would pass the end of a quote of `length` bytes.
    error IntelQuoteTruncated(uint256 offset, uint256 needed, uint256 length);
    /// @notice Thrown when the quote version is not the one the TEE type requires (4 TDX, 3 SGX).
    error IntelQuoteUnsupportedVersion(uint16 version, uint16 expected);
    /// @notice Thrown when the attestation key type is not 2 (ECDSA-P256).
    error IntelQuoteUnsupportedAttestationKeyType(uint16 keyType);
    /// @notice Thrown when the header's TEE type is not the one the TEE type requires (0x81 TDX, 0 SGX).
    error IntelQuoteTeeTypeMismatch(uint32 quoteTeeType, uint32 expected);
    /// @notice Thrown when the QE vendor id is not Intel's.
    error IntelQuoteUnknownQeVendor(bytes16 vendorId);
    /// @notice Thrown when the PCK key in the evidence was never registered.
    error IntelQuotePckKeyUnknown(bytes32 keyHash);
    /// @notice Thrown when the PCK key in the evidence has expired.
    error IntelQuotePckKeyExpired(bytes32 keyHash, uint64 expiresAt);
    /// @notice Thrown when the body reports a debug enclave / TD.
    error IntelQuoteDebugEnclave();
    /// @notice Thrown when the quote signature does not verify with the attestation key.
    error IntelQuoteSignatureInvalid();
    /// @notice Thrown when a v4 quote's certification data is not of type 6 (QE report).
    error IntelQuoteUnsupportedCertificationDataType(uint16 certificationDataType);
    /// @notice Thrown when the QE report signature does not verify with the PCK key.
    error IntelQuoteQeReportSignatureInvalid();
    /// @notice Thrown when the QE report data is not SHA-256(attestation key ‖ QE auth data) ‖ 32 zero bytes.
    error IntelQuoteAttestationKeyBindingInvalid();
    /// @notice Thrown when the quoting enclave's MRSIGNER is not the accepted one.
    error IntelQuoteQeMrSignerMismatch(bytes32 mrSigner, bytes32 expected);
    /// @notice Thrown when the quoting enclave's ISVPRODID is not the accepted one (2 TDX, 1 SGX).
    error IntelQuoteQeProductIdMismatch(uint16 isvProdId, uint16 expected);
    /// @notice Thrown when the report data is not `expected ‖ 32 zero bytes`.
    error IntelQuoteReportDataMismatch(bytes32 reportData, bytes32 reportDataTail, bytes32 expected);

    /// @param initialOwner Governance (two-step transferable); registers and revokes PCK keys.
    /// @param development_ True for a development instance (Simulated only), false for production.
    /// @param tdxQeMrSigner_ MRSIGNER of the accepted TDX quoting enclave (the development QE's on a
    ///        development instance). Must not be zero.
    /// @param sgxQeMrSigner_ MRSIGNER of the accepted SGX quoting enclave; zero refuses SGX quotes.
    constructor(address initialOwner, bool development_, bytes32 tdxQeMrSigner_, bytes32 sgxQeMrSigner_)
        Ownable(initialOwner)
    {
        if (tdxQeMrSigner_ == bytes32(0)) revert IntelQuoteZeroQeMrSigner();
        development = development_;
        tdxQeMrSigner = tdxQeMrSigner_;
        sgxQeMrSigner = sgxQeMrSigner_;
    }

    // ------------------------------------------------------------------------------------------------
    // Governance
    // ------------------------------------------------------------------------------------------------

    /// @notice Registers a PCK public key until `expiresAt` (re-registering clears a revocation).
    /// @dev Register only after the key's certificate chain was verified up to the Intel SGX Root CA and
    ///      checked against the PCK CRL, with `expiresAt` no later than the certificate's notAfter.
    /// @param x The key's affine x coordinate.
    /// @param y The key's affine y coordinate.
    /// @param expiresAt Last second the key is accepted; must be in the future.
    function registerPckKey(uint256 x, uint256 y, uint64 expiresAt) external onlyOwner {
        if (!_isOnCurve(x, y)) revert IntelQuoteInvalidPckKey(x, y);
        if (expiresAt <= block.timestamp) revert IntelQuoteExpiryInPast(expiresAt, block.timestamp);
        bytes32 keyHash = pckKeyHash(x, y);
        _pckKeys[keyHash] = PckKey({expiresAt: expiresAt, revokedAt: 0});
        emit PckKeyRegistered(keyHash, x, y, expiresAt);
    }

    /// @notice Revokes a registered PCK public key (e.g. once Intel's PCK CRL lists its certificate), recording
    ///         the time of revocation. Revoking a revoked key changes nothing: the first `revokedAt` stands.
    /// @param x The key's affine x coordinate.
    /// @param y The key's affine y coordinate.
    function revokePckKey(uint256 x, uint256 y) external onlyOwner {
        bytes32 keyHash = pckKeyHash(x, y);
        PckKey storage key = _pckKeys[keyHash];
        if (key.expiresAt == 0) revert IntelQuotePckKeyUnknown(keyHash);
        if (key.revokedAt != 0) return;
        key.revokedAt = uint64(block.timestamp);
        emit PckKeyRevoked(keyHash, x, y);
    }

    // ------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------

    /// @notice The registry key of a PCK public key: `keccak256(abi.encode(x, y))`.
    /// @param x The key's affine x coordinate.
    /// @param y The key's affine y coordinate.
    /// @return The key hash.
    function pckKeyHash(uint256 x, uint256 y) public pure returns (bytes32) {
        return keccak256(abi.encode(x, y));
    }

    /// @notice Governance's record of a PCK public key (all zero if never registered).
    /// @param x The key's affine x coordinate.
    /// @param y The key's affine y coordinate.
    /// @return The record.
    function pckKeyOf(uint256 x, uint256 y) external view returns (PckKey memory) {
        return _pckKeys[pckKeyHash(x, y)];
    }

    /// @inheritdoc IAttestationVerifier
    /// @dev Returns keccak256(MRTD ‖ RTMR0 ‖ RTMR1 ‖ RTMR2 ‖ RTMR3) for TDX and Simulated, MRENCLAVE for SGX.
    function verifyEvidence(TeeType teeType, bytes calldata evidence, bytes32 expectedReportData)
        external
        view
        returns (bytes32 measurement)
    {
        (bytes calldata quote, uint256 pckX, uint256 pckY) = _decodeEvidence(evidence);
        bytes32 reportData;
        bytes32 reportDataTail;
        (measurement, reportData, reportDataTail) = _verifyQuote(teeType, quote, pckX, pckY);
        if (reportData != expectedReportData || reportDataTail != bytes32(0)) {
            revert IntelQuoteReportDataMismatch(reportData, reportDataTail, expectedReportData);
        }
        // Last, so that a revocation is reported only for evidence that is otherwise valid.
        _checkPckKeyStatus(pckX, pckY);
    }

    // ------------------------------------------------------------------------------------------------
    // Internal checks (each usable on its own by test harnesses)
    // ------------------------------------------------------------------------------------------------

    /// @notice Splits evidence `abi.encode(bytes quote, uint256 pckX, uint256 pckY)` without copying.
    /// @param evidence The encoded evidence.
    /// @return quote The quote, a slice of `evidence`.
    /// @return pckX The PCK key's x coordinate.
    /// @return pckY The PCK key's y coordinate.
    function _decodeEvidence(bytes calldata evidence)
        internal
        pure
        returns (bytes calldata quote, uint256 pckX, uint256 pckY)
    {
        if (evidence.length < 0x80) revert IntelQuoteMalformedEvidence();
        uint256 offset = uint256(bytes32(evidence[0x00:0x20]));
        pckX = uint256(bytes32(evidence[0x20:0x40]));
        pckY = uint256(bytes32(evidence[0x40:0x60]));
        // The length word and the bytes it announces must lie inside the evidence (no overflow: each
        // comparison is made against what remains).
        if (offset > evidence.length - 0x20) revert IntelQuoteMalformedEvidence();
        uint256 start = offset + 0x20;
        uint256 length = uint256(bytes32(evidence[offset:start]));
        if (length > evidence.length - start) revert IntelQuoteMalformedEvidence();
        quote = evidence[start:start + length];
    }

    /// @notice Every check but the report data and the PCK key's expiry and revocation ({_checkPckKeyStatus});
    ///         returns the measurement and the body's 64-byte report data.
    /// @param teeType The TEE type the evidence claims.
    /// @param quote The quote (full, or cut after the QE authentication data).
    /// @param pckX The PCK key's x coordinate.
    /// @param pckY The PCK key's y coordinate.
    /// @return measurement The enclave measurement.
    /// @return reportData The first 32 bytes of the body's report data.
    /// @return reportDataTail The last 32 bytes of the body's report data.
    function _verifyQuote(TeeType teeType, bytes calldata quote, uint256 pckX, uint256 pckY)
        internal
        view
        returns (bytes32 measurement, bytes32 reportData, bytes32 reportDataTail)
    {
        bool tdx = _isTdxLayout(teeType);
        _checkPckKeyRegistered(pckX, pckY);
        _checkHeader(quote, tdx);
        uint256 signedLength = _signedLength(tdx);
        _need(quote, HEADER_BYTES, signedLength - HEADER_BYTES);
        _checkNotDebug(quote, tdx);
        _checkQuoteSignature(quote, signedLength);
        uint256 qeReport = _qeReportOffset(quote, tdx);
        _checkQeReportSignature(quote, qeReport, pckX, pckY);
        _checkAttestationKeyBinding(quote, signedLength, qeReport);
        _checkQeIdentity(quote, qeReport, tdx);

        uint256 reportDataAt;
        if (tdx) {
            measurement = _tdxMeasurement(quote);
            reportDataAt = HEADER_BYTES + TD_REPORT_DATA;
        } else {
            measurement = _word(quote, HEADER_BYTES + ER_MRENCLAVE);
            reportDataAt = HEADER_BYTES + ER_REPORT_DATA;
        }
        reportData = _word(quote, reportDataAt);
        reportDataTail = _word(quote, reportDataAt + 32);
    }

    /// @notice Whether `teeType` uses the TDX v4 layout (else SGX v3); reverts for types this instance refuses.
    /// @param teeType The TEE type the evidence claims.
    /// @return tdx True for the TDX v4 layout.
    function _isTdxLayout(TeeType teeType) internal view returns (bool tdx) {
        if (teeType == TeeType.Simulated) {
            if (!development) revert IntelQuoteWrongMode(teeType, false);
            return true;
        }
        if (teeType == TeeType.Tdx || teeType == TeeType.Sgx) {
            if (development) revert IntelQuoteWrongMode(teeType, true);
            if (teeType == TeeType.Sgx && sgxQeMrSigner == bytes32(0)) revert IntelQuoteUnsupportedTeeType(teeType);
            return teeType == TeeType.Tdx;
        }
        revert IntelQuoteUnsupportedTeeType(teeType);
    }

    /// @notice Reverts unless the PCK key was registered.
    /// @param pckX The PCK key's x coordinate.
    /// @param pckY The PCK key's y coordinate.
    function _checkPckKeyRegistered(uint256 pckX, uint256 pckY) internal view {
        bytes32 keyHash = pckKeyHash(pckX, pckY);
        if (_pckKeys[keyHash].expiresAt == 0) revert IntelQuotePckKeyUnknown(keyHash);
    }

    /// @notice Reverts if the (registered) PCK key was revoked while still valid, with
    ///         {IAttestationVerifier-AttestationRevoked}, or else has expired; whichever came first is reported.
    /// @param pckX The PCK key's x coordinate.
    /// @param pckY The PCK key's y coordinate.
    function _checkPckKeyStatus(uint256 pckX, uint256 pckY) internal view {
        bytes32 keyHash = pckKeyHash(pckX, pckY);
        PckKey memory key = _pckKeys[keyHash];
        if (key.revokedAt != 0 && key.revokedAt <= key.expiresAt) revert AttestationRevoked(keyHash, key.revokedAt);
        if (block.timestamp > key.expiresAt) revert IntelQuotePckKeyExpired(keyHash, key.expiresAt);
    }

    /// @notice Checks version, attestation key type, TEE type and QE vendor id of the 48-byte header.
    /// @param quote The quote.
    /// @param tdx Whether the TDX v4 layout is expected.
    function _checkHeader(bytes calldata quote, bool tdx) internal pure {
        _need(quote, 0, HEADER_BYTES);
        uint16 version = _u16(quote, 0);
        uint16 expectedVersion = tdx ? VERSION_TDX : VERSION_SGX;
        if (version != expectedVersion) revert IntelQuoteUnsupportedVersion(version, expectedVersion);
        uint16 keyType = _u16(quote, HEADER_KEY_TYPE);
        if (keyType != ATTESTATION_KEY_TYPE_ECDSA_P256) revert IntelQuoteUnsupportedAttestationKeyType(keyType);
        uint32 quoteTeeType = _u32(quote, HEADER_TEE_TYPE);
        uint32 expectedTeeType = tdx ? TEE_TYPE_TDX : TEE_TYPE_SGX;
        if (quoteTeeType != expectedTeeType) revert IntelQuoteTeeTypeMismatch(quoteTeeType, expectedTeeType);
        bytes16 vendorId = bytes16(quote[HEADER_QE_VENDOR_ID:HEADER_QE_VENDOR_ID + 16]);
        if (vendorId != INTEL_QE_VENDOR_ID) revert IntelQuoteUnknownQeVendor(vendorId);
    }

    /// @notice Refuses debug TDs (TD attributes bit 0) and debug enclaves (SGX attributes bit 1).
    /// @param quote The quote (body already bounds-checked).
    /// @param tdx Whether the body is a TD report.
    function _checkNotDebug(bytes calldata quote, bool tdx) internal pure {
        bool debug = tdx
            ? uint8(quote[HEADER_BYTES + TD_ATTRIBUTES]) & TD_ATTRIBUTES_DEBUG != 0
            : uint8(quote[HEADER_BYTES + ER_ATTRIBUTES]) & SGX_ATTRIBUTES_DEBUG != 0;
        if (debug) revert IntelQuoteDebugEnclave();
    }

    /// @notice Checks the quote signature (r‖s, then the attestation key x‖y) over SHA-256(header ‖ body).
    /// @param quote The quote (header and body already bounds-checked).
    /// @param signedLength Length of header ‖ body (632 TDX, 432 SGX).
    function _checkQuoteSignature(bytes calldata quote, uint256 signedLength) internal view {
        uint256 signature = signedLength + SIGNATURE_DATA_LENGTH_BYTES;
        _need(quote, signature, SIGNATURE_BYTES + KEY_BYTES);
        bool valid = P256.verify(
            sha256(quote[0:signedLength]),
            _word(quote, signature),
            _word(quote, signature + 32),
            _word(quote, signature + 64),
            _word(quote, signature + 96)
        );
        if (!valid) revert IntelQuoteSignatureInvalid();
    }

    /// @notice Offset of the QE report: inside certification data type 6 (v4) or right after the
    ///         attestation key (v3). Bounds-checks the QE report, its signature and the auth-data length.
    /// @param quote The quote.
    /// @param tdx Whether the TDX v4 layout is expected.
    /// @return qeReport Offset of the 384-byte QE report.
    function _qeReportOffset(bytes calldata quote, bool tdx) internal pure returns (uint256 qeReport) {
        qeReport = _signedLength(tdx) + SIGNATURE_DATA_LENGTH_BYTES + SIGNATURE_BYTES + KEY_BYTES;
        if (tdx) {
            _need(quote, qeReport, CERTIFICATION_HEADER_BYTES);
            uint16 certificationDataType = _u16(quote, qeReport);
            if (certificationDataType != CERTIFICATION_DATA_QE_REPORT) {
                revert IntelQuoteUnsupportedCertificationDataType(certificationDataType);
            }
            // The u32 size that follows is not interpreted.
            qeReport += CERTIFICATION_HEADER_BYTES;
        }
        _need(quote, qeReport, ENCLAVE_REPORT_BYTES + SIGNATURE_BYTES + QE_AUTH_LENGTH_BYTES);
    }

    /// @notice Checks the QE report signature (r‖s after the report) over SHA-256(QE report) with the PCK key.
    /// @param quote The quote (QE report and signature already bounds-checked).
    /// @param qeReport Offset of the QE report.
    /// @param pckX The PCK key's x coordinate.
    /// @param pckY The PCK key's y coordinate.
    function _checkQeReportSignature(bytes calldata quote, uint256 qeReport, uint256 pckX, uint256 pckY)
        internal
        view
    {
        uint256 signature = qeReport + ENCLAVE_REPORT_BYTES;
        bool valid = P256.verify(
            sha256(quote[qeReport:signature]),
            _word(quote, signature),
            _word(quote, signature + 32),
            bytes32(pckX),
            bytes32(pckY)
        );
        if (!valid) revert IntelQuoteQeReportSignatureInvalid();
    }

    /// @notice Checks that the QE report data is SHA-256(attestation key ‖ QE auth data) ‖ 32 zero bytes.
    /// @param quote The quote (QE report, signature and auth-data length already bounds-checked).
    /// @param signedLength Length of header ‖ body (locates the attestation key).
    /// @param qeReport Offset of the QE report.
    function _checkAttestationKeyBinding(bytes calldata quote, uint256 signedLength, uint256 qeReport)
        internal
        pure
    {
        uint256 attestationKey = signedLength + SIGNATURE_DATA_LENGTH_BYTES + SIGNATURE_BYTES;
        uint256 authLengthAt = qeReport + ENCLAVE_REPORT_BYTES + SIGNATURE_BYTES;
        uint256 authData = authLengthAt + QE_AUTH_LENGTH_BYTES;
        uint256 authLength = _u16(quote, authLengthAt);
        _need(quote, authData, authLength);
        bytes32 binding = sha256(
            bytes.concat(quote[attestationKey:attestationKey + KEY_BYTES], quote[authData:authData + authLength])
        );
        uint256 qeReportData = qeReport + ER_REPORT_DATA;
        if (_word(quote, qeReportData) != binding || _word(quote, qeReportData + 32) != bytes32(0)) {
            revert IntelQuoteAttestationKeyBindingInvalid();
        }
    }

    /// @notice Checks the quoting enclave's MRSIGNER and ISVPRODID (TDX/Simulated: tdxQeMrSigner and 2;
    ///         SGX: sgxQeMrSigner and 1).
    /// @param quote The quote (QE report already bounds-checked).
    /// @param qeReport Offset of the QE report.
    /// @param tdx Whether the TDX v4 layout is expected.
    function _checkQeIdentity(bytes calldata quote, uint256 qeReport, bool tdx) internal view {
        bytes32 mrSigner = _word(quote, qeReport + ER_MRSIGNER);
        bytes32 expectedMrSigner = tdx ? tdxQeMrSigner : sgxQeMrSigner;
        if (mrSigner != expectedMrSigner) revert IntelQuoteQeMrSignerMismatch(mrSigner, expectedMrSigner);
        uint16 isvProdId = _u16(quote, qeReport + ER_ISVPRODID);
        uint16 expectedProdId = tdx ? TDX_QE_ISVPRODID : SGX_QE_ISVPRODID;
        if (isvProdId != expectedProdId) revert IntelQuoteQeProductIdMismatch(isvProdId, expectedProdId);
    }

    /// @notice Length of header ‖ body: 48 + 584 (TDX) or 48 + 384 (SGX).
    /// @param tdx Whether the TDX v4 layout is expected.
    /// @return The length of the signed region.
    function _signedLength(bool tdx) internal pure returns (uint256) {
        return HEADER_BYTES + (tdx ? TD_REPORT_BYTES : ENCLAVE_REPORT_BYTES);
    }

    // ------------------------------------------------------------------------------------------------
    // Byte access
    // ------------------------------------------------------------------------------------------------

    /// @dev keccak256(MRTD ‖ RTMR0 ‖ RTMR1 ‖ RTMR2 ‖ RTMR3): the 48 bytes of MRTD, then the 192 contiguous
    ///      bytes of RTMR0..3. The body was bounds-checked by the caller.
    function _tdxMeasurement(bytes calldata quote) private pure returns (bytes32 measurement) {
        uint256 mrTd = HEADER_BYTES + TD_MRTD;
        uint256 rtmrs = HEADER_BYTES + TD_RTMR0;
        assembly ("memory-safe") {
            let buffer := mload(0x40)
            calldatacopy(buffer, add(quote.offset, mrTd), 48)
            calldatacopy(add(buffer, 48), add(quote.offset, rtmrs), 192)
            measurement := keccak256(buffer, 240)
        }
    }

    /// @dev Reverts with {IntelQuoteTruncated} unless `needed` bytes at `offset` lie inside the quote.
    function _need(bytes calldata quote, uint256 offset, uint256 needed) private pure {
        if (quote.length < offset + needed) revert IntelQuoteTruncated(offset, needed, quote.length);
    }

    /// @dev The 32 bytes at `offset` (bounds-checked by the caller through {_need}).
    function _word(bytes calldata quote, uint256 offset) private pure returns (bytes32) {
        return bytes32(quote[offset:offset + 32]);
    }

    /// @dev Little-endian u16 at `offset`.
    function _u16(bytes calldata quote, uint256 offset) private pure returns (uint16) {
        return uint16(uint8(quote[offset])) | (uint16(uint8(quote[offset + 1])) << 8);
    }

    /// @dev Little-endian u32 at `offset`.
    function _u32(bytes calldata quote, uint256 offset) private pure returns (uint32) {
        return uint32(_u16(quote, offset)) | (uint32(_u16(quote, offset + 2)) << 16);
    }

    /// @dev Whether (x, y) is an affine point of P-256: both below p and y² = x³ − 3x + b (mod p).
    function _isOnCurve(uint256 x, uint256 y) private pure returns (bool) {
        if (x >= P256_P || y >= P256_P) return false;
        uint256 rhs = addmod(mulmod(mulmod(x, x, P256_P), x, P256_P), mulmod(P256_P - 3, x, P256_P), P256_P);
        return mulmod(y, y, P256_P) == addmod(rhs, P256_B, P256_P);
    }
}
