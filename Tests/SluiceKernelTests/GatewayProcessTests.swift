import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

/// `sluice gateway` as a process against a real server: it applies the fleet's policy to a router
/// namespace's nftables, adds a feed's indicators as a timed set when an admin adds the feed, and
/// drops them when the feed is removed; routed traffic between two test hosts follows each step.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)), .timeLimit(.minutes(5)))
struct GatewayProcessTests {
    @Test func theGatewayFollowsTheServersPolicyAndFeeds() async throws {
        try await GatewayNetwork.with { network in
            let listeners = try network.listen(on: [8080, 7000])
            defer { listeners.kill() }
            try await ServerProcess.withAdmin(name: "gateway") { server, admin in
                let target = GatewayNetwork.serverAddress
                _ = try await admin.push(
                    [
                        """
                        apiVersion: sluice/v1
                        kind: Policy
                        metadata: {name: routed}
                        spec:
                          default: deny
                          egress: [{name: web, action: allow, to: [10.77.2.0/24], ports: [8080], protocol: tcp}]
                        """
                    ], message: "routed web only")
                let gateway = try Subprocess(
                    BuildProducts.path(of: "sluice"),
                    ["gateway", "--server", server.url, "--token", admin.token, "--allow-insecure-http", "--netns", network.gateway, "--interval", "1"])
                defer { gateway.kill() }
                try await eventually("the policy to be applied in the router namespace") {
                    try NftablesGatewayTests.blocked(network, [(target, 8080), (target, 7000)]) == [false, true]
                }

                let list = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-gateway-\(getpid()).txt")
                try "\(target)\n".write(to: list, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(at: list) }
                _ = try await admin.client.addFeed(body: .json(.init(name: "blocked-hosts", kind: .list, url: list.path, action: .deny))).created
                _ = try await admin.client.syncFeed(path: .init(name: "blocked-hosts")).ok
                try await eventually("the feed's indicator to refuse the allowed port") {
                    try NftablesGatewayTests.blocked(network, [(target, 8080)]) == [true]
                }
                let table = try GatewayNetwork.run(network.enter(network.gateway) + ["nft", "list", "table", "inet", "sluice"])
                #expect(table.contains(target), "the feed's set holds the indicator: \(table)")

                _ = try await admin.client.removeFeed(path: .init(name: "blocked-hosts")).noContent
                try await eventually("the feed's removal to let the allowed port through again") {
                    try NftablesGatewayTests.blocked(network, [(target, 8080)]) == [false]
                }
            }
        }
    }
}
