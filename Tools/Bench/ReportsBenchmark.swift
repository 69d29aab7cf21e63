import ArgumentParser
import Foundation
import SluiceAPI
import SluiceCore
import SluiceTestSupport

/// Reports while the fleet uploads: a `sluice server` process is filled with `--events` events
/// spread over `--days`, then agents upload more while `--readers` viewers ask for the console's
/// month-long reports without pause. Prints ingest with and without the readers, and how long each
/// report takes at the stored size.
struct ReportsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reports", abstract: "Report latency at size, and ingest while viewers read.")

    @OptionGroup var options: ServerBenchOptions

    @Option(help: "Events stored before the reports are timed.")
    var events: Int = 1_000_000

    @Option(help: "Distinct destinations (address and port) the events go to.")
    var destinations: Int = 20_000

    @Option(help: "Days the stored events span.")
    var days: Int = 30

    @Option(help: "Events uploaded in each timed ingest run (without, then with readers).")
    var ingest: Int = 200_000

    @Option(help: "Viewers asking for reports at once during the second ingest run.")
    var readers: Int = 8

    @Option(help: "Events per upload while filling (at most 5000): fewer, larger batches fill a large database sooner, through the same ingest.")
    var fillBatch: Int = 1000

    /// Events generated and uploaded at a time while filling, so that ten million never sit in memory at once.
    static let fillPart = 1_000_000

    func validate() throws {
        guard (1...EventUpload.maximumEvents).contains(fillBatch) else { throw ValidationError("--fill-batch must be 1 to \(EventUpload.maximumEvents)") }
    }

    func run() async throws {
        let (server, admin, client, fleet) = try await FleetBench.start("reports", options: options, viewers: readers)
        defer {
            server.kill()
            Task { try? await client.shutdown() }
        }

        let span = Int64(days) * 86_400
        let fill = ContinuousClock.now
        let parts = (events + Self.fillPart - 1) / Self.fillPart
        for part in 0..<parts {
            let first = part * Self.fillPart
            let bodies = IngestBenchmark.bodies(
                events: min(Self.fillPart, events - first), batch: fillBatch, agents: fleet.map(\.name), destinations: destinations, spanSeconds: span,
                first: first, of: events)
            // Every part's batches take sequence numbers of their own.
            _ = try await Self.upload(bodies, by: fleet, firstSequence: part * 100_000)
        }
        print("stored \(events) events over \(days) days in \(format((ContinuousClock.now - fill).milliseconds / 1000)) s")

        print("\n## Reports over \(days) days at \(events) stored events (\(destinations) destinations)\n")
        print("| report | ms (first) | ms (again) |")
        print("|---|---|---|")
        for report in Report.allCases {
            let first = try await report.time(admin.client, days: days)
            let again = try await report.time(admin.client, days: days)
            print("| \(report.rawValue) | \(format(first)) | \(format(again)) |")
        }

        print("\n## Ingest while viewers read\n")
        print("| readers | events | seconds | events/s | reports answered | refused (503) or failed |")
        print("|---|---|---|---|---|---|")
        for (round, viewers) in [0, readers].enumerated() {
            let bodies = IngestBenchmark.bodies(events: ingest, batch: 1000, agents: fleet.map(\.name), destinations: destinations)
            let reading = ReadLoad(viewers: viewers, client: admin.client, days: days)
            let started = ContinuousClock.now
            let stored = try await Self.upload(bodies, by: fleet, firstSequence: (parts + round) * 100_000)
            let seconds = (ContinuousClock.now - started).milliseconds / 1000
            let (answered, refused) = await reading.stop()
            guard stored == ingest else { throw SandboxError("stored \(stored) of \(ingest) events") }
            print("| \(viewers) | \(ingest) | \(format(seconds, 2)) | \(Int((Double(ingest) / seconds).rounded())) | \(answered) | \(refused) |")
        }
    }

    static func upload(_ bodies: [[[UInt8]]], by fleet: [SimulatedAgent], firstSequence: Int = 0) async throws -> Int {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for (agent, batches) in zip(fleet, bodies) {
                group.addTask {
                    var stored = 0
                    for (index, body) in batches.enumerated() {
                        stored += try await IngestBenchmark.upload(body, sequence: firstSequence + index, by: agent)
                    }
                    return stored
                }
            }
            return try await group.reduce(0, +)
        }
    }

    /// The console's reports over the last `days`.
    enum Report: String, CaseIterable {
        case timeline = "decisions over time (hourly)"
        case topApplications = "top applications"
        case topDestinations = "top destinations"
        case newDestinations = "new destinations per day"

        /// Milliseconds one answer took; 503s are waited out as a person would retry.
        func time(_ client: Client, days: Int) async throws -> Double {
            let started = ContinuousClock.now
            while try await !ask(client, days: days) { try await Task.sleep(for: .milliseconds(50)) }
            return (ContinuousClock.now - started).milliseconds
        }

        /// False when the server was busy (503).
        func ask(_ client: Client, days: Int) async throws -> Bool {
            let from = "\(days)d"
            do {
                switch self {
                case .timeline: _ = try await client.statsTimeline(query: .init(from: from, bucket: 3600)).ok.body.json
                case .topApplications: _ = try await client.statsTop(query: .init(by: .exe, from: from)).ok.body.json
                case .topDestinations: _ = try await client.statsTop(query: .init(by: .dst, from: from)).ok.body.json
                case .newDestinations: _ = try await client.statsNewDestinations(query: .init(from: from)).ok.body.json
                }
                return true
            } catch APIClientError.refused(let status, _, _, _) where status == 503 {
                return false
            }
        }
    }

    /// Viewers asking for every report in turn until stopped.
    final class ReadLoad: Sendable {
        private let tasks: [Task<(Int, Int), Never>]

        init(viewers: Int, client: Client, days: Int) {
            tasks = (0..<viewers).map { viewer in
                Task {
                    var answered = 0
                    var refused = 0
                    var turn = viewer
                    while !Task.isCancelled {
                        let report = Report.allCases[turn % Report.allCases.count]
                        turn += 1
                        switch try? await report.ask(client, days: days) {
                        case true?: answered += 1
                        case false?: refused += 1
                        case nil: if !Task.isCancelled { refused += 1 }
                        }
                    }
                    return (answered, refused)
                }
            }
        }

        func stop() async -> (answered: Int, refused: Int) {
            var total = (answered: 0, refused: 0)
            for task in tasks {
                task.cancel()
                let (answered, refused) = await task.value
                total.answered += answered
                total.refused += refused
            }
            return total
        }
    }
}
