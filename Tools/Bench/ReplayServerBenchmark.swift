import ArgumentParser
import Foundation
import SluiceAPI
import SluiceCore
import SluiceTestSupport

/// What-if replay as the server runs it (issue 15): a `sluice server` process stores `--events`
/// decisions uploaded by simulated agents, then `POST /api/v1/policies/test` reads them back from
/// the database a page at a time, parses them and replays them, timed from the client.
struct ReplayServerBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-server", abstract: "Replay of stored decisions through the server's API, storage read included.")

    @Option(help: ArgumentHelp("sqlite (a temporary file) or postgres://user:pass@host:port/db[?schema=…].", valueName: "database"))
    var database: String = "sqlite"

    @Option(help: "Decisions stored, all to different destinations, then replayed.")
    var events: Int = 1_000_000

    @Option(help: "Simulated agents (nodes) uploading them.")
    var agents: Int = 4

    func run() async throws {
        let server = try ServerProcess(
            name: "bench-replay", heartbeatSeconds: 10, database: database == "sqlite" ? nil : database,
            arguments: ["--max-connections-per-address", String(agents * 3 + 64)])
        defer { server.kill() }
        try await server.start()
        let admin = try await FleetAdmin.login(server)
        let client = SimulatedAgent.makeHTTPClient(connections: agents * 2 + 8)
        defer { Task { try? await client.shutdown() } }
        let fleet = (0..<agents).map { SimulatedAgent(server: server.url, name: "replay-\($0)", client: client) }
        try await FleetBench.enroll(fleet, joinToken: try await admin.joinToken(name: "bench"))
        let fill = ContinuousClock.now
        let stored = try await ReportsBenchmark.upload(
            IngestBenchmark.bodies(events: events, batch: 1000, agents: fleet.map(\.name), spanSeconds: 86_400), by: fleet)
        print("stored \(stored) decisions in \(format((ContinuousClock.now - fill).milliseconds / 1000)) s (\(database))")

        // curl may reach HTTPS in 10.0.0.0/8 only: most of its stored traffic would be denied.
        let candidate = """
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: curl-lockdown}
            spec:
              subjects: [{executable: /usr/bin/curl}]
              default: deny
              egress:
                - {name: https, action: allow, to: ["10.0.0.0/8"], ports: [443]}
            """
        print("\n## POST /api/v1/policies/test over \(stored) stored decisions (\(agents) nodes, \(database))\n")
        print("| run | seconds | replayed | newly denied | unknown | incomplete |")
        print("|---|---|---|---|---|---|")
        for run in 1...2 {
            let started = ContinuousClock.now
            let report = try await admin.client.testPolicies(
                body: .json(.init(documents: [candidate], since: "2d", limit: events, budgetSeconds: 300))
            ).ok.body.json
            let seconds = (ContinuousClock.now - started).milliseconds / 1000
            print("| \(run) | \(format(seconds, 2)) | \(report.events) | \(report.newlyDenied) | \(report.unknown) | \(report.incomplete ?? "") |")
        }
    }
}
