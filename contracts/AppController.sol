// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title AppController — apps, their owners and their releases (chain.md "AppController").
/// @notice An app is identified by an address derived from (this contract, creator, salt);
/// the KMS identity string of an app is that address as lowercase 0x hex. The creator owns
/// the app; ownership moves in two steps. The owner publishes releases (image digest,
/// image registry, IBE-encrypted env, public env); the latest release is what the KMS
/// authorizes, and the full history with the block of each release stays in storage so
/// "which release was current at block N" has an answer (releaseAt).
/// Does not: validate the env contents or the digest beyond non-zero; the KMS does.
contract AppController {
    /// Both env fields together: 16 KiB of storage costs ~11.5 M gas, so the largest
    /// release stays under the 2^24 per-transaction gas cap of EIP-7825 (Osaka).
    uint256 public constant MAX_ENV_BYTES = 16384;
    uint256 public constant MAX_REGISTRY_BYTES = 256;

    struct Release {
        uint64 blockNumber;
        uint64 timestamp;
        bytes32 imageDigest;
        string registry;
        bytes encryptedEnv;
        bytes publicEnv;
    }

    struct App {
        address owner;
        address pendingOwner;
        bytes32 salt;
        address creator;
        Release[] releases; // release id = index + 1
    }

    mapping(address => App) private _apps;
    mapping(address => address[]) private _appsByCreator;

    event AppCreated(address indexed app, address indexed creator, bytes32 salt);
    event AppOwnershipTransferStarted(address indexed app, address indexed previousOwner, address indexed newOwner);
    event AppOwnershipTransferred(address indexed app, address indexed previousOwner, address indexed newOwner);
    event ReleasePublished(
        address indexed app,
        uint256 indexed releaseId,
        bytes32 imageDigest,
        string registry,
        bytes encryptedEnv,
        bytes publicEnv
    );

    error AppExists(address app);
    error UnknownApp(address app);
    error NotAppOwner(address app, address caller);
    error NotPendingAppOwner(address app, address caller);
    error ZeroImageDigest();
    error RegistryTooLong(uint256 length, uint256 maximum);
    error EnvTooLarge(uint256 length, uint256 maximum);
    error NoRelease(address app);
    error UnknownRelease(address app, uint256 releaseId);
    error FutureBlock(uint64 blockNumber);

    modifier onlyAppOwner(address app) {
        address o = _apps[app].owner;
        if (o == address(0)) revert UnknownApp(app);
        if (o != msg.sender) revert NotAppOwner(app, msg.sender);
        _;
    }

    /// The app id `createApp(salt)` from `creator` yields.
    function appAddress(address creator, bytes32 salt) public view returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(address(this), creator, salt)))));
    }

    function createApp(bytes32 salt) external returns (address app) {
        app = appAddress(msg.sender, salt);
        App storage a = _apps[app];
        if (a.owner != address(0)) revert AppExists(app);
        a.owner = msg.sender;
        a.creator = msg.sender;
        a.salt = salt;
        _appsByCreator[msg.sender].push(app);
        emit AppCreated(app, msg.sender, salt);
        emit AppOwnershipTransferred(app, address(0), msg.sender);
    }

    /// Step one of two; address(0) cancels a pending transfer.
    function transferAppOwnership(address app, address newOwner) external onlyAppOwner(app) {
        _apps[app].pendingOwner = newOwner;
        emit AppOwnershipTransferStarted(app, msg.sender, newOwner);
    }

    function acceptAppOwnership(address app) external {
        App storage a = _apps[app];
        if (a.owner == address(0)) revert UnknownApp(app);
        if (msg.sender != a.pendingOwner) revert NotPendingAppOwner(app, msg.sender);
        emit AppOwnershipTransferred(app, a.owner, msg.sender);
        a.owner = msg.sender;
        a.pendingOwner = address(0);
    }

    function publishRelease(
        address app,
        bytes32 imageDigest,
        string calldata registry,
        bytes calldata encryptedEnv,
        bytes calldata publicEnv
    ) external onlyAppOwner(app) returns (uint256 releaseId) {
        if (imageDigest == bytes32(0)) revert ZeroImageDigest();
        if (bytes(registry).length > MAX_REGISTRY_BYTES) {
            revert RegistryTooLong(bytes(registry).length, MAX_REGISTRY_BYTES);
        }
        uint256 envBytes = encryptedEnv.length + publicEnv.length;
        if (envBytes > MAX_ENV_BYTES) revert EnvTooLarge(envBytes, MAX_ENV_BYTES);
        Release[] storage rs = _apps[app].releases;
        Release storage r = rs.push();
        r.blockNumber = uint64(block.number);
        r.timestamp = uint64(block.timestamp);
        r.imageDigest = imageDigest;
        r.registry = registry;
        r.encryptedEnv = encryptedEnv;
        r.publicEnv = publicEnv;
        releaseId = rs.length;
        emit ReleasePublished(app, releaseId, imageDigest, registry, encryptedEnv, publicEnv);
    }

    // ---- views ----

    function owner(address app) external view returns (address) {
        return _apps[app].owner;
    }

    function pendingOwner(address app) external view returns (address) {
        return _apps[app].pendingOwner;
    }

    function appInfo(address app)
        external
        view
        returns (address creator, bytes32 salt, address appOwner, uint256 releases)
    {
        App storage a = _apps[app];
        if (a.owner == address(0)) revert UnknownApp(app);
        return (a.creator, a.salt, a.owner, a.releases.length);
    }

    function appsCreatedBy(address creator) external view returns (address[] memory) {
        return _appsByCreator[creator];
    }

    function releaseCount(address app) external view returns (uint256) {
        return _apps[app].releases.length;
    }

    /// The release the KMS authorizes now. Reverts NoRelease for an app without releases.
    function latestRelease(address app)
        external
        view
        returns (
            uint256 releaseId,
            uint64 blockNumber,
            bytes32 imageDigest,
            string memory registry,
            bytes memory encryptedEnv,
            bytes memory publicEnv
        )
    {
        App storage a = _apps[app];
        if (a.owner == address(0)) revert UnknownApp(app);
        uint256 len = a.releases.length;
        if (len == 0) revert NoRelease(app);
        return _release(a, len);
    }

    /// Release `releaseId` (1-based) of `app`.
    function getRelease(address app, uint256 releaseId)
        external
        view
        returns (
            uint256 id,
            uint64 blockNumber,
            bytes32 imageDigest,
            string memory registry,
            bytes memory encryptedEnv,
            bytes memory publicEnv
        )
    {
        App storage a = _apps[app];
        if (releaseId == 0 || releaseId > a.releases.length) revert UnknownRelease(app, releaseId);
        return _release(a, releaseId);
    }

    /// Id of the release current at the end of block `blockNumber` (0 = none yet).
    function releaseAt(address app, uint64 blockNumber) external view returns (uint256 releaseId) {
        if (blockNumber > block.number) revert FutureBlock(blockNumber);
        Release[] storage rs = _apps[app].releases;
        uint256 lo = 0;
        uint256 hi = rs.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (rs[mid].blockNumber <= blockNumber) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    function _release(App storage a, uint256 id)
        private
        view
        returns (uint256, uint64, bytes32, string memory, bytes memory, bytes memory)
    {
        Release storage r = a.releases[id - 1];
        return (id, r.blockNumber, r.imageDigest, r.registry, r.encryptedEnv, r.publicEnv);
    }
}
