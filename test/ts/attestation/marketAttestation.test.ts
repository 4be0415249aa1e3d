// End to end: the MARKET accepts attestation for the production TEE types only through the real
// verifiers of the LocalDevnet deployment (docs/ATTESTATION.md, "On-chain"):
//   - TDX through the production-mode IntelQuoteVerifier: a test platform (its own root → platform
//     CA → PCK chain, P-256 keys from devKey) quotes the job binding with Intel's TD QE identity;
//     the TypeScript verifier checks the quote and its chain (test root pinned), then governance
//     registers the PCK key and allow-lists the measurement, as the trust model prescribes.
//   - SEV-SNP through the AttestationStatementVerifier: a report signed by the test SNP chain
//     (test/support/snpTestChain.ts) is verified by the verifier service step (attestSevSnpOnChain),
//     whose key governance registered, and the statement it signs is the evidence.
// Bad evidence never reverts submitAttestation: the market emits EvidenceRejected with the verifier's
// revert data, fails the job and slashes the provider's collateral; evidence refused only because
// governance revoked its key or measurement after the job was posted (AttestationRevoked) releases
// the job without fault instead.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Address,
  bytesToBigInt,
  encodeErrorResult,
  type Hex,
  hexToBytes,
  keccak256,
  toBytes,
  toHex,
} from "viem";
import { generatePrivateKey, type LocalAccount, privateKeyToAccount } from "viem/accounts";
import { newSimulatedEnclave, type SimulatedEnclave } from "../../../scripts/lib/market.ts";
import {
  attestSevSnpOnChain,
  type PckInfo,
  parseCertificate,
  verifyIntelQuote,
} from "../../../sdk/attestation/node.ts";
import {
  AttestationError,
  attestationBinding,
  buildIntelQuote,
  devKey,
  ETH,
  encodeIntelEvidence,
  FailureReason,
  INTEL_TD_QE_MRSIGNER,
  issueDevCertificate,
  JobStatus,
  p256PublicKeyXY,
  reportDataForBinding,
  sgxPckExtension,
  type TdReportFields,
  TeeType,
  tdxMeasurement,
  teeTypeSet,
  toPem,
} from "../../../sdk/index.ts";
import {
  bid,
  CEILING,
  endBidding,
  loadMarket,
  type Market,
  networkHelpers,
  now,
  type PostedJob,
  PROVIDER_TEE_TYPES,
  postTestJob,
  viem,
} from "../../support/fixture.ts";
import {
  POLICY_DEBUG,
  setU64,
  signedReportWithData,
  TEST_ARK_PIN,
  TEST_CHAIN,
} from "../../support/snpTestChain.ts";

const DAY = 86_400n;
const ZERO_WORD = `0x${"00".repeat(32)}` as const;
const TDX_ONLY = teeTypeSet([TeeType.Tdx]);
const SEV_SNP_ONLY = teeTypeSet([TeeType.SevSnp]);
const SGX_EXTENSIONS_OID = "1.2.840.113741.1.13.1";

/** `submitAttestation` arguments after job id and terms: TEE type, encryption key, signer, evidence. */
type AttestArgs = readonly [number, Hex, Address, Hex];

// --- a test TDX platform ------------------------------------------------------------------------

/** The test platform's P-256 keys (derived from public labels: test keys, not secrets). */
const PLATFORM_KEYS = {
  root: devKey("test/root-ca"),
  platformCa: devKey("test/platform-ca"),
  pck: devKey("test/pck"),
  attestation: devKey("test/qe-attestation-key"),
} as const;

/**
 * The platform's chain in Intel's shape: root CA → platform CA → PCK certificate with the SGX
 * extension. Validity is issueDevCertificate's default, 2025-01-01 .. 2049-12-31, which covers the
 * chain's block timestamps (Hardhat starts at the current time).
 */
