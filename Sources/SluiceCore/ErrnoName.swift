#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Symbolic names of the errnos system, BPF, cgroup and file calls return, for messages people
/// search for (`EACCES`, not "Permission denied" alone).
public enum ErrnoName {
    /// The symbolic name (`EPERM`), or `errno N` for one without a known name.
    public static func of(_ code: Int32) -> String {
        names[code] ?? "errno \(code)"
    }

    /// The name and the C library's words for it: `ENOENT (No such file or directory)`.
    public static func describe(_ code: Int32) -> String {
        "\(of(code)) (\(String(cString: strerror(code))))"
    }

    private static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO", ENXIO: "ENXIO", E2BIG: "E2BIG",
        ENOEXEC: "ENOEXEC", EBADF: "EBADF", ECHILD: "ECHILD", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES",
        EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST", EXDEV: "EXDEV", ENODEV: "ENODEV", ENOTDIR: "ENOTDIR",
        EISDIR: "EISDIR", EINVAL: "EINVAL", ENFILE: "ENFILE", EMFILE: "EMFILE", ENOSPC: "ENOSPC", ESPIPE: "ESPIPE",
        EROFS: "EROFS", EMLINK: "EMLINK", EPIPE: "EPIPE", ERANGE: "ERANGE", EDEADLK: "EDEADLK", ENAMETOOLONG: "ENAMETOOLONG",
        ENOSYS: "ENOSYS", ENOTEMPTY: "ENOTEMPTY", ELOOP: "ELOOP", ENOLINK: "ENOLINK", EOPNOTSUPP: "EOPNOTSUPP",
        EPROTO: "EPROTO", EOVERFLOW: "EOVERFLOW", EBADFD: "EBADFD", ENOTSOCK: "ENOTSOCK", EAFNOSUPPORT: "EAFNOSUPPORT",
        EADDRINUSE: "EADDRINUSE", ENETUNREACH: "ENETUNREACH", ECONNRESET: "ECONNRESET", ENOTCONN: "ENOTCONN",
        ETIMEDOUT: "ETIMEDOUT", ECONNREFUSED: "ECONNREFUSED", EALREADY: "EALREADY", EINPROGRESS: "EINPROGRESS",
        kernelNotSupported: "ENOTSUPP", ENOTBLK: "ENOTBLK", ETXTBSY: "ETXTBSY", EFBIG: "EFBIG", ENODATA: "ENODATA",
    ]

    /// The kernel-internal "operation not supported" (524) that BPF calls leak to user space.
    static let kernelNotSupported: Int32 = 524
}
