/// Identities made from paths, for where the kernel's (an inode, a cgroup id) are not known: the
/// server's explainer and the replay of recorded events. Stable across runs and machines.
public enum PathIdentity {
    /// FNV-1a of `text`, never zero (the kernel's "none").
    public static func hash(_ text: String) -> UInt64 {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
        return value | 1
    }

    /// The executable at `path`, as one made-up identity.
    public static func executable(_ path: String) -> ExecutableIdentity {
        ExecutableIdentity(device: 0, inode: hash("exe:" + path))
    }

    /// The parts of a cgroup path below the mount (`a/b` and `/a/b/` alike).
    public static func cgroupParts(_ path: String) -> [Substring] {
        path.split(separator: "/").filter { $0 != "." }
    }

    /// The cgroup at `parts` and each of its ancestors, root first, as made-up identities whose
    /// level is the depth.
    public static func cgroupAncestry(_ parts: [Substring]) -> [CgroupIdentity] {
        (0...parts.count).map { level in
            let prefix = parts.prefix(level).joined(separator: "/")
            return CgroupIdentity(id: hash("cgroup:" + prefix), level: level, path: prefix)
        }
    }
}
