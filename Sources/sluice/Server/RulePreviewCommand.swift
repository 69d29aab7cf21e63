import ArgumentParser
import Foundation
import SluiceAPI
import SluiceCore

/// `sluice rules preview NODE RULE`: what approving a node's learned rule would have done to that
/// node's recorded traffic, from the server's stored decisions.
struct RulePreviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Replay a node's recorded decisions as if this learned rule were approved (server; operator).",
        discussion: """
            The node's policies as it enforces them (the server's policies for its labels with the \
            learned rules it reported in force) are compared with the same once the rule is approved \
            (the policy file the agent writes in place of the learned rule). Approve it with the \
            console or POST /api/v1/rules/NODE/RULE/decision.
            """)

    @Argument(help: "The node's id (n-…).") var node: String
    @Argument(help: "The learned rule's id (lr-…).") var rule: String

    @Option(help: ArgumentHelp("Decisions since: an RFC 3339 time or a duration back from now (15m, 2h, 7d).", valueName: "when"))
    var since: String = "7d"

    @Option(help: ArgumentHelp("At most this many of the newest decisions (server default 200000).", valueName: "n"))
    var limit: Int?

    @Option(help: ArgumentHelp("Seconds the replay may take (default 30).", valueName: "seconds"))
    var budget: Int?

    @Option(name: .shortAndLong, help: "table or json.")
    var output: EventsCommand.Output = .table

    @OptionGroup var server: ServerOptions

    func validate() throws {
        if ReplaySince.nanoseconds(since, now: 0) == nil { throw ValidationError("--since must be an RFC 3339 time or a duration like 15m, 2h, 7d") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let budget, !(1...300).contains(budget) { throw ValidationError("--budget must be from 1 to 300 seconds") }
    }

    func run() async throws {
        let query = Operations.PreviewLearnedRule.Input.Query(since: since, limit: limit, budgetSeconds: budget)
        let wire = try await server.with { [node, rule] connection in
            try await connection.call(timeout: .seconds(Int64(budget ?? 30) + 60)) { client in
                try await client.previewLearnedRule(path: .init(node: node, rule: rule), query: query).ok.body.json
            }
        }
        try ReplayReport(wire: wire).show(output)
    }
}
