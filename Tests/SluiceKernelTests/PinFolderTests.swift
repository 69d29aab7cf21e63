import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// The pin folder as an unprivileged user would attack it: on a bpffs of the test's own with the
/// kernel's default mode 1777, `nobody` makes the folder (or a parent, or a symlink) before the
/// agent starts. The datapath must refuse it, naming path, owner and mode; a folder the datapath
/// makes itself is root's, 0700, and nobody can remove pins from it.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct PinFolderTests {
    func datapath(_ sandbox: KernelSandbox, pins: String) throws -> Datapath {
        try Datapath(configuration: DatapathConfiguration(pins: PinLayout(directory: pins), cgroupPath: sandbox.cgroupPath), logger: testLogger)
    }

    func refusal(_ body: () throws -> Datapath) -> PinFolderError? {
        do {
            _ = try body()
            return nil
        } catch DatapathError.pinFolder(let error) {
            return error
        } catch {
            Issue.record("unexpected error: \(error)")
            return nil
        }
    }

    @Test func aFolderMadeByNobodyBeforehandIsRefused() async throws {
        try await KernelSandbox.with("pins-nobody") { sandbox in
            let bpffs = try PrivateBPFFS(in: sandbox)
            defer { bpffs.unmount() }
            let path = bpffs.mountPoint + "/sluice"
            let made = try Unprivileged.run("/bin/mkdir", ["-m", "0777", path])
            #expect(made.status == 0, "nobody can make folders in a 1777 bpffs: \(made.standardError)")
            var info = stat()
            #expect(lstat(path, &info) == 0 && info.st_uid == Unprivileged.uid)

            let error = try #require(refusal { try datapath(sandbox, pins: path) })
            guard case .foreignOwner(let refused, let owner, _, let mode) = error else {
                Issue.record("expected foreignOwner, got \(error)")
                return
            }
            #expect(refused == path && owner == Unprivileged.uid && mode & 0o777 == 0o777)
            #expect(error.description.contains(path) && error.description.contains("65534") && error.description.contains("0777"))
            for hook in Hook.allCases {
                #expect(try Datapath.attachedPrograms(cgroupPath: sandbox.cgroupPath, hook: hook).isEmpty)
            }
        }
    }

    @Test func aParentMadeByNobodyOrASymlinkIsRefused() async throws {
        try await KernelSandbox.with("pins-parent") { sandbox in
            let bpffs = try PrivateBPFFS(in: sandbox)
            defer { bpffs.unmount() }
            let parent = bpffs.mountPoint + "/shared"
            #expect(try Unprivileged.run("/bin/mkdir", ["-m", "0755", parent]).status == 0)
            let nested = try #require(refusal { try datapath(sandbox, pins: parent + "/sluice") })
            guard case .foreignOwner(let path, let owner, _, _) = nested else {
                Issue.record("expected foreignOwner of the parent, got \(nested)")
                return
            }
            #expect(path == parent && owner == Unprivileged.uid)

            let link = bpffs.mountPoint + "/sluice-link"
            #expect(try Unprivileged.run("/bin/ln", ["-s", sandbox.scratch, link]).status == 0)
            let symlink = try #require(refusal { try datapath(sandbox, pins: link) })
            guard case .symlink(let linkPath, let linkOwner, _) = symlink else {
                Issue.record("expected symlink, got \(symlink)")
                return
            }
            #expect(linkPath == link && linkOwner == Unprivileged.uid)
        }
    }

    @Test func aRootFolderWithLooseModesIsRefused() async throws {
        try await KernelSandbox.with("pins-loose") { sandbox in
            let bpffs = try PrivateBPFFS(in: sandbox)
            defer { bpffs.unmount() }
            let path = bpffs.mountPoint + "/sluice"
            #expect(mkdir(path, 0o755) == 0 && chmod(path, 0o755) == 0)
            let error = try #require(refusal { try datapath(sandbox, pins: path) })
            guard case .looseMode(let refused, _, let mode, _) = error else {
                Issue.record("expected looseMode, got \(error)")
                return
            }
            #expect(refused == path && mode & 0o777 == 0o755)
            #expect(error.description.contains("0755"))
        }
    }

    @Test func theFolderTheDatapathMakesIsRootOnlyAndNobodyCannotRemovePins() async throws {
        try await KernelSandbox.with("pins-own") { sandbox in
            let bpffs = try PrivateBPFFS(in: sandbox)
            defer { bpffs.unmount() }
            let path = bpffs.mountPoint + "/sluice"
            let pins = PinLayout(directory: path)
            try {
                let datapath = try datapath(sandbox, pins: path)
                try datapath.apply(try DatapathImage(try PolicyFixture.compile(PolicyFixture.closed, cgroups: sandbox.cgroups)))
                try datapath.attach()
            }()
            var info = stat()
            #expect(lstat(path, &info) == 0 && info.st_uid == 0 && info.st_mode & 0o7777 == 0o700)
            let removal = try Unprivileged.run("/bin/rm", ["-f", pins.map(.state), pins.link(.connect4)])
            #expect(removal.status != 0)
            #expect(BPFFS.exists(pins.map(.state)) && BPFFS.exists(pins.link(.connect4)))
            _ = try PinnedDatapath(pins: pins).unload()
        }
    }

    @Test func aSecondDatapathOnALockedPinFolderIsRefused() async throws {
        try await KernelSandbox.with("pins-lock") { sandbox in
            try {
                let first = try datapath(sandbox, pins: sandbox.pinDirectory)
                let error = try #require(refusal { try datapath(sandbox, pins: sandbox.pinDirectory) })
                guard case .inUse(let path) = error else {
                    Issue.record("expected inUse, got \(error)")
                    return
                }
                #expect(path == sandbox.pinDirectory)
                #expect(PinFolder.isLocked(sandbox.pinDirectory))
                withExtendedLifetime(first) {}
            }()
            #expect(!PinFolder.isLocked(sandbox.pinDirectory), "released with the datapath")
        }
    }

    @Test func anotherInstanceOnTheSameCgroupIsRefusedAtAttach() async throws {
        try await KernelSandbox.with("pins-stack") { sandbox in
            let image = try DatapathImage(try PolicyFixture.compile("apiVersion: sluice/v1\nkind: Policy\nmetadata: {name: open}\nspec: {default: allow}\n", cgroups: sandbox.cgroups))
            let first = try datapath(sandbox, pins: sandbox.pinDirectory)
            try first.apply(image)
            try first.attach()
            let otherPins = sandbox.pinDirectory + "-other"
            defer { _ = try? PinnedDatapath(pins: PinLayout(directory: otherPins)).unload() }
            let second = try datapath(sandbox, pins: otherPins)
            try second.apply(image)
            do {
                try second.attach()
                Issue.record("a second instance attached to the same cgroup")
            } catch DatapathError.anotherInstanceAttached(let hook, let cgroup, _, let name, let pins) {
                #expect(hook == .connect4 && cgroup == sandbox.cgroupPath && name == "sluice_connect4")
                #expect(pins == sandbox.pinDirectory)
            }
            for hook in Hook.allCases {
                #expect(try Datapath.attachedPrograms(cgroupPath: sandbox.cgroupPath, hook: hook).count == 1)
            }
            withExtendedLifetime(first) {}
        }
    }
}
