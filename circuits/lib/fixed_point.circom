pragma circom 2.1.0;

// Fixed-point primitives of the training statement. See circuits/FIXED_POINT.md.
// Signed integers are field elements x mod r; every range check below works on the
// offset-unsigned value x + 2^(n-1), so a check of n bits means -2^(n-1) <= x < 2^(n-1).

include "circomlib/circuits/bitify.circom";

// Signed range check: -2^(n-1) <= in < 2^(n-1). Outputs the n bits of in + 2^(n-1)
// (least significant first) so callers can reuse them.
template SignedRange(n) {
    assert(n >= 1 && n <= 252);
    signal input in;
    signal output bits[n];

    component n2b = Num2Bits(n);
    n2b.in <== in + (1 << (n - 1));
    bits <== n2b.out;
}

// Floor division by 2^T with a signed n-bit quotient, as ONE range check:
// in + 2^(n+T-1) = (out + 2^(n-1)) * 2^T + rem with 0 <= rem < 2^T and -2^(n-1) <= out < 2^(n-1).
// out = floor(in / 2^T) (toward minus infinity). No witness exists when the quotient leaves
// the n-bit signed range, i.e. when in is outside [-2^(n+T-1), 2^(n+T-1)).
// Sound because n + T <= 252: the bits fix in + 2^(n+T-1) as an integer below 2^(n+T).
template FloorShift(n, T) {
    assert(n >= 1 && T >= 0 && n + T <= 252);
    signal input in;
    signal output out;

    component n2b = Num2Bits(n + T);
    n2b.in <== in + (1 << (n + T - 1));
    var q = 0;
    for (var i = 0; i < n; i++) {
        q += n2b.out[T + i] * (1 << i);
    }
    out <== q - (1 << (n - 1));
}

// ceil(log2(n)) for n >= 1; equals log2(n) when n is a power of two.
function log2Ceil(n) {
    var k = 0;
    while ((1 << k) < n) {
        k++;
    }
    return k;
}

// Compile-time assertion helper: n must be a power of two (n >= 1).
function isPow2(n) {
    return n >= 1 && (1 << log2Ceil(n)) == n;
}
