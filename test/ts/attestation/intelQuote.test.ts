// Intel TDX v4 / SGX v3 quote verification in TypeScript, on real quotes and on development quotes.
// Real vectors (read from the shared test-vectors folder, never copied into the repository):
//   tdx/* — github.com/google/go-tdx-guest, testing/testdata (commit 91f9a52), Apache-2.0, Copyright Google LLC
//   sgx/sgx_quote_v3.dat — github.com/automata-network/automata-dcap-attestation (commit 2df31aa), MIT
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import { der } from "../../../sdk/attestation/der.ts";
import {
  AttestationError,
  type AttestationErrorCode,
  buildSimulatedQuote,
  DEV_KEYS,
  devCertificateChain,
  issueDevCertificate,
  parseIntelQuote,
  signP256,
  TcbStatus,
  toPem,
} from "../../../sdk/attestation/index.ts";
import {
  DEV_ROOT_CA_SPKI_SHA256,
  parseCertificate,
  verifyIntelQuote,
} from "../../../sdk/attestation/node.ts";
import { readTestVector, skipReason, testVectorsDir } from "../../support/testVectors.ts";

const vector = readTestVector;
const flip = (bytes: Uint8Array, index: number, mask = 0x01) => {
  const out = bytes.slice();
  out[index] = (out[index] as number) ^ mask;
  return out;
};

/** Asserts `fn` throws an AttestationError, optionally with one of `codes`; returns its code. */
function rejects(
  fn: () => unknown,
  codes?: readonly AttestationErrorCode[],
  context = "",
): AttestationErrorCode {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AttestationError, `${context}: threw ${String(e)} instead of an AttestationError`);
    if (codes)
      assert.ok(codes.includes(e.code), `${context}: code ${e.code}, expected one of ${codes.join(", ")}`);
    return e.code;
  }
  assert.fail(`${context}: accepted`);
}

// Inside the collateral windows (TCB info 2023-06-18..07-18, QE identity and PCK CRL 2023-06-08..07-08).
const COLLATERAL_TIME = new Date("2023-06-20T00:00:00Z");
const LATER = new Date("2026-01-01T00:00:00Z");
const DEV = { pinnedRoots: [DEV_ROOT_CA_SPKI_SHA256] };
const devReportData = new Uint8Array(64).fill(0).map((_, i) => (i < 32 ? i + 1 : 0));

