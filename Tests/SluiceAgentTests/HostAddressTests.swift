import Foundation
@preconcurrency import Glibc
import SluiceTestSupport
import Testing

/// `host` in a policy stands for the node's own addresses, kept current by the agent: an address
/// added to an interface after the agent started is denied as soon as the kernel announces it.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct HostAddressTests {
    /// An address this test adds to the loopback interface and removes again: an address of
    /// the node's own that the test owns (no dummy-interface module is needed).
    final class OwnedAddress {
        let address: String

        init() throws {
            address = "198.18.\(getpid() % 250 + 1).\(Int.random(in: 1...250))"
            _ = try? Self.ip(["addr", "del", address + "/32", "dev", "lo"])
        }

        deinit {
            _ = try? Self.ip(["addr", "del", address + "/32", "dev", "lo"])
        }

        func add() throws {
            try Self.ip(["addr", "add", address + "/32", "dev", "lo"])
        }

        @discardableResult
        static func ip(_ arguments: [String]) throws -> String {
            let output = try ChildProcess.run("/usr/sbin/ip", arguments)
            guard output.status == 0 else { throw SandboxError("ip \(arguments.joined(separator: " ")): \(output.standardError)") }
            return output.standardOutput
        }
    }

    @Test func anAddressAddedWhileTheAgentRunsIsDeniedByAHostRule() async throws {
        try await KernelSandbox.with("host") { sandbox in
            let owned = try OwnedAddress()
            let address = owned.address
            let agent = try AgentProcess(sandbox: sandbox)
            try agent.writePolicy(
                "host.yaml",
                """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: not-this-node}
                spec:
                  egress: [{action: deny, to: [host]}]
                """)
            try agent.start()
            let probe = Probe()
            let loopback = try LoopbackListener(tcp: true, address: "127.0.0.1")
            #expect(try probe.run(.tcp("127.0.0.1", loopback.port), in: sandbox.cgroupPath) == "EPERM", "loopback is the host")
            #expect(try probe.run(.tcp("0.0.0.0", loopback.port), in: sandbox.cgroupPath) == "EPERM", "so is 0.0.0.0")

            try owned.add()
            let listener = try LoopbackListener(tcp: true, address: address)
            try agent.waitUntil("the new address is denied") {
                try probe.run(.tcp(address, listener.port), in: sandbox.cgroupPath) == "EPERM"
            }
            #expect(agent.log.contains("host addresses changed"))
        }
    }
}
