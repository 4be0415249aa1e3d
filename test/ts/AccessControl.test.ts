// Access control of every contract the modules deploy: governance functions are owner-only, collateral
// functions are market-only, and ownership moves in two steps (Ownable2Step).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Abi,
  type Address,
  getAddress,
  type Hash,
  hexToBigInt,
  keccak256,
  toBytes,
  toHex,
  zeroAddress,
} from "viem";
import { DEV_PCK_PUBLIC_KEY, ETH, TeeType } from "../../sdk/index.ts";
import { loadMarket, type Market, viem } from "../support/fixture.ts";

type Wallet = Market["stranger"];

/** State-changing functions of an ABI (everything but view/pure), plus `receive`/`fallback`. */
function mutating(abi: Abi): string[] {
  return abi
    .flatMap((item) => {
      if (item.type === "function")
        return item.stateMutability === "view" || item.stateMutability === "pure" ? [] : [item.name];
      return item.type === "receive" || item.type === "fallback" ? [item.type] : [];
    })
    .sort();
}

const OWNABLE = ["acceptOwnership", "renounceOwnership", "transferOwnership"];

/** A restricted call: `send(account)` returns the transaction promise. */
type Restricted = { fn: string; send: (w: Wallet) => Promise<Hash> };

function ownerOnly(m: Market): { name: string; abi: Abi; address: Address; calls: Restricted[] }[] {
  const measurement = keccak256(toBytes("m"));
  const far = 4_000_000_000n;
  const pckX = hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(0, 32)));
  const pckY = hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(32)));
  return [
    {
      name: "JobMarket",
      abi: m.jobMarket.abi,
      address: m.jobMarket.address,
      calls: [
        {
          fn: "setTrainingVerifier",
          send: (w) => m.jobMarket.write.setTrainingVerifier([zeroAddress], { account: w.account }),
        },
        {
          fn: "setMultiPartyCoordinator",
          send: (w) => m.jobMarket.write.setMultiPartyCoordinator([zeroAddress], { account: w.account }),
        },
        {
          fn: "setCollateralRatio",
          send: (w) => m.jobMarket.write.setCollateralRatio([1], { account: w.account }),
        },
        { fn: "setMinPrice", send: (w) => m.jobMarket.write.setMinPrice([ETH, 0n], { account: w.account }) },
        {
          fn: "transferOwnership",
          send: (w) => m.jobMarket.write.transferOwnership([w.account.address], { account: w.account }),
        },
        { fn: "renounceOwnership", send: (w) => m.jobMarket.write.renounceOwnership({ account: w.account }) },
      ],
    },
    {
      name: "ProviderRegistry",
      abi: m.providerRegistry.abi,
      address: m.providerRegistry.address,
      calls: [
        {
          fn: "setMarket",
          send: (w) => m.providerRegistry.write.setMarket([w.account.address], { account: w.account }),
        },
        {
          fn: "setTreasury",
          send: (w) => m.providerRegistry.write.setTreasury([w.account.address], { account: w.account }),
        },
        {
          fn: "setSlashBuyerShare",
          send: (w) => m.providerRegistry.write.setSlashBuyerShare([0], { account: w.account }),
        },
        {
          fn: "setUnbondingDelay",
          send: (w) => m.providerRegistry.write.setUnbondingDelay([0n], { account: w.account }),
        },
        {
          fn: "transferOwnership",
          send: (w) =>
            m.providerRegistry.write.transferOwnership([w.account.address], { account: w.account }),
        },
        {
          fn: "renounceOwnership",
          send: (w) => m.providerRegistry.write.renounceOwnership({ account: w.account }),
        },
      ],
    },
    {
      name: "EnclaveRegistry",
      abi: m.enclaveRegistry.abi,
      address: m.enclaveRegistry.address,
      calls: [
        {
          fn: "allowMeasurement",
          send: (w) =>
            m.enclaveRegistry.write.allowMeasurement([TeeType.Tdx, measurement, far], { account: w.account }),
        },
        {
          fn: "revokeMeasurement",
          send: (w) =>
            m.enclaveRegistry.write.revokeMeasurement([TeeType.Tdx, measurement], { account: w.account }),
        },
        {
          fn: "setVerifier",
          send: (w) =>
            m.enclaveRegistry.write.setVerifier([TeeType.Tdx, w.account.address], { account: w.account }),
        },
        {
          fn: "setSimulatedEnabled",
          send: (w) => m.enclaveRegistry.write.setSimulatedEnabled([false], { account: w.account }),
        },
        {
          fn: "transferOwnership",
          send: (w) => m.enclaveRegistry.write.transferOwnership([w.account.address], { account: w.account }),
        },
        {
          fn: "renounceOwnership",
          send: (w) => m.enclaveRegistry.write.renounceOwnership({ account: w.account }),
        },
      ],
    },
    {
      name: "IntelQuoteVerifier",
      abi: m.intelQuoteVerifier.abi,
      address: m.intelQuoteVerifier.address,
      calls: [
        {
          fn: "registerPckKey",
          send: (w) => m.intelQuoteVerifier.write.registerPckKey([pckX, pckY, far], { account: w.account }),
        },
        {
          fn: "revokePckKey",
          send: (w) => m.intelQuoteVerifier.write.revokePckKey([pckX, pckY], { account: w.account }),
        },
        {
          fn: "transferOwnership",
          send: (w) =>
            m.intelQuoteVerifier.write.transferOwnership([w.account.address], { account: w.account }),
        },
        {
          fn: "renounceOwnership",
          send: (w) => m.intelQuoteVerifier.write.renounceOwnership({ account: w.account }),
        },
      ],
    },
    {
      name: "AttestationStatementVerifier",
      abi: m.statementVerifier.abi,
      address: m.statementVerifier.address,
      calls: [
        {
          fn: "registerSigner",
          send: (w) =>
            m.statementVerifier.write.registerSigner([w.account.address, far], { account: w.account }),
        },
        {
          fn: "revokeSigner",
          send: (w) => m.statementVerifier.write.revokeSigner([w.account.address], { account: w.account }),
        },
        {
          fn: "setAcceptedTcbStatusMask",
          send: (w) => m.statementVerifier.write.setAcceptedTcbStatusMask([1], { account: w.account }),
        },
        {
          fn: "transferOwnership",
          send: (w) =>
            m.statementVerifier.write.transferOwnership([w.account.address], { account: w.account }),
        },
        {
          fn: "renounceOwnership",
          send: (w) => m.statementVerifier.write.renounceOwnership({ account: w.account }),
        },
      ],
    },
  ];
}

