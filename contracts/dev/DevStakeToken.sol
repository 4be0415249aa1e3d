// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title DevStakeToken
/// @notice Development ERC-20 with EIP-2612 permit and a faucet, deployed only by the local-chain
///         module so that token staking and token escrow can be exercised without a real token.
contract DevStakeToken is ERC20, ERC20Permit {
    /// @notice Largest amount one faucet call mints.
    uint256 public constant FAUCET_LIMIT = 1_000_000 ether;

    /// @notice Thrown when a faucet request exceeds {FAUCET_LIMIT}.
    error DevStakeTokenFaucetLimit(uint256 requested, uint256 limit);
    /// @notice Thrown when deployed on a chain other than a local development chain (31337, 1337).
    error DevStakeTokenNotLocalChain(uint256 chainId);

    /// @dev The development module deploys this token first and everything else after it, so this
    ///      check stops the whole module (open faucet included) before anything lands on a real chain.
    constructor() ERC20("Blind Training Dev Stake", "BTDEV") ERC20Permit("Blind Training Dev Stake") {
        if (block.chainid != 31337 && block.chainid != 1337) revert DevStakeTokenNotLocalChain(block.chainid);
    }

    /// @notice Mints `amount` to `to`; development chains only.
    function faucet(address to, uint256 amount) external {
        if (amount > FAUCET_LIMIT) revert DevStakeTokenFaucetLimit(amount, FAUCET_LIMIT);
        _mint(to, amount);
    }
}
