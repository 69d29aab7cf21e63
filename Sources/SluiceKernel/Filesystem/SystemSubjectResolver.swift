import Foundation
@preconcurrency import Glibc
import SluiceCore

/// Resolves policy subjects on this machine: executables with `stat()` (following symlinks, as
/// the kernel's `exe_file` does), cgroups on the cgroup2 mount.
///
/// An upgraded executable (a new file renamed over the old) leaves processes running the old
/// inode; those still running are found in /proc and keep the policy too.
public final class SystemSubjectResolver: SubjectResolver, @unchecked Sendable {
    private let cgroups: CgroupFS
    /// Resolved path -> identities of deleted files still running from it; scanned once.
    private lazy var replacedRunning: [String: Set<ExecutableIdentity>] = Self.scanReplacedExecutables()

    public init(cgroups: CgroupFS) {
        self.cgroups = cgroups
    }

    public func resolveExecutable(_ path: String) -> Result<[ExecutableIdentity], SubjectResolutionError> {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR {
                let running = replacedRunning[path].map { Array($0).sorted() } ?? []
                return running.isEmpty ? .failure(.missing("executable \(path) does not exist yet; its rules apply once it appears")) : .success(running)
            }
            return .failure(.invalid("executable \(path): \(String(cString: strerror(errno)))"))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            return .failure(.invalid("executable \(path) is not a regular file"))
        }
        var identities: Set<ExecutableIdentity> = [ExecutableIdentity(statDevice: UInt64(info.st_dev), inode: UInt64(info.st_ino))]
        let resolved = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map { _ in
            URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        } ?? path
        identities.formUnion(replacedRunning[resolved] ?? [])
        return .success(identities.sorted())
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
