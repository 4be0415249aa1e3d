// EnclaveRegistry tests, on the real LocalDevnet deployment (and on chains with other chain ids where
// the Simulated TEE must not be enabled). The development IntelQuoteVerifier of the Simulated TEE is
// exercised here as deployed; the verifier's own checks are in test/ts/attestation/.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { getAddress, type Hex, hexToBigInt, keccak256, toBytes, toHex, zeroAddress } from "viem";
import {
  createSimulatedEvidence,
  DEV_PCK_PUBLIC_KEY,
  DEV_QE_MRSIGNER,
  SIMULATED_MEASUREMENT,
  SIMULATED_TD,
  type TdReportFields,
  TeeType,
  tdxMeasurement,
} from "../../sdk/index.ts";
import { loadMarket, networkHelpers, viem } from "../support/fixture.ts";

const MEASUREMENT = keccak256(toBytes("a TDX measurement"));
const REPORT_DATA = keccak256(toBytes("job binding"));
const REAL_TYPES = [TeeType.SevSnp, TeeType.Tdx, TeeType.Sgx] as const;

async function latest(): Promise<bigint> {
  return BigInt(await networkHelpers.time.latest());
}

/** Simulated evidence (a development TDX quote) binding REPORT_DATA unless overridden. */
function evidence(o: { reportData?: Hex; report?: Omit<TdReportFields, "reportData"> } = {}): Hex {
  return createSimulatedEvidence({ reportData: o.reportData ?? REPORT_DATA, report: o.report });
}

