// SPDX-License-Identifier: MIT
// Probe — a tiny contract for the chain client's anvil tests (tests/chain/test_anvil.c):
// storage, an event with indexed and dynamic fields, Error(string), Panic and a custom
// error, and pure echo functions that round-trip every ABI shape the client supports
// through Solidity's own decoder and encoder. Compiled once by compile_probe.js; the
// artifact tests/vectors/chain/Probe.json is committed.
pragma solidity 0.8.37;

contract Probe {
    uint256 public value;
    string public note;

    struct Info {
        address who;
        bytes32 key;
        string url;
        uint64 since;
    }

    event ValueSet(address indexed who, uint256 indexed value, string note, bytes data);

    error TooLarge(uint256 value, uint256 max);

    function set(uint256 v, string calldata n, bytes calldata d) external {
        if (v > 1000000) revert TooLarge(v, 1000000);
        require(v != 13, "unlucky");
        value = v;
        note = n;
        emit ValueSet(msg.sender, v, n, d);
    }

    function boom() external pure {
        assert(false);
    }

    function echo(uint64 a, bytes32 b, address[] calldata c, string[] calldata s, bytes calldata d)
        external pure
        returns (uint64, bytes32, address[] memory, string[] memory, bytes memory)
    {
        return (a, b, c, s, d);
    }

    function echo2(bool e, int32 f, bytes4 g, uint8[3] calldata h)
        external pure
        returns (bool, int32, bytes4, uint8[3] memory)
    {
        return (e, f, g, h);
    }

    function infos(Info[] calldata i) external pure returns (Info[] memory) {
        return i;
    }

    function nested(uint256[][] calldata x, bytes[2] calldata y) external pure
        returns (uint256[][] memory, bytes[2] memory)
    {
        return (x, y);
    }
}
