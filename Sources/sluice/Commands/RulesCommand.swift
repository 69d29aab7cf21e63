import ArgumentParser
import Foundation
import SluiceAgent
import SluiceCore

struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Review the rules the agent learned from anomalies.",
        discussion: """
            approve makes a rule permanent policy (a policy file in the agent's policy folder); reject \
            removes it and teaches the baseline that its traffic is normal; revoke withdraws an installed \
            or approved rule now.
            """,
        subcommands: [List.self, Show.self, Verdict.Approve.self, Verdict.Reject.self, Verdict.Revoke.self, RulePreviewCommand.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List learned rules, newest first.")

        @Option(help: "Only rules in this state: proposed, installed, approved, rejected, revoked, expired.")
        var state: String?

        @Flag(help: "Only rules that never matched a connection.")
        var neverFired = false

        @Option(name: .shortAndLong, help: "table or json.")
        var output: EventsCommand.Output = .table

        @OptionGroup var options: StateOptions

        func run() async throws {
            let client = AgentClient(layout: try options.layout())
            let path = "/v1/rules" + (state.map { "?state=\($0)" } ?? "")
            var rules = try client.decode([LearnedRule].self, from: try await client.get(path))
            if neverFired { rules = rules.filter { $0.hits == 0 } }
            if output == .json {
                print(String(decoding: try FleetJSON.encoder().encode(rules), as: UTF8.self))
                return
            }
            guard !rules.isEmpty else {
                print("no learned rules\(state.map { " in state \($0)" } ?? "")")
                return
            }
            print(Terminal.paint([Terminal.fit("ID", 11), Terminal.fit("STATE", 9), Terminal.fit("ACTION", 6), Terminal.fit("SUBJECT", 34), Terminal.fit("DESTINATION", 26), Terminal.fit("SCORE", 6), Terminal.fit("HITS", 5), "WHY"].joined(separator: " "), .bold))
            for rule in rules {
                print([
                    Terminal.fit(rule.id, 11), Terminal.fit(rule.state.rawValue, 9), Terminal.fit(rule.action.rawValue, 6),
                    Terminal.fit(rule.subject?.description ?? "-", 34, keepEnd: true),
                    Terminal.fit("\(rule.destination):\(rule.port)/\(rule.transport)", 26),
                    Terminal.fit(String(Int(rule.score.rounded())), 6), Terminal.fit(String(rule.hits), 5),
                    rule.note.map { "not installed: \($0)" } ?? rule.reasons.first ?? "",
                ].joined(separator: " "))
            }
            let silent = rules.filter { $0.hits == 0 && [.installed, .approved].contains($0.state) }.count
            if silent > 0 { print("\(silent) rule\(silent == 1 ? "" : "s") in force never fired") }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One learned rule in full.")

        @Argument(help: "The rule's id (lr-…).")
        var id: String

        @OptionGroup var options: StateOptions

        func run() async throws {
            let client = AgentClient(layout: try options.layout())
            let rule = try client.decode(LearnedRule.self, from: try await client.get("/v1/rules/\(id)"))
            print(RulesText.describe(rule))
        }
    }

    enum Verdict {
        struct Approve: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "approve", abstract: "Make a learned rule permanent policy.")
            @Argument var id: String
            @OptionGroup var options: StateOptions
            func run() async throws { try await Verdict.send("approve", id, options) }
        }

        struct Reject: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "reject", abstract: "Remove a learned rule; its traffic is normal.")
            @Argument var id: String
            @OptionGroup var options: StateOptions
            func run() async throws { try await Verdict.send("reject", id, options) }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Withdraw an installed or approved rule now.")
            @Argument var id: String
            @OptionGroup var options: StateOptions
            func run() async throws { try await Verdict.send("revoke", id, options) }
        }

        struct Result: Decodable {
            var rule: LearnedRule
            var message: String
        }

        static func send(_ verb: String, _ id: String, _ options: StateOptions) async throws {
            let client = AgentClient(layout: try options.layout())
            let person = ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "root"
            let query = verb == "approve" ? "?by=\(person.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "root")" : ""
            let result = try client.decode(Result.self, from: try await client.post("/v1/rules/\(id)/\(verb)\(query)", json: [String: String]()))
            print("\(result.rule.id): \(result.rule.state.rawValue); \(result.message)")
        }
    }
}

enum RulesText {
    static func describe(_ rule: LearnedRule) -> String {
        var lines = [
            "rule         \(rule.id) (\(rule.state.rawValue))",
            "action       \(rule.action.rawValue) \(rule.destination) port \(rule.port)/\(rule.transport)",
            "subject      \(rule.subject?.description ?? "-")",
            "score        \(String(format: "%.1f", rule.score)) bits (threshold \(String(format: "%.1f", rule.threshold)))",
            "learned      \(RFC3339.format(rule.created))",
            "expires      \(RFC3339.format(rule.expires))",
            "evidence     \(rule.evidence) anomalous connection\(rule.evidence == 1 ? "" : "s")",
            "hits         \(rule.hits)\(rule.lastHit.map { ", last at \(RFC3339.format($0))" } ?? "")",
        ]
        if let note = rule.note { lines.append("not in force \(note)") }
        if let file = rule.policyFile { lines.append("policy file  \(file)") }
        lines.append("why")
        lines += rule.reasons.map { "  \($0)" }
        return lines.joined(separator: "\n")
    }
}