const PLATFORM = (() => {
  const rootName = "Test Platform Root CA";
  const caName = "Test PCK Platform CA";
  const root = issueDevCertificate({
    serial: 11n,
    subject: rootName,
    issuer: rootName,
    subjectKey: PLATFORM_KEYS.root,
    issuerKey: PLATFORM_KEYS.root,
    ca: true,
  });
  const platformCa = issueDevCertificate({
    serial: 12n,
    subject: caName,
    issuer: rootName,
    subjectKey: PLATFORM_KEYS.platformCa,
    issuerKey: PLATFORM_KEYS.root,
    ca: true,
  });
  const pck = issueDevCertificate({
    serial: 13n,
    subject: "Test PCK Certificate",
    issuer: caName,
    subjectKey: PLATFORM_KEYS.pck,
    issuerKey: PLATFORM_KEYS.platformCa,
    ca: false,
    extensions: [[SGX_EXTENSIONS_OID, sgxPckExtension({ fmspc: hexToBytes("0x90c06f000000") })]],
  });
  return {
    pem: [pck, platformCa, root].map((c) => toPem(c)).join(""),
    /** The pin the TypeScript verifier is given instead of Intel's root. */
    rootPin: parseCertificate(root, "test root").spkiSha256,
  };
})();

/** The test TD's launch measurements, and its allow-list measurement (TDX rule). */
const TD = {
  mrTd: new Uint8Array(48).fill(0x7d),
  rtmrs: [0x10, 0x11, 0x12, 0x13].map((b) => new Uint8Array(48).fill(b)),
} as const;
const TD_MEASUREMENT = tdxMeasurement(TD);

/**
 * A TDX v4 quote of the test TD with `reportData`, its QE report carrying Intel's TD QE identity
 * (MRSIGNER, ISVPRODID 2, what the production verifier requires) signed by the test PCK key.
 */
function tdxQuote(reportData: Uint8Array, report: Omit<TdReportFields, "reportData"> = {}): Uint8Array {
  return buildIntelQuote({
    body: { kind: "tdx", report: { mrTd: TD.mrTd, rtmrs: TD.rtmrs, ...report, reportData } },
    attestationKey: PLATFORM_KEYS.attestation,
    pckKey: PLATFORM_KEYS.pck,
    pckChainPem: PLATFORM.pem,
    qeReport: { mrSigner: hexToBytes(INTEL_TD_QE_MRSIGNER), isvProdId: 2 },
  });
}

// --- helpers ------------------------------------------------------------------------------------

/** The chain's current time, as the TypeScript verifiers' validation time. */
async function chainTime(): Promise<Date> {
  return new Date(Number(await now()) * 1000);
}

/** The job binding an enclave's evidence must carry for `jobId` on this market. */
function bindingOf(m: Market, jobId: bigint, enclave: SimulatedEnclave): Hex {
  return attestationBinding({
    chainId: BigInt(m.chainId),
    jobMarket: m.jobMarket.address,
    jobId,
    enclaveEncryptionKey: enclave.encryptionKey,
    enclaveSigner: enclave.signer.address,
  });
}

/** A job accepting `teeTypes`, bid on by the first provider, bidding ended (ready to attest). */
async function matchedJob(m: Market, teeTypes: number): Promise<PostedJob> {
  const job = await postTestJob(m, { teeTypes });
  await bid(m, job, CEILING / 2n);
  await endBidding(job);
  return job;
}

const pckCoordinates = (xy: Uint8Array) =>
  [bytesToBigInt(xy.subarray(0, 32)), bytesToBigInt(xy.subarray(32))] as const;

/** Governance registers a PCK key the TypeScript verifier checked, until its certificate expires. */
async function registerPck(m: Market, pck: PckInfo): Promise<void> {
  const expiresAt = BigInt(Math.floor(pck.notAfter.getTime() / 1000));
  await m.intelQuoteVerifier.write.registerPckKey([...pckCoordinates(pck.publicKey), expiresAt]);
}

/**
 * Governance's onboarding of the test platform: the platform quotes a governance challenge, the
 * TypeScript verifier checks quote and chain (test root pinned), and the verified PCK key is registered.
 */
async function onboardPlatform(m: Market): Promise<PckInfo> {
  const challenge = reportDataForBinding(keccak256(toBytes("governance challenge")));
  const verified = verifyIntelQuote(tdxQuote(challenge), {
    at: await chainTime(),
    pinnedRoots: [PLATFORM.rootPin],
    expectedReportData: challenge,
  });
  await registerPck(m, verified.pck);
  return verified.pck;
}