describe("EnclaveRegistry", () => {
  describe("measurement allow-list", () => {
    it("allow-lists a measurement for one TEE type only", async () => {
      const m = await loadMarket();
      const expiresAt = (await latest()) + 1000n;
      await viem.assertions.emitWithArgs(
        m.enclaveRegistry.write.allowMeasurement([TeeType.Tdx, MEASUREMENT, expiresAt]),
        m.enclaveRegistry,
        "MeasurementAllowed",
        [TeeType.Tdx, MEASUREMENT, expiresAt],
      );
      assert.deepEqual(await m.enclaveRegistry.read.measurementOf([TeeType.Tdx, MEASUREMENT]), {
        expiresAt,
        revokedAt: 0n,
      });
      await m.enclaveRegistry.read.checkMeasurement([TeeType.Tdx, MEASUREMENT]);
      for (const other of [TeeType.SevSnp, TeeType.Sgx, TeeType.Simulated]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          m.enclaveRegistry.read.checkMeasurement([other, MEASUREMENT]),
          m.enclaveRegistry,
          "EnclaveRegistryMeasurementNotAllowed",
          [other, MEASUREMENT],
        );
      }
    });

    it("revokes a measurement at a recorded time, and re-allowing it clears the revocation", async () => {
      const m = await loadMarket();
      const expiresAt = (await latest()) + 1000n;
      await m.enclaveRegistry.write.allowMeasurement([TeeType.Sgx, MEASUREMENT, expiresAt]);
      const revokedAt = (await latest()) + 10n;
      await networkHelpers.time.setNextBlockTimestamp(revokedAt);
      await viem.assertions.emitWithArgs(
        m.enclaveRegistry.write.revokeMeasurement([TeeType.Sgx, MEASUREMENT]),
        m.enclaveRegistry,
        "MeasurementRevoked",
        [TeeType.Sgx, MEASUREMENT],
      );
      assert.deepEqual(await m.enclaveRegistry.read.measurementOf([TeeType.Sgx, MEASUREMENT]), {
        expiresAt,
        revokedAt,
      });
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.checkMeasurement([TeeType.Sgx, MEASUREMENT]),
        m.enclaveRegistry,
        "AttestationRevoked",
        [MEASUREMENT, revokedAt],
      );
      // Revoking again keeps the first revocation's time and emits nothing.
      const again = await m.enclaveRegistry.write.revokeMeasurement([TeeType.Sgx, MEASUREMENT]);
      assert.deepEqual((await m.publicClient.waitForTransactionReceipt({ hash: again })).logs, []);
      assert.equal(
        (await m.enclaveRegistry.read.measurementOf([TeeType.Sgx, MEASUREMENT])).revokedAt,
        revokedAt,
      );
      await m.enclaveRegistry.write.allowMeasurement([TeeType.Sgx, MEASUREMENT, expiresAt + 1n]);
      assert.deepEqual(await m.enclaveRegistry.read.measurementOf([TeeType.Sgx, MEASUREMENT]), {
        expiresAt: expiresAt + 1n,
        revokedAt: 0n,
      });
      await m.enclaveRegistry.read.checkMeasurement([TeeType.Sgx, MEASUREMENT]);
    });

    it("reports whichever of revocation and expiry came first", async () => {
      const m = await loadMarket();
      const expiresAt = (await latest()) + 100n;
      const other = keccak256(toBytes("another measurement"));
      await m.enclaveRegistry.write.allowMeasurement([TeeType.Tdx, MEASUREMENT, expiresAt]);
      await m.enclaveRegistry.write.allowMeasurement([TeeType.Tdx, other, expiresAt]);
      // Revoked while valid: still reported as revoked once it has expired too.
      const revokedAt = (await latest()) + 1n;
      await networkHelpers.time.setNextBlockTimestamp(revokedAt);
      await m.enclaveRegistry.write.revokeMeasurement([TeeType.Tdx, MEASUREMENT]);
      // Expired, then revoked: reported as expired.
      await networkHelpers.time.increaseTo(expiresAt + 1n);
      await m.enclaveRegistry.write.revokeMeasurement([TeeType.Tdx, other]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.checkMeasurement([TeeType.Tdx, MEASUREMENT]),
        m.enclaveRegistry,
        "AttestationRevoked",
        [MEASUREMENT, revokedAt],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.checkMeasurement([TeeType.Tdx, other]),
        m.enclaveRegistry,
        "EnclaveRegistryMeasurementExpired",
        [TeeType.Tdx, other, expiresAt],
      );
    });

    it("rejects revoking a measurement that was never allowed", async () => {
      const m = await loadMarket();
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.write.revokeMeasurement([TeeType.Tdx, MEASUREMENT]),
        m.enclaveRegistry,
        "EnclaveRegistryMeasurementNotAllowed",
        [TeeType.Tdx, MEASUREMENT],
      );
      // The simulated measurement is allowed for Simulated only, not for Tdx.
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.write.revokeMeasurement([TeeType.Tdx, SIMULATED_MEASUREMENT]),
        m.enclaveRegistry,
        "EnclaveRegistryMeasurementNotAllowed",
        [TeeType.Tdx, SIMULATED_MEASUREMENT],
      );
    });

    it("accepts a measurement up to and including its expiry, and rejects it after", async () => {
      const m = await loadMarket();
      const expiresAt = (await latest()) + 100n;
      await m.enclaveRegistry.write.allowMeasurement([TeeType.SevSnp, MEASUREMENT, expiresAt]);
      await networkHelpers.time.increaseTo(expiresAt);
      await m.enclaveRegistry.read.checkMeasurement([TeeType.SevSnp, MEASUREMENT]);
      await networkHelpers.time.increaseTo(expiresAt + 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.checkMeasurement([TeeType.SevSnp, MEASUREMENT]),
        m.enclaveRegistry,
        "EnclaveRegistryMeasurementExpired",
        [TeeType.SevSnp, MEASUREMENT, expiresAt],
      );
      // Extending the expiry brings it back.
      await m.enclaveRegistry.write.allowMeasurement([TeeType.SevSnp, MEASUREMENT, expiresAt + 1000n]);
      await m.enclaveRegistry.read.checkMeasurement([TeeType.SevSnp, MEASUREMENT]);
    });

    it("rejects an expiry that is not in the future and a zero measurement", async () => {
      const m = await loadMarket();
      const t = (await latest()) + 10n;
      await networkHelpers.time.setNextBlockTimestamp(t);
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.write.allowMeasurement([TeeType.Tdx, MEASUREMENT, t]),
        m.enclaveRegistry,
        "EnclaveRegistryExpiryInPast",
        [t, t],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.write.allowMeasurement([TeeType.Tdx, MEASUREMENT, 0n]),
        m.enclaveRegistry,
        "EnclaveRegistryExpiryInPast",
        [0n, (v: unknown) => typeof v === "bigint" && v >= t],
      );
      await viem.assertions.revertWithCustomError(
        m.enclaveRegistry.write.allowMeasurement([TeeType.Tdx, `0x${"00".repeat(32)}`, t + 100n]),
        m.enclaveRegistry,
        "EnclaveRegistryZeroMeasurement",
      );
    });

    it("rejects the None TEE type everywhere and out-of-range TEE types at ABI decoding", async () => {
      const m = await loadMarket();
      const expiresAt = (await latest()) + 1000n;
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.write.allowMeasurement([TeeType.None, MEASUREMENT, expiresAt]),
        m.enclaveRegistry,
        "EnclaveRegistryUnknownTeeType",
        [0],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.write.setVerifier([TeeType.None, m.simulatedVerifier.address]),
        m.enclaveRegistry,
        "EnclaveRegistryUnknownTeeType",
        [0],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.verifyEvidence([TeeType.None, evidence(), REPORT_DATA]),
        m.enclaveRegistry,
        "EnclaveRegistryUnknownTeeType",
        [0],
      );
      // TeeType has five members; 5 is not a valid enum value and is refused before any code runs.
      const five = 5 as TeeType;
      await viem.assertions.revert(m.enclaveRegistry.write.allowMeasurement([five, MEASUREMENT, expiresAt]));
      await viem.assertions.revert(m.enclaveRegistry.write.setVerifier([five, m.simulatedVerifier.address]));
      await viem.assertions.revert(m.enclaveRegistry.read.verifyEvidence([five, evidence(), REPORT_DATA]));
    });
  });

  describe("verifiers", () => {
    it("sets and removes the verifier of a TEE type", async () => {
      const m = await loadMarket();
      assert.equal(
        await m.enclaveRegistry.read.verifierOf([TeeType.Tdx]),
        getAddress(m.intelQuoteVerifier.address),
      );
      await viem.assertions.emitWithArgs(
        m.enclaveRegistry.write.setVerifier([TeeType.Tdx, m.simulatedVerifier.address]),
        m.enclaveRegistry,
        "AttestationVerifierSet",
        [TeeType.Tdx, getAddress(m.simulatedVerifier.address)],
      );
      assert.equal(
        await m.enclaveRegistry.read.verifierOf([TeeType.Tdx]),
        getAddress(m.simulatedVerifier.address),
      );
      await m.enclaveRegistry.write.setVerifier([TeeType.Tdx, zeroAddress]);
      assert.equal(await m.enclaveRegistry.read.verifierOf([TeeType.Tdx]), zeroAddress);
    });

    it("reverts with NoVerifier for a TEE type without a verifier", async () => {
      const m = await loadMarket();
      const ev = evidence();
      for (const t of REAL_TYPES) {
        await m.enclaveRegistry.write.setVerifier([t, zeroAddress]);
        await viem.assertions.revertWithCustomErrorWithArgs(
          m.enclaveRegistry.read.verifyEvidence([t, ev, REPORT_DATA]),
          m.enclaveRegistry,
          "EnclaveRegistryNoVerifier",
          [t],
        );
      }
      await m.enclaveRegistry.write.setVerifier([TeeType.Simulated, zeroAddress]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.verifyEvidence([TeeType.Simulated, ev, REPORT_DATA]),
        m.enclaveRegistry,
        "EnclaveRegistryNoVerifier",
        [TeeType.Simulated],
      );
    });

    it("returns the measurement of valid, allow-listed evidence", async () => {
      const m = await loadMarket();
      assert.equal(
        await m.enclaveRegistry.read.verifyEvidence([TeeType.Simulated, evidence(), REPORT_DATA]),
        SIMULATED_MEASUREMENT,
      );
    });

    it("rejects valid evidence whose measurement is not, or no longer, allow-listed", async () => {
      const m = await loadMarket();
      const OTHER_MRTD = new Uint8Array(48).fill(0xee);
      const other = tdxMeasurement({ mrTd: OTHER_MRTD, rtmrs: SIMULATED_TD.rtmrs });
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.verifyEvidence([
          TeeType.Simulated,
          evidence({ report: { mrTd: OTHER_MRTD } }),
          REPORT_DATA,
        ]),
        m.enclaveRegistry,
        "EnclaveRegistryMeasurementNotAllowed",
        [TeeType.Simulated, other],
      );
      await m.enclaveRegistry.write.revokeMeasurement([TeeType.Simulated, SIMULATED_MEASUREMENT]);
      const revokedAt = await latest();
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.verifyEvidence([TeeType.Simulated, evidence(), REPORT_DATA]),
        m.enclaveRegistry,
        "AttestationRevoked",
        [SIMULATED_MEASUREMENT, revokedAt],
      );
    });

    it("bubbles the verifier's own error up, e.g. Simulated evidence routed as TDX", async () => {
      const m = await loadMarket();
      // Misconfiguration: the development verifier registered for TDX still refuses TDX evidence.
      await m.enclaveRegistry.write.setVerifier([TeeType.Tdx, m.simulatedVerifier.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.verifyEvidence([TeeType.Tdx, evidence(), REPORT_DATA]),
        m.simulatedVerifier,
        "IntelQuoteWrongMode",
        [TeeType.Tdx, true],
      );
    });

    it("routes development quotes presented as TDX to the production verifier, which does not trust the development PCK key", async () => {
      const m = await loadMarket();
      const ev = evidence();
      await viem.assertions.revertWithCustomError(
        m.enclaveRegistry.read.verifyEvidence([TeeType.Tdx, ev, REPORT_DATA]),
        m.intelQuoteVerifier,
        "IntelQuotePckKeyUnknown",
      );
    });

    it("rejects a quote whose report data is another job's binding, and a debug TD", async () => {
      const m = await loadMarket();
      const other = keccak256(toBytes("another job"));
      await viem.assertions.revertWithCustomError(
        m.enclaveRegistry.read.verifyEvidence([
          TeeType.Simulated,
          evidence({ reportData: other }),
          REPORT_DATA,
        ]),
        m.simulatedVerifier,
        "IntelQuoteReportDataMismatch",
      );
      const debug = evidence({ report: { tdAttributes: Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0) } });
      await viem.assertions.revertWithCustomError(
        m.enclaveRegistry.read.verifyEvidence([TeeType.Simulated, debug, REPORT_DATA]),
        m.simulatedVerifier,
        "IntelQuoteDebugEnclave",
      );
    });

    it("stops accepting development quotes once governance revokes the development PCK key", async () => {
      const m = await loadMarket();
      const x = hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(0, 32)));
      const y = hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(32)));
      assert.equal(
        await m.enclaveRegistry.read.verifyEvidence([TeeType.Simulated, evidence(), REPORT_DATA]),
        SIMULATED_MEASUREMENT,
      );
      await m.simulatedVerifier.write.revokePckKey([x, y]);
      const keyHash = await m.simulatedVerifier.read.pckKeyHash([x, y]);
      const revokedAt = await latest();
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.verifyEvidence([TeeType.Simulated, evidence(), REPORT_DATA]),
        m.simulatedVerifier,
        "AttestationRevoked",
        [keyHash, revokedAt],
      );
      assert.equal(await m.simulatedVerifier.read.tdxQeMrSigner(), toHex(DEV_QE_MRSIGNER));
    });
  });

  describe("verifyEvidenceWith", () => {
    it("verifies with the given (pinned) verifier, whatever the registry's current one is", async () => {
      const m = await loadMarket();
      const ev = evidence();
      const pinned = m.simulatedVerifier.address;
      assert.equal(
        await m.enclaveRegistry.read.verifyEvidenceWith([pinned, TeeType.Simulated, ev, REPORT_DATA]),
        SIMULATED_MEASUREMENT,
      );
      // Governance swaps the Simulated verifier for one that refuses this evidence...
      await m.enclaveRegistry.write.setVerifier([TeeType.Simulated, m.intelQuoteVerifier.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.verifyEvidence([TeeType.Simulated, ev, REPORT_DATA]),
        m.intelQuoteVerifier,
        "IntelQuoteWrongMode",
        [TeeType.Simulated, false],
      );
      // ...or removes it: the pinned verifier still accepts the same evidence.
      await m.enclaveRegistry.write.setVerifier([TeeType.Simulated, zeroAddress]);
      assert.equal(
        await m.enclaveRegistry.read.verifyEvidenceWith([pinned, TeeType.Simulated, ev, REPORT_DATA]),
        SIMULATED_MEASUREMENT,
      );
    });

    it("makes the registry's own checks: verifier set, known type, Simulated enabled, measurement allowed", async () => {
      const m = await loadMarket();
      const ev = evidence();
      const pinned = m.simulatedVerifier.address;
      for (const t of [TeeType.Tdx, TeeType.Simulated]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          m.enclaveRegistry.read.verifyEvidenceWith([zeroAddress, t, ev, REPORT_DATA]),
          m.enclaveRegistry,
          "EnclaveRegistryNoVerifier",
          [t],
        );
      }
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.verifyEvidenceWith([pinned, TeeType.None, ev, REPORT_DATA]),
        m.enclaveRegistry,
        "EnclaveRegistryUnknownTeeType",
        [0],
      );
      // The verifier's own errors pass through.
      await viem.assertions.revertWithCustomError(
        m.enclaveRegistry.read.verifyEvidenceWith([
          pinned,
          TeeType.Simulated,
          evidence({ reportData: keccak256(toBytes("another job")) }),
          REPORT_DATA,
        ]),
        m.simulatedVerifier,
        "IntelQuoteReportDataMismatch",
      );
      const OTHER_MRTD = new Uint8Array(48).fill(0xee);
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.verifyEvidenceWith([
          pinned,
          TeeType.Simulated,
          evidence({ report: { mrTd: OTHER_MRTD } }),
          REPORT_DATA,
        ]),
        m.enclaveRegistry,
        "EnclaveRegistryMeasurementNotAllowed",
        [TeeType.Simulated, tdxMeasurement({ mrTd: OTHER_MRTD, rtmrs: SIMULATED_TD.rtmrs })],
      );
      await m.enclaveRegistry.write.revokeMeasurement([TeeType.Simulated, SIMULATED_MEASUREMENT]);
      const revokedAt = await latest();
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.verifyEvidenceWith([pinned, TeeType.Simulated, ev, REPORT_DATA]),
        m.enclaveRegistry,
        "AttestationRevoked",
        [SIMULATED_MEASUREMENT, revokedAt],
      );
      await m.enclaveRegistry.write.setSimulatedEnabled([false]);
      await viem.assertions.revertWithCustomError(
        m.enclaveRegistry.read.verifyEvidenceWith([pinned, TeeType.Simulated, ev, REPORT_DATA]),
        m.enclaveRegistry,
        "EnclaveRegistrySimulatedDisabled",
      );
    });

    it("refuses an expired measurement", async () => {
      const m = await loadMarket();
      const { expiresAt } = await m.enclaveRegistry.read.measurementOf([
        TeeType.Simulated,
        SIMULATED_MEASUREMENT,
      ]);
      // Keep the development PCK key valid past the measurement's expiry.
      const x = hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(0, 32)));
      const y = hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(32)));
      await m.simulatedVerifier.write.registerPckKey([x, y, expiresAt + 1000n]);
      await networkHelpers.time.increaseTo(expiresAt + 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.verifyEvidenceWith([
          m.simulatedVerifier.address,
          TeeType.Simulated,
          evidence(),
          REPORT_DATA,
        ]),
        m.enclaveRegistry,
        "EnclaveRegistryMeasurementExpired",
        [TeeType.Simulated, SIMULATED_MEASUREMENT, expiresAt],
      );
    });
  });

  describe("governance", () => {
    it("cannot be renounced: renounceOwnership reverts with GovernedRenounceDisabled", async () => {
      const m = await loadMarket();
      await viem.assertions.revertWithCustomError(
        m.enclaveRegistry.read.renounceOwnership({ account: m.deployer.account.address }),
        m.enclaveRegistry,
        "GovernedRenounceDisabled",
      );
      assert.equal(await m.enclaveRegistry.read.owner(), getAddress(m.deployer.account.address));
    });
  });

  describe("Simulated TEE switch", () => {
    it("rejects Simulated evidence unless Simulated is enabled", async () => {
      const m = await loadMarket();
      const ev = evidence();
      await viem.assertions.emitWithArgs(
        m.enclaveRegistry.write.setSimulatedEnabled([false]),
        m.enclaveRegistry,
        "SimulatedTeeToggled",
        [false],
      );
      assert.equal(await m.enclaveRegistry.read.simulatedEnabled(), false);
      await viem.assertions.revertWithCustomError(
        m.enclaveRegistry.read.verifyEvidence([TeeType.Simulated, ev, REPORT_DATA]),
        m.enclaveRegistry,
        "EnclaveRegistrySimulatedDisabled",
      );
      // The check comes before the verifier: even with no verifier the answer is "disabled".
      await m.enclaveRegistry.write.setVerifier([TeeType.Simulated, zeroAddress]);
      await viem.assertions.revertWithCustomError(
        m.enclaveRegistry.read.verifyEvidence([TeeType.Simulated, ev, REPORT_DATA]),
        m.enclaveRegistry,
        "EnclaveRegistrySimulatedDisabled",
      );
    });

    it("can be enabled on the Hardhat chain (31337)", async () => {
      const m = await loadMarket();
      assert.equal(m.chainId, 31337);
      const fresh = await viem.deployContract("EnclaveRegistry", [m.deployer.account.address]);
      assert.equal(await fresh.read.simulatedEnabled(), false, "disabled by default");
      await viem.assertions.emitWithArgs(
        fresh.write.setSimulatedEnabled([true]),
        fresh,
        "SimulatedTeeToggled",
        [true],
      );
      assert.equal(await fresh.read.simulatedEnabled(), true);
    });

    it("can be enabled on chain id 1337 and on no other chain id", async () => {
      for (const [chainId, allowed] of [
        [1337, true],
        [1, false],
        [10, false],
        [8453, false],
        [11155111, false],
        [31338, false],
      ] as const) {
        const other = await network.create({ override: { chainId } });
        try {
          const publicClient = await other.viem.getPublicClient();
          assert.equal(await publicClient.getChainId(), chainId);
          const [owner] = await other.viem.getWalletClients();
          if (!owner) throw new Error("no account");
          const registry = await other.viem.deployContract("EnclaveRegistry", [owner.account.address]);
          if (allowed) {
            await registry.write.setSimulatedEnabled([true]);
            assert.equal(await registry.read.simulatedEnabled(), true);
          } else {
            await other.viem.assertions.revertWithCustomErrorWithArgs(
              registry.write.setSimulatedEnabled([true]),
              registry,
              "EnclaveRegistrySimulatedOnlyOnLocalChain",
              [BigInt(chainId)],
            );
            assert.equal(await registry.read.simulatedEnabled(), false);
            // Disabling stays possible everywhere.
            await registry.write.setSimulatedEnabled([false]);
            // Even with the development verifier, its PCK key and the measurement configured,
            // Simulated evidence is refused.
            const verifier = await other.viem.deployContract("IntelQuoteVerifier", [
              owner.account.address,
              true,
              toHex(DEV_QE_MRSIGNER),
              toHex(new Uint8Array(32)),
            ]);
            const now = BigInt((await publicClient.getBlock()).timestamp);
            await verifier.write.registerPckKey([
              hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(0, 32))),
              hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(32))),
              now + 3600n,
            ]);
            await registry.write.setVerifier([TeeType.Simulated, verifier.address]);
            await registry.write.allowMeasurement([TeeType.Simulated, SIMULATED_MEASUREMENT, now + 3600n]);
            const ev = evidence();
            await other.viem.assertions.revertWithCustomError(
              registry.read.verifyEvidence([TeeType.Simulated, ev, REPORT_DATA]),
              registry,
              "EnclaveRegistrySimulatedDisabled",
            );
          }
        } finally {
          await other.close();
        }
      }
    });
  });
});
