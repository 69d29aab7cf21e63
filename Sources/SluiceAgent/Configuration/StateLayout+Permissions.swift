import Foundation
@preconcurrency import Glibc

extension StateLayout {
    /// The folder or socket of this instance the calling user cannot reach (root only), or nil.
    /// Commands check it first, so that an unprivileged `sluice status` says "permission denied"
    /// and fails instead of reporting that nothing runs.
    public func deniedPath() -> String? {
        guard geteuid() != 0 else { return nil }
        for path in [directory, pinDirectory, socketPath] where access(path, F_OK) != 0 || access(path, R_OK) != 0 {
            let code = errno
            guard code == EACCES || code == EPERM else { continue }
            return path
        }
        return nil
    }

    /// Creates the state folder, or tightens one that exists: the folder 0700 and owned by us,
    /// nothing in it readable by others, and files made from now on private (umask 077). Returns
    /// the paths whose modes were tightened, for the log.
    func secure() throws -> [String] {
        umask(0o077)
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var info = stat()
        guard lstat(directory, &info) == 0 else { throw StateFolderError.unusable(path: directory, reason: String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw StateFolderError.unusable(path: directory, reason: "it is not a folder (a symbolic link or a file is refused)")
        }
        guard info.st_uid == geteuid() else {
            throw StateFolderError.unusable(path: directory, reason: "it is owned by uid \(info.st_uid), not by the agent's user \(geteuid()); remove it or chown it")
        }
        var tightened: [String] = []
        Self.tighten(directory, mode: info.st_mode, into: &tightened)
        let entries = FileManager.default.enumerator(atPath: directory)
        while let entry = entries?.nextObject() as? String {
            let path = directory + "/" + entry
            guard lstat(path, &info) == 0, info.st_uid == geteuid(), info.st_mode & S_IFMT != S_IFLNK else { continue }
            Self.tighten(path, mode: info.st_mode, into: &tightened)
        }
        return tightened
    }

    private static func tighten(_ path: String, mode: mode_t, into tightened: inout [String]) {
        guard mode & 0o077 != 0 else { return }
        if chmod(path, mode & 0o700) == 0 { tightened.append(path) }
    }
}

/// The state folder cannot be used safely.
public enum StateFolderError: Error, Hashable, Sendable, CustomStringConvertible {
    case unusable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unusable(let path, let reason): return "state folder \(path) cannot be used: \(reason)"
        }
    }
}
