// What the runner reads from the chain: the job's stored terms hash, status, provider and attested
// signer, and the buyer's data delivery as recorded on the job's DataDelivery contract (which blobs,
// of which sizes). Read-only: the runner holds no funds and sends no transaction; the provider node does.
import { type Address, type Hex, type PublicClient, parseEventLogs } from "viem";
import { dataDeliveryAbi, jobMarketAbi } from "../../sdk/generated/abis.ts";
import { deliveryDataHash } from "../../sdk/ownerActions.ts";
import { JobStatus, type JobTerms } from "../../sdk/types.ts";
import { RunnerError } from "../errors.ts";

/** The fields of a job the runner needs. */
export type JobView = { termsHash: Hex; status: number; provider: Address; enclaveSigner: Address };

/**
 * The buyer's delivery as the owner key recorded it (`DataDelivery.recordDelivery`): the SHA-256 of
 * each ciphertext blob and its size, in the recorded order, and the data hash a failure statement
 * names (`keccak256(abi.encode(blobIds, sizes))`).
 */
export type RecordedDelivery = {
  /** The DataDelivery contract pinned by the job's market config. */
  dataDelivery: Address;
  dataHash: Hex;
  blobIds: readonly Hex[];
  sizes: readonly bigint[];
};

/** The runner's view of the market. */
export interface MarketReader {
  readJob(jobId: bigint): Promise<JobView>;
  /** The recorded delivery of a single-party job, or undefined while nothing is recorded. */
  readDelivery(jobId: bigint, terms: JobTerms): Promise<RecordedDelivery | undefined>;
  /** The latest block's timestamp (seconds): deadlines are judged by chain time, not the local clock. */
  chainTime(): Promise<bigint>;
}

/** Options of {@link viemMarketReader}. */
export type ViemMarketReaderOptions = {
  /** First block searched for the `DeliveryRecorded` event (default 0; a node may cap log ranges). */
  fromBlock?: bigint | undefined;
};

/** A {@link MarketReader} over a viem public client. */
export function viemMarketReader(
  client: PublicClient,
  market: Address,
  options: ViemMarketReaderOptions = {},
): MarketReader {
  const dataDeliveryOf = new Map<number, Address>();
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

    async readDelivery(jobId, terms) {
      let dataDelivery = dataDeliveryOf.get(terms.configId);
      if (dataDelivery === undefined) {
        const config = await client.readContract({
          address: market,
          abi: jobMarketAbi,
          functionName: "configOf",
          args: [terms.configId],
        });
        dataDelivery = config.dataDelivery;
        dataDeliveryOf.set(terms.configId, dataDelivery);
      }
      const record = await client.readContract({
        address: dataDelivery,
        abi: dataDeliveryAbi,
        functionName: "deliveryOf",
        args: [jobId],
      });
      if (/^0x0{64}$/.test(record.dataHash)) return undefined;
      // The record stores only the hash; the blob list is in the event of the one recording call.
      const logs = await client.getContractEvents({
        address: dataDelivery,
        abi: dataDeliveryAbi,
        eventName: "DeliveryRecorded",
        args: { jobId },
        fromBlock: options.fromBlock ?? 0n,
      });
      const events = parseEventLogs({ abi: dataDeliveryAbi, logs, eventName: "DeliveryRecorded" });
      for (const event of events) {
        const { blobIds, sizes } = event.args;
        if (deliveryDataHash({ blobIds, sizes }) === record.dataHash)
          return { dataDelivery, dataHash: record.dataHash, blobIds, sizes };
      }
      throw new RunnerError(
        "BlobUnavailable",
        `job ${jobId}'s delivery is recorded (data hash ${record.dataHash}) but no DeliveryRecorded event from block ${options.fromBlock ?? 0n} lists its blobs`,
      );
    },

    async chainTime() {
      return (await client.getBlock()).timestamp;
    },
  };
}

const FINAL = new Set<number>([
  JobStatus.Completed,
  JobStatus.Cancelled,
  JobStatus.Expired,
  JobStatus.Failed,
  JobStatus.BelowThreshold,
  JobStatus.BuyerDefaulted,
  JobStatus.Released,
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

/**
 * Polls the job's DataDelivery record until the buyer's owner key has recorded its delivery, and
 * returns it. Fails with `DeliveryTimeout` when the job's data deadline passed (chain time) with
 * nothing recorded — then anyone can end the job with `enforceDeadline` (`NoDataDelivered`, the
 * buyer's side) — when the job left `Attested`, or when `timeoutMs` passes.
 */
export async function waitForRecordedDelivery(
  market: MarketReader,
  jobId: bigint,
  terms: JobTerms,
  options: { timeoutMs: number; pollMs: number },
): Promise<RecordedDelivery> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const recorded = await market.readDelivery(jobId, terms);
    if (recorded !== undefined) return recorded;
    const time = await market.chainTime();
    if (time > terms.dataDeadline)
      throw new RunnerError(
        "DeliveryTimeout",
        `nothing was recorded for job ${jobId} on DataDelivery by its data deadline ${terms.dataDeadline} (chain time ${time}): there is no data to fetch; anyone can now end the job with JobMarket.enforceDeadline (BuyerDefaulted, NoDataDelivered)`,
      );
    const job = await market.readJob(jobId);
    if (job.status !== JobStatus.Attested)
      throw new RunnerError(
        "DeliveryTimeout",
        `job ${jobId} left Attested (status ${job.status}) with no delivery recorded`,
      );
    if (Date.now() >= deadline)
      throw new RunnerError(
        "DeliveryTimeout",
        `no delivery was recorded for job ${jobId} on DataDelivery within ${options.timeoutMs / 1000} s (its data deadline is ${terms.dataDeadline})`,
      );
    await new Promise((r) => setTimeout(r, options.pollMs));
  }
}
