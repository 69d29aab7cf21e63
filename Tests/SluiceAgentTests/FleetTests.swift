import Foundation
@preconcurrency import Glibc
import SluiceAPI
import SluiceAgent
import SluiceCore
import SluiceTestSupport
import Testing

/// Real agents and a real server, as processes: each agent on its own throwaway cgroup and pin
/// folder, the server on a loopback port with a SQLite file. A push reaches every node and is
/// enforced in its kernel; events reach the server; the server is SIGKILLed and restarted while
/// the agents keep enforcing and buffer on disk, and nothing below the bound is lost; beyond the
/// bound losses are counted; a revoked node is refused and keeps enforcing; a server revision
/// that clashes with a node's local folder is refused there and reported.
///
/// Events are told apart by destination port: each phase connects to its own range of ports,
/// so what reached the server is counted exactly.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct FleetTests {
    /// Denies the probe executable every TCP connection to 127.0.0.1 (and UDP too from
    /// `revision` 2): every probe connect is refused with EPERM and makes one deny event.
    static func lockdown(revision: Int = 1) -> String {
        """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: fleet-lockdown}
        spec:
          subjects: [{executable: "\(Probe.builtPath)"}]
          egress:
            - {name: loopback-tcp, action: deny, to: ["127.0.0.1"], protocol: tcp}
        \(revision >= 2 ? "    - {name: loopback-udp, action: deny, to: [\"127.0.0.1\"], protocol: udp}\n" : "")
        """
    }

    static func agentArguments(_ server: ServerProcess, token: String, name: String, extra: [String] = []) -> [String] {
        ["--server", server.url, "--join-token", token, "--allow-insecure-http", "--node-name", name] + extra
    }

    /// One probe process in `cgroup` connecting to 127.0.0.1 on every port of `ports`; each
    /// must be refused in the kernel.
    static func connect(_ ports: Range<UInt16>, in cgroup: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let results = try Probe().run(ports.map { .tcp("127.0.0.1", $0) }, in: cgroup)
        #expect(results.allSatisfy { $0 == "EPERM" }, "expected EPERM for every connect: \(Set(results))", sourceLocation: sourceLocation)
    }

    /// How many of the node's stored events fall in `ports`, after checking none is stored twice.
    static func received(_ ports: Range<UInt16>, node: String, admin: FleetAdmin) async throws -> Int {
        let stored = try await admin.eventPorts(node: node).filter { ports.contains(UInt16($0)) }
        #expect(stored.count == Set(stored).count, "an event of node \(node) was stored twice")
        return stored.count
    }

    /// Waits until the agent has had every batch acknowledged (a batch stored but not yet
    /// acknowledged when the server dies is sent again, and stored once).
    static func waitForEmptyOutbox(_ agent: AgentProcess) throws {
        try agent.waitUntil("the outbox to empty") { try agent.status().fleet?.eventsBuffered == 0 }
    }

    /// Waits until every node has applied revision `revision`; returns how long that took.
    static func waitForRollout(_ revision: Int, nodes: Int, admin: FleetAdmin) async throws -> Duration {
        let started = ContinuousClock.now
        try await eventually("\(nodes) nodes to apply revision \(revision)") {
            let rollout = try await admin.rollout()
            return rollout.revision == revision && rollout.counts.additionalProperties["applied"] == nodes
        }
        return ContinuousClock.now - started
    }

    @Test func pushEnforceAndBufferThroughAServerCrashThenRevoke() async throws {
        try await KernelSandbox.with(["fleet-a", "fleet-b", "fleet-c"]) { sandboxes in
            try await ServerProcess.withAdmin(name: "fleet") { server, admin in
                let token = try await admin.joinToken()
                let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
                let agents = try sandboxes.map { try AgentProcess(sandbox: $0) }
                defer { for agent in agents { agent.killHard() } }
                let names = agents.indices.map { "fleet-\(getpid())-\($0)" }
                for (agent, name) in zip(agents, names) {
                    try agent.start(Self.agentArguments(server, token: token, name: name))
                }
                try await eventually("three nodes to enroll") { try await admin.nodes().count == 3 }

                // A push reaches every node and is enforced in each kernel.
                let pushed = try await admin.push([Self.lockdown()], message: "lock down loopback")
                let rolloutTime = try await Self.waitForRollout(pushed.revision, nodes: 3, admin: admin)
                // A functional bound (a missed wake-up shows as a poll's full wait), not a speed check.
                #expect(rolloutTime < .seconds(25), "push to applied on 3 nodes took \(rolloutTime)")
                for sandbox in sandboxes {
                    #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")
                }

                // Decisions made with the server up arrive, each once.
                let before: Range<UInt16> = 20000..<20040
                for sandbox in sandboxes { try Self.connect(before, in: sandbox.cgroupPath) }
                for name in names {
                    try await eventually("the events of \(name) to arrive") { try await Self.received(before, node: name, admin: admin) == before.count }
                }

                for agent in agents { try Self.waitForEmptyOutbox(agent) }

                // The server crashes: the nodes keep enforcing and buffer on disk, batch after batch.
                server.kill()
                let during: [Range<UInt16>] = [21000..<21020, 21020..<21040]
                for (round, ports) in during.enumerated() {
                    for sandbox in sandboxes { try Self.connect(ports, in: sandbox.cgroupPath) }
                    for agent in agents {
                        try agent.waitUntil("round \(round) buffered on disk") {
                            guard let fleet = try agent.status().fleet else { return false }
                            return fleet.connection == .unreachable && fleet.eventsBuffered >= (round + 1) * ports.count
                        }
                    }
                    if round == 0 {
                        // A node crashes too: restarted with no server, it enforces the saved server
                        // policy and still holds its buffered events.
                        agents[1].killHard()
                        try agents[1].start(Self.agentArguments(server, token: token, name: names[1]))
                        #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandboxes[1].cgroupPath) == "EPERM")
                        let fleet = try #require(try agents[1].status().fleet)
                        #expect(fleet.eventsBuffered >= ports.count, "the outbox on disk survives an agent restart: \(fleet)")
                    }
                }

                // Restarted on the same database and port: everything buffered arrives, each once.
                try await server.start()
                let outage = during[0].lowerBound..<during[1].upperBound
                for name in names {
                    try await eventually("the buffered events of \(name) to arrive") {
                        try await Self.received(outage, node: name, admin: admin) >= outage.count
                    }
                    #expect(try await Self.received(outage, node: name, admin: admin) == outage.count)
                    #expect(try await Self.received(before, node: name, admin: admin) == before.count)
                    try await eventually("\(name) to report an empty buffer") { try await admin.node(named: name).eventsBuffered == 0 }
                    let node = try await admin.node(named: name)
                    #expect(node.eventsLost == .init(kernel: 0, agent: 0, upload: 0), "\(name) lost events: \(node.eventsLost)")
                }
                for agent in agents {
                    let fleet = try #require(try agent.status().fleet)
                    #expect(fleet.connection == .connected && fleet.eventsDropped == 0 && fleet.eventsBuffered == 0)
                }

                // The policy watch came back too: a push after the outage is applied everywhere.
                let second = try await admin.push([Self.lockdown(revision: 2)], message: "udp as well")
                let secondRollout = try await Self.waitForRollout(second.revision, nodes: 3, admin: admin)
                #expect(secondRollout < .seconds(25), "push to applied after the outage took \(secondRollout)")
                for sandbox in sandboxes {
                    #expect(try Probe().run(.udp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")
                }

                // Revocation: the node is refused, says so, and keeps enforcing its last policy.
                let revoked = try await admin.node(named: names[0])
                try await admin.revoke(nodeID: revoked.id)
                try agents[0].waitUntil("the agent to notice it was revoked", seconds: 15) {
                    try agents[0].status().fleet?.connection == .revoked
                }
                #expect(agents[0].log.contains("revoked"))
                #expect(FileManager.default.fileExists(atPath: agents[0].stateDirectory + "/fleet.json.revoked"), "the refused credential is set aside")
                #expect(!FileManager.default.fileExists(atPath: agents[0].stateDirectory + "/fleet.json"))
                #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandboxes[0].cgroupPath) == "EPERM")
                #expect(try Probe().run(.udp("127.0.0.1", listener.port), in: sandboxes[0].cgroupPath) == "EPERM")
                let rollout = try await admin.rollout()
                #expect(rollout.nodes.first { $0.nodeId == revoked.id }?.state == .revoked)
                #expect(rollout.counts.additionalProperties["applied"] == 2)
                for agent in agents.dropFirst() {
                    #expect(try agent.status().fleet?.connection == .connected)
                }

                // Local and server policy form one set: a server revision that clashes with a node's
                // folder is refused there, reported as failed, and the previous one stays in force.
                try agents[2].writePolicy("extra.yaml", Self.named("fleet-extra", port: 9))
                try agents[2].waitUntil("the local policy applies with the server's") {
                    try agents[2].status().policy?.policies.contains("fleet-extra") == true
                }
                let clash = try await admin.push([Self.named("fleet-extra", port: 10)], message: "same name as a node's own")
                try await eventually("node 2 to report the clash and node 1 to apply") {
                    let rollout = try await admin.rollout()
                    let states = Dictionary(uniqueKeysWithValues: rollout.nodes.map { ($0.name, $0) })
                    return rollout.revision == clash.revision && states[names[2]]?.state == .failed && states[names[1]]?.state == .applied
                }
                let failed = try #require(try await admin.rollout().nodes.first { $0.name == names[2] })
                #expect(failed.error?.contains("fleet-extra") == true, "\(failed.error ?? "no error")")
                #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandboxes[2].cgroupPath) == "EPERM")
                #expect(try Probe().run(.udp("127.0.0.1", listener.port), in: sandboxes[2].cgroupPath) == "EPERM")
            }
        }
    }

    /// A policy named `name` that denies TCP to a documentation address.
    static func named(_ name: String, port: Int) -> String {
        """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: \(name)}
        spec:
          egress:
            - {name: doc, action: deny, to: ["192.0.2.1"], ports: [\(port)], protocol: tcp}
        """
    }

    /// An agent newer than its server (a rolling upgrade): the server answers the policy watch
    /// with 404, and the agent long-polls instead, so a push still reaches its kernel.
    @Test func anAgentLongPollsAServerThatHasNoWatch() async throws {
        try await KernelSandbox.with("fleet-older") { sandbox in
            try await ServerProcess.withAdmin(name: "older") { server, admin in
                let proxy = try OlderServerProxy(upstreamPort: Int(server.port))
                let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
                let agent = try AgentProcess(sandbox: sandbox)
                defer { agent.killHard() }
                let token = try await admin.joinToken()
                try agent.start(["--server", proxy.url, "--join-token", token, "--allow-insecure-http", "--node-name", "fleet-older-\(getpid())"])
                try proxy.waitForARefusedWatch()
                let pushed = try await admin.push([Self.lockdown()], message: "lock down loopback")
                _ = try await Self.waitForRollout(pushed.revision, nodes: 1, admin: admin)
                #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")
            }
        }
    }

    @Test func aTinyUploadBufferCountsWhatItDrops() async throws {
        try await KernelSandbox.with("fleet-tiny") { sandbox in
            try await ServerProcess.withAdmin(name: "tiny") { server, admin in
                let agent = try AgentProcess(sandbox: sandbox)
                defer { agent.killHard() }
                let name = "fleet-tiny-\(getpid())"
                // 32 KiB holds the first batch of the outage, 25 connections to new ports, even with
                // the detector's reasons on each line (a scan of new ports is what it flags); the
                // 125 of five rounds do not fit.
                try agent.start(Self.agentArguments(server, token: try await admin.joinToken(), name: name, extra: ["--upload-buffer", "32768"]))
                let pushed = try await admin.push([Self.lockdown()], message: "lock down loopback")
                _ = try await Self.waitForRollout(pushed.revision, nodes: 1, admin: admin)

                let before: Range<UInt16> = 22000..<22010
                try Self.connect(before, in: sandbox.cgroupPath)
                try await eventually("the events before the outage to arrive") { try await Self.received(before, node: name, admin: admin) == before.count }

                try Self.waitForEmptyOutbox(agent)
                server.kill()
                var generated = 0
                for round in 0..<5 {
                    let ports = UInt16(23000 + round * 25)..<UInt16(23025 + round * 25)
                    try Self.connect(ports, in: sandbox.cgroupPath)
                    generated += ports.count
                    try agent.waitUntil("round \(round) in the outbox or counted as dropped") {
                        guard let fleet = try agent.status().fleet else { return false }
                        return fleet.eventsBuffered + Int(fleet.eventsDropped) == generated
                    }
                }
                let dropped = try #require(try agent.status().fleet?.eventsDropped)
                #expect(dropped > 0, "the bound was never reached")

                try await server.start()
                let outage: Range<UInt16> = 23000..<23125
                try await eventually("the buffered batches to arrive and the losses to be reported") {
                    let node = try await admin.node(named: name)
                    return node.eventsBuffered == 0 && node.eventsLost.upload == Int(dropped)
                }
                let received = try await Self.received(outage, node: name, admin: admin)
                #expect(received + Int(dropped) == generated, "received \(received) + dropped \(dropped) != generated \(generated)")
                #expect(received > 0, "the first batch of the outage fits the bound and must arrive")
                #expect(try await Self.received(before, node: name, admin: admin) == before.count)
            }
        }
    }
}
