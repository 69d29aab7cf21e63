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

    @OptionGroup var replay: ReplayOptions

    @Option(name: .shortAndLong, help: "table or json.")
    var output: EventsCommand.Output = .table

    @OptionGroup var server: ServerOptions

    func run() async throws {
        let query = Operations.PreviewLearnedRule.Input.Query(since: replay.since, limit: replay.limit, budgetSeconds: replay.budget)
        let wire = try await server.with { [node, rule] connection in
            try await connection.call(timeout: replay.timeout) { client in
                try await client.previewLearnedRule(path: .init(node: node, rule: rule), query: query).ok.body.json
            }
        }
        try ReplayReport(wire: wire).show(output)
    }
}
