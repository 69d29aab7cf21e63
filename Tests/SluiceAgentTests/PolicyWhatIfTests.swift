import Foundation
import SluiceAgent
import SluiceCore
import SluiceTestSupport
import Testing

/// `sluice policy test --local` on real traffic: a probe in a throwaway cgroup connects under an
/// allowing policy, the agent records it, the report for a candidate that denies part of it is
/// computed, then the candidate is applied and the same traffic replayed live: the kernel denies
/// exactly what the report said it would.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct PolicyWhatIfTests {
    static func policy(denying ports: ClosedRange<UInt16>?) -> String {
        """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: probe}
        spec:
          subjects: [{executable: "\(Probe.builtPath)"}]
          default: allow
        \(ports.map { "  egress:\n    - {name: closed-range, action: deny, to: [\"127.0.0.1\"], ports: [\"\($0.lowerBound)-\($0.upperBound)\"], protocol: tcp}\n" } ?? "")
        """
    }

    @Test func theReportCountsWhatTheKernelThenDenies() async throws {
        try await KernelSandbox.with("whatif") { sandbox in
            let agent = try AgentProcess(sandbox: sandbox)
            defer { agent.killHard() }
            try agent.writePolicy("probe.yaml", Self.policy(denying: nil))
            try agent.start()
            let traffic: [Probe.Operation] = (26000..<26020).map { .tcp("127.0.0.1", $0) } + (26000..<26005).map { .udp("127.0.0.1", $0) }
            let before = try Probe().run(traffic, in: sandbox.cgroupPath)
            #expect(!before.contains("EPERM"), "the allowing policy let everything through: \(before)")
            try agent.waitUntil("the agent to record every connect") {
                let output = try agent.cli(["events", "--output", "json", "--kind", "decision", "--recent", "1000"])
                return output.standardOutput.split(separator: "\n").filter { $0.contains("\"dst_port\":260") }.count >= traffic.count
            }

            // The agent's history on disk, which --local reads, follows the stream.
            let same = sandbox.scratch + "/same.yaml"
            try Self.policy(denying: nil).write(toFile: same, atomically: true, encoding: .utf8)
            try agent.waitUntil("the history to hold every connect") {
                let output = try agent.cli(["policy", "test", "--local", same, "--since", "1h", "--output", "json"]).standardOutput
                return (try? FleetJSON.decoder().decode(ReplayReport.self, from: Data(output.utf8)))?.events == traffic.count
            }

            let candidate = sandbox.scratch + "/candidate.yaml"
            try Self.policy(denying: 26005...26014).write(toFile: candidate, atomically: true, encoding: .utf8)
            let tested = try agent.cli(["policy", "test", "--local", candidate, "--since", "1h", "--output", "json"])
            #expect(tested.status == 2, "exit 2: the change denies traffic that passed; \(tested.standardError)")
            let report = try FleetJSON.decoder().decode(ReplayReport.self, from: Data(tested.standardOutput.utf8))
            #expect(report.unknown == 0, "every recorded decision is reproduced: \(report.rows.flatMap(\.unknownReasons))")
            #expect(report.events == traffic.count && report.changed == report.newlyDenied)
            #expect(report.notes.contains { $0.contains("from the agent's history") }, "\(report.notes)")
            #expect(report.rows.allSatisfy { $0.after == ["probe/closed-range"] && $0.before == ["probe/default"] })
            let predicted = Set(report.rows.filter { $0.newlyDenied > 0 }.map { UInt16($0.port) })

            // An unchanged candidate passes the gate.
            let unchanged = try agent.cli(["policy", "test", "--local", same])
            #expect(unchanged.status == 0, "\(unchanged.standardOutput)\(unchanged.standardError)")

            // Applied and replayed live.
            let generation = try #require(try agent.status().policy?.generation)
            try agent.writePolicy("probe.yaml", Self.policy(denying: 26005...26014))
            try agent.waitUntil("the candidate to be applied") { (try agent.status().policy?.generation ?? 0) > generation }
            let after = try Probe().run(traffic, in: sandbox.cgroupPath)
            let denied = Set(zip(traffic, after).filter { $0.1 == "EPERM" }.map(\.0.port))
            #expect(report.newlyDenied == zip(traffic, after).filter { $0.1 == "EPERM" }.count)
            #expect(denied == predicted && denied == Set(26005...26014))
        }
    }
}
