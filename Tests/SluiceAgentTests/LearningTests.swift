import Foundation
@preconcurrency import Glibc
import SluiceAgent
import SluiceCore
import SluiceTestSupport
import Testing

/// The learning loop end to end: a real agent scores a real process's connections, learns a rule
/// from an anomaly, and the kernel enforces it until it expires.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct LearningTests {
    static let policy = """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: node}
        spec:
          egress:
            - {name: partner, action: allow, to: ["203.0.113.9"], ports: [4444], protocol: udp}
        """

    /// Starts an agent that learns fast (warm after 30 events, whenever they come), and gives an
    /// application a habit: UDP to one loopback port, 60 times, all scored before `body` runs.
    func withHabit(
        _ sandbox: KernelSandbox, learning: String, expiry: String = "1h", _ body: (AgentProcess, Probe) throws -> Void
    ) throws {
        let agent = try AgentProcess(sandbox: sandbox)
        try agent.writePolicy("node.yaml", Self.policy)
        try agent.start(["--learning", learning, "--learning-expiry", expiry, "--warmup-events", "30", "--warmup", "0s"])
        let app = try Probe().copy(to: sandbox.scratch + "/app")
        let before = try agent.status().events.published
        for _ in 0..<6 {
            #expect(try app.run(Array(repeating: .udp("127.0.0.1", 5353), count: 10), in: sandbox.cgroupPath).allSatisfy { $0 == "ok" })
        }
        // Events are published after they are scored and learned from.
        try agent.waitUntil("the habit is learned") { try agent.status().events.published >= before + 60 }
        try body(agent, app)
    }

    func rules(_ agent: AgentProcess, state: String? = nil) throws -> [LearnedRule] {
        let output = try agent.cli(["rules", "list", "--output", "json"] + (state.map { ["--state", $0] } ?? []))
        guard output.status == 0 else { throw SandboxError("rules list failed: \(output.standardError)") }
        return try FleetJSON.decoder().decode([LearnedRule].self, from: Data(output.standardOutput.utf8))
    }

    @Test func aLearnedRuleBlocksInTheKernelAndGoesAtExpiry() async throws {
        try await KernelSandbox.with("learn-enforce") { sandbox in
            try withHabit(sandbox, learning: "enforce", expiry: "5s") { agent, app in
                // Never seen before: a new public address and port.
                #expect(try app.run(.udp("198.51.100.7", 4444), in: sandbox.cgroupPath) == "ok")
                try agent.waitUntil("a rule is installed") { try !rules(agent, state: "installed").isEmpty }
                let rule = try #require(try rules(agent, state: "installed").first)
                #expect(rule.destination == "198.51.100.7" && rule.port == 4444 && rule.transport == .udp && rule.action == .deny)
                #expect(rule.executable == app.path && rule.cgroup == "/" + sandbox.cgroupRelative)
                #expect(!rule.reasons.isEmpty, "every learned rule says why it exists")

                #expect(try app.run(.udp("198.51.100.7", 4444), in: sandbox.cgroupPath) == "EPERM")
                let other = try Probe().copy(to: sandbox.scratch + "/other")
                #expect(try other.run(.udp("198.51.100.7", 4444), in: sandbox.cgroupPath) == "ok", "scoped to that executable")
                try agent.waitUntil("the hit is counted") { try rules(agent).first { $0.id == rule.id }?.hits ?? 0 > 0 }

                try agent.waitUntil("the rule expires and leaves the kernel", seconds: 30) {
                    try app.run(.udp("198.51.100.7", 4444), in: sandbox.cgroupPath) == "ok"
                }
                #expect(try rules(agent).first { $0.id == rule.id }?.state == .expired)
            }
        }
    }

    @Test func aRuleAgainstAnExplicitAllowIsRefused() async throws {
        try await KernelSandbox.with("learn-refuse") { sandbox in
            try withHabit(sandbox, learning: "enforce") { agent, app in
                // New for the app, but the administrator allows it by name.
                #expect(try app.run(.udp("203.0.113.9", 4444), in: sandbox.cgroupPath) == "ok")
                try agent.waitUntil("a proposal appears") { try !rules(agent).isEmpty }
                let rule = try #require(try rules(agent).first)
                #expect(rule.state == .proposed)
                #expect(rule.note?.contains("explicitly allows") == true, "\(rule.note ?? "no note")")
                #expect(try app.run(.udp("203.0.113.9", 4444), in: sandbox.cgroupPath) == "ok")
            }
        }
    }

    @Test func approvingWritesAPolicyThatIsEnforced() async throws {
        try await KernelSandbox.with("learn-approve") { sandbox in
            try withHabit(sandbox, learning: "suggest") { agent, app in
                #expect(try app.run(.udp("198.51.100.8", 9999), in: sandbox.cgroupPath) == "ok")
                try agent.waitUntil("a proposal appears") { try !rules(agent, state: "proposed").isEmpty }
                let rule = try #require(try rules(agent, state: "proposed").first)
                #expect(try app.run(.udp("198.51.100.8", 9999), in: sandbox.cgroupPath) == "ok", "suggest mode installs nothing")

                let approve = try agent.cli(["rules", "approve", rule.id])
                #expect(approve.status == 0, "\(approve.standardError)")
                let file = agent.policyDirectory + "/approved-\(rule.id).yaml"
                #expect(FileManager.default.fileExists(atPath: file))
                try agent.waitUntil("the approved policy is enforced") {
                    try app.run(.udp("198.51.100.8", 9999), in: sandbox.cgroupPath) == "EPERM"
                }
                let validate = try ChildProcess.run(BuildProducts.path(of: "sluice"), ["policy", "validate", file])
                #expect(validate.status == 0, "\(validate.standardOutput)")
            }
        }
    }
}
