import Foundation
@preconcurrency import Glibc

/// The `sluice-probe` client run as a real process inside a test cgroup.
public struct Probe: Sendable {
    /// The probe binary this run uses (a copy or hard link makes another executable identity).
    public let path: String

    public init(path: String = Probe.builtPath) {
        self.path = path
    }

    /// Where SwiftPM built `sluice-probe`: next to the test bundle.
    public static var builtPath: String { BuildProducts.path(of: "sluice-probe") }

    /// One operation: `connect-tcp`, `connect-udp` or `sendto-udp` to `address` and `port`.
    public struct Operation: Sendable, Hashable, CustomStringConvertible {
        public var kind: String
        public var address: String
        public var port: UInt16

        public init(_ kind: String, _ address: String, _ port: UInt16) {
            self.kind = kind
            self.address = address
            self.port = port
        }

        public static func tcp(_ address: String, _ port: UInt16) -> Operation { Operation("connect-tcp", address, port) }
        public static func udp(_ address: String, _ port: UInt16) -> Operation { Operation("connect-udp", address, port) }
        public static func sendto(_ address: String, _ port: UInt16) -> Operation { Operation("sendto-udp", address, port) }

        public var description: String { "\(kind) \(address) \(port)" }
    }

    /// A copy of this probe at `path`: a new inode, so a new executable identity.
    public func copy(to destination: String) throws -> Probe {
        try? FileManager.default.removeItem(atPath: destination)
        try FileManager.default.copyItem(atPath: path, toPath: destination)
        return Probe(path: destination)
    }

    /// A hard link to this probe: the same inode under another name.
    public func hardLink(at destination: String) throws -> Probe {
        try? FileManager.default.removeItem(atPath: destination)
        guard link(path, destination) == 0 else { throw SandboxError("link \(path) \(destination): \(String(cString: strerror(errno)))") }
        return Probe(path: destination)
    }

    /// Runs the operations in one process joined to `cgroup` (an absolute path) and returns
    /// each result: "ok", "EPERM", "ECONNREFUSED", …
    public func run(_ operations: [Operation], in cgroup: String) throws -> [String] {
        var arguments = ["--join", cgroup]
        for operation in operations {
            arguments += [operation.kind, operation.address, String(operation.port)]
        }
        let output = try ChildProcess.run(path, arguments)
        guard output.status == 0 || output.status == 1 else {
            throw SandboxError("sluice-probe failed (\(output.status)): \(output.standardError)")
        }
        let lines = output.standardOutput.split(separator: "\n")
        guard lines.count == operations.count else {
            throw SandboxError("sluice-probe printed \(lines.count) lines for \(operations.count) operations: \(output.standardOutput)")
        }
        return lines.map { String($0.split(separator: " ").last ?? "") }
    }

    public func run(_ operation: Operation, in cgroup: String) throws -> String {
        try run([operation], in: cgroup)[0]
    }
}

/// Finds executables SwiftPM built beside the running test bundle.
public enum BuildProducts {
    public static func path(of name: String) -> String {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = me.deletingLastPathComponent()
        // The bundle is `.build/<triple>/debug/SluicePackageTests.xctest`; products sit beside it.
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return me.deletingLastPathComponent().appendingPathComponent(name).path
    }
}
