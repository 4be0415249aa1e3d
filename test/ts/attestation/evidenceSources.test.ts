// Enclave-side evidence sources (enclave-runner/attestation/). configfs-tsm and Gramine's
// /dev/attestation only exist inside a TEE, so the sources run against in-memory emulations of
// their semantics: the configfs fake computes outblob from inblob when it is read and bumps
// `generation` on every write, like the kernel; the Gramine fake computes the quote from
// user_report_data. The outputs are a deterministic function of the input, so every happy path
// also proves that our report data is what reached the "hardware". Two tests use the real node:fs
// port against a temporary directory.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { describe, it } from "node:test";
import { ConfigfsTsmSource } from "../../../enclave-runner/attestation/configfsTsm.ts";
import {
  assertReportData,
  type EvidenceFileSystem,
  nodeFileSystem,
} from "../../../enclave-runner/attestation/evidenceSource.ts";
import { GramineSgxSource } from "../../../enclave-runner/attestation/gramineSgx.ts";
import { createEvidenceSource } from "../../../enclave-runner/attestation/index.ts";
import { SIMULATED_MEASUREMENT } from "../../../sdk/attestation/devChain.ts";
import { AttestationError, type AttestationErrorCode } from "../../../sdk/attestation/errors.ts";
import { DEV_ROOT_CA_SPKI_SHA256, verifyIntelQuote } from "../../../sdk/attestation/node.ts";

const encoder = new TextEncoder();

