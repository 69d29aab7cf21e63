import Foundation
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// DNS over TCP as glibc makes it (`options use-vc`), from a server that writes its answers cut
/// across segments: the kernel gathers each message per connection and names the address before
/// the application reads it, so the connect that follows is decided by the name.
@Suite(.serialized) struct DNSOverTCPTests {
    static let name = "split.sluice.test"

    /// A real process (Python, through glibc's getaddrinfo) in the sandbox cgroup looks the name
    /// up (IPv4 only with `family` "4", both families otherwise) and connects to what it got:
    /// "connected", "EPERM", or what went wrong.
    static func lookUpAndConnect(_ sandbox: KernelSandbox, resolver: String, port: UInt16, family: String) throws -> String {
        let resolv = sandbox.scratch + "/resolv-\(resolver).conf"
        try "nameserver \(resolver)\noptions use-vc attempts:1 timeout:5\n".write(toFile: resolv, atomically: true, encoding: .utf8)
        let script = """
            import socket, sys
            family = socket.AF_INET if sys.argv[1] == "4" else socket.AF_UNSPEC
            try:
                address = socket.getaddrinfo("\(name)", \(port), family, socket.SOCK_STREAM)[0][4]
            except OSError as error:
                print("lookup failed:", error); sys.exit(0)
            connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            connection.settimeout(5)
            try:
                connection.connect(address); print("connected")
            except PermissionError:
                print("EPERM")
            """
        try script.write(toFile: sandbox.scratch + "/lookup.py", atomically: true, encoding: .utf8)
        let output = try sandbox.runWithResolver(resolv, "/usr/bin/python3 \(sandbox.scratch)/lookup.py \(family)")
        return output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) + output.standardError
    }

    /// Lookups over TCP may reach any loopback port 53; the listener only by the name.
    static func attach(_ sandbox: KernelSandbox, _ listener: LoopbackListener) throws -> AttachedPolicy {
        try sandbox.attach(
            """
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: tcp-dns}
            spec:
              default: deny
              egress:
                - {action: allow, to: ["127.0.0.0/8"], ports: [53], protocol: tcp}
                - {action: allow, to: ["\(name)"], ports: [\(listener.port)], protocol: tcp}
            """)
    }

    static func loopbackTarget() throws -> LoopbackListener {
        try LoopbackListener(tcp: true, address: "127.0.\(Int.random(in: 200...250)).\(Int.random(in: 2...250))")
    }

    @Test func answersCutAcrossSegmentsNameTheirAddresses() async throws {
        try await KernelSandbox.with("names-tcp-split") { sandbox in
            let listener = try Self.loopbackTarget()
            let target = listener.address
            let attached = try Self.attach(sandbox, listener)
            let cases: [(what: String, family: String, plan: SplitDNSServer.Plan)] = [
                ("the length written apart from its message", "4", .init(queries: 1) { _ in [2] }),
                ("cut inside the header, the question and the record", "4", .init(queries: 1) { _ in [7, 20, 41, 50] }),
                ("a byte a segment", "4", .init(queries: 1) { sizes in Array(1..<sizes[0]) }),
                ("the AAAA answer, then the A answer begun in the same segment", "any", .init(queries: 2, reversed: true) { sizes in [sizes[0] + 9] }),
                ("two answers in one segment, the A answer second", "any", .init(queries: 2, reversed: true) { _ in [] }),
            ]
            for (what, family, plan) in cases {
                let server = try SplitDNSServer(hosts: [Self.name: target], plan: plan)
                let before = try attached.datapath.counters()
                #expect(try Self.lookUpAndConnect(sandbox, resolver: server.address, port: listener.port, family: family) == "connected", "\(what)")
                let after = try attached.datapath.counters()
                #expect(after.dnsAnswers > before.dnsAnswers, "\(what): an answer was read")
                #expect(after.dnsSkipped == before.dnsSkipped && after.dnsRefused == before.dnsRefused, "\(what): nothing skipped or refused")
                #expect(server.errors.isEmpty, "\(what): \(server.errors)")
            }
            // An application that looked nothing up is decided by the address alone.
            #expect(try Probe().copy(to: sandbox.scratch + "/other").run(.tcp(target, listener.port), in: sandbox.cgroupPath) == "EPERM")
        }
    }

    /// A message longer than the kernel keeps (4 KiB) names nothing, is counted, and the name
    /// rule fails closed.
    @Test func anAnswerOverFourKiBIsSkippedAndCounted() async throws {
        try await KernelSandbox.with("names-tcp-long") { sandbox in
            let listener = try Self.loopbackTarget()
            let attached = try Self.attach(sandbox, listener)
            let server = try SplitDNSServer(
                hosts: [Self.name: listener.address], padding: 300, plan: .init(queries: 1) { sizes in [sizes[0] / 2] })
            let before = try attached.datapath.counters()
            #expect(try Self.lookUpAndConnect(sandbox, resolver: server.address, port: listener.port, family: "4") == "EPERM")
            let after = try attached.datapath.counters()
            #expect(after.dnsSkipped > before.dnsSkipped, "each response counted (glibc may ask again with a larger buffer)")
            #expect(after.dnsAnswers == before.dnsAnswers)
            #expect(server.errors.isEmpty, "\(server.errors)")
        }
    }
}
