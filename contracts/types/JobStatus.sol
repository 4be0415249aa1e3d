// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice Where a job is in its lifecycle (MISSION.md §4, docs/OUTCOMES.md).
/// @dev Numbering mirrored by `sdk/types.ts`; append only. Every status from `Completed` on is
///      terminal: no call moves a job out of it, and each has paid out or made claimable every wei
///      the job held. The outcomes and who receives what:
///      - `Completed`: delivered, metric ≥ τ (proven): the provider is paid the price.
///      - `BelowThreshold`: delivered, metric < τ (proven): the provider is paid the compute share
///        of its job's config, the rest is refunded; no slash, the buyer still gets the model.
///      - `BuyerDefaulted`: the job could not run for a reason on the buyer's side (no data, data
///        not matching its commitments, undecryptable or malformed data, data withheld under a
///        challenge, a committee that did not decrypt): the provider is paid the cancellation fee
///        of the job's config, its collateral is released, the rest is refunded.
///      - `Released`: nobody's fault (governance revoked the enclave's measurement or key after the
///        job was posted): collateral released, full refund.
///      - `Failed`: the provider's fault (no attestation, no result, invalid evidence): slashed.
///      - `Cancelled`, `Expired`: never matched; full refund.
enum JobStatus {
    None,
    Open,
    Matched,
    Attested,
    Completed,
    Cancelled,
    Expired,
    Failed,
    BelowThreshold,
    BuyerDefaulted,
    Released
}

/// @notice Why a matched job ended without the full price being paid. Mirrored by `sdk/types.ts`;
///         append only. Provider faults (status `Failed`, slashed): `AttestationDeadlineMissed`,
///         `DeliveryDeadlineMissed`, `AttestationRejected`, `ProofRejected`. Buyer-side faults
///         (status `BuyerDefaulted`): `CommitteeDeadlineMissed`, `NoDataDelivered`, `DataMismatch`,
///         `DataMalformed`, `DataOverflow`, `DataUnavailable`, `CommitteeBadShares`. No fault
///         (status `Released`): `EvidenceRevoked`.
enum FailureReason {
    None,
    AttestationDeadlineMissed,
    DeliveryDeadlineMissed,
    AttestationRejected,
    ProofRejected,
    CommitteeDeadlineMissed,
    NoDataDelivered,
    DataMismatch,
    DataMalformed,
    DataOverflow,
    DataUnavailable,
    CommitteeBadShares,
    EvidenceRevoked
}
