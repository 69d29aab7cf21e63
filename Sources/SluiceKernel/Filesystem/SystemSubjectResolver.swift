import Foundation
@preconcurrency import Glibc
import SluiceCore

/// Resolves policy subjects on this machine: executables with `stat()` (following symlinks, as
/// the kernel's `exe_file` does), cgroups on the cgroup2 mount.
///
/// An upgraded executable (a new file renamed over the old) leaves processes running the old
/// inode; those still running are found in /proc and keep the policy too. A file moved away
/// from the path stays governed through the `ExecutableTracker`.
public final class SystemSubjectResolver: SubjectResolver, @unchecked Sendable {
    private let cgroups: CgroupFS
    private let tracker: ExecutableTracker
    /// Resolved path -> identities of deleted files still running from it; scanned once.
    private lazy var replacedRunning: [String: Set<ExecutableIdentity>] = Self.scanReplacedExecutables()

    /// `tracker` carries what paths resolved to across compiles; give each agent one.
    public init(cgroups: CgroupFS, tracker: ExecutableTracker = ExecutableTracker()) {
        self.cgroups = cgroups
        self.tracker = tracker
    }

    public func resolveExecutable(_ path: String) -> Result<[ExecutableIdentity], SubjectResolutionError> {
        var info = stat()
        var current: ExecutableIdentity?
        var resolved = path
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                return .failure(.invalid("executable \(path) is not a regular file"))
            }
            current = ExecutableIdentity(statDevice: UInt64(info.st_dev), inode: UInt64(info.st_ino))
            resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        } else if errno != ENOENT && errno != ENOTDIR {
            return .failure(.invalid("executable \(path): \(String(cString: strerror(errno)))"))
        }
        let identities = tracker.identities(of: path, current: current, running: replacedRunning[resolved] ?? [])
        guard !identities.isEmpty else {
            return .failure(.missing("executable \(path) does not exist yet; its rules apply once it appears"))
        }
        return .success(identities)
    }

    public func resolveCgroup(_ path: String) -> Result<CgroupIdentity, SubjectResolutionError> {
        do {
            return .success(try cgroups.identity(of: path))
        } catch FilesystemError.system(_, _, let code) where code == ENOENT {
            return .failure(.missing("cgroup \(path) does not exist yet; its rules apply once it appears"))
        } catch {
            return .failure(.invalid("cgroup \(path): \(error)"))
        }
    }

    public func hostAddresses() -> [IPAddress] {
        HostAddresses.current()
    }

    /// Processes whose executable was replaced or removed: /proc/PID/exe reads `PATH (deleted)`
    /// and still stats as the old file.
    static func scanReplacedExecutables() -> [String: Set<ExecutableIdentity>] {
        var result: [String: Set<ExecutableIdentity>] = [:]
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return result }
        let suffix = " (deleted)"
        for entry in entries where entry.first?.isNumber == true {
            let link = "/proc/\(entry)/exe"
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link), target.hasSuffix(suffix) else {
                continue
            }
            var info = stat()
            guard stat(link, &info) == 0 else { continue }
            let original = String(target.dropLast(suffix.count))
            result[original, default: []].insert(ExecutableIdentity(statDevice: UInt64(info.st_dev), inode: UInt64(info.st_ino)))
        }
        return result
    }
}