function marketOnly(m: Market): Restricted[] {
  const p = m.provider.account.address;
  return [
    {
      fn: "lockCollateral",
      send: (w) => m.providerRegistry.write.lockCollateral([p, ETH, 1n], { account: w.account }),
    },
    {
      fn: "unlockCollateral",
      send: (w) => m.providerRegistry.write.unlockCollateral([p, ETH, 0n], { account: w.account }),
    },
    { fn: "slash", send: (w) => m.providerRegistry.write.slash([p, ETH, 0n], { account: w.account }) },
  ];
}

/** Everything a stranger may call by design (guarded by arguments, signatures or msg.sender's own state). */
const PERMISSIONLESS: Record<string, string[]> = {
  JobMarket: [
    "cancelJob",
    "claimRefund",
    "closeBidding",
    "enforceDeadline",
    "extendDeliveryDeadline",
    "placeBid",
    "postJob",
    "postJobWithPermit",
    "submitAttestation",
    "submitResult",
  ],
  ProviderRegistry: [
    "depositEth",
    "depositToken",
    "depositTokenWithPermit",
    "register",
    "requestWithdrawal",
    "updateProfile",
    "withdraw",
    "withdrawTreasury",
  ],
  EnclaveRegistry: [],
  IntelQuoteVerifier: [],
  AttestationStatementVerifier: [],
};

