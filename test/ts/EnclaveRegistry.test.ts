// EnclaveRegistry and SimulatedAttestationVerifier tests, on the real LocalDevnet deployment (and on
// chains with other chain ids where the Simulated TEE must not be enabled).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { getAddress, type Hex, hashDomain, keccak256, toBytes, zeroAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  createSimulatedEvidence,
  DEV_ATTESTATION_SIGNER,
  SIMULATED_MEASUREMENT,
  TeeType,
} from "../../sdk/index.ts";
import { loadMarket, type Market, networkHelpers, viem } from "../support/fixture.ts";

const MEASUREMENT = keccak256(toBytes("a TDX measurement"));
const REPORT_DATA = keccak256(toBytes("job binding"));
const REAL_TYPES = [TeeType.SevSnp, TeeType.Tdx, TeeType.Sgx] as const;

async function latest(): Promise<bigint> {
  return BigInt(await networkHelpers.time.latest());
}

/** Simulated evidence for the fixture's verifier, valid for an hour unless overridden. */
async function evidence(
  m: Market,
  o: { measurement?: Hex; reportData?: Hex; expiresAt?: bigint; signingKey?: Hex; chainId?: number } = {},
): Promise<Hex> {
  return createSimulatedEvidence({
    chainId: o.chainId ?? m.chainId,
    verifier: m.simulatedVerifier.address,
    reportData: o.reportData ?? REPORT_DATA,
    measurement: o.measurement,
    expiresAt: o.expiresAt ?? (await latest()) + 3600n,
    signingKey: o.signingKey,
  });
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
        revoked: false,
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

    it("revokes a measurement, and re-allowing it clears the revocation", async () => {
      const m = await loadMarket();
      const expiresAt = (await latest()) + 1000n;
      await m.enclaveRegistry.write.allowMeasurement([TeeType.Sgx, MEASUREMENT, expiresAt]);
      await viem.assertions.emitWithArgs(
        m.enclaveRegistry.write.revokeMeasurement([TeeType.Sgx, MEASUREMENT]),
        m.enclaveRegistry,
        "MeasurementRevoked",
        [TeeType.Sgx, MEASUREMENT],
      );
      assert.deepEqual(await m.enclaveRegistry.read.measurementOf([TeeType.Sgx, MEASUREMENT]), {
        expiresAt,
        revoked: true,
      });
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.checkMeasurement([TeeType.Sgx, MEASUREMENT]),
        m.enclaveRegistry,
        "EnclaveRegistryMeasurementRevoked",
        [TeeType.Sgx, MEASUREMENT],
      );
      await m.enclaveRegistry.write.allowMeasurement([TeeType.Sgx, MEASUREMENT, expiresAt + 1n]);
      await m.enclaveRegistry.read.checkMeasurement([TeeType.Sgx, MEASUREMENT]);
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
        m.enclaveRegistry.read.verifyEvidence([TeeType.None, await evidence(m), REPORT_DATA]),
        m.enclaveRegistry,
        "EnclaveRegistryUnknownTeeType",
        [0],
      );
      // TeeType has five members; 5 is not a valid enum value and is refused before any code runs.
      const five = 5 as TeeType;
      await viem.assertions.revert(m.enclaveRegistry.write.allowMeasurement([five, MEASUREMENT, expiresAt]));
      await viem.assertions.revert(m.enclaveRegistry.write.setVerifier([five, m.simulatedVerifier.address]));
      await viem.assertions.revert(
        m.enclaveRegistry.read.verifyEvidence([five, await evidence(m), REPORT_DATA]),
      );
    });
  });

  describe("verifiers", () => {
    it("sets and removes the verifier of a TEE type", async () => {
      const m = await loadMarket();
      for (const t of REAL_TYPES) assert.equal(await m.enclaveRegistry.read.verifierOf([t]), zeroAddress);
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
      const ev = await evidence(m);
      for (const t of REAL_TYPES) {
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
        await m.enclaveRegistry.read.verifyEvidence([TeeType.Simulated, await evidence(m), REPORT_DATA]),
        SIMULATED_MEASUREMENT,
      );
    });

    it("rejects valid evidence whose measurement is not, or no longer, allow-listed", async () => {
      const m = await loadMarket();
      const other = keccak256(toBytes("unknown enclave"));
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.verifyEvidence([
          TeeType.Simulated,
          await evidence(m, { measurement: other }),
          REPORT_DATA,
        ]),
        m.enclaveRegistry,
        "EnclaveRegistryMeasurementNotAllowed",
        [TeeType.Simulated, other],
      );
      await m.enclaveRegistry.write.revokeMeasurement([TeeType.Simulated, SIMULATED_MEASUREMENT]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.verifyEvidence([TeeType.Simulated, await evidence(m), REPORT_DATA]),
        m.enclaveRegistry,
        "EnclaveRegistryMeasurementRevoked",
        [TeeType.Simulated, SIMULATED_MEASUREMENT],
      );
    });

    it("bubbles the verifier's own error up, e.g. Simulated evidence routed as TDX", async () => {
      const m = await loadMarket();
      // Misconfiguration: the simulated verifier registered for TDX still refuses TDX evidence.
      await m.enclaveRegistry.write.setVerifier([TeeType.Tdx, m.simulatedVerifier.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.enclaveRegistry.read.verifyEvidence([TeeType.Tdx, await evidence(m), REPORT_DATA]),
        m.simulatedVerifier,
        "SimulatedAttestationWrongTeeType",
        [TeeType.Tdx],
      );
    });
  });

  describe("Simulated TEE switch", () => {
    it("rejects Simulated evidence unless Simulated is enabled", async () => {
      const m = await loadMarket();
      const ev = await evidence(m);
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
            // Even with the simulated verifier and measurement configured, Simulated evidence is refused.
            const verifier = await other.viem.deployContract("SimulatedAttestationVerifier", [
              DEV_ATTESTATION_SIGNER,
            ]);
            await registry.write.setVerifier([TeeType.Simulated, verifier.address]);
            const now = BigInt((await publicClient.getBlock()).timestamp);
            await registry.write.allowMeasurement([TeeType.Simulated, SIMULATED_MEASUREMENT, now + 3600n]);
            const ev = await createSimulatedEvidence({
              chainId,
              verifier: verifier.address,
              reportData: REPORT_DATA,
              expiresAt: now + 3600n,
            });
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

describe("SimulatedAttestationVerifier", () => {
  it("refuses a zero development signer at deployment", async () => {
    await assert.rejects(viem.deployContract("SimulatedAttestationVerifier", [zeroAddress]), (e: Error) =>
      e.message.includes("SimulatedAttestationZeroSigner"),
    );
  });

  it("exposes its signer and the EIP-712 domain the SDK signs for", async () => {
    const m = await loadMarket();
    assert.equal(await m.simulatedVerifier.read.devSigner(), DEV_ATTESTATION_SIGNER);
    assert.equal(
      await m.simulatedVerifier.read.domainSeparator(),
      hashDomain({
        domain: {
          name: "BlindTraining SimulatedTEE",
          version: "1",
          chainId: BigInt(m.chainId),
          verifyingContract: m.simulatedVerifier.address,
        },
        types: {
          EIP712Domain: [
            { name: "name", type: "string" },
            { name: "version", type: "string" },
            { name: "chainId", type: "uint256" },
            { name: "verifyingContract", type: "address" },
          ],
        },
      }),
    );
  });

  it("accepts only the Simulated TEE type", async () => {
    const m = await loadMarket();
    const ev = await evidence(m);
    assert.equal(
      await m.simulatedVerifier.read.verifyEvidence([TeeType.Simulated, ev, REPORT_DATA]),
      SIMULATED_MEASUREMENT,
    );
    for (const t of [TeeType.None, ...REAL_TYPES]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        m.simulatedVerifier.read.verifyEvidence([t, ev, REPORT_DATA]),
        m.simulatedVerifier,
        "SimulatedAttestationWrongTeeType",
        [t],
      );
    }
  });

  it("rejects evidence bound to other report data", async () => {
    const m = await loadMarket();
    const other = keccak256(toBytes("another job"));
    const ev = await evidence(m, { reportData: other });
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.simulatedVerifier.read.verifyEvidence([TeeType.Simulated, ev, REPORT_DATA]),
      m.simulatedVerifier,
      "SimulatedAttestationReportDataMismatch",
      [other, REPORT_DATA],
    );
    // The same error through the registry.
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.enclaveRegistry.read.verifyEvidence([TeeType.Simulated, ev, REPORT_DATA]),
      m.simulatedVerifier,
      "SimulatedAttestationReportDataMismatch",
      [other, REPORT_DATA],
    );
  });

  it("accepts a statement until its expiry and rejects it after", async () => {
    const m = await loadMarket();
    const expiresAt = (await latest()) + 100n;
    const ev = await evidence(m, { expiresAt });
    await networkHelpers.time.increaseTo(expiresAt);
    assert.equal(
      await m.simulatedVerifier.read.verifyEvidence([TeeType.Simulated, ev, REPORT_DATA]),
      SIMULATED_MEASUREMENT,
    );
    await networkHelpers.time.increaseTo(expiresAt + 1n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.simulatedVerifier.read.verifyEvidence([TeeType.Simulated, ev, REPORT_DATA]),
      m.simulatedVerifier,
      "SimulatedAttestationExpired",
      [expiresAt, (v: unknown) => typeof v === "bigint" && v > expiresAt],
    );
  });

  it("rejects statements not signed by the development key, or signed for another chain", async () => {
    const m = await loadMarket();
    const key = generatePrivateKey();
    const impostor = privateKeyToAccount(key).address;
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.simulatedVerifier.read.verifyEvidence([
        TeeType.Simulated,
        await evidence(m, { signingKey: key }),
        REPORT_DATA,
      ]),
      m.simulatedVerifier,
      "SimulatedAttestationBadSignature",
      [impostor, DEV_ATTESTATION_SIGNER],
    );
    // Signed by the right key for another chain id: the domain differs, so the recovered signer does too.
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.simulatedVerifier.read.verifyEvidence([
        TeeType.Simulated,
        await evidence(m, { chainId: 1 }),
        REPORT_DATA,
      ]),
      m.simulatedVerifier,
      "SimulatedAttestationBadSignature",
      [(v: unknown) => v !== DEV_ATTESTATION_SIGNER, DEV_ATTESTATION_SIGNER],
    );
    // A second verifier with the same key does not accept the first one's statements either.
    const twin = await viem.deployContract("SimulatedAttestationVerifier", [DEV_ATTESTATION_SIGNER]);
    await viem.assertions.revertWithCustomError(
      twin.read.verifyEvidence([TeeType.Simulated, await evidence(m), REPORT_DATA]),
      twin,
      "SimulatedAttestationBadSignature",
    );
  });

  it("rejects a malformed signature", async () => {
    const m = await loadMarket();
    const good = await evidence(m);
    // Replace the 65 signature bytes (the tail of the encoding, padded to 96 bytes) with zeros.
    const sigStart = good.length - 96 * 2;
    const zeroed = `${good.slice(0, sigStart)}${"00".repeat(96)}` as Hex;
    await viem.assertions.revertWithCustomErrorWithArgs(
      m.simulatedVerifier.read.verifyEvidence([TeeType.Simulated, zeroed, REPORT_DATA]),
      m.simulatedVerifier,
      "SimulatedAttestationBadSignature",
      [zeroAddress, DEV_ATTESTATION_SIGNER],
    );
  });
});
