// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGroth16Verifier} from "../interfaces/IGroth16Verifier.sol";
import {ITrainingVerifier} from "../interfaces/ITrainingVerifier.sol";
import {IPoseidon4, IPoseidon6, POSEIDON_FIELD_SIZE} from "../poseidon/IPoseidon.sol";

/// @title Groth16TrainingVerifier
/// @notice Accepts a training run when a chain of Groth16 segment proofs leads from the job's initial
///         adapter commitment C0 to the delivered commitment C_K, the last segment proving the
///         claimed outcome: the eval metric meets the threshold (`thresholdMet`) or it does not
///         (circuits/FIXED_POINT.md). Both outcomes are provable; neither proof verifies as the other.
/// @dev For segment s of S, the circuit's single public input is
///      `Poseidon6(ctx, specHash, R_train, R_eval, tau, Poseidon4(C_s, C_{s+1}, s, flags_s))` with
///      `ctx = keccak256(abi.encode(chainId, market, jobId, provider)) mod r` and
///      `flags_s = isLast + 2 * isLast * thresholdMet`: 0 for s < S-1, and for s = S-1 it is 3 when
///      the claim says `thresholdMet`, else 1. Everything but the chain of commitments comes from
///      the market's claim (the outcome included), so a proof cannot be replayed on another job,
///      market or chain, submitted by another provider, or claimed for the other outcome. C0 is not
///      submitted on trust: the circuit checks `C_0` against `specHash = Poseidon(C0, hpHash)` in
///      segment 0, and `S` is in `hpHash`, so neither a shorter nor a longer chain verifies.
///      Proof bytes: `abi.encode(uint256[] commitments, uint256[8][] proofs)` with
///      `commitments = [C_0, …, C_S]` and each proof `[A.x, A.y, B.x1, B.x0, B.y1, B.y0, C.x, C.y]`
///      in snarkjs' calldata order.
contract Groth16TrainingVerifier is ITrainingVerifier {
    /// @notice Most segments one run may have (bounds the verification gas).
    uint256 public constant MAX_SEGMENTS = 32;
    /// @notice Highest quality threshold (basis points of eval accuracy).
    uint256 public constant MAX_THRESHOLD_BPS = 10_000;

    /// @notice The snarkjs verifier of the segment circuit.
    IGroth16Verifier public immutable segmentVerifier;
    /// @notice circomlib Poseidon with 4 inputs.
    IPoseidon4 public immutable poseidon4;
    /// @notice circomlib Poseidon with 6 inputs.
    IPoseidon6 public immutable poseidon6;

    /// @notice Proof bytes that do not decode, or a chain whose length does not fit the proofs.
    error Groth16TrainingMalformedProof(uint256 commitments, uint256 proofs);
    /// @notice The number of segments is zero or above {MAX_SEGMENTS}.
    error Groth16TrainingSegmentCount(uint256 segments);
    /// @notice A public value is not a BN254 field element (it would alias another value in Poseidon).
    error Groth16TrainingNotAFieldElement(string name, uint256 value);
    /// @notice The job's threshold is above 100 %.
    error Groth16TrainingThresholdOutOfRange(uint256 threshold);
    /// @notice The last commitment of the chain is not the delivered model commitment.
    error Groth16TrainingFinalCommitmentMismatch(bytes32 modelCommitment, uint256 chainEnd);
    /// @notice Segment `segment`'s proof does not verify.
    error Groth16TrainingSegmentInvalid(uint256 segment);
    /// @notice Point `point` (0: A, 1: B, 2: C) of segment `segment`'s proof is not on its curve, or a
    ///         coordinate is not reduced modulo the base field.
    error Groth16TrainingPointNotOnCurve(uint256 segment, uint256 point);

    /// @dev BN254 base field modulus.
    uint256 private constant BASE_FIELD = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// @dev The G2 twist's b' = 3 / (9 + u) in F_p2, real and imaginary parts.
    uint256 private constant TWIST_B_REAL = 19485874751759354771024239261021720505790618469301721065564631296452457478373;
    uint256 private constant TWIST_B_IMAG = 266929791119991161246907387137283842545076965332900288569378510910307636690;

    /// @param segmentVerifier_ Generated Groth16 verifier of the segment circuit.
    /// @param poseidon4_ Poseidon(4) contract.
    /// @param poseidon6_ Poseidon(6) contract.
    constructor(IGroth16Verifier segmentVerifier_, IPoseidon4 poseidon4_, IPoseidon6 poseidon6_) {
        segmentVerifier = segmentVerifier_;
        poseidon4 = poseidon4_;
        poseidon6 = poseidon6_;
    }

    /// @inheritdoc ITrainingVerifier
    /// @dev Reverts with a custom error naming the first problem, so the market's `EvidenceRejected`
    ///      event says why; returns true only when every segment verifies.
    function verifyTraining(TrainingClaim calldata claim, bytes calldata proof) external view returns (bool) {
        (uint256[] memory commitments, uint256[8][] memory proofs) = _decode(proof);
        uint256 segments = proofs.length;
        if (segments == 0 || segments > MAX_SEGMENTS) revert Groth16TrainingSegmentCount(segments);
        if (commitments.length != segments + 1) revert Groth16TrainingMalformedProof(commitments.length, segments);
        if (commitments[segments] != uint256(claim.modelCommitment)) {
            revert Groth16TrainingFinalCommitmentMismatch(claim.modelCommitment, commitments[segments]);
        }
        _requireField("specHash", uint256(claim.specHash));
        _requireField("datasetCommitment", uint256(claim.datasetCommitment));
        _requireField("evalCommitment", uint256(claim.evalCommitment));
        if (claim.qualityThreshold > MAX_THRESHOLD_BPS) revert Groth16TrainingThresholdOutOfRange(claim.qualityThreshold);
        for (uint256 i; i <= segments; ++i) {
            _requireField("commitment", commitments[i]);
        }

        uint256 ctx = _context(claim);
        for (uint256 s; s < segments; ++s) {
            uint256 publicHash = _publicHash(claim, ctx, commitments[s], commitments[s + 1], s, segments);
            uint256[8] memory p = proofs[s];
            _requireOnCurve(p, s);
            bool ok = segmentVerifier.verifyProof(
                [p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], [publicHash]
            );
            if (!ok) revert Groth16TrainingSegmentInvalid(s);
        }
        return true;
    }

    /// @notice The public input of segment `s` of `segments`, as the circuit computes it (for provers
    ///         and tests). The last segment's flags come from `claim.thresholdMet`.
    /// @param claim The claim the run is checked against.
    /// @param commitmentIn C_s.
    /// @param commitmentOut C_{s+1}.
    /// @param s Segment index.
    /// @param segments Number of segments S.
    /// @return The segment's public hash.
    function publicInput(
        TrainingClaim calldata claim,
        uint256 commitmentIn,
        uint256 commitmentOut,
        uint256 s,
        uint256 segments
    ) external view returns (uint256) {
        return _publicHash(claim, _context(claim), commitmentIn, commitmentOut, s, segments);
    }

    /// @dev Binds a proof to chain, market, job and provider.
    function _context(TrainingClaim calldata claim) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(claim.chainId, claim.market, claim.jobId, claim.provider)))
            % POSEIDON_FIELD_SIZE;
    }

    function _publicHash(
        TrainingClaim calldata claim,
        uint256 ctx,
        uint256 commitmentIn,
        uint256 commitmentOut,
        uint256 s,
        uint256 segments
    ) private view returns (uint256) {
        uint256 segHash = poseidon4.poseidon([commitmentIn, commitmentOut, s, _flags(claim, s, segments)]);
        return poseidon6.poseidon(
            [
                ctx,
                uint256(claim.specHash),
                uint256(claim.datasetCommitment),
                uint256(claim.evalCommitment),
                claim.qualityThreshold,
                segHash
            ]
        );
    }

    /// @dev flags = isLast + 2 * isLast * thresholdMet, as the circuit hashes it: 0 for a segment
    ///      that is not last; 1 (metric below the threshold) or 3 (threshold met) for the last one.
    function _flags(TrainingClaim calldata claim, uint256 s, uint256 segments) private pure returns (uint256) {
        if (s + 1 != segments) return 0;
        return claim.thresholdMet ? 3 : 1;
    }

    function _decode(bytes calldata proof)
        private
        pure
        returns (uint256[] memory commitments, uint256[8][] memory proofs)
    {
        // abi.decode reverts without data on malformed input; the market turns that into a rejection
        // too, but a length check first gives the common mistake (empty proof) a name.
        if (proof.length < 128) revert Groth16TrainingMalformedProof(0, 0);
        (commitments, proofs) = abi.decode(proof, (uint256[], uint256[8][]));
    }

    /// @dev The pairing precompile fails on a point off its curve by consuming all the gas it was given,
    ///      which the market cannot tell from running out of gas (it reverts, never slashes). Checking
    ///      the curve equations first turns a corrupted proof into a named rejection. G1 has cofactor 1,
    ///      so on the curve means in the group; a G2 point on the twist but outside the r-torsion still
    ///      reaches the precompile and reverts the submission as out of gas: only its own submitter can
    ///      build one, and its job then ends at the deadline like any unproven job. (0, 0) encodes the
    ///      point at infinity, which the precompiles accept.
    function _requireOnCurve(uint256[8] memory p, uint256 s) private pure {
        if (!_onG1(p[0], p[1])) revert Groth16TrainingPointNotOnCurve(s, 0);
        if (!_onTwist(p[3], p[2], p[5], p[4])) revert Groth16TrainingPointNotOnCurve(s, 1);
        if (!_onG1(p[6], p[7])) revert Groth16TrainingPointNotOnCurve(s, 2);
    }

    /// @dev y^2 = x^3 + 3 over F_p, or the point at infinity.
    function _onG1(uint256 x, uint256 y) private pure returns (bool) {
        if (x >= BASE_FIELD || y >= BASE_FIELD) return false;
        if (x == 0 && y == 0) return true;
        uint256 rhs = addmod(mulmod(mulmod(x, x, BASE_FIELD), x, BASE_FIELD), 3, BASE_FIELD);
        return mulmod(y, y, BASE_FIELD) == rhs;
    }

    /// @dev y^2 = x^3 + b' over F_p2 = F_p[u] / (u^2 + 1), with x = x0 + x1 u and y = y0 + y1 u, or the
    ///      point at infinity.
    function _onTwist(uint256 x0, uint256 x1, uint256 y0, uint256 y1) private pure returns (bool) {
        if (x0 >= BASE_FIELD || x1 >= BASE_FIELD || y0 >= BASE_FIELD || y1 >= BASE_FIELD) return false;
        if (x0 | x1 | y0 | y1 == 0) return true;
        (uint256 xx0, uint256 xx1) = _mulFp2(x0, x1, x0, x1);
        (uint256 x30, uint256 x31) = _mulFp2(xx0, xx1, x0, x1);
        (uint256 yy0, uint256 yy1) = _mulFp2(y0, y1, y0, y1);
        return yy0 == addmod(x30, TWIST_B_REAL, BASE_FIELD) && yy1 == addmod(x31, TWIST_B_IMAG, BASE_FIELD);
    }

    /// @dev (a0 + a1 u)(b0 + b1 u) = (a0 b0 - a1 b1) + (a0 b1 + a1 b0) u.
    function _mulFp2(uint256 a0, uint256 a1, uint256 b0, uint256 b1) private pure returns (uint256, uint256) {
        uint256 real = addmod(mulmod(a0, b0, BASE_FIELD), BASE_FIELD - mulmod(a1, b1, BASE_FIELD), BASE_FIELD);
        uint256 imag = addmod(mulmod(a0, b1, BASE_FIELD), mulmod(a1, b0, BASE_FIELD), BASE_FIELD);
        return (real, imag);
    }

    function _requireField(string memory name, uint256 value) private pure {
        if (value >= POSEIDON_FIELD_SIZE) revert Groth16TrainingNotAFieldElement(name, value);
    }
}
