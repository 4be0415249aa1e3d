pragma circom 2.1.0;

// One data row (x[0..D-1], y): range checks, one-hot label and the Merkle leaf.

include "circomlib/circuits/poseidon.circom";
include "./fixed_point.circom";

// Features per packed field element of a leaf (25 * XB <= 253 bits for XB <= 10).
function featuresPerLeafElement() {
    return 25;
}

// Range-checks x[d] (signed XB bits) and y in [0, C) (via one-hot bits), and computes
// leaf = Poseidon(P_0, ..., P_{m-1}, y), where P_j packs features 25j..25j+24 as offset
// values (x + 2^(XB-1)) of XB bits each, feature 25j in the lowest bits.
template RowLeaf(D, C, XB) {
    var PER = featuresPerLeafElement();
    assert(XB >= 2 && XB * PER <= 253);
    var M = (D + PER - 1) \ PER;
    assert(M + 1 <= 16);

    signal input x[D];
    signal input y;
    signal output onehot[C];
    signal output leaf;

    component rc[D];
    for (var d = 0; d < D; d++) {
        rc[d] = SignedRange(XB);
        rc[d].in <== x[d];
    }

    var total = 0;
    var label = 0;
    for (var c = 0; c < C; c++) {
        onehot[c] <-- y == c ? 1 : 0;
        onehot[c] * (onehot[c] - 1) === 0;
        total += onehot[c];
        label += c * onehot[c];
    }
    total === 1;
    label === y;

    component h = Poseidon(M + 1);
    for (var m = 0; m < M; m++) {
        var packed = 0;
        for (var i = 0; i < PER; i++) {
            if (m * PER + i < D) {
                packed += (x[m * PER + i] + (1 << (XB - 1))) * (1 << (XB * i));
            }
        }
        h.inputs[m] <== packed;
    }
    h.inputs[M] <== y;
    leaf <== h.out;
}
