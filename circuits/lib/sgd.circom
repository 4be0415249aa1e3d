pragma circom 2.1.0;

// Forward pass and one fixed-point SGD step of the linear head, with saturating arithmetic.
// See circuits/FIXED_POINT.md.

include "./fixed_point.circom";

// Compile-time bounds (FIXED_POINT.md §9). Weights and biases are WB-bit signed (W_in by its range
// check, every later weight by saturation) and features XB-bit signed (range-checked rows), so
// |W x| <= 2^(WB-1) * 2^(XB-1) and |b * 2^F| <= 2^(WB-1) * 2^F.

// Bound on |z| = |floor(acc / 2^F)| before saturation, acc = sum_d W[c][d] x[d] + b[c] 2^F
// (|floor(a / 2^F)| <= floor(|a| / 2^F) + 1).
function logitBound(D, F, XB, WB) {
    var acc = D * (1 << (WB + XB - 2)) + (1 << (WB - 1 + F));
    return acc \ (1 << F) + 1;
}

// Bound on |z| after saturation to ZB bits.
function clampedLogitBound(D, F, XB, WB, ZB) {
    var z = logitBound(D, F, XB, WB);
    var half = 1 << (ZB - 1);
    return z < half ? z : half;
}

// z[c] = clamp_ZB(floor((sum_d W[c][d] * x[d] + b[c] * 2^F) / 2^F)).
template Logits(D, C, F, XB, WB, ZB) {
    signal input W[C][D];
    signal input b[C];
    signal input x[D];
    signal output z[C];

    var A = logitBound(D, F, XB, WB);
    signal prod[C][D];
    component tr[C];
    for (var c = 0; c < C; c++) {
        var acc = b[c] * (1 << F);
        for (var d = 0; d < D; d++) {
            prod[c][d] <== W[c][d] * x[d];
            acc += prod[c][d];
        }
        tr[c] = ClampedFloorShift(ZB, F, A);
        tr[c].in <== acc;
        z[c] <== tr[c].out;
    }
}

// One step on a batch of B rows (B a power of two):
//   g[r][c] = z[r][c] - 2^F * onehot[r][c]
//   W'[c][d] = clamp_WB(W[c][d] - floor(sum_r g[r][c] * x[r][d] / 2^(F + LR_SHIFT + log2 B)))
//   b'[c]    = clamp_WB(b[c]    - floor(sum_r g[r][c]           / 2^(LR_SHIFT + log2 B)))
// W - floor(s / 2^T) is computed as floor((W * 2^T - s + 2^T - 1) / 2^T), so quotient, remainder
// and saturation of the new weight are one decomposition (ClampedFloorShift).
template SgdStep(D, C, B, F, LR_SHIFT, XB, ZB, WB) {
    assert(isPow2(B));
    var TB = LR_SHIFT + log2Ceil(B);
    var TW = F + TB;
    // |g| <= |z| + 2^F; |sum_r g x| <= B |g| 2^(XB-1); the new weight is within 2^(WB-1) + |update|.
    var G = clampedLogitBound(D, F, XB, WB, ZB) + (1 << F);
    var AW = (1 << (WB - 1)) + (B * G * (1 << (XB - 1))) \ (1 << TW) + 1;
    var AB = (1 << (WB - 1)) + (B * G) \ (1 << TB) + 1;

    signal input W[C][D];
    signal input b[C];
    signal input x[B][D];
    signal input onehot[B][C];
    signal output W_out[C][D];
    signal output b_out[C];

    component fwd[B];
    for (var r = 0; r < B; r++) {
        fwd[r] = Logits(D, C, F, XB, WB, ZB);
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
        upB[c] = ClampedFloorShift(WB, TB, AB);
        upB[c].in <== b[c] * (1 << TB) - gsum + (1 << TB) - 1;
        b_out[c] <== upB[c].out;

        for (var d = 0; d < D; d++) {
            var s = 0;
            for (var r = 0; r < B; r++) {
                gx[c][d][r] <== (fwd[r].z[c] - (1 << F) * onehot[r][c]) * x[r][d];
                s += gx[c][d][r];
            }
            upW[c][d] = ClampedFloorShift(WB, TW, AW);
            upW[c][d].in <== W[c][d] * (1 << TW) - s + (1 << TW) - 1;
            W_out[c][d] <== upW[c][d].out;
        }
    }
}
