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

    // Where the decisions are stored, and the simulated agents (nodes) that upload them.
    @OptionGroup var options: ServerBenchOptions
    @Option(help: "Decisions stored (all to different destinations), then replayed.") var events = 1_000_000

    func run() async throws {
        let (server, admin, client, fleet) = try await FleetBench.start("replay", options: options)
        defer {
            server.kill()
            Task { try? await client.shutdown() }
        }
        let fill = ContinuousClock.now
        let stored = try await ReportsBenchmark.upload(
            IngestBenchmark.bodies(events: events, batch: 1000, agents: fleet.map(\.name), spanSeconds: 86_400), by: fleet)
        print("stored \(stored) decisions in \(format((ContinuousClock.now - fill).milliseconds / 1000)) s (\(options.backend))")

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
        print("\n## POST /api/v1/policies/test over \(stored) stored decisions (\(options.agents) nodes, \(options.backend))\n")
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
