import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// Bytes and packets per connection, counted in the kernel: real transfers of a probe process
/// on loopback, compared with what both ends read and wrote.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct FlowCountTests {
    static let policy = """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: node}
        spec:
          egress: [{action: allow, to: [loopback]}]
        """

    /// A datapath allowing loopback on the sandbox, with a reader of its ring.
    func withDatapath(_ name: String, _ body: (KernelSandbox, Datapath, RingBufferReader) async throws -> Void) async throws {
        try await KernelSandbox.with(name) { sandbox in
            let attached = try sandbox.attach(Self.policy)
            try await body(sandbox, attached.datapath, attached.reader)
        }
    }

    /// Runs one transfer op in the sandbox; returns what the probe says it sent and received.
    static func transfer(_ arguments: [String], in sandbox: KernelSandbox) throws -> (sent: UInt64, received: UInt64) {
        let output = try ChildProcess.run(Probe.builtPath, ["--join", sandbox.cgroupPath] + arguments)
        let words = output.standardOutput.split(whereSeparator: \.isWhitespace)
        guard output.status == 0, words.count == 6, words[3] == "ok",
            let sent = UInt64(words[4].dropFirst("sent=".count)), let received = UInt64(words[5].dropFirst("received=".count))
        else { throw SandboxError("transfer \(arguments) failed: \(output.standardOutput) \(output.standardError)") }
        return (sent, received)
    }

    /// Waits for the final flow record of the connection to `port`.
    static func finalFlow(port: UInt16, from reader: RingBufferReader) async throws -> RawEvent {
        var found: RawEvent?
        try await eventually("the final flow record to port \(port)") {
            if found == nil {
                found = try reader.drain().events.first { $0.flow?.final == true && $0.port == port }
            }
            return found != nil
        }
        return found!
    }

    @Test(arguments: [(1_000_000, 100_000_000, "127.0.0.1"), (100_000_000, 1_000_000, "::1")])
    func aTCPTransferIsCountedExactlyEachWay(send: Int, reply: Int, address: String) async throws {
        try await withDatapath("flow-tcp") { sandbox, _, reader in
            let server = try TransferServer(tcp: true, address: address, reply: reply)
            let done = try Self.transfer(["transfer-tcp", address, String(server.port), String(send)], in: sandbox)
            #expect(done == (UInt64(send), UInt64(reply)))
            let record = try await Self.finalFlow(port: server.port, from: reader)
            let flow = try #require(record.flow)
            #expect(flow.bytesSent == UInt64(send))
            #expect(flow.bytesReceived == UInt64(reply))
            #expect(server.received == [send])
            // At least the handshake and a segment each way; loopback sends up to 64 KiB a packet.
            #expect(flow.packetsSent >= UInt64(send / 65536) + 2 && flow.packetsReceived >= UInt64(reply / 65536) + 2)
            #expect(record.hookName == "flow" && record.action == .allow && record.protocolNumber == UInt8(IPPROTO_TCP))
            #expect(record.destination == IPAddress(address)! && flow.startNanoseconds <= record.bootTimeNanoseconds)
        }
    }

    @Test(arguments: ["127.0.0.1", "::1"])
    func aUDPStreamIsCountedPerDatagram(address: String) async throws {
        try await withDatapath("flow-udp") { sandbox, _, reader in
            let server = try TransferServer(tcp: false, address: address)
            let done = try Self.transfer(["transfer-udp", address, String(server.port), "200", "1200"], in: sandbox)
            #expect(done == (240_000, 240_000))
            let flow = try #require(try await Self.finalFlow(port: server.port, from: reader).flow)
            #expect(flow.bytesSent == 240_000 && flow.bytesReceived == 240_000)
            #expect(flow.packetsSent == 200 && flow.packetsReceived == 200)
        }
    }

    /// A socket that only sends with sendto: one flow per run of sends to one destination, each
    /// exact, under the socket's one cookie.
    @Test(arguments: ["127.0.0.1", "::1"])
    func unconnectedSendsAreCountedPerDestination(address: String) async throws {
        try await withDatapath("flow-sendto") { sandbox, _, reader in
            let first = try TransferServer(tcp: false, address: address)
            let second = try TransferServer(tcp: false, address: address)
            let done = try Self.transfer(
                ["transfer-sendto", address, String(first.port), "100", "1200", String(second.port)], in: sandbox)
            #expect(done == (240_000, 240_000))
            var finals: [UInt16: RawFlow] = [:]
            try await eventually("the final flow records to ports \(first.port) and \(second.port)") {
                for event in try reader.drain().events {
                    if let flow = event.flow, flow.final { finals[event.port] = flow }
                }
                return finals[first.port] != nil && finals[second.port] != nil
            }
            for port in [first.port, second.port] {
                let flow = try #require(finals[port])
                #expect(flow.bytesSent == 120_000 && flow.bytesReceived == 120_000, "port \(port)")
                #expect(flow.packetsSent == 100 && flow.packetsReceived == 100, "port \(port)")
            }
            #expect(finals[first.port]?.cookie == finals[second.port]?.cookie)
            #expect(first.received.count == 100 && second.received.count == 100)
        }
    }

    /// A redirected datagram of an unconnected socket counts toward where the application sent
    /// it, as a redirected connection does, not toward the destination it sent to before.
    @Test(arguments: ["127.0.0.1", "::1"])
    func redirectedUnconnectedSendsAreCountedTowardWhereTheyWereSent(address: String) async throws {
        try await KernelSandbox.with("flow-sendto-redirect") { sandbox in
            let first = try TransferServer(tcp: false, address: address)
            let target = try TransferServer(tcp: false, address: address)
            // A port nothing listens on: only the redirect gets the second run its echoes.
            let original: UInt16 = 9
            let reader = try sandbox.attach(
                sandbox.redirectPolicy(
                    original: address, port: original, transport: "udp", target: address, targetPort: target.port,
                    then: ["{action: allow, to: [loopback]}"])
            ).reader
            let done = try Self.transfer(
                ["transfer-sendto", address, String(first.port), "100", "1200", String(original)], in: sandbox)
            #expect(done == (240_000, 240_000))
            var finals: [UInt16: RawFlow] = [:]
            try await eventually("the final flow records to ports \(first.port) and \(original)") {
                for event in try reader.drain().events {
                    if let flow = event.flow, flow.final { finals[event.port] = flow }
                }
                return finals[first.port] != nil && finals[original] != nil
            }
            for port in [first.port, original] {
                let flow = try #require(finals[port])
                #expect(flow.bytesSent == 120_000 && flow.bytesReceived == 120_000, "port \(port)")
                #expect(flow.packetsSent == 100 && flow.packetsReceived == 100, "port \(port)")
            }
            #expect(first.received.count == 100 && target.received.count == 100)
        }
    }

    @Test func anOpenConnectionIsReadWithItsCountsSoFarAndEndsWithOneFinalRecord() async throws {
        try await withDatapath("flow-open") { sandbox, datapath, reader in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let held = try HeldProbe(["hold-tcp", "127.0.0.1", String(listener.port)], in: sandbox.cgroupPath)
            #expect(try held.line() == "hold-tcp 127.0.0.1 \(listener.port) ok")
            let open = try datapath.openFlows().filter { $0.port == listener.port }
            try #require(open.count == 1)
            let flow = try #require(open[0].flow)
            #expect(!flow.final && flow.bytesSent == 0 && flow.packetsSent >= 1)
            #expect(try reader.drain().events.allSatisfy { $0.flow == nil })

            held.release()
            #expect(held.wait() == 0)
            let final = try await Self.finalFlow(port: listener.port, from: reader)
            #expect(final.flow?.cookie == flow.cookie)
            #expect(try datapath.openFlows().allSatisfy { $0.port != listener.port })
        }
    }
}
