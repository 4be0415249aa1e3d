// The adapter side of the flow, shared by the parties and the combiner: a party's local update
// (fixed-point SGD from C0, minus C0, as real numbers), the check that C0 and the hyper-parameters
// are the job's (terms.specHash = Poseidon(C(C0), hpHash)), and the averaged update applied to C0.
// Vector order everywhere: W row-major (C × D), then b (C) — `flattenWeights` of sdk/training.
import { toHex } from "viem";
import { commitWeights, flattenWeights } from "../../sdk/training/commitment.ts";
import { fitsSigned, WEIGHT_BITS } from "../../sdk/training/fixedPoint.ts";
import {
  type AdapterWeights,
  type DataRow,
  specHash,
  type TrainingParams,
} from "../../sdk/training/params.ts";
import { getPoseidon } from "../../sdk/training/poseidon.ts";
import { checkWeights } from "../../sdk/training/sgd.ts";
import type { JobTerms } from "../../sdk/types.ts";
import { trainAllSegments } from "../trainer/sgd.ts";
import { MultiPartyFlowError } from "./errors.ts";

/** A party's local training result. */
export type LocalUpdate = {
  /** The adapter after the party's S·K fixed-point SGD steps from C0. */
  weights: AdapterWeights;
  /** (weights − C0) / 2^F, in vector order, not clipped. */
  update: Float64Array;
};

/**
 * Trains from C0 on the party's rows with the proven fixed-point SGD and returns the update as
 * real numbers. Throws the reference's errors (`TrainingInputError`, `FixedPointOverflowError`).
 *
 * @example
 * const { update } = computeLocalUpdate(c0, myRows, params); // length C·D + C
 */
export function computeLocalUpdate(
  initial: AdapterWeights,
  rows: readonly DataRow[],
  params: TrainingParams,
): LocalUpdate {
  const weights = trainAllSegments(initial, rows, params);
  const before = flattenWeights(initial);
  const after = flattenWeights(weights);
  const scale = 2 ** params.fracBits;
  const update = new Float64Array(after.length);
  after.forEach((v, j) => {
    update[j] = Number(v - (before[j] as bigint)) / scale;
  });
  return { weights, update };
}

/**
 * Checks that C0 and the hyper-parameters are the job's: `terms.specHash` must equal
 * Poseidon(C(C0), hpHash). Throws `BadTrainingInput` otherwise.
 */
export async function checkJobTraining(
  terms: JobTerms,
  initial: AdapterWeights,
  params: TrainingParams,
): Promise<void> {
  checkWeights(initial, params, "C0");
  const poseidon = await getPoseidon();
  const expected = toHex(specHash(poseidon, commitWeights(poseidon, initial), params), { size: 32 });
  if (expected !== terms.specHash.toLowerCase()) {
    throw new MultiPartyFlowError("BadTrainingInput", "C0 and the training parameters are not the job's", {
      details: `terms.specHash ${terms.specHash}, Poseidon(C(C0), hpHash) ${expected}`,
    });
  }
}

/** Round half away from zero of num / den (den > 0). */
function roundDiv(num: bigint, den: bigint): bigint {
  const magnitude = ((num < 0n ? -num : num) * 2n + den) / (2n * den);
  return num < 0n ? -magnitude : magnitude;
}

/**
 * C0 + the average of the summed updates, as fixed-point weights: w_j = C0_j + round(Σq_j · 2^F /
 * (scale · contributions)), rounding half away from zero, exactly (BigInt). Throws `WeightOverflow`
 * naming the weight when a result leaves the signed 16-bit range.
 *
 * @param initial C0.
 * @param sums Σq per coordinate, integers at the codec's `scale` (`PackedCodec.decodeIntegers`).
 * @param contributions How many updates were summed.
 * @param scale The codec's fixed-point scale.
 * @param fracBits F of the adapter.
 */
export function applyAveragedUpdate(
  initial: AdapterWeights,
  sums: ArrayLike<number>,
  contributions: number,
  scale: number,
  fracBits: number,
): AdapterWeights {
  const classes = initial.bias.length;
  const features = initial.weights[0]?.length ?? 0;
  const flat = flattenWeights(initial);
  if (sums.length !== flat.length)
    throw new MultiPartyFlowError("BadTrainingInput", `${sums.length} sums for ${flat.length} weights`);
  const den = BigInt(scale) * BigInt(contributions);
  const next = flat.map((c0, j) => {
    const v = c0 + roundDiv(BigInt(sums[j] as number) << BigInt(fracBits), den);
    if (!fitsSigned(v, WEIGHT_BITS)) {
      const name =
        j < classes * features
          ? `W[${Math.floor(j / features)}][${j % features}]`
          : `b[${j - classes * features}]`;
      throw new MultiPartyFlowError("WeightOverflow", `${name} leaves the ${WEIGHT_BITS}-bit weight range`, {
        details: `C0 + the averaged update is outside [−2^${WEIGHT_BITS - 1}, 2^${WEIGHT_BITS - 1})`,
      });
    }
    return v;
  });
  return {
    weights: Array.from({ length: classes }, (_, c) => next.slice(c * features, (c + 1) * features)),
    bias: next.slice(classes * features),
  };
}
