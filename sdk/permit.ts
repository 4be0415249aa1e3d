import { type Address, type Hex, parseSignature, type TypedDataDefinition } from "viem";

/** EIP-2612 `Permit` type. */
export const permitTypes = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** Parameters of {@link signPermit}. */
export type PermitParameters = {
  /** The token holder. */
  owner: Address;
  /** Signs typed data as `owner`: a local account's or a wallet client's `signTypedData`. */
  signTypedData: (typedData: TypedDataDefinition<typeof permitTypes, "Permit">) => Promise<Hex>;
  /** The token's EIP-712 domain (read it with `token.read.eip712Domain()`). */
  token: { address: Address; name: string; version: string; chainId: number };
  spender: Address;
  value: bigint;
  /** The owner's current permit nonce (`token.read.nonces([owner])`). */
  nonce: bigint;
  deadline: bigint;
};

/**
 * Signs an EIP-2612 permit and splits it into the `(v, r, s)` that `depositTokenWithPermit` and
 * `postJobWithPermit` take, so approval and transfer happen in one transaction.
 */
export async function signPermit(
  p: PermitParameters,
): Promise<{ deadline: bigint; v: number; r: Hex; s: Hex }> {
  const signature = await p.signTypedData({
    domain: {
      name: p.token.name,
      version: p.token.version,
      chainId: p.token.chainId,
      verifyingContract: p.token.address,
    },
    types: permitTypes,
    primaryType: "Permit",
    message: { owner: p.owner, spender: p.spender, value: p.value, nonce: p.nonce, deadline: p.deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return { deadline: p.deadline, v: Number(v ?? BigInt(27 + yParity)), r, s };
}
