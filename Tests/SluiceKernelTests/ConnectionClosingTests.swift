import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// Open connections a new generation denies are ended (bpf_sock_destroy from socket iterators):
/// real TCP connections and connected UDP sockets of a probe process, real errors seen by it.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct ConnectionClosingTests {
    static func policy(_ egress: String, keep: Bool = false) -> String {
        """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: node}
        spec:
          existingConnections: \(keep ? "keep" : "close")
          egress: [\(egress)]
        """
    }

    /// A datapath on the sandbox allowing loopback, a TCP and a UDP listener, and a probe
    /// holding one connection to each.
    func withHeldConnections(
        _ name: String, _ body: (KernelSandbox, Datapath, HeldProbe, (tcp: UInt16, udp: UInt16)) throws -> Void
    ) async throws {
        try await KernelSandbox.with(name) { sandbox in
            let tcp = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let udp = try LoopbackListener(tcp: false, address: "127.0.0.1")
            let datapath = try sandbox.datapath()
            try #require(datapath.closing == .available, "this kernel has bpf_sock_destroy (6.5+); \(datapath.closing)")
            try datapath.apply(DatapathImage(try PolicyFixture.compile(Self.policy("{action: allow, to: [loopback]}"), cgroups: sandbox.cgroups)))
            try datapath.attach()
            let held = try HeldProbe(
                ["hold-tcp", "127.0.0.1", String(tcp.port), "hold-udp", "127.0.0.1", String(udp.port)], in: sandbox.cgroupPath)
            #expect(try held.line() == "hold-tcp 127.0.0.1 \(tcp.port) ok")
            #expect(try held.line() == "hold-udp 127.0.0.1 \(udp.port) ok")
            try body(sandbox, datapath, held, (tcp.port, udp.port))
        }
    }

    @Test func aDenyEndsOpenTCPAndConnectedUDPWithAnEventEach() async throws {
        try await withHeldConnections("close") { sandbox, datapath, held, ports in
            let reader = try RingBufferReader(map: datapath.events)
            _ = try reader.drain()
            let compiled = try PolicyFixture.compile(Self.policy("{action: deny, to: [127.0.0.1]}"), cgroups: sandbox.cgroups)
            let image = try DatapathImage(compiled)
            try datapath.apply(image)
            #expect(try datapath.closeDeniedConnections() == 2)

            let ends = Set([try held.line(), try held.line()])
            #expect(
                ends == [
                    "closed hold-tcp 127.0.0.1 \(ports.tcp) ECONNABORTED", "closed hold-udp 127.0.0.1 \(ports.udp) ECONNABORTED",
                ])
            #expect(held.wait() == 0)
            #expect(try datapath.counters().closed == 2)

            let closed = try reader.drain().events.filter(\.closed)
            #expect(Set(closed.map(\.hookName)) == ["close-tcp", "close-udp"])
            #expect(Set(closed.map(\.port)) == [ports.tcp, ports.udp])
            for event in closed {
                #expect(event.action == .deny && event.enforced)
                #expect(event.destination == IPAddress("127.0.0.1")!)
                #expect(compiled.rule(event.ruleID)?.rule == "egress[0]")
            }
            // What `policy explain` says of the same flows.
            let engine = DecisionEngine(image: image)
            for (port, transport) in [(ports.tcp, TransportProtocol.tcp), (ports.udp, .udp)] {
                let flow = FlowQuery(
                    executable: nil, cgroupAncestry: try sandbox.cgroups.ancestry(of: sandbox.cgroupRelative),
                    destination: IPAddress("127.0.0.1")!, port: port, transport: transport)
                #expect(engine.decide(flow).verdict.blocks)
            }
        }
    }

    @Test func existingConnectionsKeepAndOtherDestinationsLeaveThemOpen() async throws {
        try await withHeldConnections("keep") { sandbox, datapath, held, _ in
            try datapath.apply(
                DatapathImage(try PolicyFixture.compile(Self.policy("{action: deny, to: [127.0.0.2]}"), cgroups: sandbox.cgroups)))
            #expect(try datapath.closeDeniedConnections() == 0, "a deny of another destination ends nothing")
            try datapath.apply(
                DatapathImage(
                    try PolicyFixture.compile(Self.policy("{action: deny, to: [127.0.0.1]}", keep: true), cgroups: sandbox.cgroups)))
            #expect(try datapath.closeDeniedConnections() == 0, "existingConnections: keep")
            held.release()
            #expect(try held.line() == "released", "both connections were still open")
            #expect(try datapath.counters().closed == 0)
        }
    }
}