/** Governance allow-lists a measurement for a TEE type (30 days unless `expiresAt` is given). */
async function allowMeasurement(m: Market, teeType: number, measurement: Hex, expiresAt?: bigint) {
  await m.enclaveRegistry.write.allowMeasurement([
    teeType,
    measurement,
    expiresAt ?? (await now()) + 30n * DAY,
  ]);
}

/** TDX evidence for `job` from `enclave`: a quote of the job binding, the TD report changed by `report`. */
function tdxArgs(
  m: Market,
  job: PostedJob,
  enclave: SimulatedEnclave,
  report: Omit<TdReportFields, "reportData"> = {},
): AttestArgs {
  const quote = tdxQuote(reportDataForBinding(bindingOf(m, job.jobId, enclave)), report);
  const evidence = encodeIntelEvidence(quote, p256PublicKeyXY(PLATFORM_KEYS.pck));
  return [TeeType.Tdx, enclave.encryptionKey, enclave.signer.address, evidence];
}

async function submit(m: Market, job: PostedJob, args: AttestArgs) {
  const hash = await m.jobMarket.write.submitAttestation([job.jobId, job.terms, ...args], {
    account: m.provider.account,
  });
  const receipt = await m.publicClient.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, "success", "submitAttestation must not revert");
  return { hash, receipt };
}

/** Submits evidence the market must reject: EvidenceRejected(reason), JobFailed, collateral slashed. */
async function expectRejected(m: Market, job: PostedJob, args: AttestArgs, reason: Hex): Promise<void> {
  const { collateral } = await m.jobMarket.read.getJob([job.jobId]);
  assert.ok(collateral > 0n);
  // The buyer's share pinned in the job's config, rounded up by the registry.
  const { slashBuyerShareBps } = await m.jobMarket.read.configOf([job.terms.configId]);
  const toBuyer = (collateral * BigInt(slashBuyerShareBps) + 9_999n) / 10_000n;
  const stakeBefore = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);

  const { hash } = await submit(m, job, args);
  await viem.assertions.emitWithArgs(hash, m.jobMarket, "EvidenceRejected", [
    job.jobId,
    FailureReason.AttestationRejected,
    reason,
  ]);
  await viem.assertions.emitWithArgs(hash, m.jobMarket, "JobFailed", [
    job.jobId,
    FailureReason.AttestationRejected,
    collateral,
    toBuyer,
  ]);
  assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Failed);
  const stake = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);
  assert.equal(stake.locked, stakeBefore.locked - collateral, "the job's collateral is slashed");
  assert.equal(stake.free, stakeBefore.free, "only the locked collateral is slashed");
}

/**
 * Submits evidence refused only because governance revoked `subject` at `revokedAt`, after the job
 * was posted: EvidenceRejected(AttestationRevoked), JobReleased(EvidenceRevoked), the collateral
 * back to free stake, and the whole escrow refundable.
 */
async function expectReleased(
  m: Market,
  job: PostedJob,
  args: AttestArgs,
  verifierAbi: typeof m.intelQuoteVerifier.abi | typeof m.statementVerifier.abi,
  subject: Hex,
  revokedAt: bigint,
): Promise<void> {
  const { collateral, postedAt } = await m.jobMarket.read.getJob([job.jobId]);
  assert.ok(revokedAt > BigInt(postedAt), "revoked after the job was posted");
  const stakeBefore = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);
  const treasuryBefore = await m.providerRegistry.read.treasuryAccrued([ETH]);
  const { hash } = await submit(m, job, args);
  await viem.assertions.emitWithArgs(hash, m.jobMarket, "EvidenceRejected", [
    job.jobId,
    FailureReason.AttestationRejected,
    encodeErrorResult({ abi: verifierAbi, errorName: "AttestationRevoked", args: [subject, revokedAt] }),
  ]);
  await viem.assertions.emitWithArgs(hash, m.jobMarket, "JobReleased", [
    job.jobId,
    FailureReason.EvidenceRevoked,
  ]);
  assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Released);
  const stake = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);
  assert.equal(stake.locked, stakeBefore.locked - collateral);
  assert.equal(stake.free, stakeBefore.free + collateral, "released, not slashed");
  assert.equal(await m.providerRegistry.read.treasuryAccrued([ETH]), treasuryBefore);
  assert.equal(await m.jobMarket.read.refundableOf([job.jobId, job.terms]), CEILING);
  await viem.assertions.balancesHaveChanged(
    m.jobMarket.write.claimRefund([job.jobId, job.terms, job.secrets.refundTo, job.secrets.salt]),
    [{ address: job.secrets.refundTo, amount: CEILING }],
  );
}

