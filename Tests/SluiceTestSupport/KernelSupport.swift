import Foundation
@preconcurrency import Glibc
import SluiceKernel

/// Whether this machine can run the kernel tests: root, cgroup2, bpffs, BPF loading.
///
/// Kernel tests use `.enabled(if: KernelSupport.shouldRun, ...)`: without support they are
/// skipped with the reason, except under CI=true, where they run and fail loudly instead.
public enum KernelSupport {
    public static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// nil when the kernel tests can run; otherwise why not.
    public static let unavailableReason: String? = {
        if geteuid() != 0 { return "kernel tests need root (BPF, cgroups)" }
        do {
            _ = try CgroupFS.discover()
            _ = try BPFFS.mountPoint()
        } catch {
            return "kernel tests need cgroup2 and bpffs: \(error)"
        }
        return nil
    }()

    public static var shouldRun: Bool { unavailableReason == nil || isCI }
    public static var skipComment: String { unavailableReason ?? "" }
}
