import AsyncHTTPClient
import SluiceAPI
import Foundation
@preconcurrency import Glibc

/// A real `sluice server` process on a loopback port, plain HTTP, with an admin created at first
/// start: SQLite in its own folder unless a database URL is given. It can be killed with SIGKILL
/// and started again on the same database and port, as after a crash. Killed and its folder
/// removed in `deinit`.
public final class ServerProcess: @unchecked Sendable {
    public static let adminPassword = "fleet-admin-password"

    public let port: UInt16
    public let folder: String
    /// `--heartbeat`: seconds between agent heartbeats.
    public let heartbeatSeconds: Int
    /// `--database`; nil: SQLite in the folder.
    public let database: String?
    /// `--data-dir`: the folder's `data`, or another server's to share its SQLite database.
    public let dataDirectory: String
    /// More flags of `sluice server` (limits and timeouts).
    public let arguments: [String]
    public private(set) var process: Subprocess?

    /// Picks a free port and makes the folder; starts nothing yet.
    public init(name: String, heartbeatSeconds: Int = 1, database: String? = nil, dataDirectory: String? = nil, arguments: [String] = []) throws {
        port = try Self.freePort()
        folder = NSTemporaryDirectory() + "sluice-server-\(name)-\(getpid())-\(port)"
        self.heartbeatSeconds = heartbeatSeconds
        self.database = database
        self.dataDirectory = dataDirectory ?? folder + "/data"
        self.arguments = arguments
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        try Self.adminPassword.write(toFile: folder + "/admin-password", atomically: true, encoding: .utf8)
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: folder)
    }

    public var url: String { "http://127.0.0.1:\(port)" }
    public var logPath: String { folder + "/server.log" }
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Starts the server and waits until it answers `/readyz` (its database is open and migrated).
    public func start() async throws {
        let arguments =
            [
                "server", "--listen", "127.0.0.1:\(port)", "--data-dir", dataDirectory, "--allow-insecure-http",
                "--admin-password-file", folder + "/admin-password", "--heartbeat", String(heartbeatSeconds), "--log-level", "info",
            ] + (database.map { ["--database", $0] } ?? []) + arguments
        let process = try Subprocess(BuildProducts.path(of: "sluice"), arguments, output: .file(logPath), error: .file(logPath))
        self.process = process
        let readiness = try ServerConnection(server: url, credential: nil, userAgent: "sluice-tests", sharing: .shared).client(timeout: .seconds(2))
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let ended = process.wait(seconds: 0) {
                throw SandboxError("the server exited (\(ended)) at start; log:\n\(self.log)")
            }
            if case .ok? = try? await readiness.readyz() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw SandboxError("the server did not answer /readyz within 60 s; log:\n\(self.log)")
    }

    /// SIGKILL: no graceful shutdown, as in a crash or an OOM kill.
    public func kill() {
        guard let process else { return }
        process.kill()
        process.wait()
        self.process = nil
    }

    /// A port nothing listens on now: bound to port 0 and released.
    public static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SandboxError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw SandboxError("bind: \(String(cString: strerror(errno)))") }
        return UInt16(bigEndian: address.sin_port)
    }
}
