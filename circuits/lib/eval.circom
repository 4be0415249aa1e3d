pragma circom 2.1.0;

// Accuracy of the linear head on E eval rows. See circuits/FIXED_POINT.md.

include "circomlib/circuits/comparators.circom";
include "./sgd.circom";

// count = number of rows whose label y is the argmax of z (ties go to the lowest index):
// row correct iff z[y] > z[c] for all c < y and z[y] >= z[c] for all c > y.
template EvalAccuracy(D, C, E, F, ZB) {
    signal input W[C][D];
    signal input b[C];
    signal input x[E][D];
    signal input onehot[E][C];
    signal output count;

    component fwd[E];
    signal zy[E][C];
    component ge[E][C];
    component allOk[E];
    var total = 0;
    for (var e = 0; e < E; e++) {
        fwd[e] = Logits(D, C, F, ZB);
        fwd[e].W <== W;
        fwd[e].b <== b;
        fwd[e].x <== x[e];

        // z[y] = sum_c onehot[c] * z[c].
        var zLabel = 0;
        for (var c = 0; c < C; c++) {
            zy[e][c] <== onehot[e][c] * fwd[e].z[c];
            zLabel += zy[e][c];
        }
        var okSum = 0;
        for (var c = 0; c < C; c++) {
            // [c < y] = sum_{c' > c} onehot[c'].
            var below = 0;
            for (var k = c + 1; k < C; k++) {
                below += onehot[e][k];
            }
            // diff = z[y] - z[c] - [c < y] lies in [-2^ZB, 2^ZB); bit ZB of diff + 2^ZB is [diff >= 0].
            ge[e][c] = Num2Bits(ZB + 1);
            ge[e][c].in <== zLabel - fwd[e].z[c] - below + (1 << ZB);
            okSum += ge[e][c].out[ZB];
        }
        allOk[e] = IsEqual();
        allOk[e].in[0] <== okSum;
        allOk[e].in[1] <== C;
        total += allOk[e].out;
    }
    count <== total;
}
