import Foundation
@preconcurrency import Glibc

/// File systems a test makes in its scratch folder: loop-mounted images (ext4, xfs, btrfs),
/// tmpfs and overlays. `unmountAll()` (call it in a `defer`) unmounts them newest first; a loop
/// device goes with its mount (`-o loop` sets autoclear).
public final class ScratchMounts: @unchecked Sendable {
    private var mounted: [String] = []
    private let scratch: String

    public init(scratch: String) {
        self.scratch = scratch
    }

    /// A fresh file system of `type` on a sparse image of `megabytes`, mounted at
    /// `scratch/name`. Its mkfs must be installed (Tools/setup.sh installs them).
    public func loop(_ type: String, name: String, megabytes: Int) throws -> String {
        let image = scratch + "/\(name).img"
        guard FileManager.default.createFile(atPath: image, contents: nil) else { throw SandboxError("cannot create \(image)") }
        guard truncate(image, off_t(megabytes) << 20) == 0 else { throw SandboxError("truncate \(image): \(String(cString: strerror(errno)))") }
        let force = type == "ext4" ? "-F" : "-f"
        try Self.run("mkfs.\(type)", ["-q", force, image])
        return try mount(["-o", "loop", image], at: name)
    }

    public func tmpfs(name: String) throws -> String {
        try mount(["-t", "tmpfs", "-o", "size=64m", "sluice-test"], at: name)
    }

    /// An overlay of `lower` under a fresh upper folder.
    public func overlay(lower: String, name: String) throws -> String {
        let upper = scratch + "/\(name)-upper"
        let work = scratch + "/\(name)-work"
        for folder in [upper, work] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        return try mount(["-t", "overlay", "-o", "lowerdir=\(lower),upperdir=\(upper),workdir=\(work)", "overlay"], at: name)
    }

    private func mount(_ arguments: [String], at name: String) throws -> String {
        let point = scratch + "/\(name)"
        try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
        try Self.run("mount", arguments + [point])
        mounted.append(point)
        return point
    }

    /// Unmounts everything mounted here, newest first; lazily if something still holds it.
    public func unmountAll() {
        for point in mounted.reversed() where umount2(point, 0) != 0 {
            umount2(point, Int32(MNT_DETACH))
        }
        mounted = []
    }

    /// Runs a system tool (from /usr/sbin, /sbin or /usr/bin), failing with its output.
    public static func run(_ tool: String, _ arguments: [String]) throws {
        let candidates = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map { (folder: String) -> String in folder + "/" + tool }
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw SandboxError("\(tool) is not installed (Tools/setup.sh installs it)")
        }
        let output = try ChildProcess.run(path, arguments)
        guard output.status == 0 else {
            throw SandboxError("\(tool) \(arguments.joined(separator: " ")) failed (\(output.status)): \(output.standardError)\(output.standardOutput)")
        }
    }
}
