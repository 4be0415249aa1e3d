// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DataDelivery} from "../../../contracts/DataDelivery.sol";
import {DevStakeToken} from "../../../contracts/dev/DevStakeToken.sol";
import {EnclaveRegistry} from "../../../contracts/EnclaveRegistry.sol";
import {IJobMarket} from "../../../contracts/interfaces/IJobMarket.sol";
import {IProviderRegistry} from "../../../contracts/interfaces/IProviderRegistry.sol";
import {JobMarket} from "../../../contracts/JobMarket.sol";
import {FailureReason} from "../../../contracts/types/JobStatus.sol";
import {MultiPartyCoordinator} from "../../../contracts/MultiPartyCoordinator.sol";
import {ProviderRegistry} from "../../../contracts/ProviderRegistry.sol";
import {TestTrainingVerifier} from "../../../contracts/test/TestTrainingVerifier.sol";
import {TeeType} from "../../../contracts/types/TeeType.sol";
import {AttestationStatementVerifier} from "../../../contracts/verifiers/AttestationStatementVerifier.sol";

import {Assertions} from "./Assertions.sol";
import {vm} from "./Vm.sol";

/// @notice Deploys the market as ignition/modules/core.ts + LocalDevnet.ts do (this contract is the
///         deployer, owner and treasury-setter) and offers helpers to post jobs, stake, and make
///         owner-key signatures and Simulated-TEE evidence.
abstract contract MarketFixture is Assertions {
    // core.ts defaults (CORE_DEFAULTS and CONFIG_DEFAULTS)
    uint16 internal constant SLASH_BUYER_SHARE_BPS = 7_000;
    uint64 internal constant UNBONDING_DELAY = 7 days;
    uint16 internal constant COLLATERAL_RATIO_BPS = 5_000;
    uint16 internal constant COMPUTE_SHARE_BPS = 3_000;
    uint16 internal constant CANCELLATION_FEE_BPS = 1_000;
    uint16 internal constant MIN_BID_STEP_BPS = 100;
    uint256 internal constant MIN_PRICE_ETH = 1e14;
    uint256 internal constant MIN_COLLATERAL_ETH = 5e13;
    uint64 internal constant AVAILABILITY_WINDOW = 1 days;
    uint64 internal constant MAX_SERVABLE_BYTES = 256 * 1024;
    // LocalDevnet.ts
    uint64 internal constant SIMULATED_MEASUREMENT_EXPIRY = 4_102_444_800;
    bytes32 internal constant SIMULATED_MEASUREMENT = keccak256("blind-training/simulated-enclave/v1");
    /// @dev Same derivation as sdk/simulatedTee.ts (public by design).
    uint256 internal constant DEV_ATTESTATION_KEY = uint256(keccak256("blind-training/dev-attestation-key/v1"));

    uint8 internal constant TEE_SIMULATED = uint8(1) << uint8(TeeType.Simulated);
    uint8 internal constant TEE_SEV_SNP = uint8(1) << uint8(TeeType.SevSnp);
    uint8 internal constant TEE_TDX = uint8(1) << uint8(TeeType.Tdx);

    address internal constant TREASURY = address(0x7EA5);
    /// @dev A realistic start time so "now - x" never underflows.
    uint256 internal constant START_TIME = 1_750_000_000;

    ProviderRegistry internal registry;
    EnclaveRegistry internal enclaves;
    JobMarket internal market;
    DevStakeToken internal token;
    /// @dev The market tests exercise escrow and matching, not quote parsing (covered by the
    ///      IntelQuoteVerifier tests): Simulated evidence here is a statement of a registered key.
    AttestationStatementVerifier internal simVerifier;
    TestTrainingVerifier internal trainingVerifier;
    MultiPartyCoordinator internal coordinator;
    DataDelivery internal dataDelivery;
    /// @dev The config every job of the fixture names.
    uint32 internal configId;

    /// @dev What the test enclave's result statements name (any non-zero values do).
    bytes32 internal constant MODEL = keccak256("model");
    bytes32 internal constant CIPHERTEXT = keccak256("ciphertext");
    /// @dev The BN254 scalar field modulus: commitments must be below it.
    uint256 internal constant FIELD_SIZE =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    function _deployMarket() internal {
        token = new DevStakeToken();
        registry = new ProviderRegistry(address(this), address(token), TREASURY, UNBONDING_DELAY);
        enclaves = new EnclaveRegistry(address(this));
        market = new JobMarket(address(this), registry, enclaves);
        registry.setMarket(address(market));
        market.setAssetLimits(address(0), MIN_PRICE_ETH, MIN_COLLATERAL_ETH);
        coordinator = new MultiPartyCoordinator(market);
        dataDelivery = new DataDelivery(market, AVAILABILITY_WINDOW, MAX_SERVABLE_BYTES);

        simVerifier = new AttestationStatementVerifier(address(this), TEE_SIMULATED, 1);
        simVerifier.registerSigner(vm.addr(DEV_ATTESTATION_KEY), SIMULATED_MEASUREMENT_EXPIRY);
        enclaves.setVerifier(TeeType.Simulated, simVerifier);
        enclaves.allowMeasurement(TeeType.Simulated, SIMULATED_MEASUREMENT, SIMULATED_MEASUREMENT_EXPIRY);
        enclaves.setSimulatedEnabled(true);

        trainingVerifier = new TestTrainingVerifier();
        configId = market.publishConfig(_configParameters());
    }

    /// @notice The fixture's config: core.ts CONFIG_DEFAULTS with this fixture's contracts.
    function _configParameters() internal view returns (IJobMarket.ConfigParameters memory) {
        return IJobMarket.ConfigParameters({
            trainingVerifier: trainingVerifier,
            coordinator: coordinator,
            dataDelivery: dataDelivery,
            collateralRatioBps: COLLATERAL_RATIO_BPS,
            slashBuyerShareBps: SLASH_BUYER_SHARE_BPS,
            computeShareBps: COMPUTE_SHARE_BPS,
            cancellationFeeBps: CANCELLATION_FEE_BPS,
            minBidStepBps: MIN_BID_STEP_BPS
        });
    }

    /// @notice Publishes `p` and makes it the config the fixture's next terms name.
    function _publish(IJobMarket.ConfigParameters memory p) internal returns (uint32) {
        configId = market.publishConfig(p);
        return configId;
    }

    /// @dev The current time. Tests warp, and the IR optimizer may reuse a `block.timestamp` read
    ///      from before the warp within one call frame: the cheatcode always reads the current block.
    function _now() internal view returns (uint256) {
        return vm.getBlockTimestamp();
    }

    // ----- providers -----

    function _register(address provider, uint8 teeTypes) internal {
        vm.prank(provider);
        registry.register(
            IProviderRegistry.Profile({
                teeTypes: teeTypes,
                hardwareClass: 1,
                metadataHash: keccak256(abi.encode("meta", provider)),
                endpointHash: keccak256(abi.encode("endpoint", provider))
            })
        );
    }

    function _depositEth(address provider, uint256 amount) internal {
        vm.deal(provider, provider.balance + amount);
        vm.prank(provider);
        registry.depositEth{value: amount}();
    }

    function _depositToken(address provider, uint256 amount) internal {
        _mint(provider, amount);
        vm.prank(provider);
        token.approve(address(registry), amount);
        vm.prank(provider);
        registry.depositToken(amount);
    }

    /// @dev Mints any amount (the faucet caps one call).
    function _mint(address to, uint256 amount) internal {
        uint256 limit = token.FAUCET_LIMIT();
        while (amount > 0) {
            uint256 chunk = amount > limit ? limit : amount;
            token.faucet(to, chunk);
            amount -= chunk;
        }
    }

    // ----- jobs -----

    /// @notice Valid single-party terms with the given asset, ceiling and deadlines relative to now.
    function _terms(
        address asset,
        uint96 ceiling,
        address ownerKey,
        address refundTo,
        bytes32 salt,
        uint64 bidWindow,
        uint64 attestGap,
        uint64 deliveryGap
    ) internal view returns (IJobMarket.JobTerms memory t) {
        uint64 bidDeadline = uint64(_now()) + bidWindow;
        t = IJobMarket.JobTerms({
            specHash: _field(keccak256(abi.encode("spec", salt))),
            datasetCommitment: _field(keccak256(abi.encode("dataset", salt))),
            evalCommitment: _field(keccak256(abi.encode("eval", salt))),
            qualityThreshold: 9_000,
            measurement: bytes32(0),
            committeeHash: bytes32(0),
            asset: asset,
            priceCeiling: ceiling,
            ownerKey: ownerKey,
            bidDeadline: bidDeadline,
            attestDeadline: bidDeadline + attestGap,
            deliveryDeadline: bidDeadline + attestGap + deliveryGap,
            teeTypes: TEE_SIMULATED,
            parties: 1,
            threshold: 0,
            committeeSize: 0,
            refundCommitment: keccak256(abi.encode(refundTo, salt)),
            dataDeadline: bidDeadline + attestGap + deliveryGap / 2,
            configId: configId
        });
    }

    /// @dev A hash reduced into the BN254 scalar field (commitments are public inputs of the proof).
    function _field(bytes32 h) internal pure returns (bytes32) {
        return bytes32(uint256(h) % FIELD_SIZE);
    }

    /// @notice Posts from this contract, funding it first (ETH by deal, tokens by faucet + approve).
    function _post(IJobMarket.JobTerms memory t) internal returns (uint256 jobId) {
        if (t.asset == address(0)) {
            vm.deal(address(this), address(this).balance + t.priceCeiling);
            jobId = market.postJob{value: t.priceCeiling}(t);
        } else {
            _mint(address(this), t.priceCeiling);
            token.approve(address(market), t.priceCeiling);
            jobId = market.postJob(t);
        }
    }

    // ----- signatures and evidence -----

    function _sig(uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    function _marketDigest(bytes32 structHash) internal view returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", market.domainSeparator(), structHash));
    }

    function _cancelSig(uint256 ownerPk, uint256 jobId, uint256 nonce, uint256 deadline)
        internal
        view
        returns (bytes memory)
    {
        return _sig(ownerPk, _marketDigest(keccak256(abi.encode(market.CANCEL_JOB_TYPEHASH(), jobId, nonce, deadline))));
    }

    function _extendSig(uint256 ownerPk, uint256 jobId, uint64 newDeadline, uint256 nonce, uint256 deadline)
        internal
        view
        returns (bytes memory)
    {
        return _sig(
            ownerPk,
            _marketDigest(keccak256(abi.encode(market.EXTEND_DELIVERY_TYPEHASH(), jobId, newDeadline, nonce, deadline)))
        );
    }

    /// @notice Simulated-TEE evidence for `reportData`, signed by `signingKey`.
    function _evidence(bytes32 measurement, bytes32 reportData, uint64 expiresAt, uint256 signingKey)
        internal
        view
        returns (bytes memory)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                simVerifier.ATTESTATION_STATEMENT_TYPEHASH(),
                uint8(TeeType.Simulated),
                measurement,
                reportData,
                uint8(0),
                expiresAt
            )
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", simVerifier.domainSeparator(), structHash));
        return abi.encode(measurement, reportData, uint8(0), expiresAt, _sig(signingKey, digest));
    }

    /// @notice Valid evidence binding the job to the enclave keys.
    function _validEvidence(uint256 jobId, bytes32 encKey, address enclaveSigner) internal view returns (bytes memory) {
        return _evidence(
            SIMULATED_MEASUREMENT,
            market.attestationBinding(jobId, encKey, enclaveSigner),
            uint64(_now() + 1 hours),
            DEV_ATTESTATION_KEY
        );
    }

    /// @notice Submits valid evidence for `provider`, the attested enclave signing with `enclavePk`.
    function _attest(address provider, uint256 jobId, IJobMarket.JobTerms memory t, uint256 enclavePk) internal {
        bytes32 encKey = keccak256(abi.encode("x25519", jobId));
        address signer = vm.addr(enclavePk);
        bytes memory evidence = _validEvidence(jobId, encKey, signer);
        vm.prank(provider);
        market.submitAttestation(jobId, t, TeeType.Simulated, encKey, signer, evidence);
    }

    /// @notice The attested enclave's EIP-712 `TrainingResult` signature (sdk/enclaveStatements.ts).
    function _resultSig(uint256 enclavePk, uint256 jobId, bytes32 model, bytes32 ciphertext, bool thresholdMet)
        internal
        view
        returns (bytes memory)
    {
        return _sig(
            enclavePk,
            _marketDigest(
                keccak256(abi.encode(market.TRAINING_RESULT_TYPEHASH(), jobId, model, ciphertext, thresholdMet))
            )
        );
    }

    /// @notice A result for `jobId` with `proof`, signed by the enclave key `enclavePk`.
    function _result(uint256 enclavePk, uint256 jobId, bool thresholdMet, bytes memory proof)
        internal
        view
        returns (IJobMarket.Result memory)
    {
        return IJobMarket.Result({
            modelCommitment: MODEL,
            modelCiphertextHash: CIPHERTEXT,
            thresholdMet: thresholdMet,
            proof: proof,
            enclaveSignature: _resultSig(enclavePk, jobId, MODEL, CIPHERTEXT, thresholdMet)
        });
    }

    /// @notice The attested enclave's EIP-712 `JobFailure` signature (sdk/enclaveStatements.ts).
    function _failureSig(uint256 enclavePk, uint256 jobId, IJobMarket.FailureStatement memory statement)
        internal
        view
        returns (bytes memory)
    {
        return _sig(
            enclavePk,
            _marketDigest(
                keccak256(
                    abi.encode(
                        market.JOB_FAILURE_TYPEHASH(),
                        jobId,
                        uint8(statement.reason),
                        statement.dataHash,
                        statement.faultyMembers
                    )
                )
            )
        );
    }

    function _statement(FailureReason reason, bytes32 dataHash, uint256 faultyMembers)
        internal
        pure
        returns (IJobMarket.FailureStatement memory)
    {
        return IJobMarket.FailureStatement({reason: reason, dataHash: dataHash, faultyMembers: faultyMembers});
    }

    // ----- data delivery -----

    /// @notice `count` small ciphertext blobs (distinct per `salt`), their SHA-256 ids and sizes.
    function _blobs(uint256 count, bytes32 salt)
        internal
        pure
        returns (bytes[] memory data, bytes32[] memory ids, uint64[] memory sizes)
    {
        data = new bytes[](count);
        ids = new bytes32[](count);
        sizes = new uint64[](count);
        for (uint256 i = 0; i < count; i++) {
            data[i] = abi.encodePacked("ciphertext blob ", salt, i);
            ids[i] = sha256(data[i]);
            sizes[i] = uint64(data[i].length);
        }
    }

    /// @notice A delivery's data hash as DataDelivery records it (sdk `deliveryDataHash`).
    function _dataHash(bytes32[] memory ids, uint64[] memory sizes) internal pure returns (bytes32) {
        return keccak256(abi.encode(ids, sizes));
    }

    /// @notice The owner key's EIP-712 `RecordDelivery` signature for `delivery` (sdk `signRecordDelivery`).
    function _recordSig(uint256 ownerPk, DataDelivery delivery, uint256 jobId, bytes32 dataHash, uint256 deadline)
        internal
        view
        returns (bytes memory)
    {
        bytes32 structHash = keccak256(abi.encode(delivery.RECORD_DELIVERY_TYPEHASH(), jobId, dataHash, deadline));
        return _sig(ownerPk, keccak256(abi.encodePacked("\x19\x01", delivery.domainSeparator(), structHash)));
    }

    /// @notice Records `ids`/`sizes` for `jobId` in the fixture's DataDelivery, signed by `ownerPk`.
    function _record(
        uint256 ownerPk,
        uint256 jobId,
        IJobMarket.JobTerms memory t,
        bytes32[] memory ids,
        uint64[] memory sizes
    ) internal {
        uint256 deadline = _now() + 1 hours;
        bytes memory sig = _recordSig(ownerPk, dataDelivery, jobId, _dataHash(ids, sizes), deadline);
        dataDelivery.recordDelivery(jobId, t, ids, sizes, deadline, sig);
    }

    // ----- arithmetic references, written independently of contracts/libraries/Shares.sol -----

    /// @dev Collateral of a bid: the ratio of the price rounded up, at least the asset's minimum.
    function _collateral(uint256 price, uint256 ratioBps, uint256 minimum) internal pure returns (uint256) {
        uint256 byRatio = _ceilBps(price, ratioBps);
        return byRatio > minimum ? byRatio : minimum;
    }

    /// @dev The attested enclave's signed multi-party result (what `MultiPartyCoordinator.verifyTraining`
    ///      accepts), by the key `signerPk`, over the aggregate recorded for `jobId`.
    function _multiPartyResult(uint256 signerPk, uint256 jobId, bytes32 specHash, bytes32 model)
        internal
        view
        returns (bytes memory)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                coordinator.MULTI_PARTY_RESULT_TYPEHASH(), jobId, specHash, coordinator.aggregateHashOf(jobId), model
            )
        );
        return _sig(signerPk, _coordinatorDigest(structHash));
    }

    /// @dev The attested enclave's `MultiPartyAggregate` statement that `aggregateHash` is the
    ///      product of the updates in `includedMask` (what `recordAggregate` requires).
    function _aggregateSig(uint256 signerPk, uint256 jobId, bytes32 aggregateHash, uint256 includedMask)
        internal
        view
        returns (bytes memory)
    {
        bytes32 structHash =
            keccak256(abi.encode(coordinator.MULTI_PARTY_AGGREGATE_TYPEHASH(), jobId, aggregateHash, includedMask));
        return _sig(signerPk, _coordinatorDigest(structHash));
    }

    /// @dev An EIP-712 digest in the coordinator's domain ("BlindTraining MultiParty", "1").
    function _coordinatorDigest(bytes32 structHash) internal view returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("BlindTraining MultiParty"),
                keccak256("1"),
                block.chainid,
                address(coordinator)
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    function _ceilBps(uint256 amount, uint256 bps) internal pure returns (uint256) {
        uint256 product = amount * bps;
        return product / 10_000 + (product % 10_000 == 0 ? 0 : 1);
    }

    function _floorBps(uint256 amount, uint256 bps) internal pure returns (uint256) {
        return amount * bps / 10_000;
    }

    receive() external payable {}
}
