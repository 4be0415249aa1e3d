pragma circom 2.1.0;

// One segment of the fixed-point training statement (circuits/FIXED_POINT.md):
// K SGD steps of batch B on this segment's rows of R_train take weights with commitment C_in to
// weights with commitment C_out (saturating arithmetic: no run lacks a witness for overflowing);
// the eval accuracy of the output weights on R_eval is compared with tau (basis points), and on
// the last segment the outcome is part of the statement: flags = isLast + 2 * isLast * metricOk.
// Everything public is hashed into publicHash.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/comparators.circom";
include "./lib/fixed_point.circom";
include "./lib/row.circom";
include "./lib/merkle.circom";
include "./lib/commitment.circom";
include "./lib/sgd.circom";
include "./lib/eval.circom";

template TrainingSegment(D, C, B, K, F, LR_SHIFT, E, S) {
    // Bit widths: features, weights/bias, logits (signed).
    var XB = 9;
    var WB = 16;
    var ZB = 24;
    // Basis points of a metric of 100%.
    var BPS = 10000;

    assert(D >= 1 && C >= 2 && K >= 1);
    assert(isPow2(B) && isPow2(K * B) && isPow2(E) && isPow2(S));
    var DEPTH = log2Ceil(S);
    var NW = C * D + C;

    // ---- private inputs ----
    signal input ctx;             // job/provider binding, absorbed only
    signal input C0;              // commitment of the job's initial weights
    signal input s;               // segment index in [0, S)
    signal input isLast;          // 1 iff s == S - 1
    signal input tau;             // metric threshold in basis points, 0..10000
    signal input W_in[C][D];
    signal input b_in[C];
    signal input x[K * B][D];     // this segment's training rows, step k uses rows kB..kB+B-1
    signal input y[K * B];
    signal input path[DEPTH];     // siblings from the segment subtree root up to R_train
    signal input ex[E][D];        // eval rows
    signal input ey[E];
    // ---- the one public input ----
    signal input publicHash;

    // ---- input weights: range check and commitment ----
    component wRange[NW];
    component cIn = WeightCommitment(NW, WB);
    for (var c = 0; c < C; c++) {
        for (var d = 0; d < D; d++) {
            wRange[c * D + d] = SignedRange(WB);
            wRange[c * D + d].in <== W_in[c][d];
            cIn.v[c * D + d] <== W_in[c][d];
        }
        wRange[C * D + c] = SignedRange(WB);
        wRange[C * D + c].in <== b_in[c];
        cIn.v[C * D + c] <== b_in[c];
    }

    // ---- training rows: leaves, segment subtree, path to R_train ----
    component rows[K * B];
    for (var i = 0; i < K * B; i++) {
        rows[i] = RowLeaf(D, C, XB);
        rows[i].x <== x[i];
        rows[i].y <== y[i];
    }
    component sub = MerkleRoot(K * B);
    for (var i = 0; i < K * B; i++) {
        sub.leaves[i] <== rows[i].leaf;
    }
    component trainPath = MerklePath(DEPTH);   // also range-checks s < S
    trainPath.node <== sub.root;
    trainPath.index <== s;
    trainPath.siblings <== path;

    // From the bits of s (S = 2^DEPTH): isFirst = [s == 0] = prod (1 - bit), [s == S - 1] = prod bit.
    // Products of bits, so every wire is determined (DEPTH - 1 constraints each; none for S <= 2).
    signal firstProd[DEPTH + 1];
    signal lastProd[DEPTH + 1];
    firstProd[0] <== 1;
    lastProd[0] <== 1;
    for (var i = 0; i < DEPTH; i++) {
        firstProd[i + 1] <== firstProd[i] * (1 - trainPath.indexBits[i]);
        lastProd[i + 1] <== lastProd[i] * trainPath.indexBits[i];
    }
    // s == 0 => C_in == C0.
    firstProd[DEPTH] * (cIn.out - C0) === 0;
    // isLast is boolean and equals [s == S - 1].
    isLast === lastProd[DEPTH];

    // ---- K SGD steps ----
    component step[K];
    for (var k = 0; k < K; k++) {
        step[k] = SgdStep(D, C, B, F, LR_SHIFT, XB, ZB, WB);
        if (k == 0) {
            step[k].W <== W_in;
            step[k].b <== b_in;
        } else {
            step[k].W <== step[k - 1].W_out;
            step[k].b <== step[k - 1].b_out;
        }
        for (var r = 0; r < B; r++) {
            step[k].x[r] <== x[k * B + r];
            step[k].onehot[r] <== rows[k * B + r].onehot;
        }
    }

    // ---- output commitment (weights within WB bits: saturated by the last step) ----
    component cOut = WeightCommitment(NW, WB);
    for (var c = 0; c < C; c++) {
        for (var d = 0; d < D; d++) {
            cOut.v[c * D + d] <== step[K - 1].W_out[c][d];
        }
        cOut.v[C * D + c] <== step[K - 1].b_out[c];
    }

    // ---- eval rows and metric ----
    component evalRows[E];
    component evalTree = MerkleRoot(E);
    for (var e = 0; e < E; e++) {
        evalRows[e] = RowLeaf(D, C, XB);
        evalRows[e].x <== ex[e];
        evalRows[e].y <== ey[e];
        evalTree.leaves[e] <== evalRows[e].leaf;
    }
    component acc = EvalAccuracy(D, C, E, F, XB, WB, ZB);
    acc.W <== step[K - 1].W_out;
    acc.b <== step[K - 1].b_out;
    acc.x <== ex;
    for (var e = 0; e < E; e++) {
        acc.onehot[e] <== evalRows[e].onehot;
    }

    // tau in [0, 10000].
    component tauBits = Num2Bits(14);
    tauBits.in <== tau;
    component tauMax = LessEqThan(14);
    tauMax.in[0] <== tau;
    tauMax.in[1] <== BPS;
    tauMax.out === 1;

    // metricOk = [count * 10000 >= tau * E]; both sides are at most 10000 * E.
    component metric = GreaterEqThan(log2Ceil(BPS * E + 1));
    metric.in[0] <== acc.count * BPS;
    metric.in[1] <== tau * E;
    // The outcome is stated, not asserted: 0 (not the last segment), 1 (last, metric < tau),
    // 3 (last, metric >= tau). The verifier derives it from the claim, so a proof of one outcome
    // does not verify as the other.
    signal lastOk <== isLast * metric.out;
    signal flags <== isLast + 2 * lastOk;

    // ---- public hash ----
    component hp = Poseidon(8);
    hp.inputs[0] <== D;
    hp.inputs[1] <== C;
    hp.inputs[2] <== B;
    hp.inputs[3] <== K;
    hp.inputs[4] <== F;
    hp.inputs[5] <== LR_SHIFT;
    hp.inputs[6] <== E;
    hp.inputs[7] <== S;
    component spec = Poseidon(2);
    spec.inputs[0] <== C0;
    spec.inputs[1] <== hp.out;
    component seg = Poseidon(4);
    seg.inputs[0] <== cIn.out;
    seg.inputs[1] <== cOut.out;
    seg.inputs[2] <== s;
    seg.inputs[3] <== flags;
    component pub = Poseidon(6);
    pub.inputs[0] <== ctx;
    pub.inputs[1] <== spec.out;
    pub.inputs[2] <== trainPath.root;
    pub.inputs[3] <== evalTree.root;
    pub.inputs[4] <== tau;
    pub.inputs[5] <== seg.out;
    publicHash === pub.out;

    // Values read back by tests and tooling (not public).
    signal C_in <== cIn.out;
    signal C_out <== cOut.out;
    signal R_train <== trainPath.root;
    signal R_eval <== evalTree.root;
    signal evalCount <== acc.count;
    signal metricOk <== metric.out;
}
