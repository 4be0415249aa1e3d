pragma circom 2.1.0;

// Binary Poseidon(2) Merkle trees: node = Poseidon(left, right); leaf i pairs with leaf i^1.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "./fixed_point.circom";

// Root of N leaves (N a power of two; the root of one leaf is the leaf).
template MerkleRoot(N) {
    assert(isPow2(N));
    signal input leaves[N];
    signal output root;

    // Heap order: node k has children 2k and 2k+1; leaves are nodes N..2N-1; the root is node 1.
    component h[N - 1];
    signal node[2 * N];
    for (var i = 0; i < N; i++) {
        node[N + i] <== leaves[i];
    }
    for (var k = N - 1; k >= 1; k--) {
        h[k - 1] = Poseidon(2);
        h[k - 1].inputs[0] <== node[2 * k];
        h[k - 1].inputs[1] <== node[2 * k + 1];
        node[k] <== h[k - 1].out;
    }
    root <== node[1];
}

// Root from a node at index `index` (0 <= index < 2^depth, range-checked here) of its level
// and its `depth` siblings, nearest first. Also outputs the bits of index (least significant first).
template MerklePath(depth) {
    signal input node;
    signal input index;
    signal input siblings[depth];
    signal output root;
    signal output indexBits[depth];

    component bits = Num2Bits(depth);
    bits.in <== index;
    indexBits <== bits.out;

    component h[depth];
    signal cur[depth + 1];
    signal swap[depth];
    cur[0] <== node;
    for (var i = 0; i < depth; i++) {
        // bit 0: (cur, sibling); bit 1: (sibling, cur).
        swap[i] <== bits.out[i] * (siblings[i] - cur[i]);
        h[i] = Poseidon(2);
        h[i].inputs[0] <== cur[i] + swap[i];
        h[i].inputs[1] <== siblings[i] - swap[i];
        cur[i + 1] <== h[i].out;
    }
    root <== cur[depth];
}
