// Records the revert selectors the TypeScript tests provoke, for the error-coverage check
// (test/errorCoverage.test.ts). hardhat.config.ts registers this module as the `network` hook
// handlers of a small inline plugin when BLIND_TRAINING_REVERT_LOG names a file; every JSON-RPC
// request of every connection then passes through `onRequest`, which appends the 4-byte selector
// of each revert it sees to that file, one `0x…` per line:
// - a failed request (eth_call, eth_estimateGas, eth_sendTransaction…): its error's revert data;
// - a mined transaction (after eth_sendTransaction / eth_sendRawTransaction, and every receipt a
//   test fetches): the `reason` of each JobMarket `EvidenceRejected` log, which is how a verifier's
//   error surfaces in a transaction that succeeds (the market catches it and fails the job).
// Appending lines is safe from several connections and processes at once; the file is reset by
// the npm script that runs the suite, never here.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { NetworkHooks } from "hardhat/types/hooks";
import type { JsonRpcRequest, JsonRpcResponse } from "hardhat/types/providers";
import { decodeAbiParameters, type Hex, isHex, toEventSelector } from "viem";

/** Environment variable naming the selector log; recording is off without it. */
export const REVERT_LOG_ENV = "BLIND_TRAINING_REVERT_LOG";

/** topic0 of `EvidenceRejected(uint256 indexed jobId, FailureReason indexed stage, bytes reason)`. */
export const EVIDENCE_REJECTED_TOPIC = toEventSelector("EvidenceRejected(uint256,uint8,bytes)");
/**
 * Events whose only non-indexed field is the `bytes` revert data of a call the contract caught: the
 * reason's selector counts as triggered. A contract that catches an error another way (a test
 * double storing it, say) can report it through such an event to be counted.
 */
export const REASON_EVENT_TOPICS: ReadonlySet<Hex> = new Set([EVIDENCE_REJECTED_TOPIC]);

const SENDS = new Set(["eth_sendTransaction", "eth_sendRawTransaction"]);

/** The 4-byte selector of revert data, or undefined when `data` is not revert data. */
export function selectorOf(data: unknown): Hex | undefined {
  return typeof data === "string" && isHex(data) && data.length >= 10
    ? (data.slice(0, 10).toLowerCase() as Hex)
    : undefined;
}

/** Revert data carried by a provider error: `error.data` as hex, or `{ data }` as EDR reports it. */
export function revertDataOf(error: unknown): Hex | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === "object" && depth < 5; depth++) {
    const data = (e as { data?: unknown }).data;
    if (selectorOf(data)) return data as Hex;
    const inner = data !== null && typeof data === "object" ? (data as { data?: unknown }).data : undefined;
    if (selectorOf(inner)) return inner as Hex;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

type Log = { topics?: readonly Hex[]; data?: Hex };

/** Selectors of the reasons in a receipt's reason events (`EvidenceRejected`). */
export function rejectionSelectors(receipt: unknown): Hex[] {
  const logs = (receipt as { logs?: readonly Log[] } | null)?.logs ?? [];
  const out: Hex[] = [];
  for (const log of logs) {
    const topic = log.topics?.[0];
    if (!topic || !REASON_EVENT_TOPICS.has(topic) || !log.data) continue;
    const [reason] = decodeAbiParameters([{ type: "bytes" }], log.data);
    const selector = selectorOf(reason);
    if (selector) out.push(selector);
  }
  return out;
}

/** Reads a selector log (a missing file reads as empty). */
export function readRevertLog(file: string): Set<Hex> {
  if (!existsSync(file)) return new Set();
  return new Set(
    readFileSync(file, "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => selectorOf(line))
      .map((line) => line as Hex),
  );
}

/** The `network` hook handlers: records into `$BLIND_TRAINING_REVERT_LOG`, or nothing without it. */
export default async function networkHooks(): Promise<Partial<NetworkHooks>> {
  const file = process.env[REVERT_LOG_ENV];
  if (!file) return {};
  mkdirSync(dirname(file), { recursive: true });
  const seen = new Set<Hex>();
  const record = (selector: Hex | undefined) => {
    if (!selector || seen.has(selector)) return;
    seen.add(selector);
    appendFileSync(file, `${selector}\n`);
  };
  return {
    async onRequest(context, connection, request, next) {
      let response: JsonRpcResponse;
      try {
        response = await next(context, connection, request);
      } catch (error) {
        record(selectorOf(revertDataOf(error)));
        throw error;
      }
      if ("error" in response) {
        record(selectorOf(revertDataOf(response.error)));
        return response;
      }
      if (request.method === "eth_getTransactionReceipt") {
        for (const s of rejectionSelectors(response.result)) record(s);
      } else if (SENDS.has(request.method) && typeof response.result === "string") {
        // Automine has mined it already; without automine the test's own receipt fetch is seen above.
        const receiptRequest: JsonRpcRequest = {
          jsonrpc: "2.0",
          id: `${String(request.id)}-revert-log`,
          method: "eth_getTransactionReceipt",
          params: [response.result],
        };
        const receipt = await next(context, connection, receiptRequest);
        if (!("error" in receipt)) for (const s of rejectionSelectors(receipt.result)) record(s);
      }
      return response;
    },
  };
}