describe("Intel quotes: real vectors", { skip: skipReason }, () => {
  it("verifies the production TDX quote v4 with its PCK chain, CRLs and QE identity", () => {
    const v = verifyIntelQuote(vector("tdx/tdx_prod_quote_SPR_E4.dat"), {
      at: COLLATERAL_TIME,
      crls: [vector("tdx/pckcrl"), vector("tdx/rootcrl.der")],
      qeIdentity: vector("tdx/sample_qeIdentity_response"),
    });
    assert.equal(v.kind, "tdx");
    assert.equal(v.quote.header.version, 4);
    assert.equal(
      v.quote.trailingBytes,
      39,
      "the vector carries 39 bytes of test padding after the signature data",
    );
    assert.equal(Buffer.from(v.pck.fmspc).toString("hex"), "50806f000000");
    assert.equal(v.pck.pceSvn, 11);
    assert.equal(v.tcb?.qeStatus, TcbStatus.UpToDate);
    assert.equal(v.tcb?.collateralSignatures, "unchecked");
    assert.equal(v.measurement, "0x87f9c230b8d0eed00e86d4b280c54e72b03aa8311653b81286a6f9016a5d870c");
  });

  it("verifies the SGX quote v3 and reports MRENCLAVE as its measurement", () => {
    const bytes = vector("sgx/sgx_quote_v3.dat");
    const v = verifyIntelQuote(bytes, { at: LATER });
    assert.equal(v.kind, "sgx");
    assert.equal(v.measurement, `0x${Buffer.from(bytes.subarray(48 + 64, 48 + 96)).toString("hex")}`);
    assert.equal(v.quote.qeReport.isvProdId, 1);
  });

  it("reports stale collateral at today's time (the vectors' CRLs and TCB info expired in 2023-2024)", () => {
    const quote = vector("tdx/tdx_prod_quote_SPR_E4.dat");
    rejects(
      () => verifyIntelQuote(quote, { at: LATER, crls: [vector("tdx/pckcrl")] }),
      ["CollateralExpired"],
    );
    rejects(
      () => verifyIntelQuote(quote, { at: LATER, qeIdentity: vector("tdx/sample_qeIdentity_response") }),
      ["CollateralExpired"],
    );
  });

  it("rejects the quote with the sample TCB info: the platform's TCB is below every listed level", () => {
    // The sample TCB info lists SGX components ≥ 5,5,2,2,3… while this PCK certificate has 3,3,2,2,2…:
    // Intel's matching rule finds no level ("TCB not supported").
    const quote = vector("tdx/tdx_prod_quote_SPR_E4.dat");
    const tcbInfo = readFileSync(path.join(testVectorsDir, "tdx/sample_tcbInfo_response"), "utf8");
    rejects(() => verifyIntelQuote(quote, { at: COLLATERAL_TIME, tcbInfo }), ["TcbStatusRejected"]);
    // Lowered levels (signature then unchecked) match, and the status decides under the policy.
    const doc = JSON.parse(tcbInfo) as {
      tcbInfo: {
        tcbLevels: { tcb: { sgxtcbcomponents: { svn: number }[]; tdxtcbcomponents: { svn: number }[] } }[];
      };
    };
    for (const level of doc.tcbInfo.tcbLevels) {
      for (const c of level.tcb.sgxtcbcomponents) c.svn = Math.min(c.svn, 2);
      for (const c of level.tcb.tdxtcbcomponents) c.svn = Math.min(c.svn, 3);
    }
    const lowered = JSON.stringify(doc);
    const accepted = verifyIntelQuote(quote, { at: COLLATERAL_TIME, tcbInfo: lowered });
    assert.equal(accepted.tcb?.platformStatus, TcbStatus.UpToDate);
  });

  it("rejects the chain at a time after the PCK certificate expired", () => {
    rejects(
      () => verifyIntelQuote(vector("tdx/tdx_prod_quote_SPR_E4.dat"), { at: new Date("2030-01-01") }),
      ["CertificateExpired"],
    );
  });

  it("refuses Intel quotes when only the development root is pinned, and vice versa", () => {
    rejects(
      () => verifyIntelQuote(vector("tdx/tdx_prod_quote_SPR_E4.dat"), { at: LATER, ...DEV }),
      ["UntrustedRoot"],
    );
    rejects(
      () => verifyIntelQuote(buildSimulatedQuote({ reportData: devReportData }), { at: LATER }),
      ["UntrustedRoot"],
    );
  });

  it("rejects a report data that is not the expected job binding", () => {
    const expectedReportData = new Uint8Array(64).fill(1);
    rejects(
      () => verifyIntelQuote(vector("tdx/tdx_prod_quote_SPR_E4.dat"), { at: LATER, expectedReportData }),
      ["ReportDataMismatch"],
    );
  });

  for (const [name, file] of [
    ["TDX v4", "tdx/tdx_prod_quote_SPR_E4.dat"],
    ["SGX v3", "sgx/sgx_quote_v3.dat"],
  ] as const) {
    it(`${name}: flipping any byte of the header, body, QE report, signatures, key or QE auth data is rejected`, () => {
      const bytes = vector(file);
      const q = parseIntelQuote(bytes);
      const bodyEnd = q.signedRegion.length;
      const qeStart = q.qeReport.raw.byteOffset - bytes.byteOffset;
      const regions: [string, number, number, readonly AttestationErrorCode[]][] = [
        ["header", 0, 48, ["QuoteSignatureInvalid", "Unsupported"]],
        ["body", 48, bodyEnd, ["QuoteSignatureInvalid"]],
        ["quote signature and attestation key", bodyEnd + 4, bodyEnd + 132, ["QuoteSignatureInvalid"]],
        ["QE report", qeStart, qeStart + 384, ["QeReportSignatureInvalid"]],
        ["QE report signature", qeStart + 384, qeStart + 448, ["QeReportSignatureInvalid"]],
        [
          "QE auth data",
          q.qeAuthDataEnd - q.qeAuthData.length,
          q.qeAuthDataEnd,
          ["AttestationKeyBindingInvalid"],
        ],
      ];
      let positions = 0;
      for (const [region, start, end, codes] of regions) {
        for (let i = start; i < end; i++, positions++) {
          rejects(
            () => verifyIntelQuote(flip(bytes, i), { at: LATER }),
            codes,
            `${name} ${region} byte ${i}`,
          );
        }
      }
      assert.ok(positions >= 500, `${positions} positions`);
    });
  }

  it("parses every truncation of the TDX quote to a typed error", () => {
    const bytes = vector("tdx/tdx_prod_quote_SPR_E4.dat");
    const q = parseIntelQuote(bytes);
    const declaredEnd = bytes.length - q.trailingBytes;
    for (let length = 0; length < declaredEnd; length++) {
      rejects(
        () => parseIntelQuote(bytes.subarray(0, length)),
        ["Truncated", "Malformed"],
        `length ${length}`,
      );
    }
  });
});

