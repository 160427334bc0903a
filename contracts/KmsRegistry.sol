// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Checkpoints} from "./Checkpoints.sol";
import {IKmsRegistry, IEpochLog} from "./Interfaces.sol";

/// @title KmsRegistry — the tkms operator set (chain.md "KmsRegistry", protocol.md §3, §6).
/// @notice Holds the owner-managed allowlist, the registered operators with their Ed25519
/// key, X25519 epoch key and two URLs, the immutable epoch parameters, the one-shot
/// startGenesis() and the protocol version schedule. Membership and keys are checkpointed
/// by block, so "the operator set and keys as of trigger block B" has one answer forever.
/// Guards (§6): no removal that takes the next operator set below min_operators, no
/// removal of a live holder that takes the newest (or next retained) finalized version
/// below t(v) + 1 live holders, and no membership change between a cutoff and the next
/// trigger once genesis has started.
/// Does not: verify keys (low-order X25519 keys are the nodes' problem, §4.5), run epochs
/// (EpochLog does), or let anyone but the owner change the allowlist.
contract KmsRegistry is IKmsRegistry {
    using Checkpoints for Checkpoints.Packed[];
    using Checkpoints for Checkpoints.Wide[];

    /// protocol.md §1: at most 64 operators (every bitmap fits in 64 bits).
    uint256 public constant MAX_OPERATORS = 64;
    uint256 public constant MAX_URL_BYTES = 256;
    /// Membership is a bitmap over permanent slots, 192 slots per checkpointed word.
    uint256 private constant WORD_BITS = 192;

    struct NodeInfo {
        address operator;
        bytes32 ed25519Pub;
        bytes32 x25519Pub;
        string peerUrl;
        string appUrl;
    }

    struct Operator {
        bool allowed;
        bool active;
        uint32 slotPlus1; // permanent membership slot + 1; 0 = never registered
        string peerUrl;
        string appUrl;
    }

    struct ProtocolVersion {
        uint64 fromEpoch;
        uint32 version;
    }

    // ---- immutable parameters (protocol.md §3) ----
    uint64 public immutable interval;
    uint64 public immutable commitOffset;
    uint64 public immutable revealOffset;
    uint64 public immutable ackOffset;
    uint64 public immutable openOffset;
    uint64 public immutable confirmOffset;
    uint64 public immutable confirmations;
    uint32 public immutable minOperators;
    uint32 public immutable fallbackPatience;

    address public owner;
    address public pendingOwner;
    address public epochLog;
    uint64 public genesisBlock;
    uint32 public activeCount;

    mapping(address => Operator) private _operators;
    address[] private _slots;
    mapping(uint256 => Checkpoints.Packed[]) private _membership;
    mapping(address => Checkpoints.Wide[]) private _epochKeys;
    mapping(address => Checkpoints.Wide[]) private _ed25519Keys;
    ProtocolVersion[] private _protocolVersions;

    // ---- events ----
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    event EpochLogBound(address indexed epochLog);
    event GenesisStarted(uint64 blockNumber, uint64 firstEpoch);
    event OperatorAllowed(address indexed operator);
    event OperatorEjected(address indexed operator);
    event OperatorRegistered(
        address indexed operator, bytes32 ed25519Pub, bytes32 x25519Pub, string peerUrl, string appUrl
    );
    event OperatorUpdated(address indexed operator, bytes32 ed25519Pub, string peerUrl, string appUrl);
    event OperatorDeregistered(address indexed operator);
    event EpochKeySet(address indexed operator, bytes32 x25519Pub, uint64 blockNumber);
    event ProtocolVersionScheduled(uint32 version, uint64 fromEpoch);

    // ---- errors ----
    error NotOwner(address caller);
    error NotPendingOwner(address caller);
    error ZeroAddress();
    error PhaseWindowTooShort(uint8 phase, uint64 window, uint64 minimum);
    error ConfirmNotBeforeNextTrigger(uint64 confirmOffset, uint64 confirmations, uint64 interval);
    error InvalidMinOperators(uint32 minOperators);
    error InvalidFallbackPatience(uint32 fallbackPatience);
    error AlreadyAllowed(address operator);
    error NotAllowed(address operator);
    error AlreadyRegistered(address operator);
    error NotRegistered(address operator);
    error TooManyOperators(uint256 maximum);
    error ZeroKey();
    error EpochKeyReused(bytes32 x25519Pub);
    error InvalidUrl(uint8 field, uint256 length);
    error MembershipFrozen(uint64 untilBlock);
    error BelowMinOperators(uint256 count, uint256 minimum);
    error LiveHolderGuard(uint64 version, uint256 liveHolders, uint256 required);
    error GenesisAlreadyStarted(uint64 genesisBlock);
    error EpochLogNotBound();
    error EpochLogAlreadyBound(address epochLog);
    error EpochLogMismatch(address epochLog);
    error EpochNotInFuture(uint64 fromEpoch);
    error ProtocolVersionNotIncreasing(uint32 version, uint32 latest);
    error ProtocolEpochNotIncreasing(uint64 fromEpoch, uint64 latest);
    error FutureBlock(uint64 blockNumber);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @param interval_ blocks between triggers (epoch e is triggered by block e·interval)
    /// @param commitOffset_ .. confirmOffset_ phase deadlines in blocks after the trigger
    /// @param confirmations_ blocks a boundary must be deep before nodes act on it (c)
    /// @param minOperators_ smallest operator set with active epochs (1..64; spec: ≥ 4)
    /// @param fallbackPatience_ k of the source-version fallback (protocol.md §4.6), ≥ 1
    constructor(
        uint64 interval_,
        uint64 commitOffset_,
        uint64 revealOffset_,
        uint64 ackOffset_,
        uint64 openOffset_,
        uint64 confirmOffset_,
        uint64 confirmations_,
        uint32 minOperators_,
        uint32 fallbackPatience_
    ) {
        // Every phase window must hold c + 2 blocks: a transaction sent once the previous
        // boundary is c deep can still land (protocol.md §3). Windows are checked as
        // differences, so an offset that does not increase fails here as well.
        uint64 minWindow = confirmations_ + 2;
        uint64[5] memory ends = [commitOffset_, revealOffset_, ackOffset_, openOffset_, confirmOffset_];
        uint64 prev = 0;
        for (uint8 i = 0; i < 5; ++i) {
            if (ends[i] < prev || ends[i] - prev < minWindow) {
                revert PhaseWindowTooShort(i + 1, ends[i] < prev ? 0 : ends[i] - prev, minWindow);
            }
            prev = ends[i];
        }
        if (confirmOffset_ + confirmations_ >= interval_) {
            revert ConfirmNotBeforeNextTrigger(confirmOffset_, confirmations_, interval_);
        }
        if (minOperators_ == 0 || minOperators_ > MAX_OPERATORS) revert InvalidMinOperators(minOperators_);
        if (fallbackPatience_ == 0) revert InvalidFallbackPatience(fallbackPatience_);

        interval = interval_;
        commitOffset = commitOffset_;
        revealOffset = revealOffset_;
        ackOffset = ackOffset_;
        openOffset = openOffset_;
        confirmOffset = confirmOffset_;
        confirmations = confirmations_;
        minOperators = minOperators_;
        fallbackPatience = fallbackPatience_;

        owner = msg.sender;
        _protocolVersions.push(ProtocolVersion(0, 1));
        emit OwnershipTransferred(address(0), msg.sender);
        emit ProtocolVersionScheduled(1, 0);
    }

    // =====================================================================================
    // Owner
    // =====================================================================================

    /// Step one of two: name the next owner (address(0) cancels a pending transfer).
    function transferOwnership(address newOwner) external onlyOwner {
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(owner, newOwner);
    }

    /// Step two: the named address takes over.
    function acceptOwnership() external {
        if (msg.sender != pendingOwner) revert NotPendingOwner(msg.sender);
        emit OwnershipTransferred(owner, msg.sender);
        owner = msg.sender;
        pendingOwner = address(0);
    }

    /// Binds the EpochLog, once; it must name this registry.
    function setEpochLog(address epochLog_) external onlyOwner {
        if (epochLog != address(0)) revert EpochLogAlreadyBound(epochLog);
        if (epochLog_ == address(0)) revert ZeroAddress();
        if (IEpochLog(epochLog_).registry() != address(this)) revert EpochLogMismatch(epochLog_);
        epochLog = epochLog_;
        emit EpochLogBound(epochLog_);
    }

    /// One-shot (protocol I3): epochs whose trigger is at or after this block are active
    /// while they have min_operators. Refused unless min_operators are registered now, so a
    /// genesis is never run by the first registrant alone.
    function startGenesis() external onlyOwner {
        if (genesisBlock != 0) revert GenesisAlreadyStarted(genesisBlock);
        if (epochLog == address(0)) revert EpochLogNotBound();
        if (activeCount < minOperators) revert BelowMinOperators(activeCount, minOperators);
        uint64 b = uint64(block.number);
        genesisBlock = b;
        emit GenesisStarted(b, (b + interval - 1) / interval);
    }

    function allow(address operator) external onlyOwner {
        if (operator == address(0)) revert ZeroAddress();
        Operator storage op = _operators[operator];
        if (op.allowed) revert AlreadyAllowed(operator);
        op.allowed = true;
        emit OperatorAllowed(operator);
    }

    /// Removes from the allowlist and, if registered, from the operator set (guards apply).
    function eject(address operator) external onlyOwner {
        Operator storage op = _operators[operator];
        if (!op.allowed) revert NotAllowed(operator);
        op.allowed = false;
        if (op.active) _leave(operator, op);
        emit OperatorEjected(operator);
    }

    /// Schedules protocol `version` from epoch `fromEpoch` on; versions and epochs only
    /// increase, and the epoch's trigger must still be in the future.
    function setProtocolVersion(uint32 version, uint64 fromEpoch) external onlyOwner {
        if (uint256(fromEpoch) * interval <= block.number) revert EpochNotInFuture(fromEpoch);
        ProtocolVersion storage last = _protocolVersions[_protocolVersions.length - 1];
        if (version <= last.version) revert ProtocolVersionNotIncreasing(version, last.version);
        if (fromEpoch <= last.fromEpoch) revert ProtocolEpochNotIncreasing(fromEpoch, last.fromEpoch);
        _protocolVersions.push(ProtocolVersion(fromEpoch, version));
        emit ProtocolVersionScheduled(version, fromEpoch);
    }

    // =====================================================================================
    // Operators
    // =====================================================================================

    function register(bytes32 ed25519Pub, bytes32 x25519Pub, string calldata peerUrl, string calldata appUrl)
        external
    {
        Operator storage op = _operators[msg.sender];
        if (!op.allowed) revert NotAllowed(msg.sender);
        if (op.active) revert AlreadyRegistered(msg.sender);
        if (activeCount >= MAX_OPERATORS) revert TooManyOperators(MAX_OPERATORS);
        _requireNotFrozen();
        _checkUrls(peerUrl, appUrl);
        if (ed25519Pub == bytes32(0)) revert ZeroKey();
        _setEpochKey(msg.sender, x25519Pub);
        _ed25519Keys[msg.sender].push(ed25519Pub);
        op.peerUrl = peerUrl;
        op.appUrl = appUrl;

        uint256 slot = op.slotPlus1;
        if (slot == 0) {
            _slots.push(msg.sender);
            slot = _slots.length;
            op.slotPlus1 = uint32(slot);
        }
        op.active = true;
        activeCount += 1;
        _setMembershipBit(slot - 1, true);
        emit OperatorRegistered(msg.sender, ed25519Pub, x25519Pub, peerUrl, appUrl);
    }

    /// Changes the Ed25519 key (checkpointed) and the URLs; not a membership change.
    function update(bytes32 ed25519Pub, string calldata peerUrl, string calldata appUrl) external {
        Operator storage op = _operators[msg.sender];
        if (!op.active) revert NotRegistered(msg.sender);
        _checkUrls(peerUrl, appUrl);
        if (ed25519Pub == bytes32(0)) revert ZeroKey();
        if (_ed25519Keys[msg.sender].latest() != ed25519Pub) _ed25519Keys[msg.sender].push(ed25519Pub);
        op.peerUrl = peerUrl;
        op.appUrl = appUrl;
        emit OperatorUpdated(msg.sender, ed25519Pub, peerUrl, appUrl);
    }

    function deregister() external {
        Operator storage op = _operators[msg.sender];
        if (!op.active) revert NotRegistered(msg.sender);
        _leave(msg.sender, op);
    }

    /// protocol.md §4.5: the key for epoch e is the latest set at or before its trigger;
    /// re-using the previous value is refused.
    function setEpochKey(bytes32 x25519Pub) external {
        if (!_operators[msg.sender].active) revert NotRegistered(msg.sender);
        _setEpochKey(msg.sender, x25519Pub);
    }

    // =====================================================================================
    // Views
    // =====================================================================================

    function params()
        external
        view
        returns (
            uint64 interval_,
            uint64 commitOffset_,
            uint64 revealOffset_,
            uint64 ackOffset_,
            uint64 openOffset_,
            uint64 confirmOffset_,
            uint64 confirmations_,
            uint32 minOperators_,
            uint32 fallbackPatience_
        )
    {
        return (
            interval,
            commitOffset,
            revealOffset,
            ackOffset,
            openOffset,
            confirmOffset,
            confirmations,
            minOperators,
            fallbackPatience
        );
    }

    function isAllowed(address operator) external view returns (bool) {
        return _operators[operator].allowed;
    }

    function isActive(address operator) public view returns (bool) {
        return _operators[operator].active;
    }

    /// Current state of one address (keys are the latest set; zero if never registered).
    function operatorInfo(address operator)
        external
        view
        returns (
            bool allowed,
            bool active,
            bytes32 ed25519Pub,
            bytes32 x25519Pub,
            string memory peerUrl,
            string memory appUrl
        )
    {
        Operator storage op = _operators[operator];
        return (
            op.allowed,
            op.active,
            _ed25519Keys[operator].latest(),
            _epochKeys[operator].latest(),
            op.peerUrl,
            op.appUrl
        );
    }

    /// Active operators sorted by address, keys as of now, current URLs.
    function getNodeInfos() external view returns (NodeInfo[] memory) {
        return getNodeInfosAt(uint64(block.number));
    }

    /// Operators as of block `blockNumber` (state at the end of that block), sorted by
    /// address, with their keys as of that block; URLs are the current ones (not
    /// consensus data).
    function getNodeInfosAt(uint64 blockNumber) public view returns (NodeInfo[] memory infos) {
        address[] memory ops = operatorsAt(blockNumber);
        infos = new NodeInfo[](ops.length);
        for (uint256 i = 0; i < ops.length; ++i) {
            Operator storage op = _operators[ops[i]];
            infos[i] = NodeInfo(
                ops[i],
                _ed25519Keys[ops[i]].valueAt(blockNumber),
                _epochKeys[ops[i]].valueAt(blockNumber),
                op.peerUrl,
                op.appUrl
            );
        }
    }

    /// The operator set as of block `blockNumber`, sorted by address (ascending).
    function operatorsAt(uint64 blockNumber) public view returns (address[] memory ops) {
        if (blockNumber > block.number) revert FutureBlock(blockNumber);
        ops = new address[](MAX_OPERATORS);
        uint256 count = 0;
        uint256 words = (_slots.length + WORD_BITS - 1) / WORD_BITS;
        for (uint256 w = 0; w < words; ++w) {
            uint256 bits = _membership[w].valueAt(blockNumber);
            for (uint256 b = w * WORD_BITS; bits != 0; ++b) {
                if (bits & 1 != 0) ops[count++] = _slots[b];
                bits >>= 1;
            }
        }
        assembly ("memory-safe") {
            mstore(ops, count)
        }
        _sortAddresses(ops);
    }

    /// X25519 epoch keys and Ed25519 keys of `operators` as of block `blockNumber`.
    function keysAt(address[] calldata operators, uint64 blockNumber)
        external
        view
        returns (bytes32[] memory epochKeys, bytes32[] memory ed25519Keys)
    {
        if (blockNumber > block.number) revert FutureBlock(blockNumber);
        epochKeys = new bytes32[](operators.length);
        ed25519Keys = new bytes32[](operators.length);
        for (uint256 i = 0; i < operators.length; ++i) {
            epochKeys[i] = _epochKeys[operators[i]].valueAt(blockNumber);
            ed25519Keys[i] = _ed25519Keys[operators[i]].valueAt(blockNumber);
        }
    }

    function epochKeyAt(address operator, uint64 blockNumber) external view returns (bytes32) {
        if (blockNumber > block.number) revert FutureBlock(blockNumber);
        return _epochKeys[operator].valueAt(blockNumber);
    }

    /// The protocol version in force for epoch `epoch`.
    function protocolVersionAt(uint64 epoch) public view returns (uint32) {
        uint256 i = _protocolVersions.length;
        while (i > 1 && _protocolVersions[i - 1].fromEpoch > epoch) --i;
        return _protocolVersions[i - 1].version;
    }

    /// The protocol version of the epoch the current block belongs to.
    function protocolVersion() external view returns (uint32) {
        return protocolVersionAt(uint64(block.number / interval));
    }

    function protocolVersions() external view returns (uint32[] memory versions, uint64[] memory fromEpochs) {
        uint256 len = _protocolVersions.length;
        versions = new uint32[](len);
        fromEpochs = new uint64[](len);
        for (uint256 i = 0; i < len; ++i) {
            versions[i] = _protocolVersions[i].version;
            fromEpochs[i] = _protocolVersions[i].fromEpoch;
        }
    }

    /// First block of the current membership freeze's end (the next trigger), or 0 when
    /// membership changes are allowed in this block.
    function frozenUntil() public view returns (uint64) {
        if (genesisBlock == 0) return 0;
        uint256 b = block.number;
        if (b % interval <= openOffset) return 0;
        return uint64((b / interval + 1) * interval);
    }

    // =====================================================================================
    // Internals
    // =====================================================================================

    function _setEpochKey(address operator, bytes32 x25519Pub) private {
        if (x25519Pub == bytes32(0)) revert ZeroKey();
        Checkpoints.Wide[] storage h = _epochKeys[operator];
        if (h.latest() == x25519Pub) revert EpochKeyReused(x25519Pub);
        h.push(x25519Pub);
        emit EpochKeySet(operator, x25519Pub, uint64(block.number));
    }

    /// Removes an active operator after the §6 guards.
    function _leave(address operator, Operator storage op) private {
        _requireNotFrozen();
        uint256 count = activeCount;
        // "Brings below": a set already below min_operators may still shrink.
        if (count >= minOperators && count - 1 < minOperators) {
            revert BelowMinOperators(count - 1, minOperators);
        }
        _checkLiveHolders(operator);
        op.active = false;
        activeCount = uint32(count - 1);
        _setMembershipBit(op.slotPlus1 - 1, false);
        emit OperatorDeregistered(operator);
    }

    /// Refuses removing `operator` if it is a live holder of a guarded version (the newest
    /// finalized, and the next retained one) whose live holders would drop below t(v) + 1.
    /// Live holder of v: in O(v), in D(v), confirmed v's winning hash (EpochLog's
    /// candidates) and still in the next operator set (active here).
    function _checkLiveHolders(address operator) private view {
        if (epochLog == address(0)) return;
        uint64[] memory versions = IEpochLog(epochLog).guardedVersions();
        for (uint256 i = 0; i < versions.length; ++i) {
            (address[] memory holders, uint16 t) = IEpochLog(epochLog).liveHolderCandidates(versions[i]);
            uint256 live = 0;
            bool isHolder = false;
            for (uint256 j = 0; j < holders.length; ++j) {
                if (_operators[holders[j]].active) {
                    ++live;
                    if (holders[j] == operator) isHolder = true;
                }
            }
            if (isHolder && live - 1 < uint256(t) + 1) revert LiveHolderGuard(versions[i], live, uint256(t) + 1);
        }
    }

    function _requireNotFrozen() private view {
        uint64 until = frozenUntil();
        if (until != 0) revert MembershipFrozen(until);
    }

    function _setMembershipBit(uint256 slot, bool on) private {
        Checkpoints.Packed[] storage h = _membership[slot / WORD_BITS];
        uint192 mask = uint192(uint256(1) << (slot % WORD_BITS));
        uint192 bits = h.latest();
        h.push(on ? bits | mask : bits & ~mask);
    }

    function _checkUrls(string calldata peerUrl, string calldata appUrl) private pure {
        uint256 a = bytes(peerUrl).length;
        uint256 b = bytes(appUrl).length;
        if (a == 0 || a > MAX_URL_BYTES) revert InvalidUrl(0, a);
        if (b == 0 || b > MAX_URL_BYTES) revert InvalidUrl(1, b);
    }

    /// Insertion sort, ascending; at most 64 elements.
    function _sortAddresses(address[] memory a) private pure {
        for (uint256 i = 1; i < a.length; ++i) {
            address x = a[i];
            uint256 j = i;
            while (j > 0 && a[j - 1] > x) {
                a[j] = a[j - 1];
                --j;
            }
            a[j] = x;
        }
    }
}
