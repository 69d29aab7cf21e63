import Foundation

/// One line of /proc/self/mountinfo.
public struct MountEntry: Sendable, Hashable {
    /// Where it is mounted, e.g. `/sys/fs/cgroup/unified`.
    public var mountPoint: String
    /// The folder of the filesystem that appears there (`/` unless a namespace or bind mount).
    public var root: String
    public var filesystemType: String
}

/// The mounts this process sees: how Sluice finds cgroup2 and bpffs instead of hard-coding
/// `/sys/fs/cgroup` (on hybrid systems cgroup2 sits at `/sys/fs/cgroup/unified`).
public enum MountTable {
    public static func read(path: String = "/proc/self/mountinfo") throws -> [MountEntry] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").compactMap(parse)
    }

    /// `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`
    static func parse(_ line: Substring) -> MountEntry? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard let separator = fields.firstIndex(of: "-"), separator >= 5, separator + 1 < fields.count else { return nil }
        return MountEntry(
            mountPoint: unescape(fields[4]), root: unescape(fields[3]), filesystemType: String(fields[separator + 1]))
    }

    /// mountinfo escapes space, tab, newline and backslash as octal (`\040`).
    static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        var characters = Array(field.utf8)[...]
        while let byte = characters.popFirst() {
            if byte == UInt8(ascii: "\\"), characters.count >= 3,
                let value = UInt8(String(decoding: characters.prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                characters = characters.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The first cgroup2 mount.
    public static func cgroup2() throws(FilesystemError) -> MountEntry {
        guard let entries = try? read(), let entry = entries.first(where: { $0.filesystemType == "cgroup2" }) else {
            throw FilesystemError.notMounted("cgroup2", hint: "mount it with `mount -t cgroup2 none /sys/fs/cgroup`")
        }
        return entry
    }

    /// The first bpffs mount, if any.
    public static func bpffs() -> MountEntry? {
        (try? read())?.first(where: { $0.filesystemType == "bpf" })
    }
}
