import SluiceCore
import Foundation
@preconcurrency import Glibc
import SluiceAgent
import SluiceTestSupport
import Synchronization

/// A real `sluice agent` process on a sandbox cgroup, with its own state and policy folders.
final class AgentProcess: @unchecked Sendable {
    let sandbox: KernelSandbox
    let stateDirectory: String
    let policyDirectory: String
    let logPath: String
    let pinDirectory: String
    private(set) var process: Subprocess?

    /// A second agent on the same sandbox takes another `instance` name (its own state folder,
    /// policy folder and log) and, unless given, the sandbox's pin folder.
    init(sandbox: KernelSandbox, instance: String = "", pinDirectory: String? = nil) throws {
        self.sandbox = sandbox
        stateDirectory = sandbox.scratch + "/state\(instance)"
        policyDirectory = sandbox.scratch + "/policies\(instance)"
        logPath = sandbox.scratch + "/agent\(instance).log"
        self.pinDirectory = pinDirectory ?? sandbox.pinDirectory
        try FileManager.default.createDirectory(atPath: policyDirectory, withIntermediateDirectories: true)
    }

    var stateArguments: [String] { ["--state-dir", stateDirectory, "--pin-dir", pinDirectory] }

    /// Writes a policy file the way editors and ConfigMaps do: a new file renamed into place.
    func writePolicy(_ name: String, _ text: String) throws {
        let temporary = policyDirectory + "/.\(name).tmp"
        try text.write(toFile: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary, policyDirectory + "/" + name) == 0 else { throw SandboxError("rename: \(errno)") }
    }

    func removePolicy(_ name: String) throws {
        try FileManager.default.removeItem(atPath: policyDirectory + "/" + name)
    }

    /// Starts the agent and waits until it answers with a policy applied.
    func start(_ extra: [String] = []) throws {
        try launch(extra)
        try waitUntil("the agent answers with a policy applied") { (try? self.status())?.policy != nil }
    }

    /// Starts an agent that must refuse to run: waits for it to exit and returns its status and log.
    func startExpectingRefusal(_ extra: [String] = [], seconds: Double = 60) throws -> (status: Int32, log: String) {
        try launch(extra)
        let process = self.process!
        self.process = nil
        guard let ended = process.wait(seconds: seconds) else { throw SandboxError("the agent kept running; log:\n\(log)") }
        return (ended.status, log)
    }

    private func launch(_ extra: [String]) throws {
        let arguments =
            ["agent", "--policy-dir", policyDirectory, "--cgroup", sandbox.cgroupRelative, "--metrics", "none", "--log-level", "debug"]
            + stateArguments + extra
        process = try Subprocess(BuildProducts.path(of: "sluice"), arguments, output: .file(logPath), error: .file(logPath))
    }

    /// SIGKILL: no cleanup at all, as when the OOM killer or a node crash strikes.
    func killHard() {
        guard let process else { return }
        process.kill()
        process.wait()
        self.process = nil
    }

    /// SIGTERM, then up to 20 s for a graceful exit; a hang is a failure (then SIGKILL).
    func stop() throws {
        guard let process else { return }
        process.kill(SIGTERM)
        self.process = nil
        guard process.wait(seconds: 20) != nil else {
            throw SandboxError("the agent did not stop within 20 s of SIGTERM; log:\n\(log)")
        }
    }

    func status() throws -> AgentStatus {
        let output = try cli(["status", "--output", "json"])
        guard output.status == 0 else { throw SandboxError("status failed: \(output.standardError)") }
        return try FleetJSON.decoder().decode(AgentStatus.self, from: Data(output.standardOutput.utf8))
    }

    func cli(_ arguments: [String]) throws -> ChildProcess.Output {
        try ChildProcess.run(BuildProducts.path(of: "sluice"), arguments + stateArguments)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Polls `condition` every 20 ms for up to `seconds` (generous: CI runs every suite at once
    /// on two cores).
    func waitUntil(_ what: String, seconds: Double = 60, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return }
            if let ended = process?.wait(seconds: 0) {
                throw SandboxError("the agent exited (\(ended)) waiting for \(what); log:\n\(log)")
            }
            usleep(20_000)
        }
        throw SandboxError("timed out waiting for \(what); agent log:\n\(log)")
    }
}

/// A `sluice` command printing JSON lines (`events --follow --output json`) in the background,
/// collecting lines. Killed when released.
final class EventFollower: Sendable {
    private let child: Subprocess
    /// Apart from `self`, so the reading thread does not keep the follower alive.
    private final class Lines: Sendable {
        let value = Mutex<[String]>([])
    }

    private let lines = Lines()

    /// `sluice events --follow --output json` from the agent, once the agent counts it as a reader.
    convenience init(agent: AgentProcess, filters: [String] = []) throws {
        let subscribed = try agent.status().events.subscribers
        try self.init(arguments: ["events", "--follow", "--output", "json"] + filters + agent.stateArguments)
        // Subscribed before the caller makes connections: the agent counts its readers.
        try agent.waitUntil("the follower is subscribed") { try agent.status().events.subscribers > subscribed }
    }

    /// Any `sluice` command whose standard output is JSON lines, read as they come.
    init(arguments: [String], environment: [String: String]? = nil) throws {
        child = try Subprocess(BuildProducts.path(of: "sluice"), arguments, environment: environment, output: .pipe, error: .null)
        let output = child.output!
        Thread.detachNewThread { [lines] in
            while let line = try? output.line() {
                lines.value.withLock { $0.append(line) }
            }
        }
    }

    /// Whether the command is still running (a follower that exits has failed).
    var isRunning: Bool { child.isRunning }

    deinit {
        child.kill(SIGTERM)
        child.wait()
    }

    /// The JSON objects received so far.
    var events: [[String: Any]] {
        lines.value.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

extension AgentProcess {
    /// Runs `body` with a started agent in a fresh sandbox whose policy (`lockdown.yaml`) denies
    /// TCP to a loopback listener.
    static func lockedDown<T>(
        _ name: String, _ body: (KernelSandbox, LoopbackListener, AgentProcess) async throws -> T
    ) async throws -> T {
        try await KernelSandbox.with(name) { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let agent = try AgentProcess(sandbox: sandbox)
            try agent.writePolicy("lockdown.yaml", AgentTests.denyTCP(listener.port))
            try agent.start()
            return try await body(sandbox, listener, agent)
        }
    }
}
