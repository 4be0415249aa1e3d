pragma circom 2.1.0;

// Forward pass and one fixed-point SGD step of the linear head. See circuits/FIXED_POINT.md.

include "./fixed_point.circom";

// z[c] = floor((sum_d W[c][d] * x[d] + b[c] * 2^F) / 2^F), range-checked to ZB bits signed.
template Logits(D, C, F, ZB) {
    signal input W[C][D];
    signal input b[C];
    signal input x[D];
    signal output z[C];

    signal prod[C][D];
    component tr[C];
    for (var c = 0; c < C; c++) {
        var acc = b[c] * (1 << F);
        for (var d = 0; d < D; d++) {
            prod[c][d] <== W[c][d] * x[d];
            acc += prod[c][d];
        }
        tr[c] = FloorShift(ZB, F);
        tr[c].in <== acc;
        z[c] <== tr[c].out;
    }
}

// One step on a batch of B rows (B a power of two):
//   g[r][c] = z[r][c] - 2^F * onehot[r][c]
//   W'[c][d] = W[c][d] - floor(sum_r g[r][c] * x[r][d] / 2^(F + LR_SHIFT + log2 B))
//   b'[c]    = b[c]    - floor(sum_r g[r][c]           / 2^(LR_SHIFT + log2 B))
// W' and b' are range-checked to WB bits signed (no witness on overflow). W - floor(s / 2^T)
// is computed as floor((W * 2^T - s + 2^T - 1) / 2^T), so quotient, remainder and the range
// of the new weight are one (WB + T)-bit decomposition.
template SgdStep(D, C, B, F, LR_SHIFT, ZB, WB) {
    assert(isPow2(B));
    var TB = LR_SHIFT + log2Ceil(B);
    var TW = F + TB;

    signal input W[C][D];
    signal input b[C];
    signal input x[B][D];
    signal input onehot[B][C];
    signal output W_out[C][D];
    signal output b_out[C];

    component fwd[B];
    for (var r = 0; r < B; r++) {
        fwd[r] = Logits(D, C, F, ZB);
        fwd[r].W <== W;
        fwd[r].b <== b;
        fwd[r].x <== x[r];
    }

    signal gx[C][D][B];
    component upW[C][D];
    component upB[C];
    for (var c = 0; c < C; c++) {
        var gsum = 0;
        for (var r = 0; r < B; r++) {
            gsum += fwd[r].z[c] - (1 << F) * onehot[r][c];
        }
        upB[c] = FloorShift(WB, TB);
        upB[c].in <== b[c] * (1 << TB) - gsum + (1 << TB) - 1;
        b_out[c] <== upB[c].out;

        for (var d = 0; d < D; d++) {
            var s = 0;
            for (var r = 0; r < B; r++) {
                gx[c][d][r] <== (fwd[r].z[c] - (1 << F) * onehot[r][c]) * x[r][d];
                s += gx[c][d][r];
            }
            upW[c][d] = FloorShift(WB, TW);
            upW[c][d].in <== W[c][d] * (1 << TW) - s + (1 << TW) - 1;
            W_out[c][d] <== upW[c][d].out;
        }
    }
}
