// Access control of every contract the modules deploy: governance functions are owner-only, collateral
// functions are market-only, ownership moves in two steps (Ownable2Step) and is never renounced
// (Governed). In the production module the owner is an OpenZeppelin TimelockController: after the
// handover nobody, the deployer and the governance account included, acts directly; governance
// schedules and anyone executes once the delay has passed.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import {
  type Abi,
  type Address,
  encodeFunctionData,
  getAddress,
  getContract,
  type Hash,
  type Hex,
  hexToBigInt,
  keccak256,
  toBytes,
  toHex,
  zeroAddress,
  zeroHash,
} from "viem";
import { CONFIG_DEFAULTS } from "../../ignition/modules/core.ts";
import { deployBlindTraining } from "../../scripts/governance/production.ts";
import {
  executeOwnershipHandover,
  executeTimelockBatch,
  findOwnershipHandover,
  operationId,
  scheduleTimelockBatch,
  type TimelockCall,
  timelockBatch,
} from "../../scripts/governance/timelock.ts";
import type { Wallet } from "../../scripts/lib/market.ts";
import {
  DEV_PCK_PUBLIC_KEY,
  type Deployment,
  ETH,
  OperationState,
  TeeType,
  TimelockRole,
  timelockControllerAbi,
} from "../../sdk/index.ts";
import { loadMarket, type Market, viem } from "../support/fixture.ts";

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

/** The five governed contracts (Ownable2Step through Governed) of a deployment. */
type GovernedSet = Pick<
  Market,
  "jobMarket" | "providerRegistry" | "enclaveRegistry" | "intelQuoteVerifier" | "statementVerifier"
>;
const GOVERNED = [
  "JobMarket",
  "ProviderRegistry",
  "EnclaveRegistry",
  "IntelQuoteVerifier",
  "AttestationStatementVerifier",
] as const;
type GovernedName = (typeof GOVERNED)[number];

/** A restricted call: `send(account)` returns the transaction promise; `data` its calldata. */
type Restricted = { fn: string; send: (w: Wallet) => Promise<Hash>; data: Hex };
type OwnerOnly = { name: GovernedName; abi: Abi; address: Address; calls: Restricted[] };

const MEASUREMENT = keccak256(toBytes("m"));
const FAR = 4_000_000_000n;
const PCK_X = hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(0, 32)));
const PCK_Y = hexToBigInt(toHex(DEV_PCK_PUBLIC_KEY.subarray(32)));

/** Every owner-only function of the governed contracts, with arguments that succeed for the owner. */
function ownerOnly(k: GovernedSet, to: Address, trainingVerifier: Address): OwnerOnly[] {
  const config = {
    trainingVerifier,
    coordinator: zeroAddress,
    dataDelivery: to,
    ...CONFIG_DEFAULTS,
    collateralRatioBps: 1,
  };
  const call = (
    contract: { abi: unknown; address: Address; write: unknown },
    fn: string,
    args: readonly unknown[],
  ): Restricted => {
    const write = (contract.write as Record<string, (...a: unknown[]) => Promise<Hash>>)[fn];
    assert.ok(write, `${fn} is a write function`);
    return {
      fn,
      send: (w) => (args.length === 0 ? write({ account: w.account }) : write(args, { account: w.account })),
      data: encodeFunctionData({ abi: contract.abi as Abi, functionName: fn, args } as never),
    };
  };
  const entry = (
    name: GovernedName,
    contract: GovernedSet[keyof GovernedSet],
    calls: Restricted[],
  ): OwnerOnly => ({
    name,
    abi: contract.abi as Abi,
    address: contract.address,
    calls: [...calls, call(contract, "transferOwnership", [to])],
  });
  return [
    entry("JobMarket", k.jobMarket, [
      call(k.jobMarket, "publishConfig", [config]),
      call(k.jobMarket, "setAssetLimits", [ETH, 1n, 2n]),
    ]),
    entry("ProviderRegistry", k.providerRegistry, [
      call(k.providerRegistry, "setMarket", [to]),
      call(k.providerRegistry, "setTreasury", [to]),
      call(k.providerRegistry, "setUnbondingDelay", [0n]),
    ]),
    entry("EnclaveRegistry", k.enclaveRegistry, [
      call(k.enclaveRegistry, "allowMeasurement", [TeeType.Tdx, MEASUREMENT, FAR]),
      call(k.enclaveRegistry, "revokeMeasurement", [TeeType.Tdx, MEASUREMENT]),
      call(k.enclaveRegistry, "setVerifier", [TeeType.Tdx, to]),
      call(k.enclaveRegistry, "setSimulatedEnabled", [false]),
    ]),
    entry("IntelQuoteVerifier", k.intelQuoteVerifier, [
      call(k.intelQuoteVerifier, "registerPckKey", [PCK_X, PCK_Y, FAR]),
      call(k.intelQuoteVerifier, "revokePckKey", [PCK_X, PCK_Y]),
    ]),
    entry("AttestationStatementVerifier", k.statementVerifier, [
      call(k.statementVerifier, "registerSigner", [to, FAR]),
      call(k.statementVerifier, "revokeSigner", [to]),
      call(k.statementVerifier, "setAcceptedTcbStatusMask", [1]),
    ]),
  ];
}

