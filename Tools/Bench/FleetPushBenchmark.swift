import ArgumentParser
import Foundation
import NIOPosix
import SluiceServer
import SluiceTestSupport

/// Policy push to applied on N simulated agents, and the server's memory with them connected.
///
/// Real `sluice server` processes (SQLite in a temporary folder unless `--database`; with
/// `--replicas`, several sharing one PostgreSQL database); N `SimulatedAgent`s in this process
/// enroll, heartbeat and watch the policy (`--long-poll`: long-poll it) over the real protocol,
/// spread over the replicas in turn as a
/// load balancer would. Each round pushes a new version through the first replica's admin API, so
/// the other replicas learn of it through the database; an agent's sample is the time from sending
/// the push until it has received the new revision (a simulated agent has no kernel: receiving the
/// bundle is applying it).
struct FleetPushBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fleet-push", abstract: "Policy push to applied on N simulated agents.")

    @Option(help: "Simulated agents.")
    var agents: Int = 1000

    @Option(help: "Pushes, one after the other.")
    var rounds: Int = 5

    @Option(help: ArgumentHelp("postgres://… for PostgreSQL (default: SQLite in a temporary folder).", valueName: "url"))
    var database: String?

    @Option(help: "Server processes sharing the database (more than one needs --database postgres://…).")
    var replicas: Int = 1

    @Option(help: "Seconds between heartbeats (the servers' --heartbeat): a large fleet's servers are set to a longer interval.")
    var heartbeat: Int = 10

    @Flag(help: "Agents long-poll the policy (as agents before the policy watch did) instead of watching it.")
    var longPoll = false

    @Option(help: "Rules in the pushed policy (a larger bundle for every agent).")
    var rules: Int = 1

    func validate() throws {
        guard agents >= 1, rounds >= 1 else { throw ValidationError("--agents and --rounds must be at least 1") }
        guard replicas >= 1 else { throw ValidationError("--replicas must be at least 1") }
        guard heartbeat >= 1 else { throw ValidationError("--heartbeat must be at least 1 second") }
        guard (1...60_000).contains(rules) else { throw ValidationError("--rules must be from 1 to 60000") }
        if replicas > 1, database?.hasPrefix("postgres") != true {
            throw ValidationError("--replicas \(replicas) needs --database postgres://…: SQLite serves one replica")
        }
    }

    func run() async throws {
        // Each agent holds a watch (or a long poll); heartbeats share a few more connections (a second one per
        // agent, kept idle, would pass a 20,000-file limit at 10,000 agents).
        let openFiles = FleetBench.raiseOpenFiles(to: agents * 3 + 512)
        // Every simulated agent connects from 127.0.0.1: the per-address cap must hold the fleet.
        let servers = try (0..<replicas).map { replica in
            try ServerProcess(
                name: "bench-push-\(replica)", heartbeatSeconds: heartbeat, database: database,
                arguments: ["--max-connections-per-address", String(agents * 3 + 64)])
        }
        defer { servers.forEach { $0.kill() } }
        // One after the other: the first applies the migrations, the others find them applied.
        for server in servers { try await server.start() }
        let pids = try servers.map(FleetBench.serverPID)
        var admins: [FleetAdmin] = []
        for server in servers { admins.append(try await FleetAdmin.login(server)) }
        let admin = admins[0]
        let token = try await admin.joinToken(name: "bench")
        let idleKiB = try pids.map { try FleetBench.memoryKiB(pid: $0, "VmRSS") }

        // A heartbeat's connection is closed a few seconds after it, not kept beside the poll's.
        // A client per `agentsPerClient` agents: a client looks for an idle connection in its
        // pool one by one, and one pool of 10,000 connections made that search the bench's
        // largest cost, paid at every request (the agents' requests, not the servers' answers).
        // Event loops of their own, one per `agentsPerLoop` agents: a loop keeps a timer per
        // request in flight (its deadline), and cancelling one when its answer comes searches the
        // loop's timers one by one. On the process's two shared loops, 10,000 parked polls made
        // those searches a tenth of the two cores at every push.
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: max(2, agents / Self.agentsPerLoop))
        let clients = (0..<(agents + Self.agentsPerClient - 1) / Self.agentsPerClient).map { _ in
            SimulatedAgent.makeHTTPClient(connections: Self.agentsPerClient + 64, idleTimeout: .seconds(5), eventLoopGroup: loops)
        }
        let fleet = (0..<agents).map {
            SimulatedAgent(server: servers[$0 % replicas].url, name: "sim-\($0)", client: clients[$0 / Self.agentsPerClient])
        }
        let enrollStart = ContinuousClock.now
        try await FleetBench.enroll(fleet, joinToken: token)
        let enrollTime = ContinuousClock.now - enrollStart
        let interval = heartbeat
        let watching = !longPoll
        let running = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Heartbeats spread over the interval, as a fleet's are: started at one instant,
                // each agent's heartbeat beside its poll would hold two connections per agent and
                // pass the bench's 20,000 open files at 10,000 agents.
                for (index, agent) in fleet.enumerated() {
                    let offset = Duration.milliseconds(Int64(index) * Int64(interval) * 1000 / Int64(fleet.count))
                    group.addTask { try await agent.run(heartbeatSeconds: interval, wait: 60, firstHeartbeat: offset, watching: watching) }
                }
                try await group.waitForAll()
            }
        }
        defer { running.cancel() }
        let replicaAdmins = admins
        let parked = { @Sendable () async throws -> Bool in
            var waiting = 0.0
            for replica in replicaAdmins { waiting += try await replica.metric("sluice_server_policy_pollers") ?? 0 }
            // Each poll (and each watch, at a keepalive) ends its wait and waits again, so at any
            // instant a few of thousands of agents are between waits: 99 % parked is the fleet
            // waiting (an agent between polls at a push gets the revision from its next poll, and
            // its sample says so).
            return waiting >= (Double(agents) * 0.99).rounded(.down)
        }
        try await FleetBench.waitUntil("\(agents) agents waiting for a revision", seconds: 600, interval: .milliseconds(50), parked)
        let connectedKiB = try pids.map { try FleetBench.memoryKiB(pid: $0, "VmRSS") }
        let cpuBefore = try pids.map(FleetBench.cpuSeconds)

        var samples: [Double] = []
        var lastAgent: [Double] = []
        for round in 1...rounds {
            let pushed = ContinuousClock.now
            let change = try await admin.push([Self.policy(round, rules: rules)], message: "bench round \(round)")
            // Each agent notes when it received the revision; this only waits for the last (a
            // check reads every agent, so not more often than needed).
            try await FleetBench.waitUntil("round \(round) applied on every agent", seconds: 300, interval: .milliseconds(50)) {
                fleet.allSatisfy { ($0.applied?.revision ?? 0) >= change.revision }
            }
            let latencies = fleet.map { ($0.applied!.at - pushed).milliseconds }
            samples += latencies
            lastAgent.append(latencies.max() ?? .nan)
            try await FleetBench.waitUntil("every agent waiting again", seconds: 300, interval: .milliseconds(50), parked)
        }
        let afterKiB = try pids.map { try FleetBench.memoryKiB(pid: $0, "VmRSS") }
        let cpuUsed = try zip(pids, cpuBefore).map { try FleetBench.cpuSeconds(pid: $0) - $1 }
        let peakKiB = try pids.map { try FleetBench.memoryKiB(pid: $0, "VmHWM") }
        running.cancel()
        _ = try? await running.value
        for client in clients { try? await client.shutdown() }
        try? await loops.shutdownGracefully()

        let sample = Sample(values: samples)
        let backend =
            (database == nil ? "SQLite" : "PostgreSQL") + (replicas > 1 ? ", \(replicas) replicas" : "") + ", heartbeats every \(heartbeat) s"
            + (longPoll ? ", long polls" : ", policy watches") + (rules > 1 ? ", \(rules) rules" : "")
        print("\n## Policy push to applied on \(agents) simulated agents (\(backend), \(rounds) pushes)\n")
        print("| agents | replicas | pushes | samples | p50 | p99 | max | slowest agent per push (median) |")
        print("|---|---|---|---|---|---|---|---|")
        print(
            "| \(agents) | \(replicas) | \(rounds) | \(samples.count) | \(format(sample.median)) ms | \(format(sample.quantile(0.99))) ms | \(format(sample.maximum)) ms | \(format(Sample(values: lastAgent).median)) ms |"
        )
        print("\n## Server memory (\(backend)), VmRSS per replica\n")
        print("| state | VmRSS |")
        print("|---|---|")
        func mebibytes(_ kib: [Int]) -> String { kib.map { "\(format(Double($0) / 1024)) MiB" }.joined(separator: " / ") }
        print("| started, no nodes | \(mebibytes(idleKiB)) |")
        print("| \(agents) nodes enrolled and waiting for a revision | \(mebibytes(connectedKiB)) |")
        print("| after \(rounds) pushes | \(mebibytes(afterKiB)) (peak \(mebibytes(peakKiB))) |")
        let perPush = cpuUsed.map { "\(format($0 / Double(rounds), 2)) s" }.joined(separator: " / ")
        print("\nCPU per push, per replica (user and system, pushes and the heartbeats meanwhile): \(perPush)")
        print("\n(enrolling \(agents) agents took \(format(enrollTime.milliseconds / 1000, 2)) s; open-file limit \(openFiles))")
    }

    static let agentsPerClient = 500
    static let agentsPerLoop = 1000

    /// A different policy each round, of `rules` rules.
    static func policy(_ round: Int, rules: Int = 1) -> String {
        let egress = (0..<rules).map { rule in
            "    - {name: round-\(round)-\(rule), action: deny, to: [\"10.\(round % 256).\(rule / 256 % 256).\(rule % 256)/32\"], ports: [443], protocol: tcp}"
        }
        return """
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: bench-push}
            spec:
              egress:
            \(egress.joined(separator: "\n"))
            """
    }
}
