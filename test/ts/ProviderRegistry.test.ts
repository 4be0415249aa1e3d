// ProviderRegistry unit tests. The registry is deployed on its own with an externally owned account
// as its market, so lock/unlock/slash can be driven directly and their accounting checked exactly.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Abi,
  type Address,
  decodeErrorResult,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  parseEther,
  toBytes,
  zeroAddress,
} from "viem";
import { ETH, signPermit, TeeType, teeTypeSet } from "../../sdk/index.ts";
import { networkHelpers, viem } from "../support/fixture.ts";

const DELAY = 7n * 24n * 3600n;
const MAX_DELAY = 90n * 24n * 3600n;
/** The buyer's share a job's config pins (ignition/modules/core.ts default). */
const BUYER_SHARE_BPS = 7_000;
const STAKE = parseEther("10");
const PROFILE = {
  teeTypes: teeTypeSet([TeeType.Tdx, TeeType.Simulated]),
  hardwareClass: 3,
  metadataHash: keccak256(toBytes("metadata")),
  endpointHash: keccak256(toBytes("endpoint")),
};

/** Finds the revert data of a failed deployment and decodes it with `abi`. */
async function deploymentError(
  deploy: Promise<unknown>,
  abi: Abi,
): Promise<{ errorName: string; args: unknown }> {
  try {
    await deploy;
  } catch (error) {
    for (let e: unknown = error; e instanceof Error; e = e.cause) {
      const data = (e as { data?: unknown }).data;
      if (typeof data === "string" && data.startsWith("0x")) {
        const decoded = decodeErrorResult({ abi, data: data as Hex });
        return { errorName: decoded.errorName, args: decoded.args };
      }
    }
    throw error;
  }
  assert.fail("the deployment did not revert");
}

async function deployRegistry() {
  const [owner, market, treasury, alice, bob, stranger] = await viem.getWalletClients();
  if (!owner || !market || !treasury || !alice || !bob || !stranger) throw new Error("need 6 accounts");
  const publicClient = await viem.getPublicClient();
  const token = await viem.deployContract("TestPermitToken");
  const registry = await viem.deployContract("ProviderRegistry", [
    owner.account.address,
    token.address,
    treasury.account.address,
    DELAY,
  ]);
  await registry.write.setMarket([market.account.address]);
  // Alice is registered and holds free ETH and token stake; Bob is registered with nothing staked.
  await registry.write.register([PROFILE], { account: alice.account });
  await registry.write.register([PROFILE], { account: bob.account });
  await registry.write.depositEth({ account: alice.account, value: STAKE });
  await token.write.mint([alice.account.address, STAKE * 10n]);
  await token.write.mint([bob.account.address, STAKE * 10n]);
  await token.write.approve([registry.address, STAKE], { account: alice.account });
  await registry.write.depositToken([STAKE], { account: alice.account });
  return { owner, market, treasury, alice, bob, stranger, publicClient, token, registry };
}

function load() {
  return networkHelpers.loadFixture(deployRegistry);
}

type Fixture = Awaited<ReturnType<typeof deployRegistry>>;

/** Locks `amount` of Alice's stake as the market. */
async function lock(f: Fixture, asset: Address, amount: bigint) {
  await f.registry.write.lockCollateral([f.alice.account.address, asset, amount], {
    account: f.market.account,
  });
}

async function stake(f: Fixture, asset: Address, who: Address = f.alice.account.address) {
  return f.registry.read.stakeOf([who, asset]);
}

async function latest(): Promise<bigint> {
  return BigInt(await networkHelpers.time.latest());
}

/** `amount * bps / 10_000` rounded up: the buyer's part of a slash. */
function ceilBps(amount: bigint, bps: number | bigint): bigint {
  return (amount * BigInt(bps) + 9_999n) / 10_000n;
}

