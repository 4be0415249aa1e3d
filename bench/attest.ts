// npm run bench:attest: what attestation costs, on-chain and in TypeScript, in one run.
//   tdx_onchain_gas — the whole on-chain TDX check for one job: EnclaveRegistry.verifyEvidence with a
//     production-mode IntelQuoteVerifier (header, both ECDSA-P256 signatures through the 0x100
//     precompile, key binding, QE identity, debug bit, report data, measurement allow-list), as
//     eth_estimateGas of the call (21,000 base + calldata + execution). The quote's fields are random
//     non-zero bytes, so calldata is priced like a real quote's; its keys are test keys registered
//     as a PCK key (the code path is the production one).
//   ts_verify_ms — median wall time of the full TypeScript verification (parse, signatures, PCK chain
//     to the pinned root, QE binding; SEV-SNP: P-384 signature, VCEK → ASK → ARK, TCB, policy) of the
//     real TDX quote and SEV-SNP report from ../shared/test-vectors (development quotes when absent).
// Baseline (issue 4): Automata's fully on-chain DCAP verification, about 4–5M gas (cited); the ratio
// uses the low end, 4,000,000. Target: tdx_onchain_gas ≤ 500,000.
import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { network } from "hardhat";
import { encodeFunctionData, type Hex, hexToBigInt, keccak256, toBytes, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { formatTable } from "../scripts/lib/timeline.ts";
import {
  DEV_ROOT_CA_SPKI_SHA256,
  verifyIntelQuote,
  verifySevSnpAttestation,
} from "../sdk/attestation/node.ts";
import {
  buildIntelQuote,
  buildSimulatedQuote,
  devCertificateChain,
  devKey,
  encodeIntelEvidence,
  p256PublicKeyXY,
  reportDataForBinding,
  signAttestationStatement,
  TcbStatus,
  TeeType,
  tdxMeasurement,
} from "../sdk/index.ts";
import { readTestVector, vectorsAvailable } from "../test/support/testVectors.ts";

const AUTOMATA_DCAP_GAS = 4_000_000;
const TARGET_TDX_GAS = 500_000;
const RUNS = 30;

const connection = await network.create();
const { viem } = connection;
const publicClient = await viem.getPublicClient();
const [owner] = await viem.getWalletClients();
if (!owner) throw new Error("bench:attest: no account");

// --- on-chain ----------------------------------------------------------------------------------
const attestationKey = devKey("bench/attestation-key");
const pckKey = devKey("bench/pck-key");
const qeMrSigner = randomBytes(32);
const pck = p256PublicKeyXY(pckKey);
const binding = keccak256(toBytes("bench job binding"));
const random = (n: number) => new Uint8Array(randomBytes(n)).map((b) => b | 1);
const mrTd = random(48);
const rtmrs = [random(48), random(48), random(48), random(48)];
const registry = await viem.deployContract("EnclaveRegistry", [owner.account.address]);
const intel = await viem.deployContract("IntelQuoteVerifier", [
  owner.account.address,
  false,
  toHex(qeMrSigner),
  toHex(qeMrSigner),
]);
const far = BigInt(Math.floor(Date.now() / 1000) + 365 * 86400);
await intel.write.registerPckKey([
  hexToBigInt(toHex(pck.subarray(0, 32))),
  hexToBigInt(toHex(pck.subarray(32))),
  far,
]);
const chainPem = devCertificateChain().pem;
const sender = owner.account.address;
/** eth_estimateGas of a verifyEvidence call (a view function, measured as a transaction would pay). */
const estimateVerify = (args: readonly [number, Hex, Hex]) =>
  publicClient.estimateGas({
    account: sender,
    to: registry.address,
    data: encodeFunctionData({ abi: registry.abi, functionName: "verifyEvidence", args }),
  });

async function intelGas(kind: "tdx" | "sgx") {
  const teeType = kind === "tdx" ? TeeType.Tdx : TeeType.Sgx;
  const report =
    kind === "tdx"
      ? {
          kind,
          report: {
            teeTcbSvn: random(16),
            mrSeam: random(48),
            mrTd,
            rtmrs,
            mrConfigId: random(48),
            xfam: random(8),
            reportData: reportDataForBinding(binding),
          },
        }
      : {
          kind,
          report: {
            cpuSvn: random(16),
            mrEnclave: random(32),
            mrSigner: random(32),
            attributes: Uint8Array.of(4, ...random(15)),
            reportData: reportDataForBinding(binding),
          },
        };
  const quote = buildIntelQuote({
    body: report as Parameters<typeof buildIntelQuote>[0]["body"],
    attestationKey,
    pckKey,
    pckChainPem: chainPem,
    qeReport: {
      mrSigner: qeMrSigner,
      isvProdId: kind === "tdx" ? 2 : 1,
      cpuSvn: random(16),
      attributes: random(16).map((b) => b & 0xfc),
    },
    qeAuthData: random(32),
  });
  const measurement =
    kind === "tdx"
      ? tdxMeasurement({ mrTd, rtmrs })
      : toHex((report.report as { mrEnclave: Uint8Array }).mrEnclave);
  await registry.write.setVerifier([teeType, intel.address]);
  await registry.write.allowMeasurement([teeType, measurement, far]);
  const evidence = encodeIntelEvidence(quote, pck);
  const args = [teeType, evidence, binding] as const;
  const returned = await registry.read.verifyEvidence(args);
  if (returned !== measurement) throw new Error(`bench:attest: ${kind} measurement mismatch`);
  const gas = await estimateVerify(args);
  return { gas: Number(gas), evidenceBytes: (evidence.length - 2) / 2, fullQuoteBytes: quote.length };
}
const tdx = await intelGas("tdx");
const sgx = await intelGas("sgx");

// SEV-SNP: an EIP-712 statement of a registered verifier key.
const statementVerifier = await viem.deployContract("AttestationStatementVerifier", [
  owner.account.address,
  1 << TeeType.SevSnp,
  1,
]);
const verifierKey = privateKeyToAccount(keccak256(toBytes("bench/statement-verifier")));
await statementVerifier.write.registerSigner([verifierKey.address, far]);
await registry.write.setVerifier([TeeType.SevSnp, statementVerifier.address]);
const snpMeasurement = keccak256(toBytes("bench snp measurement"));
await registry.write.allowMeasurement([TeeType.SevSnp, snpMeasurement, far]);
const statement = await signAttestationStatement(
  verifierKey,
  { chainId: await publicClient.getChainId(), verifier: statementVerifier.address },
  {
    teeType: TeeType.SevSnp,
    measurement: snpMeasurement,
    reportData: binding,
    tcbStatus: TcbStatus.UpToDate,
    expiresAt: far,
  },
);
const snpGas = Number(await estimateVerify([TeeType.SevSnp, statement, binding]));

// --- TypeScript ----------------------------------------------------------------------------------
function medianMs(fn: () => unknown): number {
  fn(); // warm-up (JIT, certificate parsing caches)
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return Number((times[Math.floor(RUNS / 2)] as number).toFixed(3));
}
const tdxQuote = vectorsAvailable
  ? readTestVector("tdx/tdx_prod_quote_SPR_E4.dat")
  : buildSimulatedQuote({ reportData: reportDataForBinding(binding) });
const tdxOptions = vectorsAvailable
  ? { at: new Date("2025-01-01") }
  : { at: new Date(), pinnedRoots: [DEV_ROOT_CA_SPKI_SHA256] };
const tsTdx = medianMs(() => verifyIntelQuote(tdxQuote, tdxOptions));
let tsSnp: number | null = null;
if (vectorsAvailable) {
  const report = readTestVector("sev-snp/attestation.bin");
  const vcek = readTestVector("sev-snp/vcek.testcer");
  const chain = readTestVector("sev-snp/milan.testcer");
  // The vector comes from a debug guest (policy bit 19): allowed here so the whole path is timed.
  tsSnp = medianMs(() =>
    verifySevSnpAttestation(report, { vcek, chain, at: new Date("2025-01-01"), allowDebug: true }),
  );
}

const ratio = tdx.gas / AUTOMATA_DCAP_GAS;
console.log(
  formatTable(
    ["measure", "value", "note"],
    [
      [
        "tdx_onchain_gas",
        tdx.gas.toLocaleString("en-US"),
        `target ≤ ${TARGET_TDX_GAS.toLocaleString("en-US")}; ${tdx.evidenceBytes} B evidence (quote ${tdx.fullQuoteBytes} B with chain)`,
      ],
      ["sgx_onchain_gas", sgx.gas.toLocaleString("en-US"), `${sgx.evidenceBytes} B evidence`],
      [
        "snp_statement_onchain_gas",
        snpGas.toLocaleString("en-US"),
        "EIP-712 statement of a registered verifier",
      ],
      [
        "tdx_vs_automata_ratio",
        ratio.toFixed(4),
        `vs ${AUTOMATA_DCAP_GAS.toLocaleString("en-US")} (Automata DCAP, cited low end)`,
      ],
      [
        "ts_verify_ms.tdx",
        String(tsTdx),
        vectorsAvailable ? "real TDX quote, median of 30" : "development quote (vectors absent)",
      ],
      [
        "ts_verify_ms.sev_snp",
        tsSnp === null ? "n/a" : String(tsSnp),
        vectorsAvailable ? "real SEV-SNP report, median of 30" : "vectors absent",
      ],
    ],
    [0, 2],
  ),
);

const out = join(import.meta.dirname, "results", "attest.json");
mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
const json = {
  tdx_onchain_gas: tdx.gas,
  sgx_onchain_gas: sgx.gas,
  snp_statement_onchain_gas: snpGas,
  ts_verify_ms: { tdx: tsTdx, sev_snp: tsSnp },
  _meta: {
    baseline: {
      name: "Automata fully on-chain DCAP verification (cited 4–5M; low end used)",
      gas: AUTOMATA_DCAP_GAS,
    },
    tdx_vs_baseline_ratio: Number(ratio.toFixed(4)),
    target_tdx_onchain_gas: TARGET_TDX_GAS,
    tdx_evidence_bytes: tdx.evidenceBytes,
    gas_method: "eth_estimateGas of EnclaveRegistry.verifyEvidence (includes 21,000 base and calldata)",
    ts_vectors: vectorsAvailable ? "real (../shared/test-vectors)" : "development quote",
    runs: RUNS,
    evm: "osaka",
    measured_at: new Date().toISOString(),
  },
};
writeFileSync(`${out}.tmp`, `${JSON.stringify(json, null, 2)}\n`);
renameSync(`${out}.tmp`, out);
console.log(`\nwrote ${out}`);
