import ArgumentParser
import Foundation
import SluiceAgent
import SluiceCore

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Show the running agent's decisions: the recent ones, or follow them live.",
        discussion: """
            JSON output is one object per line (fields: time, node, pid, uid, comm, exe, exe_id, cgroup, \
            cgroup_id, protocol, family, dst_ip, dst_port, verdict, enforced, policy, rule, hook, generation, \
            mapped). If this reader falls behind, the agent drops events for it and says how many on stderr.
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

    @OptionGroup var state: StateOptions

    func validate() throws {
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
        components.path = "/v1/events"
        components.queryItems = query

        let client = AgentClient(layout: try state.layout())
        if output == .table { Terminal.writeLine(Terminal.paint(EventTable.header, .bold)) }
        let decoder = JSONDecoder()
        for try await line in try await client.lines(components.string ?? "/v1/events") {
            if line.hasPrefix("{\"notice\"") {
                Terminal.printError("sluice: this reader fell behind; the agent dropped events for it: \(line)")
                continue
            }
            switch output {
            case .json:
                Terminal.writeLine(line)
            case .table:
                guard let event = try? decoder.decode(DecisionEvent.self, from: Data(line.utf8)) else { continue }
                Terminal.writeLine(EventTable.line(event))
            }
        }
    }
}