/** The full TDX production path for one job; returns what a replay needs. */
async function attestTdxJob(m: Market) {
  const job = await matchedJob(m, TDX_ONLY);
  const enclave = newSimulatedEnclave();
  const binding = bindingOf(m, job.jobId, enclave);
  const reportData = reportDataForBinding(binding);
  const quote = tdxQuote(reportData);

  // The TypeScript verifier: signatures, PCK chain to the pinned (test) root, QE binding, report data.
  const verified = verifyIntelQuote(quote, {
    at: await chainTime(),
    pinnedRoots: [PLATFORM.rootPin],
    expectedReportData: reportData,
  });
  // Governance: register the verified PCK key, allow-list the measurement.
  await registerPck(m, verified.pck);
  await allowMeasurement(m, TeeType.Tdx, verified.measurement);

  const args: AttestArgs = [
    TeeType.Tdx,
    enclave.encryptionKey,
    enclave.signer.address,
    encodeIntelEvidence(quote, verified.pck.publicKey),
  ];
  const { hash, receipt } = await submit(m, job, args);
  return { job, enclave, binding, quote, verified, args, hash, receipt };
}

/** The SNP operator declares SEV-SNP in its profile (the fixture's providers offer Simulated and TDX). */
async function offerSevSnp(m: Market): Promise<void> {
  const profile = await m.providerRegistry.read.profileOf([m.provider.account.address]);
  await m.providerRegistry.write.updateProfile([{ ...profile, teeTypes: profile.teeTypes | SEV_SNP_ONLY }], {
    account: m.provider.account,
  });
}

/** A verifier-service key that governance registered on the statement verifier (30 days). */
async function registeredStatementSigner(m: Market): Promise<LocalAccount> {
  const signer = privateKeyToAccount(generatePrivateKey());
  await m.statementVerifier.write.registerSigner([signer.address, (await now()) + 30n * DAY]);
  return signer;
}

/** The verifier service's step: verify the report with the test chain (ARK pinned), sign the statement. */
async function snpStatement(
  m: Market,
  signer: LocalAccount,
  report: Uint8Array,
  expectedReportData: Uint8Array,
) {
  return attestSevSnpOnChain({
    report,
    verify: {
      vcek: TEST_CHAIN.vcek,
      chain: TEST_CHAIN.chain,
      at: await chainTime(),
      pinnedArks: [TEST_ARK_PIN],
      expectedReportData,
    },
    signer,
    domain: { chainId: m.chainId, verifier: m.statementVerifier.address },
  });
}

/** The full SEV-SNP path for one job: report of the binding → statement → submitAttestation. */
async function attestSevSnpJob(m: Market, signer: LocalAccount) {
  const job = await matchedJob(m, SEV_SNP_ONLY);
  const enclave = newSimulatedEnclave();
  const binding = bindingOf(m, job.jobId, enclave);
  const reportData = reportDataForBinding(binding);
  const statement = await snpStatement(m, signer, signedReportWithData(reportData), reportData);
  await allowMeasurement(m, TeeType.SevSnp, statement.measurement);
  const args: AttestArgs = [
    TeeType.SevSnp,
    enclave.encryptionKey,
    enclave.signer.address,
    statement.evidence,
  ];
  const { hash, receipt } = await submit(m, job, args);
  return { job, enclave, binding, statement, args, hash, receipt };
}

// --- TDX ----------------------------------------------------------------------------------------

