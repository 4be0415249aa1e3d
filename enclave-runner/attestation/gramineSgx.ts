import { join } from "node:path";
import { AttestationError } from "../../sdk/attestation/errors.ts";
import {
  assertReportData,
  decodeText,
  type Evidence,
  type EvidenceFileSystem,
  type EvidenceSource,
  ioFailure,
  nodeFileSystem,
} from "./evidenceSource.ts";

// SGX evidence for a runner inside a Gramine enclave. Gramine emulates /dev/attestation in the
// library OS: writing `user_report_data` sets the report data, reading `quote` asks the quoting
// enclave (through the host's AESM/DCAP service) for a quote over it. Unlike configfs-tsm there is
// one shared state per enclave process and no generation counter, so calls are serialized here.

/** Options of {@link GramineSgxSource}. */
export type GramineSgxOptions = {
  /** The attestation pseudo-file directory; tests point it at a fake. */
  root?: string;
  /** File-system port; tests pass an emulation of Gramine's pseudo-files. */
  fs?: EvidenceFileSystem;
};

/** Where Gramine mounts its attestation pseudo-files. */
export const DEFAULT_GRAMINE_ATTESTATION_ROOT = "/dev/attestation";

// Per-root tail of the queue of in-flight requests: between our write of user_report_data and our
// read of quote, another call in this process would overwrite the report data.
const inFlight = new Map<string, Promise<void>>();

async function serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = inFlight.get(key) ?? Promise.resolve();
  let release: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => done);
  inFlight.set(key, tail);
  await previous;
  try {
    return await task();
  } finally {
    release();
    if (inFlight.get(key) === tail) inFlight.delete(key);
  }
}

function unavailable(message: string, details?: string): AttestationError {
  return new AttestationError("EvidenceUnavailable", message, details === undefined ? {} : { details });
}

/**
 * SGX DCAP quotes from Gramine's /dev/attestation. Only DCAP is accepted: it is the ECDSA quote the
 * SDK verifies, whereas EPID quotes need Intel's retired attestation service.
 *
 * @example
 * const evidence = await new GramineSgxSource().getEvidence(reportData);
 */
export class GramineSgxSource implements EvidenceSource {
  readonly name = "gramine-sgx";
  readonly #root: string;
  readonly #fs: EvidenceFileSystem;

  constructor(options: GramineSgxOptions = {}) {
    this.#root = options.root ?? DEFAULT_GRAMINE_ATTESTATION_ROOT;
    this.#fs = options.fs ?? nodeFileSystem;
  }

  /** Produces an SGX quote (v3) whose report data is `reportData`. */
  async getEvidence(reportData: Uint8Array): Promise<Evidence> {
    assertReportData(reportData);
    return serialized(this.#root, () => this.#quote(reportData));
  }

  async #quote(reportData: Uint8Array): Promise<Evidence> {
    const typePath = join(this.#root, "attestation_type");
    if (!(await this.#fs.exists(typePath))) {
      throw unavailable(
        `Gramine attestation device not found: ${typePath} does not exist`,
        "SGX evidence needs the runner to run inside a Gramine SGX enclave (gramine-sgx), which provides /dev/attestation.",
      );
    }
    const attestationType = decodeText(await this.#read(typePath));
    if (attestationType === "none") {
      throw unavailable(
        'Gramine attestation_type is "none": the manifest enables no remote attestation',
        'set sgx.remote_attestation = "dcap" in the Gramine manifest and re-sign the enclave.',
      );
    }
    if (attestationType !== "dcap") {
      throw unavailable(
        `Gramine attestation_type is "${attestationType}", only "dcap" is supported`,
        'set sgx.remote_attestation = "dcap" in the Gramine manifest and re-sign the enclave.',
      );
    }

    const reportDataPath = join(this.#root, "user_report_data");
    try {
      await this.#fs.writeFile(reportDataPath, reportData);
    } catch (cause) {
      throw ioFailure("writing", reportDataPath, cause);
    }
    const quote = await this.#read(join(this.#root, "quote"));
    if (quote.length === 0) throw unavailable("Gramine returned an empty quote");
    return { kind: "sgx-quote", evidence: quote, provider: "gramine" };
  }

  async #read(path: string): Promise<Uint8Array> {
    try {
      return await this.#fs.readFile(path);
    } catch (cause) {
      throw ioFailure("reading", path, cause);
    }
  }
}
