/**
 * TCB status of a platform, as Intel's TCB-info collateral names it; SEV-SNP verification maps onto
 * the same scale. The numbering is part of the on-chain statement ABI (`AttestationStatementVerifier`).
 */
export const TcbStatus = {
  UpToDate: 0,
  SWHardeningNeeded: 1,
  ConfigurationNeeded: 2,
  ConfigurationAndSWHardeningNeeded: 3,
  OutOfDate: 4,
  OutOfDateConfigurationNeeded: 5,
  Revoked: 6,
} as const;
/** A {@link TcbStatus} number. */
export type TcbStatus = (typeof TcbStatus)[keyof typeof TcbStatus];
/** A TCB status name. */
export type TcbStatusName = keyof typeof TcbStatus;

/** Parses Intel's status string. Unknown strings map to undefined. */
export function tcbStatusFromName(name: string): TcbStatus | undefined {
  return Object.hasOwn(TcbStatus, name) ? TcbStatus[name as TcbStatusName] : undefined;
}

/** The worse of two statuses (higher number = worse), as the TCB and QE levels combine. */
export function worseTcbStatus(a: TcbStatus, b: TcbStatus): TcbStatus {
  return (a > b ? a : b) as TcbStatus;
}
