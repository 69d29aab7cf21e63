import ArgumentParser
import Foundation
import SluiceAgent
import SluiceCore

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Show the running agent's decisions: the recent ones, or follow them live.",
        discussion: """
            JSON output is one object per line (fields: \(DecisionEvent.jsonFieldNames.joined(separator: ", ")); \
            the last three only when the agent scored the event). If this reader falls behind, the agent \
            drops events for it and says how many on stderr.
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

    @Option(help: ArgumentHelp("Only this executable path.", valueName: "path"))
    var exe: String?

    @Option(help: ArgumentHelp("Only this cgroup and those below it.", valueName: "path"))
    var cgroup: String?

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
        for value in verdict.flatMap({ $0.split(separator: ",") }) where RuleAction(rawValue: String(value)) == nil {
            throw ValidationError("--verdict must be allow, alert or deny, not \(value)")
        }
    }

    func run() async throws {
        var query = [URLQueryItem(name: "follow", value: follow ? "true" : "false")]
        let verdicts = verdict.flatMap { $0.split(separator: ",") }.joined(separator: ",")
        if !verdicts.isEmpty { query.append(URLQueryItem(name: "verdict", value: verdicts)) }
        if let exe { query.append(URLQueryItem(name: "exe", value: exe)) }
        if let cgroup { query.append(URLQueryItem(name: "cgroup", value: cgroup)) }
        if let recent { query.append(URLQueryItem(name: "recent", value: String(recent))) }
        var components = URLComponents()
        let fromServer = fleet || server.server != nil
        components.path = fromServer ? "/api/v1/events\(follow ? "/stream" : "")" : "/v1/events"
        if fromServer {
            query.removeAll { $0.name == "follow" || $0.name == "recent" }
            if let node { query.append(URLQueryItem(name: "node", value: node)) }
            if !follow { query.append(URLQueryItem(name: "limit", value: String(recent ?? 100))) }
        }
        components.queryItems = query

        if output == .table { Terminal.writeLine(Terminal.paint(EventTable.header, .bold)) }
        let stream = fromServer
            ? try await server.client().lines(components.string ?? "/api/v1/events")
            : try await AgentClient(layout: try state.layout()).lines(components.string ?? "/v1/events")
        for try await lines in stream {
            var block = ""
            for line in lines {
                switch try? EventStreamLine(jsonLine: line) {
                case .notice(.dropped(let count))?:
                    Terminal.printError("sluice: this reader fell behind; \(count) events were dropped for it")
                case .notice(.keepalive)?:
                    continue
                case .event(let event)?:
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
