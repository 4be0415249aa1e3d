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
// the n-bit signed range, i.e. when in is outside [-2^(n+T-1), 2^(n+T-1)): use it only where a
// bound rules that out (ClampedFloorShift picks it then), or for values the statement rejects.
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

// Saturating floor division by 2^T (FIXED_POINT.md §1): out = clamp_n(floor(in / 2^T)), where
// clamp_n(q) = min(max(q, -2^(n-1)), 2^(n-1) - 1). The caller guarantees that
// u = floor(in / 2^T) + 2^(n-1) lies in [-2^(Q-1), 2^(Q-1)) (Q > n; see ClampedFloorShift).
// ONE (Q + T)-bit decomposition of in + (2^(n-1) + 2^(Q-1)) * 2^T = (u + 2^(Q-1)) * 2^T + rem
// proves 0 <= rem < 2^T and fixes u: its top bit is [u >= 0], and for u >= 0 the bits n..Q-2 are
// all zero iff u < 2^n. Then
//   inRange = top * prod_{n <= i < Q-1} (1 - bit_i)      (Q - 1 - n constraints)
//   out     = inRange * low + (top - inRange) * (2^n - 1) - 2^(n-1)   (one constraint)
// with low the n low bits of u: u < 0 gives -2^(n-1), u >= 2^n gives 2^(n-1) - 1.
// Every wire is determined by `in`; sound because Q + T <= 252 (the bits fix the integer).
template SaturatingFloorShift(n, T, Q) {
    assert(n >= 1 && T >= 0 && Q > n && Q + T <= 252);
    signal input in;
    signal output out;

    component n2b = Num2Bits(Q + T);
    n2b.in <== in + ((1 << (n - 1)) + (1 << (Q - 1))) * (1 << T);
    var low = 0;
    for (var i = 0; i < n; i++) {
        low += n2b.out[T + i] * (1 << i);
    }
    var top = n2b.out[T + Q - 1];
    var M = Q - 1 - n;
    signal inRange[M + 1];
    inRange[0] <== top;
    for (var j = 0; j < M; j++) {
        inRange[j + 1] <== inRange[j] * (1 - n2b.out[T + n + j]);
    }
    signal kept <== inRange[M] * low;
    out <== kept + (top - inRange[M]) * ((1 << n) - 1) - (1 << (n - 1));
}

// out = clamp_n(floor(in / 2^T)) given |floor(in / 2^T)| <= A (a compile-time bound the caller
// derives from the ranges of its inputs, FIXED_POINT.md §9). When A < 2^(n-1) nothing can saturate
// and a FloorShift of the fewest bits that hold A is enough (m <= n bits: the n-bit range holds);
// otherwise SaturatingFloorShift with Q = 1 + ceil(log2(2^(n-1) + A + 1)).
template ClampedFloorShift(n, T, A) {
    assert(n >= 1 && A >= 0);
    signal input in;
    signal output out;

    if (A < (1 << (n - 1))) {
        component fs = FloorShift(1 + log2Ceil(A + 1), T);
        fs.in <== in;
        out <== fs.out;
    } else {
        component sat = SaturatingFloorShift(n, T, 1 + log2Ceil((1 << (n - 1)) + A + 1));
        sat.in <== in;
        out <== sat.out;
    }
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
