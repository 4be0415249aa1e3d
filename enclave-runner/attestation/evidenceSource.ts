import { access, mkdir, open, rmdir, writeFile } from "node:fs/promises";
import { AttestationError } from "../../sdk/attestation/errors.ts";

// The enclave side of attestation: whatever TEE the runner is in, it hands 64 bytes of report data
// (the job binding, docs/ATTESTATION.md) to the platform and gets back evidence that the SDK's
// verifiers parse. Every platform speaks through pseudo-files, so the sources share a small
// file-system port that tests replace with an emulation of the kernel or Gramine.

/** Which parser the verifier must use for {@link Evidence.evidence}. */
export type EvidenceKind = "tdx-quote" | "sgx-quote" | "sev-snp-report" | "simulated-tdx-quote";

/** What a source returns: the platform's signed statement over the report data, unparsed. */
export type Evidence = {
  /** Selects the parser the verifier applies to `evidence`. */
  kind: EvidenceKind;
  /** the quote / report bytes */
  evidence: Uint8Array;
  /** SNP: the certificate table from auxblob, if the kernel provided one */
  auxiliary?: Uint8Array | undefined;
  /** configfs-tsm "provider" (e.g. "tdx_guest", "sev_guest") or "gramine" / "simulated" */
  provider: string;
};

/**
 * One way of obtaining evidence inside a TEE. The runner depends on this interface only, so the
 * same job flow runs on TDX, SEV-SNP, SGX and in development mode.
 */
export interface EvidenceSource {
  /** For logs and error messages: which mechanism produced (or failed to produce) the evidence. */
  readonly name: string;
  /**
   * Asks the platform for evidence binding `reportData` (exactly 64 bytes).
   * Throws AttestationError `Malformed` for bad report data, `EvidenceUnavailable` when the
   * platform cannot produce evidence.
   */
  getEvidence(reportData: Uint8Array): Promise<Evidence>;
}

/** Every TEE family we support carries exactly this many bytes of report data. */
export const REPORT_DATA_LENGTH = 64;

/**
 * Rejects report data that is not exactly 64 bytes before it reaches a platform: what a platform
 * does with another length varies (the kernel's TDX and SNP providers refuse it only when the
 * report is generated), and a padded or truncated binding would fail verification much later, far
 * from the cause.
 */
export function assertReportData(reportData: unknown): asserts reportData is Uint8Array {
  if (!(reportData instanceof Uint8Array)) {
    throw new AttestationError("Malformed", "report data must be a Uint8Array");
  }
  if (reportData.length !== REPORT_DATA_LENGTH) {
    throw new AttestationError(
      "Malformed",
      `report data must be exactly ${REPORT_DATA_LENGTH} bytes, got ${reportData.length}`,
    );
  }
}

/**
 * The file operations evidence sources need. Injectable because configfs-tsm and /dev/attestation
 * only exist inside a real TEE: tests pass an emulation, production uses {@link nodeFileSystem}.
 */
export type EvidenceFileSystem = {
  /** Creates one directory (not recursive: configfs creates a report entry on mkdir). */
  mkdir(path: string): Promise<void>;
  /** Removes one empty directory (configfs frees a report entry on rmdir). */
  rmdir(path: string): Promise<void>;
  /** Reads a whole file, up to end of file whatever size stat reports. */
  readFile(path: string): Promise<Uint8Array>;
  /** Writes a whole file in one open/close, since pseudo-files commit their input on close. */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  /** Whether a path exists (file or directory). */
  exists(path: string): Promise<boolean>;
};

const READ_CHUNK = 16 * 1024;

/**
 * Reads until end of file. `fs.readFile` trusts the size from fstat when it is non-zero and stops
 * there, but pseudo-files report a placeholder size unrelated to their content (a TDX quote with
 * its certificate chain is larger than a page), so the only reliable end is a read returning 0.
 */
async function readToEnd(path: string): Promise<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = new Uint8Array(READ_CHUNK);
      const { bytesRead } = await handle.read(chunk, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    const out = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** The production {@link EvidenceFileSystem}, over node:fs/promises. */
export const nodeFileSystem: EvidenceFileSystem = {
  async mkdir(path) {
    await mkdir(path);
  },
  async rmdir(path) {
    await rmdir(path);
  },
  readFile: readToEnd,
  async writeFile(path, data) {
    await writeFile(path, data);
  },
  async exists(path) {
    try {
      await access(path);
      return true;
    } catch {
      return false;
    }
  },
};

/**
 * Wraps a failed file operation as `EvidenceUnavailable`, keeping the OS error as `cause`, so the
 * runner sees one error type whichever pseudo-file misbehaved.
 */
export function ioFailure(operation: string, path: string, cause: unknown): AttestationError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new AttestationError("EvidenceUnavailable", `${operation} ${path} failed: ${reason}`, { cause });
}

/** Decodes a text pseudo-file; the kernel and Gramine terminate values with a newline or NULs. */
export function decodeText(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes).replace(/\0+$/, "").trim();
}