function reportDataOf(seed: number): Uint8Array {
  return Uint8Array.from({ length: 64 }, (_, i) => (seed * 31 + i * 7) & 0xff);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** What the fake "hardware" signs: depends on every input, so a wrong or stale inblob shows. */
function fakeReport(provider: string, privlevel: number, inblob: Uint8Array): Uint8Array {
  return concat(
    encoder.encode(`${provider}/vmpl${privlevel}/`),
    inblob.map((b) => b ^ 0x5a),
  );
}

function fakeGramineQuote(userReportData: Uint8Array): Uint8Array {
  return concat(
    encoder.encode("sgx-quote-v3/"),
    userReportData.map((b) => b ^ 0xa5),
  );
}

function osError(code: string, path: string): Error {
  return Object.assign(new Error(`${code}: fake file system, ${path}`), { code });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function rejectsWith(promise: Promise<unknown>, code: AttestationErrorCode, message?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AttestationError, `expected AttestationError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  });
}

type FakeEntry = { generation: number; privlevel: number; inblob: Uint8Array | undefined };

type FakeConfigfsOptions = {
  provider?: string;
  rootExists?: boolean;
  /** "absent": the attribute is hidden (newer kernels on TDX); "empty": shown but empty. */
  auxblob?: Uint8Array | "absent" | "empty";
  emptyOutblob?: boolean;
  failOutblob?: boolean;
  failRmdir?: boolean;
  /** The first `racyEntries` entries get a concurrent writer: each inblob write bumps generation by 2. */
  racyEntries?: number;
};

const TSM_ROOT = "/fake/sys/kernel/config/tsm/report";

/** The configfs-tsm report interface as the kernel behaves, in memory. */
class FakeConfigfs implements EvidenceFileSystem {
  readonly entries = new Map<string, FakeEntry>();
  readonly created: string[] = [];
  readonly removed: string[] = [];
  readonly writes: string[] = [];
  readonly options: FakeConfigfsOptions;

  constructor(options: FakeConfigfsOptions = {}) {
    this.options = options;
  }

  get provider(): string {
    return this.options.provider ?? "tdx_guest";
  }

  #entry(path: string): [FakeEntry, string] {
    const entry = this.entries.get(basename(dirname(path)));
    if (dirname(dirname(path)) !== TSM_ROOT || entry === undefined) throw osError("ENOENT", path);
    return [entry, basename(path)];
  }

  async mkdir(path: string): Promise<void> {
    if (dirname(path) !== TSM_ROOT || this.options.rootExists === false) throw osError("ENOENT", path);
    if (this.entries.has(basename(path))) throw osError("EEXIST", path);
    this.entries.set(basename(path), { generation: 0, privlevel: 0, inblob: undefined });
    this.created.push(basename(path));
  }

  async rmdir(path: string): Promise<void> {
    if (this.options.failRmdir) throw osError("EBUSY", path);
    if (dirname(path) !== TSM_ROOT || !this.entries.delete(basename(path))) throw osError("ENOENT", path);
    this.removed.push(basename(path));
  }

  async readFile(path: string): Promise<Uint8Array> {
    const [entry, attribute] = this.#entry(path);
    switch (attribute) {
      case "provider":
        return encoder.encode(`${this.provider}\n`);
      case "generation":
        return encoder.encode(`${entry.generation}\n`);
      case "outblob":
        if (this.options.failOutblob) throw osError("EIO", path);
        if (entry.inblob === undefined) throw osError("EINVAL", path);
        if (this.options.emptyOutblob) return new Uint8Array();
        return fakeReport(this.provider, entry.privlevel, entry.inblob);
      case "auxblob": {
        const aux = this.options.auxblob ?? "absent";
        if (aux === "absent") throw osError("ENOENT", path);
        return aux === "empty" ? new Uint8Array() : aux;
      }
      default:
        throw osError(attribute === "inblob" || attribute === "privlevel" ? "EACCES" : "ENOENT", path);
    }
  }

  async writeFile(path: string, data: Uint8Array): Promise<void> {
    const [entry, attribute] = this.#entry(path);
    this.writes.push(attribute);
    if (attribute === "inblob") {
      if (data.length > 64) throw osError("EFBIG", path);
      entry.inblob = data.slice();
      entry.generation++;
      const racy = this.created.indexOf(basename(dirname(path))) < (this.options.racyEntries ?? 0);
      if (racy) entry.generation++;
    } else if (attribute === "privlevel") {
      const value = Number(new TextDecoder().decode(data).trim());
      if (!Number.isInteger(value) || value > 3) throw osError("EINVAL", path);
      entry.privlevel = value;
      entry.generation++;
    } else {
      throw osError("EACCES", path);
    }
  }

  async exists(path: string): Promise<boolean> {
    if (path === TSM_ROOT) return this.options.rootExists !== false;
    try {
      const [, attribute] = this.#entry(path);
      if (attribute === "auxblob") return (this.options.auxblob ?? "absent") !== "absent";
      return ["provider", "generation", "inblob", "outblob", "privlevel"].includes(attribute);
    } catch {
      return this.entries.has(basename(path)) && dirname(path) === TSM_ROOT;
    }
  }
}

function tsm(fs: FakeConfigfs, options: ConstructorParameters<typeof ConfigfsTsmSource>[0] = {}) {
  return new ConfigfsTsmSource({ root: TSM_ROOT, fs, ...options });
}

function assertAllEntriesRemoved(fs: FakeConfigfs, expectedAttempts: number) {
  assert.equal(fs.created.length, expectedAttempts, "entries created");
  assert.deepEqual(fs.removed, fs.created, "every entry removed");
  assert.equal(fs.entries.size, 0);
}

describe("evidence sources: configfs-tsm (TDX, SEV-SNP)", () => {
  it("TDX: writes the report data to inblob and returns outblob as a tdx-quote", async () => {
    const fs = new FakeConfigfs({ provider: "tdx_guest" });
    const reportData = reportDataOf(1);
    const evidence = await tsm(fs, { expectedProvider: "tdx_guest" }).getEvidence(reportData);
    assert.equal(evidence.kind, "tdx-quote");
    assert.equal(evidence.provider, "tdx_guest");
    assert.deepEqual(evidence.evidence, fakeReport("tdx_guest", 0, reportData));
    assert.equal(evidence.auxiliary, undefined);
    assert.ok(!("auxiliary" in evidence), "no auxiliary key when the kernel hides auxblob");
    assert.deepEqual(fs.writes, ["inblob"], "no privlevel write unless asked");
    assertAllEntriesRemoved(fs, 1);
    assert.match(fs.created[0] ?? "", new RegExp(`^bt-${process.pid}-[0-9a-f]{16}$`));
  });

  it("TDX: an auxblob that exists but is empty (older kernels) gives no auxiliary data", async () => {
    const fs = new FakeConfigfs({ provider: "tdx_guest", auxblob: "empty" });
    const evidence = await tsm(fs).getEvidence(reportDataOf(2));
    assert.ok(!("auxiliary" in evidence));
    assertAllEntriesRemoved(fs, 1);
  });

  it("SEV-SNP: returns the report and the auxblob certificate table, honouring privlevel", async () => {
    const certTable = Uint8Array.from({ length: 96 }, (_, i) => i);
    const fs = new FakeConfigfs({ provider: "sev_guest", auxblob: certTable });
    const reportData = reportDataOf(3);
    const evidence = await tsm(fs, { expectedProvider: "sev_guest", privlevel: 2 }).getEvidence(reportData);
    assert.equal(evidence.kind, "sev-snp-report");
    assert.equal(evidence.provider, "sev_guest");
    assert.deepEqual(evidence.evidence, fakeReport("sev_guest", 2, reportData));
    assert.deepEqual(evidence.auxiliary, certTable);
    // Two writes of our own: the generation check must count both, not flag a race.
    assert.deepEqual(fs.writes, ["privlevel", "inblob"]);
    assertAllEntriesRemoved(fs, 1);
  });

  it("removes the entry directory when reading outblob fails, keeping the OS error as cause", async () => {
    const fs = new FakeConfigfs({ failOutblob: true });
    const promise = tsm(fs).getEvidence(reportDataOf(4));
    await rejectsWith(promise, "EvidenceUnavailable", /outblob failed: EIO/);
    await promise.catch((error: AttestationError) =>
      assert.equal((error.cause as { code?: string }).code, "EIO"),
    );
    assertAllEntriesRemoved(fs, 1);
  });

  it("refuses a provider other than expectedProvider before writing anything", async () => {
    const fs = new FakeConfigfs({ provider: "sev_guest" });
    await rejectsWith(
      tsm(fs, { expectedProvider: "tdx_guest" }).getEvidence(reportDataOf(5)),
      "EvidenceUnavailable",
      /provider is "sev_guest", expected "tdx_guest"/,
    );
    assert.deepEqual(fs.writes, []);
    assertAllEntriesRemoved(fs, 1);
  });

  it("refuses an unknown provider", async () => {
    const fs = new FakeConfigfs({ provider: "some_future_guest" });
    await rejectsWith(
      tsm(fs).getEvidence(reportDataOf(6)),
      "EvidenceUnavailable",
      /unsupported configfs-tsm provider "some_future_guest"/,
    );
    assertAllEntriesRemoved(fs, 1);
  });

  it("refuses privlevel on a provider without privilege levels (TDX)", async () => {
    const fs = new FakeConfigfs({ provider: "tdx_guest" });
    await rejectsWith(
      tsm(fs, { privlevel: 1 }).getEvidence(reportDataOf(7)),
      "EvidenceUnavailable",
      /privlevel/,
    );
    assert.deepEqual(fs.writes, []);
    assertAllEntriesRemoved(fs, 1);
  });

  it("detects a concurrent writer (generation +2), retries in a fresh entry and succeeds", async () => {
    const fs = new FakeConfigfs({ racyEntries: 2 });
    const reportData = reportDataOf(8);
    const evidence = await tsm(fs, { retries: 3 }).getEvidence(reportData);
    assert.deepEqual(evidence.evidence, fakeReport("tdx_guest", 0, reportData));
    assertAllEntriesRemoved(fs, 3);
    assert.equal(new Set(fs.created).size, 3, "each attempt uses a new entry name");
  });

  it("fails with EvidenceUnavailable when every attempt races", async () => {
    const fs = new FakeConfigfs({ racyEntries: Number.POSITIVE_INFINITY });
    await rejectsWith(
      tsm(fs, { retries: 2 }).getEvidence(reportDataOf(9)),
      "EvidenceUnavailable",
      /written concurrently on all 3 attempts/,
    );
    assertAllEntriesRemoved(fs, 3);

    const once = new FakeConfigfs({ racyEntries: 1 });
    await rejectsWith(
      tsm(once, { retries: 0 }).getEvidence(reportDataOf(9)),
      "EvidenceUnavailable",
      /all 1 attempts/,
    );
    assertAllEntriesRemoved(once, 1);
  });

  it("explains a missing configfs-tsm root", async () => {
    const fs = new FakeConfigfs({ rootExists: false });
    const promise = tsm(fs).getEvidence(reportDataOf(10));
    await rejectsWith(promise, "EvidenceUnavailable", /configfs-tsm is not available/);
    await promise.catch((error: AttestationError) => {
      assert.match(error.details ?? "", /6\.7/);
      assert.match(error.details ?? "", /TDX or SEV-SNP guest/);
    });
    assert.equal(fs.created.length, 0);
  });

  it("refuses an empty outblob", async () => {
    const fs = new FakeConfigfs({ emptyOutblob: true });
    await rejectsWith(tsm(fs).getEvidence(reportDataOf(11)), "EvidenceUnavailable", /empty outblob/);
    assertAllEntriesRemoved(fs, 1);
  });

  it("reports an entry it could not remove even when the evidence was produced", async () => {
    const fs = new FakeConfigfs({ failRmdir: true });
    await rejectsWith(tsm(fs).getEvidence(reportDataOf(12)), "EvidenceUnavailable", /removing .* EBUSY/);
  });

  it("gives concurrent calls their own entries and their own evidence", async () => {
    const fs = new FakeConfigfs();
    const source = tsm(fs);
    const inputs = [13, 14, 15, 16].map(reportDataOf);
    const results = await Promise.all(inputs.map((reportData) => source.getEvidence(reportData)));
    results.forEach((evidence, i) => {
      assert.deepEqual(evidence.evidence, fakeReport("tdx_guest", 0, inputs[i] ?? new Uint8Array()));
    });
    assertAllEntriesRemoved(fs, 4);
  });

  it("refuses report data that is not exactly 64 bytes before touching configfs", async () => {
    const fs = new FakeConfigfs();
    for (const length of [0, 32, 63, 65]) {
      await rejectsWith(
        tsm(fs).getEvidence(new Uint8Array(length)),
        "Malformed",
        new RegExp(`got ${length}`),
      );
    }
    assert.equal(fs.created.length, 0);
    assert.throws(() => assertReportData("00".repeat(64)), AttestationError);
    assert.doesNotThrow(() => assertReportData(new Uint8Array(64)));
  });

  it("refuses invalid options", () => {
    const fs = new FakeConfigfs();
    for (const options of [
      { privlevel: 4 },
      { privlevel: -1 },
      { privlevel: 1.5 },
      { retries: -1 },
      { retries: 0.5 },
    ]) {
      assert.throws(
        () => tsm(fs, options),
        (error: unknown) => error instanceof AttestationError && error.code === "Malformed",
      );
    }
  });
});

type FakeGramineOptions = { attestationType?: string | undefined; emptyQuote?: boolean };

const GRAMINE_ROOT = "/fake/dev/attestation";

/** Gramine's /dev/attestation: one user_report_data per process, the quote computed on read. */
class FakeGramine implements EvidenceFileSystem {
  userReportData: Uint8Array | undefined;
  readonly options: FakeGramineOptions;

  constructor(options: FakeGramineOptions = {}) {
    this.options = options;
  }

  async mkdir(path: string): Promise<void> {
    throw osError("EACCES", path);
  }

  async rmdir(path: string): Promise<void> {
    throw osError("EACCES", path);
  }

  async readFile(path: string): Promise<Uint8Array> {
    const type = this.options.attestationType;
    if (type === undefined) throw osError("ENOENT", path);
    if (path === join(GRAMINE_ROOT, "attestation_type")) return encoder.encode(type);
    if (path === join(GRAMINE_ROOT, "quote") && type === "dcap") {
      // Quote generation goes to the host's quoting enclave: slow, and a window for other callers.
      await sleep(5);
      if (this.userReportData === undefined) throw osError("EINVAL", path);
      return this.options.emptyQuote ? new Uint8Array() : fakeGramineQuote(this.userReportData);
    }
    throw osError("ENOENT", path);
  }

  async writeFile(path: string, data: Uint8Array): Promise<void> {
    if (this.options.attestationType === undefined || path !== join(GRAMINE_ROOT, "user_report_data")) {
      throw osError("ENOENT", path);
    }
    if (data.length !== 64) throw osError("EINVAL", path);
    this.userReportData = data.slice();
  }

  async exists(path: string): Promise<boolean> {
    if (this.options.attestationType === undefined) return false;
    return path === GRAMINE_ROOT || path === join(GRAMINE_ROOT, "attestation_type");
  }
}

describe("evidence sources: Gramine SGX", () => {
  it("writes user_report_data and returns the DCAP quote", async () => {
    const fs = new FakeGramine({ attestationType: "dcap" });
    const reportData = reportDataOf(20);
    const evidence = await new GramineSgxSource({ root: GRAMINE_ROOT, fs }).getEvidence(reportData);
    assert.deepEqual(evidence, {
      kind: "sgx-quote",
      evidence: fakeGramineQuote(reportData),
      provider: "gramine",
    });
    assert.deepEqual(fs.userReportData, reportData);
  });

  it('explains attestation_type "none" (manifest without remote attestation)', async () => {
    const fs = new FakeGramine({ attestationType: "none" });
    const promise = new GramineSgxSource({ root: GRAMINE_ROOT, fs }).getEvidence(reportDataOf(21));
    await rejectsWith(promise, "EvidenceUnavailable", /"none".*no remote attestation/);
    await promise.catch((error: AttestationError) =>
      assert.match(error.details ?? "", /sgx\.remote_attestation/),
    );
    assert.equal(fs.userReportData, undefined);
  });

  it("names an attestation type other than dcap", async () => {
    const fs = new FakeGramine({ attestationType: "epid\n" });
    await rejectsWith(
      new GramineSgxSource({ root: GRAMINE_ROOT, fs }).getEvidence(reportDataOf(22)),
      "EvidenceUnavailable",
      /attestation_type is "epid", only "dcap"/,
    );
  });

  it("explains a missing /dev/attestation", async () => {
    const fs = new FakeGramine({ attestationType: undefined });
    await rejectsWith(
      new GramineSgxSource({ root: GRAMINE_ROOT, fs }).getEvidence(reportDataOf(23)),
      "EvidenceUnavailable",
      /Gramine attestation device not found/,
    );
  });

  it("refuses an empty quote and report data that is not 64 bytes", async () => {
    const fs = new FakeGramine({ attestationType: "dcap", emptyQuote: true });
    const source = new GramineSgxSource({ root: GRAMINE_ROOT, fs });
    await rejectsWith(source.getEvidence(reportDataOf(24)), "EvidenceUnavailable", /empty quote/);
    await rejectsWith(source.getEvidence(new Uint8Array(65)), "Malformed");
  });

  it("serializes concurrent calls, since Gramine keeps one user_report_data per process", async () => {
    const fs = new FakeGramine({ attestationType: "dcap" });
    // Two instances on the same root share the device, so they must share the queue too.
    const sources = [0, 1, 2].map(() => new GramineSgxSource({ root: GRAMINE_ROOT, fs }));
    const inputs = [25, 26, 27].map(reportDataOf);
    const results = await Promise.all(
      inputs.map((reportData, i) => (sources[i] as GramineSgxSource).getEvidence(reportData)),
    );
    results.forEach((evidence, i) => {
      assert.deepEqual(evidence.evidence, fakeGramineQuote(inputs[i] ?? new Uint8Array()));
    });
  });
});

describe("evidence sources: the default node:fs port", () => {
  it("Gramine source over a temp directory laid out like /dev/attestation", async () => {
    const root = await mkdtemp(join(tmpdir(), "bt-dev-attestation-"));
    try {
      // Larger than the port's 16 KiB read chunk, so the read-to-EOF loop runs more than once.
      const quote = new Uint8Array(randomBytes(40_000));
      await writeFile(join(root, "attestation_type"), "dcap\n");
      await writeFile(join(root, "quote"), quote);
      const reportData = reportDataOf(30);
      const evidence = await new GramineSgxSource({ root }).getEvidence(reportData);
      assert.equal(evidence.kind, "sgx-quote");
      assert.deepEqual(evidence.evidence, quote);
      assert.deepEqual(new Uint8Array(await readFile(join(root, "user_report_data"))), reportData);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("configfs-tsm source creates and removes its entry with real mkdir/rmdir", async () => {
    const base = await mkdtemp(join(tmpdir(), "bt-tsm-"));
    try {
      const root = join(base, "report");
      await rejectsWith(
        new ConfigfsTsmSource({ root }).getEvidence(reportDataOf(31)),
        "EvidenceUnavailable",
        /not available/,
      );
      await mkdir(root);
      // A plain directory has no kernel attributes: reading `provider` fails, the entry still goes.
      await rejectsWith(
        new ConfigfsTsmSource({ root }).getEvidence(reportDataOf(31)),
        "EvidenceUnavailable",
        /provider/,
      );
      assert.deepEqual(await readdir(root), []);
      assert.equal(await nodeFileSystem.exists(root), true);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});

describe("SimulatedTdxSource", () => {
  it("produces a development TDX quote carrying the report data, verified by the production parser", async () => {
    const reportData = new Uint8Array(64).map((_, i) => (i < 32 ? 0xa0 + (i % 16) : 0));
    const evidence = await createEvidenceSource("simulated").getEvidence(reportData);
    assert.equal(evidence.kind, "simulated-tdx-quote");
    const verified = verifyIntelQuote(evidence.evidence, {
      at: new Date(),
      pinnedRoots: [DEV_ROOT_CA_SPKI_SHA256],
      expectedReportData: reportData,
    });
    assert.equal(verified.measurement, SIMULATED_MEASUREMENT);
    await assert.rejects(
      () => createEvidenceSource("simulated").getEvidence(new Uint8Array(32)),
      (e: unknown) => e instanceof AttestationError && e.code === "Malformed",
    );
  });

  it("refuses an unknown TEE choice with the list of valid ones", () => {
    assert.throws(
      () => createEvidenceSource("nitro"),
      /unknown TEE "nitro" \(choose one of tdx, sev-snp, sgx, simulated\)/,
    );
  });
});