describe("access control", () => {
  it("classifies every state-changing function of every contract as restricted or permissionless", async () => {
    const m = await loadMarket();
    for (const c of ownerOnly(m)) {
      const restricted = c.calls.map((r) => r.fn);
      const market = c.name === "ProviderRegistry" ? marketOnly(m).map((r) => r.fn) : [];
      const special = c.name === "JobMarket" ? ["receive"] : []; // registry-only, tested below
      const classified = [
        ...restricted,
        ...market,
        ...special,
        "acceptOwnership",
        ...(PERMISSIONLESS[c.name] ?? []),
      ].sort();
      assert.deepEqual(mutating(c.abi), classified, `${c.name}: unclassified or stale entries`);
      for (const fn of OWNABLE.filter((f) => f !== "acceptOwnership"))
        assert.ok(restricted.includes(fn), `${c.name}.${fn} is tested as owner-only`);
    }
    // The development verifier is the same contract as the production one.
    assert.deepEqual(m.simulatedVerifier.abi, m.intelQuoteVerifier.abi);
    // The multi-party coordinator has no owner: each record call is restricted by the job's spec to
    // the data party, the provider or the committee member it names (test/ts/MultiParty.test.ts).
    assert.deepEqual(mutating(m.multiPartyCoordinator.abi), [
      "recordAggregate",
      "recordShare",
      "recordUpdate",
    ]);
  });

  for (const name of [
    "JobMarket",
    "ProviderRegistry",
    "EnclaveRegistry",
    "IntelQuoteVerifier",
    "AttestationStatementVerifier",
  ]) {
    it(`rejects every owner-only function of ${name} from non-owners with OwnableUnauthorizedAccount`, async () => {
      const m = await loadMarket();
      const c = ownerOnly(m).find((x) => x.name === name);
      assert.ok(c);
      for (const caller of [m.stranger, m.provider, m.buyer]) {
        for (const r of c.calls) {
          await viem.assertions.revertWithCustomErrorWithArgs(
            r.send(caller),
            { abi: c.abi, address: c.address },
            "OwnableUnauthorizedAccount",
            [getAddress(caller.account.address)],
          );
        }
      }
      // Nothing changed: the deployer still owns the contract and nobody is pending.
      const contract = {
        JobMarket: m.jobMarket,
        ProviderRegistry: m.providerRegistry,
        EnclaveRegistry: m.enclaveRegistry,
        IntelQuoteVerifier: m.intelQuoteVerifier,
        AttestationStatementVerifier: m.statementVerifier,
      }[name];
      assert.ok(contract);
      assert.equal(await contract.read.owner(), getAddress(m.deployer.account.address));
      assert.equal(await contract.read.pendingOwner(), zeroAddress);
    });
  }

  it("lets the owner call the owner-only configuration functions", async () => {
    const m = await loadMarket();
    for (const c of ownerOnly(m)) {
      for (const r of c.calls) {
        // setMarket is set once by the deployment; renounce/transfer are exercised in the two-step tests.
        if (["setMarket", "renounceOwnership", "transferOwnership", "revokeMeasurement"].includes(r.fn))
          continue;
        await r.send(m.deployer);
      }
    }
    assert.equal(await m.jobMarket.read.collateralRatioBps(), 1);
    assert.equal(await m.jobMarket.read.multiPartyCoordinator(), zeroAddress);
    assert.equal(await m.providerRegistry.read.unbondingDelay(), 0n);
    assert.equal(await m.enclaveRegistry.read.simulatedEnabled(), false);
  });

  it("rejects lock, unlock and slash from anyone but the market, the owner included", async () => {
    const m = await loadMarket();
    for (const caller of [m.stranger, m.deployer, m.provider]) {
      for (const r of marketOnly(m)) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          r.send(caller),
          m.providerRegistry,
          "ProviderRegistryNotMarket",
          [getAddress(caller.account.address)],
        );
      }
    }
    assert.equal(await m.providerRegistry.read.market(), getAddress(m.jobMarket.address));
  });

  it("accepts ETH on the market only from the provider registry", async () => {
    const m = await loadMarket();
    for (const sender of [m.stranger, m.deployer]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        sender.sendTransaction({ to: m.jobMarket.address, value: 1n }),
        m.jobMarket,
        "JobMarketUnexpectedEther",
        [getAddress(sender.account.address)],
      );
    }
    assert.equal(await m.publicClient.getBalance({ address: m.jobMarket.address }), 0n);
  });
});

