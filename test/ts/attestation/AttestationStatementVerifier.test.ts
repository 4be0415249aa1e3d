// AttestationStatementVerifier: EIP-712 statements signed by registered verifier keys (the on-chain path
// of SEV-SNP, whose P-384 signatures have no precompile). Statements are signed here with viem's
// account.signTypedData, independently of the SDK; one test checks the SDK's encoder against it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import {
  type Address,
  getAddress,
  type Hex,
  hashDomain,
  keccak256,
  pad,
  toBytes,
  toHex,
  zeroAddress,
} from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import {
  ATTESTATION_STATEMENT_DOMAIN,
  ATTESTATION_STATEMENT_TYPES,
  encodeAttestationStatement,
  signAttestationStatement,
} from "../../../sdk/attestation/onchain.ts";
import { TcbStatus } from "../../../sdk/attestation/tcbStatus.ts";
import { TeeType } from "../../../sdk/types.ts";

const { viem, networkHelpers } = await network.create();

const MEASUREMENT = keccak256(toBytes("an SEV-SNP launch measurement"));
const REPORT_DATA = keccak256(toBytes("job binding"));
const SEV_SNP_ONLY = 1 << TeeType.SevSnp;
/** UpToDate and SWHardeningNeeded. */
const TCB_MASK = (1 << TcbStatus.UpToDate) | (1 << TcbStatus.SWHardeningNeeded);
const YEAR = 365n * 24n * 3600n;
const SIGNER = privateKeyToAccount(keccak256(toBytes("statement signer")));
const STRANGER_KEY = privateKeyToAccount(generatePrivateKey());

/** The `subject` of `AttestationRevoked` for a statement signer: its address as a 32-byte word. */
function signerSubject(signer: Address): Hex {
  return pad(signer.toLowerCase() as Hex, { size: 32 });
}

async function latest(): Promise<bigint> {
  return BigInt(await networkHelpers.time.latest());
}

async function deploy() {
  const [owner, stranger] = await viem.getWalletClients();
  if (!owner || !stranger) throw new Error("need 2 accounts");
  const publicClient = await viem.getPublicClient();
  const verifier = await viem.deployContract("AttestationStatementVerifier", [
    owner.account.address,
    SEV_SNP_ONLY,
    TCB_MASK,
  ]);
  const signerExpiresAt = (await latest()) + YEAR;
  await verifier.write.registerSigner([SIGNER.address, signerExpiresAt]);
  const chainId = await publicClient.getChainId();
  return { owner, stranger, publicClient, verifier, chainId, signerExpiresAt };
}
const load = () => networkHelpers.loadFixture(deploy);

type Statement = {
  teeType: number;
  measurement: Hex;
  reportData: Hex;
  tcbStatus: number;
  expiresAt: bigint;
};

/** Signs a statement (default: valid SEV-SNP, UpToDate, one hour) and encodes the evidence. */
async function statement(
  domain: { chainId: number; verifier: Address },
  o: Partial<Statement> & { signer?: PrivateKeyAccount; signature?: Hex } = {},
): Promise<Hex> {
  const s: Statement = {
    teeType: o.teeType ?? TeeType.SevSnp,
    measurement: o.measurement ?? MEASUREMENT,
    reportData: o.reportData ?? REPORT_DATA,
    tcbStatus: o.tcbStatus ?? TcbStatus.UpToDate,
    expiresAt: o.expiresAt ?? (await latest()) + 3600n,
  };
  const signature =
    o.signature ??
    (await (o.signer ?? SIGNER).signTypedData({
      domain: {
        ...ATTESTATION_STATEMENT_DOMAIN,
        chainId: domain.chainId,
        verifyingContract: domain.verifier,
      },
      types: ATTESTATION_STATEMENT_TYPES,
      primaryType: "AttestationStatement",
      message: s,
    }));
  return encodeAttestationStatement(s, signature);
}

