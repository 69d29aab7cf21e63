@preconcurrency import Glibc

/// Why a pin folder cannot be trusted or used. Each case names the path and what is wrong with
/// it, so a person can remove or fix it.
public enum PinFolderError: Error, Sendable, CustomStringConvertible {
    /// The folder (or one of its parents) belongs to someone other than root: whoever owns it can
    /// delete the pins, and enforcement ends when the agent stops.
    case foreignOwner(path: String, owner: UInt32, ownerName: String?, mode: UInt32)
    /// Owned by root but writable (or, for the pin folder itself, readable) by others.
    case looseMode(path: String, owner: UInt32, mode: UInt32, required: String)
    /// A symbolic link where a folder was expected: it could point anywhere, at any time.
    case symlink(path: String, owner: UInt32, target: String)
    case notADirectory(path: String, mode: UInt32)
    case notOnBPFFS(path: String, mountPoint: String?)
    /// Another agent holds the folder's lock.
    case inUse(path: String)
    case system(FilesystemError)

    public var description: String {
        switch self {
        case .foreignOwner(let path, let owner, let name, let mode):
            return "\(path) is owned by uid \(owner)\(name.map { " (\($0))" } ?? "") with mode \(Self.octal(mode)), not by root: "
                + "whoever made it can remove Sluice's pins; remove it (`rm -r \(path)` as root) and start the agent again"
        case .looseMode(let path, let owner, let mode, let required):
            return "\(path) (owner uid \(owner)) has mode \(Self.octal(mode)); it must be \(required): "
                + "others could add or remove pins; `chmod go-rwx \(path)` or remove it, then start the agent again"
        case .symlink(let path, let owner, let target):
            return "\(path) is a symbolic link (owner uid \(owner)) to \(target), not a folder: remove it and start the agent again"
        case .notADirectory(let path, let mode):
            return "\(path) is not a folder (mode \(Self.octal(mode))); remove it or choose another --pin-dir"
        case .notOnBPFFS(let path, let mountPoint):
            return "\(path) is not on a bpf filesystem\(mountPoint.map { " (bpffs is mounted at \($0))" } ?? ""); "
                + "pins can only live on bpffs (mount -t bpf -o mode=0700 bpf /sys/fs/bpf)"
        case .inUse(let path):
            return "another Sluice agent is using the pin folder \(path) (it holds its lock); stop that agent first, "
                + "or give this one its own --state-dir/--pin-dir"
        case .system(let error):
            return error.description
        }
    }

    static func octal(_ mode: UInt32) -> String {
        let text = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }
}

/// The agent's pin folder on bpffs, created by the agent, owned by root, mode 0700, checked
/// before anything is pinned in it, and locked for as long as this value lives.
///
/// The folder's name is predictable and the bpffs root is often world-writable (mode 1777), so an
/// unprivileged user could make the folder first and later delete the pins. Every component from
/// the bpffs mount down is checked with `lstat` (a symlink is refused, never followed): parents
/// must be root's and not writable by others (the mount point may be sticky, as 1777 is); the
/// folder must be root's and 0700. The check runs again on the descriptor opened with
/// `O_NOFOLLOW`, which is also what the lock is held on.
///
/// Who frees what: the descriptor is closed in `deinit`, which releases the lock.
public final class PinFolder: Sendable {
    public let path: String
    let descriptor: Int32

