import CSystemShims
@preconcurrency import Glibc
import SluiceCore
import Synchronization

/// Remembers every file a policy's executable path resolved to, through an `O_PATH` descriptor,
/// so that a rename cannot dodge policy: the identity stays governed while its inode still has
/// a name somewhere (moved, hard-linked) or still runs, and is dropped once it is truly gone (an
/// upgrade replaced it and its last process exited).
///
/// Who frees what: each descriptor is opened here and closed when its identity is dropped or in
/// `deinit`.
public final class ExecutableTracker: Sendable {
    private struct Tracked {
        var identity: ExecutableIdentity
        var descriptor: Int32
    }

    private let tracked = Mutex<[String: [Tracked]]>([:])

    public init() {}

    deinit {
        tracked.withLock { all in
            for entries in all.values { for entry in entries { close(entry.descriptor) } }
        }
    }

    /// The identities `path` stands for now: the file there, files it named earlier that still
    /// exist under another name, and `running` ones (deleted but still executing).
    public func identities(of path: String, current: ExecutableIdentity?, running: Set<ExecutableIdentity>) -> [ExecutableIdentity] {
        tracked.withLock { all in
            var entries = all[path] ?? []
            if let current, !entries.contains(where: { $0.identity == current }) {
                let fd = sluice_open_path(path)
                if fd >= 0 {
                    if (try? FileIdentityReader.read(descriptor: fd))?.identity == current {
                        entries.append(Tracked(identity: current, descriptor: fd))
                    } else {
                        close(fd)  // replaced between stat and open: the next resolve catches up
                    }
                }
            }
            entries.removeAll { entry in
                var info = stat()
                let linked = fstat(entry.descriptor, &info) == 0 && info.st_nlink > 0
                let keep = entry.identity == current || linked || running.contains(entry.identity)
                if !keep { close(entry.descriptor) }
                return !keep
            }
            all[path] = entries.isEmpty ? nil : entries
            var result = Set(entries.map(\.identity))
            if let current { result.insert(current) }
            result.formUnion(running)
            return result.sorted()
        }
    }
}
