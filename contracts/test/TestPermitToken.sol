// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @notice Test-only ERC-20 with EIP-2612 permit and open minting. Never deployed by a module.
contract TestPermitToken is ERC20, ERC20Permit {
    constructor() ERC20("Test Stake Token", "TST") ERC20Permit("Test Stake Token") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