/** `renounceOwnership()` of a governed contract: `view` (Governed), so sent as a call. */
function renounce(k: GovernedSet, name: GovernedName, w: Wallet): Promise<unknown> {
  const contract = {
    JobMarket: k.jobMarket,
    ProviderRegistry: k.providerRegistry,
    EnclaveRegistry: k.enclaveRegistry,
    IntelQuoteVerifier: k.intelQuoteVerifier,
    AttestationStatementVerifier: k.statementVerifier,
  }[name];
  return (
    contract.read as unknown as { renounceOwnership: (o: { account: Address }) => Promise<unknown> }
  ).renounceOwnership({ account: w.account.address });
}

function marketOnly(m: Market): Restricted[] {
  const p = m.provider.account.address;
  const r = m.providerRegistry;
  const call = (fn: string, args: readonly unknown[]): Restricted => ({
    fn,
    send: (w) => (r.write[fn as "slash"] as (...a: unknown[]) => Promise<Hash>)(args, { account: w.account }),
    data: encodeFunctionData({ abi: r.abi, functionName: fn, args } as never),
  });
  return [
    call("lockCollateral", [p, ETH, 1n]),
    call("unlockCollateral", [p, ETH, 0n]),
    call("slash", [p, ETH, 0n, CONFIG_DEFAULTS.slashBuyerShareBps]),
  ];
}