describe("ProviderRegistry", () => {
  describe("constructor", () => {
    it("reverts on a zero treasury and an unbonding delay above the maximum", async () => {
      const { owner, token, registry } = await load();
      const abi = registry.abi;
      assert.deepEqual(
        await deploymentError(
          viem.deployContract("ProviderRegistry", [owner.account.address, token.address, zeroAddress, 1n]),
          abi,
        ),
        { errorName: "ProviderRegistryZeroAddress", args: undefined },
      );
      assert.deepEqual(
        await deploymentError(
          viem.deployContract("ProviderRegistry", [
            owner.account.address,
            token.address,
            owner.account.address,
            MAX_DELAY + 1n,
          ]),
          abi,
        ),
        { errorName: "ProviderRegistryInvalidUnbondingDelay", args: [MAX_DELAY + 1n, MAX_DELAY] },
      );
    });

    it("stores its configuration", async () => {
      const f = await load();
      assert.equal(await f.registry.read.owner(), getAddress(f.owner.account.address));
      assert.equal(await f.registry.read.stakeToken(), getAddress(f.token.address));
      assert.equal(await f.registry.read.treasury(), getAddress(f.treasury.account.address));
      assert.equal(await f.registry.read.unbondingDelay(), DELAY);
      assert.equal(await f.registry.read.market(), getAddress(f.market.account.address));
    });
  });

  describe("register", () => {
    it("registers a provider with its profile", async () => {
      const f = await load();
      const profile = { ...PROFILE, teeTypes: teeTypeSet([TeeType.SevSnp]), hardwareClass: 7 };
      await viem.assertions.emitWithArgs(
        f.registry.write.register([profile], { account: f.stranger.account }),
        f.registry,
        "ProviderRegistered",
        [
          getAddress(f.stranger.account.address),
          profile.teeTypes,
          7,
          profile.metadataHash,
          profile.endpointHash,
        ],
      );
      assert.equal(await f.registry.read.isRegistered([f.stranger.account.address]), true);
      assert.equal(await f.registry.read.teeTypesOf([f.stranger.account.address]), profile.teeTypes);
      assert.deepEqual(await f.registry.read.profileOf([f.stranger.account.address]), profile);
    });

    it("rejects an empty set, the None bit and unknown TEE type bits", async () => {
      const f = await load();
      for (const teeTypes of [0, 0x01, 0x1f, 0x20, 0x80, 0xff]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          f.registry.write.register([{ ...PROFILE, teeTypes }], { account: f.stranger.account }),
          f.registry,
          "ProviderRegistryInvalidTeeTypes",
          [teeTypes],
        );
      }
      assert.equal(await f.registry.read.isRegistered([f.stranger.account.address]), false);
    });

    it("accepts every known TEE type alone and all of them together", async () => {
      const f = await load();
      const wallets = await viem.getWalletClients();
      const sets = [
        ...[TeeType.SevSnp, TeeType.Tdx, TeeType.Sgx, TeeType.Simulated].map((t) => teeTypeSet([t])),
        0x1e,
      ];
      for (const [i, teeTypes] of sets.entries()) {
        const w = wallets[10 + i];
        if (!w) throw new Error("missing account");
        await f.registry.write.register([{ ...PROFILE, teeTypes }], { account: w.account });
        assert.equal(await f.registry.read.teeTypesOf([w.account.address]), teeTypes);
      }
    });

    it("reverts when registering twice", async () => {
      const f = await load();
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.register([PROFILE], { account: f.alice.account }),
        f.registry,
        "ProviderRegistryAlreadyRegistered",
        [getAddress(f.alice.account.address)],
      );
    });
  });

  describe("updateProfile", () => {
    it("replaces the profile and emits ProviderProfileUpdated", async () => {
      const f = await load();
      const profile = {
        teeTypes: teeTypeSet([TeeType.Sgx]),
        hardwareClass: 9,
        metadataHash: keccak256(toBytes("metadata v2")),
        endpointHash: keccak256(toBytes("endpoint v2")),
      };
      await viem.assertions.emitWithArgs(
        f.registry.write.updateProfile([profile], { account: f.alice.account }),
        f.registry,
        "ProviderProfileUpdated",
        [
          getAddress(f.alice.account.address),
          profile.teeTypes,
          9,
          profile.metadataHash,
          profile.endpointHash,
        ],
      );
      assert.deepEqual(await f.registry.read.profileOf([f.alice.account.address]), profile);
      // Stake is untouched by a profile change.
      assert.equal((await stake(f, ETH)).free, STAKE);
    });

    it("rejects an invalid TEE set and unregistered callers", async () => {
      const f = await load();
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.updateProfile([{ ...PROFILE, teeTypes: 0 }], { account: f.alice.account }),
        f.registry,
        "ProviderRegistryInvalidTeeTypes",
        [0],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.updateProfile([PROFILE], { account: f.stranger.account }),
        f.registry,
        "ProviderRegistryNotRegistered",
        [getAddress(f.stranger.account.address)],
      );
    });
  });

  describe("deposits", () => {
    it("credits deposited ETH as free stake", async () => {
      const f = await load();
      const amount = parseEther("1.5");
      await viem.assertions.balancesHaveChanged(
        f.registry.write.depositEth({ account: f.bob.account, value: amount }),
        [
          { address: f.bob.account.address, amount: -amount },
          { address: f.registry.address, amount },
        ],
      );
      await viem.assertions.emitWithArgs(
        f.registry.write.depositEth({ account: f.bob.account, value: 1n }),
        f.registry,
        "StakeDeposited",
        [getAddress(f.bob.account.address), ETH, 1n],
      );
      assert.deepEqual(await stake(f, ETH, f.bob.account.address), {
        free: amount + 1n,
        locked: 0n,
        unbonding: 0n,
        unbondingReadyAt: 0n,
      });
    });

    it("credits deposited tokens as free stake", async () => {
      const f = await load();
      await f.token.write.approve([f.registry.address, STAKE], { account: f.bob.account });
      await viem.assertions.emitWithArgs(
        f.registry.write.depositToken([STAKE], { account: f.bob.account }),
        f.registry,
        "StakeDeposited",
        [getAddress(f.bob.account.address), getAddress(f.token.address), STAKE],
      );
      assert.equal((await stake(f, f.token.address, f.bob.account.address)).free, STAKE);
      assert.equal(await f.token.read.balanceOf([f.registry.address]), STAKE * 2n);
      assert.equal(await f.token.read.balanceOf([f.bob.account.address]), STAKE * 9n);
      // ETH and token stake are kept apart.
      assert.equal((await stake(f, ETH, f.bob.account.address)).free, 0n);
    });

    it("rejects zero deposits, unregistered depositors and missing approvals", async () => {
      const f = await load();
      await viem.assertions.revertWithCustomError(
        f.registry.write.depositEth({ account: f.alice.account, value: 0n }),
        f.registry,
        "ProviderRegistryZeroAmount",
      );
      await f.token.write.approve([f.registry.address, 1n], { account: f.alice.account });
      await viem.assertions.revertWithCustomError(
        f.registry.write.depositToken([0n], { account: f.alice.account }),
        f.registry,
        "ProviderRegistryZeroAmount",
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.depositEth({ account: f.stranger.account, value: 1n }),
        f.registry,
        "ProviderRegistryNotRegistered",
        [getAddress(f.stranger.account.address)],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.depositToken([1n], { account: f.bob.account }),
        f.token,
        "ERC20InsufficientAllowance",
        [getAddress(f.registry.address), 0n, 1n],
      );
    });

    it("rejects token deposits on an ETH-only registry", async () => {
      const f = await load();
      const ethOnly = await viem.deployContract("ProviderRegistry", [
        f.owner.account.address,
        zeroAddress,
        f.treasury.account.address,
        DELAY,
      ]);
      await ethOnly.write.register([PROFILE], { account: f.alice.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        ethOnly.write.depositToken([1n], { account: f.alice.account }),
        ethOnly,
        "ProviderRegistryUnsupportedAsset",
        [zeroAddress],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        ethOnly.write.depositTokenWithPermit([1n, 0n, 27, `0x${"00".repeat(32)}`, `0x${"00".repeat(32)}`], {
          account: f.alice.account,
        }),
        ethOnly,
        "ProviderRegistryUnsupportedAsset",
        [zeroAddress],
      );
      // ...and ETH still works there.
      await ethOnly.write.depositEth({ account: f.alice.account, value: 1n });
      assert.equal((await ethOnly.read.stakeOf([f.alice.account.address, ETH])).free, 1n);
    });

    it("rejects a token deposit whose received amount differs from the amount asked for", async () => {
      const f = await load();
      // A token that, while being pulled, sends one extra unit to the registry: the balance delta is
      // amount + 1, which the registry must refuse rather than credit `amount`.
      const odd = await viem.deployContract("ReentrantToken");
      const registry = await viem.deployContract("ProviderRegistry", [
        f.owner.account.address,
        odd.address,
        f.treasury.account.address,
        DELAY,
      ]);
      await registry.write.register([PROFILE], { account: f.alice.account });
      await odd.write.mint([f.alice.account.address, 100n]);
      await odd.write.mint([odd.address, 100n]);
      await odd.write.approve([registry.address, 100n], { account: f.alice.account });
      await odd.write.arm([
        odd.address,
        encodeFunctionData({ abi: odd.abi, functionName: "transfer", args: [registry.address, 1n] }),
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.depositToken([100n], { account: f.alice.account }),
        registry,
        "ProviderRegistryWrongValue",
        [101n, 100n],
      );
      assert.equal((await registry.read.stakeOf([f.alice.account.address, odd.address])).free, 0n);
    });

    it("rejects amounts that do not fit the 128-bit accounting", async () => {
      const f = await load();
      const huge = 2n ** 128n;
      await f.token.write.mint([f.bob.account.address, huge]);
      await f.token.write.approve([f.registry.address, huge], { account: f.bob.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.depositToken([huge], { account: f.bob.account }),
        f.registry,
        "ProviderRegistryAmountTooLarge",
        [huge],
      );
      // The largest representable amount is accepted.
      await f.registry.write.depositToken([huge - 1n], { account: f.bob.account });
      assert.equal((await stake(f, f.token.address, f.bob.account.address)).free, huge - 1n);
    });
  });

  describe("depositTokenWithPermit", () => {
    async function permitFor(f: Fixture, value: bigint, deadline?: bigint) {
      const [, name, version, chainId] = await f.token.read.eip712Domain();
      return signPermit({
        owner: f.bob.account.address,
        signTypedData: (typedData) => f.bob.signTypedData(typedData),
        token: { address: f.token.address, name, version, chainId: Number(chainId) },
        spender: f.registry.address,
        value,
        nonce: await f.token.read.nonces([f.bob.account.address]),
        deadline: deadline ?? (await latest()) + 3600n,
      });
    }

    it("deposits with a permit and no prior approval", async () => {
      const f = await load();
      assert.equal(await f.token.read.allowance([f.bob.account.address, f.registry.address]), 0n);
      const p = await permitFor(f, STAKE);
      await viem.assertions.emitWithArgs(
        f.registry.write.depositTokenWithPermit([STAKE, p.deadline, p.v, p.r, p.s], {
          account: f.bob.account,
        }),
        f.registry,
        "StakeDeposited",
        [getAddress(f.bob.account.address), getAddress(f.token.address), STAKE],
      );
      assert.equal((await stake(f, f.token.address, f.bob.account.address)).free, STAKE);
      assert.equal(await f.token.read.nonces([f.bob.account.address]), 1n, "the permit was consumed");
      assert.equal(await f.token.read.allowance([f.bob.account.address, f.registry.address]), 0n);
    });

    it("still deposits when the permit was front-run and the allowance is already set", async () => {
      const f = await load();
      const p = await permitFor(f, STAKE);
      // Someone watching the mempool submits the same permit first.
      await f.token.write.permit(
        [f.bob.account.address, f.registry.address, STAKE, p.deadline, p.v, p.r, p.s],
        { account: f.stranger.account },
      );
      assert.equal(await f.token.read.allowance([f.bob.account.address, f.registry.address]), STAKE);
      await f.registry.write.depositTokenWithPermit([STAKE, p.deadline, p.v, p.r, p.s], {
        account: f.bob.account,
      });
      assert.equal((await stake(f, f.token.address, f.bob.account.address)).free, STAKE);
      assert.equal(await f.token.read.allowance([f.bob.account.address, f.registry.address]), 0n);
    });

    it("reverts with the token's error when the permit is invalid and nothing is approved", async () => {
      const f = await load();
      const p = await permitFor(f, STAKE, (await latest()) - 1n); // expired
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.depositTokenWithPermit([STAKE, p.deadline, p.v, p.r, p.s], {
          account: f.bob.account,
        }),
        f.token,
        "ERC20InsufficientAllowance",
        [getAddress(f.registry.address), 0n, STAKE],
      );
      // A permit for a smaller value does not authorize a larger deposit.
      const small = await permitFor(f, STAKE - 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.depositTokenWithPermit([STAKE, small.deadline, small.v, small.r, small.s], {
          account: f.bob.account,
        }),
        f.token,
        "ERC20InsufficientAllowance",
        [getAddress(f.registry.address), 0n, STAKE],
      );
      assert.equal((await stake(f, f.token.address, f.bob.account.address)).free, 0n);
    });
  });

  describe("withdrawals", () => {
    it("keeps free and locked stake apart: only free stake can be unbonded", async () => {
      const f = await load();
      await lock(f, ETH, parseEther("4"));
      assert.deepEqual(await stake(f, ETH), {
        free: parseEther("6"),
        locked: parseEther("4"),
        unbonding: 0n,
        unbondingReadyAt: 0n,
      });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.requestWithdrawal([ETH, parseEther("6") + 1n], { account: f.alice.account }),
        f.registry,
        "ProviderRegistryInsufficientStake",
        [parseEther("6"), parseEther("6") + 1n],
      );
      await f.registry.write.requestWithdrawal([ETH, parseEther("6")], { account: f.alice.account });
      let s = await stake(f, ETH);
      assert.equal(s.free, 0n);
      assert.equal(s.locked, parseEther("4"));
      assert.equal(s.unbonding, parseEther("6"));
      // Unlocking returns collateral to free stake, which can then be unbonded.
      await f.registry.write.unlockCollateral([f.alice.account.address, ETH, parseEther("4")], {
        account: f.market.account,
      });
      s = await stake(f, ETH);
      assert.equal(s.free, parseEther("4"));
      assert.equal(s.locked, 0n);
      // Token stake is unaffected by the ETH movements.
      assert.equal((await stake(f, f.token.address)).free, STAKE);
    });

    it("unbonds, rejects a withdrawal before the delay and pays exactly at the end of it", async () => {
      const f = await load();
      const amount = parseEther("3");
      const requestedAt = (await latest()) + 1n;
      await networkHelpers.time.setNextBlockTimestamp(requestedAt);
      const readyAt = requestedAt + DELAY;
      await viem.assertions.emitWithArgs(
        f.registry.write.requestWithdrawal([ETH, amount], { account: f.alice.account }),
        f.registry,
        "UnbondingStarted",
        [getAddress(f.alice.account.address), ETH, 0n, amount, readyAt],
      );
      assert.deepEqual(await stake(f, ETH), {
        free: STAKE - amount,
        locked: 0n,
        unbonding: amount,
        unbondingReadyAt: readyAt,
      });
      assert.deepEqual(await f.registry.read.pendingWithdrawals([f.alice.account.address, ETH]), [
        { id: 0n, readyAt, amount },
      ]);

      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.withdraw([ETH], { account: f.alice.account }),
        f.registry,
        "ProviderRegistryUnbonding",
        [readyAt],
      );
      await networkHelpers.time.setNextBlockTimestamp(readyAt - 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.withdraw([ETH], { account: f.alice.account }),
        f.registry,
        "ProviderRegistryUnbonding",
        [readyAt],
      );
      await networkHelpers.time.setNextBlockTimestamp(readyAt);
      await viem.assertions.balancesHaveChanged(
        f.registry.write.withdraw([ETH], { account: f.alice.account }),
        [
          { address: f.alice.account.address, amount },
          { address: f.registry.address, amount: -amount },
        ],
      );
      assert.deepEqual(await stake(f, ETH), {
        free: STAKE - amount,
        locked: 0n,
        unbonding: 0n,
        unbondingReadyAt: 0n,
      });
      assert.deepEqual(await f.registry.read.pendingWithdrawals([f.alice.account.address, ETH]), []);
      await viem.assertions.revertWithCustomError(
        f.registry.write.withdraw([ETH], { account: f.alice.account }),
        f.registry,
        "ProviderRegistryNothingToWithdraw",
      );
    });

    it("withdraws token stake and emits StakeWithdrawn", async () => {
      const f = await load();
      await f.registry.write.requestWithdrawal([f.token.address, STAKE], { account: f.alice.account });
      await networkHelpers.time.increase(DELAY);
      const before = await f.token.read.balanceOf([f.alice.account.address]);
      await viem.assertions.emitWithArgs(
        f.registry.write.withdraw([f.token.address], { account: f.alice.account }),
        f.registry,
        "StakeWithdrawn",
        [getAddress(f.alice.account.address), getAddress(f.token.address), STAKE],
      );
      assert.equal(await f.token.read.balanceOf([f.alice.account.address]), before + STAKE);
      assert.equal(await f.token.read.balanceOf([f.registry.address]), 0n);
    });

    it("keeps each request's own clock: a new request does not delay the ones already unbonding", async () => {
      const f = await load();
      const first = (await latest()) + 1n;
      await networkHelpers.time.setNextBlockTimestamp(first);
      const { result: id0 } = await f.registry.simulate.requestWithdrawal([ETH, 1n], {
        account: f.alice.account.address,
      });
      assert.equal(id0, 0n);
      await f.registry.write.requestWithdrawal([ETH, 1n], { account: f.alice.account });
      const second = first + DELAY - 100n;
      await networkHelpers.time.setNextBlockTimestamp(second);
      await viem.assertions.emitWithArgs(
        f.registry.write.requestWithdrawal([ETH, 2n], { account: f.alice.account }),
        f.registry,
        "UnbondingStarted",
        [getAddress(f.alice.account.address), ETH, 1n, 2n, second + DELAY],
      );
      const s = await stake(f, ETH);
      assert.equal(s.unbonding, 3n);
      assert.equal(s.unbondingReadyAt, first + DELAY, "the earliest request's readyAt");
      assert.deepEqual(await f.registry.read.pendingWithdrawals([f.alice.account.address, ETH]), [
        { id: 0n, readyAt: first + DELAY, amount: 1n },
        { id: 1n, readyAt: second + DELAY, amount: 2n },
      ]);
      // The first request matures on its own schedule and is paid alone.
      await networkHelpers.time.setNextBlockTimestamp(first + DELAY);
      await viem.assertions.balancesHaveChanged(
        f.registry.write.withdraw([ETH], { account: f.alice.account }),
        [{ address: f.alice.account.address, amount: 1n }],
      );
      assert.deepEqual(await stake(f, ETH), {
        free: STAKE - 3n,
        locked: 0n,
        unbonding: 2n,
        unbondingReadyAt: second + DELAY,
      });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.withdraw([ETH], { account: f.alice.account }),
        f.registry,
        "ProviderRegistryUnbonding",
        [second + DELAY],
      );
      await networkHelpers.time.setNextBlockTimestamp(second + DELAY);
      await viem.assertions.balancesHaveChanged(
        f.registry.write.withdraw([ETH], { account: f.alice.account }),
        [{ address: f.alice.account.address, amount: 2n }],
      );
    });

    it("pays a later request that matures first (shorter delay) and keeps the earlier one pending", async () => {
      const f = await load();
      await f.registry.write.requestWithdrawal([ETH, 1n], { account: f.alice.account });
      const slow = (await stake(f, ETH)).unbondingReadyAt;
      await f.registry.write.setUnbondingDelay([60n]);
      await f.registry.write.requestWithdrawal([ETH, 2n], { account: f.alice.account });
      const fast = (await latest()) + 60n;
      assert.equal((await stake(f, ETH)).unbondingReadyAt, fast, "the later request is now the earliest");
      await networkHelpers.time.increaseTo(fast);
      await viem.assertions.balancesHaveChanged(
        f.registry.write.withdraw([ETH], { account: f.alice.account }),
        [{ address: f.alice.account.address, amount: 2n }],
      );
      assert.deepEqual(await f.registry.read.pendingWithdrawals([f.alice.account.address, ETH]), [
        { id: 0n, readyAt: slow, amount: 1n },
      ]);
      assert.equal((await stake(f, ETH)).unbondingReadyAt, slow);
    });

    it("caps the pending requests per provider and asset", async () => {
      const f = await load();
      const max = await f.registry.read.MAX_PENDING_WITHDRAWALS();
      assert.equal(max, 32n);
      for (let i = 0n; i < max; i++)
        await f.registry.write.requestWithdrawal([ETH, 1n], { account: f.alice.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.requestWithdrawal([ETH, 1n], { account: f.alice.account }),
        f.registry,
        "ProviderRegistryTooManyPendingWithdrawals",
        [max],
      );
      // The token has its own list.
      await f.registry.write.requestWithdrawal([f.token.address, 1n], { account: f.alice.account });
      await networkHelpers.time.increase(DELAY);
      const hash = await f.registry.write.withdraw([ETH], { account: f.alice.account });
      const { gasUsed } = await f.publicClient.waitForTransactionReceipt({ hash });
      console.log(
        `      gas of a withdrawal paying the most (${max}) requests a provider can have: ${gasUsed}`,
      );
      // The cap bounds the work: no pile of dust requests can push a withdrawal out of a block.
      assert.ok(gasUsed < 300_000n, `withdrawing ${max} requests costs ${gasUsed} gas`);
      assert.equal((await stake(f, ETH)).unbonding, 0n);
      const t = (await latest()) + 1n;
      await networkHelpers.time.setNextBlockTimestamp(t);
      // Ids keep counting after the list was emptied.
      await viem.assertions.emitWithArgs(
        f.registry.write.requestWithdrawal([ETH, 1n], { account: f.alice.account }),
        f.registry,
        "UnbondingStarted",
        [getAddress(f.alice.account.address), ETH, max, 1n, t + DELAY],
      );
    });

    it("rejects withdrawing more than free stake, zero amounts and unsupported assets", async () => {
      const f = await load();
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.requestWithdrawal([ETH, STAKE + 1n], { account: f.alice.account }),
        f.registry,
        "ProviderRegistryInsufficientStake",
        [STAKE, STAKE + 1n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.requestWithdrawal([f.token.address, 1n], { account: f.bob.account }),
        f.registry,
        "ProviderRegistryInsufficientStake",
        [0n, 1n],
      );
      await viem.assertions.revertWithCustomError(
        f.registry.write.requestWithdrawal([ETH, 0n], { account: f.alice.account }),
        f.registry,
        "ProviderRegistryZeroAmount",
      );
      const other = getAddress(f.stranger.account.address);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.requestWithdrawal([other, 1n], { account: f.alice.account }),
        f.registry,
        "ProviderRegistryUnsupportedAsset",
        [other],
      );
      assert.equal((await stake(f, ETH)).free, STAKE);
    });

    it("applies a changed unbonding delay to new requests only", async () => {
      const f = await load();
      await f.registry.write.requestWithdrawal([ETH, 1n], { account: f.alice.account });
      const first = (await stake(f, ETH)).unbondingReadyAt;
      await f.registry.write.setUnbondingDelay([0n]);
      assert.equal((await stake(f, ETH)).unbondingReadyAt, first);
      await f.registry.write.requestWithdrawal([f.token.address, 1n], { account: f.alice.account });
      // With a zero delay the token withdrawal is immediately possible.
      await f.registry.write.withdraw([f.token.address], { account: f.alice.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.withdraw([ETH], { account: f.alice.account }),
        f.registry,
        "ProviderRegistryUnbonding",
        [first],
      );
    });
  });

  describe("market actions", () => {
    it("locks and unlocks collateral only as the market", async () => {
      const f = await load();
      await viem.assertions.emitWithArgs(
        f.registry.write.lockCollateral([f.alice.account.address, ETH, 5n], { account: f.market.account }),
        f.registry,
        "StakeLocked",
        [getAddress(f.alice.account.address), ETH, 5n],
      );
      await viem.assertions.emitWithArgs(
        f.registry.write.unlockCollateral([f.alice.account.address, ETH, 2n], { account: f.market.account }),
        f.registry,
        "StakeUnlocked",
        [getAddress(f.alice.account.address), ETH, 2n],
      );
      assert.equal((await stake(f, ETH)).locked, 3n);
      for (const caller of [f.alice, f.owner, f.stranger]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          f.registry.write.lockCollateral([f.alice.account.address, ETH, 1n], { account: caller.account }),
          f.registry,
          "ProviderRegistryNotMarket",
          [getAddress(caller.account.address)],
        );
        await viem.assertions.revertWithCustomErrorWithArgs(
          f.registry.write.unlockCollateral([f.alice.account.address, ETH, 1n], { account: caller.account }),
          f.registry,
          "ProviderRegistryNotMarket",
          [getAddress(caller.account.address)],
        );
      }
    });

    it("rejects locking more than free and unlocking or slashing more than locked", async () => {
      const f = await load();
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.lockCollateral([f.alice.account.address, ETH, STAKE + 1n], {
          account: f.market.account,
        }),
        f.registry,
        "ProviderRegistryInsufficientStake",
        [STAKE, STAKE + 1n],
      );
      await lock(f, ETH, 10n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.unlockCollateral([f.alice.account.address, ETH, 11n], { account: f.market.account }),
        f.registry,
        "ProviderRegistryInsufficientStake",
        [10n, 11n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.slash([f.alice.account.address, ETH, 11n, BUYER_SHARE_BPS], {
          account: f.market.account,
        }),
        f.registry,
        "ProviderRegistryInsufficientStake",
        [10n, 11n],
      );
    });

    it("slashes only as the market", async () => {
      const f = await load();
      await lock(f, ETH, 10n);
      for (const caller of [f.alice, f.owner, f.treasury, f.stranger]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          f.registry.write.slash([f.alice.account.address, ETH, 10n, BUYER_SHARE_BPS], {
            account: caller.account,
          }),
          f.registry,
          "ProviderRegistryNotMarket",
          [getAddress(caller.account.address)],
        );
      }
      assert.equal((await stake(f, ETH)).locked, 10n);
    });

    it("splits slashed ETH between the market (buyer share, rounded up) and the treasury by the job's share", async () => {
      const f = await load();
      const amount = parseEther("1") + 7n; // 70% of it is not a whole number of wei
      const toBuyer = ceilBps(amount, BUYER_SHARE_BPS);
      assert.equal(toBuyer, (amount * 7_000n) / 10_000n + 1n, "rounded up");
      const toTreasury = amount - toBuyer;
      await lock(f, ETH, amount + 5n);
      const { result } = await f.registry.simulate.slash(
        [f.alice.account.address, ETH, amount, BUYER_SHARE_BPS],
        {
          account: f.market.account.address,
        },
      );
      assert.equal(result, toBuyer);
      await viem.assertions.emitWithArgs(
        f.registry.write.slash([f.alice.account.address, ETH, amount, BUYER_SHARE_BPS], {
          account: f.market.account,
        }),
        f.registry,
        "StakeSlashed",
        [getAddress(f.alice.account.address), ETH, amount, toBuyer, toTreasury],
      );
      assert.deepEqual(await stake(f, ETH), {
        free: STAKE - amount - 5n,
        locked: 5n,
        unbonding: 0n,
        unbondingReadyAt: 0n,
      });
      assert.equal(await f.registry.read.treasuryAccrued([ETH]), toTreasury);
      // Balance invariant: the registry holds free + locked + unbonding + treasury.
      assert.equal(
        await f.publicClient.getBalance({ address: f.registry.address }),
        STAKE - amount - 5n + 5n + toTreasury,
      );
    });

    it("pays the buyer share of a slash to the market", async () => {
      const f = await load();
      const amount = parseEther("2");
      await lock(f, ETH, amount);
      const toBuyer = ceilBps(amount, BUYER_SHARE_BPS);
      await viem.assertions.balancesHaveChanged(
        f.registry.write.slash([f.alice.account.address, ETH, amount, BUYER_SHARE_BPS], {
          account: f.market.account,
        }),
        [
          { address: f.market.account.address, amount: toBuyer },
          { address: f.registry.address, amount: -toBuyer },
          { address: f.treasury.account.address, amount: 0n },
        ],
      );
    });

    it("splits slashed tokens by each call's share, including 0%, 100% and one wei at 1 bp", async () => {
      const f = await load();
      await lock(f, f.token.address, STAKE);
      const cases: [number, bigint, bigint][] = [
        [2_500, 999n, 250n], // 249.75 rounds up
        [0, 1_000n, 0n],
        [10_000, 1_001n, 1_001n],
        [1, 1n, 1n], // a non-zero share of a non-zero amount is never zero
      ];
      let accrued = 0n;
      for (const [bps, amount, toBuyer] of cases) {
        assert.equal(ceilBps(amount, BigInt(bps)), toBuyer);
        const marketBefore = await f.token.read.balanceOf([f.market.account.address]);
        await viem.assertions.emitWithArgs(
          f.registry.write.slash([f.alice.account.address, f.token.address, amount, bps], {
            account: f.market.account,
          }),
          f.registry,
          "StakeSlashed",
          [
            getAddress(f.alice.account.address),
            getAddress(f.token.address),
            amount,
            toBuyer,
            amount - toBuyer,
          ],
        );
        accrued += amount - toBuyer;
        assert.equal(await f.token.read.balanceOf([f.market.account.address]), marketBefore + toBuyer);
        assert.equal(await f.registry.read.treasuryAccrued([f.token.address]), accrued);
      }
      assert.equal(accrued, 749n + 1_000n + 0n + 0n);
    });

    it("rejects a buyer share above 100%", async () => {
      const f = await load();
      await lock(f, ETH, 10n);
      for (const bps of [10_001, 65_535]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          f.registry.write.slash([f.alice.account.address, ETH, 10n, bps], { account: f.market.account }),
          f.registry,
          "ProviderRegistryInvalidBps",
          [BigInt(bps)],
        );
      }
      assert.equal((await stake(f, ETH)).locked, 10n);
    });
  });

  describe("treasury", () => {
    it("pays everything accrued to the treasury address, whoever calls, and only once", async () => {
      const f = await load();
      await lock(f, ETH, 1_000n);
      await f.registry.write.slash([f.alice.account.address, ETH, 1_000n, BUYER_SHARE_BPS], {
        account: f.market.account,
      });
      const accrued = 300n;
      assert.equal(await f.registry.read.treasuryAccrued([ETH]), accrued);
      // The caller cannot redirect the funds: they go to the configured treasury.
      await viem.assertions.balancesHaveChanged(
        f.registry.write.withdrawTreasury([ETH], { account: f.stranger.account }),
        [
          { address: f.treasury.account.address, amount: accrued },
          { address: f.stranger.account.address, amount: 0n },
          { address: f.registry.address, amount: -accrued },
        ],
      );
      assert.equal(await f.registry.read.treasuryAccrued([ETH]), 0n);
      await viem.assertions.revertWithCustomError(
        f.registry.write.withdrawTreasury([ETH], { account: f.treasury.account }),
        f.registry,
        "ProviderRegistryNothingToWithdraw",
      );
    });

    it("lets only the owner move the treasury, and pays the new treasury", async () => {
      const f = await load();
      await lock(f, f.token.address, 1_000n);
      await f.registry.write.slash([f.alice.account.address, f.token.address, 1_000n, BUYER_SHARE_BPS], {
        account: f.market.account,
      });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.setTreasury([f.stranger.account.address], { account: f.stranger.account }),
        f.registry,
        "OwnableUnauthorizedAccount",
        [getAddress(f.stranger.account.address)],
      );
      await viem.assertions.revertWithCustomError(
        f.registry.write.setTreasury([zeroAddress]),
        f.registry,
        "ProviderRegistryZeroAddress",
      );
      await viem.assertions.emitWithArgs(
        f.registry.write.setTreasury([f.bob.account.address]),
        f.registry,
        "TreasurySet",
        [getAddress(f.bob.account.address)],
      );
      const before = await f.token.read.balanceOf([f.bob.account.address]);
      await viem.assertions.emitWithArgs(
        f.registry.write.withdrawTreasury([f.token.address], { account: f.stranger.account }),
        f.registry,
        "TreasuryWithdrawn",
        [getAddress(f.bob.account.address), getAddress(f.token.address), 300n],
      );
      assert.equal(await f.token.read.balanceOf([f.bob.account.address]), before + 300n);
      assert.equal(await f.token.read.balanceOf([f.treasury.account.address]), 0n);
    });
  });

  describe("governance", () => {
    it("sets the market once, never to zero", async () => {
      const f = await load();
      const fresh = await viem.deployContract("ProviderRegistry", [
        f.owner.account.address,
        f.token.address,
        f.treasury.account.address,
        DELAY,
      ]);
      assert.equal(await fresh.read.market(), zeroAddress);
      await viem.assertions.revertWithCustomError(
        fresh.write.setMarket([zeroAddress]),
        fresh,
        "ProviderRegistryZeroAddress",
      );
      await viem.assertions.emitWithArgs(
        fresh.write.setMarket([f.market.account.address]),
        fresh,
        "MarketSet",
        [getAddress(f.market.account.address)],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        fresh.write.setMarket([f.stranger.account.address]),
        fresh,
        "ProviderRegistryMarketAlreadySet",
        [getAddress(f.market.account.address)],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.setMarket([f.market.account.address]),
        f.registry,
        "ProviderRegistryMarketAlreadySet",
        [getAddress(f.market.account.address)],
      );
      assert.equal(await fresh.read.market(), getAddress(f.market.account.address));
    });

    it("bounds the unbonding delay to 90 days", async () => {
      const f = await load();
      await viem.assertions.emitWithArgs(
        f.registry.write.setUnbondingDelay([MAX_DELAY]),
        f.registry,
        "UnbondingDelaySet",
        [MAX_DELAY],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.write.setUnbondingDelay([MAX_DELAY + 1n]),
        f.registry,
        "ProviderRegistryInvalidUnbondingDelay",
        [MAX_DELAY + 1n, MAX_DELAY],
      );
      assert.equal(await f.registry.read.unbondingDelay(), MAX_DELAY);
      assert.equal(await f.registry.read.MAX_UNBONDING_DELAY(), MAX_DELAY);
    });

    it("cannot be renounced: renounceOwnership reverts with GovernedRenounceDisabled", async () => {
      const f = await load();
      // Governed makes renounceOwnership a `view` that always reverts: it cannot change state.
      await viem.assertions.revertWithCustomError(
        f.registry.read.renounceOwnership({ account: f.owner.account.address }),
        f.registry,
        "GovernedRenounceDisabled",
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.registry.read.renounceOwnership({ account: f.stranger.account.address }),
        f.registry,
        "OwnableUnauthorizedAccount",
        [getAddress(f.stranger.account.address)],
      );
      assert.equal(await f.registry.read.owner(), getAddress(f.owner.account.address));
    });
  });
});
