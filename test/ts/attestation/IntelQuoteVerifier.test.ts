// IntelQuoteVerifier (and the P256 library): on-chain checks of TDX v4 / SGX v3 quotes.
//
// Quotes built here (sdk/attestation/intelQuoteBuilder.ts, with P-256 keys chosen below) exercise the
// success path end to end and trigger every custom error. The real quotes of the shared test-vectors
// folder show that the signature checks, the attestation-key binding and the QE identity pass on
// genuine Intel quotes; their report data is not a job binding, so verifyEvidence must still refuse
// them with IntelQuoteReportDataMismatch. Test vectors: tdx/ from github.com/google/go-tdx-guest
// (Apache-2.0, Copyright Google LLC); sgx/ from github.com/automata-network/automata-dcap-attestation
// (MIT). See ../shared/test-vectors/README.md.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { network } from "hardhat";
import {
  BaseError,
  ContractFunctionRevertedError,
  encodeAbiParameters,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  toHex,
} from "viem";
import {
  buildSimulatedQuote,
  DEV_PCK_PUBLIC_KEY,
  DEV_QE_MRSIGNER,
  reportDataForBinding,
  SIMULATED_MEASUREMENT,
} from "../../../sdk/attestation/devChain.ts";
import { parseIntelQuote } from "../../../sdk/attestation/intelQuote.ts";
import {
  buildIntelQuote,
  type EnclaveReportFields,
  p256PublicKeyXY,
  signP256,
  type TdReportFields,
} from "../../../sdk/attestation/intelQuoteBuilder.ts";
import {
  intelQuoteMeasurement,
  sgxMeasurement,
  tdxMeasurement,
} from "../../../sdk/attestation/measurement.ts";
import { encodeIntelEvidence } from "../../../sdk/attestation/onchain.ts";
import { TeeType } from "../../../sdk/types.ts";

const { viem, networkHelpers } = await network.create();

// ---------------------------------------------------------------------------------------------------
// Layout (docs/ATTESTATION.md, "Intel quotes"): offsets of the parts the contract reads.
// ---------------------------------------------------------------------------------------------------

type Kind = "tdx" | "sgx";
/** Byte offsets of one layout: signed region, quote signature, attestation key, QE report, auth data. */
function layout(kind: Kind) {
  const signed = kind === "tdx" ? 48 + 584 : 48 + 384;
  const signature = signed + 4;
  const attestationKey = signature + 64;
  const certificationHeader = attestationKey + 64; // TDX only: u16 type + u32 size
  const qeReport = kind === "tdx" ? certificationHeader + 6 : certificationHeader;
  const qeSignature = qeReport + 384;
  const authLength = qeSignature + 64;
  return { signed, signature, attestationKey, certificationHeader, qeReport, qeSignature, authLength };
}
const TDX = layout("tdx");
const SGX = layout("sgx");
// Offsets inside the TD report body (after the 48-byte header).
const TD_ATTRIBUTES = 48 + 120;

/** Where the QE authentication data ends (what the on-chain quote is cut to). */
function authEnd(quote: Uint8Array, kind: Kind): number {
  const l = layout(kind);
  return l.authLength + 2 + ((quote[l.authLength] as number) | ((quote[l.authLength + 1] as number) << 8));
}

// ---------------------------------------------------------------------------------------------------
// Keys, identities and quotes built here
// ---------------------------------------------------------------------------------------------------

const key = (byte: number) => new Uint8Array(32).fill(byte);
const ATTESTATION_KEY = key(0x11);
const PCK_KEY = key(0x22);
const OTHER_PCK_KEY = key(0x33);
const PCK = p256PublicKeyXY(PCK_KEY);
const OTHER_PCK = p256PublicKeyXY(OTHER_PCK_KEY);
/** Intel's TD quoting enclave and SGX quoting enclave (as in the real test vectors). */
const TDX_QE_MRSIGNER: Hex = "0xdc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5";
const SGX_QE_MRSIGNER: Hex = "0x8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff";
const ZERO32: Hex = `0x${"00".repeat(32)}`;
/** Not read on-chain; any bytes will do. */
const PEM = "-----BEGIN CERTIFICATE-----\nbm90IHJlYWQgb24tY2hhaW4=\n-----END CERTIFICATE-----\n";

const fill = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (seed + i * 13) & 0xff);
const MR_TD = fill(48, 1);
const RTMRS = [fill(48, 2), fill(48, 3), fill(48, 4), fill(48, 5)];
const MR_ENCLAVE = fill(32, 6);
const BINDING = keccak256(new TextEncoder().encode("job binding"));
const TDX_MEASUREMENT = tdxMeasurement({ mrTd: MR_TD, rtmrs: RTMRS });
const SGX_MEASUREMENT = sgxMeasurement({ mrEnclave: MR_ENCLAVE });

type QuoteOptions = {
  report?: TdReportFields | EnclaveReportFields;
  qeReport?: EnclaveReportFields;
  qeAuthData?: Uint8Array;
  pckKey?: Uint8Array;
};

/** A valid TDX quote (full, with the PEM chain) for BINDING, signed by our keys. */
function tdxQuote(o: QuoteOptions = {}): Uint8Array {
  return buildIntelQuote({
    body: {
      kind: "tdx",
      report: {
        mrTd: MR_TD,
        rtmrs: RTMRS,
        tdAttributes: Uint8Array.of(0, 0, 0, 0x10, 0, 0, 0, 0), // SEPT_VE_DISABLE, no DEBUG
        reportData: reportDataForBinding(BINDING),
        ...(o.report as TdReportFields | undefined),
      },
    },
    attestationKey: ATTESTATION_KEY,
    pckKey: o.pckKey ?? PCK_KEY,
    pckChainPem: PEM,
    qeReport: { mrSigner: hexBytes(TDX_QE_MRSIGNER), isvProdId: 2, ...o.qeReport },
    qeAuthData: o.qeAuthData,
  });
}

/** A valid SGX quote for BINDING, signed by our keys. */
function sgxQuote(o: QuoteOptions = {}): Uint8Array {
  return buildIntelQuote({
    body: {
      kind: "sgx",
      report: {
        mrEnclave: MR_ENCLAVE,
        attributes: Uint8Array.of(0x05, ...new Uint8Array(7), 0xe7, ...new Uint8Array(7)), // INIT | MODE64BIT
        reportData: reportDataForBinding(BINDING),
        ...(o.report as EnclaveReportFields | undefined),
      },
    },
    attestationKey: ATTESTATION_KEY,
    pckKey: o.pckKey ?? PCK_KEY,
    pckChainPem: PEM,
    qeReport: { mrSigner: hexBytes(SGX_QE_MRSIGNER), isvProdId: 1, ...o.qeReport },
    qeAuthData: o.qeAuthData,
  });
}

