import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// Tricks that would run one program under another's identity (issue 8, identity items 2-4),
/// each tried by a real process against the loaded programs, with no agent to catch up.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct IdentityAttackTests {
    static func onlyAllow(_ path: String) -> String {
        """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: node}
        spec:
          default: deny
        ---
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: only-allowed}
        spec:
          subjects: [{executable: \(path)}]
          egress: [{action: allow, to: ["127.0.0.1"]}]
        """
    }

    /// `nobody` in its own user namespace repoints `mm->exe_file` at the allowed executable
    /// (prctl PR_SET_MM_MAP) and connects: it stays what the kernel executed.
    @Test func exeFileRepointedFromAUserNamespaceKeepsTheExecutedIdentity() async throws {
        try await KernelSandbox.with("spoof") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let allowed = try Probe().copy(to: sandbox.scratch + "/allowed")
            let attacker = try Probe().copy(to: sandbox.scratch + "/attacker")
            let datapath = try sandbox.attach(Self.onlyAllow(allowed.path)).datapath
            #expect(try allowed.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "ok")
            #expect(try attacker.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")

            let attack = try ChildProcess.run(
                attacker.path,
                ["--join", sandbox.cgroupPath, "--as-nobody-in-userns", "--spoof-exe", allowed.path, "connect-tcp", "127.0.0.1", String(listener.port)])
            // 0: connected as the allowed executable; 64 and up: prctl itself failed (64 + errno).
            #expect(attack.status == 10, "exit \(attack.status): \(attack.standardError)")
            #expect(try datapath.counters().deny >= 2)
        }
    }

    /// A child forked without exec runs its parent's program: it inherits the identity recorded
    /// at the parent's exec (not read back from mm->exe_file).
    @Test func aForkedChildInheritsTheRecordedIdentity() async throws {
        try await KernelSandbox.with("fork") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let allowed = try Probe().copy(to: sandbox.scratch + "/allowed")
            let reader = try sandbox.attach(Self.onlyAllow(allowed.path)).reader
            let output = try ChildProcess.run(allowed.path, ["--fork", "--join", sandbox.cgroupPath, "connect-tcp", "127.0.0.1", String(listener.port)])
            #expect(output.standardOutput.hasSuffix("ok\n"), "\(output.standardOutput)\(output.standardError)")
            let events = try reader.drain().decisions
            try #require(events.count == 1)
            #expect(events[0].executable == (try FileIdentityReader.read(allowed.path)).identity)
            #expect(!events[0].executableUnverified, "the child's identity was not recorded at exec and inherited at fork")
        }
    }

    /// A process that started before the programs were loaded has no identity recorded at exec:
    /// it is decided by its `mm->exe_file` and its events say so (docs: threat model).
    @Test func aProcessOlderThanTheProgramsIsDecidedByItsExeFileAndFlagged() async throws {
        try await KernelSandbox.with("older") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let allowed = try Probe().copy(to: sandbox.scratch + "/allowed")
            let paused = try PausedProbe(probe: allowed, cgroup: sandbox.cgroupPath, operation: .tcp("127.0.0.1", listener.port))

            let reader = try sandbox.attach(Self.onlyAllow(allowed.path)).reader
            let result = try paused.resume()
            #expect(result == "ok", "\(result)")
            let events = try reader.drain().decisions
            try #require(events.count == 1)
            #expect(events[0].executableUnverified)
            #expect(events[0].executable == (try FileIdentityReader.read(allowed.path)).identity)
        }
    }

    /// An agent restart adopts the pinned task storage: processes started under the previous
    /// agent keep the identity recorded at their exec.
    @Test func recordedIdentitiesSurviveAnAgentRestart() async throws {
        try await KernelSandbox.with("restart") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let allowed = try Probe().copy(to: sandbox.scratch + "/allowed")
            // The first agent's datapath, dropped (its pin-folder lock with it) before the second loads.
            var first: Datapath? = try sandbox.attach(Self.onlyAllow(allowed.path)).datapath
            let paused = try PausedProbe(probe: allowed, cgroup: sandbox.cgroupPath, operation: .tcp("127.0.0.1", listener.port))
            #expect(first != nil)
            first = nil

            let second = try sandbox.attach(Self.onlyAllow(allowed.path))
            #expect(second.datapath.report.reusedMaps)
            let reader = second.reader
            let result = try paused.resume()
            #expect(result == "ok", "\(result)")
            let events = try reader.drain().decisions
            try #require(events.count == 1)
            #expect(!events[0].executableUnverified, "the record made under the first agent was lost")
        }
    }

    /// A new file renamed over a governed executable and run at once is governed from its first
    /// exec: the kernel knows the governed path by directory and name, not only by inode.
    @Test func aFileRenamedOverAGovernedExecutableIsGovernedAtItsFirstExec() async throws {
        try await KernelSandbox.with("upgrade") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let governed = try Probe().copy(to: sandbox.scratch + "/app")
            let policy = """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: app-offline}
                spec:
                  subjects: [{executable: \(governed.path)}]
                  default: deny
                """
            let image = try sandbox.attach(policy).image
            let before = try FileIdentityReader.read(governed.path).identity
            #expect(try governed.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")

            // The upgrade: another inode renamed over the path, then run with no agent to catch up.
            let fresh = try Probe().copy(to: sandbox.scratch + "/app.new")
            guard rename(fresh.path, governed.path) == 0 else { throw SandboxError("rename: \(String(cString: strerror(errno)))") }
            let after = try FileIdentityReader.read(governed.path).identity
            #expect(after != before)
            #expect(image.subjects[.executable(after)] == nil, "the new file must not be governed by its own identity yet")
            #expect(try governed.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")

            // The same new file under a name no policy governs is its own, ungoverned self.
            let other = try Probe(path: governed.path).hardLink(at: sandbox.scratch + "/other")
            #expect(try other.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "ok")
        }
    }

    /// `ld.so PROGRAM` runs PROGRAM under the loader's identity: a directly-run loader is a
    /// subject of its own, denied by `builtin:direct-loader` until a policy names it.
    @Test func aDirectlyRunLoaderIsDeniedUntilAPolicyNamesIt() async throws {
        try await KernelSandbox.with("loader") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let program = try Probe().copy(to: sandbox.scratch + "/program")
            let named = try Probe().copy(to: sandbox.scratch + "/named")
            let loader = try #require(ELFInterpreter.read(program.path), "the probe is dynamically linked")
            let policy = """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: named}
                spec:
                  subjects: [{executable: \(named.path)}]
                  egress: [{action: allow, to: ["127.0.0.1"]}]
                """
            let attached = try sandbox.attach(policy)
            let (datapath, image, compiled) = (attached.datapath, attached.image, attached.compiled)
            let arguments = [program.path, "--join", sandbox.cgroupPath, "connect-tcp", "127.0.0.1", String(listener.port)]
            #expect(try program.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "ok")
            let direct = try ChildProcess.run(loader, arguments)
            #expect(direct.standardOutput.hasSuffix("EPERM\n"), "\(loader) \(program.path): \(direct.standardOutput)\(direct.standardError)")

            // explain agrees, and names the built-in policy.
            let flow = FlowQuery(
                executable: try FileIdentityReader.read(loader).identity, cgroupAncestry: try sandbox.cgroups.ancestry(of: sandbox.cgroupRelative),
                destination: IPAddress("127.0.0.1")!, port: listener.port, transport: .tcp)
            let decision = DecisionEngine(image: image).decide(flow)
            #expect(decision.verdict.blocks)
            #expect(compiled.rule(decision.verdict.ruleID)?.policy == DirectLoaderPolicy.name)

            // A policy that names the loader decides it instead.
            let allowLoader = policy + """

                ---
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: loader-allowed}
                spec:
                  subjects: [{executable: \(loader)}]
                  egress: [{action: allow, to: ["127.0.0.1"]}]
                """
            let recompiled = try PolicyFixture.compile(allowLoader, cgroups: sandbox.cgroups)
            #expect(!recompiled.rules.contains { $0.policy == DirectLoaderPolicy.name })
            try datapath.apply(try DatapathImage(recompiled))
            let allowed = try ChildProcess.run(loader, arguments)
            #expect(allowed.standardOutput.hasSuffix("ok\n"), "\(allowed.standardOutput)\(allowed.standardError)")
        }
    }
}
