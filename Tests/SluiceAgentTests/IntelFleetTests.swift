import Foundation
@preconcurrency import Glibc
import SluiceAgent
import SluiceAPI
import SluiceCore
import SluiceTestSupport
import Testing

/// A feed added on the server reaches a real agent and is decided in its kernel: the node polls
/// its layers, a process's connect to a listed address fails, the stored event names the feed
/// and indicator, and removing the feed on the server lets the traffic through again.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct IntelFleetTests {
    @Test func aServerFeedIsEnforcedOnTheNodeAndLeavesWithIt() async throws {
        try await KernelSandbox.with("intel-fleet") { sandbox in
            try await ServerProcess.withAdmin(name: "intelfleet") { server, admin in
                let listed = "127.0.\(Int.random(in: 100...149)).\(Int.random(in: 2...250))"
                let listener = try LoopbackListener(tcp: true, address: listed)
                let agent = try AgentProcess(sandbox: sandbox)
                defer { agent.killHard() }
                let name = "intel-fleet-\(getpid())"
                try agent.start(FleetTests.agentArguments(server, token: try await admin.joinToken(), name: name))
                try await eventually("the node to enroll") { try await admin.nodes().contains { $0.name == name } }
                let probe = try Probe().copy(to: sandbox.scratch + "/client")
                #expect(try probe.run(.tcp(listed, listener.port), in: sandbox.cgroupPath) == "ok")

                let list = sandbox.scratch + "/osint.txt"
                try "# an OSINT blocklist\n\(listed)\n".write(toFile: list, atomically: true, encoding: .utf8)
                _ = try await admin.client.addFeed(body: .json(.init(name: "osint", kind: .list, url: list, action: .deny))).created
                _ = try await admin.client.syncFeed(path: .init(name: "osint")).ok
                try agent.waitUntil("the server's feed is held on the node") { try agent.status().intel?.indicators["osint"] == 1 }
                #expect(try probe.run(.tcp(listed, listener.port), in: sandbox.cgroupPath) == "EPERM")

                try await eventually("the deny to reach the server, naming the feed") {
                    let body = try await admin.client.queryEvents(query: .init(node: name, verdict: "deny")).ok.body.applicationXNdjson
                    for try await lines in LineGroups(body) {
                        for line in lines where try DecisionEvent(jsonLine: line).intel?.feed == "osint" { return true }
                    }
                    return false
                }

                _ = try await admin.client.removeFeed(path: .init(name: "osint")).noContent
                try agent.waitUntil("the node drops the feed") { (try agent.status().intel?.indicators["osint"] ?? 0) == 0 }
                #expect(try probe.run(.tcp(listed, listener.port), in: sandbox.cgroupPath) == "ok")
            }
        }
    }
}