describe("Market attestation, TDX through the production IntelQuoteVerifier", () => {
  it("a quote verified in TypeScript, with its PCK key registered and measurement allow-listed, attests the job", async () => {
    const m = await loadMarket();
    assert.equal(PROVIDER_TEE_TYPES & TDX_ONLY, TDX_ONLY, "the fixture's providers offer TDX");
    assert.equal(await m.enclaveRegistry.read.verifierOf([TeeType.Tdx]), m.intelQuoteVerifier.address);
    assert.equal(await m.intelQuoteVerifier.read.development(), false);
    assert.equal(await m.intelQuoteVerifier.read.tdxQeMrSigner(), INTEL_TD_QE_MRSIGNER);

    const a = await attestTdxJob(m);
    assert.equal(a.verified.kind, "tdx");
    assert.equal(a.verified.measurement, TD_MEASUREMENT);
    assert.deepEqual(a.verified.pck.publicKey, p256PublicKeyXY(PLATFORM_KEYS.pck));
    const at = await chainTime();
    // The default pin is Intel's root only: the test platform's quote is not trusted without its pin.
    assert.throws(
      () => verifyIntelQuote(a.quote, { at }),
      (e: unknown) => e instanceof AttestationError && e.code === "UntrustedRoot",
    );

    console.log(`submitAttestation gas, TDX (production IntelQuoteVerifier): ${a.receipt.gasUsed}`);
    await viem.assertions.emitWithArgs(a.hash, m.jobMarket, "AttestationAccepted", [
      a.job.jobId,
      TeeType.Tdx,
      TD_MEASUREMENT,
      a.enclave.encryptionKey,
      a.enclave.signer.address,
    ]);
    assert.equal(await m.jobMarket.read.statusOf([a.job.jobId]), JobStatus.Attested);
    assert.equal((await m.jobMarket.read.getJob([a.job.jobId])).enclaveSigner, a.enclave.signer.address);
  });

  it("the same evidence replayed on another job is rejected (IntelQuoteReportDataMismatch), job failed, provider slashed", async () => {
    const m = await loadMarket();
    const a = await attestTdxJob(m);
    const jobB = await matchedJob(m, TDX_ONLY);
    // Same provider, same enclave keys, same evidence: only the job id in the binding differs.
    await expectRejected(
      m,
      jobB,
      a.args,
      encodeErrorResult({
        abi: m.intelQuoteVerifier.abi,
        errorName: "IntelQuoteReportDataMismatch",
        args: [a.binding, ZERO_WORD, bindingOf(m, jobB.jobId, a.enclave)],
      }),
    );
    assert.equal(await m.jobMarket.read.statusOf([a.job.jobId]), JobStatus.Attested, "job A is unaffected");
  });

  it("a quote whose PCK key governance never registered is rejected (IntelQuotePckKeyUnknown)", async () => {
    const m = await loadMarket();
    await allowMeasurement(m, TeeType.Tdx, TD_MEASUREMENT);
    const job = await matchedJob(m, TDX_ONLY);
    await expectRejected(
      m,
      job,
      tdxArgs(m, job, newSimulatedEnclave()),
      encodeErrorResult({
        abi: m.intelQuoteVerifier.abi,
        errorName: "IntelQuotePckKeyUnknown",
        args: [
          await m.intelQuoteVerifier.read.pckKeyHash(pckCoordinates(p256PublicKeyXY(PLATFORM_KEYS.pck))),
        ],
      }),
    );
  });

  it("a quote whose PCK key governance revoked after the job was posted releases the job without fault (AttestationRevoked)", async () => {
    const m = await loadMarket();
    const pck = await onboardPlatform(m);
    await allowMeasurement(m, TeeType.Tdx, TD_MEASUREMENT);
    const job = await matchedJob(m, TDX_ONLY);
    const enclave = newSimulatedEnclave();
    const args = tdxArgs(m, job, enclave);
    // Accepted while the key is registered …
    assert.equal(
      await m.enclaveRegistry.read.verifyEvidence([TeeType.Tdx, args[3], bindingOf(m, job.jobId, enclave)]),
      TD_MEASUREMENT,
    );
    // … refused once governance revokes it (e.g. Intel's PCK CRL lists the certificate); the
    // provider could not have known when it bid: its collateral is released, not slashed.
    await m.intelQuoteVerifier.write.revokePckKey(pckCoordinates(pck.publicKey));
    const revokedAt = await now();
    const keyHash = await m.intelQuoteVerifier.read.pckKeyHash(pckCoordinates(pck.publicKey));
    const { collateral } = await m.jobMarket.read.getJob([job.jobId]);
    const stakeBefore = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);
    const { hash } = await submit(m, job, args);
    await viem.assertions.emitWithArgs(hash, m.jobMarket, "EvidenceRejected", [
      job.jobId,
      FailureReason.AttestationRejected,
      encodeErrorResult({
        abi: m.intelQuoteVerifier.abi,
        errorName: "AttestationRevoked",
        args: [keyHash, revokedAt],
      }),
    ]);
    await viem.assertions.emitWithArgs(hash, m.jobMarket, "JobReleased", [
      job.jobId,
      FailureReason.EvidenceRevoked,
    ]);
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Released);
    const stake = await m.providerRegistry.read.stakeOf([m.provider.account.address, ETH]);
    assert.equal(stake.locked, stakeBefore.locked - collateral, "the job's collateral is unlocked");
    assert.equal(stake.free, stakeBefore.free + collateral, "… and returned to free stake, not slashed");
  });

  it("a quote whose PCK key was revoked before the job was posted is rejected (AttestationRevoked), provider slashed", async () => {
    const m = await loadMarket();
    const pck = await onboardPlatform(m);
    await allowMeasurement(m, TeeType.Tdx, TD_MEASUREMENT);
    await m.intelQuoteVerifier.write.revokePckKey(pckCoordinates(pck.publicKey));
    const revokedAt = await now();
    await networkHelpers.time.increase(1);
    const job = await matchedJob(m, TDX_ONLY);
    await expectRejected(
      m,
      job,
      tdxArgs(m, job, newSimulatedEnclave()),
      encodeErrorResult({
        abi: m.intelQuoteVerifier.abi,
        errorName: "AttestationRevoked",
        args: [await m.intelQuoteVerifier.read.pckKeyHash(pckCoordinates(pck.publicKey)), revokedAt],
      }),
    );
  });

  it("a debug TD (TD attributes bit 0) is rejected (IntelQuoteDebugEnclave)", async () => {
    const m = await loadMarket();
    await onboardPlatform(m);
    await allowMeasurement(m, TeeType.Tdx, TD_MEASUREMENT);
    const job = await matchedJob(m, TDX_ONLY);
    const enclave = newSimulatedEnclave();
    const debug = { tdAttributes: Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0) };
    // The TypeScript verifier refuses it too.
    const reportData = reportDataForBinding(bindingOf(m, job.jobId, enclave));
    const at = await chainTime();
    assert.throws(
      () =>
        verifyIntelQuote(tdxQuote(reportData, debug), {
          at,
          pinnedRoots: [PLATFORM.rootPin],
          expectedReportData: reportData,
        }),
      (e: unknown) => e instanceof AttestationError && e.code === "DebugEnclave",
    );
    await expectRejected(
      m,
      job,
      tdxArgs(m, job, enclave, debug),
      encodeErrorResult({ abi: m.intelQuoteVerifier.abi, errorName: "IntelQuoteDebugEnclave" }),
    );
  });

  it("a measurement revoked before the job was posted is rejected (AttestationRevoked), provider slashed", async () => {
    const m = await loadMarket();
    await onboardPlatform(m);
    await allowMeasurement(m, TeeType.Tdx, TD_MEASUREMENT);
    await m.enclaveRegistry.write.revokeMeasurement([TeeType.Tdx, TD_MEASUREMENT]);
    const revokedAt = await now();
    await networkHelpers.time.increase(1);
    const job = await matchedJob(m, TDX_ONLY);
    await expectRejected(
      m,
      job,
      tdxArgs(m, job, newSimulatedEnclave()),
      encodeErrorResult({
        abi: m.enclaveRegistry.abi,
        errorName: "AttestationRevoked",
        args: [TD_MEASUREMENT, revokedAt],
      }),
    );
  });

  it("an expired allow-list entry is rejected (EnclaveRegistryMeasurementExpired)", async () => {
    const m = await loadMarket();
    await onboardPlatform(m);
    const job = await matchedJob(m, TDX_ONLY);
    const expiresAt = (await now()) + 60n;
    await allowMeasurement(m, TeeType.Tdx, TD_MEASUREMENT, expiresAt);
    await networkHelpers.time.increase(120);
    assert.ok((await now()) > expiresAt && (await now()) < job.terms.attestDeadline);
    await expectRejected(
      m,
      job,
      tdxArgs(m, job, newSimulatedEnclave()),
      encodeErrorResult({
        abi: m.enclaveRegistry.abi,
        errorName: "EnclaveRegistryMeasurementExpired",
        args: [TeeType.Tdx, TD_MEASUREMENT, expiresAt],
      }),
    );
  });

  it("a measurement revoked after the job was posted releases the job without fault (AttestationRevoked)", async () => {
    const m = await loadMarket();
    await onboardPlatform(m);
    await allowMeasurement(m, TeeType.Tdx, TD_MEASUREMENT);
    const job = await matchedJob(m, TDX_ONLY);
    await m.enclaveRegistry.write.revokeMeasurement([TeeType.Tdx, TD_MEASUREMENT]);
    const { revokedAt } = await m.enclaveRegistry.read.measurementOf([TeeType.Tdx, TD_MEASUREMENT]);
    await expectReleased(
      m,
      job,
      tdxArgs(m, job, newSimulatedEnclave()),
      m.intelQuoteVerifier.abi,
      TD_MEASUREMENT,
      revokedAt,
    );
  });

  it("attack: governance unsets or swaps the TDX verifier mid-job → the job still attests through its pinned verifier", async () => {
    const m = await loadMarket();
    await onboardPlatform(m);
    await allowMeasurement(m, TeeType.Tdx, TD_MEASUREMENT);
    const job = await matchedJob(m, TDX_ONLY);
    const enclave = newSimulatedEnclave();
    // Governance removes the TDX verifier, then points TDX at the statement verifier (which would
    // refuse a quote): neither touches the running job's config.
    await m.enclaveRegistry.write.setVerifier([TeeType.Tdx, m.statementVerifier.address]);
    assert.equal(
      (await m.jobMarket.read.configOf([job.terms.configId])).attestationVerifiers[TeeType.Tdx - 1],
      m.intelQuoteVerifier.address,
    );
    const { hash } = await submit(m, job, tdxArgs(m, job, enclave));
    await viem.assertions.emitWithArgs(hash, m.jobMarket, "AttestationAccepted", [
      job.jobId,
      TeeType.Tdx,
      TD_MEASUREMENT,
      enclave.encryptionKey,
      enclave.signer.address,
    ]);
    assert.equal(await m.jobMarket.read.statusOf([job.jobId]), JobStatus.Attested);
  });
});

