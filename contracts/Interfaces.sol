// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title The narrow views KmsRegistry and EpochLog read from each other.
/// @notice KmsRegistry needs EpochLog for the live-holder guard (protocol.md §6); EpochLog
/// needs KmsRegistry for its parameters and the checkpointed operator set (§3). Interfaces
/// break the import cycle; the full external ABI is in docs/contracts.md.

interface IKmsRegistry {
    function params()
        external
        view
        returns (
            uint64 interval,
            uint64 commitOffset,
            uint64 revealOffset,
            uint64 ackOffset,
            uint64 openOffset,
            uint64 confirmOffset,
            uint64 confirmations,
            uint32 minOperators,
            uint32 fallbackPatience
        );

    function genesisBlock() external view returns (uint64);

    function operatorsAt(uint64 blockNumber) external view returns (address[] memory);

    function keysAt(address[] calldata operators, uint64 blockNumber)
        external
        view
        returns (bytes32[] memory epochKeys, bytes32[] memory ed25519Keys);
}

interface IEpochLog {
    function registry() external view returns (address);

    function guardedVersions() external view returns (uint64[] memory);

    function liveHolderCandidates(uint64 version)
        external
        view
        returns (address[] memory holders, uint16 threshold);
}
