import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// Rules by name, end to end: a real DNS server (dnsmasq) answers real lookups made by probe
/// processes in a throwaway cgroup; the kernel reads the answers and decides the connects that
/// follow by the names each application asked for.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct DomainRuleTests {
    /// A probe's result line: "resolve-tcp NAME PORT ADDR RESULT".
    static func resolve(_ probe: Probe, _ server: DNSTestServer, _ name: String, port: UInt16, in cgroup: String) throws -> (address: String, result: String) {
        let output = try ChildProcess.run(probe.path, ["--join", cgroup, "resolve-tcp", server.address, name, String(port)])
        let fields = output.standardOutput.split(separator: " ").map(String.init)
        guard fields.count == 5 else { throw SandboxError("sluice-probe said: \(output.standardOutput)\(output.standardError)") }
        return (fields[3], fields[4].trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func namesDecideByWhatEachApplicationLookedUp() async throws {
        try await KernelSandbox.with("names") { sandbox in
            // One address behind several names, as on a CDN.
            let shared = "127.0.\(Int.random(in: 200...250)).\(Int.random(in: 2...250))"
            let listener = try LoopbackListener(tcp: true, address: shared)
            let dns = try DNSTestServer(
                hosts: ["api.sluice.test": shared, "other.sluice.test": shared, "edge.cdn.sluice.test": shared],
                aliases: ["www.sluice.test": "api.sluice.test", "alias.cdn.sluice.test": "api.sluice.test"], scratch: sandbox.scratch)
            try await dns.waitUntilAnswering("api.sluice.test")
            let policy = """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: names}
                spec:
                  default: deny
                  egress:
                    - {action: allow, to: ["\(dns.address)"], ports: [53], protocol: udp}
                    - {action: allow, to: ["API.sluice.test.", "*.cdn.sluice.test"], ports: [\(listener.port)], protocol: tcp}
                """
            let datapath = try Datapath(
                configuration: DatapathConfiguration(pins: sandbox.pins, cgroupPath: sandbox.cgroupPath), logger: testLogger)
            try datapath.setRuntime(DatapathRuntime(agent: nil, eventMode: .all))
            try datapath.apply(try DatapathImage(PolicyFixture.compile(policy, cgroups: sandbox.cgroups)))
            try datapath.attach()
            let reader = try RingBufferReader(map: datapath.events)
            let first = try Probe().copy(to: sandbox.scratch + "/first")
            let second = try Probe().copy(to: sandbox.scratch + "/second")
            let port = listener.port
            let cgroup = sandbox.cgroupPath

            // Never looked up: an address alone is not allowed.
            #expect(try first.run(.tcp(shared, port), in: cgroup) == "EPERM")
            // Looked up under an allowed name, exact (written in another case, with a dot) or
            // under a wildcard, directly or as the start of a CNAME chain.
            #expect(try Self.resolve(first, dns, "api.sluice.test", port: port, in: cgroup) == (shared, "ok"))
            let events = try reader.drain().events.filter { $0.destination == IPAddress(shared)! }
            #expect(events.last.map { datapath.domainNames.name(of: $0.nameID) } == "api.sluice.test")
            #expect(try first.run(.tcp(shared, port), in: cgroup) == "ok", "the application's own later connects keep the name")
            #expect(try Self.resolve(first, dns, "edge.cdn.sluice.test", port: port, in: cgroup).result == "ok")
            #expect(try Self.resolve(first, dns, "alias.cdn.sluice.test", port: port, in: cgroup).result == "ok")
            // The name asked for is what counts, not where a CNAME leads.
            #expect(try Self.resolve(first, dns, "www.sluice.test", port: port, in: cgroup).result == "EPERM")
            // Another application never looked the address up: its connect is not allowed by the
            // first one's lookup, though the address is the same.
            #expect(try Self.resolve(first, dns, "api.sluice.test", port: port, in: cgroup).result == "ok")
            #expect(try second.run(.tcp(shared, port), in: cgroup) == "EPERM")
            // The last lookup names the address for the application: another name for it is
            // not allowed, and neither is the address until it is looked up under an allowed name.
            #expect(try Self.resolve(first, dns, "other.sluice.test", port: port, in: cgroup).result == "EPERM")
            #expect(try first.run(.tcp(shared, port), in: cgroup) == "EPERM")
            #expect(try Self.resolve(first, dns, "api.sluice.test", port: port, in: cgroup).result == "ok")
            let counters = try datapath.counters()
            #expect(counters.dnsAnswers >= 7 && counters.dnsRefused == 0)
        }
    }

    /// A name rule and an exact-address rule for the same destination: the narrower ports win,
    /// as `DecisionEngine` (policy explain) says.
    @Test func aNameRanksWithAWholeAddressByItsPorts() async throws {
        try await KernelSandbox.with("names-rank") { sandbox in
            let shared = "127.0.\(Int.random(in: 200...250)).\(Int.random(in: 2...250))"
            let listener = try LoopbackListener(tcp: true, address: shared)
            let dns = try DNSTestServer(hosts: ["db.sluice.test": shared], scratch: sandbox.scratch)
            try await dns.waitUntilAnswering("db.sluice.test")
            let policy = """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: rank}
                spec:
                  default: allow
                  egress:
                    - {action: deny, to: ["db.sluice.test"], ports: [\(listener.port)], protocol: tcp}
                    - {action: allow, to: ["\(shared)"]}
                """
            let compiled = try PolicyFixture.compile(policy, cgroups: sandbox.cgroups)
            let datapath = try Datapath(
                configuration: DatapathConfiguration(pins: sandbox.pins, cgroupPath: sandbox.cgroupPath), logger: testLogger)
            try datapath.apply(try DatapathImage(compiled))
            try datapath.attach()
            let probe = try Probe().copy(to: sandbox.scratch + "/probe")
            #expect(try probe.run(.tcp(shared, listener.port), in: sandbox.cgroupPath) == "ok", "no lookup: the address rule")
            #expect(try Self.resolve(probe, dns, "db.sluice.test", port: listener.port, in: sandbox.cgroupPath).result == "EPERM")
            var flow = FlowQuery(
                executable: nil, cgroupAncestry: try sandbox.cgroups.ancestry(of: sandbox.cgroupRelative),
                destination: IPAddress(shared)!, port: listener.port, transport: .tcp)
            flow.domain = DomainName("db.sluice.test")
            #expect(DecisionEngine(image: try DatapathImage(compiled)).decide(flow).verdict.action == .deny)
        }
    }
}
