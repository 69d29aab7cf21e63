import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// A socket made in one cgroup and passed over SCM_RIGHTS to a process in another. The kernel
/// runs the programs attached above the socket's cgroup (where it was made), and Sluice decides
/// with the identity of the process that connects. Attached at the cgroup2 root (the default)
/// every socket is decided; attached with `--cgroup`, a socket made outside that cgroup is not.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct PassedSocketTests {
    @Test func attachedAboveBothCgroupsAPassedSocketIsDecidedByTheProcessThatConnects() async throws {
        try await KernelSandbox.with("passed") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let inside = try sandbox.child("inside")
            let outside = try sandbox.child("outside")
            // The sandbox stands for the cgroup2 root: both cgroups are below the attachment.
            _ = try sandbox.attach(
                """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: inside}
                spec:
                  subjects: [{cgroup: \(inside)}]
                  egress: [{action: deny, to: [loopback]}]
                """)
            let insidePath = try sandbox.cgroups.absolutePath(inside)
            let outsidePath = try sandbox.cgroups.absolutePath(outside)
            let connect = Probe.Operation.tcp("127.0.0.1", listener.port)

            let passedIn = try HeldProbe(["--create-in", outsidePath, connect.kind, connect.address, String(connect.port)], in: insidePath)
            #expect(try passedIn.line().hasSuffix(" EPERM"), "made outside, connected inside: the inside policy decides")
            let passedOut = try HeldProbe(["--create-in", insidePath, connect.kind, connect.address, String(connect.port)], in: outsidePath)
            #expect(try passedOut.line().hasSuffix(" ok"), "made inside, connected outside: the outside process is allowed")
            #expect(try Probe().run(connect, in: insidePath) == "EPERM")
        }
    }

    @Test func attachedToOneCgroupASocketMadeOutsideItIsNotDecided() async throws {
        try await KernelSandbox.with("passed-cgroup") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let inside = try sandbox.child("inside")
            let outside = try sandbox.child("outside")
            // As `sluice agent --cgroup inside` would: only sockets made below `inside` are seen.
            let insidePath = try sandbox.cgroups.absolutePath(inside)
            _ = try sandbox.attach(
                """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: node}
                spec:
                  egress: [{action: deny, to: [loopback]}]
                """, cgroupPath: insidePath)
            let outsidePath = try sandbox.cgroups.absolutePath(outside)
            let connect = Probe.Operation.tcp("127.0.0.1", listener.port)

            #expect(try Probe().run(connect, in: insidePath) == "EPERM")
            let passedIn = try HeldProbe(["--create-in", outsidePath, connect.kind, connect.address, String(connect.port)], in: insidePath)
            #expect(
                try passedIn.line().hasSuffix(" ok"),
                "the documented limit of --cgroup: a socket made outside the attached cgroup is never decided")
        }
    }
}
