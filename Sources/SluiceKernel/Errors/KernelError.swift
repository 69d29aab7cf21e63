@preconcurrency import Glibc
import SluiceCore
import SystemPackage

/// A failed system or libbpf call, with what was being done and what a person can do about it.
public struct KernelError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, to match on.
    public enum Kind: Sendable, Hashable {
        /// The call failed with `errno`.
        case call
        /// A key type's size differs from the map's key size: the call was not made.
        case keySizeMismatch(map: Int, given: Int)
        /// A value type's size differs from the map's value size: the call was not made (the
        /// kernel would have read or written past the value).
        case valueSizeMismatch(map: Int, given: Int)
        /// The loaded object has no map or program named `subject`: the embedded object and the
        /// Swift code that names its parts are out of step.
        case notInObject
    }

    public var kind: Kind
    /// The call that failed, as in its man page (`bpf_object__load`, `open`, `BPF_LINK_UPDATE`).
    public var operation: String
    /// The object it was about: a path, a map or program name.
    public var subject: String
    public var errno: Int32
    /// What to do about it, when we know.
    public var hint: String?

    public init(_ operation: String, _ subject: String, errno: Int32, hint: String? = nil, kind: Kind = .call) {
        self.kind = kind
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

    /// The errno as swift-system's `Errno`, to match on (`error.code == .permissionDenied`).
    public var code: Errno { Errno(rawValue: errno) }

    /// The errno's symbolic name (`EPERM`), or `errno N` for one without a known name.
    public var errnoName: String { ErrnoName.of(errno) }

    public var description: String {
        var text: String
        switch kind {
        case .call:
            text = "\(operation) \(subject): \(errnoName) (\(code))"
        case .keySizeMismatch(let map, let given):
            text = "\(operation) \(subject): the key given is \(given) bytes but the map's keys are \(map) bytes"
        case .valueSizeMismatch(let map, let given):
            text = "\(operation) \(subject): the value given is \(given) bytes but the map's values are \(map) bytes"
        case .notInObject:
            text = "\(operation) \(subject): the BPF object has no such map or program"
        }
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
