import Foundation
@preconcurrency import Glibc

/// Runs commands as `nobody` (uid and gid 65534, no supplementary groups) through util-linux's
/// `setpriv`: a real unprivileged process, as an attacker without root would be.
public enum Unprivileged {
    public static let uid: UInt32 = 65534

    public static func run(_ executable: String, _ arguments: [String]) throws -> ChildProcess.Output {
        try ChildProcess.run(
            "/usr/bin/setpriv", ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--", executable] + arguments)
    }
}

/// A bpffs instance of the test's own, mounted with the kernel's default mode (1777, as on many
/// machines) in the sandbox's scratch folder, and unmounted afterwards.
public final class PrivateBPFFS: @unchecked Sendable {
    public let mountPoint: String

    public init(in sandbox: KernelSandbox) throws {
        mountPoint = sandbox.scratch + "/bpffs"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        // The scratch path must be traversable by nobody for the unprivileged steps.
        chmod(sandbox.scratch, 0o755)
        chmod(mountPoint, 0o755)
        guard mount("bpf", mountPoint, "bpf", 0, nil) == 0 else {
            throw SandboxError("mount -t bpf \(mountPoint): \(String(cString: strerror(errno)))")
        }
    }

    /// Unmounts (lazily: a process may still hold a pin's object); the pins go with the instance.
    public func unmount() {
        umount2(mountPoint, Int32(MNT_DETACH))
    }

    deinit {
        unmount()
    }
}