describe("AttestationStatementVerifier", () => {
  describe("deployment and governance", () => {
    it("stores its masks and exposes the EIP-712 domain and type hash", async () => {
      const { verifier, chainId, signerExpiresAt, owner } = await load();
      assert.equal(await verifier.read.teeTypeMask(), SEV_SNP_ONLY);
      assert.equal(await verifier.read.acceptedTcbStatusMask(), TCB_MASK);
      assert.equal(await verifier.read.owner(), getAddress(owner.account.address));
      assert.equal(
        await verifier.read.ATTESTATION_STATEMENT_TYPEHASH(),
        keccak256(
          toBytes(
            "AttestationStatement(uint8 teeType,bytes32 measurement,bytes32 reportData,uint8 tcbStatus,uint64 expiresAt)",
          ),
        ),
      );
      assert.equal(
        await verifier.read.domainSeparator(),
        hashDomain({
          domain: {
            name: "BlindTraining AttestationStatement",
            version: "1",
            chainId: BigInt(chainId),
            verifyingContract: verifier.address,
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
      assert.deepEqual(await verifier.read.signerOf([SIGNER.address]), {
        expiresAt: signerExpiresAt,
        revokedAt: 0n,
      });
    });

    it("refuses empty, None or unknown TEE type masks and unknown TCB statuses at deployment", async () => {
      const { owner } = await load();
      for (const mask of [0, 1, 0x20, 0xff]) {
        await assert.rejects(
          viem.deployContract("AttestationStatementVerifier", [owner.account.address, mask, TCB_MASK]),
          (e: Error) => e.message.includes("AttestationStatementInvalidTeeTypeMask"),
        );
      }
      await assert.rejects(
        viem.deployContract("AttestationStatementVerifier", [owner.account.address, SEV_SNP_ONLY, 0x80]),
        (e: Error) => e.message.includes("AttestationStatementInvalidTcbStatusMask"),
      );
    });

    it("registers, re-registers and revokes signers (owner only) with events, recording when", async () => {
      const { verifier, stranger, publicClient } = await load();
      const expiresAt = (await latest()) + 1000n;
      await viem.assertions.emitWithArgs(
        verifier.write.registerSigner([STRANGER_KEY.address, expiresAt]),
        verifier,
        "StatementSignerRegistered",
        [getAddress(STRANGER_KEY.address), expiresAt],
      );
      const revokedAt = (await latest()) + 5n;
      await networkHelpers.time.setNextBlockTimestamp(revokedAt);
      await viem.assertions.emitWithArgs(
        verifier.write.revokeSigner([STRANGER_KEY.address]),
        verifier,
        "StatementSignerRevoked",
        [getAddress(STRANGER_KEY.address)],
      );
      assert.deepEqual(await verifier.read.signerOf([STRANGER_KEY.address]), { expiresAt, revokedAt });
      // Revoking again keeps the first revocation's time and emits nothing.
      const again = await verifier.write.revokeSigner([STRANGER_KEY.address]);
      assert.deepEqual((await publicClient.waitForTransactionReceipt({ hash: again })).logs, []);
      assert.deepEqual(await verifier.read.signerOf([STRANGER_KEY.address]), { expiresAt, revokedAt });
      await verifier.write.registerSigner([STRANGER_KEY.address, expiresAt + 1n]);
      assert.deepEqual(await verifier.read.signerOf([STRANGER_KEY.address]), {
        expiresAt: expiresAt + 1n,
        revokedAt: 0n,
      });
      const as = { account: stranger.account };
      for (const call of [
        verifier.write.registerSigner([stranger.account.address, expiresAt], as),
        verifier.write.revokeSigner([SIGNER.address], as),
        verifier.write.setAcceptedTcbStatusMask([0x7f], as),
      ]) {
        await viem.assertions.revertWithCustomErrorWithArgs(call, verifier, "OwnableUnauthorizedAccount", [
          getAddress(stranger.account.address),
        ]);
      }
    });

    it("refuses a zero signer, an expiry not in the future, and revoking an unknown signer", async () => {
      const { verifier } = await load();
      const t = (await latest()) + 10n;
      await viem.assertions.revertWithCustomError(
        verifier.write.registerSigner([zeroAddress, t + 100n]),
        verifier,
        "AttestationStatementZeroSigner",
      );
      await networkHelpers.time.setNextBlockTimestamp(t);
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.write.registerSigner([STRANGER_KEY.address, t]),
        verifier,
        "AttestationStatementExpiryInPast",
        [t, t],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.write.revokeSigner([STRANGER_KEY.address]),
        verifier,
        "AttestationStatementSignerUnknown",
        [getAddress(STRANGER_KEY.address)],
      );
    });

    it("sets the accepted TCB statuses, refusing unknown ones", async () => {
      const { verifier } = await load();
      await viem.assertions.emitWithArgs(
        verifier.write.setAcceptedTcbStatusMask([0x7f]),
        verifier,
        "AcceptedTcbStatusMaskSet",
        [0x7f],
      );
      assert.equal(await verifier.read.acceptedTcbStatusMask(), 0x7f);
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.write.setAcceptedTcbStatusMask([0x81]),
        verifier,
        "AttestationStatementInvalidTcbStatusMask",
        [0x81],
      );
    });
  });

  describe("verifyEvidence", () => {
    it("accepts a registered signer's statement and returns its measurement, also through the registry", async () => {
      const { verifier, chainId, owner } = await load();
      const domain = { chainId, verifier: verifier.address };
      const ev = await statement(domain);
      assert.equal(await verifier.read.verifyEvidence([TeeType.SevSnp, ev, REPORT_DATA]), MEASUREMENT);
      // The SDK's encoder produces the same evidence.
      const expiresAt = (await latest()) + 3600n;
      const sdk = await signAttestationStatement(SIGNER, domain, {
        teeType: TeeType.SevSnp,
        measurement: MEASUREMENT,
        reportData: REPORT_DATA,
        tcbStatus: TcbStatus.SWHardeningNeeded,
        expiresAt,
      });
      assert.equal(sdk, await statement(domain, { tcbStatus: TcbStatus.SWHardeningNeeded, expiresAt }));
      assert.equal(await verifier.read.verifyEvidence([TeeType.SevSnp, sdk, REPORT_DATA]), MEASUREMENT);

      const registry = await viem.deployContract("EnclaveRegistry", [owner.account.address]);
      await registry.write.setVerifier([TeeType.SevSnp, verifier.address]);
      await registry.write.allowMeasurement([TeeType.SevSnp, MEASUREMENT, (await latest()) + 3600n]);
      assert.equal(await registry.read.verifyEvidence([TeeType.SevSnp, ev, REPORT_DATA]), MEASUREMENT);
      await verifier.write.revokeSigner([SIGNER.address]);
      const revokedAt = await latest();
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.read.verifyEvidence([TeeType.SevSnp, ev, REPORT_DATA]),
        verifier,
        "AttestationRevoked",
        [signerSubject(SIGNER.address), revokedAt],
      );
    });

    it("refuses TEE types outside its mask, and a statement presented under another accepted type", async () => {
      const { verifier, chainId, owner } = await load();
      const ev = await statement({ chainId, verifier: verifier.address });
      for (const t of [TeeType.None, TeeType.Tdx, TeeType.Sgx, TeeType.Simulated]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          verifier.read.verifyEvidence([t, ev, REPORT_DATA]),
          verifier,
          "AttestationStatementWrongTeeType",
          [t],
        );
      }
      // An instance for SEV-SNP and TDX: the TEE type is signed, so an SEV-SNP statement is no TDX one.
      const two = await viem.deployContract("AttestationStatementVerifier", [
        owner.account.address,
        (1 << TeeType.SevSnp) | (1 << TeeType.Tdx),
        TCB_MASK,
      ]);
      await two.write.registerSigner([SIGNER.address, (await latest()) + 3600n]);
      const snp = await statement({ chainId, verifier: two.address });
      assert.equal(await two.read.verifyEvidence([TeeType.SevSnp, snp, REPORT_DATA]), MEASUREMENT);
      await viem.assertions.revertWithCustomErrorWithArgs(
        two.read.verifyEvidence([TeeType.Tdx, snp, REPORT_DATA]),
        two,
        "AttestationStatementSignerUnknown",
        [(v: unknown) => v !== getAddress(SIGNER.address)],
      );
      const tdx = await statement({ chainId, verifier: two.address }, { teeType: TeeType.Tdx });
      assert.equal(await two.read.verifyEvidence([TeeType.Tdx, tdx, REPORT_DATA]), MEASUREMENT);
    });

    it("refuses a statement bound to other report data", async () => {
      const { verifier, chainId } = await load();
      const other = keccak256(toBytes("another job"));
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([
          TeeType.SevSnp,
          await statement({ chainId, verifier: verifier.address }, { reportData: other }),
          REPORT_DATA,
        ]),
        verifier,
        "AttestationStatementReportDataMismatch",
        [other, REPORT_DATA],
      );
    });

    it("accepts a statement up to its expiry and refuses it after", async () => {
      const { verifier, chainId } = await load();
      const expiresAt = (await latest()) + 100n;
      const ev = await statement({ chainId, verifier: verifier.address }, { expiresAt });
      await networkHelpers.time.increaseTo(expiresAt);
      assert.equal(await verifier.read.verifyEvidence([TeeType.SevSnp, ev, REPORT_DATA]), MEASUREMENT);
      await networkHelpers.time.increaseTo(expiresAt + 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.SevSnp, ev, REPORT_DATA]),
        verifier,
        "AttestationStatementExpired",
        [expiresAt, (v: unknown) => typeof v === "bigint" && v > expiresAt],
      );
    });

    it("accepts only the TCB statuses in governance's mask", async () => {
      const { verifier, chainId } = await load();
      const domain = { chainId, verifier: verifier.address };
      for (const tcbStatus of [0, 1, 2, 3, 4, 5, 6, 7, 8, 255]) {
        const ev = await statement(domain, { tcbStatus });
        if (tcbStatus <= 1) {
          assert.equal(await verifier.read.verifyEvidence([TeeType.SevSnp, ev, REPORT_DATA]), MEASUREMENT);
        } else {
          await viem.assertions.revertWithCustomErrorWithArgs(
            verifier.read.verifyEvidence([TeeType.SevSnp, ev, REPORT_DATA]),
            verifier,
            "AttestationStatementTcbStatusNotAccepted",
            [tcbStatus, TCB_MASK],
          );
        }
      }
      const outOfDate = await statement(domain, { tcbStatus: TcbStatus.OutOfDate });
      await verifier.write.setAcceptedTcbStatusMask([1 << TcbStatus.OutOfDate]);
      assert.equal(await verifier.read.verifyEvidence([TeeType.SevSnp, outOfDate, REPORT_DATA]), MEASUREMENT);
      // Zero accepts nothing.
      await verifier.write.setAcceptedTcbStatusMask([0]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.SevSnp, outOfDate, REPORT_DATA]),
        verifier,
        "AttestationStatementTcbStatusNotAccepted",
        [TcbStatus.OutOfDate, 0],
      );
    });

    it("refuses malformed signatures", async () => {
      const { verifier, chainId } = await load();
      const domain = { chainId, verifier: verifier.address };
      const good = await SIGNER.sign({ hash: keccak256(toBytes("anything")) });
      const n = 0xffffffffffffffffffffffffffffffffbaaedce6af48a03bbfd25e8cd0364141n;
      const highS =
        `${good.slice(0, 66)}${toHex(n - BigInt(`0x${good.slice(66, 130)}`), { size: 32 }).slice(2)}1b` as Hex;
      for (const signature of ["0x", `0x${"00".repeat(64)}`, `0x${"00".repeat(65)}`, highS] as Hex[]) {
        await viem.assertions.revertWithCustomError(
          verifier.read.verifyEvidence([TeeType.SevSnp, await statement(domain, { signature }), REPORT_DATA]),
          verifier,
          "AttestationStatementBadSignature",
        );
      }
    });

    it("refuses unknown, revoked and expired signers, and statements signed for another domain", async () => {
      const { verifier, chainId, signerExpiresAt } = await load();
      const domain = { chainId, verifier: verifier.address };
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([
          TeeType.SevSnp,
          await statement(domain, { signer: STRANGER_KEY }),
          REPORT_DATA,
        ]),
        verifier,
        "AttestationStatementSignerUnknown",
        [getAddress(STRANGER_KEY.address)],
      );
      for (const other of [
        { chainId: 1, verifier: verifier.address },
        { chainId, verifier: getAddress(`0x${"11".repeat(20)}`) },
      ]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          verifier.read.verifyEvidence([TeeType.SevSnp, await statement(other), REPORT_DATA]),
          verifier,
          "AttestationStatementSignerUnknown",
          [(v: unknown) => v !== getAddress(SIGNER.address)],
        );
      }
      // The signer's own expiry: statements outliving it are refused once it has passed.
      const ev = await statement(domain, { expiresAt: signerExpiresAt + 1000n });
      await networkHelpers.time.increaseTo(signerExpiresAt);
      assert.equal(await verifier.read.verifyEvidence([TeeType.SevSnp, ev, REPORT_DATA]), MEASUREMENT);
      await networkHelpers.time.increaseTo(signerExpiresAt + 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.SevSnp, ev, REPORT_DATA]),
        verifier,
        "AttestationStatementSignerExpired",
        [getAddress(SIGNER.address), signerExpiresAt],
      );
      await verifier.write.registerSigner([SIGNER.address, signerExpiresAt + 500n]);
      assert.equal(await verifier.read.verifyEvidence([TeeType.SevSnp, ev, REPORT_DATA]), MEASUREMENT);
      await verifier.write.revokeSigner([SIGNER.address]);
      const revokedAt = await latest();
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.SevSnp, ev, REPORT_DATA]),
        verifier,
        "AttestationRevoked",
        [signerSubject(SIGNER.address), revokedAt],
      );
      // Revoked while still valid: reported as revoked after its expiry too.
      await networkHelpers.time.increaseTo(signerExpiresAt + 501n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.SevSnp, ev, REPORT_DATA]),
        verifier,
        "AttestationRevoked",
        [signerSubject(SIGNER.address), revokedAt],
      );
    });

    it("reports a revocation only for an otherwise valid statement, and an expiry that came first", async () => {
      const { verifier, chainId, signerExpiresAt } = await load();
      const domain = { chainId, verifier: verifier.address };
      await verifier.write.revokeSigner([SIGNER.address]);
      // Any other defect is reported first: a revocation never hides it.
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.SevSnp, await statement(domain), keccak256(toBytes("other"))]),
        verifier,
        "AttestationStatementReportDataMismatch",
        [REPORT_DATA, keccak256(toBytes("other"))],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([
          TeeType.SevSnp,
          await statement(domain, { tcbStatus: TcbStatus.OutOfDate }),
          REPORT_DATA,
        ]),
        verifier,
        "AttestationStatementTcbStatusNotAccepted",
        [TcbStatus.OutOfDate, TCB_MASK],
      );
      // A signer whose registration expired before it was revoked is reported as expired.
      await verifier.write.registerSigner([STRANGER_KEY.address, (await latest()) + 10n]);
      const late = await statement(domain, { signer: STRANGER_KEY, expiresAt: signerExpiresAt + 1000n });
      const strangerExpiresAt = (await verifier.read.signerOf([STRANGER_KEY.address])).expiresAt;
      await networkHelpers.time.increaseTo(strangerExpiresAt + 1n);
      await verifier.write.revokeSigner([STRANGER_KEY.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        verifier.read.verifyEvidence([TeeType.SevSnp, late, REPORT_DATA]),
        verifier,
        "AttestationStatementSignerExpired",
        [getAddress(STRANGER_KEY.address), strangerExpiresAt],
      );
    });
  });

  describe("governance", () => {
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
  });
});
