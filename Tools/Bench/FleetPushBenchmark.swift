import ArgumentParser
import Foundation
import SluiceServer
import SluiceTestSupport

/// Policy push to applied on N simulated agents, and the server's memory with them connected.
///
/// A real `sluice server` process (SQLite in a temporary folder unless `--database`); N
/// `SimulatedAgent`s in this process enroll, heartbeat and long-poll over the real protocol.
/// Each round pushes a new version through the admin API; an agent's sample is the time from
/// sending the push until it has received the new revision (a simulated agent has no kernel:
/// receiving the bundle is applying it).
struct FleetPushBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fleet-push", abstract: "Policy push to applied on N simulated agents.")

    @Option(help: "Simulated agents.")
    var agents: Int = 1000

    @Option(help: "Pushes, one after the other.")
    var rounds: Int = 5

    @Option(help: ArgumentHelp("postgres://… for PostgreSQL (default: SQLite in a temporary folder).", valueName: "url"))
    var database: String?

    func validate() throws {
        guard agents >= 1, rounds >= 1 else { throw ValidationError("--agents and --rounds must be at least 1") }
    }

    func run() async throws {
        // Each agent holds a long poll and sometimes a heartbeat: two sockets here, two in the server.
        let openFiles = FleetBench.raiseOpenFiles(to: agents * 3 + 512)
        // Every simulated agent connects from 127.0.0.1: the per-address cap must hold the fleet.
        let server = try ServerProcess(
            name: "bench-push", heartbeatSeconds: 10, database: database, arguments: ["--max-connections-per-address", String(agents * 3 + 64)])
        defer { server.kill() }
        try await server.start()
        let pid = try FleetBench.serverPID(server)
        let admin = try await FleetAdmin.login(server)
        let token = try await admin.joinToken(name: "bench")
        let idleKiB = try FleetBench.memoryKiB(pid: pid, "VmRSS")

        let client = SimulatedAgent.makeHTTPClient(connections: agents * 2 + 64)
        let fleet = (0..<agents).map { SimulatedAgent(server: server.url, name: "sim-\($0)", client: client) }
        let enrollStart = ContinuousClock.now
        try await FleetBench.enroll(fleet, joinToken: token)
        let enrollTime = ContinuousClock.now - enrollStart
        let running = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for agent in fleet { group.addTask { try await agent.run(heartbeatSeconds: 10, wait: 60) } }
                try await group.waitForAll()
            }
        }
        defer { running.cancel() }
        let parked = { @Sendable in try await admin.metric("sluice_server_policy_pollers") == Double(agents) }
        try await FleetBench.waitUntil("\(agents) agents long-polling", interval: .milliseconds(50), parked)
        let connectedKiB = try FleetBench.memoryKiB(pid: pid, "VmRSS")

        var samples: [Double] = []
        var lastAgent: [Double] = []
        for round in 1...rounds {
            let pushed = ContinuousClock.now
            let change = try await admin.push([Self.policy(round)], message: "bench round \(round)")
            try await FleetBench.waitUntil("round \(round) applied on every agent") {
                fleet.allSatisfy { ($0.applied?.revision ?? 0) >= change.revision }
            }
            let latencies = fleet.map { ($0.applied!.at - pushed).milliseconds }
            samples += latencies
            lastAgent.append(latencies.max() ?? .nan)
            try await FleetBench.waitUntil("every agent long-polling again", interval: .milliseconds(50), parked)
        }
        let afterKiB = try FleetBench.memoryKiB(pid: pid, "VmRSS")
        let peakKiB = try FleetBench.memoryKiB(pid: pid, "VmHWM")
        running.cancel()
        _ = try? await running.value
        try? await client.shutdown()

        let sample = Sample(values: samples)
        let backend = database == nil ? "SQLite" : "PostgreSQL"
        print("\n## Policy push to applied on \(agents) simulated agents (\(backend), \(rounds) pushes)\n")
        print("| agents | pushes | samples | p50 | p99 | max | slowest agent per push (median) |")
        print("|---|---|---|---|---|---|---|")
        print(
            "| \(agents) | \(rounds) | \(samples.count) | \(format(sample.median)) ms | \(format(sample.quantile(0.99))) ms | \(format(sample.maximum)) ms | \(format(Sample(values: lastAgent).median)) ms |"
        )
        print("\n## Server memory (\(backend))\n")
        print("| state | VmRSS |")
        print("|---|---|")
        print("| started, no nodes | \(format(Double(idleKiB) / 1024)) MiB |")
        print("| \(agents) nodes enrolled and long-polling | \(format(Double(connectedKiB) / 1024)) MiB |")
        print("| after \(rounds) pushes | \(format(Double(afterKiB) / 1024)) MiB (peak \(format(Double(peakKiB) / 1024)) MiB) |")
        print("\n(enrolling \(agents) agents took \(format(enrollTime.milliseconds / 1000, 2)) s; open-file limit \(openFiles))")
    }

    /// A different small policy each round.
    static func policy(_ round: Int) -> String {
        """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: bench-push}
        spec:
          egress:
            - {name: round-\(round), action: deny, to: ["10.\(round % 256).0.0/16"], ports: [443], protocol: tcp}
        """
    }
}