// --- SEV-SNP ------------------------------------------------------------------------------------

describe("Market attestation, SEV-SNP through the AttestationStatementVerifier", () => {
  it("a report verified and signed by a registered verifier key attests the job", async () => {
    const m = await loadMarket();
    assert.equal(await m.enclaveRegistry.read.verifierOf([TeeType.SevSnp]), m.statementVerifier.address);
    await offerSevSnp(m);
    const signer = await registeredStatementSigner(m);

    const a = await attestSevSnpJob(m, signer);
    // The test report's launch measurement is 48 bytes of 0x5a; the registry key is its keccak256.
    assert.equal(a.statement.measurement, keccak256(new Uint8Array(48).fill(0x5a)));
    console.log(`submitAttestation gas, SEV-SNP (AttestationStatementVerifier): ${a.receipt.gasUsed}`);
    await viem.assertions.emitWithArgs(a.hash, m.jobMarket, "AttestationAccepted", [
      a.job.jobId,
      TeeType.SevSnp,
      a.statement.measurement,
      a.enclave.encryptionKey,
      a.enclave.signer.address,
    ]);
    assert.equal(await m.jobMarket.read.statusOf([a.job.jobId]), JobStatus.Attested);
  });

  it("a statement from a key governance never registered is rejected (AttestationStatementSignerUnknown)", async () => {
    const m = await loadMarket();
    await offerSevSnp(m);
    const job = await matchedJob(m, SEV_SNP_ONLY);
    const enclave = newSimulatedEnclave();
    const reportData = reportDataForBinding(bindingOf(m, job.jobId, enclave));
    const stranger = privateKeyToAccount(generatePrivateKey());
    const statement = await snpStatement(m, stranger, signedReportWithData(reportData), reportData);
    await allowMeasurement(m, TeeType.SevSnp, statement.measurement);
    await expectRejected(
      m,
      job,
      [TeeType.SevSnp, enclave.encryptionKey, enclave.signer.address, statement.evidence],
      encodeErrorResult({
        abi: m.statementVerifier.abi,
        errorName: "AttestationStatementSignerUnknown",
        args: [stranger.address],
      }),
    );
  });

  it("the same statement replayed on another job is rejected (AttestationStatementReportDataMismatch)", async () => {
    const m = await loadMarket();
    await offerSevSnp(m);
    const signer = await registeredStatementSigner(m);
    const a = await attestSevSnpJob(m, signer);
    const jobB = await matchedJob(m, SEV_SNP_ONLY);
    await expectRejected(
      m,
      jobB,
      a.args,
      encodeErrorResult({
        abi: m.statementVerifier.abi,
        errorName: "AttestationStatementReportDataMismatch",
        args: [a.binding, bindingOf(m, jobB.jobId, a.enclave)],
      }),
    );
    assert.equal(await m.jobMarket.read.statusOf([a.job.jobId]), JobStatus.Attested, "job A is unaffected");
  });

  it("a debug-policy report never yields a statement (DebugEnclave)", async () => {
    const m = await loadMarket();
    const signer = await registeredStatementSigner(m);
    const reportData = reportDataForBinding(keccak256(toBytes("any job binding")));
    const debug = signedReportWithData(reportData, (b) => setU64(b, 0x08, 0x30000n | POLICY_DEBUG));
    await assert.rejects(
      snpStatement(m, signer, debug, reportData),
      (e: unknown) => e instanceof AttestationError && e.code === "DebugEnclave",
    );
  });

  it("a statement whose verifier key governance revoked after the job was posted releases the job without fault", async () => {
    const m = await loadMarket();
    await offerSevSnp(m);
    const signer = await registeredStatementSigner(m);
    const job = await matchedJob(m, SEV_SNP_ONLY);
    const enclave = newSimulatedEnclave();
    const reportData = reportDataForBinding(bindingOf(m, job.jobId, enclave));
    const statement = await snpStatement(m, signer, signedReportWithData(reportData), reportData);
    await allowMeasurement(m, TeeType.SevSnp, statement.measurement);
    await m.statementVerifier.write.revokeSigner([signer.address]);
    const { revokedAt } = await m.statementVerifier.read.signerOf([signer.address]);
    await expectReleased(
      m,
      job,
      [TeeType.SevSnp, enclave.encryptionKey, enclave.signer.address, statement.evidence],
      m.statementVerifier.abi,
      toHex(BigInt(signer.address), { size: 32 }),
      revokedAt,
    );
  });

  it("a statement whose verifier key was revoked before the job was posted is rejected (AttestationRevoked), provider slashed", async () => {
    const m = await loadMarket();
    await offerSevSnp(m);
    const signer = await registeredStatementSigner(m);
    await m.statementVerifier.write.revokeSigner([signer.address]);
    const { revokedAt } = await m.statementVerifier.read.signerOf([signer.address]);
    await networkHelpers.time.increase(1);
    const job = await matchedJob(m, SEV_SNP_ONLY);
    const enclave = newSimulatedEnclave();
    const reportData = reportDataForBinding(bindingOf(m, job.jobId, enclave));
    const statement = await snpStatement(m, signer, signedReportWithData(reportData), reportData);
    await allowMeasurement(m, TeeType.SevSnp, statement.measurement);
    await expectRejected(
      m,
      job,
      [TeeType.SevSnp, enclave.encryptionKey, enclave.signer.address, statement.evidence],
      encodeErrorResult({
        abi: m.statementVerifier.abi,
        errorName: "AttestationRevoked",
        args: [toHex(BigInt(signer.address), { size: 32 }), revokedAt],
      }),
    );
  });
});
