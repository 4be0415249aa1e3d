pragma circom 2.1.0;

// The default demo job: D=32, C=10, B=8, K=4, F=8, LR_SHIFT=2, E=16, S=1
// (K*B*D*C = 10,240 multiply-accumulates of training in one segment, plus the eval check).
include "../training_segment.circom";

component main { public [publicHash] } = TrainingSegment(32, 10, 8, 4, 8, 2, 16, 1);
