/// An executable as the kernel sees it: the device and inode of the file the kernel executed for
/// the process (recorded at exec). A rename keeps it, a hard link shares it, a copy gets a new
/// one. Directories are identified the same way (`GovernedName`).
public struct ExecutableIdentity: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// The kernel's encoding of `s_dev`: `major << 20 | minor`.
    public var device: UInt32
    public var inode: UInt64

    public init(device: UInt32, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// From `stat()`'s `st_dev` in glibc's encoding, taken as is. That device is the kernel's only
    /// where the file system reports its superblock's device (not btrfs, not every overlay):
    /// identities of files come from `FileIdentityReader`, which uses the initializer below.
    public init(statDevice: UInt64, inode: UInt64) {
        let major = ((statDevice >> 8) & 0xfff) | ((statDevice >> 32) & ~UInt64(0xfff))
        let minor = (statDevice & 0xff) | ((statDevice >> 12) & ~UInt64(0xff))
        self.init(device: UInt32(truncatingIfNeeded: (major << 20) | minor), inode: inode)
    }

    /// The btrfs superblock magic (statfs `f_type`).
    public static let btrfsMagic: UInt64 = 0x9123_683E

    /// The one place user space computes what the kernel programs' `sluice_inode_identity`
    /// computes (BPF/sluice.bpf.c): btrfs numbers inodes per subvolume, so its device is the
    /// subvolume's anonymous device, which `statx` reports; on every other file system it is
    /// the superblock's `s_dev` (the major:minor mountinfo shows for the file's mount), which
    /// `statx` does not always report (overlayfs reports a layer's device). Without the mount's
    /// device (an old kernel without `STATX_MNT_ID`) the statx device stands in.
    public init(
        inode: UInt64, statMajor: UInt32, statMinor: UInt32, superblock: (major: UInt32, minor: UInt32)?, fileSystemMagic: UInt64
    ) {
        let device = fileSystemMagic == Self.btrfsMagic ? (statMajor, statMinor) : superblock ?? (statMajor, statMinor)
        self.init(device: (device.0 & 0xfff) << 20 | (device.1 & 0xf_ffff), inode: inode)
    }

    /// From `major:minor:inode`, the form events carry (`exe_id`).
    public init?(text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 3, let major = UInt32(parts[0]), let minor = UInt32(parts[1]), let inode = UInt64(parts[2]),
            major < 4096, minor < (1 << 20)
        else { return nil }
        self.init(device: major << 20 | minor, inode: inode)
    }

    public var major: UInt32 { device >> 20 }
    public var minor: UInt32 { device & 0xfffff }

    /// `major:minor:inode`, as `stat -c %t:%T:%i` would show in decimal.
    public var description: String { "\(major):\(minor):\(inode)" }

    public static func < (lhs: ExecutableIdentity, rhs: ExecutableIdentity) -> Bool {
        (lhs.device, lhs.inode) < (rhs.device, rhs.inode)
    }
}

/// A cgroup as the kernel sees it: its id and its depth in the hierarchy.
public struct CgroupIdentity: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The cgroup directory's inode number, as `bpf_get_current_cgroup_id()` returns it.
    public var id: UInt64
    /// Depth below the hierarchy's root (the root is 0), as `bpf_get_current_ancestor_cgroup_id` takes it.
    public var level: Int
    /// Path relative to the cgroup2 mount, for people.
    public var path: String

    public init(id: UInt64, level: Int, path: String) {
        self.id = id
        self.level = level
        self.path = path
    }

    public var description: String { "\(path.isEmpty ? "/" : path) (id \(id), level \(level))" }

    /// The kernel knows a cgroup by id and depth; the path is only a label (a renamed cgroup keeps
    /// its id and must keep its subject).
    public static func == (lhs: CgroupIdentity, rhs: CgroupIdentity) -> Bool {
        lhs.id == rhs.id && lhs.level == rhs.level
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(level)
    }
}

/// Turns a policy's paths into kernel identities; the agent implements it with `stat()`, tests
/// with a table.
public protocol SubjectResolver: Sendable {
    /// The identities of the executable at `path`: the file there now, and replaced files that
    /// still have running processes (an upgrade must not free them from policy).
    func resolveExecutable(_ path: String) -> Result<[ExecutableIdentity], SubjectResolutionError>
    func resolveCgroup(_ path: String) -> Result<CgroupIdentity, SubjectResolutionError>
    /// Where the kernel finds `path` at exec and what it governs there now; nil when it cannot
    /// be found (missing, or a name too long for the kernel map).
    func governedPath(_ path: String) -> GovernedPath?
    /// Paths of this machine's dynamic loaders (`PT_INTERP`), which can run any program
    /// under their own identity (`ld.so PROGRAM`).
    func directLoaders(for executables: [String]) -> [String]
    /// The node's own addresses (every address on every interface), what the `host` alias
    /// stands for besides the loopback blocks. Sorted, so two answers compare.
    func hostAddresses() -> [IPAddress]
}

extension SubjectResolver {
    /// Resolvers that know no paths (tests, the server's explainer) register none.
    public func governedPath(_ path: String) -> GovernedPath? { nil }
    public func directLoaders(for executables: [String]) -> [String] { [] }
    /// A resolver that knows no interfaces: `host` is the loopback blocks only.
    public func hostAddresses() -> [IPAddress] { [] }
}

/// Why a subject's path did not resolve.
public enum SubjectResolutionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Nothing there yet: a warning, the rules apply once it appears.
    case missing(String)
    /// Something there that can never be a subject: an error.
    case invalid(String)

    public var description: String {
        switch self {
        case .missing(let message), .invalid(let message): return message
        }
    }
}
