import Foundation
@preconcurrency import Glibc
import SluiceAgent
import SluiceTestSupport
import Testing

/// The agent's folders as an operator and an unprivileged user meet them: a policy folder that
/// is deleted and made again, a state folder left with loose modes, and commands run without
/// the rights to reach the agent.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct AgentStateFolderTests {
    @Test func aPolicyFolderDeletedAndMadeAgainIsWatchedAgain() async throws {
        try await AgentProcess.lockedDown("refolder") { sandbox, listener, agent in
            let probe = Probe()
            #expect(try probe.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")

            try FileManager.default.removeItem(atPath: agent.policyDirectory)
            try FileManager.default.createDirectory(atPath: agent.policyDirectory, withIntermediateDirectories: false)
            try agent.writePolicy("lockdown.yaml", AgentTests.denyTCP(listener.port, action: "allow"))
            try agent.waitUntil("the recreated folder's policy is enforced") {
                try probe.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "ok"
            }
            // And edits after that are seen too: the new folder is watched, not just read once.
            try agent.writePolicy("lockdown.yaml", AgentTests.denyTCP(listener.port))
            try agent.waitUntil("an edit in the recreated folder is enforced") {
                try probe.run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM"
            }
            try agent.stop()
        }
    }

    @Test func aStateFolderWithLooseModesIsTightened() async throws {
        try await KernelSandbox.with("statemodes") { sandbox in
            let agent = try AgentProcess(sandbox: sandbox)
            try FileManager.default.createDirectory(atPath: agent.stateDirectory, withIntermediateDirectories: true)
            let saved = agent.stateDirectory + "/applied-policy.json"
            try Data("{}".utf8).write(to: URL(fileURLWithPath: saved))
            #expect(chmod(agent.stateDirectory, 0o777) == 0)
            #expect(chmod(saved, 0o666) == 0)
            try agent.writePolicy("lockdown.yaml", AgentTests.denyTCP(9))
            try agent.start()
            try agent.waitUntil("the applied policy is saved") { Self.mode(saved) != nil && Self.size(saved) > 2 }
            #expect(Self.mode(agent.stateDirectory) == 0o700)
            #expect(Self.mode(saved).map { $0 & 0o077 } == 0, "applied-policy.json is private")
            try agent.stop()
        }
    }

    @Test func commandsWithoutTheRightsSayPermissionDeniedAndFail() async throws {
        try await KernelSandbox.with("unprivcli") { sandbox in
            let agent = try AgentProcess(sandbox: sandbox)
            try agent.writePolicy("lockdown.yaml", AgentTests.denyTCP(9))
            try agent.start()
            let asNobody = { (arguments: [String]) in
                try ChildProcess.run(
                    "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", BuildProducts.path(of: "sluice")] + arguments)
            }
            // The binary itself runs for nobody: a failure below is the command's, not exec's.
            let help = try asNobody(["status", "--help"])
            try #require(help.status == 0, "nobody cannot run the sluice binary: \(help.standardError)")
            for command in [["status"], ["unload"], ["status", "--output", "json"]] {
                let output = try asNobody(command + agent.stateArguments)
                #expect(output.status != 0, "\(command) as nobody must fail: \(output.standardOutput)")
                #expect(output.standardError.contains("permission denied"), "\(command): \(output.standardError)")
            }
            #expect(try agent.status().policy != nil, "the agent is untouched")
            try agent.stop()
        }
    }

    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    static func size(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }
}
