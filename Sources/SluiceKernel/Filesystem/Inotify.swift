@preconcurrency import Glibc
import Synchronization

/// Owns an inotify instance: watches folders and reports which names changed.
///
/// Who frees what: the fd from `inotify_init1` is closed in `deinit`, which drops every watch.
/// `read` blocks; call it from a thread of its own.
public final class Inotify: Sendable {
    public let descriptor: Int32
    private let paths = Mutex<[Int32: String]>([:])

    /// A change under a watched folder.
    public struct Change: Sendable, Hashable {
        /// The watched folder.
        public var directory: String
        /// The entry that changed; empty when the folder itself changed.
        public var name: String
    }

    /// Creation, removal, renames, finished writes and attribute changes of entries, and the
    /// folder itself going away.
    public static let directoryChanges: UInt32 =
        UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

    public init() throws(FilesystemError) {
        let fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { throw FilesystemError.last("inotify_init1", "") }
        descriptor = fd
    }

    deinit {
        close(descriptor)
    }

    /// Watches a folder (again: a second watch of one path replaces the first).
    public func watch(_ directory: String, mask: UInt32 = Inotify.directoryChanges) throws(FilesystemError) {
        let wd = inotify_add_watch(descriptor, directory, mask)
        guard wd >= 0 else { throw FilesystemError.last("inotify_add_watch", directory) }
        paths.withLock { $0[wd] = directory }
    }

    /// Stops watching everything; used before watching a new set of folders.
    public func unwatchAll() {
        let watched = paths.withLock { paths -> [Int32] in
            defer { paths.removeAll() }
            return Array(paths.keys)
        }
        for wd in watched { inotify_rm_watch(descriptor, wd) }
    }

    /// Blocks until changes arrive (or `timeoutMilliseconds` passes: empty result).
    public func read(timeoutMilliseconds: Int32) -> [Change] {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMilliseconds) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return [] }
        var changes: [Change] = []
        var offset = 0
        let header = MemoryLayout<inotify_event>.size
        buffer.withUnsafeBytes { raw in
            while offset + header <= count {
                let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                let nameBytes = raw[(offset + header)..<(offset + header + Int(event.len))]
                let name = String(decoding: nameBytes.prefix(while: { $0 != 0 }), as: UTF8.self)
                // IN_IGNORED: the watch is gone (its folder was deleted); forget its number.
                let ignored = event.mask & UInt32(IN_IGNORED) != 0
                if let directory = paths.withLock({ ignored ? $0.removeValue(forKey: event.wd) : $0[event.wd] }) {
                    changes.append(Change(directory: directory, name: name))
                }
                offset += header + Int(event.len)
            }
        }
        return changes
    }
}
