// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice The subset of the Foundry-compatible cheatcodes (served by Hardhat's EDR) these tests use.
interface Vm {
    function warp(uint256 newTimestamp) external;
    function deal(address account, uint256 newBalance) external;
    function prank(address msgSender) external;
    function startPrank(address msgSender) external;
    function stopPrank() external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
    function expectRevert() external;
    function assume(bool condition) external pure;
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external pure returns (address keyAddr);
    function chainId(uint256 newChainId) external;
    function snapshotState() external returns (uint256 snapshotId);
    function revertToState(uint256 snapshotId) external returns (bool success);
    function label(address account, string calldata newLabel) external;
    function toString(uint256 value) external pure returns (string memory);
    /// @dev The current block timestamp, read through the cheatcode: the IR optimizer may reuse a
    ///      `block.timestamp` read from before a `warp` in the same call frame.
    function getBlockTimestamp() external view returns (uint256 timestamp);
}

/// @dev The cheatcode address (keccak256("hevm cheat code")).
address constant VM_ADDRESS = 0x7109709ECfa91a80626fF3989D68f67F5b1DD12D;
Vm constant vm = Vm(VM_ADDRESS);
