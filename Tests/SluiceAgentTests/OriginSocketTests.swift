import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceTestSupport
import Testing

/// A redirect target that is not root learns where a connection meant to go from a real agent's
/// origin socket, by passing it the connection; a connection that was not redirected has no answer.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct OriginSocketTests {
    /// The JSON answer of `sluice-probe ask-origin`'s line: `ask-origin ADDR PORT RESULT ANSWER`.
    static func answer(_ line: String) throws -> [String: Any] {
        let words = line.split(separator: " ", maxSplits: 4)
        guard words.count == 5, words[0] == "ask-origin", words[3] == "ok",
            let object = try JSONSerialization.jsonObject(with: Data(words[4].utf8)) as? [String: Any]
        else { throw SandboxError("unexpected ask-origin line: \(line)") }
        return object
    }

    @Test func aTargetRunAsNobodyLearnsTheOriginalDestinationOfTheConnectionItHolds() async throws {
        try await KernelSandbox.with("agent-origin") { sandbox in
            let socketPath = sandbox.scratch + "/origin.sock"
            // The target drops to nobody before it listens, so it holds no capability at all.
            let target = try HeldProbe(["--as-nobody", "ask-origin", "127.0.0.1", "0", socketPath], in: sandbox.cgroupPath)
            let listening = try target.line().split(separator: " ")
            let port = try #require(listening.count == 2 && listening[0] == "listening" ? UInt16(listening[1]) : nil)

            let agent = try AgentProcess(sandbox: sandbox)
            try agent.writePolicy(
                "node.yaml",
                """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: node}
                spec:
                  egress:
                    - {name: to-target, action: redirect, redirect: "127.0.0.1:\(port)", to: ["127.0.0.2"], ports: [9], protocol: tcp}
                    - {name: local, action: allow, to: [loopback]}
                """)
            try agent.start(["--origin-socket", socketPath])
            var info = stat()
            #expect(stat(socketPath, &info) == 0 && info.st_mode & 0o777 == 0o666)

            let client = try HeldProbe(["peer-tcp", "127.0.0.2", "9"], in: sandbox.cgroupPath)
            defer { client.release() }
            #expect(try client.line().hasPrefix("peer-tcp 127.0.0.2 9 ok peer=127.0.0.2:9 "))
            let origin = try Self.answer(try target.line())
            #expect(origin["dst_ip"] as? String == "127.0.0.2")
            #expect(origin["dst_port"] as? Int == 9)
            #expect(origin["protocol"] as? String == "tcp")
            #expect((origin["flow_id"] as? Int ?? 0) > 0)
            #expect(origin["error"] == nil)
            #expect(target.wait() == 0)

            // A connection the policy allows straight to a target: nothing to tell.
            let direct = try HeldProbe(["--as-nobody", "ask-origin", "127.0.0.1", "0", socketPath], in: sandbox.cgroupPath)
            let directListening = try direct.line().split(separator: " ")
            let directPort = try #require(directListening.count == 2 ? UInt16(directListening[1]) : nil)
            let plain = try HeldProbe(["peer-tcp", "127.0.0.1", String(directPort)], in: sandbox.cgroupPath)
            defer { plain.release() }
            #expect(try plain.line().hasPrefix("peer-tcp 127.0.0.1 \(directPort) ok "))
            let none = try Self.answer(try direct.line())
            #expect(none["dst_ip"] == nil)
            #expect((none["error"] as? String)?.hasPrefix("not redirected") == true, "\(none)")
        }
    }
}
