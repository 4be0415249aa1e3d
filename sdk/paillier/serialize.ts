// JSON forms of the public objects (hex strings for integers), for blobs, messages and on-chain
// hashes. Key shares are never serialized in clear: they travel sealed (./seal.ts).
import { fromHex, toHex } from "./bigint.ts";
import { PaillierError, PaillierErrorCode } from "./errors.ts";
import { paillierPublicKey } from "./paillier.ts";
import {
  type DecryptionShare,
  type DecryptionShareBatch,
  type ThresholdParameters,
  thresholdParameters,
} from "./threshold.ts";

type Hex = `0x${string}`;

/** JSON form of {@link ThresholdParameters}. */
export type ThresholdParametersJson = {
  readonly version: 1;
  readonly n: Hex;
  readonly committeeSize: number;
  readonly threshold: number;
  readonly verificationBase: Hex;
  readonly verificationKeys: readonly Hex[];
};

/** JSON form of a {@link DecryptionShare}. */
export type DecryptionShareJson = {
  readonly index: number;
  readonly value: Hex;
  readonly challenge: Hex;
  readonly response: Hex;
};

/** JSON form of a {@link DecryptionShareBatch}. */
export type DecryptionShareBatchJson = {
  readonly index: number;
  readonly values: readonly Hex[];
  readonly challenge: Hex;
  readonly response: Hex;
};

export function thresholdParametersToJson(p: ThresholdParameters): ThresholdParametersJson {
  return {
    version: 1,
    n: toHex(p.publicKey.n),
    committeeSize: p.committeeSize,
    threshold: p.threshold,
    verificationBase: toHex(p.verificationBase),
    verificationKeys: p.verificationKeys.map(toHex),
  };
}

/**
 * Parses and validates threshold parameters. Keys below 2048 bits are refused unless
 * `insecureTestKeyBits` names their size.
 */
export function thresholdParametersFromJson(
  json: ThresholdParametersJson,
  options: { insecureTestKeyBits?: number } = {},
): ThresholdParameters {
  if (json.version !== 1)
    throw new PaillierError(PaillierErrorCode.InvalidArgument, "unknown parameters version");
  return thresholdParameters({
    publicKey: paillierPublicKey(fromHex(json.n, "n"), options),
    committeeSize: json.committeeSize,
    threshold: json.threshold,
    verificationBase: fromHex(json.verificationBase, "verificationBase"),
    verificationKeys: json.verificationKeys.map((k, i) => fromHex(k, `verificationKeys[${i}]`)),
  });
}

export function decryptionShareToJson(s: DecryptionShare): DecryptionShareJson {
  return {
    index: s.index,
    value: toHex(s.value),
    challenge: toHex(s.proof.challenge),
    response: toHex(s.proof.response),
  };
}

export function decryptionShareFromJson(j: DecryptionShareJson): DecryptionShare {
  return {
    index: j.index,
    value: fromHex(j.value, "value"),
    proof: { challenge: fromHex(j.challenge, "challenge"), response: fromHex(j.response, "response") },
  };
}

export function decryptionShareBatchToJson(b: DecryptionShareBatch): DecryptionShareBatchJson {
  return {
    index: b.index,
    values: b.values.map(toHex),
    challenge: toHex(b.proof.challenge),
    response: toHex(b.proof.response),
  };
}

export function decryptionShareBatchFromJson(j: DecryptionShareBatchJson): DecryptionShareBatch {
  return {
    index: j.index,
    values: j.values.map((v, i) => fromHex(v, `values[${i}]`)),
    proof: { challenge: fromHex(j.challenge, "challenge"), response: fromHex(j.response, "response") },
  };
}
