@preconcurrency import Glibc

/// The process's limit of open files (RLIMIT_NOFILE). Every client connection holds one: systemd
/// and container runtimes often start a service with a soft limit of 1,024 under a far higher
/// hard limit, and the server raises it for itself rather than fail at a thousand connections.
public enum OpenFileLimit {
    /// Raises the soft limit toward `wanted`, at most to the hard limit; returns the soft limit
    /// before and after.
    @discardableResult
    public static func raise(to wanted: Int = .max) -> (before: Int, after: Int) {
        let openFiles = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        getrlimit(openFiles, &limit)
        let before = limit.rlim_cur
        let target = min(rlim_t(clamping: wanted), limit.rlim_max)
        if limit.rlim_cur < target {
            limit.rlim_cur = target
            setrlimit(openFiles, &limit)
            getrlimit(openFiles, &limit)
        }
        return (Int(clamping: before), Int(clamping: limit.rlim_cur))
    }
}
