import Foundation
@preconcurrency import Glibc
import SluiceAgent
import SluiceCore
import SluiceTestSupport
import Testing

/// A real agent enforcing a local feed file: the layer decides connects of real processes, its
/// events and `policy explain` name the feed and indicator, a changed file is applied without a
/// policy reload, and a restarted agent keeps the set when the file is gone.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct IntelAgentTests {
    @Test func aLocalFeedFileIsEnforcedExplainedAndKeptAcrossARestart() async throws {
        try await KernelSandbox.with("intel-agent") { sandbox in
            let bad = "127.0.\(Int.random(in: 100...149)).\(Int.random(in: 2...250))"
            let trusted = "127.0.\(Int.random(in: 150...199)).\(Int.random(in: 2...250))"
            let badListener = try LoopbackListener(tcp: true, address: bad)
            let trustedListener = try LoopbackListener(tcp: true, address: trusted)
            let agent = try AgentProcess(sandbox: sandbox)
            try agent.writePolicy(
                "open.yaml",
                """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: open}
                spec:
                  default: allow
                  egress: [{name: partner, action: allow, to: ["\(trusted)"]}]
                """)
            let list = sandbox.scratch + "/blocklist.txt"
            try "# test feed\n\(bad)\n\(trusted)\n".write(toFile: list, atomically: true, encoding: .utf8)
            try agent.start(["--feed-file", list])
            try agent.waitUntil("the feed file is held") { try agent.status().intel?.indicators["file:blocklist.txt"] == 2 }
            let generation = try agent.status().policy?.generation
            let follower = try EventFollower(agent: agent)
            let probe = try Probe().copy(to: sandbox.scratch + "/client")
            let cgroup = sandbox.cgroupPath

            #expect(try probe.run(.tcp(bad, badListener.port), in: cgroup) == "EPERM")
            #expect(try probe.run(.tcp(trusted, trustedListener.port), in: cgroup) == "ok", "the exact-address allow wins")
            try agent.waitUntil("both events arrive") { follower.events.filter { $0["intel_feed"] != nil }.count >= 2 }
            let deny = try #require(follower.events.first { $0["dst_ip"] as? String == bad })
            #expect(deny["verdict"] as? String == "deny" && deny["intel_feed"] as? String == "file:blocklist.txt")
            #expect(deny["intel_indicator"] as? String == bad && deny["intel_outcome"] as? String == "decided")
            let kept = try #require(follower.events.first { $0["dst_ip"] as? String == trusted })
            #expect(kept["verdict"] as? String == "allow" && kept["intel_outcome"] as? String == "explicit-allow")
            #expect(kept["rule"] as? String == "partner")

            func explain(_ destination: String, _ port: UInt16) throws -> String {
                let output = try agent.cli(["policy", "explain", "--cgroup", sandbox.cgroupRelative, "--to", "\(destination):\(port)"])
                #expect(output.status == 0, "\(output.standardError)")
                return output.standardOutput
            }
            let badText = try explain(bad, badListener.port)
            #expect(badText.contains("DENY") && badText.contains("feed file:blocklist.txt indicator \(bad)") && badText.contains("decides"), "\(badText)")
            let trustedText = try explain(trusted, trustedListener.port)
            #expect(trustedText.contains("ALLOW") && trustedText.contains("exact destination wins"), "\(trustedText)")

            // The file changes: applied as a change, no policy generation.
            try "\(trusted)\n".write(toFile: list, atomically: true, encoding: .utf8)
            try await eventually("the removed address is allowed again") {
                try probe.run(.tcp(bad, badListener.port), in: cgroup) == "ok"
            }
            #expect(try agent.status().policy?.generation == generation)

            // A broken file is refused whole: the last good list stays in force.
            try "\(bad)\nnot an indicator at all!\n".write(toFile: list, atomically: true, encoding: .utf8)
            try agent.waitUntil("the broken file is refused") { try agent.status().intel?.lastError?.contains("line 2") == true }
            #expect(try agent.status().intel?.indicators["file:blocklist.txt"] == 1)
            #expect(try probe.run(.tcp(bad, badListener.port), in: cgroup) == "ok")

            // Restart with the file gone and the pinned maps removed: the saved set is enforced.
            try "\(bad)\n".write(toFile: list, atomically: true, encoding: .utf8)
            try agent.waitUntil("the new list is applied") { try probe.run(.tcp(bad, badListener.port), in: cgroup) == "EPERM" }
            try agent.stop()
            let unload = try agent.cli(["unload"])
            #expect(unload.status == 0, "\(unload.standardError)")
            #expect(try probe.run(.tcp(bad, badListener.port), in: cgroup) == "ok", "nothing enforces after unload")
            try FileManager.default.removeItem(atPath: list)
            try agent.start(["--feed-file", list])
            try agent.waitUntil("the saved set is enforced") { try probe.run(.tcp(bad, badListener.port), in: cgroup) == "EPERM" }
            let status = try agent.status()
            #expect(status.intel?.indicators["file:blocklist.txt"] == 1)
            #expect(status.intel?.lastError?.contains("cannot be read") == true)
            try agent.stop()
        }
    }
}
