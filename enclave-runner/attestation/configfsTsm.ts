import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { AttestationError } from "../../sdk/attestation/errors.ts";
import {
  assertReportData,
  decodeText,
  type Evidence,
  type EvidenceFileSystem,
  type EvidenceKind,
  type EvidenceSource,
  ioFailure,
  nodeFileSystem,
} from "./evidenceSource.ts";

// TDX and SEV-SNP evidence through the kernel's vendor-neutral configfs-tsm report interface
// (Documentation/ABI/testing/configfs-tsm): one report entry directory per request, input in
// `inblob`, the signed quote/report in `outblob`. configfs has no transactions: anyone who can
// write the entry can change `inblob` between our write and our read of `outblob`. A private,
// randomly named entry per request avoids that in practice; the `generation` counter, which the
// kernel bumps on every write, detects it when it happens anyway.

/** configfs-tsm providers this source understands (the `provider` attribute, i.e. the guest driver). */
export type ConfigfsTsmProvider = "tdx_guest" | "sev_guest";

/** Options of {@link ConfigfsTsmSource}. */
export type ConfigfsTsmOptions = {
  /** The report directory; a test or a non-standard configfs mount point changes it. */
  root?: string;
  /** Refuse any other provider, so a misdeployed runner fails loudly instead of producing the wrong evidence. */
  expectedProvider?: ConfigfsTsmProvider;
  /** SEV-SNP VMPL the report is requested for (0–3); only `sev_guest` has privilege levels. */
  privlevel?: number;
  /** Extra attempts after a detected concurrent write (default 3). */
  retries?: number;
  /** File-system port; tests pass an emulation of configfs. */
  fs?: EvidenceFileSystem;
};

/** Where configfs-tsm lives when configfs is mounted at its conventional place. */
export const DEFAULT_CONFIGFS_TSM_ROOT = "/sys/kernel/config/tsm/report";

const DEFAULT_RETRIES = 3;
/** TSM_PRIVLEVEL_MAX in include/linux/tsm.h. */
const PRIVLEVEL_MAX = 3;

const KIND_BY_PROVIDER: ReadonlyMap<string, EvidenceKind> = new Map<ConfigfsTsmProvider, EvidenceKind>([
  ["tdx_guest", "tdx-quote"],
  ["sev_guest", "sev-snp-report"],
]);

type Attempt = { evidence: Evidence } | { race: string };

function unavailable(message: string, details?: string): AttestationError {
  return new AttestationError("EvidenceUnavailable", message, details === undefined ? {} : { details });
}

/**
 * TDX quotes and SEV-SNP reports from Linux configfs-tsm (kernel ≥ 6.7). Each call works in its
 * own fresh entry directory, so concurrent calls never share state, and removes it afterwards,
 * on failure too, because entries are kernel objects that outlive the process.
 *
 * @example
 * const evidence = await new ConfigfsTsmSource({ expectedProvider: "tdx_guest" }).getEvidence(reportData);
 */
export class ConfigfsTsmSource implements EvidenceSource {
  readonly name = "configfs-tsm";
  readonly #root: string;
  readonly #expectedProvider: ConfigfsTsmProvider | undefined;
  readonly #privlevel: number | undefined;
  readonly #retries: number;
  readonly #fs: EvidenceFileSystem;

  constructor(options: ConfigfsTsmOptions = {}) {
    const { expectedProvider, privlevel, retries = DEFAULT_RETRIES } = options;
    if (expectedProvider !== undefined && !KIND_BY_PROVIDER.has(expectedProvider)) {
      throw new AttestationError(
        "Malformed",
        `expectedProvider must be tdx_guest or sev_guest, got ${expectedProvider}`,
      );
    }
    if (
      privlevel !== undefined &&
      !(Number.isInteger(privlevel) && privlevel >= 0 && privlevel <= PRIVLEVEL_MAX)
    ) {
      throw new AttestationError(
        "Malformed",
        `privlevel must be an integer in 0..${PRIVLEVEL_MAX}, got ${privlevel}`,
      );
    }
    if (!(Number.isInteger(retries) && retries >= 0)) {
      throw new AttestationError("Malformed", `retries must be a non-negative integer, got ${retries}`);
    }
    this.#root = options.root ?? DEFAULT_CONFIGFS_TSM_ROOT;
    this.#expectedProvider = expectedProvider;
    this.#privlevel = privlevel;
    this.#retries = retries;
    this.#fs = options.fs ?? nodeFileSystem;
  }

