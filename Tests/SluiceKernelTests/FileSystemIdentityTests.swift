import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// Executable rules on every kind of file system a node runs programs from, on file systems the
/// test makes (loop images, tmpfs, an overlay): the governed copy is denied, another copy is
/// not, and `policy explain` (DecisionEngine over FileIdentityReader's identities) agrees with
/// the kernel on both.
@Suite(.serialized, .enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct FileSystemIdentityTests {
    enum Kind: String, CaseIterable, Sendable {
        case ext4, xfs, btrfs, tmpfs, overlay
    }

    /// Makes the file system and puts two copies of the probe on it: (governed, other).
    func prepare(_ kind: Kind, mounts: ScratchMounts, scratch: String) throws -> (Probe, Probe) {
        switch kind {
        case .ext4, .xfs:
            let root = try mounts.loop(kind.rawValue, name: kind.rawValue, megabytes: kind == .xfs ? 320 : 64)
            return (try Probe().copy(to: root + "/governed"), try Probe().copy(to: root + "/other"))
        case .tmpfs:
            let root = try mounts.tmpfs(name: "tmpfs")
            return (try Probe().copy(to: root + "/governed"), try Probe().copy(to: root + "/other"))
        case .btrfs:
            // Inode numbers restart in each subvolume: the first file of each is inode 257, so
            // (superblock device, inode) cannot tell the two copies apart.
            let root = try mounts.loop("btrfs", name: "btrfs", megabytes: 256)
            try ScratchMounts.run("btrfs", ["-q", "subvolume", "create", root + "/a"])
            try ScratchMounts.run("btrfs", ["-q", "subvolume", "create", root + "/b"])
            let governed = try Probe().copy(to: root + "/a/probe")
            let other = try Probe().copy(to: root + "/b/probe")
            let inodes = try (FileIdentityReader.read(governed.path).identity.inode, FileIdentityReader.read(other.path).identity.inode)
            #expect(inodes.0 == inodes.1, "the copies should share an inode number in their subvolumes")
            return (governed, other)
        case .overlay:
            // The governed copy comes from the lower layer, the other is written through the overlay.
            let lower = scratch + "/overlay-lower"
            try FileManager.default.createDirectory(atPath: lower, withIntermediateDirectories: true)
            _ = try Probe().copy(to: lower + "/governed")
            let root = try mounts.overlay(lower: lower, name: "overlay")
            return (Probe(path: root + "/governed"), try Probe().copy(to: root + "/other"))
        }
    }

    @Test(arguments: Kind.allCases)
    func executableRulesMatchOn(_ kind: Kind) async throws {
        try await KernelSandbox.with("fs-\(kind)") { sandbox in
            let mounts = ScratchMounts(scratch: sandbox.scratch)
            defer { mounts.unmountAll() }
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let (governed, other) = try prepare(kind, mounts: mounts, scratch: sandbox.scratch)
            let policy = """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: governed-offline}
                spec:
                  subjects: [{executable: \(governed.path)}]
                  default: deny
                """
            let engine = DecisionEngine(image: try sandbox.attach(policy).image)
            let ancestry = try sandbox.cgroups.ancestry(of: sandbox.cgroupRelative)

            for (probe, expected) in [(governed, "EPERM"), (other, "ok")] {
                let result = try probe.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath)
                #expect(result == expected, "\(kind): \(probe.path)")
                let flow = FlowQuery(
                    executable: try FileIdentityReader.read(probe.path).identity, cgroupAncestry: ancestry,
                    destination: IPAddress("127.0.0.1")!, port: listener.port, transport: .tcp)
                let decision = engine.decide(flow)
                #expect(decision.verdict.blocks == (result == "EPERM"), "\(kind): explain disagrees with the kernel on \(probe.path): \(decision.trace)")
            }
        }
    }
}
