import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// Raw IP sockets and ping sockets, whose sends the sock_addr hooks never see: creating one is
/// decided (`spec.rawSockets`, `protocol: raw`), a ping socket's connect by destination
/// (`protocol: icmp`), each with an event and the same answer from `policy explain`.
// Serialized: both tests change the namespace's ping_group_range and put it back.
@Suite(.serialized, .enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct RawSocketTests {
    /// Lets the groups `range` (gid 0 by default: the tests run as root) create ping sockets in
    /// this network namespace for the test's duration, then puts the old range back.
    final class PingGroupRange {
        static let path = "/proc/sys/net/ipv4/ping_group_range"
        let saved: String

        init(_ range: String = "0 0") throws {
            saved = try String(contentsOfFile: Self.path, encoding: .utf8)
            try (range + "\n").write(toFile: Self.path, atomically: false, encoding: .utf8)
        }

        deinit {
            try? saved.write(toFile: Self.path, atomically: false, encoding: .utf8)
        }
    }

    @Test func rawAndPingSocketsAreRefusedToASubjectThatDeniesThemWithEvents() async throws {
        try await KernelSandbox.with("raw") { sandbox in
            let range = try PingGroupRange()
            let child = try sandbox.child("locked")
            let attached = try sandbox.attach(
                """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: locked}
                spec:
                  subjects: [{cgroup: \(child)}]
                  rawSockets: deny
                  egress: [{action: deny, to: ["127.0.0.2"], protocol: icmp}]
                """)
            let compiled = attached.compiled
            let probe = Probe()
            let locked = try sandbox.cgroups.absolutePath(child)

            #expect(try probe.run(Probe.Operation("socket-raw", "127.0.0.1", 0), in: locked) == "EPERM")
            #expect(try probe.run(Probe.Operation("socket-raw", "::1", 0), in: locked) == "EPERM")
            #expect(try probe.run(Probe.Operation("socket-ping", "127.0.0.1", 0), in: locked) == "EPERM")
            #expect(try probe.run(Probe.Operation("socket-ping", "::1", 0), in: locked) == "EPERM")
            // Elsewhere in the sandbox nothing refuses them; a ping connect is decided by destination.
            #expect(try probe.run(Probe.Operation("socket-raw", "127.0.0.1", 0), in: sandbox.cgroupPath) == "ok")
            #expect(try probe.run(Probe.Operation("socket-ping", "127.0.0.1", 0), in: sandbox.cgroupPath) == "ok")
            #expect(try probe.run(Probe.Operation("connect-ping", "127.0.0.1", 0), in: sandbox.cgroupPath) == "ok")
            _ = range

            let created = try attached.reader.drain().events.filter { $0.hook == .sockCreate && $0.action == .deny }
            #expect(created.count == 4)
            #expect(created.allSatisfy { $0.protocolNumber == 255 && $0.enforced && compiled.rule($0.ruleID)?.rule == "rawSockets" })

            let engine = DecisionEngine(image: attached.image)
            for (cgroup, blocked) in [(child, true), (sandbox.cgroupRelative, false)] {
                let flow = FlowQuery(
                    executable: nil, cgroupAncestry: try sandbox.cgroups.ancestry(of: cgroup), destination: IPAddress("0.0.0.0")!,
                    port: 0, transport: .raw)
                #expect(engine.decide(flow).verdict.blocks == blocked, "explain agrees for \(cgroup)")
            }
        }
    }

    /// As under systemd's default `ping_group_range`, where every user may make ping sockets: an
    /// unprivileged process (nobody) is refused one in a subject that denies raw sockets.
    @Test func anUnprivilegedUsersPingSocketIsRefusedToo() async throws {
        try await KernelSandbox.with("ping-nobody") { sandbox in
            let range = try PingGroupRange("0 65534")
            let child = try sandbox.child("locked")
            _ = try sandbox.attach(  // pinned: enforces after its owner goes
                """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: locked}
                spec:
                  subjects: [{cgroup: \(child)}]
                  rawSockets: deny
                """)
            let asNobody = { (cgroup: String) throws -> String in
                let output = try ChildProcess.run(Probe().path, ["--join", cgroup, "--as-nobody", "socket-ping", "127.0.0.1", "0"])
                return output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) + output.standardError
            }
            // nobody may make ping sockets here at all, so the refusal below is Sluice's.
            #expect(try asNobody(sandbox.cgroupPath).hasSuffix(" ok"))
            #expect(try asNobody(try sandbox.cgroups.absolutePath(child)).hasSuffix(" EPERM"))
            _ = range
        }
    }

    @Test func aPingSocketsConnectIsDecidedByAnIcmpRule() async throws {
        try await KernelSandbox.with("ping") { sandbox in
            let range = try PingGroupRange()
            _ = try sandbox.attach(  // pinned: enforces after its owner goes
                """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: ping}
                spec:
                  egress: [{action: deny, to: ["127.0.0.2", "::1"], protocol: icmp}, {action: deny, to: ["::1"], protocol: icmpv6}]
                """)
            let probe = Probe()
            #expect(try probe.run(Probe.Operation("connect-ping", "127.0.0.2", 0), in: sandbox.cgroupPath) == "EPERM")
            #expect(try probe.run(Probe.Operation("connect-ping", "127.0.0.1", 0), in: sandbox.cgroupPath) == "ok")
            #expect(try probe.run(Probe.Operation("connect-ping", "::1", 0), in: sandbox.cgroupPath) == "EPERM")
            #expect(try probe.run(Probe.Operation("connect-udp", "127.0.0.2", 7), in: sandbox.cgroupPath) == "ok", "icmp rules leave UDP alone")
            _ = range
        }
    }
}
