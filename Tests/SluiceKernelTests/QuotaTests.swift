import Foundation
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// `quota` on allow rules, on a throwaway cgroup with real transfers to loopback listeners: a
/// connection is cut where its bytes pass the quota (the peer never gets more), a windowed
/// quota refuses the application's next connections with EDQUOT, and each is an event.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct QuotaTests {
    static let mebibyte = 1 << 20

    @Test func transfersAreCutAtTheirQuotaAndASpentWindowRefusesNewConnections() async throws {
        try await KernelSandbox.with("quota") { sandbox in
            let perConnection = try TransferServer(tcp: true, address: "127.0.0.1")
            let windowed = try TransferServer(tcp: true, address: "127.0.0.1")
            let datagrams = try TransferServer(tcp: false, address: "127.0.0.1")
            let compiled = try PolicyFixture.compile(
                """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: quotas}
                spec:
                  subjects: [{cgroup: \(sandbox.cgroupRelative)}]
                  egress:
                    - {name: upload, action: allow, to: ["127.0.0.1"], ports: [\(perConnection.port)], protocol: tcp, quota: {sent: 1MiB}}
                    - {name: hourly, action: allow, to: ["127.0.0.1"], ports: [\(windowed.port)], protocol: tcp, quota: {sent: 100KB, per: 1h}}
                    - {name: datagrams, action: alert, to: ["127.0.0.1"], ports: [\(datagrams.port)], protocol: udp, quota: {sent: "60000"}}
                """, cgroups: sandbox.cgroups)
            let image = try DatapathImage(compiled)
            let datapath = try Datapath(
                configuration: DatapathConfiguration(pins: sandbox.pins, cgroupPath: sandbox.cgroupPath), logger: testLogger)
            try datapath.apply(image)
            try datapath.attach()
            let reader = try RingBufferReader(map: datapath.events)
            var events: [RawEvent] = []
            func cut(_ port: UInt16) async throws -> RawEvent {
                var found: RawEvent?
                try await eventually("the quota cut of port \(port) is recorded", seconds: 20) {
                    events += try reader.drain().events
                    found = events.first { $0.port == port && $0.action == .quota && $0.hookName == "quota" }
                    return found != nil
                }
                return found!
            }

            // Per connection: 8 MiB offered, cut at 1 MiB; the agent's sweep ends the socket.
            let upload = try HeldProbe(["transfer-tcp", "127.0.0.1", "\(perConnection.port)", "\(8 * Self.mebibyte)"], in: sandbox.cgroupPath)
            defer { upload.release() }
            let uploadCut = try await cut(perConnection.port)
            #expect(uploadCut.enforced && uploadCut.ruleID == compiled.rules.first { $0.rule == "upload" }?.id)
            #expect(try datapath.flowSweeper.endCutConnections() >= 1)
            let uploadLine = try upload.line()
            #expect(uploadLine.contains(" ECONNABORTED "), "the application learns its connection was ended: \(uploadLine)")
            try await eventually("the listener sees the connection end", seconds: 10) { perConnection.received.count == 1 }
            let delivered = perConnection.received[0]
            // Never more than the quota; less by at most the one segment that would have passed it.
            #expect(delivered <= Self.mebibyte && delivered > Self.mebibyte - 65_536, "delivered \(delivered)")

            // Windowed: 60 KB fits in 100 KB; the next 60 KB passes it and is cut; then the window is spent.
            let first = try HeldProbe(["transfer-tcp", "127.0.0.1", "\(windowed.port)", "60000"], in: sandbox.cgroupPath)
            defer { first.release() }
            #expect(try first.line().contains(" ok sent=60000 "))
            let second = try HeldProbe(["transfer-tcp", "127.0.0.1", "\(windowed.port)", "60000"], in: sandbox.cgroupPath)
            defer { second.release() }
            _ = try await cut(windowed.port)
            _ = try datapath.flowSweeper.endCutConnections()
            #expect(try second.line().contains(" ECONNABORTED "))
            #expect(try Probe().run(.tcp("127.0.0.1", windowed.port), in: sandbox.cgroupPath) == "EDQUOT")

            // UDP: the datagram that would pass 60,000 bytes is dropped (the send fails).
            let udp = try HeldProbe(["transfer-udp", "127.0.0.1", "\(datagrams.port)", "100", "1200"], in: sandbox.cgroupPath)
            defer { udp.release() }
            let udpLine = try udp.line()
            #expect(udpLine.contains(" EPERM sent=60000 "), "\(udpLine)")
            #expect(try await cut(datagrams.port).enforced)
            #expect(try datapath.counters().quota == 4, "three cuts and one refused connect")
        }
    }
}