function hexBytes(hex: Hex): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}

const coordinates = (xy: Uint8Array): [bigint, bigint] => [
  BigInt(toHex(xy.subarray(0, 32))),
  BigInt(toHex(xy.subarray(32, 64))),
];

/** `abi.encode(bytes quote, uint256 pckX, uint256 pckY)`. */
function evidence(quote: Uint8Array, pck: Uint8Array = PCK): Hex {
  return encodeAbiParameters(
    [{ type: "bytes" }, { type: "uint256" }, { type: "uint256" }],
    [toHex(quote), ...coordinates(pck)],
  );
}

/** The quote cut right after the QE authentication data. */
const cut = (quote: Uint8Array, kind: Kind) => quote.slice(0, authEnd(quote, kind));

/** A copy with bit `bit` of byte `offset` flipped. */
function flip(quote: Uint8Array, offset: number, bit = 0): Uint8Array {
  const out = quote.slice();
  out[offset] = (out[offset] as number) ^ (1 << bit);
  return out;
}

/** Re-signs header ‖ body with the attestation key (after a deliberate body edit). */
function resignQuote(quote: Uint8Array, kind: Kind): Uint8Array {
  const l = layout(kind);
  const out = quote.slice();
  out.set(signP256(out.subarray(0, l.signed), ATTESTATION_KEY), l.signature);
  return out;
}

/** Re-signs the QE report with the PCK key (after a deliberate QE report edit). */
function resignQeReport(quote: Uint8Array, kind: Kind): Uint8Array {
  const l = layout(kind);
  const out = quote.slice();
  out.set(signP256(out.subarray(l.qeReport, l.qeSignature), PCK_KEY), l.qeSignature);
  return out;
}

const pckKeyHash = (xy: Uint8Array) =>
  keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], coordinates(xy)));

/** The name of the custom error a call reverted with. */
async function revertName(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof BaseError) {
      const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
      if (reverted instanceof ContractFunctionRevertedError) return reverted.data?.errorName ?? "(undecoded)";
    }
    throw error;
  }
  throw new assert.AssertionError({ message: "the call did not revert" });
}

// ---------------------------------------------------------------------------------------------------
// Deployment
// ---------------------------------------------------------------------------------------------------

const YEAR = 365n * 24n * 3600n;

async function latest(): Promise<bigint> {
  return BigInt(await networkHelpers.time.latest());
}

async function deploy() {
  const [owner, stranger] = await viem.getWalletClients();
  if (!owner || !stranger) throw new Error("need 2 accounts");
  const publicClient = await viem.getPublicClient();
  const verifier = await viem.deployContract("IntelQuoteVerifier", [
    owner.account.address,
    false,
    TDX_QE_MRSIGNER,
    SGX_QE_MRSIGNER,
  ]);
  const dev = await viem.deployContract("IntelQuoteVerifier", [
    owner.account.address,
    true,
    toHex(DEV_QE_MRSIGNER),
    ZERO32,
  ]);
  const harness = await viem.deployContract("TestIntelQuoteHarness", [
    owner.account.address,
    false,
    TDX_QE_MRSIGNER,
    SGX_QE_MRSIGNER,
  ]);
  const expiresAt = (await latest()) + YEAR;
  await verifier.write.registerPckKey([...coordinates(PCK), expiresAt]);
  await harness.write.registerPckKey([...coordinates(PCK), expiresAt]);
  await dev.write.registerPckKey([...coordinates(DEV_PCK_PUBLIC_KEY), expiresAt]);
  return { owner, stranger, publicClient, verifier, dev, harness, expiresAt };
}
const load = () => networkHelpers.loadFixture(deploy);

// ---------------------------------------------------------------------------------------------------
// Real test vectors
// ---------------------------------------------------------------------------------------------------

const VECTORS =
  process.env.BLIND_TRAINING_TEST_VECTORS ??
  join(import.meta.dirname, "..", "..", "..", "..", "shared", "test-vectors");
const vectorsSkip = existsSync(VECTORS)
  ? false
  : "test vectors folder absent: set BLIND_TRAINING_TEST_VECTORS";

/** A real quote, its parse, and its PCK public key (leaf of the embedded PEM chain). */
function realQuote(file: string) {
  const bytes = new Uint8Array(readFileSync(join(VECTORS, file)));
  const parsed = parseIntelQuote(bytes);
  const leaf = new TextDecoder()
    .decode(parsed.pckChainPem)
    .match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/);
  if (!leaf) throw new Error(`no PEM certificate in ${file}`);
  const certificate = new X509Certificate(leaf[0]);
  const jwk = certificate.publicKey.export({ format: "jwk" });
  if (!jwk.x || !jwk.y) throw new Error("not an EC key");
  const pck = new Uint8Array([...Buffer.from(jwk.x, "base64url"), ...Buffer.from(jwk.y, "base64url")]);
  const reportData = parsed.body.report.reportData;
  return {
    bytes,
    parsed,
    pck,
    pckNotAfter: BigInt(Math.floor(Date.parse(certificate.validTo) / 1000)),
    reportData: toHex(reportData.subarray(0, 32)),
    reportDataTail: toHex(reportData.subarray(32)),
    measurement: intelQuoteMeasurement(parsed),
  };
}

// ---------------------------------------------------------------------------------------------------

