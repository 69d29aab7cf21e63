import CSystemShims
@preconcurrency import Glibc
import SluiceCore

/// A file's identity as the kernel programs compute it, with its type.
public struct FileFacts: Sendable, Hashable {
    public var identity: ExecutableIdentity
    public var isRegularFile: Bool
    public var isDirectory: Bool
}

/// Reads file identities for user space: `statx` and `statfs` of one `O_PATH` descriptor, and
/// on overlayfs the superblock's device of the file's mount from /proc/self/mountinfo, turned
/// into an identity by `ExecutableIdentity(inode:statMajor:statMinor:superblock:fileSystemMagic:)`.
/// Every identity user space compares with the kernel's comes from here.
public enum FileIdentityReader {
    /// overlayfs's superblock magic: the one file system here whose `statx` device may be a
    /// layer's rather than its own superblock's (ext4, xfs, tmpfs report the superblock's;
    /// btrfs a subvolume's, which is what the kernel programs use there).
    static let overlayMagic: UInt64 = 0x794c_7630

    /// The file at `path`, symlinks followed.
    public static func read(_ path: String) throws(FilesystemError) -> FileFacts {
        try read(directory: AT_FDCWD, path: path, label: path)
    }

    /// The file an open descriptor (`O_PATH` is enough) refers to.
    public static func read(descriptor: Int32) throws(FilesystemError) -> FileFacts {
        try read(directory: descriptor, path: "", label: "descriptor \(descriptor)")
    }

    private static func read(directory: Int32, path: String, label: String) throws(FilesystemError) -> FileFacts {
        var facts = sluice_file_facts()
        let result = sluice_file_facts(directory, path, &facts)
        guard result == 0 else { throw FilesystemError.system(operation: "statx", path: label, errno: -result) }
        let identity = ExecutableIdentity(
            inode: facts.inode, statMajor: facts.stat_major, statMinor: facts.stat_minor,
            superblock: facts.fs_magic == overlayMagic && facts.mount_id != 0 ? superblockDevice(mountID: facts.mount_id) : nil,
            fileSystemMagic: facts.fs_magic)
        let type = facts.mode & UInt32(S_IFMT)
        return FileFacts(identity: identity, isRegularFile: type == UInt32(S_IFREG), isDirectory: type == UInt32(S_IFDIR))
    }

    /// Read afresh each time: mount ids are reused as soon as a mount goes away.
    static func superblockDevice(mountID: UInt64) -> (UInt32, UInt32)? {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        // `36 35 98:0 /mnt1 /mnt2 ...`: mount id, parent id, the superblock's major:minor.
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 3)
            guard fields.count >= 3, UInt64(fields[0]) == mountID else { continue }
            let device = fields[2].split(separator: ":")
            guard device.count == 2, let major = UInt32(device[0]), let minor = UInt32(device[1]) else { return nil }
            return (major, minor)
        }
        return nil
    }
}
