// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice Where a job is in its lifecycle (MISSION.md §4).
/// @dev Numbering mirrored by `sdk/types.ts`; append only. Completed, Cancelled, Expired and Failed are
/// terminal: no call moves a job out of them, and each has paid out or made refundable every wei it held.
enum JobStatus {
    None,
    Open,
    Matched,
    Attested,
    Completed,
    Cancelled,
    Expired,
    Failed
}

/// @notice Why a matched job was failed. The provider is slashed for every reason but
///         `CommitteeDeadlineMissed` (a multi-party job's committee did not decrypt the aggregate
///         in time: the provider's collateral is released). Mirrored by `sdk/types.ts`; append only.
enum FailureReason {
    None,
    AttestationDeadlineMissed,
    DeliveryDeadlineMissed,
    AttestationRejected,
    ProofRejected,
    CommitteeDeadlineMissed
}
