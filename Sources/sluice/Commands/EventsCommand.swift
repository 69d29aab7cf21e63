import ArgumentParser
import Foundation
import SluiceAPI
import SluiceAgent
import SluiceCore

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Show the running agent's decisions and flow records: the recent ones, or follow them live.",
        discussion: """
            JSON output is one object per line (fields: \(DecisionEvent.jsonFieldNames.joined(separator: ", ")); \
            `kind` is decision or flow, the flow fields come only in flow records, the last three only when \
            the agent scored the event). A flow record is a connection's bytes and packets: one when it \
            ends (final: true) and one every --flow-interval of the agent while it is open and moving. If \
            this reader falls behind, the agent drops events for it and says how many on stderr.
            """)

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Flag(name: .shortAndLong, help: "Keep streaming new decisions.")
    var follow = false

    @Option(name: .shortAndLong, help: "table (for people) or json (one object per line).")
    var output: Output = .table

    @Option(help: "Only these verdicts: allow, alert or deny (repeat or comma-separate).")
    var verdict: [String] = []

    @Option(help: ArgumentHelp("Only decisions or only flow records (decision or flow; default both).", valueName: "kind"))
    var kind: EventKind?

    @Option(help: ArgumentHelp("Only this executable path.", valueName: "path"))
    var exe: String?

    @Option(help: ArgumentHelp("Only this cgroup and those below it.", valueName: "path"))
    var cgroup: String?

    @Option(
        help: ArgumentHelp(
            "Only destinations looked up by this name: exactly, or any name under it with *.example.com (case-insensitive).",
            valueName: "pattern"))
    var domain: String?

    @Option(help: "How many recent decisions to show first (default: 100 without --follow, 0 with).")
    var recent: Int?

    @Option(help: "Only this node (with --server).")
    var node: String?

    @Flag(help: "Tail the whole fleet from the server (see `sluice login`) instead of this node's agent.")
    var fleet = false

    @OptionGroup var state: StateOptions

    @OptionGroup var server: ServerOptions

    func validate() throws {
        if node != nil && !fleet && server.server == nil {
            throw ValidationError("--node needs --fleet or --server: a node's own agent only has its own events")
        }
        if cgroup != nil && (fleet || server.server != nil) {
            throw ValidationError("--cgroup filters a node's own agent; the server's event query has no cgroup filter")
        }
        if let domain {
            do {
                _ = try DomainFilter(parsing: domain)
            } catch {
                throw ValidationError("--domain: \(error)")
            }
        }
        for value in verdict.flatMap({ $0.split(separator: ",") }) where RuleAction(verdictName: String(value)) == nil {
            throw ValidationError("--verdict must be allow, alert, rate-limited, redirected, quota or deny, not \(value)")
        }
    }

    func run() async throws {
        let verdicts = verdict.flatMap { $0.split(separator: ",") }.joined(separator: ",")
        if output == .table { Terminal.writeLine(Terminal.paint(EventTable.header, .bold)) }
        guard fleet || server.server != nil else {
            var query = [URLQueryItem(name: "follow", value: follow ? "true" : "false")]
            if !verdicts.isEmpty { query.append(URLQueryItem(name: "verdict", value: verdicts)) }
            if let kind { query.append(URLQueryItem(name: "kind", value: kind.rawValue)) }
            if let exe { query.append(URLQueryItem(name: "exe", value: exe)) }
            if let cgroup { query.append(URLQueryItem(name: "cgroup", value: cgroup)) }
            if let domain { query.append(URLQueryItem(name: "domain", value: domain)) }
            if let recent { query.append(URLQueryItem(name: "recent", value: String(recent))) }
            var components = URLComponents()
            components.path = "/v1/events"
            components.queryItems = query
            try await show(try await AgentClient(layout: try state.layout()).lines(components.string ?? "/v1/events"))
            return
        }
        let verdictFilter = verdicts.isEmpty ? nil : verdicts
        try await server.with { connection in
            // A live stream ends only when the server goes or this command is stopped.
            let kindFilter = kind?.rawValue
            let body = try await connection.call(timeout: follow ? .seconds(365 * 86_400) : .seconds(300)) { [node, exe, domain, recent] client in
                if follow {
                    try await client.streamEvents(query: .init(node: node, exe: exe, domain: domain, verdict: verdictFilter, kind: kindFilter))
                        .ok.body.applicationXNdjson
                } else {
                    try await client.queryEvents(
                        query: .init(node: node, exe: exe, domain: domain, verdict: verdictFilter, kind: kindFilter, limit: recent ?? 100)
                    ).ok.body.applicationXNdjson
                }
            }
            do {
                try await show(LineGroups(body))
            } catch {
                throw APIClientError(error, server: connection.server)
            }
        }
    }

    /// Prints each group of event lines as it arrives, and says when this reader fell behind.
    private func show<Lines: AsyncSequence>(_ groups: Lines) async throws where Lines.Element == [String] {
        for try await lines in groups {
            var block = ""
            for line in lines {
                switch try? EventStreamLine(jsonLine: line) {
                case .notice(.dropped(let count))?:
                    Terminal.printError("sluice: this reader fell behind; \(count) events were dropped for it")
                case .notice(.keepalive)?:
                    continue
                case .event(let event)?:
                    if let kind, event.kind != kind { continue }
                    block += output == .json ? line + "\n" : EventTable.line(event) + "\n"
                case nil:
                    // A line this version cannot read (a newer sender's notice): passed on as
                    // it is in JSON, where a tool may know it; left out of the table.
                    if output == .json { block += line + "\n" }
                }
            }
            Terminal.write(block)
        }
    }
}

extension EventKind: ExpressibleByArgument {}