describe("IntelQuoteVerifier", () => {
  describe("deployment and PCK keys", () => {
    it("stores its mode and quoting-enclave identities, and refuses a zero TDX QE MRSIGNER", async () => {
      const { verifier, dev, owner } = await load();
      assert.equal(await verifier.read.development(), false);
      assert.equal(await verifier.read.tdxQeMrSigner(), TDX_QE_MRSIGNER);
      assert.equal(await verifier.read.sgxQeMrSigner(), SGX_QE_MRSIGNER);
      assert.equal(await dev.read.development(), true);
      assert.equal(await verifier.read.INTEL_QE_VENDOR_ID(), "0x939a7233f79c4ca9940a0db3957f0607");
      assert.equal(await verifier.read.owner(), getAddress(owner.account.address));
      await assert.rejects(
        viem.deployContract("IntelQuoteVerifier", [owner.account.address, false, ZERO32, SGX_QE_MRSIGNER]),
        (e: Error) => e.message.includes("IntelQuoteZeroQeMrSigner"),
      );
    });

    it("registers, re-registers and revokes PCK keys (owner only) with events, recording when", async () => {
      const { verifier, stranger, publicClient } = await load();
      const hash = pckKeyHash(OTHER_PCK);
      assert.equal(await verifier.read.pckKeyHash(coordinates(OTHER_PCK)), hash);
      assert.deepEqual(await verifier.read.pckKeyOf(coordinates(OTHER_PCK)), {
        expiresAt: 0n,
        revokedAt: 0n,
      });
      const expiresAt = (await latest()) + 1000n;
      await viem.assertions.emitWithArgs(
        verifier.write.registerPckKey([...coordinates(OTHER_PCK), expiresAt]),
        verifier,
        "PckKeyRegistered",
        [hash, ...coordinates(OTHER_PCK), expiresAt],
      );
      assert.deepEqual(await verifier.read.pckKeyOf(coordinates(OTHER_PCK)), { expiresAt, revokedAt: 0n });
      const revokedAt = (await latest()) + 5n;
      await networkHelpers.time.setNextBlockTimestamp(revokedAt);
      await viem.assertions.emitWithArgs(
        verifier.write.revokePckKey(coordinates(OTHER_PCK)),
        verifier,
        "PckKeyRevoked",
        [hash, ...coordinates(OTHER_PCK)],
      );
      assert.deepEqual(await verifier.read.pckKeyOf(coordinates(OTHER_PCK)), { expiresAt, revokedAt });
      // Revoking again keeps the first revocation's time and emits nothing.
      const again = await verifier.write.revokePckKey(coordinates(OTHER_PCK));
      assert.deepEqual((await publicClient.waitForTransactionReceipt({ hash: again })).logs, []);
      assert.deepEqual(await verifier.read.pckKeyOf(coordinates(OTHER_PCK)), { expiresAt, revokedAt });
      await verifier.write.registerPckKey([...coordinates(OTHER_PCK), expiresAt + 1n]);
      assert.deepEqual(await verifier.read.pckKeyOf(coordinates(OTHER_PCK)), {
        expiresAt: expiresAt + 1n,
        revokedAt: 0n,
      });
      const as = { account: stranger.account };
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.write.registerPckKey([...coordinates(OTHER_PCK), expiresAt], as),
        verifier,
        "OwnableUnauthorizedAccount",
        [stranger.account.address],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.write.revokePckKey(coordinates(PCK), as),
        verifier,
        "OwnableUnauthorizedAccount",
        [stranger.account.address],
      );
    });

    it("refuses an expiry not in the future, a point off the curve, and revoking an unknown key", async () => {
      const { verifier } = await load();
      const t = (await latest()) + 10n;
      await networkHelpers.time.setNextBlockTimestamp(t);
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.write.registerPckKey([...coordinates(OTHER_PCK), t]),
        verifier,
        "IntelQuoteExpiryInPast",
        [t, t],
      );
      const [x, y] = coordinates(OTHER_PCK);
      const p = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
      for (const [bx, by] of [
        [x, y + 1n],
        [0n, 0n],
        [p, y], // coordinates must be reduced mod p
        [x, p],
        [2n ** 256n - 1n, y],
      ] as const) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          verifier.write.registerPckKey([bx, by, t + 100n]),
          verifier,
          "IntelQuoteInvalidPckKey",
          [bx, by],
        );
      }
      // The other point with this x (y → p − y) is on the curve.
      await verifier.write.registerPckKey([x, p - y, t + 100n]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.write.revokePckKey(coordinates(OTHER_PCK)),
        verifier,
        "IntelQuotePckKeyUnknown",
        [pckKeyHash(OTHER_PCK)],
      );
    });
  });

  describe("quotes built here", () => {
    it("accepts a TDX quote, full or cut after the QE auth data, and returns keccak256(MRTD ‖ RTMR0..3)", async () => {
      const { verifier } = await load();
      const quote = tdxQuote();
      assert.equal(authEnd(quote, "tdx"), TDX.authLength + 2 + 32);
      assert.equal(
        authEnd(quote, "tdx"),
        parseIntelQuote(quote).qeAuthDataEnd,
        "our layout = the SDK's parser",
      );
      for (const q of [quote, cut(quote, "tdx")]) {
        assert.equal(
          await verifier.read.verifyEvidence([TeeType.Tdx, evidence(q), BINDING]),
          TDX_MEASUREMENT,
        );
      }
      // The SDK's encoding is what the contract reads.
      assert.equal(
        await verifier.read.verifyEvidence([TeeType.Tdx, encodeIntelEvidence(quote, PCK), BINDING]),
        TDX_MEASUREMENT,
      );
      // Empty or long QE authentication data.
      for (const qeAuthData of [new Uint8Array(0), fill(300, 9)]) {
        assert.equal(
          await verifier.read.verifyEvidence([
            TeeType.Tdx,
            evidence(cut(tdxQuote({ qeAuthData }), "tdx")),
            BINDING,
          ]),
          TDX_MEASUREMENT,
        );
      }
    });

    it("accepts an SGX quote and returns MRENCLAVE", async () => {
      const { verifier } = await load();
      const quote = sgxQuote();
      assert.equal(authEnd(quote, "sgx"), SGX.authLength + 2 + 32);
      assert.equal(
        authEnd(quote, "sgx"),
        parseIntelQuote(quote).qeAuthDataEnd,
        "our layout = the SDK's parser",
      );
      for (const q of [quote, cut(quote, "sgx")]) {
        assert.equal(
          await verifier.read.verifyEvidence([TeeType.Sgx, evidence(q), BINDING]),
          SGX_MEASUREMENT,
        );
      }
    });

    it("a development instance accepts the Simulated TEE's quotes only; production refuses them", async () => {
      const { verifier, dev } = await load();
      const quote = buildSimulatedQuote({ reportData: reportDataForBinding(BINDING) });
      const ev = evidence(cut(quote, "tdx"), DEV_PCK_PUBLIC_KEY);
      assert.equal(await dev.read.verifyEvidence([TeeType.Simulated, ev, BINDING]), SIMULATED_MEASUREMENT);
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.Simulated, ev, BINDING]),
        verifier,
        "IntelQuoteWrongMode",
        [TeeType.Simulated, false],
      );
      for (const t of [TeeType.Tdx, TeeType.Sgx]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          dev.read.verifyEvidence([t, evidence(tdxQuote()), BINDING]),
          dev,
          "IntelQuoteWrongMode",
          [t, true],
        );
      }
      // The development instance holds the development QE identity: a quote from "Intel's" QE is refused.
      await dev.write.registerPckKey([...coordinates(PCK), (await latest()) + 100n]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        dev.read.verifyEvidence([TeeType.Simulated, evidence(tdxQuote()), BINDING]),
        dev,
        "IntelQuoteQeMrSignerMismatch",
        [TDX_QE_MRSIGNER, toHex(DEV_QE_MRSIGNER)],
      );
    });

    it("refuses TEE types it never handles, and SGX when no SGX QE MRSIGNER is set", async () => {
      const { verifier, dev, owner } = await load();
      for (const v of [verifier, dev]) {
        for (const t of [TeeType.None, TeeType.SevSnp]) {
          await viem.assertions.revertWithCustomErrorWithArgs(
            v.read.verifyEvidence([t, evidence(tdxQuote()), BINDING]),
            v,
            "IntelQuoteUnsupportedTeeType",
            [t],
          );
        }
      }
      const tdxOnly = await viem.deployContract("IntelQuoteVerifier", [
        owner.account.address,
        false,
        TDX_QE_MRSIGNER,
        ZERO32,
      ]);
      await tdxOnly.write.registerPckKey([...coordinates(PCK), (await latest()) + 100n]);
      assert.equal(
        await tdxOnly.read.verifyEvidence([TeeType.Tdx, evidence(tdxQuote()), BINDING]),
        TDX_MEASUREMENT,
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        tdxOnly.read.verifyEvidence([TeeType.Sgx, evidence(sgxQuote()), BINDING]),
        tdxOnly,
        "IntelQuoteUnsupportedTeeType",
        [TeeType.Sgx],
      );
    });
  });

  describe("refusals", () => {
    it("refuses a quote whose layout does not match the claimed TEE type (version, TEE type)", async () => {
      const { verifier } = await load();
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.Sgx, evidence(tdxQuote()), BINDING]),
        verifier,
        "IntelQuoteUnsupportedVersion",
        [4, 3],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.Tdx, evidence(sgxQuote()), BINDING]),
        verifier,
        "IntelQuoteUnsupportedVersion",
        [3, 4],
      );
      const tdxWithSgxType = tdxQuote();
      tdxWithSgxType[4] = 0;
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.Tdx, evidence(resignQuote(tdxWithSgxType, "tdx")), BINDING]),
        verifier,
        "IntelQuoteTeeTypeMismatch",
        [0, 0x81],
      );
      const sgxWithTdxType = sgxQuote();
      sgxWithTdxType[4] = 0x81;
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.Sgx, evidence(resignQuote(sgxWithTdxType, "sgx")), BINDING]),
        verifier,
        "IntelQuoteTeeTypeMismatch",
        [0x81, 0],
      );
    });

    it("refuses another attestation key type and another QE vendor, even when signed", async () => {
      const { verifier } = await load();
      const keyType = tdxQuote();
      keyType[2] = 3; // ECDSA-384
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.Tdx, evidence(resignQuote(keyType, "tdx")), BINDING]),
        verifier,
        "IntelQuoteUnsupportedAttestationKeyType",
        [3],
      );
      const vendor = tdxQuote();
      vendor[27] = (vendor[27] as number) ^ 0xff;
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.Tdx, evidence(resignQuote(vendor, "tdx")), BINDING]),
        verifier,
        "IntelQuoteUnknownQeVendor",
        ["0x939a7233f79c4ca9940a0db3957f06f8"],
      );
    });

    it("refuses debug TDs and debug enclaves", async () => {
      const { verifier } = await load();
      await viem.assertions.revertWithCustomError(
        verifier.read.verifyEvidence([
          TeeType.Tdx,
          evidence(tdxQuote({ report: { tdAttributes: Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0) } })),
          BINDING,
        ]),
        verifier,
        "IntelQuoteDebugEnclave",
      );
      const debugSgx = Uint8Array.of(0x07, ...new Uint8Array(15)); // INIT | DEBUG | MODE64BIT
      await viem.assertions.revertWithCustomError(
        verifier.read.verifyEvidence([
          TeeType.Sgx,
          evidence(sgxQuote({ report: { attributes: debugSgx } })),
          BINDING,
        ]),
        verifier,
        "IntelQuoteDebugEnclave",
      );
      // Other attribute bits do not matter (SGX bit 0 is INIT, TD byte 0 bit 1 is reserved).
      assert.equal(
        await verifier.read.verifyEvidence([
          TeeType.Tdx,
          evidence(tdxQuote({ report: { tdAttributes: Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0x40) } })),
          BINDING,
        ]),
        TDX_MEASUREMENT,
      );
    });

    it("refuses report data that is not the job binding followed by 32 zero bytes", async () => {
      const { verifier } = await load();
      const other = keccak256(new TextEncoder().encode("another job"));
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.Tdx, evidence(tdxQuote()), other]),
        verifier,
        "IntelQuoteReportDataMismatch",
        [BINDING, ZERO32, other],
      );
      const tail = new Uint8Array(32).fill(0);
      tail[31] = 1;
      const reportData = new Uint8Array([...hexBytes(BINDING), ...tail]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.Tdx, evidence(tdxQuote({ report: { reportData } })), BINDING]),
        verifier,
        "IntelQuoteReportDataMismatch",
        [BINDING, toHex(tail), BINDING],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.Sgx, evidence(sgxQuote({ report: { reportData } })), BINDING]),
        verifier,
        "IntelQuoteReportDataMismatch",
        [BINDING, toHex(tail), BINDING],
      );
    });

    it("refuses a quote signed by another attestation key than the one it carries", async () => {
      const { verifier } = await load();
      const quote = tdxQuote();
      quote.set(signP256(quote.subarray(0, TDX.signed), key(0x44)), TDX.signature);
      await viem.assertions.revertWithCustomError(
        verifier.read.verifyEvidence([TeeType.Tdx, evidence(quote), BINDING]),
        verifier,
        "IntelQuoteSignatureInvalid",
      );
      // A zero signature (r = s = 0) is refused by the precompile.
      const zero = tdxQuote();
      zero.fill(0, TDX.signature, TDX.signature + 64);
      await viem.assertions.revertWithCustomError(
        verifier.read.verifyEvidence([TeeType.Tdx, evidence(zero), BINDING]),
        verifier,
        "IntelQuoteSignatureInvalid",
      );
    });

    it("refuses a QE report not signed by the PCK key given, and a v4 certification data type other than 6", async () => {
      const { verifier } = await load();
      await verifier.write.registerPckKey([...coordinates(OTHER_PCK), (await latest()) + 100n]);
      // Signed by PCK_KEY, presented with OTHER_PCK (registered).
      await viem.assertions.revertWithCustomError(
        verifier.read.verifyEvidence([TeeType.Tdx, evidence(tdxQuote(), OTHER_PCK), BINDING]),
        verifier,
        "IntelQuoteQeReportSignatureInvalid",
      );
      await viem.assertions.revertWithCustomError(
        verifier.read.verifyEvidence([TeeType.Sgx, evidence(sgxQuote({ pckKey: OTHER_PCK_KEY })), BINDING]),
        verifier,
        "IntelQuoteQeReportSignatureInvalid",
      );
      const certType = tdxQuote();
      certType[TDX.certificationHeader] = 5;
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.Tdx, evidence(certType), BINDING]),
        verifier,
        "IntelQuoteUnsupportedCertificationDataType",
        [5],
      );
    });

    it("refuses a QE report that does not bind the attestation key and the QE auth data", async () => {
      const { verifier } = await load();
      // The QE auth data is signed by nothing but the binding: changing it breaks the binding.
      for (const [quote, kind, t] of [
        [tdxQuote(), "tdx", TeeType.Tdx],
        [sgxQuote(), "sgx", TeeType.Sgx],
      ] as const) {
        const l = layout(kind);
        await viem.assertions.revertWithCustomError(
          verifier.read.verifyEvidence([t, evidence(flip(quote, l.authLength + 2 + 5)), BINDING]),
          verifier,
          "IntelQuoteAttestationKeyBindingInvalid",
        );
        // A QE report (validly PCK-signed) whose report data has a non-zero second half.
        const tail = resignQeReport(flip(quote, l.qeReport + 320 + 63), kind);
        await viem.assertions.revertWithCustomError(
          verifier.read.verifyEvidence([t, evidence(tail), BINDING]),
          verifier,
          "IntelQuoteAttestationKeyBindingInvalid",
        );
        // A QE report (validly PCK-signed) binding another attestation key.
        const otherKey = quote.slice();
        otherKey.set(sha256(new Uint8Array(10)), l.qeReport + 320);
        await viem.assertions.revertWithCustomError(
          verifier.read.verifyEvidence([t, evidence(resignQeReport(otherKey, kind)), BINDING]),
          verifier,
          "IntelQuoteAttestationKeyBindingInvalid",
        );
      }
    });

    it("refuses a quoting enclave with another MRSIGNER or ISVPRODID", async () => {
      const { verifier } = await load();
      const other = `0x${"ab".repeat(32)}` as Hex;
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([
          TeeType.Tdx,
          evidence(tdxQuote({ qeReport: { mrSigner: hexBytes(other) } })),
          BINDING,
        ]),
        verifier,
        "IntelQuoteQeMrSignerMismatch",
        [other, TDX_QE_MRSIGNER],
      );
      // The SGX QE's MRSIGNER is not the TD QE's (and vice versa).
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([
          TeeType.Sgx,
          evidence(sgxQuote({ qeReport: { mrSigner: hexBytes(TDX_QE_MRSIGNER) } })),
          BINDING,
        ]),
        verifier,
        "IntelQuoteQeMrSignerMismatch",
        [TDX_QE_MRSIGNER, SGX_QE_MRSIGNER],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([
          TeeType.Tdx,
          evidence(tdxQuote({ qeReport: { isvProdId: 1 } })),
          BINDING,
        ]),
        verifier,
        "IntelQuoteQeProductIdMismatch",
        [1, 2],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([
          TeeType.Sgx,
          evidence(sgxQuote({ qeReport: { isvProdId: 0x0102 } })),
          BINDING,
        ]),
        verifier,
        "IntelQuoteQeProductIdMismatch",
        [0x0102, 1],
      );
    });

    it("refuses unknown, revoked and expired PCK keys", async () => {
      const { verifier, expiresAt } = await load();
      const ev = evidence(tdxQuote());
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([
          TeeType.Tdx,
          evidence(tdxQuote({ pckKey: OTHER_PCK_KEY }), OTHER_PCK),
          BINDING,
        ]),
        verifier,
        "IntelQuotePckKeyUnknown",
        [pckKeyHash(OTHER_PCK)],
      );
      await networkHelpers.time.increaseTo(expiresAt);
      assert.equal(await verifier.read.verifyEvidence([TeeType.Tdx, ev, BINDING]), TDX_MEASUREMENT);
      await networkHelpers.time.increaseTo(expiresAt + 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.Tdx, ev, BINDING]),
        verifier,
        "IntelQuotePckKeyExpired",
        [pckKeyHash(PCK), expiresAt],
      );
      await verifier.write.registerPckKey([...coordinates(PCK), expiresAt + 1000n]);
      assert.equal(await verifier.read.verifyEvidence([TeeType.Tdx, ev, BINDING]), TDX_MEASUREMENT);
      await verifier.write.revokePckKey(coordinates(PCK));
      const revokedAt = await latest();
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.Tdx, ev, BINDING]),
        verifier,
        "AttestationRevoked",
        [pckKeyHash(PCK), revokedAt],
      );
      // Revoked while still valid: still reported as revoked once it has expired too.
      await networkHelpers.time.increaseTo(expiresAt + 1001n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.Tdx, ev, BINDING]),
        verifier,
        "AttestationRevoked",
        [pckKeyHash(PCK), revokedAt],
      );
    });

    it("reports a revoked PCK key only for otherwise valid evidence, and an expiry that came first", async () => {
      const { verifier, harness } = await load();
      await verifier.write.revokePckKey(coordinates(PCK));
      await harness.write.revokePckKey(coordinates(PCK));
      const revokedAt = await latest();
      // Evidence for another job, or a bad quote signature: those are reported, not the revocation.
      const otherJob = keccak256(new TextEncoder().encode("another job"));
      await viem.assertions.revertWithCustomError(
        verifier.read.verifyEvidence([TeeType.Tdx, evidence(tdxQuote()), otherJob]),
        verifier,
        "IntelQuoteReportDataMismatch",
      );
      await viem.assertions.revertWithCustomError(
        verifier.read.verifyEvidence([TeeType.Tdx, evidence(flip(tdxQuote(), TDX.signature)), BINDING]),
        verifier,
        "IntelQuoteSignatureInvalid",
      );
      // The harness's "every check but the report data" includes the key's status.
      await viem.assertions.revertWithCustomErrorWithArgs(
        harness.read.verifyQuote([TeeType.Tdx, evidence(tdxQuote())]),
        harness,
        "AttestationRevoked",
        [pckKeyHash(PCK), revokedAt],
      );
      // A key that expired before it was revoked is reported as expired.
      const t = (await latest()) + 10n;
      await verifier.write.registerPckKey([...coordinates(OTHER_PCK), t]);
      await networkHelpers.time.increaseTo(t + 1n);
      await verifier.write.revokePckKey(coordinates(OTHER_PCK));
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([
          TeeType.Tdx,
          evidence(tdxQuote({ pckKey: OTHER_PCK_KEY }), OTHER_PCK),
          BINDING,
        ]),
        verifier,
        "IntelQuotePckKeyExpired",
        [pckKeyHash(OTHER_PCK), t],
      );
    });

    it("cannot be renounced: renounceOwnership reverts with GovernedRenounceDisabled", async () => {
      const { verifier, owner, stranger } = await load();
      await viem.assertions.revertWithCustomError(
        verifier.read.renounceOwnership({ account: owner.account.address }),
        verifier,
        "GovernedRenounceDisabled",
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.renounceOwnership({ account: stranger.account.address }),
        verifier,
        "OwnableUnauthorizedAccount",
        [getAddress(stranger.account.address)],
      );
      assert.equal(await verifier.read.owner(), getAddress(owner.account.address));
    });

    it("refuses every quote cut short, naming the read that would pass the end, and never reads past the auth data", async () => {
      const { verifier } = await load();
      const tdx = cut(tdxQuote(), "tdx");
      assert.equal(tdx.length, 1252);
      const cases: [Kind, Uint8Array, number, [number, number]][] = [
        ["tdx", tdx, 0, [0, 48]],
        ["tdx", tdx, 47, [0, 48]],
        ["tdx", tdx, 48, [48, 584]],
        ["tdx", tdx, 631, [48, 584]],
        ["tdx", tdx, 632, [636, 128]],
        ["tdx", tdx, 763, [636, 128]],
        ["tdx", tdx, 764, [764, 6]],
        ["tdx", tdx, 769, [764, 6]],
        ["tdx", tdx, 770, [770, 450]],
        ["tdx", tdx, 1219, [770, 450]],
        ["tdx", tdx, 1220, [1220, 32]],
        ["tdx", tdx, 1251, [1220, 32]],
      ];
      const sgx = cut(sgxQuote(), "sgx");
      assert.equal(sgx.length, 1046);
      cases.push(
        ["sgx", sgx, 431, [48, 384]],
        ["sgx", sgx, 563, [436, 128]],
        ["sgx", sgx, 1013, [564, 450]],
        ["sgx", sgx, 1045, [1014, 32]],
      );
      for (const [kind, quote, length, [offset, needed]] of cases) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          verifier.read.verifyEvidence([
            kind === "tdx" ? TeeType.Tdx : TeeType.Sgx,
            evidence(quote.subarray(0, length)),
            BINDING,
          ]),
          verifier,
          "IntelQuoteTruncated",
          [BigInt(offset), BigInt(needed), BigInt(length)],
        );
      }
      // A QE auth data length pointing past the end.
      const long = tdx.slice();
      long[TDX.authLength + 1] = 1; // 32 + 256
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.Tdx, evidence(long), BINDING]),
        verifier,
        "IntelQuoteTruncated",
        [1220n, 288n, 1252n],
      );
    });

    it("refuses evidence that is not abi.encode(bytes, uint256, uint256) with in-bounds bytes", async () => {
      const { verifier } = await load();
      const good = evidence(cut(tdxQuote(), "tdx"));
      const word = (n: bigint) => n.toString(16).padStart(64, "0");
      const body = good.slice(2);
      for (const bad of [
        "0x",
        `0x${body.slice(0, 0x80 * 2 - 2)}`, // 127 bytes
        `0x${word(2n ** 255n)}${body.slice(64)}`, // offset far out
        `0x${word(BigInt(body.length / 2 - 31))}${body.slice(64)}`, // length word not inside
        `0x${body.slice(0, 0x60 * 2)}${word(BigInt(body.length / 2))}${body.slice(0x80 * 2)}`, // length too big
        `0x${body.slice(0, 0x60 * 2)}${word(2n ** 256n - 1n)}${body.slice(0x80 * 2)}`, // length overflow
      ] as Hex[]) {
        await viem.assertions.revertWithCustomError(
          verifier.read.verifyEvidence([TeeType.Tdx, bad, BINDING]),
          verifier,
          "IntelQuoteMalformedEvidence",
        );
      }
      // Trailing bytes after the encoding are harmless.
      assert.equal(
        await verifier.read.verifyEvidence([TeeType.Tdx, `${good}00ff`, BINDING]),
        TDX_MEASUREMENT,
      );
    });

    it("refuses a single flipped bit at 70 positions over header, body, signatures, key, QE report and auth data", async () => {
      const { verifier } = await load();
      const quote = cut(tdxQuote(), "tdx");
      const positions: [number, number, string][] = [];
      const headerError = (o: number) =>
        o < 2
          ? "IntelQuoteUnsupportedVersion"
          : o < 4
            ? "IntelQuoteUnsupportedAttestationKeyType"
            : o < 8
              ? "IntelQuoteTeeTypeMismatch"
              : o >= 12 && o < 28
                ? "IntelQuoteUnknownQeVendor"
                : "IntelQuoteSignatureInvalid";
      for (const o of [0, 1, 2, 3, 4, 6, 7, 8, 9, 11, 12, 19, 27, 28, 36, 47])
        positions.push([o, o % 8, headerError(o)]);
      // Body: every 23rd byte, plus TD attributes bit 0 (DEBUG) and the report data.
      for (let o = 48; o < TDX.signed; o += 23) positions.push([o, o % 8, "IntelQuoteSignatureInvalid"]);
      positions.push([TD_ATTRIBUTES, 0, "IntelQuoteDebugEnclave"]);
      positions.push([TD_ATTRIBUTES, 1, "IntelQuoteSignatureInvalid"]);
      positions.push([48 + 520, 0, "IntelQuoteSignatureInvalid"]);
      positions.push([48 + 583, 7, "IntelQuoteSignatureInvalid"]);
      // Quote signature and attestation key.
      for (const o of [TDX.signature, TDX.signature + 40, TDX.attestationKey, TDX.attestationKey + 63]) {
        positions.push([o, 3, "IntelQuoteSignatureInvalid"]);
      }
      // QE report (every 29th byte and its report data) and its signature.
      for (let o = TDX.qeReport; o < TDX.qeSignature; o += 29) {
        positions.push([o, o % 8, "IntelQuoteQeReportSignatureInvalid"]);
      }
      positions.push([TDX.qeReport + 320, 0, "IntelQuoteQeReportSignatureInvalid"]);
      positions.push([TDX.qeReport + 383, 7, "IntelQuoteQeReportSignatureInvalid"]);
      positions.push([TDX.qeSignature + 1, 2, "IntelQuoteQeReportSignatureInvalid"]);
      positions.push([TDX.qeSignature + 63, 0, "IntelQuoteQeReportSignatureInvalid"]);
      // QE auth data.
      positions.push([TDX.authLength + 2, 0, "IntelQuoteAttestationKeyBindingInvalid"]);
      positions.push([TDX.authLength + 2 + 31, 5, "IntelQuoteAttestationKeyBindingInvalid"]);
      assert.ok(positions.length >= 70, `${positions.length} positions`);
      for (const [offset, bit, expected] of positions) {
        const name = await revertName(
          verifier.read.verifyEvidence([TeeType.Tdx, evidence(flip(quote, offset, bit)), BINDING]),
        );
        assert.ok(name.startsWith("IntelQuote"), `byte ${offset} bit ${bit}: ${name}`);
        assert.equal(name, expected, `byte ${offset} bit ${bit}`);
      }
    });
  });

  describe("through the EnclaveRegistry", () => {
    async function registry() {
      const d = await load();
      const enclaveRegistry = await viem.deployContract("EnclaveRegistry", [d.owner.account.address]);
      await enclaveRegistry.write.setVerifier([TeeType.Tdx, d.verifier.address]);
      await enclaveRegistry.write.setVerifier([TeeType.Sgx, d.verifier.address]);
      const until = (await latest()) + 3600n;
      await enclaveRegistry.write.allowMeasurement([TeeType.Tdx, TDX_MEASUREMENT, until]);
      await enclaveRegistry.write.allowMeasurement([TeeType.Sgx, SGX_MEASUREMENT, until]);
      return { ...d, enclaveRegistry };
    }

    it("returns the allow-listed measurement of TDX and SGX quotes (gas printed)", async () => {
      const { enclaveRegistry, verifier, publicClient } = await registry();
      const tdx = evidence(cut(tdxQuote(), "tdx"));
      const sgx = evidence(cut(sgxQuote(), "sgx"));
      assert.equal(await enclaveRegistry.read.verifyEvidence([TeeType.Tdx, tdx, BINDING]), TDX_MEASUREMENT);
      assert.equal(await enclaveRegistry.read.verifyEvidence([TeeType.Sgx, sgx, BINDING]), SGX_MEASUREMENT);
      // eth_estimateGas of the view call, as a transaction would pay it (view functions are not
      // accepted by viem's estimateContractGas). `verifyEvidence` has the same selector on both contracts.
      const gas = (to: Hex, teeType: number, ev: Hex) =>
        publicClient.estimateGas({
          to,
          data: encodeFunctionData({
            abi: verifier.abi,
            functionName: "verifyEvidence",
            args: [teeType, ev, BINDING],
          }),
        });
      const viaRegistry = {
        tdx: await gas(enclaveRegistry.address, TeeType.Tdx, tdx),
        sgx: await gas(enclaveRegistry.address, TeeType.Sgx, sgx),
      };
      const direct = {
        tdx: await gas(verifier.address, TeeType.Tdx, tdx),
        sgx: await gas(verifier.address, TeeType.Sgx, sgx),
      };
      console.log(
        `      gas (eth_estimateGas, incl. 21k + calldata): registry.verifyEvidence TDX ${viaRegistry.tdx} ` +
          `(${(tdx.length - 2) / 2} B evidence), SGX ${viaRegistry.sgx} (${(sgx.length - 2) / 2} B); ` +
          `verifier alone TDX ${direct.tdx}, SGX ${direct.sgx}`,
      );
      assert.ok(viaRegistry.tdx < 150_000n, `TDX verification costs ${viaRegistry.tdx} gas`);
      assert.ok(viaRegistry.sgx < 150_000n, `SGX verification costs ${viaRegistry.sgx} gas`);
    });

    it("bubbles the verifier's errors up: revoked PCK key (AttestationRevoked), wrong mode, measurement not allowed", async () => {
      const { enclaveRegistry, verifier, dev } = await registry();
      const ev = evidence(cut(tdxQuote(), "tdx"));
      await verifier.write.revokePckKey(coordinates(PCK));
      const revokedAt = await latest();
      await viem.assertions.revertWithCustomErrorWithArgs(
        enclaveRegistry.read.verifyEvidence([TeeType.Tdx, ev, BINDING]),
        verifier,
        "AttestationRevoked",
        [pckKeyHash(PCK), revokedAt],
      );
      // A valid quote of a TD that is not allow-listed.
      await verifier.write.registerPckKey([...coordinates(OTHER_PCK), (await latest()) + 100n]);
      const otherMeasurement = tdxMeasurement({ mrTd: fill(48, 99), rtmrs: RTMRS });
      await viem.assertions.revertWithCustomErrorWithArgs(
        enclaveRegistry.read.verifyEvidence([
          TeeType.Tdx,
          evidence(tdxQuote({ report: { mrTd: fill(48, 99) }, pckKey: OTHER_PCK_KEY }), OTHER_PCK),
          BINDING,
        ]),
        enclaveRegistry,
        "EnclaveRegistryMeasurementNotAllowed",
        [TeeType.Tdx, otherMeasurement],
      );
      // The development instance plugged in for TDX refuses real TDX evidence.
      await enclaveRegistry.write.setVerifier([TeeType.Tdx, dev.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        enclaveRegistry.read.verifyEvidence([TeeType.Tdx, ev, BINDING]),
        dev,
        "IntelQuoteWrongMode",
        [TeeType.Tdx, true],
      );
      // The production instance plugged in for Simulated refuses Simulated evidence.
      await enclaveRegistry.write.setSimulatedEnabled([true]);
      await enclaveRegistry.write.setVerifier([TeeType.Simulated, verifier.address]);
      const simulated = evidence(
        cut(buildSimulatedQuote({ reportData: reportDataForBinding(BINDING) }), "tdx"),
        DEV_PCK_PUBLIC_KEY,
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        enclaveRegistry.read.verifyEvidence([TeeType.Simulated, simulated, BINDING]),
        verifier,
        "IntelQuoteWrongMode",
        [TeeType.Simulated, false],
      );
      // With the development instance, Simulated evidence goes through.
      await enclaveRegistry.write.setVerifier([TeeType.Simulated, dev.address]);
      await enclaveRegistry.write.allowMeasurement([
        TeeType.Simulated,
        SIMULATED_MEASUREMENT,
        (await latest()) + 100n,
      ]);
      assert.equal(
        await enclaveRegistry.read.verifyEvidence([TeeType.Simulated, simulated, BINDING]),
        SIMULATED_MEASUREMENT,
      );
    });
  });

  describe("real quotes (shared test vectors)", () => {
    for (const [file, kind, teeType] of [
      ["tdx/tdx_prod_quote_SPR_E4.dat", "tdx", TeeType.Tdx],
      ["sgx/sgx_quote_v3.dat", "sgx", TeeType.Sgx],
    ] as const) {
      it(`${file}: every check passes but the report data, which is no job binding`, {
        skip: vectorsSkip,
      }, async () => {
        const { harness } = await load();
        const q = realQuote(file);
        assert.equal(q.parsed.body.kind, kind);
        assert.equal(authEnd(q.bytes, kind), q.parsed.qeAuthDataEnd, "our layout = the SDK's parser");
        assert.notEqual(q.reportDataTail, ZERO32, "the vector's report data has a non-zero second half");
        await harness.write.registerPckKey([...coordinates(q.pck), q.pckNotAfter]);
        for (const bytes of [q.bytes, cut(q.bytes, kind)]) {
          const ev = evidence(bytes, q.pck);
          assert.equal(await harness.read.checkQuoteSignature([ev, kind === "tdx"]), true);
          assert.equal(await harness.read.checkQeReportSignature([ev, kind === "tdx"]), true);
          assert.equal(await harness.read.checkAttestationKeyBinding([ev, kind === "tdx"]), true);
          assert.deepEqual(await harness.read.verifyQuote([teeType, ev]), [
            q.measurement,
            q.reportData,
            q.reportDataTail,
          ]);
          await viem.assertions.revertWithCustomErrorWithArgs(
            harness.read.verifyEvidence([teeType, ev, q.reportData]),
            harness,
            "IntelQuoteReportDataMismatch",
            [q.reportData, q.reportDataTail, q.reportData],
          );
        }
        // One flipped bit in the body, the QE report or the QE auth data is caught.
        const l = layout(kind);
        const ev = (b: Uint8Array) => evidence(cut(b, kind), q.pck);
        await viem.assertions.revertWithCustomError(
          harness.read.verifyQuote([teeType, ev(flip(q.bytes, 48 + 100))]),
          harness,
          "IntelQuoteSignatureInvalid",
        );
        await viem.assertions.revertWithCustomError(
          harness.read.verifyQuote([teeType, ev(flip(q.bytes, l.qeReport + 100))]),
          harness,
          "IntelQuoteQeReportSignatureInvalid",
        );
        await viem.assertions.revertWithCustomError(
          harness.read.verifyQuote([teeType, ev(flip(q.bytes, l.authLength + 3))]),
          harness,
          "IntelQuoteAttestationKeyBindingInvalid",
        );
      });
    }

    it("the real quotes' measurements are as documented", { skip: vectorsSkip }, async () => {
      const { harness } = await load();
      const sgx = realQuote("sgx/sgx_quote_v3.dat");
      assert.equal(sgx.measurement, "0x3e7830a35057b9938d0fd849d13e3d82dc4abba812f8ffebbbb3d0e5ff1dd661");
      const tdx = realQuote("tdx/tdx_prod_quote_SPR_E4.dat");
      assert.equal(tdx.reportData, "0x6c62dec1b8191749a31dab490be532a35944dea47caef1f980863993d9899545");
      assert.equal(toHex(tdx.parsed.qeReport.mrSigner), TDX_QE_MRSIGNER);
      assert.equal(toHex(sgx.parsed.qeReport.mrSigner), SGX_QE_MRSIGNER);
      // Another PCK key (registered) does not verify the real QE report.
      await harness.write.registerPckKey([...coordinates(OTHER_PCK), (await latest()) + 100n]);
      await viem.assertions.revertWithCustomError(
        harness.read.verifyQuote([TeeType.Tdx, evidence(tdx.bytes, OTHER_PCK)]),
        harness,
        "IntelQuoteQeReportSignatureInvalid",
      );
    });
  });
});

