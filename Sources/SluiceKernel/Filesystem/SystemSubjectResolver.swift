import Foundation
@preconcurrency import Glibc
import SluiceCore
import Synchronization

/// Resolves policy subjects on this machine: executables with `stat()` (following symlinks, as
/// the kernel's `exe_file` does), cgroups on the cgroup2 mount.
///
/// An upgraded executable (a new file renamed over the old) leaves processes running the old
/// inode; those still running are found in /proc and keep the policy too. A file moved away
/// from the path stays governed through the `ExecutableTracker`.
public final class SystemSubjectResolver: SubjectResolver, Sendable {
    private let cgroups: CgroupFS
    private let tracker: ExecutableTracker
    /// Resolved path -> identities of deleted files still running from it; scanned once, on
    /// first use.
    private let replacedRunning = Mutex<[String: Set<ExecutableIdentity>]?>(nil)

    /// `tracker` carries what paths resolved to across compiles; give each agent one.
    public init(cgroups: CgroupFS, tracker: ExecutableTracker = ExecutableTracker()) {
        self.cgroups = cgroups
        self.tracker = tracker
    }

    public func resolveExecutable(_ path: String) -> Result<[ExecutableIdentity], SubjectResolutionError> {
        var current: ExecutableIdentity?
        var resolved = path
        do {
            let facts = try FileIdentityReader.read(path)
            guard facts.isRegularFile else {
                return .failure(.invalid("executable \(path) is not a regular file"))
            }
            current = facts.identity
            resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        } catch FilesystemError.system(_, _, let code) where code == ENOENT || code == ENOTDIR {
            // Not there (yet): only files tracked earlier or still running stand for it.
        } catch {
            return .failure(.invalid("executable \(path): \(error)"))
        }
        let identities = tracker.identities(of: path, current: current, running: running(from: resolved))
        guard !identities.isEmpty else {
            return .failure(.missing("executable \(path) does not exist yet; its rules apply once it appears"))
        }
        return .success(identities)
    }

    private func running(from resolved: String) -> Set<ExecutableIdentity> {
        replacedRunning.withLock { cached in
            let scan = cached ?? Self.scanReplacedExecutables()
            cached = scan
            return scan[resolved] ?? []
        }
    }

    /// The file's name in its directory, symlinks resolved: the dentry the kernel sees at exec.
    public func governedPath(_ path: String) -> GovernedPath? {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        let name = resolved.lastPathComponent
        guard !name.isEmpty, name.utf8.count <= GovernedName.maximumLength,
            let file = try? FileIdentityReader.read(resolved.path), file.isRegularFile,
            let directory = try? FileIdentityReader.read(resolved.deletingLastPathComponent().path), directory.isDirectory
        else { return nil }
        return GovernedPath(name: GovernedName(directory: directory.identity, name: name), identity: file.identity)
    }

    /// The loaders the named executables ask for (`PT_INTERP`) and the usual loader paths.
    public func directLoaders(for executables: [String]) -> [String] {
        var paths = ELFInterpreter.knownLoaderPaths
        for path in executables {
            if let interpreter = ELFInterpreter.read(path), !paths.contains(interpreter) { paths.append(interpreter) }
        }
        return paths.filter { access($0, F_OK) == 0 }
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
            guard let facts = try? FileIdentityReader.read(link) else { continue }
            let original = String(target.dropLast(suffix.count))
            result[original, default: []].insert(facts.identity)
        }
        return result
    }
}
