import Foundation
@preconcurrency import Glibc
import SluiceTestSupport
import Testing

/// The agent ends open connections when an edit denies them, after the generation is in force.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct OpenConnectionAgentTests {
    static func policy(_ action: String, port: UInt16) -> String {
        """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: web}
        spec:
          egress: [{name: web, action: \(action), to: ["127.0.0.1"], ports: [\(port)], protocol: tcp}]
        """
    }

    @Test func anEditThatDeniesAnOpenConnectionEndsIt() async throws {
        try await KernelSandbox.with("agent-close") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let agent = try AgentProcess(sandbox: sandbox)
            try agent.writePolicy("web.yaml", Self.policy("allow", port: listener.port))
            try agent.start()
            let open = try #require(try agent.status().datapath.openConnections)
            #expect(open.hasPrefix("ended"), "this kernel has bpf_sock_destroy: \(open)")

            let held = try HeldProbe(["hold-tcp", "127.0.0.1", String(listener.port)], in: sandbox.cgroupPath)
            #expect(try held.line() == "hold-tcp 127.0.0.1 \(listener.port) ok")
            try agent.writePolicy("web.yaml", Self.policy("deny", port: listener.port))
            #expect(try held.line() == "closed hold-tcp 127.0.0.1 \(listener.port) ECONNABORTED")
            try agent.waitUntil("the status counts it") { try agent.status().decisions.closed == 1 }
        }
    }
}