describe("P256 library", () => {
  const message = new TextEncoder().encode("P256 library");
  const digest = toHex(sha256(message));
  const signature = signP256(message, PCK_KEY);
  const r = toHex(signature.subarray(0, 32));
  const s = toHex(signature.subarray(32));
  const x = toHex(PCK.subarray(0, 32));
  const y = toHex(PCK.subarray(32));

  it("is true for a valid signature and false for anything else (never reverts)", async () => {
    const { harness } = await load();
    assert.equal(await harness.read.p256Verify([digest, r, s, x, y]), true);
    // The high-s twin of a valid signature is valid too (no malleability rule in EIP-7951).
    const n = p256.Point.CURVE().n;
    const highS = toHex(n - BigInt(s), { size: 32 });
    assert.equal(await harness.read.p256Verify([digest, r, highS, x, y]), true);
    const wrongDigest = toHex(sha256(new TextEncoder().encode("another message")));
    for (const args of [
      [wrongDigest, r, s, x, y],
      [digest, s, r, x, y],
      [digest, ZERO32, s, x, y],
      [digest, r, ZERO32, x, y],
      [digest, toHex(n, { size: 32 }), s, x, y],
      [digest, r, s, y, x], // not a curve point
      [digest, r, s, ZERO32, ZERO32],
      [digest, r, s, toHex(OTHER_PCK.subarray(0, 32)), toHex(OTHER_PCK.subarray(32))],
    ] as [Hex, Hex, Hex, Hex, Hex][]) {
      assert.equal(await harness.read.p256Verify(args), false);
    }
  });

  it("fails closed on a chain without the P-256 precompile (Prague)", async () => {
    const prague = await network.create({ override: { hardfork: "prague" } });
    try {
      const [owner] = await prague.viem.getWalletClients();
      if (!owner) throw new Error("no account");
      const harness = await prague.viem.deployContract("TestIntelQuoteHarness", [
        owner.account.address,
        false,
        TDX_QE_MRSIGNER,
        SGX_QE_MRSIGNER,
      ]);
      assert.equal(await harness.read.p256Verify([digest, r, s, x, y]), false);
      await harness.write.registerPckKey([...coordinates(PCK), BigInt(Math.floor(Date.now() / 1000)) + YEAR]);
      await prague.viem.assertions.revertWithCustomError(
        harness.read.verifyEvidence([TeeType.Tdx, evidence(cut(tdxQuote(), "tdx")), BINDING]),
        harness,
        "IntelQuoteSignatureInvalid",
      );
    } finally {
      await prague.close();
    }
  });
});
