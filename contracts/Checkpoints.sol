// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Checkpoints — append-only value histories keyed by block number.
/// @notice "The value as of block B" is the last value written in a block <= B (the state
/// at the end of block B, which is what an eth_call pinned to B sees). A history is only
/// ever appended to (or its last entry overwritten within the same block), so once block B
/// is past, every answer for B is final. This is what lets EpochLog snapshot "as of the
/// trigger block" lazily, in any later block, and get the same answer every node gets.
/// Does not: prune, or allow writing a block other than the current one.
library Checkpoints {
    /// One storage slot: a 192-bit value (membership bitmap word) and its block.
    struct Packed {
        uint64 blockNumber;
        uint192 value;
    }

    /// Two storage slots: a full 32-byte value (public key) and its block.
    struct Wide {
        uint64 blockNumber;
        bytes32 value;
    }

    function latest(Packed[] storage h) internal view returns (uint192) {
        uint256 len = h.length;
        return len == 0 ? 0 : h[len - 1].value;
    }

    function latest(Wide[] storage h) internal view returns (bytes32) {
        uint256 len = h.length;
        return len == 0 ? bytes32(0) : h[len - 1].value;
    }

    function push(Packed[] storage h, uint192 value) internal {
        uint256 len = h.length;
        uint64 now_ = uint64(block.number);
        if (len != 0 && h[len - 1].blockNumber == now_) {
            h[len - 1].value = value;
        } else {
            h.push(Packed(now_, value));
        }
    }

    function push(Wide[] storage h, bytes32 value) internal {
        uint256 len = h.length;
        uint64 now_ = uint64(block.number);
        if (len != 0 && h[len - 1].blockNumber == now_) {
            h[len - 1].value = value;
        } else {
            h.push(Wide(now_, value));
        }
    }

    /// Value as of block `b` (0 when nothing was written at or before b).
    function valueAt(Packed[] storage h, uint256 b) internal view returns (uint192) {
        uint256 len = h.length;
        // Common case first: the newest entry already answers.
        if (len == 0) return 0;
        if (h[len - 1].blockNumber <= b) return h[len - 1].value;
        // Binary search for the last index with blockNumber <= b; lo..hi is the candidate
        // count, i.e. the answer is h[lo-1] once lo == hi.
        uint256 lo = 0;
        uint256 hi = len - 1;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (h[mid].blockNumber <= b) lo = mid + 1;
            else hi = mid;
        }
        return lo == 0 ? 0 : h[lo - 1].value;
    }

    function valueAt(Wide[] storage h, uint256 b) internal view returns (bytes32) {
        uint256 len = h.length;
        if (len == 0) return bytes32(0);
        if (h[len - 1].blockNumber <= b) return h[len - 1].value;
        // Keys rotate once per epoch, right after each trigger: the entry before the newest
        // is the usual answer for the current epoch's trigger.
        if (len >= 2 && h[len - 2].blockNumber <= b) return h[len - 2].value;
        uint256 lo = 0;
        uint256 hi = len - 1;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (h[mid].blockNumber <= b) lo = mid + 1;
            else hi = mid;
        }
        return lo == 0 ? bytes32(0) : h[lo - 1].value;
    }
}
