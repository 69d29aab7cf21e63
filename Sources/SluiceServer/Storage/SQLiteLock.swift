import Foundation
@preconcurrency import Glibc
import Synchronization

/// An exclusive `flock` on `<database>.lock` beside a SQLite database, held while the server
/// runs: only one server may write a SQLite file (replicas share PostgreSQL instead), and a
/// second one started on the same folder must refuse rather than corrupt what the first keeps in
/// memory. The kernel drops the lock when the process ends, however it ends.
final class SQLiteLock: Sendable {
    let path: String
    /// The locked descriptor until `release`.
    private let fd: Mutex<Int32?>

    /// Takes the lock or throws `ServerStartError` naming the process that holds it.
    init(database: String) throws {
        path = database + ".lock"
        let folder = (database as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ServerStartError.lockFileUnusable(path: path, operation: "open", errno: errno)
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.holder(fd)
            close(fd)
            guard reason == EWOULDBLOCK else {
                throw ServerStartError.lockFileUnusable(path: path, operation: "flock", errno: reason)
            }
            throw ServerStartError.databaseInUse(database: database, holder: holder)
        }
        // The holder's pid, for the message a second server prints.
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.fd = Mutex(fd)
    }

    deinit {
        release()
    }

    /// Drops the lock (closing the descriptor is what releases a flock), so that a server
    /// opened again in the same process, as tests do, can take it.
    func release() {
        fd.withLock { fd in
            if let open = fd { close(open) }
            fd = nil
        }
    }

    private static func holder(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
