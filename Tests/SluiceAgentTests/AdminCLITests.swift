import Foundation
import SluiceAPI
import SluiceCore
import SluiceTestSupport
import Testing

/// Every admin command of the CLI against a real server, through the generated client: what a
/// person types, what comes back, and the server's own words when it refuses.
struct AdminCLITests {
    /// Runs `sluice` with the server and a private config folder; fails the test on a non-zero
    /// exit unless `failing`.
    struct CLI {
        let environment: [String: String]

        init(server: ServerProcess, home: String) {
            environment = ProcessInfo.processInfo.environment.merging(
                ["SLUICE_SERVER": server.url, "SLUICE_ALLOW_INSECURE_HTTP": "1", "XDG_CONFIG_HOME": home, "SLUICE_TOKEN": ""]) { $1 }
                .filter { $0.key != "SLUICE_TOKEN" }
        }

        @discardableResult
        func callAsFunction(
            _ arguments: String..., input: String? = nil, failing: Bool = false, sourceLocation: Testing.SourceLocation = #_sourceLocation
        ) throws -> ChildProcess.Output {
            let output = try ChildProcess.run(BuildProducts.path(of: "sluice"), arguments, environment: environment, input: input)
            #expect((output.status != 0) == failing, "sluice \(arguments.joined(separator: " ")): \(output.standardError)", sourceLocation: sourceLocation)
            return output
        }
    }

    @Test func everyAdminCommandWorksAgainstARealServer() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-admin-cli-\(getpid())").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        try await ServerProcess.withAdmin(name: "admincli") { server, admin in
            let sluice = CLI(server: server, home: home)
            // Without a token, the command says how to get one.
            #expect(try sluice("nodes", "list", failing: true).standardError.contains("sluice login"))
            try sluice("login", "--user", "admin", "--password-stdin", input: ServerProcess.adminPassword + "\n")
            #expect(FileManager.default.fileExists(atPath: home + "/sluice/credentials.json"))
            // Login remembers that this server is reached over plain HTTP on purpose.
            let remembered = try ChildProcess.run(
                BuildProducts.path(of: "sluice"), ["users", "list"], environment: sluice.environment.filter { $0.key != "SLUICE_ALLOW_INSECURE_HTTP" })
            #expect(remembered.status == 0, "\(remembered.standardError)")

            // Users.
            try sluice("users", "create", "vera", "--role", "operator", "--password-stdin", input: "vera-password-1\n")
            #expect(try sluice("users", "list").standardOutput.contains("operator"))
            #expect(try sluice("users", "role", "vera", "viewer").standardOutput.contains("vera is now viewer"))
            #expect(try sluice("users", "passwd", "vera", "--password-stdin", input: "vera-password-2\n").standardOutput.contains("password of vera changed"))
            #expect(try sluice("users", "disable", "vera").standardOutput.contains("vera disabled"))

            // Join tokens.
            let token = try sluice("tokens", "create", "ci", "--label", "env=prod").standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!token.isEmpty)
            let tokens = try sluice("tokens", "list").standardOutput
            #expect(tokens.contains("\"name\" : \"ci\"") && !tokens.contains(token), "the secret is shown once only: \(tokens)")

            // Policy: push, list, history, diff, rollback, delete, rollout.
            let file = home + "/admin-cli.yaml"
            try FleetTests.named("admin-cli", port: 443).write(toFile: file, atomically: true, encoding: .utf8)
            #expect(try sluice("policy", "push", file, "-m", "first").standardOutput.contains("admin-cli v1"))
            try FleetTests.named("admin-cli", port: 8443).write(toFile: file, atomically: true, encoding: .utf8)
            #expect(try sluice("policy", "push", file, "-m", "second", "--nodes", "env=prod").standardOutput.contains("admin-cli v2"))
            #expect(try sluice("policy", "list").standardOutput.contains("second"))
            // What-if: no node has recorded traffic, so nothing would be denied (exit 0), and the report says why.
            let candidate = home + "/candidate.yaml"
            try FleetTests.named("admin-cli", port: 22).write(toFile: candidate, atomically: true, encoding: .utf8)
            let whatIf = try sluice("policy", "test", candidate, "--since", "1d", "--output", "json").standardOutput
            let report = try FleetJSON.decoder().decode(ReplayReport.self, from: Data(whatIf.utf8))
            #expect(report.events == 0 && !report.deniesAllowedTraffic && report.notes.first?.contains("no node's policies") == true, "\(whatIf)")
            #expect(try sluice("policy", "test", candidate).standardOutput.contains("would have denied 0 connections"))
            let history = try sluice("policy", "history", "admin-cli").standardOutput
            #expect(history.contains("v1") && history.contains("v2"))
            let diff = try sluice("policy", "diff", "admin-cli").standardOutput
            #expect(diff.contains("8443") && diff.contains("443"))
            #expect(try sluice("policy", "rollback", "admin-cli", "--to", "1").standardOutput.contains("admin-cli v3"))
            #expect(try sluice("policy", "diff", "admin-cli", "--from", "1", "--to", "3").standardOutput.contains("identical"))
            #expect(try sluice("policy", "rollback", "admin-cli", "--to", "1").standardOutput.contains("already at the text of v1"))
            #expect(try sluice("policy", "rollout").standardOutput.contains("revision"))
            // A policy the server refuses: its message names the file and the line.
            try "apiVersion: sluice/v1\nkind: Policy\nmetadata: {name: broken}\nspec: {egress: [{action: maybe}]}\n"
                .write(toFile: home + "/broken.yaml", atomically: true, encoding: .utf8)
            let refused = try sluice("policy", "push", home + "/broken.yaml", failing: true).standardError
            #expect(refused.contains("broken.yaml:"), "\(refused)")
            #expect(try sluice("policy", "delete", "admin-cli", "-m", "done").standardOutput.contains("deleted admin-cli"))

            // Nodes: one enrolled with the token made above.
            let enrolled = try await admin.client.enroll(
                body: .json(.init(joinToken: token, nodeName: "cli-node", labels: .init(), kernel: "6.18", agentVersion: "test"))
            ).created.body.json
            #expect(try sluice("nodes", "list").standardOutput.contains("cli-node"))
            #expect(try sluice("nodes", "show", enrolled.nodeId).standardOutput.contains("\"name\" : \"cli-node\""))
            #expect(try sluice("nodes", "label", enrolled.nodeId, "env=dev", "tier=web").standardOutput.contains("env=dev,tier=web"))
            #expect(try await admin.node(named: "cli-node").labels.additionalProperties == ["env": "dev", "tier": "web"])
            // --wait: the node never applies the push, so the command gives up and says who did not answer.
            try FleetTests.named("admin-cli", port: 25).write(toFile: file, atomically: true, encoding: .utf8)
            let waited = try sluice("policy", "push", file, "--wait", "--timeout", "2s", failing: true)
            #expect(waited.status == 2, "\(waited.standardError)")
            #expect(waited.standardOutput.contains(enrolled.nodeId) && waited.standardOutput.contains("did not answer"), "\(waited.standardOutput)")
            try sluice("nodes", "revoke", enrolled.nodeId)
            #expect(try await admin.node(named: "cli-node").revoked != nil)
            #expect(try sluice("nodes", "show", "no-such-node", failing: true).standardError.contains("no-such-node"))

            #expect(try sluice("alerts", "list", "--state", "open").standardOutput.contains("LAST SEEN"))
            try sluice("tokens", "revoke", "1")
            try sluice("logout")
            #expect(!FileManager.default.fileExists(atPath: home + "/sluice/credentials.json"))
        }
    }
}