    /// Creates (as needed), checks and locks `path`. Throws `.inUse` when another agent holds it.
    public init(claiming path: String) throws(PinFolderError) {
        try Self.prepare(path)
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw .system(.last("open", path)) }
        do throws(PinFolderError) {
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw .system(.last("fstat", path)) }
            try Self.checkFolder(path, info)
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                throw errno == EWOULDBLOCK ? .inUse(path: path) : .system(.last("flock", path))
            }
        } catch {
            close(fd)
            throw error
        }
        self.path = path
        descriptor = fd
    }

    deinit {
        close(descriptor)
    }

    /// Whether an agent holds the lock of the folder at `path` (false when there is none).
    public static func isLocked(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }

    /// Creates the missing components root-only and checks every one from the mount point down.
    /// A component that exists after `mkdir` fails with EEXIST is checked like any other: whoever
    /// won a race to create it shows as its owner.
    public static func prepare(_ path: String) throws(PinFolderError) {
        guard path.hasPrefix("/") else { throw .notOnBPFFS(path: path, mountPoint: MountTable.bpffs()?.mountPoint) }
        guard let mount = Self.bpffsMount(containing: path) else {
            throw .notOnBPFFS(path: path, mountPoint: MountTable.bpffs()?.mountPoint)
        }
        try checkMountPoint(mount)
        var current = mount == "/" ? "" : mount
        let rest = path.dropFirst(mount.count).split(separator: "/")
        if rest.isEmpty { throw .looseMode(path: path, owner: 0, mode: 0, required: "a folder below the bpffs mount point, not the mount point") }
        for (index, component) in rest.enumerated() {
            current += "/" + component
            if mkdir(current, 0o700) != 0 && errno != EEXIST { throw .system(.last("mkdir", current)) }
            var info = stat()
            guard lstat(current, &info) == 0 else { throw .system(.last("lstat", current)) }
            if index == rest.count - 1 {
                try checkFolder(current, info)
            } else {
                try checkParent(current, info)
            }
        }
    }

    /// The pin folder itself: root's, a real folder, nothing for group or others.
    static func checkFolder(_ path: String, _ info: stat) throws(PinFolderError) {
        try checkKind(path, info)
        try checkOwner(path, info)
        if info.st_mode & 0o077 != 0 {
            throw .looseMode(path: path, owner: info.st_uid, mode: info.st_mode, required: "0700 (no access for group or others)")
        }
    }

    /// A folder between the mount point and the pin folder: root's, not writable by others
    /// (anyone who can write to it can rename the pin folder away and put another in its place).
    static func checkParent(_ path: String, _ info: stat) throws(PinFolderError) {
        try checkKind(path, info)
        try checkOwner(path, info)
        if info.st_mode & 0o022 != 0 {
            throw .looseMode(path: path, owner: info.st_uid, mode: info.st_mode, required: "not writable by group or others")
        }
    }

    /// The bpffs mount point: root's; world-writable only with the sticky bit (1777), under
    /// which nobody else can remove or rename root's folder.
    static func checkMountPoint(_ path: String) throws(PinFolderError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw .system(.last("lstat", path)) }
        try checkKind(path, info)
        try checkOwner(path, info)
        if info.st_mode & 0o022 != 0 && info.st_mode & UInt32(S_ISVTX) == 0 {
            throw .looseMode(path: path, owner: info.st_uid, mode: info.st_mode, required: "not writable by others, or sticky (1777)")
        }
    }

    private static func checkKind(_ path: String, _ info: stat) throws(PinFolderError) {
        switch info.st_mode & UInt32(S_IFMT) {
        case UInt32(S_IFDIR):
            return
        case UInt32(S_IFLNK):
            var buffer = [CChar](repeating: 0, count: 4096)
            let count = readlink(path, &buffer, buffer.count - 1)
            let target = count >= 0 ? String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
            throw .symlink(path: path, owner: info.st_uid, target: target)
        default:
            throw .notADirectory(path: path, mode: info.st_mode)
        }
    }

    private static func checkOwner(_ path: String, _ info: stat) throws(PinFolderError) {
        guard info.st_uid == 0 else {
            throw .foreignOwner(path: path, owner: info.st_uid, ownerName: userName(info.st_uid), mode: info.st_mode)
        }
    }

    static func userName(_ uid: UInt32) -> String? {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }

    /// The bpffs mount with the longest mount point that contains `path`; nil when the mount
    /// that contains it is not bpffs.
    static func bpffsMount(containing path: String) -> String? {
        guard let entries = try? MountTable.read() else { return nil }
        let containing = entries.filter { path == $0.mountPoint || path.hasPrefix($0.mountPoint == "/" ? "/" : $0.mountPoint + "/") }
        guard let best = containing.max(by: { $0.mountPoint.count < $1.mountPoint.count }), best.filesystemType == "bpf" else {
            return nil
        }
        return best.mountPoint
    }
}
