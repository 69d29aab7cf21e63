import SluiceCore

/// Why the agent could not start or keep its own files, with the path and the cause to fix.
public enum AgentError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Another agent holds the state folder's lock file.
    case stateFolderLocked(lockFile: String)
    /// The fleet credential could not be written: `operation` (`open`, `write`, `fsync`,
    /// `rename`) on `path` failed with `errno`.
    case credentialNotSaved(path: String, operation: String, errno: Int32)
    /// `--protect`'s stop token file could not be opened.
    case stopTokenUnreadable(path: String, errno: Int32)
    /// The stop token file is a folder, device, FIFO or socket.
    case stopTokenNotRegularFile(path: String)
    /// The stop token file is not root's, or group or others may read or write it.
    case stopTokenExposed(path: String, owner: UInt32, mode: UInt32)
    /// The stop token has fewer than `minimum` characters (surrounding white space ignored).
    case stopTokenTooShort(path: String, length: Int, minimum: Int)
    /// The redirect targets' origin socket (`--origin-socket`) could not be made at `path`.
    case originSocket(path: String, reason: String)

    public var description: String {
        switch self {
        case .stateFolderLocked(let lockFile):
            "another agent is running with this state folder (\(lockFile) is locked); stop it or use another --state-dir"
        case .credentialNotSaved(let path, let operation, let errno):
            "cannot save the fleet credential: \(operation) \(path): \(ErrnoName.describe(errno))"
        case .stopTokenUnreadable(let path, let errno):
            "cannot open the stop token file \(path): \(ErrnoName.describe(errno))"
        case .stopTokenNotRegularFile(let path):
            "the stop token file \(path) is not a regular file"
        case .stopTokenExposed(let path, let owner, let mode):
            "the stop token file \(path) must be root's with mode 0600 or stricter (owner uid \(owner), mode \(String(mode, radix: 8)))"
        case .stopTokenTooShort(let path, let length, let minimum):
            "the stop token in \(path) is too short (\(length) characters): use at least \(minimum) random characters"
        case .originSocket(let path, let reason):
            "cannot make the origin socket \(path) (--origin-socket): \(reason)"
        }
    }
}
