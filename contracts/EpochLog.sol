// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IKmsRegistry, IEpochLog} from "./Interfaces.sol";

/// @title EpochLog — the DKG/reshare records of every epoch (protocol.md §3–§4, chain.md).
/// @notice Epoch e is triggered by block B = e·interval. On the first touch after B (any
/// phase call, or snapshotEpoch) the epoch's operator set O is copied from the registry's
/// checkpoints as of B, with t' = ceil(2n/3), r = t' − 1 − f and the source version by the
/// §4.6 fallback formula over the finalization history as of B; every view of an
/// untouched epoch computes the same values from the same append-only histories, so a
/// pinned eth_call gives every node the same answer before and after the copy.
/// Phases are block windows after B ("until B + x" = blocks B+1 … B+x inclusive):
/// commit (1 … commit), reveal (commit+1 … reveal), ack (reveal+1 … ack),
/// open (ack+1 … open), confirm (open+1 … confirm). Every call of an inactive epoch (trigger
/// before startGenesis, or |O| < min_operators) reverts.
/// Does not: verify BLS points, Feldman checks or shares against commitments — the nodes
/// do (protocol §4 step 5); the contract keeps the chain-only facts they decide from.
contract EpochLog is IEpochLog {
    uint64 public constant DKG_SOURCE = type(uint64).max;
    /// BLS12-381 scalar field order r (crypto.md §1): opened shares must be canonical Fr.
    uint256 public constant FR_MODULUS = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001;
    uint256 public constant G2_BYTES = 96;
    uint8 public constant RECORD_VERSION = 1;

    uint8 public constant PHASE_COMMIT = 1;
    uint8 public constant PHASE_REVEAL = 2;
    uint8 public constant PHASE_ACK = 3;
    uint8 public constant PHASE_OPEN = 4;
    uint8 public constant PHASE_CONFIRM = 5;

    struct Epoch {
        bool snapshotted;
        bool finalized;
        uint16 n;
        uint16 t; // t' = ceil(2n/3), also the version threshold t(e) once finalized
        uint16 r; // opening cap per dealer
        uint16 sourceThreshold; // t' for a DKG, t(V) for a reshare from V
        uint64 source; // DKG_SOURCE for a DKG
        uint32 finIndex; // index in _finalizations once finalized
        uint64 committed; // bitmaps over O's indices (address order)
        uint64 revealed;
        uint64 acked;
        uint64 confirmed;
        uint64 dealers; // D as posted by the winning confirmers
        uint64 finalizedBlock;
        bytes32 winningKey;
        bytes32 winningStateHash;
        // O itself is not copied: index i is the i-th address of the registry's
        // operatorsAt(B), an append-only checkpoint; views read the list from there.
        mapping(address => uint256) indexPlus1;
        mapping(uint256 => bytes32) recordHash;
        mapping(uint256 => bytes32) commitmentsHash;
        mapping(uint256 => uint64) ackBits; // player index -> dealers it acked
        mapping(uint256 => uint64) openedBits; // dealer index -> players it opened
        mapping(uint256 => mapping(uint256 => bytes32)) openedShare;
        mapping(uint256 => bytes32) confirmKey; // operator index -> tally key
        mapping(bytes32 => uint64) tallyBits; // tally key -> confirmers
    }

    /// One entry per finalized version, in version order. retainedStart = index of M (the
    /// highest version that was the source of a finalized reshare) after this entry, so
    /// C as of any point is _finalizations[retainedStart .. entry].
    struct Finalization {
        uint64 version;
        uint64 blockNumber;
        uint64 retainedStart;
    }

    struct Snapshot {
        address[] operators;
        uint16 t;
        uint16 r;
        uint64 source;
        uint16 sourceThreshold;
    }

    address public immutable registry;
    uint64 public immutable interval;
    uint64 private immutable _commitOffset;
    uint64 private immutable _revealOffset;
    uint64 private immutable _ackOffset;
    uint64 private immutable _openOffset;
    uint64 private immutable _confirmOffset;
    uint32 private immutable _minOperators;
    uint32 private immutable _fallbackPatience;

    mapping(uint64 => Epoch) private _epochs;
    Finalization[] private _finalizations;
    bytes private _mpk;
    bytes32 private _mpkHash;

    // ---- events ----
    event EpochSnapshotted(
        uint64 indexed epoch, address[] operators, uint16 threshold, uint16 openingCap, uint64 source
    );
    event DealingCommitted(uint64 indexed epoch, address indexed dealer, bytes32 recordHash);
    event DealingRevealed(
        uint64 indexed epoch, address indexed dealer, bytes32 commitmentsHash, bytes32 sealedHash, bytes commitments
    );
    event Acked(uint64 indexed epoch, address indexed player, uint256 dealerBitmap);
    event SharesOpened(uint64 indexed epoch, address indexed dealer, address[] players, bytes32[] shares);
    event Confirmed(
        uint64 indexed epoch,
        address indexed operator,
        bytes32 indexed tallyKey,
        bytes32 stateHash,
        uint256 dealerBitmap,
        uint256 tally
    );
    event EpochFinalized(
        uint64 indexed epoch, bytes32 stateHash, bytes32 tallyKey, uint64 source, uint256 dealerBitmap
    );
    event MasterPublicKeySet(uint64 indexed epoch, bytes mpk);
    event RetainedSetChanged(uint64 oldestRetained, uint64 newestRetained);

    // ---- errors ----
    error EpochOutOfRange(uint64 epoch);
    error EpochNotTriggered(uint64 epoch, uint64 triggerBlock);
    error EpochBeforeGenesis(uint64 epoch);
    error EpochBelowMinOperators(uint64 epoch, uint256 operators, uint256 minimum);
    error PhaseNotStarted(uint8 phase, uint64 firstBlock);
    error PhaseEnded(uint8 phase, uint64 lastBlock);
    error NotOperator(uint64 epoch, address account);
    error AlreadyCommitted(uint64 epoch, address dealer);
    error NotCommitted(uint64 epoch, address dealer);
    error AlreadyRevealed(uint64 epoch, address dealer);
    error CommitmentsLength(uint256 length, uint256 expected);
    error RecordHashMismatch(bytes32 committed, bytes32 computed);
    error AlreadyAcked(uint64 epoch, address player);
    error AckBitmapInvalid(uint256 dealerBitmap, uint256 revealedBitmap);
    error NotRevealed(uint64 epoch, address dealer);
    error LengthMismatch(uint256 players, uint256 shares);
    error NoShares();
    error UnknownPlayer(address player);
    error ShareAlreadyOpened(address player);
    error OpeningNotNeeded(address player);
    error ShareNotCanonical(address player);
    error OpeningCapExceeded(uint256 openings, uint256 cap);
    error AlreadyConfirmed(uint64 epoch, address operator);
    error TooFewDealers(uint256 revealed, uint256 required);
    error MpkLength(uint256 length);
    error MpkIdentity();
    error MpkNotCompressed();
    error MpkMismatch();
    error DealerSetInvalid(uint256 dealerBitmap, uint256 revealedBitmap);
    error DealerSetTooSmall(uint256 size, uint256 required);

    /// @param registry_ the KmsRegistry; its immutable parameters are cached here. After
    /// deployment the registry owner binds this contract with KmsRegistry.setEpochLog.
    constructor(address registry_) {
        registry = registry_;
        (
            uint64 interval_,
            uint64 commit_,
            uint64 reveal_,
            uint64 ack_,
            uint64 open_,
            uint64 confirm_,
            ,
            uint32 minOperators_,
            uint32 fallbackPatience_
        ) = IKmsRegistry(registry_).params();
        interval = interval_;
        _commitOffset = commit_;
        _revealOffset = reveal_;
        _ackOffset = ack_;
        _openOffset = open_;
        _confirmOffset = confirm_;
        _minOperators = minOperators_;
        _fallbackPatience = fallbackPatience_;
    }

    // =====================================================================================
    // Phase calls
    // =====================================================================================

    /// Phase 1: a dealer of O posts its record hash (protocol §4 step 1), once.
    function commitDealing(uint64 epoch, bytes32 recordHash) external {
        (Epoch storage ep, uint256 i) = _enter(epoch, PHASE_COMMIT);
        uint64 bit = _bit(i);
        if (ep.committed & bit != 0) revert AlreadyCommitted(epoch, msg.sender);
        ep.committed |= bit;
        ep.recordHash[i] = recordHash;
        emit DealingCommitted(epoch, msg.sender, recordHash);
    }

    /// Phase 2: the dealer reveals its t' commitments (96 B each) and sha256(sealed); the
    /// record hash of protocol §4.3 is recomputed and must equal the committed one.
    function revealDealing(uint64 epoch, bytes calldata commitments, bytes32 sealedHash) external {
        (Epoch storage ep, uint256 i) = _enter(epoch, PHASE_REVEAL);
        uint64 bit = _bit(i);
        if (ep.committed & bit == 0) revert NotCommitted(epoch, msg.sender);
        if (ep.revealed & bit != 0) revert AlreadyRevealed(epoch, msg.sender);
        uint256 expected = G2_BYTES * ep.t;
        if (commitments.length != expected) revert CommitmentsLength(commitments.length, expected);
        bytes32 commitmentsHash = sha256(commitments);
        bytes32 computed = recordHashOf(epoch, msg.sender, ep.source, ep.t, commitmentsHash, sealedHash);
        if (computed != ep.recordHash[i]) revert RecordHashMismatch(ep.recordHash[i], computed);
        ep.revealed |= bit;
        ep.commitmentsHash[i] = commitmentsHash;
        emit DealingRevealed(epoch, msg.sender, commitmentsHash, sealedHash, commitments);
    }

    /// Phase 3: a player of O marks the dealers whose share verified (bit i = i-th
    /// operator of O in address order), once; only revealed dealers may be marked.
    function ack(uint64 epoch, uint256 dealerBitmap) external {
        (Epoch storage ep, uint256 i) = _enter(epoch, PHASE_ACK);
        uint64 bit = _bit(i);
        if (ep.acked & bit != 0) revert AlreadyAcked(epoch, msg.sender);
        if (dealerBitmap & ~uint256(ep.revealed) != 0) revert AckBitmapInvalid(dealerBitmap, ep.revealed);
        ep.acked |= bit;
        ep.ackBits[i] = uint64(dealerBitmap);
        emit Acked(epoch, msg.sender, dealerBitmap);
    }

    /// Phase 4: a revealed dealer opens, in clear, the shares of players without its ack
    /// bit: at most r in total over all its calls, one per player, each a canonical Fr.
    function openShares(uint64 epoch, address[] calldata players, bytes32[] calldata shares) external {
        (Epoch storage ep, uint256 d) = _enter(epoch, PHASE_OPEN);
        uint64 dealerBit = _bit(d);
        if (ep.revealed & dealerBit == 0) revert NotRevealed(epoch, msg.sender);
        if (players.length != shares.length) revert LengthMismatch(players.length, shares.length);
        if (players.length == 0) revert NoShares();
        uint64 opened = ep.openedBits[d];
        for (uint256 k = 0; k < players.length; ++k) {
            uint256 p = ep.indexPlus1[players[k]];
            if (p == 0) revert UnknownPlayer(players[k]);
            uint64 playerBit = _bit(p - 1);
            if (opened & playerBit != 0) revert ShareAlreadyOpened(players[k]);
            if (ep.ackBits[p - 1] & dealerBit != 0) revert OpeningNotNeeded(players[k]);
            if (uint256(shares[k]) >= FR_MODULUS) revert ShareNotCanonical(players[k]);
            opened |= playerBit;
            ep.openedShare[d][p - 1] = shares[k];
        }
        uint256 count = _popcount(opened);
        if (count > ep.r) revert OpeningCapExceeded(count, ep.r);
        ep.openedBits[d] = opened;
        emit SharesOpened(epoch, msg.sender, players, shares);
    }

    /// Phase 5: an operator of O that computed its new share posts (MPK, state hash, D),
    /// once. Accepted only when at least t' (DKG) or t(V) (reshare) dealers revealed and D
    /// is a subset of them of at least that size. The tally key is
    /// sha256(mpk ‖ stateHash ‖ be256(dealerBitmap)); the first key reaching t' finalizes.
    function confirm(uint64 epoch, bytes calldata mpk, bytes32 stateHash, uint256 dealerBitmap) external {
        (Epoch storage ep, uint256 i) = _enter(epoch, PHASE_CONFIRM);
        if (ep.confirmed & _bit(i) != 0) revert AlreadyConfirmed(epoch, msg.sender);
        _checkConfirmInputs(ep, mpk, dealerBitmap);
        bytes32 key = sha256(abi.encodePacked(mpk, stateHash, dealerBitmap));
        uint256 count = _tally(ep, i, key);
        emit Confirmed(epoch, msg.sender, key, stateHash, dealerBitmap, count);
        if (!ep.finalized && count >= ep.t) {
            if (_mpkHash == bytes32(0)) _storeMpk(epoch, mpk);
            _finalize(epoch, ep, key, stateHash, uint64(dealerBitmap));
        }
    }

    /// Copies epoch `epoch`'s snapshot into storage (idempotent; anyone, once B is past).
    /// Phase calls do this themselves; this lets a node pay for it up front.
    function snapshotEpoch(uint64 epoch) external {
        uint64 b = _trigger(epoch);
        if (block.number <= b) revert EpochNotTriggered(epoch, b);
        _materialize(epoch);
    }

    // =====================================================================================
    // Views
    // =====================================================================================

    /// Record hash of protocol §4.3: sha256("tkms-record-v1" ‖ be64 chainid ‖ this ‖
    /// u8 1 ‖ be64 epoch ‖ dealer ‖ be64 source ‖ be16 t' ‖ sha256(commitments) ‖
    /// sha256(sealed)).
    function recordHashOf(
        uint64 epoch,
        address dealer,
        uint64 source,
        uint16 threshold,
        bytes32 commitmentsHash,
        bytes32 sealedHash
    ) public view returns (bytes32) {
        return sha256(
            abi.encodePacked(
                "tkms-record-v1",
                uint64(block.chainid),
                address(this),
                RECORD_VERSION,
                epoch,
                dealer,
                source,
                threshold,
                commitmentsHash,
                sealedHash
            )
        );
    }

    /// Deadline blocks of epoch `epoch` (each is the last block of its phase).
    function deadlines(uint64 epoch)
        external
        view
        returns (uint64 trigger, uint64 commitEnd, uint64 revealEnd, uint64 ackEnd, uint64 openEnd, uint64 confirmEnd)
    {
        trigger = _trigger(epoch);
        return (
            trigger,
            trigger + _commitOffset,
            trigger + _revealOffset,
            trigger + _ackOffset,
            trigger + _openOffset,
            trigger + _confirmOffset
        );
    }

    /// Whether epoch `epoch` is active (false also while its trigger is in the future).
    function epochActive(uint64 epoch) external view returns (bool) {
        uint64 b = _trigger(epoch);
        if (_epochs[epoch].snapshotted) return true;
        if (block.number < b) return false;
        uint64 g = IKmsRegistry(registry).genesisBlock();
        if (g == 0 || g > b) return false;
        return IKmsRegistry(registry).operatorsAt(b).length >= _minOperators;
    }

    function isSnapshotted(uint64 epoch) external view returns (bool) {
        return _epochs[epoch].snapshotted;
    }

    /// The snapshot of an active epoch as of its trigger: O sorted by address, their X25519
    /// epoch keys and Ed25519 keys as of B, t', r, the source version (DKG_SOURCE for a
    /// DKG) and its threshold t(V) (t' for a DKG). Reverts for an inactive epoch.
    function epochSnapshot(uint64 epoch)
        external
        view
        returns (
            address[] memory operators,
            bytes32[] memory epochKeys,
            bytes32[] memory ed25519Keys,
            uint16 threshold,
            uint16 openingCap,
            uint64 source,
            uint16 sourceThreshold
        )
    {
        Snapshot memory s = _snapshotView(epoch);
        (epochKeys, ed25519Keys) = IKmsRegistry(registry).keysAt(s.operators, _trigger(epoch));
        return (s.operators, epochKeys, ed25519Keys, s.t, s.r, s.source, s.sourceThreshold);
    }

    /// Source version of epoch `epoch` (protocol §4.6); DKG_SOURCE for a DKG.
    function sourceVersion(uint64 epoch) external view returns (uint64) {
        return _snapshotView(epoch).source;
    }

    /// Bitmaps (over O's indices) of who committed, revealed, acked and confirmed, and the
    /// outcome. All zero for an epoch nobody touched.
    function epochProgress(uint64 epoch)
        external
        view
        returns (
            uint256 committed,
            uint256 revealed,
            uint256 acked,
            uint256 confirmed,
            bool finalized,
            bytes32 winningHash,
            uint256 dealerBitmap,
            uint256 winnerBitmap
        )
    {
        Epoch storage ep = _epochs[epoch];
        return (
            ep.committed,
            ep.revealed,
            ep.acked,
            ep.confirmed,
            ep.finalized,
            ep.winningStateHash,
            ep.dealers,
            ep.finalized ? ep.tallyBits[ep.winningKey] : 0
        );
    }

    /// Committed record hashes and revealed commitment hashes, by O index (zero = none).
    function dealings(uint64 epoch)
        external
        view
        returns (bytes32[] memory recordHashes, bytes32[] memory commitmentsHashes)
    {
        Epoch storage ep = _epochs[epoch];
        uint256 n = ep.n;
        recordHashes = new bytes32[](n);
        commitmentsHashes = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            recordHashes[i] = ep.recordHash[i];
            commitmentsHashes[i] = ep.commitmentsHash[i];
        }
    }

    /// Ack bitmap of every player, by O index (see epochProgress.acked for who acked).
    function acks(uint64 epoch) external view returns (uint256[] memory bitmaps) {
        Epoch storage ep = _epochs[epoch];
        uint256 n = ep.n;
        bitmaps = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) bitmaps[i] = ep.ackBits[i];
    }

    /// Per dealer (by O index), the bitmap of players whose share it opened.
    function openings(uint64 epoch) external view returns (uint256[] memory openedBitmaps) {
        Epoch storage ep = _epochs[epoch];
        uint256 n = ep.n;
        openedBitmaps = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) openedBitmaps[i] = ep.openedBits[i];
    }

    /// The shares `dealer` opened, in O order of the players.
    function openedShares(uint64 epoch, address dealer)
        external
        view
        returns (address[] memory players, bytes32[] memory shares)
    {
        Epoch storage ep = _epochs[epoch];
        uint256 d = ep.indexPlus1[dealer];
        uint64 bits = d == 0 ? 0 : ep.openedBits[d - 1];
        uint256 count = _popcount(bits);
        players = new address[](count);
        shares = new bytes32[](count);
        if (count == 0) return (players, shares);
        address[] memory operators = IKmsRegistry(registry).operatorsAt(_trigger(epoch));
        uint256 k = 0;
        for (uint256 p = 0; bits != 0; ++p) {
            if (bits & 1 != 0) {
                players[k] = operators[p];
                shares[k] = ep.openedShare[d - 1][p];
                ++k;
            }
            bits >>= 1;
        }
    }

    function confirmation(uint64 epoch, address operator) external view returns (bool confirmed, bytes32 tallyKey) {
        Epoch storage ep = _epochs[epoch];
        uint256 i = ep.indexPlus1[operator];
        if (i == 0 || ep.confirmed & _bit(i - 1) == 0) return (false, bytes32(0));
        return (true, ep.confirmKey[i - 1]);
    }

    function tally(uint64 epoch, bytes32 tallyKey) external view returns (uint256 count, uint256 bitmap) {
        uint64 bits = _epochs[epoch].tallyBits[tallyKey];
        return (_popcount(bits), bits);
    }

    /// The newest finalized version (an epoch number), 0 when none (epoch 0 is never active).
    function finalizedVersion() external view returns (uint64) {
        uint256 len = _finalizations.length;
        return len == 0 ? 0 : _finalizations[len - 1].version;
    }

    function winningStateHash(uint64 epoch) external view returns (bytes32) {
        return _epochs[epoch].winningStateHash;
    }

    /// Operators that confirmed the winning (mpk, stateHash, D) of a finalized epoch.
    function confirmers(uint64 epoch) external view returns (address[] memory) {
        Epoch storage ep = _epochs[epoch];
        return _addresses(epoch, ep.finalized ? ep.tallyBits[ep.winningKey] : 0);
    }

    /// The dealer set D of a finalized epoch, as posted by its winning confirmers.
    function dealerSet(uint64 epoch) external view returns (address[] memory) {
        Epoch storage ep = _epochs[epoch];
        return _addresses(epoch, ep.dealers);
    }

    /// The retained set C (protocol §4.6), newest first.
    function retainedVersions() external view returns (uint64[] memory versions) {
        uint256 len = _finalizations.length;
        if (len == 0) return versions;
        uint256 start = _finalizations[len - 1].retainedStart;
        versions = new uint64[](len - start);
        for (uint256 i = 0; i < versions.length; ++i) versions[i] = _finalizations[len - 1 - i].version;
    }

    /// The 96-byte MPK stored at the first finalization (empty before).
    function masterPublicKey() external view returns (bytes memory) {
        return _mpk;
    }

    /// t(v) of a finalized version v (0 if v never finalized).
    function versionThreshold(uint64 version) external view returns (uint16) {
        Epoch storage ep = _epochs[version];
        return ep.finalized ? ep.t : 0;
    }

    /// A version (= epoch) as finalized: block of the finalizing confirm, t(v), its source
    /// (DKG_SOURCE for the genesis) and winning state hash; all zero if it never finalized.
    function versionInfo(uint64 version)
        external
        view
        returns (bool finalized, uint64 finalizedBlock, uint16 threshold, uint64 source, bytes32 stateHash)
    {
        Epoch storage ep = _epochs[version];
        if (!ep.finalized) return (false, 0, 0, 0, bytes32(0));
        return (true, ep.finalizedBlock, ep.t, ep.source, ep.winningStateHash);
    }

    /// Versions the registry's live-holder guard protects: the newest finalized and, when
    /// C holds more than one, the next retained one.
    function guardedVersions() external view returns (uint64[] memory versions) {
        uint256 len = _finalizations.length;
        if (len == 0) return versions;
        bool two = len - 1 > _finalizations[len - 1].retainedStart;
        versions = new uint64[](two ? 2 : 1);
        versions[0] = _finalizations[len - 1].version;
        if (two) versions[1] = _finalizations[len - 2].version;
    }

    /// Members of O(v) that were in D(v) and confirmed v's winning hash, with t(v). The
    /// registry intersects them with the next operator set to get the live holders (§6).
    function liveHolderCandidates(uint64 version) external view returns (address[] memory holders, uint16 threshold) {
        Epoch storage ep = _epochs[version];
        if (!ep.finalized) return (holders, 0);
        return (_addresses(version, ep.tallyBits[ep.winningKey] & ep.dealers), ep.t);
    }

    // =====================================================================================
    // Internals
    // =====================================================================================

    function _trigger(uint64 epoch) private view returns (uint64) {
        uint256 b = uint256(epoch) * interval;
        // Every deadline of the epoch must fit in 64 bits as well.
        if (b + interval > type(uint64).max) revert EpochOutOfRange(epoch);
        return uint64(b);
    }

    /// Window check, lazy snapshot, and the caller's index in O.
    function _enter(uint64 epoch, uint8 phase) private returns (Epoch storage ep, uint256 index) {
        uint64 b = _trigger(epoch);
        uint64 first = b + 1;
        uint64 last = b + _commitOffset;
        if (phase == PHASE_REVEAL) (first, last) = (b + _commitOffset + 1, b + _revealOffset);
        else if (phase == PHASE_ACK) (first, last) = (b + _revealOffset + 1, b + _ackOffset);
        else if (phase == PHASE_OPEN) (first, last) = (b + _ackOffset + 1, b + _openOffset);
        else if (phase == PHASE_CONFIRM) (first, last) = (b + _openOffset + 1, b + _confirmOffset);
        if (block.number < first) revert PhaseNotStarted(phase, first);
        if (block.number > last) revert PhaseEnded(phase, last);
        ep = _materialize(epoch);
        index = ep.indexPlus1[msg.sender];
        if (index == 0) revert NotOperator(epoch, msg.sender);
        index -= 1;
    }

    function _materialize(uint64 epoch) private returns (Epoch storage ep) {
        ep = _epochs[epoch];
        if (ep.snapshotted) return ep;
        Snapshot memory s = _computeSnapshot(epoch);
        uint256 n = s.operators.length;
        for (uint256 i = 0; i < n; ++i) ep.indexPlus1[s.operators[i]] = i + 1;
        ep.snapshotted = true;
        ep.n = uint16(n);
        ep.t = s.t;
        ep.r = s.r;
        ep.source = s.source;
        ep.sourceThreshold = s.sourceThreshold;
        emit EpochSnapshotted(epoch, s.operators, s.t, s.r, s.source);
    }

    function _snapshotView(uint64 epoch) private view returns (Snapshot memory s) {
        Epoch storage ep = _epochs[epoch];
        if (!ep.snapshotted) return _computeSnapshot(epoch);
        address[] memory operators = IKmsRegistry(registry).operatorsAt(_trigger(epoch));
        return Snapshot(operators, ep.t, ep.r, ep.source, ep.sourceThreshold);
    }

    /// The snapshot as of trigger block B, from append-only histories only (registry
    /// checkpoints, finalizations of versions < epoch), so it is the same in every block
    /// from B on.
    function _computeSnapshot(uint64 epoch) private view returns (Snapshot memory s) {
        uint64 b = _trigger(epoch);
        if (block.number < b) revert EpochNotTriggered(epoch, b);
        uint64 g = IKmsRegistry(registry).genesisBlock();
        if (g == 0 || g > b) revert EpochBeforeGenesis(epoch);
        s.operators = IKmsRegistry(registry).operatorsAt(b);
        uint256 n = s.operators.length;
        if (n < _minOperators) revert EpochBelowMinOperators(epoch, n, _minOperators);
        uint256 t = (2 * n + 2) / 3;
        uint256 f = (n - 1) / 3;
        s.t = uint16(t);
        s.r = uint16(t - 1 - f);
        (s.source, s.sourceThreshold) = _sourceFor(epoch, s.t);
    }

    /// protocol §4.6: DKG while nothing finalized before `epoch`; otherwise, with
    /// f_e = epoch − 1 − (last finalized) and C newest first, source = C[(f_e / k) mod |C|].
    /// Finalizations of versions < epoch all landed before its trigger (confirm + c <
    /// interval), so "as of B" is "versions < epoch".
    function _sourceFor(uint64 epoch, uint16 t) private view returns (uint64 source, uint16 sourceThreshold) {
        uint256 lo = 0;
        uint256 hi = _finalizations.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (_finalizations[mid].version < epoch) lo = mid + 1;
            else hi = mid;
        }
        uint256 count = lo;
        if (count == 0) return (DKG_SOURCE, t);
        Finalization storage last = _finalizations[count - 1];
        uint256 size = count - last.retainedStart;
        uint256 failed = epoch - 1 - last.version;
        uint256 idx = (failed / _fallbackPatience) % size;
        source = _finalizations[count - 1 - idx].version;
        return (source, _epochs[source].t);
    }

    function _finalize(uint64 epoch, Epoch storage ep, bytes32 key, bytes32 stateHash, uint64 d) private {
        ep.finalized = true;
        ep.winningKey = key;
        ep.winningStateHash = stateHash;
        ep.dealers = d;
        ep.finalizedBlock = uint64(block.number);
        uint256 len = _finalizations.length;
        uint64 start = len == 0 ? 0 : _finalizations[len - 1].retainedStart;
        if (ep.source != DKG_SOURCE) {
            uint64 sourceIndex = _epochs[ep.source].finIndex;
            if (sourceIndex > start) start = sourceIndex;
        }
        ep.finIndex = uint32(len);
        _finalizations.push(Finalization(epoch, uint64(block.number), start));
        emit EpochFinalized(epoch, stateHash, key, ep.source, d);
        emit RetainedSetChanged(_finalizations[start].version, epoch);
    }

    /// Confirm preconditions: enough revealed dealers (t' for a DKG, t(V) for a reshare),
    /// a plausible non-identity MPK equal to the stored one if any, D ⊆ revealed with
    /// |D| at least the same bound.
    function _checkConfirmInputs(Epoch storage ep, bytes calldata mpk, uint256 dealerBitmap) private view {
        uint256 needed = ep.sourceThreshold;
        uint64 revealed = ep.revealed;
        uint256 revealedCount = _popcount(revealed);
        if (revealedCount < needed) revert TooFewDealers(revealedCount, needed);
        if (mpk.length != G2_BYTES) revert MpkLength(mpk.length);
        uint8 flags = uint8(mpk[0]);
        // Infinity flag: the identity (0xc0 00…) or an invalid encoding; both refused.
        if (flags & 0x40 != 0) revert MpkIdentity();
        if (flags & 0x80 == 0) revert MpkNotCompressed();
        if (_mpkHash != bytes32(0) && keccak256(mpk) != _mpkHash) revert MpkMismatch();
        if (dealerBitmap & ~uint256(revealed) != 0) revert DealerSetInvalid(dealerBitmap, revealed);
        uint256 size = _popcount(uint64(dealerBitmap));
        if (size < needed) revert DealerSetTooSmall(size, needed);
    }

    /// Adds operator `i` to the tally of `key`; returns the tally's new size.
    function _tally(Epoch storage ep, uint256 i, bytes32 key) private returns (uint256) {
        uint64 bit = _bit(i);
        uint64 bits = ep.tallyBits[key] | bit;
        ep.tallyBits[key] = bits;
        ep.confirmKey[i] = key;
        ep.confirmed |= bit;
        return _popcount(bits);
    }

    /// The first finalization fixes the MPK forever (protocol I3).
    function _storeMpk(uint64 epoch, bytes calldata mpk) private {
        _mpk = mpk;
        _mpkHash = keccak256(mpk);
        emit MasterPublicKeySet(epoch, mpk);
    }

    /// The members of O(epoch) whose index bit is set in `bits`, in O order.
    function _addresses(uint64 epoch, uint64 bits) private view returns (address[] memory out) {
        out = new address[](_popcount(bits));
        if (bits == 0) return out;
        address[] memory operators = IKmsRegistry(registry).operatorsAt(_trigger(epoch));
        uint256 k = 0;
        for (uint256 i = 0; bits != 0; ++i) {
            if (bits & 1 != 0) out[k++] = operators[i];
            bits >>= 1;
        }
    }

    function _bit(uint256 index) private pure returns (uint64) {
        return uint64(1 << index);
    }

    function _popcount(uint64 x) private pure returns (uint256) {
        unchecked {
            uint256 v = x;
            v = v - ((v >> 1) & 0x5555555555555555);
            v = (v & 0x3333333333333333) + ((v >> 2) & 0x3333333333333333);
            v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0f;
            return ((v * 0x0101010101010101) & 0xffffffffffffffff) >> 56;
        }
    }
}