describe("Intel quotes: development chain (Simulated TEE)", () => {
  it("pins the development root by the SHA-256 of its public key, built once per process", () => {
    assert.equal(parseCertificate(devCertificateChain().root).spkiSha256, DEV_ROOT_CA_SPKI_SHA256);
    assert.equal(devCertificateChain(), devCertificateChain());
  });

  it("verifies a development quote against the development root and returns the Simulated measurement", () => {
    const v = verifyIntelQuote(buildSimulatedQuote({ reportData: devReportData }), {
      at: LATER,
      ...DEV,
      expectedReportData: devReportData,
    });
    assert.equal(v.kind, "tdx");
    assert.equal(v.pck.commonName, "Blind Training DEV PCK Certificate");
  });

  it("refuses a debug TD", () => {
    const quote = buildSimulatedQuote({
      reportData: devReportData,
      report: { tdAttributes: Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0) },
    });
    rejects(() => verifyIntelQuote(quote, { at: LATER, ...DEV }), ["DebugEnclave"]);
    assert.equal(verifyIntelQuote(quote, { at: LATER, ...DEV, allowDebug: true }).kind, "tdx");
  });

  it("applies a CRL: a revoked PCK certificate is refused, a stale or forged CRL is refused", () => {
    const issuerName = der.seq(
      der.set(der.seq(der.oid("2.5.4.10"), der.utf8("Blind Training development"))),
      der.set(der.seq(der.oid("2.5.4.3"), der.utf8("Blind Training DEV PCK Platform CA"))),
    );
    const crl = (serials: bigint[], next: Date, key = DEV_KEYS.platform) => {
      const alg = der.seq(der.oid("1.2.840.10045.4.3.2"));
      const tbs = der.seq(
        der.int(1n),
        alg,
        issuerName,
        der.time(new Date("2025-06-01")),
        der.time(next),
        ...(serials.length
          ? [der.seq(...serials.map((s) => der.seq(der.int(s), der.time(new Date("2025-06-01")))))]
          : []),
      );
      const sig = p256.Signature.fromBytes(p256.sign(sha256(tbs), key, { prehash: false })).toBytes("der");
      return der.seq(tbs, alg, der.bits(sig));
    };
    const quote = buildSimulatedQuote({ reportData: devReportData });
    const at = new Date("2025-07-01");
    assert.equal(
      verifyIntelQuote(quote, { at, ...DEV, crls: [crl([99n], new Date("2025-08-01"))] }).kind,
      "tdx",
    );
    rejects(
      () => verifyIntelQuote(quote, { at, ...DEV, crls: [crl([99n, 3n], new Date("2025-08-01"))] }),
      ["CertificateRevoked"],
    );
    rejects(
      () => verifyIntelQuote(quote, { at, ...DEV, crls: [crl([], new Date("2025-06-15"))] }),
      ["CollateralExpired"],
    );
    rejects(
      () => verifyIntelQuote(quote, { at, ...DEV, crls: [crl([], new Date("2025-08-01"), DEV_KEYS.root)] }),
      ["CollateralInvalid"],
    );
  });

  it("verifies collateral signatures when the signing chain is given, and detects a changed byte", () => {
    const signingKey = DEV_KEYS.attestation; // any P-256 key; here certified by the development root
    const signingCert = issueDevCertificate({
      serial: 10n,
      subject: "Blind Training DEV TCB Signing",
      issuer: "Blind Training DEV Attestation Root CA",
      subjectKey: signingKey,
      issuerKey: DEV_KEYS.root,
      ca: false,
    });
    const signingChain = toPem(signingCert) + toPem(devCertificateChain().root);
    const identity = JSON.stringify({
      id: "TD_QE",
      version: 2,
      issueDate: "2025-01-01T00:00:00Z",
      nextUpdate: "2049-01-01T00:00:00Z",
      miscselect: "00000000",
      miscselectMask: "FFFFFFFF",
      attributes: "00000000000000000000000000000000",
      attributesMask: "00000000000000000000000000000000",
      mrsigner: Buffer.from(
        parseIntelQuote(buildSimulatedQuote({ reportData: devReportData })).qeReport.mrSigner,
      ).toString("hex"),
      isvprodid: 2,
      tcbLevels: [{ tcb: { isvsvn: 0 }, tcbDate: "2025-01-01T00:00:00Z", tcbStatus: "UpToDate" }],
    });
    const sign = (body: string) =>
      `{"enclaveIdentity":${body},"signature":"${Buffer.from(signP256(new TextEncoder().encode(body), signingKey)).toString("hex")}"}`;
    const quote = buildSimulatedQuote({ reportData: devReportData });
    const ok = verifyIntelQuote(quote, {
      at: LATER,
      ...DEV,
      qeIdentity: sign(identity),
      collateralSigningChain: signingChain,
    });
    assert.equal(ok.tcb?.collateralSignatures, "verified");
    assert.equal(ok.tcb?.qeStatus, TcbStatus.UpToDate);
    const tampered = sign(identity).replace('"version":2', '"version":3');
    rejects(
      () =>
        verifyIntelQuote(quote, {
          at: LATER,
          ...DEV,
          qeIdentity: tampered,
          collateralSigningChain: signingChain,
        }),
      ["CollateralInvalid"],
    );
    const wrongQe = sign(identity.replace('"isvprodid":2', '"isvprodid":1'));
    rejects(
      () =>
        verifyIntelQuote(quote, {
          at: LATER,
          ...DEV,
          qeIdentity: wrongQe,
          collateralSigningChain: signingChain,
        }),
      ["QeIdentityMismatch"],
    );
    const outOfDate = sign(identity.replace('"tcbStatus":"UpToDate"', '"tcbStatus":"OutOfDate"'));
    rejects(
      () =>
        verifyIntelQuote(quote, {
          at: LATER,
          ...DEV,
          qeIdentity: outOfDate,
          collateralSigningChain: signingChain,
        }),
      ["TcbStatusRejected"],
    );
  });
});