  /** Produces a quote (TDX) or attestation report (SNP) whose report data is `reportData`. */
  async getEvidence(reportData: Uint8Array): Promise<Evidence> {
    assertReportData(reportData);
    if (!(await this.#fs.exists(this.#root))) {
      throw unavailable(
        `configfs-tsm is not available: ${this.#root} does not exist`,
        "TDX and SEV-SNP evidence needs Linux >= 6.7 with TSM report support (CONFIG_TSM_REPORTS), " +
          "running inside a TDX or SEV-SNP guest with its guest driver (tdx_guest / sev_guest) loaded, " +
          "and configfs mounted (mount -t configfs none /sys/kernel/config).",
      );
    }
    const attempts = this.#retries + 1;
    let lastRace = "";
    for (let i = 0; i < attempts; i++) {
      const attempt = await this.#attemptInFreshEntry(reportData);
      if ("evidence" in attempt) return attempt.evidence;
      lastRace = attempt.race;
    }
    throw unavailable(
      `configfs-tsm report entry was written concurrently on all ${attempts} attempts`,
      `last attempt: ${lastRace}. Another process is writing to report entries under ${this.#root}.`,
    );
  }

  async #attemptInFreshEntry(reportData: Uint8Array): Promise<Attempt> {
    // pid + randomness: unguessable to other writers and unique across our own concurrent calls.
    const entry = join(this.#root, `bt-${process.pid}-${randomBytes(8).toString("hex")}`);
    try {
      await this.#fs.mkdir(entry);
    } catch (cause) {
      throw ioFailure("creating configfs-tsm report entry", entry, cause);
    }
    let attempt: Attempt;
    let removalFailure: AttestationError | undefined;
    try {
      attempt = await this.#generate(entry, reportData);
    } finally {
      try {
        await this.#fs.rmdir(entry);
      } catch (cause) {
        removalFailure = ioFailure("removing configfs-tsm report entry", entry, cause);
      }
    }
    // Reached only when generation succeeded; a removal failure then still fails the call, since a
    // leaked entry is a kernel object nobody else will clean up and the operator should hear of it.
    if (removalFailure) throw removalFailure;
    return attempt;
  }

  async #generate(entry: string, reportData: Uint8Array): Promise<Attempt> {
    // The provider is read before any write so a wrong platform is refused without asking the
    // hardware (and, for TDX, the host's quote generation service) for a quote we would discard.
    const provider = decodeText(await this.#read(entry, "provider"));
    const kind = KIND_BY_PROVIDER.get(provider);
    if (kind === undefined) {
      throw unavailable(`unsupported configfs-tsm provider "${provider}"`, "supported: tdx_guest, sev_guest");
    }
    if (this.#expectedProvider !== undefined && provider !== this.#expectedProvider) {
      throw unavailable(`configfs-tsm provider is "${provider}", expected "${this.#expectedProvider}"`);
    }
    if (this.#privlevel !== undefined && provider !== "sev_guest") {
      throw unavailable(`privlevel is only supported by sev_guest, the provider is "${provider}"`);
    }

    const before = await this.#readGeneration(entry);
    let writes = 0;
    if (this.#privlevel !== undefined) {
      await this.#write(entry, "privlevel", new TextEncoder().encode(`${this.#privlevel}\n`));
      writes++;
    }
    await this.#write(entry, "inblob", reportData);
    writes++;
    const outblob = await this.#read(entry, "outblob");
    // Newer kernels hide attributes a provider does not implement (auxblob on TDX); older ones show
    // it empty. Both mean "no auxiliary data".
    const auxPath = join(entry, "auxblob");
    const auxblob = (await this.#fs.exists(auxPath)) ? await this.#read(entry, "auxblob") : undefined;
    const after = await this.#readGeneration(entry);

    // Read after outblob and auxblob, so a write landing anywhere between ours and the reads shows.
    if (after !== before + writes) {
      return { race: `generation went from ${before} to ${after} across our ${writes} write(s)` };
    }
    if (outblob.length === 0) {
      throw unavailable(`configfs-tsm returned an empty outblob (provider ${provider})`);
    }
    const evidence: Evidence = { kind, evidence: outblob, provider };
    if (auxblob !== undefined && auxblob.length > 0) evidence.auxiliary = auxblob;
    return { evidence };
  }

  async #readGeneration(entry: string): Promise<number> {
    const text = decodeText(await this.#read(entry, "generation"));
    if (!/^\d+$/.test(text)) throw unavailable(`configfs-tsm generation is not a number: "${text}"`);
    return Number(text);
  }

  async #read(entry: string, attribute: string): Promise<Uint8Array> {
    const path = join(entry, attribute);
    try {
      return await this.#fs.readFile(path);
    } catch (cause) {
      throw ioFailure("reading", path, cause);
    }
  }

  async #write(entry: string, attribute: string, data: Uint8Array): Promise<void> {
    const path = join(entry, attribute);
    try {
      await this.#fs.writeFile(path, data);
    } catch (cause) {
      throw ioFailure("writing", path, cause);
    }
  }
}
