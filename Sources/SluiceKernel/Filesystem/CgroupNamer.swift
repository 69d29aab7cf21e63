import CSystemShims
@preconcurrency import Glibc

/// Names a cgroup by the id a BPF program recorded (`bpf_get_current_cgroup_id`): the id is the
/// kernfs file handle, so `open_by_handle_at` on the cgroup2 mount opens the folder.
///
/// Who frees what: the mount fd is opened here and closed in `deinit`; each opened cgroup fd is
/// closed right after its path is read.
public final class CgroupNamer: Sendable {
    private let mountDescriptor: Int32
    private let cgroups: CgroupFS

    public init(cgroups: CgroupFS) throws(FilesystemError) {
        let fd = open(cgroups.mount.mountPoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FilesystemError.last("open", cgroups.mount.mountPoint) }
        mountDescriptor = fd
        self.cgroups = cgroups
    }

    deinit {
        close(mountDescriptor)
    }

    /// The cgroup's path relative to the mount with a leading slash (`/app.slice/web.service`),
    /// or nil when it no longer exists.
    public func path(ofCgroup id: UInt64) -> String? {
        let fd = sluice_open_cgroup_by_id(mountDescriptor, id)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let absolute = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "/" + cgroups.relativePath(absolute)
    }
}
