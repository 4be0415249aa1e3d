pragma circom 2.1.0;

// Small parameters for tests and CI: D=4, C=2, B=2, K=2, F=8, LR_SHIFT=2, E=4, S=2.
include "../training_segment.circom";

component main { public [publicHash] } = TrainingSegment(4, 2, 2, 2, 8, 2, 4, 2);
