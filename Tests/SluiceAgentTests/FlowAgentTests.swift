import Foundation
@preconcurrency import Glibc
import SluiceAgent
import SluiceCore
import SluiceTestSupport
import Testing

/// Flow records through a real agent: on the event stream beside decisions (`--kind` filters),
/// summed in `sluice status` and `sluice top`.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct FlowAgentTests {
    static let policy = """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: node}
        spec:
          egress: [{name: local, action: allow, to: [loopback]}]
        """

    @Test func flowRecordsReachTheStreamStatusAndTop() async throws {
        try await KernelSandbox.with("agent-flows") { sandbox in
            let server = try TransferServer(tcp: true, address: "127.0.0.1", reply: 2_000_000)
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let agent = try AgentProcess(sandbox: sandbox)
            try agent.writePolicy("node.yaml", Self.policy)
            try agent.start(["--flow-interval", "1s"])
            let flows = try EventFollower(agent: agent, filters: ["--kind", "flow"])

            // A connection held open gets a record while it is open, at the next sweep.
            let held = try HeldProbe(["hold-tcp", "127.0.0.1", String(listener.port)], in: sandbox.cgroupPath)
            #expect(try held.line() == "hold-tcp 127.0.0.1 \(listener.port) ok")
            let output = try ChildProcess.run(
                Probe.builtPath, ["--join", sandbox.cgroupPath, "transfer-tcp", "127.0.0.1", String(server.port), "1000000"])
            #expect(output.standardOutput == "transfer-tcp 127.0.0.1 \(server.port) ok sent=1000000 received=2000000\n")

            try agent.waitUntil("the transfer's final record and the held connection's open one") {
                let events = flows.events
                return events.contains { $0["dst_port"] as? Int == Int(server.port) && $0["final"] as? Bool == true }
                    && events.contains { $0["dst_port"] as? Int == Int(listener.port) && $0["final"] as? Bool == false }
            }
            let events = flows.events
            #expect(events.allSatisfy { $0["kind"] as? String == "flow" })
            let final = try #require(events.first { $0["dst_port"] as? Int == Int(server.port) })
            #expect(final["bytes_sent"] as? Int == 1_000_000 && final["bytes_received"] as? Int == 2_000_000)
            #expect(final["rule"] as? String == "local" && final["verdict"] as? String == "allow")
            #expect(final["exe"] as? String == Probe.builtPath)

            let status = try agent.status()
            #expect((status.traffic?.bytesSent ?? 0) >= 1_000_000 && (status.traffic?.connections ?? 0) >= 1)
            let top = try agent.cli(["top", "--output", "json"])
            let report = try FleetJSON.decoder().decode(TrafficReport.self, from: Data(top.standardOutput.utf8))
            let probe = try #require(report.applications.first { $0.exe == Probe.builtPath })
            #expect(probe.counts.bytesReceived >= 2_000_000)
            #expect(probe.destinations.first?.port == server.port)
            let table = try agent.cli(["top", "--once"])
            #expect(table.status == 0 && table.standardOutput.contains(Probe.builtPath), "\(table.standardOutput)")
            held.release()
        }
    }
}
