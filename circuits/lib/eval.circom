pragma circom 2.1.0;

// Accuracy of the linear head on E eval rows. See circuits/FIXED_POINT.md.

include "./sgd.circom";

// out = [in == 0] with every wire determined by `in`. circomlib's IsZero leaves its inverse hint
// free when in = 0; the third constraint out * inv = 0 pins it to 0 then (one constraint more).
template StrictIsZero() {
    signal input in;
    signal output out;

    signal inv;
    inv <-- in != 0 ? 1 / in : 0;
    out <== 1 - in * inv;
    in * out === 0;
    out * inv === 0;
}

// count = number of rows whose label y is the argmax of z (ties go to the lowest index):
// row correct iff z[y] > z[c] for all c < y and z[y] >= z[c] for all c > y.
template EvalAccuracy(D, C, E, F, XB, WB, ZB) {
    signal input W[C][D];
    signal input b[C];
    signal input x[E][D];
    signal input onehot[E][C];
    signal output count;

    // z is in [-Z, Z] (Z = 2^(ZB-1) when it may saturate), so diff below is in [-2^DB, 2^DB).
    var Z = clampedLogitBound(D, F, XB, WB, ZB);
    var DB = Z == (1 << (ZB - 1)) ? ZB : log2Ceil(2 * Z + 1);

    component fwd[E];
    signal zy[E][C];
    component ge[E][C];
    component allOk[E];
    var total = 0;
    for (var e = 0; e < E; e++) {
        fwd[e] = Logits(D, C, F, XB, WB, ZB);
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
            // diff = z[y] - z[c] - [c < y]; bit DB of diff + 2^DB is [diff >= 0].
            ge[e][c] = Num2Bits(DB + 1);
            ge[e][c].in <== zLabel - fwd[e].z[c] - below + (1 << DB);
            okSum += ge[e][c].out[DB];
        }
        allOk[e] = StrictIsZero();
        allOk[e].in <== okSum - C;
        total += allOk[e].out;
    }
    count <== total;
}