/** Everything a stranger may call by design (guarded by arguments, signatures or msg.sender's own state). */
const PERMISSIONLESS: Record<GovernedName, string[]> = {
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
    "submitFailure",
    "submitResult",
    "withdrawOwed",
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

const fixtureOwnerOnly = (m: Market) => ownerOnly(m, m.relayer.account.address, m.trainingVerifier.address);

describe("access control", () => {
  it("classifies every state-changing function of every contract as restricted or permissionless", async () => {
    const m = await loadMarket();
    for (const c of fixtureOwnerOnly(m)) {
      const restricted = c.calls.map((r) => r.fn);
      const market = c.name === "ProviderRegistry" ? marketOnly(m).map((r) => r.fn) : [];
      const special = c.name === "JobMarket" ? ["receive"] : []; // registry-only, tested below
      const classified = [
        ...restricted,
        ...market,
        ...special,
        "acceptOwnership",
        ...PERMISSIONLESS[c.name],
      ].sort();
      assert.deepEqual(mutating(c.abi), classified, `${c.name}: unclassified or stale entries`);
      assert.ok(
        restricted.includes("transferOwnership"),
        `${c.name}.transferOwnership is tested as owner-only`,
      );
      // Governed: renounceOwnership exists only to revert, so it cannot change state.
      const renounceItem = c.abi.find((i) => i.type === "function" && i.name === "renounceOwnership");
      assert.ok(renounceItem && "stateMutability" in renounceItem, `${c.name} has renounceOwnership`);
      assert.equal(renounceItem.stateMutability, "view", `${c.name}.renounceOwnership is disabled`);
    }
    // The development verifier is the same contract as the production one.
    assert.deepEqual(m.simulatedVerifier.abi, m.intelQuoteVerifier.abi);
    // The multi-party coordinator and the delivery records have no owner: each record call is
    // restricted by the job (its spec's parties and committee, its owner key, its provider).
    for (const abi of [m.multiPartyCoordinator.abi, m.dataDelivery.abi] as Abi[]) {
      const names = abi.flatMap((i) => (i.type === "function" ? [i.name] : []));
      for (const ownable of ["owner", "transferOwnership", "renounceOwnership"])
        assert.ok(!names.includes(ownable), `no ${ownable}`);
    }
    assert.deepEqual(mutating(m.dataDelivery.abi), ["challengeDelivery", "recordDelivery", "serveData"]);
  });

  for (const name of GOVERNED) {
    it(`rejects every owner-only function of ${name}, and renounceOwnership, from non-owners with OwnableUnauthorizedAccount`, async () => {
      const m = await loadMarket();
      const c = fixtureOwnerOnly(m).find((x) => x.name === name);
      assert.ok(c);
      for (const caller of [m.stranger, m.provider, m.buyer]) {
        const unauthorized = [getAddress(caller.account.address)];
        for (const r of c.calls) {
          await viem.assertions.revertWithCustomErrorWithArgs(
            r.send(caller),
            c,
            "OwnableUnauthorizedAccount",
            unauthorized,
          );
        }
        await viem.assertions.revertWithCustomErrorWithArgs(
          renounce(m, name, caller) as Promise<never>,
          c,
          "OwnableUnauthorizedAccount",
          unauthorized,
        );
      }
      // Nothing changed: the deployer still owns the contract and nobody is pending.
      const owned = await ownership(m, name);
      assert.deepEqual(owned, { owner: getAddress(m.deployer.account.address), pendingOwner: zeroAddress });
    });
  }

  it("renounceOwnership reverts GovernedRenounceDisabled for the owner of every governed contract", async () => {
    const m = await loadMarket();
    for (const c of fixtureOwnerOnly(m)) {
      await viem.assertions.revertWithCustomError(
        renounce(m, c.name, m.deployer) as Promise<never>,
        c,
        "GovernedRenounceDisabled",
      );
      assert.equal((await ownership(m, c.name)).owner, getAddress(m.deployer.account.address));
    }
  });

  it("lets the owner call the owner-only configuration functions", async () => {
    const m = await loadMarket();
    for (const c of fixtureOwnerOnly(m)) {
      for (const r of c.calls) {
        // setMarket is set once by the deployment; transfers are exercised in the two-step tests.
        if (["setMarket", "transferOwnership"].includes(r.fn)) continue;
        await r.send(m.deployer);
      }
    }
    assert.equal(await m.jobMarket.read.currentConfigId(), 2);
    const config = await m.jobMarket.read.configOf([2]);
    assert.equal(config.collateralRatioBps, 1);
    assert.equal(config.dataDelivery, getAddress(m.relayer.account.address));
    assert.equal(config.coordinator, zeroAddress);
    assert.equal(await m.jobMarket.read.minPrice([ETH]), 1n);
    assert.equal(await m.jobMarket.read.minCollateral([ETH]), 2n);
    assert.equal(await m.providerRegistry.read.unbondingDelay(), 0n);
    assert.equal(await m.providerRegistry.read.treasury(), getAddress(m.relayer.account.address));
    assert.equal(await m.enclaveRegistry.read.simulatedEnabled(), false);
    assert.equal(
      await m.enclaveRegistry.read.verifierOf([TeeType.Tdx]),
      getAddress(m.relayer.account.address),
    );
    assert.equal(await m.statementVerifier.read.acceptedTcbStatusMask(), 1);
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

async function ownership(
  k: GovernedSet,
  name: GovernedName,
): Promise<{ owner: Address; pendingOwner: Address }> {
  const contract = {
    JobMarket: k.jobMarket,
    ProviderRegistry: k.providerRegistry,
    EnclaveRegistry: k.enclaveRegistry,
    IntelQuoteVerifier: k.intelQuoteVerifier,
    AttestationStatementVerifier: k.statementVerifier,
  }[name];
  return { owner: await contract.read.owner(), pendingOwner: await contract.read.pendingOwner() };
}

describe("Ownable2Step", () => {
  /** One owner-only call per contract, to probe rights. */
  function adminCall(m: Market, name: GovernedName): (w: Wallet) => Promise<Hash> {
    const c = fixtureOwnerOnly(m).find((x) => x.name === name);
    const probe = {
      JobMarket: "setAssetLimits",
      ProviderRegistry: "setUnbondingDelay",
      EnclaveRegistry: "setSimulatedEnabled",
      IntelQuoteVerifier: "registerPckKey",
      AttestationStatementVerifier: "setAcceptedTcbStatusMask",
    }[name];
    const call = c?.calls.find((r) => r.fn === probe);
    assert.ok(c && call);
    return call.send;
  }

  function owned(m: Market, name: GovernedName) {
    const contract = {
      JobMarket: m.jobMarket,
      ProviderRegistry: m.providerRegistry,
      EnclaveRegistry: m.enclaveRegistry,
      IntelQuoteVerifier: m.intelQuoteVerifier,
      AttestationStatementVerifier: m.statementVerifier,
    }[name] as unknown as {
      abi: Abi;
      address: Address;
      write: {
        transferOwnership: (a: [Address], o: { account: Wallet["account"] }) => Promise<Hash>;
        acceptOwnership: (o: { account: Wallet["account"] }) => Promise<Hash>;
      };
    };
    return {
      abi: contract.abi,
      address: contract.address,
      ownership: () => ownership(m, name),
      transfer: (w: Wallet, to: Address) => contract.write.transferOwnership([to], { account: w.account }),
      accept: (w: Wallet) => contract.write.acceptOwnership({ account: w.account }),
      adminCall: adminCall(m, name),
    };
  }

  async function unauthorized(c: { abi: Abi; address: Address }, tx: Promise<Hash>, who: Wallet) {
    await viem.assertions.revertWithCustomErrorWithArgs(tx, c, "OwnableUnauthorizedAccount", [
      getAddress(who.account.address),
    ]);
  }

  for (const name of GOVERNED) {
    it(`${name}: the pending owner must accept; then the old owner loses its rights`, async () => {
      const m = await loadMarket();
      const c = owned(m, name);
      const [oldOwner, newOwner, stranger] = [m.deployer, m.relayer, m.stranger];

      await viem.assertions.emitWithArgs(
        c.transfer(oldOwner, newOwner.account.address),
        c,
        "OwnershipTransferStarted",
        [getAddress(oldOwner.account.address), getAddress(newOwner.account.address)],
      );
      // Nothing moves before the acceptance: the old owner keeps its rights, the new one has none.
      assert.deepEqual(await c.ownership(), {
        owner: getAddress(oldOwner.account.address),
        pendingOwner: getAddress(newOwner.account.address),
      });
      await unauthorized(c, c.adminCall(newOwner), newOwner);
      await c.adminCall(oldOwner);

      // Neither a stranger nor the old owner can accept in the pending owner's place.
      await unauthorized(c, c.accept(stranger), stranger);
      await unauthorized(c, c.accept(oldOwner), oldOwner);

      await viem.assertions.emitWithArgs(c.accept(newOwner), c, "OwnershipTransferred", [
        getAddress(oldOwner.account.address),
        getAddress(newOwner.account.address),
      ]);
      assert.deepEqual(await c.ownership(), {
        owner: getAddress(newOwner.account.address),
        pendingOwner: zeroAddress,
      });
      await unauthorized(c, c.adminCall(oldOwner), oldOwner);
      await unauthorized(c, c.transfer(oldOwner, oldOwner.account.address), oldOwner);
      await c.adminCall(newOwner);
      // Accepting twice is not possible.
      await unauthorized(c, c.accept(newOwner), newOwner);
    });

    it(`${name}: a pending transfer can be replaced or cancelled by the owner`, async () => {
      const m = await loadMarket();
      const c = owned(m, name);
      await c.transfer(m.deployer, m.relayer.account.address);
      await c.transfer(m.deployer, m.buyer.account.address);
      await unauthorized(c, c.accept(m.relayer), m.relayer);
      await c.transfer(m.deployer, zeroAddress);
      assert.equal((await c.ownership()).pendingOwner, zeroAddress);
      await unauthorized(c, c.accept(m.buyer), m.buyer);
      assert.equal((await c.ownership()).owner, getAddress(m.deployer.account.address));
    });
  }
});

describe("production module: after the handover only the timelock, after its delay, can act", () => {
  let c: NetworkConnection;
  before(async () => {
    c = await network.create({ override: { chainId: 1 } });
  });
  after(async () => {
    await c?.close();
  });

  /** BlindTraining on chain id 1 with a separate governance account, ownership handed over. */
  async function governed() {
    const publicClient = await c.viem.getPublicClient();
    const [deployer, , , stranger, , governance] = (await c.viem.getWalletClients()) as Wallet[];
    assert.ok(deployer && stranger && governance);
    const trainingVerifier = getAddress("0x00000000000000000000000000000000000b1a5e");
    const d: Deployment = await deployBlindTraining(c, {
      trainingVerifier,
      governance: governance.account.address,
    });
    assert.ok(d.timelock && d.intelQuoteVerifier && d.statementVerifier);
    const handover = await findOwnershipHandover(publicClient, d);
    await c.networkHelpers.time.increaseTo(handover.readyAt);
    await executeOwnershipHandover(publicClient, stranger, d, handover);
    const k: GovernedSet = {
      jobMarket: await c.viem.getContractAt("JobMarket", d.jobMarket),
      providerRegistry: await c.viem.getContractAt("ProviderRegistry", d.providerRegistry),
      enclaveRegistry: await c.viem.getContractAt("EnclaveRegistry", d.enclaveRegistry),
      intelQuoteVerifier: await c.viem.getContractAt("IntelQuoteVerifier", d.intelQuoteVerifier),
      statementVerifier: await c.viem.getContractAt("AttestationStatementVerifier", d.statementVerifier),
    };
    const timelock = getContract({ address: d.timelock, abi: timelockControllerAbi, client: publicClient });
    return { publicClient, deployer, stranger, governance, k, timelock, d, trainingVerifier };
  }
  const load = () => c.networkHelpers.loadFixture(governed);

  it("the timelock owns every governed contract; nobody else can call an owner-only function, governance included", async () => {
    const g = await load();
    for (const name of GOVERNED)
      assert.deepEqual(await ownership(g.k, name), {
        owner: getAddress(g.timelock.address),
        pendingOwner: zeroAddress,
      });
    for (const entry of ownerOnly(g.k, g.stranger.account.address, g.trainingVerifier)) {
      for (const caller of [g.deployer, g.governance, g.stranger]) {
        const args = [getAddress(caller.account.address)];
        for (const r of entry.calls)
          await c.viem.assertions.revertWithCustomErrorWithArgs(
            r.send(caller),
            entry,
            "OwnableUnauthorizedAccount",
            args,
          );
        await c.viem.assertions.revertWithCustomErrorWithArgs(
          renounce(g.k, entry.name, caller) as Promise<never>,
          entry,
          "OwnableUnauthorizedAccount",
          args,
        );
      }
    }
  });

  it("only governance schedules, at least the minimum delay ahead; the timelock alone changes its roles and delay", async () => {
    const g = await load();
    const batch = timelockBatch(
      [
        {
          to: g.k.jobMarket.address,
          data: encodeFunctionData({
            abi: g.k.jobMarket.abi,
            functionName: "setAssetLimits",
            args: [ETH, 1n, 1n],
          }),
        },
      ],
      keccak256(toBytes("probe")),
    );
    const minDelay = await g.timelock.read.getMinDelay();
    for (const caller of [g.deployer, g.stranger]) {
      await c.viem.assertions.revertWithCustomErrorWithArgs(
        scheduleTimelockBatch(g.publicClient, caller, g.timelock.address, batch, minDelay),
        g.timelock,
        "AccessControlUnauthorizedAccount",
        [getAddress(caller.account.address), TimelockRole.Proposer],
      );
    }
    await c.viem.assertions.revertWithCustomErrorWithArgs(
      scheduleTimelockBatch(g.publicClient, g.governance, g.timelock.address, batch, minDelay - 1n),
      g.timelock,
      "TimelockInsufficientDelay",
      [minDelay - 1n, minDelay],
    );
    // The timelock administers itself: governance cannot grant roles or shorten the delay directly.
    await c.viem.assertions.revertWithCustomErrorWithArgs(
      g.governance.writeContract({
        address: g.timelock.address,
        abi: timelockControllerAbi,
        functionName: "grantRole",
        args: [TimelockRole.Proposer, g.stranger.account.address],
      }),
      g.timelock,
      "AccessControlUnauthorizedAccount",
      [getAddress(g.governance.account.address), TimelockRole.Admin],
    );
    await c.viem.assertions.revertWithCustomErrorWithArgs(
      g.governance.writeContract({
        address: g.timelock.address,
        abi: timelockControllerAbi,
        functionName: "updateDelay",
        args: [0n],
      }),
      g.timelock,
      "TimelockUnauthorizedCaller",
      [getAddress(g.governance.account.address)],
    );
    // Through the timelock, the delay itself can change (after the current delay).
    const update = timelockBatch(
      [
        {
          to: g.timelock.address,
          data: encodeFunctionData({
            abi: timelockControllerAbi,
            functionName: "updateDelay",
            args: [3n * 86_400n],
          }),
        },
      ],
      keccak256(toBytes("longer delay")),
    );
    const scheduled = await scheduleTimelockBatch(g.publicClient, g.governance, g.timelock.address, update);
    await c.networkHelpers.time.increaseTo(scheduled.readyAt);
    await executeTimelockBatch(g.publicClient, g.stranger, g.timelock.address, update);
    assert.equal(await g.timelock.read.getMinDelay(), 3n * 86_400n);
  });

  it("a scheduled change runs only after the delay, executed by anyone; governance can cancel it before", async () => {
    const g = await load();
    const calls: TimelockCall[] = [
      {
        to: g.k.jobMarket.address,
        data: encodeFunctionData({
          abi: g.k.jobMarket.abi,
          functionName: "setAssetLimits",
          args: [ETH, 1n, 1n],
        }),
      },
      {
        to: g.k.providerRegistry.address,
        data: encodeFunctionData({
          abi: g.k.providerRegistry.abi,
          functionName: "setUnbondingDelay",
          args: [60n],
        }),
      },
      {
        to: g.k.enclaveRegistry.address,
        data: encodeFunctionData({
          abi: g.k.enclaveRegistry.abi,
          functionName: "allowMeasurement",
          args: [TeeType.Tdx, MEASUREMENT, FAR],
        }),
      },
      {
        to: g.k.intelQuoteVerifier.address,
        data: encodeFunctionData({
          abi: g.k.intelQuoteVerifier.abi,
          functionName: "registerPckKey",
          args: [PCK_X, PCK_Y, FAR],
        }),
      },
      {
        to: g.k.statementVerifier.address,
        data: encodeFunctionData({
          abi: g.k.statementVerifier.abi,
          functionName: "setAcceptedTcbStatusMask",
          args: [1],
        }),
      },
    ];
    const batch = timelockBatch(calls, keccak256(toBytes("one change per contract")));
    const id = operationId(batch);
    const scheduled = await scheduleTimelockBatch(g.publicClient, g.governance, g.timelock.address, batch);
    assert.equal(scheduled.state, OperationState.Waiting);
    const executeNow = () =>
      g.stranger.writeContract({
        address: g.timelock.address,
        abi: timelockControllerAbi,
        functionName: "executeBatch",
        args: [batch.targets, batch.values, batch.payloads, batch.predecessor, batch.salt],
      });
    const readyBit = toHex(1n << BigInt(OperationState.Ready), { size: 32 });
    await c.viem.assertions.revertWithCustomErrorWithArgs(
      executeNow(),
      g.timelock,
      "TimelockUnexpectedOperationState",
      [id, readyBit],
    );
    // One second before the ready time (the next block is mined at readyAt - 1) it still waits.
    await c.networkHelpers.time.setNextBlockTimestamp(scheduled.readyAt - 1n);
    await c.viem.assertions.revertWithCustomErrorWithArgs(
      executeNow(),
      g.timelock,
      "TimelockUnexpectedOperationState",
      [id, readyBit],
    );
    assert.equal(await g.k.providerRegistry.read.unbondingDelay(), 7n * 86_400n);

    await c.networkHelpers.time.setNextBlockTimestamp(scheduled.readyAt);
    await c.viem.assertions.emitWithArgs(executeNow(), g.timelock, "CallExecuted", [
      id,
      4n,
      g.k.statementVerifier.address,
      0n,
      calls[4]?.data ?? "0x",
    ]);
    assert.equal(await g.k.jobMarket.read.minPrice([ETH]), 1n);
    assert.equal(await g.k.providerRegistry.read.unbondingDelay(), 60n);
    assert.equal((await g.k.enclaveRegistry.read.measurementOf([TeeType.Tdx, MEASUREMENT])).expiresAt, FAR);
    assert.equal((await g.k.intelQuoteVerifier.read.pckKeyOf([PCK_X, PCK_Y])).expiresAt, FAR);
    assert.equal(await g.k.statementVerifier.read.acceptedTcbStatusMask(), 1);

    // Cancelled before it is ready, an operation never runs.
    const revoke = timelockBatch(
      [
        {
          to: g.k.enclaveRegistry.address,
          data: encodeFunctionData({
            abi: g.k.enclaveRegistry.abi,
            functionName: "revokeMeasurement",
            args: [TeeType.Tdx, MEASUREMENT],
          }),
        },
      ],
      zeroHash,
    );
    const pending = await scheduleTimelockBatch(g.publicClient, g.governance, g.timelock.address, revoke);
    await c.viem.assertions.revertWithCustomErrorWithArgs(
      g.stranger.writeContract({
        address: g.timelock.address,
        abi: timelockControllerAbi,
        functionName: "cancel",
        args: [pending.id],
      }),
      g.timelock,
      "AccessControlUnauthorizedAccount",
      [getAddress(g.stranger.account.address), TimelockRole.Canceller],
    );
    await g.governance.writeContract({
      address: g.timelock.address,
      abi: timelockControllerAbi,
      functionName: "cancel",
      args: [pending.id],
    });
    await c.networkHelpers.time.increaseTo(pending.readyAt);
    await assert.rejects(
      executeTimelockBatch(g.publicClient, g.stranger, g.timelock.address, revoke),
      /not scheduled/,
    );
    assert.equal((await g.k.enclaveRegistry.read.measurementOf([TeeType.Tdx, MEASUREMENT])).revokedAt, 0n);
  });

  it("not even the timelock can renounce ownership: a scheduled renounceOwnership reverts GovernedRenounceDisabled", async () => {
    const g = await load();
    for (const entry of ownerOnly(g.k, g.stranger.account.address, g.trainingVerifier)) {
      const batch = timelockBatch(
        [
          {
            to: entry.address,
            data: encodeFunctionData({ abi: entry.abi, functionName: "renounceOwnership" } as never),
          },
        ],
        keccak256(toBytes(`renounce ${entry.name}`)),
      );
      const scheduled = await scheduleTimelockBatch(g.publicClient, g.governance, g.timelock.address, batch);
      await c.networkHelpers.time.increaseTo(scheduled.readyAt);
      await c.viem.assertions.revertWithCustomError(
        g.stranger.writeContract({
          address: g.timelock.address,
          abi: timelockControllerAbi,
          functionName: "executeBatch",
          args: [batch.targets, batch.values, batch.payloads, batch.predecessor, batch.salt],
        }),
        entry,
        "GovernedRenounceDisabled",
      );
      assert.equal((await ownership(g.k, entry.name)).owner, getAddress(g.timelock.address));
    }
  });
});
