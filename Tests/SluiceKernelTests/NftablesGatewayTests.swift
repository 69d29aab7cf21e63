import Foundation
import SluiceCore
import SluiceFirewall
import SluiceKernel
import SluiceTestSupport
import Testing

/// The nftables integrator with real nft, in network namespaces the tests make: a gateway
/// routes between a client and a server and decides by the node's rules exactly as `policy
/// explain` does; re-syncs are atomic, a refused batch leaves the last good ruleset, and other
/// tables are never touched.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)), .timeLimit(.minutes(5)))
struct NftablesGatewayTests {
    static let server = GatewayNetwork.serverAddress
    static let server6 = GatewayNetwork.serverAddress6
    static let ports: [UInt16] = [7000, 7001, 8080, 9000, 9050, 9100]

    static func policy(_ extra: String = "") -> String {
        """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: gateway}
        spec:
          default: deny
          egress:
            - {name: web, action: allow, to: [\(server), "\(server6)"], ports: [8080], protocol: tcp}
            - {name: block, action: allow, to: [10.77.2.0/24], ports: ["9000-9100"]}
            - {name: hole, action: deny, to: [\(server)], ports: [9050]}
            - {name: watched, action: alert, to: [10.77.2.0/24], ports: [7000], protocol: tcp}
            - {name: v6-block, action: allow, to: ["fd00:77:2::/64"], ports: [9000]}
        \(extra)
        """
    }

    /// What `policy explain` says for a routed connection: the node decides (no application).
    static func expectedBlocked(_ compiled: CompiledPolicy, _ address: String, _ port: UInt16) throws -> Bool {
        let destination = try #require(IPAddress(address))
        let flow = FlowQuery(executable: nil, cgroupAncestry: [], destination: destination, port: port, transport: .tcp)
        return DecisionEngine(image: try DatapathImage(compiled)).decide(flow).verdict.blocks
    }

    /// Connects from the client namespace; true when the connection was refused.
    static func blocked(_ network: GatewayNetwork, _ targets: [(String, UInt16)], cgroup: String? = nil) throws -> [Bool] {
        let join = cgroup.map { ["--join", $0] } ?? []
        let ops = targets.flatMap { ["connect-tcp", $0.0, "\($0.1)"] }
        let child = try Subprocess("/usr/bin/env", network.enter(network.client) + [Probe.builtPath] + join + ops, output: .pipe)
        let lines = try child.output?.readToEnd().split(separator: "\n") ?? []
        child.wait()
        try #require(lines.count == targets.count, "probe printed \(lines)")
        return lines.map { !$0.hasSuffix(" ok") }
    }

    static func integrator(_ network: GatewayNetwork, in namespace: String, renderer: NftablesRenderer) -> NftablesIntegrator {
        NftablesIntegrator(renderer: renderer, command: network.enter(namespace) + ["nft"], logger: testLogger)
    }

    @Test func aGatewayDecidesRoutedTrafficAsPolicyExplainDoes() async throws {
        try await GatewayNetwork.with { network in
            let listeners = try network.listen(on: Self.ports)
            defer { listeners.kill() }
            let cgroups = try CgroupFS.discover()
            let compiled = try PolicyFixture.compile(Self.policy(), cgroups: cgroups)
            let gateway = Self.integrator(network, in: network.gateway, renderer: NftablesRenderer(forward: true))
            // Someone else's table in the same namespace, which Sluice must leave alone.
            try GatewayNetwork.run(network.enter(network.gateway) + ["nft", "-f", "-"], input: "table inet other {\n chain keep {\n counter\n }\n}\n")
            #expect(try await gateway.readBack() == nil)

            let rendering = try gateway.render(compiled, feeds: [], now: Date())
            #expect(rendering.unexpressed.isEmpty)
            try await gateway.sync(rendering.ruleset)
            #expect(try await gateway.readBack() == rendering.ruleset.summary)

            let targets = [Self.server, Self.server6].flatMap { address in Self.ports.map { (address, $0) } }
            let expected = try targets.map { try Self.expectedBlocked(compiled, $0.0, $0.1) }
            #expect(expected.contains(true) && expected.contains(false))
            #expect(try Self.blocked(network, targets) == expected, "\(targets)")

            // A batch nft refuses leaves the ruleset before it in force.
            var broken = rendering.ruleset
            broken.chains[broken.chains.count - 1].rules.append(NftRule([], [.jump("no-such-chain")], comment: "broken"))
            await #expect(throws: NftablesError.self) { try await gateway.apply(broken) }
            #expect(try await gateway.readBack() == rendering.ruleset.summary)
            #expect(try Self.blocked(network, targets) == expected)

            // A gateway started again finds the ruleset the kernel kept.
            let restarted = Self.integrator(network, in: network.gateway, renderer: NftablesRenderer(forward: true))
            #expect(try await restarted.readBack() == rendering.ruleset.summary)

            try await gateway.remove()
            #expect(try await gateway.readBack() == nil)
            #expect(try Self.blocked(network, targets).allSatisfy { !$0 })
            try GatewayNetwork.run(network.enter(network.gateway) + ["nft", "list", "table", "inet", "other"])
        }
    }

