pragma circom 2.1.0;

// Test-only shape whose logits can saturate: D=4, C=2, B=2, K=2, F=2, LR_SHIFT=2, E=4, S=2.
// With F = 2, |z| can reach 4 * 2^15 * 2^8 / 2^2 = 2^23, beyond the 24-bit signed range, so the
// logits use SaturatingFloorShift (in training and eval); with F = 8 (test and demo mains) the
// bound stays below 2^23 and no logit can saturate. Not part of the ceremony.
include "../training_segment.circom";

component main { public [publicHash] } = TrainingSegment(4, 2, 2, 2, 2, 2, 4, 2);
