import Foundation
@preconcurrency import Glibc
import SluiceKernel

/// A throwaway cgroup, bpffs pin folder and scratch folder for one test, removed afterwards
/// even when the test fails. Never the cgroup2 root: CI's own traffic runs there.
public final class KernelSandbox: @unchecked Sendable {
    public let cgroups: CgroupFS
    /// Path relative to the cgroup2 mount.
    public let cgroupRelative: String
    public let cgroupPath: String
    public let pinDirectory: String
    public let scratch: String

    private static let counter = Counter()

    init(name: String) throws {
        if let reason = KernelSupport.unavailableReason {
            throw SandboxError("kernel test cannot run: \(reason)")
        }
        cgroups = try CgroupFS.discover()
        let unique = "\(name)-\(getpid())-\(Self.counter.next())"
        cgroupRelative = "sluice-test/\(unique)"
        cgroupPath = try cgroups.create(cgroupRelative)
        pinDirectory = try BPFFS.mountPoint() + "/sluice-test/\(unique)"
        scratch = NSTemporaryDirectory() + "sluice-test-\(unique)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    /// A child cgroup of the sandbox (created), relative to the cgroup2 mount.
    public func child(_ name: String) throws -> String {
        let relative = cgroupRelative + "/" + name
        try cgroups.create(relative)
        return relative
    }

    public var pins: PinLayout { PinLayout(directory: pinDirectory) }

    func cleanUp() {
        _ = try? PinnedDatapath(pins: pins).unload()
        try? cgroups.removeTree(cgroupRelative, parkingProcessesIn: "")
        try? FileManager.default.removeItem(atPath: scratch)
        // The shared parents go too once the last test using them is done.
        rmdir(cgroupPath.components(separatedBy: "/").dropLast().joined(separator: "/"))
        rmdir(pinDirectory.components(separatedBy: "/").dropLast().joined(separator: "/"))
    }

    /// Runs `body` with a fresh sandbox and removes it afterwards, whatever happens.
    public static func with<T>(_ name: String, _ body: (KernelSandbox) async throws -> T) async throws -> T {
        let sandbox = try KernelSandbox(name: name)
        do {
            let result = try await body(sandbox)
            sandbox.cleanUp()
            return result
        } catch {
            sandbox.cleanUp()
            throw error
        }
    }
}

public struct SandboxError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
