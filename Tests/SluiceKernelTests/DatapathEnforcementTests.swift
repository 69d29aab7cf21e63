import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// Table-driven enforcement on a throwaway cgroup: real probe processes, real loopback sockets,
/// exact errno, and every kernel decision cross-checked with `DecisionEngine` (what
/// `sluice policy explain` uses).
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct DatapathEnforcementTests {
    /// Where a probe runs: the sandbox cgroup or its `child` cgroup.
    enum Place: Sendable { case sandbox, child }
    /// Which executable runs: `a`, a hard link to `a`, or `b` (a copy: another inode).
    enum Binary: Sendable { case a, aLink, b }

    struct Step: Sendable, CustomStringConvertible {
        var binary: Binary
        var place: Place
        var operation: Probe.Operation
        var expected: String
        var description: String { "\(binary) in \(place): \(operation) -> \(expected)" }
    }

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        /// Placeholders: $A $B (probe paths), $CHILD (child cgroup), $SANDBOX (sandbox cgroup).
        var policy: String
        /// Built once the listeners' ports are known.
        var steps: @Sendable (Ports) -> [Step]
        var description: String { name }
    }

    struct Ports: Sendable {
        var tcp4: UInt16
        var tcp6: UInt16
    }

    static let cases: [Case] = [
        Case(
            name: "node default deny with one TCP allow",
            policy: """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: node}
                spec:
                  default: deny
                  egress:
                    - {action: allow, to: ["127.0.0.1"], ports: [$TCP4], protocol: tcp}
                """,
            steps: { ports in
                [
                    Step(binary: .a, place: .sandbox, operation: .tcp("127.0.0.1", ports.tcp4), expected: "ok"),
                    Step(binary: .a, place: .sandbox, operation: .udp("127.0.0.1", ports.tcp4), expected: "EPERM"),
                    Step(binary: .a, place: .sandbox, operation: .tcp("127.0.0.2", ports.tcp4), expected: "EPERM"),
                    Step(binary: .a, place: .sandbox, operation: .tcp("::1", ports.tcp6), expected: "EPERM"),
                    Step(binary: .a, place: .sandbox, operation: .sendto("127.0.0.1", 9), expected: "EPERM"),
                    Step(binary: .a, place: .sandbox, operation: .sendto("::1", 9), expected: "EPERM"),
                ]
            }),
        Case(
            name: "executable beats cgroup beats node",
            policy: """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: child-cgroup}
                spec:
                  subjects: [{cgroup: $CHILD}]
                  egress: [{action: deny, to: ["127.0.0.0/8", "::1"]}]
                ---
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: probe-a}
                spec:
                  subjects: [{executable: $A}]
                  egress: [{action: allow, to: ["127.0.0.1", "::1"]}]
                """,
            steps: { ports in
                [
                    Step(binary: .a, place: .child, operation: .tcp("127.0.0.1", ports.tcp4), expected: "ok"),
                    Step(binary: .b, place: .child, operation: .tcp("127.0.0.1", ports.tcp4), expected: "EPERM"),
                    Step(binary: .b, place: .child, operation: .tcp("::1", ports.tcp6), expected: "EPERM"),
                    Step(binary: .b, place: .sandbox, operation: .tcp("127.0.0.1", ports.tcp4), expected: "ok"),
                    Step(binary: .a, place: .child, operation: .udp("127.0.0.3", 53), expected: "EPERM"),
                ]
            }),
        Case(
            name: "executable within cgroup beats executable",
            policy: """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: a-everywhere}
                spec:
                  subjects: [{executable: $A}]
                  default: deny
                ---
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: a-in-child}
                spec:
                  subjects: [{executable: $A, cgroup: $CHILD}]
                  egress: [{action: allow, to: [loopback]}]
                """,
            steps: { ports in
                [
                    Step(binary: .a, place: .child, operation: .tcp("127.0.0.1", ports.tcp4), expected: "ok"),
                    Step(binary: .a, place: .child, operation: .tcp("::1", ports.tcp6), expected: "ok"),
                    Step(binary: .a, place: .sandbox, operation: .tcp("127.0.0.1", ports.tcp4), expected: "EPERM"),
                    Step(binary: .b, place: .child, operation: .tcp("127.0.0.1", ports.tcp4), expected: "ok"),
                ]
            }),
        Case(
            name: "a hard link is the same executable, a copy is not",
            policy: """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: a-denied}
                spec:
                  subjects: [{executable: $A}]
                  egress: [{action: deny}]
                """,
            steps: { ports in
                [
                    Step(binary: .a, place: .sandbox, operation: .tcp("127.0.0.1", ports.tcp4), expected: "EPERM"),
                    Step(binary: .aLink, place: .sandbox, operation: .tcp("127.0.0.1", ports.tcp4), expected: "EPERM"),
                    Step(binary: .b, place: .sandbox, operation: .tcp("127.0.0.1", ports.tcp4), expected: "ok"),
                ]
            }),
        Case(
            name: "an IPv4-mapped IPv6 destination obeys the IPv4 rules",
            policy: """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: mapped}
                spec:
                  egress:
                    - {action: deny, to: ["127.0.0.0/8"]}
                    - {action: allow, to: ["127.0.0.1"], ports: [$TCP4]}
                """,
            steps: { ports in
                [
                    Step(binary: .a, place: .sandbox, operation: .tcp("::ffff:127.0.0.1", ports.tcp4), expected: "ok"),
                    Step(binary: .a, place: .sandbox, operation: .udp("::ffff:127.0.0.2", 53), expected: "EPERM"),
                    Step(binary: .a, place: .sandbox, operation: .sendto("::ffff:127.0.0.2", 53), expected: "EPERM"),
                    Step(binary: .a, place: .sandbox, operation: .tcp("::1", ports.tcp6), expected: "ok"),
                ]
            }),
        Case(
            name: "the unspecified address is the local host: a loopback deny covers it",
            policy: """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: no-loopback}
                spec:
                  egress: [{action: deny, to: [loopback]}]
                """,
            steps: { ports in
                [
                    Step(binary: .a, place: .sandbox, operation: .tcp("0.0.0.0", ports.tcp4), expected: "EPERM"),
                    Step(binary: .a, place: .sandbox, operation: .tcp("::", ports.tcp6), expected: "EPERM"),
                    Step(binary: .a, place: .sandbox, operation: .tcp("::ffff:0.0.0.0", ports.tcp4), expected: "EPERM"),
                    Step(binary: .a, place: .sandbox, operation: .udp("0.0.0.0", 53), expected: "EPERM"),
                    Step(binary: .a, place: .sandbox, operation: .sendto("::", 53), expected: "EPERM"),
                ]
            }),
        Case(
            name: "longer prefix first, then exact port, then range, then any",
            policy: """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: precedence}
                spec:
                  egress:
                    - {action: deny, to: ["127.0.0.0/8"]}
                    - {action: allow, to: ["127.0.0.1"], ports: ["1-65535"]}
                    - {action: deny, to: ["127.0.0.1"], ports: [$TCP4], protocol: udp}
                    - {action: alert, to: ["127.0.0.1"], ports: [$TCP4], protocol: tcp}
                """,
            steps: { ports in
                [
                    Step(binary: .a, place: .sandbox, operation: .tcp("127.0.0.1", ports.tcp4), expected: "ok"),
                    Step(binary: .a, place: .sandbox, operation: .udp("127.0.0.1", ports.tcp4), expected: "EPERM"),
                    Step(binary: .a, place: .sandbox, operation: .udp("127.0.0.1", 53), expected: "ok"),
                    Step(binary: .a, place: .sandbox, operation: .udp("127.0.0.9", 53), expected: "EPERM"),
                ]
            }),
        Case(
            name: "a tie between ranges of one width denies; monitor never blocks",
            policy: """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: tie}
                spec:
                  egress:
                    - {action: allow, to: ["127.0.0.1"], ports: ["8000-8100"]}
                    - {action: deny, to: ["127.0.0.1"], ports: ["8050-8150"]}
                ---
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: watch-b}
                spec:
                  mode: monitor
                  subjects: [{executable: $B}]
                  default: deny
                """,
            steps: { _ in
                [
                    Step(binary: .a, place: .sandbox, operation: .udp("127.0.0.1", 8060), expected: "EPERM"),
                    Step(binary: .a, place: .sandbox, operation: .udp("127.0.0.1", 8010), expected: "ok"),
                    Step(binary: .a, place: .sandbox, operation: .udp("127.0.0.1", 8120), expected: "EPERM"),
                    Step(binary: .b, place: .sandbox, operation: .udp("127.0.0.1", 8060), expected: "ok"),
                ]
            }),
    ]

    @Test(arguments: cases)
    func enforces(_ testCase: Case) async throws {
        try await KernelSandbox.with("enforce") { sandbox in
            let tcp4 = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let tcp6 = try LoopbackListener(tcp: true, address: "::1")
            let ports = Ports(tcp4: tcp4.port, tcp6: tcp6.port)
            let child = try sandbox.child("child")
            let a = try Probe().copy(to: sandbox.scratch + "/probe-a")
            let aLink = try a.hardLink(at: sandbox.scratch + "/probe-a-link")
            let b = try Probe().copy(to: sandbox.scratch + "/probe-b")
            let policy = testCase.policy
                .replacingOccurrences(of: "$A", with: a.path)
                .replacingOccurrences(of: "$B", with: b.path)
                .replacingOccurrences(of: "$CHILD", with: child)
                .replacingOccurrences(of: "$TCP4", with: String(ports.tcp4))

            let engine = DecisionEngine(image: try sandbox.attach(policy).image)

            for step in testCase.steps(ports) {
                let probe = [Binary.a: a, .aLink: aLink, .b: b][step.binary]!
                let cgroup = step.place == .child ? child : sandbox.cgroupRelative
                let result = try probe.run(step.operation, in: try sandbox.cgroups.absolutePath(cgroup))
                #expect(result == step.expected, "\(step)")

                let decision = engine.decide(try flow(for: step, probe: probe, cgroup: cgroup, cgroups: sandbox.cgroups))
                #expect(decision.verdict.blocks == (result == "EPERM"), "explain disagrees with the kernel on \(step): \(decision.trace)")
            }
        }
    }

    func flow(for step: Step, probe: Probe, cgroup: String, cgroups: CgroupFS) throws -> FlowQuery {
        var info = stat()
        _ = stat(probe.path, &info)
        return FlowQuery(
            executable: ExecutableIdentity(statDevice: UInt64(info.st_dev), inode: UInt64(info.st_ino)),
            cgroupAncestry: try cgroups.ancestry(of: cgroup),
            destination: IPAddress(step.operation.address)!, port: step.operation.port,
            transport: step.operation.kind == "connect-tcp" ? .tcp : .udp)
    }
}
