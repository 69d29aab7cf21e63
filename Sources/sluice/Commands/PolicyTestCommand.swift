import ArgumentParser
import Foundation
import SluiceAPI
import SluiceAgent
import SluiceCore
import SluiceKernel

/// `sluice policy test`: what these policy files would have done to recorded traffic, from the
/// server's stored decisions or (`--local`) this node's agent's recent ones.
struct PolicyTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Replay recorded decisions under these policy files: what would be denied, allowed, alerted that was not.",
        discussion: """
            The files replace the policies of the same name (others stay), merged per node as a push \
            would deploy them, and each recorded decision is decided again under the policies in \
            force and under the result. Decisions the policies in force do not reproduce (node-local \
            policies, learned rules, executables matched by inode) are reported as unknown.
            Exit status: 0 nothing that passed would be denied; 1 the test could not run; 2 the \
            change would deny traffic that passed; 3 nothing newly denied in what was replayed, but \
            the replay was incomplete (time budget or event limit).
            """)

    @Argument(help: ArgumentHelp("Candidate policy files or folders.", valueName: "file"))
    var files: [String]

    @OptionGroup var replay: ReplayOptions

    @Option(help: ArgumentHelp("Deploy to nodes with these labels only, as push --nodes: key=value,…", valueName: "labels"))
    var nodes: String?

    @Flag(help: "Replay this node's agent's recent decisions under its applied policy, not the server's.")
    var local = false

    @Option(name: .shortAndLong, help: "table or json.")
    var output: EventsCommand.Output = .table

    @OptionGroup var server: ServerOptions
    @OptionGroup var state: StateOptions

    func validate() throws {
        if local && nodes != nil { throw ValidationError("--nodes selects server nodes; --local tests this node only") }
        if local && server.server != nil { throw ValidationError("--local reads this node's agent; leave out --server") }
    }

    func run() async throws {
        let paths = CommandArguments.policyFiles(files)
        let report = local ? try await testLocally(paths) : try await testOnServer(paths)
        try report.show(output)
        if report.deniesAllowedTraffic { throw ExitCode(2) }
        if report.incomplete != nil { throw ExitCode(3) }
    }

    private func testOnServer(_ paths: [String]) async throws -> ReplayReport {
        let documents = try paths.map { try PolicyFileReader.read($0).get() }
        let selector = try nodes.map { try CommandArguments.labels([$0], option: "--nodes") }
        let request = Components.Schemas.PolicyTestRequest(
            documents: documents, fileNames: paths, nodeSelector: selector.map { .init(additionalProperties: $0) }, since: replay.since,
            limit: replay.limit, budgetSeconds: replay.budget)
        let wire = try await server.with { connection in
            try await connection.call(timeout: replay.timeout) { client in
                try await client.testPolicies(body: .json(request)).ok.body.json
            }
        }
        return try ReplayReport(wire: wire)
    }

    private func testLocally(_ paths: [String]) async throws -> ReplayReport {
        let layout = try state.layout()
        let applied = PolicyLoader.check(sources: try layout.appliedPolicySources().map { (file: $0.file, text: $0.text) })
        let candidate = PolicyLoader.check(files: paths)
        for result in [applied, candidate] where result.hasErrors {
            throw CommandFailure.invalidPolicy(PolicyValidationError(result.diagnostics))
        }
        let policies = PolicyReplay.NodePolicies(
            current: applied.policySet, candidate: applied.policySet.replacing(with: candidate.policySet.policies))
        let cutoff = ReplaySince.nanoseconds(replay.since, now: Int64(Date().timeIntervalSince1970 * 1e9))!
        let limit = replay.limit ?? 1_000_000
        var events: [DecisionEvent] = []
        let history = DecisionHistory.segments(in: layout.historyDirectory).isEmpty
            ? nil : try DecisionHistory.read(directory: layout.historyDirectory, sinceNanoseconds: cutoff, limit: limit)
        if let history {
            events = history.events
        } else {
            let client = AgentClient(layout: layout)
            for try await lines in try await client.lines("/v1/events?follow=false&kind=decision&recent=\(limit)") {
                for line in lines {
                    if case .event(let event)? = try? EventStreamLine(jsonLine: line), event.timeNanoseconds >= cutoff { events.append(event) }
                }
            }
        }
        var report = try PolicyReplay.run(
            events: events, policies: { _ in policies }, limits: .init(budget: .seconds(replay.budget ?? 30)),
            mounts: [(try? CgroupFS.discover().mount.mountPoint)].compactMap { $0 })
        if let history {
            report.notes.append("\(events.count) decisions since \(replay.since) from the agent's history in \(layout.historyDirectory) (its oldest are dropped beyond --history-size)")
            if history.unreadable > 0 { report.notes.append("\(history.unreadable) lines of the history could not be read and were skipped") }
        } else {
            report.notes.append(
                "the agent keeps no history here (--history-size 0, or it has written none yet): its \(events.count) most recent decisions in memory since \(replay.since) were replayed; the server keeps the history")
        }
        return report
    }
}
