import Foundation
@preconcurrency import Glibc
import SluiceAgent
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// The real `sluice agent` binary on a throwaway cgroup: reloads, rejections, restarts after
/// SIGKILL, the event stream, and executables that change on disk.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct AgentTests {
    static func denyTCP(_ port: UInt16, name: String = "lockdown", action: String = "deny", mode: String = "enforce") -> String {
        """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: \(name)}
        spec:
          mode: \(mode)
          egress:
            - {name: web, action: \(action), to: ["127.0.0.1"], ports: [\(port)], protocol: tcp}
        """
    }

    @Test func hotReloadAppliesAndAnInvalidChangeIsRejectedWhole() async throws {
        try await AgentProcess.lockedDown("reload") { sandbox, listener, agent in
            let probe = Probe()
            #expect(try probe.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")

            try agent.writePolicy("lockdown.yaml", Self.denyTCP(listener.port, action: "allow"))
            try agent.waitUntil("the edit is enforced") {
                try probe.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "ok"
            }
            let applied = try #require(try agent.status().policy)
            #expect(applied.generation == 2)

            // One broken file and one valid one: the change is rejected whole. The broken one
            // comes first, so no batching of the two writes can apply the valid one alone.
            try agent.writePolicy(
                "broken.yaml",
                """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: broken}
                spec:
                  egress:
                    - {action: deny, to: ["10.0.0.300"]}
                """)
            try agent.writePolicy("more.yaml", Self.denyTCP(listener.port &+ 1, name: "more"))
            try agent.waitUntil("the rejection is reported") { try agent.status().lastRejection != nil }
            let status = try agent.status()
            let rejection = try #require(status.lastRejection)
            #expect(rejection.diagnostics.contains { $0.contains("broken.yaml:6:") && $0.contains("spec.egress[0].to[0]") })
            #expect(status.policy?.generation == 2, "the previous generation stays in force")
            #expect(try probe.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "ok")

            try agent.removePolicy("broken.yaml")
            try agent.waitUntil("the fixed folder applies") { try agent.status().policy?.generation == 3 }
            #expect(try agent.status().lastRejection == nil)
        }
    }

    @Test func afterSIGKILLThePolicyStaysAndARestartAdoptsIt() async throws {
        try await AgentProcess.lockedDown("sigkill") { sandbox, listener, agent in
            agent.killHard()

            let probe = Probe()
            #expect(try probe.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM", "enforced with no agent")
            let pinned = try agent.cli(["status"])
            #expect(pinned.status == 0 && pinned.standardOutput.contains("not running"), "\(pinned.standardOutput)")

            // A probe loops while the agent restarts: no connection may slip through.
            let during = Task.detached {
                try ChildProcess.run(
                    Probe.builtPath, ["--join", sandbox.cgroupPath, "bench-tcp-connect", "127.0.0.1", "0", "1"])
            }
            try agent.start()
            _ = try await during.value
            let status = try agent.status()
            #expect(status.datapath.reusedMaps)
            #expect(status.datapath.adoptedLinks.sorted() == Hook.allCases.map(\.rawValue).sorted())
            for hook in Hook.allCases {
                #expect(try Datapath.attachedPrograms(cgroupPath: sandbox.cgroupPath, hook: hook).count == 1)
            }
            #expect(try probe.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")

            try agent.writePolicy("lockdown.yaml", Self.denyTCP(listener.port, action: "allow"))
            try agent.waitUntil("the restarted agent applies edits") {
                try probe.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "ok"
            }
            try agent.stop()
            #expect(agent.log.contains("enforcement stays pinned"))
            #expect(try probe.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "ok")
        }
    }

    @Test func theEventStreamCarriesEveryFieldAndFilters() async throws {
        try await KernelSandbox.with("events") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let agent = try AgentProcess(sandbox: sandbox)
            try agent.writePolicy("watch.yaml", Self.denyTCP(listener.port, name: "watch", mode: "monitor"))
            let child = try sandbox.child("web")
            try agent.start(["--node-name", "node-7"])
            let everything = try EventFollower(agent: agent)
            let denies = try EventFollower(agent: agent, filters: ["--verdict", "deny"])

            let probe = try Probe().copy(to: sandbox.scratch + "/client")
            let results = try probe.run(
                [.tcp("127.0.0.1", listener.port), .udp("::1", 53)], in: try sandbox.cgroups.absolutePath(child))
            #expect(results == ["ok", "ok"], "monitor mode never blocks")
            try agent.waitUntil("both events arrive") { everything.events.count >= 2 && denies.events.count >= 1 }

            let events = everything.events
            let deny = try #require(events.first { $0["verdict"] as? String == "deny" })
            #expect(deny["node"] as? String == "node-7")
            #expect(deny["comm"] as? String == "client")
            #expect(deny["exe"] as? String == probe.path)
            #expect(deny["cgroup"] as? String == "/" + child)
            #expect(deny["protocol"] as? String == "tcp")
            #expect(deny["family"] as? String == "ipv4")
            #expect(deny["dst_ip"] as? String == "127.0.0.1")
            #expect(deny["dst_port"] as? Int == Int(listener.port))
            #expect(deny["enforced"] as? Bool == false)
            #expect(deny["policy"] as? String == "watch")
            #expect(deny["rule"] as? String == "web")
            #expect(deny["hook"] as? String == "connect4")
            #expect((deny["pid"] as? Int ?? 0) > 0)
            #expect(deny["uid"] as? Int == Int(getuid()))
            let time = try #require(deny["time"] as? String)
            let nanoseconds = try #require(RFC3339.parse(time))
            #expect(abs(Double(nanoseconds) / 1e9 - Date().timeIntervalSince1970) < 60)

            let allow = try #require(events.first { $0["dst_ip"] as? String == "::1" })
            #expect(allow["verdict"] as? String == "allow" && allow["family"] as? String == "ipv6" && allow["protocol"] as? String == "udp")
            #expect(allow["policy"] is NSNull && allow["rule"] as? String == "node-default")
            #expect(denies.events.allSatisfy { $0["verdict"] as? String == "deny" })

            let status = try agent.status()
            #expect(status.decisions.monitorDeny == 1)
            #expect(status.events.lostInKernel == 0 && status.events.lostInAgent == 0)
            // Followers stay connected: SIGTERM must still stop the agent promptly.
            try agent.stop()
            #expect(agent.log.contains("enforcement stays pinned"))
        }
    }

    @Test func anExecutableReplacedOrAppearingLaterIsEnforced() async throws {
        try await KernelSandbox.with("exe") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let agent = try AgentProcess(sandbox: sandbox)
            let installed = sandbox.scratch + "/bin/tool"
            let later = sandbox.scratch + "/bin/later"
            try FileManager.default.createDirectory(atPath: sandbox.scratch + "/bin", withIntermediateDirectories: true)
            _ = try Probe().copy(to: installed)
            try agent.writePolicy(
                "tools.yaml",
                """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: tools}
                spec:
                  subjects: [{executable: \(installed)}, {executable: \(later)}]
                  default: deny
                """)
            try agent.start()
            #expect(try agent.status().policy?.warnings.contains { $0.contains(later) } == true)
            #expect(try Probe(path: installed).run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")

            // A package upgrade: a new file renamed over the old one (a new inode).
            _ = try Probe().copy(to: installed + ".dpkg-new")
            rename(installed + ".dpkg-new", installed)
            try agent.waitUntil("the new inode is enforced") {
                try Probe(path: installed).run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM"
            }
            // The path appears after the policy.
            _ = try Probe().copy(to: later)
            try agent.waitUntil("the new executable is enforced") {
                try Probe(path: later).run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM"
            }
            // A renamed copy is another executable; a rename of the file keeps it governed.
            _ = try Probe(path: later).copy(to: sandbox.scratch + "/bin/copy")
            #expect(try Probe(path: sandbox.scratch + "/bin/copy").run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "ok")
            rename(later, sandbox.scratch + "/bin/renamed")
            // The agent re-resolves on the rename; once it has, it must still govern the inode.
            try agent.waitUntil("the agent re-resolves after the rename") {
                agent.log.split(separator: "\n").contains { $0.contains("subjects re-resolved") && $0.contains("renamed") }
            }
            #expect(try Probe(path: sandbox.scratch + "/bin/renamed").run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")

            let explain = try agent.cli(["policy", "explain", "--exe", installed, "--cgroup", sandbox.cgroupRelative, "--to", "127.0.0.1:\(listener.port)/tcp"])
            #expect(explain.status == 0)
            #expect(explain.standardOutput.contains("DENY") && explain.standardOutput.contains("default of policy tools"), "\(explain.standardOutput)")
        }
    }

    @Test func explainByNameAsksTheRunningAgent() async throws {
        try await KernelSandbox.with("explain-name") { sandbox in
            let agent = try AgentProcess(sandbox: sandbox)
            try agent.writePolicy(
                "dns.yaml",
                """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: dns}
                spec:
                  subjects: [{cgroup: \(sandbox.cgroupRelative)}]
                  encryptedDNS: deny
                  egress: [{name: github, action: allow, to: [api.github.com]}]
                """)
            try agent.start()
            func explain(_ arguments: [String]) throws -> String {
                let output = try agent.cli(["policy", "explain", "--cgroup", sandbox.cgroupRelative] + arguments)
                #expect(output.status == 0, "\(output.standardError)")
                return output.standardOutput
            }
            let doh = try explain(["--to", "192.0.2.10:443", "--domain", "dns.google"])
            #expect(doh.contains("DENY") && doh.contains("rule encryptedDNS (DoH resolver dns.google) of policy dns"), "\(doh)")
            let github = try explain(["--to", "192.0.2.10:443", "--domain", "api.github.com"])
            #expect(github.contains("ALLOW") && github.contains("rule github of policy dns"), "\(github)")
            let byAddress = try explain(["--to", "192.0.2.10:443"])
            #expect(!byAddress.contains("rule github"), "without the name only addresses decide: \(byAddress)")
        }
    }
}
