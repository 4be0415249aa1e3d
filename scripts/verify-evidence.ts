// npm run verify-evidence -- <file> [options]: verifies a TDX/SGX quote or an SEV-SNP report in full
// with the TypeScript verifiers and prints what it attests as JSON — the check governance runs before
// registering a platform's PCK key on IntelQuoteVerifier (docs/ATTESTATION.md, trust assumption).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type Hex, hexToBigInt, toHex } from "viem";
import {
  AttestationError,
  reportDataForBinding,
  TcbStatus,
  type TcbStatusName,
} from "../sdk/attestation/index.ts";
import {
  DEV_ROOT_CA_SPKI_SHA256,
  INTEL_SGX_ROOT_CA_SPKI_SHA256,
  verifyIntelQuote,
  verifySevSnpAttestation,
} from "../sdk/attestation/node.ts";

const HELP = `Usage: npm run verify-evidence -- <evidence file> [options]

Verifies attestation evidence with the TypeScript verifiers and prints the result as JSON on stdout:
measurement (the EnclaveRegistry allow-list key), report data, TCB status and, for Intel quotes, the
PCK key and expiry to pass to IntelQuoteVerifier.registerPckKey. Exits 1 with the failed check's
code and message on stderr when the evidence is rejected, 2 on bad usage.

Evidence kinds (--kind, default: intel):
  intel      TDX quote v4 or SGX quote v3 with its embedded PCK chain
  sev-snp    SEV-SNP attestation report (needs --vcek and --chain)

Options:
  --at <ISO time>              validation time (default: now)
  --binding <0x…32 bytes>      expected job binding (report data = binding ‖ 32 zero bytes)
  --crl <file>                 Intel PCK or root CRL, DER or PEM (repeatable)
  --tcb-info <file>            Intel PCS TCB-info response body (JSON)
  --qe-identity <file>         Intel PCS QE-identity response body (JSON)
  --collateral-chain <file>    PEM chain that signed the TCB info / QE identity
  --accept <status,…>          accepted TCB statuses (default UpToDate,SWHardeningNeeded)
  --vcek <file>                SEV-SNP: VCEK certificate (DER)
  --chain <file>               SEV-SNP: ASK then ARK (PEM)
  --dev                        trust the development root (Simulated TEE quotes) instead of Intel's
  --allow-debug                accept a debug enclave or guest (never in production)
  -h, --help                   this text`;

const tcbStatusName = (status: number) =>
  Object.entries(TcbStatus).find(([, v]) => v === status)?.[0] ?? String(status);

function fail(code: number, message: string): never {
  console.error(message);
  process.exit(code);
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      kind: { type: "string", default: "intel" },
      at: { type: "string" },
      binding: { type: "string" },
      crl: { type: "string", multiple: true },
      "tcb-info": { type: "string" },
      "qe-identity": { type: "string" },
      "collateral-chain": { type: "string" },
      accept: { type: "string" },
      vcek: { type: "string" },
      chain: { type: "string" },
      dev: { type: "boolean", default: false },
      "allow-debug": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}
try {
  parsed = parse();
} catch (e) {
  fail(2, `verify-evidence: ${(e as Error).message}\n\n${HELP}`);
}
const { values: o, positionals } = parsed;
if (o.help) {
  console.log(HELP);
  process.exit(0);
}
if (positionals.length !== 1)
  fail(2, `verify-evidence: expected one evidence file, got ${positionals.length}\n\n${HELP}`);
const read = (path: string, what: string) => {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    return fail(2, `verify-evidence: cannot read ${what} ${path}: ${(e as Error).message}`);
  }
};
const at = o.at === undefined ? new Date() : new Date(o.at);
if (Number.isNaN(at.getTime())) fail(2, `verify-evidence: --at ${o.at} is not a date`);
if (o.binding !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(o.binding))
  fail(2, "verify-evidence: --binding must be 0x followed by 64 hex digits");
const expectedReportData = o.binding === undefined ? undefined : reportDataForBinding(o.binding as Hex);
const evidence = read(positionals[0] as string, "evidence");

try {
  if (o.kind === "intel") {
    const v = verifyIntelQuote(evidence, {
      at,
      pinnedRoots: [o.dev ? DEV_ROOT_CA_SPKI_SHA256 : INTEL_SGX_ROOT_CA_SPKI_SHA256],
      expectedReportData,
      crls: (o.crl ?? []).map((f) => read(f, "CRL")),
      tcbInfo: o["tcb-info"] === undefined ? undefined : read(o["tcb-info"], "TCB info"),
      qeIdentity: o["qe-identity"] === undefined ? undefined : read(o["qe-identity"], "QE identity"),
      collateralSigningChain:
        o["collateral-chain"] === undefined
          ? undefined
          : new TextDecoder().decode(read(o["collateral-chain"], "collateral chain")),
      acceptedTcbStatuses: o.accept?.split(",").map((s) => s.trim()) as TcbStatusName[] | undefined,
      allowDebug: o["allow-debug"],
    });
    const pck = toHex(v.pck.publicKey);
    console.log(
      JSON.stringify(
        {
          kind: v.kind,
          measurement: v.measurement,
          reportData: toHex(v.reportData),
          tcb:
            v.tcb === undefined ? "no collateral given" : { ...v.tcb, status: tcbStatusName(v.tcb.status) },
          pck: {
            commonName: v.pck.commonName,
            fmspc: toHex(v.pck.fmspc),
            notAfter: v.pck.notAfter.toISOString(),
            registerPckKey: {
              x: hexToBigInt(`0x${pck.slice(2, 66)}`).toString(),
              y: hexToBigInt(`0x${pck.slice(66)}`).toString(),
              expiresAt: Math.floor(v.pck.notAfter.getTime() / 1000),
            },
          },
        },
        null,
        2,
      ),
    );
  } else if (o.kind === "sev-snp") {
    if (o.vcek === undefined || o.chain === undefined)
      fail(2, "verify-evidence: --kind sev-snp needs --vcek and --chain");
    const v = verifySevSnpAttestation(evidence, {
      vcek: read(o.vcek, "VCEK"),
      chain: read(o.chain, "AMD chain"),
      at,
      expectedReportData,
      allowDebug: o["allow-debug"],
    });
    console.log(
      JSON.stringify(
        {
          kind: "sev-snp",
          measurement: v.measurement,
          reportData: v.reportData,
          reportedTcb: v.reportedTcb,
          tcbStatus: v.tcbStatus,
          validUntil: v.validUntil.toISOString(),
        },
        null,
        2,
      ),
    );
  } else {
    fail(2, `verify-evidence: unknown --kind ${o.kind} (intel or sev-snp)`);
  }
} catch (e) {
  if (e instanceof AttestationError) fail(1, `rejected: ${e.message}`);
  throw e;
}