describe("Intel quote parser fuzzing (fast-check)", () => {
  const base = buildSimulatedQuote({ reportData: devReportData });
  const onlyTypedErrors = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof AttestationError)) throw e;
    }
  };

  it("random byte strings (6,000 cases) never throw anything but AttestationError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6000 }), (bytes) =>
        onlyTypedErrors(() => parseIntelQuote(bytes)),
      ),
      { numRuns: 6000, seed: 4 },
    );
  });

  it("random headers on random bodies (2,000 cases): only typed errors", () => {
    const header = base.subarray(0, 48);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 5000 }), fc.boolean(), (rest, tdx) => {
        const h = header.slice();
        if (!tdx) h.set([3, 0, 2, 0, 0, 0, 0, 0]);
        onlyTypedErrors(() => parseIntelQuote(new Uint8Array([...h, ...rest])));
      }),
      { numRuns: 2000, seed: 5 },
    );
  });

  it("random mutations and truncations of a valid quote (2,000 cases) are rejected with typed errors", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(base.length - 1), value: fc.nat(255) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.nat(base.length),
        (edits, cut) => {
          const bytes = base.slice(0, Math.max(cut, 1));
          let changed = cut < base.length;
          for (const { at, value } of edits) {
            if (at < bytes.length && bytes[at] !== value) {
              bytes[at] = value;
              changed = true;
            }
          }
          try {
            verifyIntelQuote(bytes, { at: LATER, ...DEV });
            // Only bytes outside every signature and outside parsed structure may change silently: none here.
            assert.ok(!changed, "a changed quote was accepted");
          } catch (e) {
            if (!(e instanceof AttestationError)) throw e;
          }
        },
      ),
      { numRuns: 2000, seed: 6 },
    );
  });
});
