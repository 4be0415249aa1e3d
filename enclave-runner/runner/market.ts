// What the runner reads from the chain: the job's stored terms hash, status, provider and attested
// signer. Read-only: the runner holds no funds and sends no transaction; the provider node does.
import type { Address, Hex, PublicClient } from "viem";
import { jobMarketAbi } from "../../sdk/generated/abis.ts";
import { JobStatus } from "../../sdk/types.ts";
import { RunnerError } from "../errors.ts";

/** The fields of a job the runner needs. */
export type JobView = { termsHash: Hex; status: number; provider: Address; enclaveSigner: Address };

/** The runner's view of the market. */
export interface MarketReader {
  readJob(jobId: bigint): Promise<JobView>;
}

/** A {@link MarketReader} over a viem public client. */
export function viemMarketReader(client: PublicClient, market: Address): MarketReader {
  return {
    async readJob(jobId) {
      const job = await client.readContract({
        address: market,
        abi: jobMarketAbi,
        functionName: "getJob",
        args: [jobId],
      });
      return {
        termsHash: job.termsHash,
        status: job.status,
        provider: job.provider,
        enclaveSigner: job.enclaveSigner,
      };
    },
  };
}

const FINAL = new Set<number>([
  JobStatus.Completed,
  JobStatus.Cancelled,
  JobStatus.Expired,
  JobStatus.Failed,
]);

/**
 * Polls until the job is `Attested` with `signer` as its enclave signer. Fails with
 * `AttestationNotAccepted` when the job reaches a final state, another signer is attested, or
 * `timeoutMs` passes.
 */
export async function waitForAttestation(
  market: MarketReader,
  jobId: bigint,
  signer: Address,
  options: { timeoutMs: number; pollMs: number; onWait?: ((status: number) => void) | undefined },
): Promise<JobView> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const job = await market.readJob(jobId);
    if (job.status === JobStatus.Attested) {
      if (job.enclaveSigner.toLowerCase() !== signer.toLowerCase())
        throw new RunnerError(
          "AttestationNotAccepted",
          `job ${jobId} is attested by another enclave (signer ${job.enclaveSigner}, this enclave ${signer})`,
        );
      return job;
    }
    if (FINAL.has(job.status))
      throw new RunnerError(
        "AttestationNotAccepted",
        `job ${jobId} ended (status ${job.status}) before this enclave was attested`,
      );
    if (Date.now() >= deadline)
      throw new RunnerError(
        "AttestationNotAccepted",
        `job ${jobId} was not attested within ${options.timeoutMs} ms (status ${job.status})`,
      );
    options.onWait?.(job.status);
    await new Promise((r) => setTimeout(r, options.pollMs));
  }
}
