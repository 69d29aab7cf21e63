import Foundation
@preconcurrency import Glibc
import SluiceCore

/// The cgroup2 hierarchy: path resolution, ids and levels, creating and removing cgroups.
public struct CgroupFS: Sendable {
    public let mount: MountEntry

    public init(mount: MountEntry) {
        self.mount = mount
    }

    /// Finds the cgroup2 mount from /proc/self/mountinfo, or uses `mountPoint` when given: in a
    /// container the first cgroup2 mount is the container's own namespaced view, and the host's
    /// full hierarchy is mounted elsewhere (`--cgroup-mount /host/sys/fs/cgroup`).
    public static func discover(mountPoint: String? = nil) throws(FilesystemError) -> CgroupFS {
        if let mountPoint = mountPoint ?? Self.overrideMountPoint {
            guard let entries = try? MountTable.read(),
                entries.contains(where: { $0.filesystemType == "cgroup2" && $0.mountPoint == normalize(mountPoint) })
            else {
                throw .notMounted("cgroup2", hint: "nothing of type cgroup2 is mounted at \(mountPoint)")
            }
            // The given mount is the whole hierarchy: levels count from its top.
            return CgroupFS(mount: MountEntry(mountPoint: normalize(mountPoint), root: "/", filesystemType: "cgroup2"))
        }
        return CgroupFS(mount: try MountTable.cgroup2())
    }

    /// The cgroup2 mount every `discover()` in this process uses (`sluice --cgroup-mount`).
    nonisolated(unsafe) public static var overrideMountPoint: String?

    /// A policy's cgroup path on disk: relative paths are under the mount; absolute paths must be.
    public func absolutePath(_ path: String) throws(FilesystemError) -> String {
        if path.hasPrefix("/") {
            let normalized = Self.normalize(path)
            guard normalized == mount.mountPoint || normalized.hasPrefix(mount.mountPoint + "/") else {
                throw .notUnderMount(path: path, mount: mount.mountPoint)
            }
            return normalized
        }
        let relative = Self.normalize("/" + path)
        return relative == "/" ? mount.mountPoint : mount.mountPoint + relative
    }

    /// The path below the mount, without leading slash (`app.slice/web.service`).
    public func relativePath(_ absolute: String) -> String {
        let normalized = Self.normalize(absolute)
        guard normalized.hasPrefix(mount.mountPoint) else { return normalized }
        return String(normalized.dropFirst(mount.mountPoint.count).drop(while: { $0 == "/" }))
    }

    /// Id (the cgroup directory's inode, what `bpf_get_current_cgroup_id` returns) and level
    /// (depth in the whole hierarchy, what `bpf_get_current_ancestor_cgroup_id` takes).
    public func identity(of path: String) throws(FilesystemError) -> CgroupIdentity {
        let absolute = try absolutePath(path)
        var info = stat()
        guard stat(absolute, &info) == 0 else { throw FilesystemError.last("stat", absolute) }
        let relative = relativePath(absolute)
        let rootDepth = mount.root.split(separator: "/").count
        let depth = rootDepth + relative.split(separator: "/").count
        return CgroupIdentity(id: UInt64(info.st_ino), level: depth, path: relative)
    }

    /// The cgroups from the root down to `path`, for matching subjects at every depth.
    public func ancestry(of path: String) throws(FilesystemError) -> [CgroupIdentity] {
        let relative = relativePath(try absolutePath(path))
        let components = relative.split(separator: "/")
        var result: [CgroupIdentity] = []
        for count in 0...components.count {
            result.append(try identity(of: components.prefix(count).joined(separator: "/")))
        }
        return result
    }

    /// The cgroup a process is in, from /proc/PID/cgroup (the `0::` line is cgroup2).
    public func cgroupPath(ofProcess pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("0::") {
            let inNamespace = String(line.dropFirst(3))
            let root = mount.root == "/" ? "" : mount.root
            let full = Self.normalize(root + inNamespace)
            let mountRoot = Self.normalize(mount.root)
            let below = full.hasPrefix(mountRoot) ? String(full.dropFirst(mountRoot.count)) : full
            return String(below.drop(while: { $0 == "/" }))
        }
        return nil
    }

    /// Creates a cgroup (and its parents) below the mount; returns its absolute path.
    @discardableResult
    public func create(_ path: String) throws(FilesystemError) -> String {
        let absolute = try absolutePath(path)
        var current = mount.mountPoint
        for component in relativePath(absolute).split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST { throw FilesystemError.last("mkdir", current) }
        }
        return absolute
    }

    /// Removes a cgroup and the cgroups below it, moving any process left in them to `parking`
    /// first (a cgroup with processes cannot be removed).
    public func removeTree(_ path: String, parkingProcessesIn parking: String? = nil) throws(FilesystemError) {
        let absolute = try absolutePath(path)
        guard absolute != mount.mountPoint else { return }
        let children = (try? FileManager.default.contentsOfDirectory(atPath: absolute)) ?? []
        for child in children {
            var info = stat()
            let childPath = absolute + "/" + child
            if stat(childPath, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                try removeTree(childPath, parkingProcessesIn: parking)
            }
        }
        if let parking, let procs = try? String(contentsOfFile: absolute + "/cgroup.procs", encoding: .utf8) {
            for pid in procs.split(separator: "\n") {
                try? move(pid: Int32(pid) ?? 0, to: parking)
            }
        }
        if rmdir(absolute) != 0 && errno != ENOENT { throw FilesystemError.last("rmdir", absolute) }
    }

    /// Moves a process into a cgroup.
    public func move(pid: Int32, to path: String) throws(FilesystemError) {
        let procs = try absolutePath(path) + "/cgroup.procs"
        let fd = open(procs, O_WRONLY)
        guard fd >= 0 else { throw FilesystemError.last("open", procs) }
        defer { close(fd) }
        let text = "\(pid)\n"
        let written = text.withCString { write(fd, $0, strlen($0)) }
        guard written >= 0 else { throw FilesystemError.last("write", procs) }
    }

    /// Collapses repeated and trailing slashes and `.` components.
    static func normalize(_ path: String) -> String {
        let components = path.split(separator: "/").filter { $0 != "." }
        return "/" + components.joined(separator: "/")
    }
}

/// An open cgroup directory: the fd a BPF link attaches to.
///
/// Who frees what: the fd is opened here and closed in `deinit`; an attached link holds its own
/// reference to the cgroup, so closing this does not detach anything.
public final class CgroupDirectory: Sendable {
    public let descriptor: Int32
    public let path: String

    public init(path: String) throws(FilesystemError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FilesystemError.last("open", path) }
        self.descriptor = fd
        self.path = path
    }

    deinit {
        close(descriptor)
    }
}
