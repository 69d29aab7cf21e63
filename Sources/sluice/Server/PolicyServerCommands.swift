import ArgumentParser
import Foundation
import SluiceAPI
import SluiceCore

/// `sluice policy push|list|history|diff|rollback|delete|rollout` against the server.
enum PolicyServerCommands {
    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "push",
            abstract: "Push policy files to the server: validated together, one new fleet revision.",
            discussion: "Unchanged policies get no new version. --nodes targets nodes by their labels (all nodes by default).")

        @Argument(help: ArgumentHelp("Policy files or folders.", valueName: "file"))
        var files: [String]

        @Option(name: .shortAndLong, help: "Why: kept in the history.")
        var message: String?

        @Option(help: ArgumentHelp("Only nodes with these labels: key=value,… (all must match).", valueName: "labels"))
        var nodes: String?

        @Flag(help: "Wait until every node has applied the new revision or refused it; exit 1 if one refused it, 2 if one did not answer in time.")
        var wait = false

        @Option(help: ArgumentHelp("How long --wait waits (default 2m).", valueName: "duration"))
        var timeout: DurationArgument = DurationArgument(seconds: 120)

        @OptionGroup var server: ServerOptions

        func run() async throws {
            let paths = CommandArguments.policyFiles(files)
            let documents = try paths.map { try PolicyFileReader.read($0).get() }
            let selector = try nodes.map { try CommandArguments.labels([$0], option: "--nodes") }
            let request = Components.Schemas.PolicyPushRequest(
                documents: documents, fileNames: paths, message: message, nodeSelector: selector.map { .init(additionalProperties: $0) })
            let response = try await server.call { client in
                switch try await client.pushPolicies(body: .json(request)) {
                case .created(let created): try created.body.json
                case let other: try other.ok.body.json
                }
            }
            for warning in response.warnings { Terminal.printError(Terminal.paint(warning, .yellow)) }
            for version in response.created {
                print("\(version.name) v\(version.version)\(version.deleted ? " (deleted)" : "")")
            }
            if !response.unchanged.isEmpty { print("unchanged: \(response.unchanged.joined(separator: ", "))") }
            print("revision \(response.revision)")
            if wait { try await RolloutWait(server: server, revision: response.revision, timeout: timeout).run() }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The policies on the server, latest versions.")
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let versions = try await server.call { try await $0.listPolicies().ok.body.json }
            print(Terminal.paint([Terminal.fit("NAME", 32), Terminal.fit("VERSION", 8), Terminal.fit("AUTHOR", 14), Terminal.fit("WHEN", 20), "MESSAGE"].joined(separator: " "), .bold))
            for version in versions {
                print([Terminal.fit(version.name, 32), Terminal.fit("v\(version.version)", 8), Terminal.fit(version.author, 14), Terminal.fit(Terminal.when(version.created), 20), version.message].joined(separator: " "))
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "history", abstract: "Every version of one policy, newest first.")
        @Argument var name: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let versions = try await server.call { [name] in try await $0.policyHistory(path: .init(name: name)).ok.body.json }
            for version in versions {
                print("v\(version.version)  \(Terminal.when(version.created))  \(version.author)\(version.deleted ? "  (deleted)" : "")  \(version.message)")
            }
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "diff", abstract: "What changed between two versions (default: the last two).")
        @Argument var name: String
        @Option var from: Int?
        @Option var to: Int?
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let diff = try await server.call { [name, from, to] in
                try await $0.policyDiff(path: .init(name: name), query: .init(from: from, to: to)).ok.body.json
            }
            if diff.diff.isEmpty {
                print("\(name) v\(diff.from) and v\(diff.to) are identical")
                return
            }
            for line in diff.diff.split(separator: "\n", omittingEmptySubsequences: false) {
                let text = String(line)
                print(text.hasPrefix("+") ? Terminal.paint(text, .green) : text.hasPrefix("-") ? Terminal.paint(text, .red) : text)
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Make an earlier version current again (a new version).")
        @Argument var name: String
        @Option(name: .customLong("to"), help: "The version to go back to.") var version: Int
        @Option(name: .shortAndLong) var message: String?
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let response = try await server.call { [name, version, message] client in
                switch try await client.rollbackPolicy(path: .init(name: name), body: .json(.init(version: version, message: message))) {
                case .created(let created): try created.body.json
                case let other: try other.ok.body.json
                }
            }
            guard !response.created.isEmpty else {
                print("\(name) is already at the text of v\(version); nothing changed (revision \(response.revision))")
                return
            }
            print(response.created.map { "\($0.name) v\($0.version)" }.joined(separator: ", ") + " (revision \(response.revision))")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Remove a policy from every node (history is kept).")
        @Argument var name: String
        @Option(name: .shortAndLong) var message: String?
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let response = try await server.call { [name, message] in
                try await $0.deletePolicy(path: .init(name: name), query: .init(message: message)).created.body.json
            }
            print("deleted \(name) (revision \(response.revision))")
        }
    }

    struct Rollout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rollout", abstract: "Which nodes run the current revision.")
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let status = try await server.call { try await $0.rollout().ok.body.json }
            print("revision \(status.revision): " + status.counts.additionalProperties.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
            for node in status.nodes {
                let state = node.state.rawValue
                let color: Terminal.Color = state == "applied" ? .green : state == "failed" ? .red : .yellow
                print("  \(Terminal.fit(node.name, 30)) \(Terminal.paint(Terminal.fit(state, 8), color)) \(node.appliedRevision.map { "at \($0)" } ?? "")\(node.error.map { "  \($0)" } ?? "")")
            }
        }
    }
}
