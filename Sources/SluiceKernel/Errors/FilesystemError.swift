@preconcurrency import Glibc

/// A problem with the cgroup2 or bpffs filesystems or a path on them.
public enum FilesystemError: Error, Sendable, CustomStringConvertible {
    case notMounted(String, hint: String)
    case system(operation: String, path: String, errno: Int32)
    case notUnderMount(path: String, mount: String)

    public var description: String {
        switch self {
        case .notMounted(let filesystem, let hint):
            return "no \(filesystem) filesystem is mounted; \(hint)"
        case .system(let operation, let path, let errno):
            return "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))"
        case .notUnderMount(let path, let mount):
            return "\(path) is not under the cgroup2 mount \(mount)"
        }
    }

    /// From the errno of a failed call.
    public static func last(_ operation: String, _ path: String) -> FilesystemError {
        .system(operation: operation, path: path, errno: Glibc.errno)
    }
}
