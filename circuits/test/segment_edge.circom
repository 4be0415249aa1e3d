pragma circom 2.1.0;

// Test-only shape covering the edge cases of the templates: D=26 (two packed feature elements
// per leaf), C=9 (243 weights: two commitment hash blocks), B=1, K=1, F=6, LR_SHIFT=3, E=1, S=1
// (single-leaf trees, empty Merkle path). Not part of the ceremony.
include "../training_segment.circom";

component main { public [publicHash] } = TrainingSegment(26, 9, 1, 1, 6, 3, 1, 1);