    @Test func aResyncIsAtomic() async throws {
        try await GatewayNetwork.with { network in
            let listeners = try network.listen(on: Self.ports)
            defer { listeners.kill() }
            let cgroups = try CgroupFS.discover()
            // Both allow 8080 and refuse 7001 (the default); they differ on 9100.
            let old = try PolicyFixture.compile(Self.policy(), cgroups: cgroups)
            let new = try PolicyFixture.compile(Self.policy("    - {name: closed, action: deny, to: [\(Self.server)], ports: [9100]}"), cgroups: cgroups)
            for compiled in [old, new] {
                #expect(try Self.expectedBlocked(compiled, Self.server, 8080) == false)
                #expect(try Self.expectedBlocked(compiled, Self.server, 7001) == true)
            }
            #expect(try Self.expectedBlocked(old, Self.server, 9100) != Self.expectedBlocked(new, Self.server, 9100))
            let gateway = Self.integrator(network, in: network.gateway, renderer: NftablesRenderer(forward: true))
            let rulesets = try [old, new].map { try gateway.render($0, feeds: [], now: Date()).ruleset }
            try await gateway.sync(rulesets[0])

            // A client connects over and over while the gateway swaps the rulesets: a moment with
            // no table, or half a table, would let 7001 through or refuse 8080. Clients run one
            // after another until several swaps happened while one was connecting (on a busy
            // machine one nft transaction can outlast a whole client).
            let rounds = 2000
            let ops = (0..<rounds).flatMap { _ in ["connect-tcp", Self.server, "8080", "connect-tcp", Self.server, "7001"] }
            var swaps = 0
            var clients = 0
            var lines: [Substring] = []
            while swaps < 4 && clients < 50 {
                let client = try Subprocess("/usr/bin/env", network.enter(network.client) + [Probe.builtPath] + ops, output: .pipe)
                // Read as it prints, or a full pipe would stop the client.
                let output = Task.detached { try client.output?.readToEnd() ?? "" }
                while client.isRunning {
                    try await gateway.apply(rulesets[(swaps + 1) % 2])
                    swaps += 1
                }
                lines += try await output.value.split(separator: "\n")
                clients += 1
            }
            #expect(lines.count == rounds * 2 * clients)
            #expect(swaps >= 4, "the clients finished before the gateway swapped four times")
            let wrong = lines.filter { line in line.contains(" 8080 ") ? !line.hasSuffix(" ok") : line.hasSuffix(" ok") }
            #expect(wrong.isEmpty, "\(wrong.count) connections decided by neither ruleset: \(wrong.prefix(5))")
            #expect(try await gateway.readBack() == rulesets[swaps % 2].summary)
        }
    }

    @Test func cgroupSubjectsAreDecidedOnTheHostsOwnOutput() async throws {
        try await GatewayNetwork.with { network in
            let listeners = try network.listen(on: Self.ports)
            defer { listeners.kill() }
            let cgroups = try CgroupFS.discover()
            let relative = "sluice-nft-test-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
            let directory = try cgroups.create(relative)
            try await withCleanup({ try? cgroups.removeTree(relative, parkingProcessesIn: cgroups.mount.mountPoint) }) {
                let compiled = try PolicyFixture.compile(
                    """
                    apiVersion: sluice/v1
                    kind: Policy
                    metadata: {name: boxed}
                    spec:
                      subjects: [{cgroup: \(relative)}]
                      default: deny
                      egress:
                        - {name: web, action: allow, to: [\(Self.server)], ports: [8080]}
                    """, cgroups: cgroups)
                let prefix = try #require(NftablesIntegrator.cgroupPathPrefix(mountPoint: cgroups.mount.mountPoint))
                let client = Self.integrator(network, in: network.client, renderer: NftablesRenderer(cgroupPathPrefix: prefix))
                try await client.sync(try client.render(compiled, feeds: [], now: Date()).ruleset)
                let targets = [(Self.server, UInt16(8080)), (Self.server, 9000)]
                let inside = try cgroups.ancestry(of: relative)
                let placements: [([CgroupIdentity], String?)] = [(inside, directory), ([], nil)]
                for (ancestry, cgroup) in placements {
                    let expected = try targets.map { target in
                        let flow = FlowQuery(
                            executable: nil, cgroupAncestry: ancestry, destination: try #require(IPAddress(target.0)), port: target.1, transport: .tcp)
                        return DecisionEngine(image: try DatapathImage(compiled)).decide(flow).verdict.blocks
                    }
                    #expect(try Self.blocked(network, targets, cgroup: cgroup) == expected, "in \(cgroup ?? "the test's cgroup")")
                }
                #expect(try Self.blocked(network, targets, cgroup: directory) == [false, true])
            }
        }
    }
}
