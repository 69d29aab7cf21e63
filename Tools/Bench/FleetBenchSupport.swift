import AsyncHTTPClient
import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceServer
import SluiceTestSupport

/// What the fleet benchmarks share: open-file limits, a process's memory, enrolling many
/// simulated agents.
enum FleetBench {
    /// Raises this process's soft limit of open files toward `wanted` (up to the hard limit);
    /// a server started afterwards inherits it. Returns the limit in force.
    @discardableResult
    static func raiseOpenFiles(to wanted: Int) -> Int {
        OpenFileLimit.raise(to: wanted).after
    }

    /// A field of `/proc/<pid>/status` in KiB: `VmRSS` (resident now) or `VmHWM` (peak resident).
    static func memoryKiB(pid: Int32, _ field: String) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
            let value = Int(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ")[0])
        else { throw SandboxError("no \(field) in /proc/\(pid)/status") }
        return value
    }

    /// CPU seconds (user and system) the process `pid` has used so far.
    static func cpuSeconds(pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // The fields after the command name, which is in parentheses and may hold spaces.
        guard let close = stat.lastIndex(of: ")") else { throw SandboxError("no command name in /proc/\(pid)/stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw SandboxError("no CPU times in /proc/\(pid)/stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func serverPID(_ server: ServerProcess) throws -> Int32 {
        guard let process = server.process else { throw SandboxError("the server is not running") }
        return process.pid
    }

    /// A started `sluice server` (database `sqlite`, a temporary file, or a postgres:// URL) with
    /// `agents` simulated agents named `name-0`, `name-1`, … enrolled. Every agent connects from
    /// 127.0.0.1: the per-address cap holds the fleet and `viewers` more clients.
    static func start(
        _ name: String, options: ServerBenchOptions, viewers: Int = 0, serverArguments: [String] = []
    ) async throws -> (server: ServerProcess, admin: FleetAdmin, client: HTTPClient, fleet: [SimulatedAgent]) {
        // Every simulated agent and viewer connects from 127.0.0.1: the per-address cap must hold them.
        let server = try ServerProcess(
            name: "bench-\(name)", heartbeatSeconds: 10, database: options.serverDatabase,
            arguments: ["--max-connections-per-address", String((options.agents + viewers) * 3 + 64)] + serverArguments)
        try await server.start()
        let admin = try await FleetAdmin.login(server)
        let client = SimulatedAgent.makeHTTPClient(connections: options.agents * 2 + 8)
        let fleet = (0..<options.agents).map { SimulatedAgent(server: server.url, name: "\(name)-\($0)", client: client) }
        try await enroll(fleet, joinToken: try await admin.joinToken(name: "bench"))
        return (server, admin, client, fleet)
    }

    /// Enrolls every agent, `concurrency` at a time.
    static func enroll(_ agents: [SimulatedAgent], joinToken: String, concurrency: Int = 32) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, agent) in agents.enumerated() {
                if index >= concurrency { try await group.next() }
                group.addTask { try await agent.enroll(joinToken: joinToken) }
            }
            try await group.waitForAll()
        }
    }

    /// Polls `condition` every `interval` for up to `seconds`.
    static func waitUntil(
        _ what: String, seconds: Double = 120, interval: Duration = .milliseconds(5), _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: interval)
        }
        throw SandboxError("timed out after \(seconds) s waiting for \(what)")
    }
}

extension Duration {
    var milliseconds: Double { seconds * 1000 }
}
