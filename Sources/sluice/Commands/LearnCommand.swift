import ArgumentParser
import Foundation
import SluiceAgent
import SluiceCore

struct LearnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learn",
        abstract: "Write an allowlist policy per application from observed traffic.",
        discussion: """
            From event JSON lines (--input) or from what the running agent has seen since it started. \
            Each policy allows the destinations the application used (at least --min-count times), denies \
            the rest by default, and is in monitor mode: watch it, then set mode: enforce.
            """)

    @Option(help: ArgumentHelp("Event JSON lines (the agent's schema); omit to ask the running agent.", valueName: "file"))
    var input: String?

    @Option(name: .customLong("min-count"), help: "Connections a destination needs to be allowed.")
    var minimumCount: Int = 1

    @Option(help: ArgumentHelp("Write one file per policy into this folder instead of printing them.", valueName: "dir"))
    var output: String?

    @OptionGroup var state: StateOptions

    func validate() throws {
        guard minimumCount >= 1 else { throw ValidationError("--min-count must be at least 1") }
    }

    func run() async throws {
        var policies: [(name: String, yaml: String)]
        if let input {
            var learner = AllowlistLearner(minimumCount: minimumCount)
            var problems = 0
            try EventLines.forEach(in: input) { number, line in
                switch EventLines.parse(line) {
                case .success(let event): learner.observe(event)
                case .failure(let error):
                    problems += 1
                    if problems <= 10 { Terminal.printError("\(input):\(number): \(error)") }
                }
            }
            if problems > 10 { Terminal.printError("\(problems) lines could not be read") }
            policies = learner.policies()
        } else {
            let client = AgentClient(layout: try state.layout())
            struct Policy: Decodable {
                var name: String
                var yaml: String
            }
            policies = try client.decode([Policy].self, from: try await client.get("/v1/learn?min-count=\(minimumCount)")).map { ($0.name, $0.yaml) }
        }
        guard !policies.isEmpty else {
            Terminal.printError("no application made \(minimumCount) or more connections to one destination")
            throw ExitCode.failure
        }
        if let output {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            for policy in policies {
                try policy.yaml.write(toFile: "\(output)/\(policy.name).yaml", atomically: true, encoding: .utf8)
            }
            print("wrote \(policies.count) polic\(policies.count == 1 ? "y" : "ies") to \(output)")
        } else {
            print(policies.map(\.yaml).joined(separator: "---\n"), terminator: "")
        }
    }
}
