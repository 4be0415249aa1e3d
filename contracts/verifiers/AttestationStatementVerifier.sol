// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

import {Governed} from "../access/Governed.sol";
import {IAttestationVerifier} from "../interfaces/IAttestationVerifier.sol";
import {TeeType, TeeTypeSet} from "../types/TeeType.sol";

/// @title AttestationStatementVerifier
/// @notice Accepts attestation evidence that a registered verifier key checked off-chain, for TEE types
///         whose signatures have no precompile (SEV-SNP: ECDSA-P384). The verifier key checks the report in
///         TypeScript and signs the EIP-712 statement
///         `AttestationStatement(uint8 teeType,bytes32 measurement,bytes32 reportData,uint8 tcbStatus,uint64 expiresAt)`.
///         The statement is accepted if its signer is registered, not revoked and not expired, its TCB
///         status is in governance's accepted mask, it has not expired, and its report data is the job
///         binding (docs/ATTESTATION.md, "On-chain").
///
///         TRUST ASSUMPTION. The contract trusts the registered signers' statements entirely. Governance
///         registers a verifier key after checking that key's own attestation (it runs in a TEE whose quote
///         binds it), with an expiry, and revokes it when that trust ends.
///
///         Revocation. A signer revoked while still valid makes an otherwise valid statement revert with
///         {IAttestationVerifier-AttestationRevoked}`(bytes32(uint256(uint160(signer))), revokedAt)`; the signer
///         is checked after everything else, so the error never hides another defect of the evidence. A signer
///         whose registration expired before it was revoked reports {AttestationStatementSignerExpired}.
/// @dev Evidence encoding: `abi.encode(bytes32 measurement, bytes32 reportData, uint8 tcbStatus, uint64 expiresAt,
///      bytes signature)`. TCB statuses (`sdk/attestation/tcbStatus.ts`): 0 UpToDate, 1 SWHardeningNeeded,
///      2 ConfigurationNeeded, 3 ConfigurationAndSWHardeningNeeded, 4 OutOfDate, 5 OutOfDateConfigurationNeeded,
///      6 Revoked; bit `i` of the accepted mask accepts status `i`.
///      The EIP-712 domain is `{name: "BlindTraining AttestationStatement", version: "1", chainId,
///      verifyingContract: this}`. It is built here rather than with OpenZeppelin's `EIP712`, which in 5.7
///      accepts names of at most 31 bytes; this name (fixed by the SDK and the documentation) has 34.
contract AttestationStatementVerifier is IAttestationVerifier, Governed {
    /// @notice Governance's record of one verifier key.
    /// @param expiresAt Last second (inclusive) its statements are accepted; zero means never registered.
    /// @param revokedAt When governance revoked the key (0: not revoked).
    struct Signer {
        uint64 expiresAt;
        uint64 revokedAt;
    }

    /// @notice EIP-712 type hash of the statement.
    bytes32 public constant ATTESTATION_STATEMENT_TYPEHASH = keccak256(
        "AttestationStatement(uint8 teeType,bytes32 measurement,bytes32 reportData,uint8 tcbStatus,uint64 expiresAt)"
    );
    /// @notice EIP-712 domain name.
    string public constant DOMAIN_NAME = "BlindTraining AttestationStatement";
    /// @notice EIP-712 domain version.
    string public constant DOMAIN_VERSION = "1";
    /// @notice The bits of known TCB statuses (0 UpToDate … 6 Revoked).
    uint8 public constant KNOWN_TCB_STATUSES = 0x7F;

    bytes32 private constant EIP712_DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @notice The TEE types this instance accepts (bit `i` = `TeeType(i)`).
    uint8 public immutable teeTypeMask;
    /// @notice The TCB statuses governance accepts (bit `i` = status `i`); zero accepts none.
    uint8 public acceptedTcbStatusMask;

    mapping(address signer => Signer) private _signers;

    bytes32 private immutable _cachedDomainSeparator;
    uint256 private immutable _cachedChainId;

    /// @notice A verifier key was registered (or re-registered, clearing a revocation).
    /// @param signer The key's address.
    /// @param expiresAt Last second its statements are accepted.
    event StatementSignerRegistered(address indexed signer, uint64 expiresAt);
    /// @notice A verifier key was revoked.
    /// @param signer The key's address.
    event StatementSignerRevoked(address indexed signer);
    /// @notice The accepted TCB statuses changed.
    /// @param mask The new mask.
    event AcceptedTcbStatusMaskSet(uint8 mask);

    /// @notice Thrown at deployment for an empty TEE type mask or one with unknown or `None` bits.
    error AttestationStatementInvalidTeeTypeMask(uint8 mask);
    /// @notice Thrown for a TCB status mask with bits beyond the known statuses.
    error AttestationStatementInvalidTcbStatusMask(uint8 mask);
    /// @notice Thrown when registering the zero address.
    error AttestationStatementZeroSigner();
    /// @notice Thrown when registering a signer with an expiry that is not in the future.
    error AttestationStatementExpiryInPast(uint64 expiresAt, uint256 nowTimestamp);
    /// @notice Thrown for evidence of a TEE type this instance does not accept.
    error AttestationStatementWrongTeeType(TeeType teeType);
    /// @notice Thrown when the statement's report data is not the job binding.
    error AttestationStatementReportDataMismatch(bytes32 reportData, bytes32 expected);
    /// @notice Thrown when the statement has expired.
    error AttestationStatementExpired(uint64 expiresAt, uint256 nowTimestamp);
    /// @notice Thrown when the statement's TCB status is not in the accepted mask.
    error AttestationStatementTcbStatusNotAccepted(uint8 tcbStatus, uint8 acceptedMask);
    /// @notice Thrown when the signature is malformed (no signer can be recovered).
    error AttestationStatementBadSignature();
    /// @notice Thrown when the recovered signer was never registered.
    error AttestationStatementSignerUnknown(address signer);
    /// @notice Thrown when the recovered signer's registration has expired.
    error AttestationStatementSignerExpired(address signer, uint64 expiresAt);

    /// @param initialOwner Governance (two-step transferable); registers signers and sets the TCB mask.
    /// @param teeTypeMask_ The TEE types accepted (e.g. `1 << TeeType.SevSnp`); non-empty, known types only.
    /// @param acceptedTcbStatusMask_ The TCB statuses accepted (e.g. `1` for UpToDate only).
    constructor(address initialOwner, uint8 teeTypeMask_, uint8 acceptedTcbStatusMask_)
        Ownable(initialOwner)
    {
        if (!TeeTypeSet.isValid(teeTypeMask_)) revert AttestationStatementInvalidTeeTypeMask(teeTypeMask_);
        teeTypeMask = teeTypeMask_;
        _setAcceptedTcbStatusMask(acceptedTcbStatusMask_);
        _cachedChainId = block.chainid;
        _cachedDomainSeparator = _buildDomainSeparator();
    }

    /// @notice Registers a verifier key until `expiresAt` (re-registering clears a revocation).
    /// @param signer The key's address.
    /// @param expiresAt Last second its statements are accepted; must be in the future.
    function registerSigner(address signer, uint64 expiresAt) external onlyOwner {
        if (signer == address(0)) revert AttestationStatementZeroSigner();
        if (expiresAt <= block.timestamp) revert AttestationStatementExpiryInPast(expiresAt, block.timestamp);
        _signers[signer] = Signer({expiresAt: expiresAt, revokedAt: 0});
        emit StatementSignerRegistered(signer, expiresAt);
    }

    /// @notice Revokes a registered verifier key, recording the time of revocation. Revoking a revoked key
    ///         changes nothing: the first `revokedAt` stands.
    /// @param signer The key's address.
    function revokeSigner(address signer) external onlyOwner {
        Signer storage entry = _signers[signer];
        if (entry.expiresAt == 0) revert AttestationStatementSignerUnknown(signer);
        if (entry.revokedAt != 0) return;
        entry.revokedAt = uint64(block.timestamp);
        emit StatementSignerRevoked(signer);
    }

    /// @notice Sets the accepted TCB statuses (bit `i` = status `i`; zero refuses every statement).
    /// @param mask The new mask; bits beyond the known statuses are refused.
    function setAcceptedTcbStatusMask(uint8 mask) external onlyOwner {
        _setAcceptedTcbStatusMask(mask);
    }

    /// @notice Governance's record of a verifier key (all zero if never registered).
    /// @param signer The key's address.
    /// @return The record.
    function signerOf(address signer) external view returns (Signer memory) {
        return _signers[signer];
    }

    /// @notice The EIP-712 domain separator (for off-chain signers).
    /// @return The domain separator of this contract on this chain.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IAttestationVerifier
    /// @dev Returns the statement's measurement once every check passed.
    function verifyEvidence(TeeType teeType, bytes calldata evidence, bytes32 expectedReportData)
        external
        view
        returns (bytes32 measurement)
    {
        if (!TeeTypeSet.contains(teeTypeMask, teeType)) revert AttestationStatementWrongTeeType(teeType);
        bytes32 reportData;
        uint8 tcbStatus;
        uint64 expiresAt;
        bytes memory signature;
        (measurement, reportData, tcbStatus, expiresAt, signature) =
            abi.decode(evidence, (bytes32, bytes32, uint8, uint64, bytes));
        if (reportData != expectedReportData) {
            revert AttestationStatementReportDataMismatch(reportData, expectedReportData);
        }
        if (block.timestamp > expiresAt) revert AttestationStatementExpired(expiresAt, block.timestamp);
        uint8 mask = acceptedTcbStatusMask;
        // A status of 8 or more shifts the bit out: never accepted.
        if (tcbStatus >= 8 || mask & (uint8(1) << tcbStatus) == 0) {
            revert AttestationStatementTcbStatusNotAccepted(tcbStatus, mask);
        }
        bytes32 digest = MessageHashUtils.toTypedDataHash(
            _domainSeparatorV4(),
            keccak256(
                abi.encode(
                    ATTESTATION_STATEMENT_TYPEHASH, uint8(teeType), measurement, reportData, tcbStatus, expiresAt
                )
            )
        );
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert AttestationStatementBadSignature();
        Signer memory entry = _signers[signer];
        if (entry.expiresAt == 0) revert AttestationStatementSignerUnknown(signer);
        // Revoked while still valid (whichever of revocation and expiry came first is reported).
        if (entry.revokedAt != 0 && entry.revokedAt <= entry.expiresAt) {
            revert AttestationRevoked(bytes32(uint256(uint160(signer))), entry.revokedAt);
        }
        if (block.timestamp > entry.expiresAt) revert AttestationStatementSignerExpired(signer, entry.expiresAt);
    }

    /// @dev The cached domain separator, rebuilt if the chain id changed (fork).
    function _domainSeparatorV4() private view returns (bytes32) {
        return block.chainid == _cachedChainId ? _cachedDomainSeparator : _buildDomainSeparator();
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(
            abi.encode(
                EIP712_DOMAIN_TYPEHASH,
                keccak256(bytes(DOMAIN_NAME)),
                keccak256(bytes(DOMAIN_VERSION)),
                block.chainid,
                address(this)
            )
        );
    }

    function _setAcceptedTcbStatusMask(uint8 mask) private {
        if (mask & ~KNOWN_TCB_STATUSES != 0) revert AttestationStatementInvalidTcbStatusMask(mask);
        acceptedTcbStatusMask = mask;
        emit AcceptedTcbStatusMaskSet(mask);
    }
}
