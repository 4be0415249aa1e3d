pragma circom 2.1.0;

// Weight commitment C(W, b): see circuits/FIXED_POINT.md.

include "circomlib/circuits/poseidon.circom";

// Commitment to N signed WB-bit values v[0..N-1] (W row-major, then b). The caller must
// range-check every v to WB bits signed (the packing below is injective only then).
// P_m = sum_{i<15} (v[15m+i] + 2^(WB-1)) * 2^(WB*i) over existing indices;
// h_0 = 0, h_{k+1} = Poseidon(16)(h_k, P_{15k}, ..., P_{15k+14}) (missing P are 0); out = last h.
template WeightCommitment(N, WB) {
    var PER = 15;
    assert(WB * PER <= 253);
    var M = (N + PER - 1) \ PER;
    var CH = (M + PER - 1) \ PER;

    signal input v[N];
    signal output out;

    signal packed[M];
    for (var m = 0; m < M; m++) {
        var p = 0;
        for (var i = 0; i < PER; i++) {
            if (m * PER + i < N) {
                p += (v[m * PER + i] + (1 << (WB - 1))) * (1 << (WB * i));
            }
        }
        packed[m] <== p;
    }

    component h[CH];
    for (var k = 0; k < CH; k++) {
        h[k] = Poseidon(16);
        if (k == 0) {
            h[k].inputs[0] <== 0;
        } else {
            h[k].inputs[0] <== h[k - 1].out;
        }
        for (var i = 0; i < PER; i++) {
            if (k * PER + i < M) {
                h[k].inputs[1 + i] <== packed[k * PER + i];
            } else {
                h[k].inputs[1 + i] <== 0;
            }
        }
    }
    out <== h[CH - 1].out;
}