describe("Ownable2Step", () => {
  /** Owner-transfer surface of one contract, with one owner-only call to probe rights. */
  type Owned = {
    name: string;
    abi: Abi;
    address: Address;
    owner: () => Promise<Address>;
    pendingOwner: () => Promise<Address>;
    transfer: (from: Wallet, to: Address) => Promise<Hash>;
    accept: (from: Wallet) => Promise<Hash>;
    adminCall: (from: Wallet) => Promise<Hash>;
  };

  function owned(m: Market): Owned[] {
    return [
      {
        name: "JobMarket",
        abi: m.jobMarket.abi,
        address: m.jobMarket.address,
        owner: () => m.jobMarket.read.owner(),
        pendingOwner: () => m.jobMarket.read.pendingOwner(),
        transfer: (w, to) => m.jobMarket.write.transferOwnership([to], { account: w.account }),
        accept: (w) => m.jobMarket.write.acceptOwnership({ account: w.account }),
        adminCall: (w) => m.jobMarket.write.setMinPrice([ETH, 1n], { account: w.account }),
      },
      {
        name: "ProviderRegistry",
        abi: m.providerRegistry.abi,
        address: m.providerRegistry.address,
        owner: () => m.providerRegistry.read.owner(),
        pendingOwner: () => m.providerRegistry.read.pendingOwner(),
        transfer: (w, to) => m.providerRegistry.write.transferOwnership([to], { account: w.account }),
        accept: (w) => m.providerRegistry.write.acceptOwnership({ account: w.account }),
        adminCall: (w) => m.providerRegistry.write.setUnbondingDelay([1n], { account: w.account }),
      },
      {
        name: "EnclaveRegistry",
        abi: m.enclaveRegistry.abi,
        address: m.enclaveRegistry.address,
        owner: () => m.enclaveRegistry.read.owner(),
        pendingOwner: () => m.enclaveRegistry.read.pendingOwner(),
        transfer: (w, to) => m.enclaveRegistry.write.transferOwnership([to], { account: w.account }),
        accept: (w) => m.enclaveRegistry.write.acceptOwnership({ account: w.account }),
        adminCall: (w) => m.enclaveRegistry.write.setSimulatedEnabled([true], { account: w.account }),
      },
      {
        name: "IntelQuoteVerifier",
        abi: m.intelQuoteVerifier.abi,
        address: m.intelQuoteVerifier.address,
        owner: () => m.intelQuoteVerifier.read.owner(),
        pendingOwner: () => m.intelQuoteVerifier.read.pendingOwner(),
        transfer: (w, to) => m.intelQuoteVerifier.write.transferOwnership([to], { account: w.account }),
        accept: (w) => m.intelQuoteVerifier.write.acceptOwnership({ account: w.account }),
        adminCall: (w) =>
          m.intelQuoteVerifier.write.registerPckKey(
            [
              hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(0, 32))),
              hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(32))),
              4_000_000_000n,
            ],
            { account: w.account },
          ),
      },
      {
        name: "AttestationStatementVerifier",
        abi: m.statementVerifier.abi,
        address: m.statementVerifier.address,
        owner: () => m.statementVerifier.read.owner(),
        pendingOwner: () => m.statementVerifier.read.pendingOwner(),
        transfer: (w, to) => m.statementVerifier.write.transferOwnership([to], { account: w.account }),
        accept: (w) => m.statementVerifier.write.acceptOwnership({ account: w.account }),
        adminCall: (w) => m.statementVerifier.write.setAcceptedTcbStatusMask([3], { account: w.account }),
      },
    ];
  }

  async function unauthorized(c: Owned, tx: Promise<Hash>, who: Wallet) {
    await viem.assertions.revertWithCustomErrorWithArgs(
      tx,
      { abi: c.abi, address: c.address },
      "OwnableUnauthorizedAccount",
      [getAddress(who.account.address)],
    );
  }

  for (const name of [
    "JobMarket",
    "ProviderRegistry",
    "EnclaveRegistry",
    "IntelQuoteVerifier",
    "AttestationStatementVerifier",
  ]) {
    it(`${name}: the pending owner must accept; then the old owner loses its rights`, async () => {
      const m = await loadMarket();
      const c = owned(m).find((x) => x.name === name);
      assert.ok(c);
      const [oldOwner, newOwner, stranger] = [m.deployer, m.relayer, m.stranger];

      await viem.assertions.emitWithArgs(
        c.transfer(oldOwner, newOwner.account.address),
        { abi: c.abi, address: c.address },
        "OwnershipTransferStarted",
        [getAddress(oldOwner.account.address), getAddress(newOwner.account.address)],
      );
      // Nothing moves before the acceptance: the old owner keeps its rights, the new one has none.
      assert.equal(await c.owner(), getAddress(oldOwner.account.address));
      assert.equal(await c.pendingOwner(), getAddress(newOwner.account.address));
      await unauthorized(c, c.adminCall(newOwner), newOwner);
      await c.adminCall(oldOwner);

      // Neither a stranger nor the old owner can accept in the pending owner's place.
      await unauthorized(c, c.accept(stranger), stranger);
      await unauthorized(c, c.accept(oldOwner), oldOwner);

      await viem.assertions.emitWithArgs(
        c.accept(newOwner),
        { abi: c.abi, address: c.address },
        "OwnershipTransferred",
        [getAddress(oldOwner.account.address), getAddress(newOwner.account.address)],
      );
      assert.equal(await c.owner(), getAddress(newOwner.account.address));
      assert.equal(await c.pendingOwner(), zeroAddress);
      await unauthorized(c, c.adminCall(oldOwner), oldOwner);
      await unauthorized(c, c.transfer(oldOwner, oldOwner.account.address), oldOwner);
      await c.adminCall(newOwner);
      // Accepting twice is not possible.
      await unauthorized(c, c.accept(newOwner), newOwner);
    });

    it(`${name}: a pending transfer can be replaced or cancelled by the owner`, async () => {
      const m = await loadMarket();
      const c = owned(m).find((x) => x.name === name);
      assert.ok(c);
      await c.transfer(m.deployer, m.relayer.account.address);
      await c.transfer(m.deployer, m.buyer.account.address);
      await unauthorized(c, c.accept(m.relayer), m.relayer);
      await c.transfer(m.deployer, zeroAddress);
      assert.equal(await c.pendingOwner(), zeroAddress);
      await unauthorized(c, c.accept(m.buyer), m.buyer);
      assert.equal(await c.owner(), getAddress(m.deployer.account.address));
    });
  }
});
