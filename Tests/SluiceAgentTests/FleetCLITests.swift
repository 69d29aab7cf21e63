import Foundation
@preconcurrency import Glibc
import SluiceAgent
import SluiceCore
import SluiceTestSupport
import Testing

/// `sluice events --fleet` against a real server with a real agent: a listing longer than one
/// chunk of the response arrives whole, and `--follow` keeps streaming (the client must outlive
/// the stream it returned).
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct FleetCLITests {
    @Test func theFleetEventsCommandListsWholeAndFollows() async throws {
        try await KernelSandbox.with("fleetcli") { sandbox in
            try await ServerProcess.withAdmin(name: "fleetcli") { server, admin in
                let agent = try AgentProcess(sandbox: sandbox)
                defer { agent.killHard() }
                let name = "fleetcli-\(getpid())"
                try agent.start(FleetTests.agentArguments(server, token: try await admin.joinToken(), name: name))
                let pushed = try await admin.push([FleetTests.lockdown()], message: "lock down loopback")
                _ = try await FleetTests.waitForRollout(pushed.revision, nodes: 1, admin: admin)

                let listed: Range<UInt16> = 22000..<22300
                try FleetTests.connect(listed, in: sandbox.cgroupPath)
                try await eventually("the events to reach the server") {
                    try await FleetTests.received(listed, node: name, admin: admin) == listed.count
                }
                let environment = ProcessInfo.processInfo.environment.merging(
                    ["SLUICE_SERVER": server.url, "SLUICE_TOKEN": admin.token, "SLUICE_ALLOW_INSECURE_HTTP": "1"]) { $1 }
                let output = try ChildProcess.run(
                    BuildProducts.path(of: "sluice"), ["events", "--fleet", "--output", "json", "--recent", "300", "--node", name],
                    environment: environment)
                #expect(output.status == 0, "\(output.standardError)")
                let ports = Set(output.standardOutput.split(separator: "\n").compactMap { Self.port(of: String($0)) })
                #expect(ports == Set(listed.map(Int.init)), "all \(listed.count) listed, got \(ports.count): \(output.standardError)")

                // Live: events made after the follower started arrive on it. Its subscription is not
                // observable from outside, so connections go on until one shows up, then a batch is
                // counted exactly.
                let follower = try EventFollower(
                    arguments: ["events", "--fleet", "--follow", "--output", "json", "--node", name], environment: environment)
                var next: UInt16 = 23000
                try await eventually("the follower to see a live event") {
                    try FleetTests.connect(next..<(next + 1), in: sandbox.cgroupPath)
                    next += 1
                    return follower.events.contains { ($0["dst_port"] as? Int).map { $0 >= 23000 } ?? false }
                }
                let live: Range<UInt16> = 24000..<24150
                try FleetTests.connect(live, in: sandbox.cgroupPath)
                try await eventually("every live event on the follower") {
                    let seen = Set(follower.events.compactMap { $0["dst_port"] as? Int }.filter { live.contains(UInt16($0)) })
                    return seen.count == live.count
                }
                #expect(follower.isRunning, "--follow keeps running")
            }
        }
    }

    static func port(of line: String) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
        return object["dst_port"] as? Int
    }
}
