@preconcurrency import Glibc

/// A failed system or libbpf call, with what was being done and what a person can do about it.
public struct KernelError: Error, Sendable, CustomStringConvertible {
    /// The call that failed, as in its man page (`bpf_object__load`, `open`, `BPF_LINK_UPDATE`).
    public var operation: String
    /// The object it was about: a path, a map or program name.
    public var subject: String
    public var errno: Int32
    /// What to do about it, when we know.
    public var hint: String?

    public init(_ operation: String, _ subject: String, errno: Int32, hint: String? = nil) {
        self.operation = operation
        self.subject = subject
        self.errno = errno
        self.hint = hint ?? Self.defaultHint(errno: errno)
    }

    /// From an int-returning libbpf call: a negative errno (libbpf 1.x convention).
    public static func check(_ result: Int32, _ operation: String, _ subject: String, hint: String? = nil) throws(KernelError) {
        if result < 0 {
            throw KernelError(operation, subject, errno: -result, hint: hint)
        }
    }

    /// From a pointer-returning libbpf call: NULL with errno set.
    public static func lastError(_ operation: String, _ subject: String, hint: String? = nil) -> KernelError {
        KernelError(operation, subject, errno: Glibc.errno, hint: hint)
    }

    public var errnoName: String {
        String(cString: strerror(errno))
    }

    public var description: String {
        var text = "\(operation) \(subject): \(errnoName) (errno \(errno))"
        if let hint { text += "; \(hint)" }
        return text
    }

    static func defaultHint(errno: Int32) -> String? {
        switch errno {
        case EPERM, EACCES:
            return "run as root (CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN are needed)"
        case ENOENT:
            return nil
        case E2BIG:
            return "a map is full or the verifier's budget is exceeded; see the log above"
        default:
            return nil
        }
    }
}
