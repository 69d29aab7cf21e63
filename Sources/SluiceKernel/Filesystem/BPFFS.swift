import Foundation
@preconcurrency import Glibc

/// The BPF filesystem where Sluice pins its maps, programs and links.
public enum BPFFS {
    /// The bpffs mount point, mounting it at /sys/fs/bpf when nothing is mounted: root-only
    /// (mode 0700, as systemd mounts it), not the kernel's default 1777.
    public static func mountPoint() throws(FilesystemError) -> String {
        if let entry = MountTable.bpffs() { return entry.mountPoint }
        let target = "/sys/fs/bpf"
        if mount("bpf", target, "bpf", 0, "mode=0700") != 0 {
            throw FilesystemError.notMounted(
                "bpf", hint: "mounting it at \(target) failed (\(String(cString: strerror(errno)))); run `mount -t bpf -o mode=0700 bpf \(target)` as root")
        }
        return target
    }

    /// Whether `path` lies on a bpffs mount (pins can only live there): the mount with the
    /// longest mount point that contains it is of type bpf.
    public static func isOnBPFFS(_ path: String) -> Bool {
        guard let entries = try? MountTable.read() else { return false }
        let containing = entries.filter { path == $0.mountPoint || path.hasPrefix($0.mountPoint == "/" ? "/" : $0.mountPoint + "/") }
        return containing.max(by: { $0.mountPoint.count < $1.mountPoint.count })?.filesystemType == "bpf"
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Removes a pin (the kernel object lives on while something else holds it).
    public static func unpin(_ path: String) throws(FilesystemError) {
        if unlink(path) != 0 && errno != ENOENT { throw FilesystemError.last("unlink", path) }
    }
}
