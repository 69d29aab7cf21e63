import ArgumentParser
import Foundation
@preconcurrency import Glibc
import SluiceTestSupport

/// Whether the real agent keeps up with the kernel's event rate: probes connect without pause in
/// the agent's cgroup, every decision makes a record, and the agent reads, enriches, scores and
/// publishes each. Reports the rate offered, what the agent published, what was lost where, and
/// the agent's memory.
struct AgentEventsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agent-events", abstract: "Agent event throughput with scoring, and losses.")

    @Option(help: "Connecting processes (each a UDP connect loop).")
    var probes: Int = 2

    @Option(help: "UDP connects per process.")
    var connects: Int = 1_000_000

    func run() async throws {
        print("\n## Agent event throughput (real agent, every decision recorded and scored)\n")
        try await KernelSandbox.with("bench-events") { sandbox in
            let policies = sandbox.scratch + "/policies"
            try FileManager.default.createDirectory(atPath: policies, withIntermediateDirectories: true)
            try """
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: loopback}
            spec:
              egress: [{action: allow, to: ["127.0.0.0/8"]}]
            """.write(toFile: policies + "/loopback.yaml", atomically: true, encoding: .utf8)
            let state = sandbox.scratch + "/state"
            let agent = try Subprocess(
                BuildProducts.path(of: "sluice"),
                [
                    "agent", "--policy-dir", policies, "--cgroup", sandbox.cgroupRelative, "--metrics", "none",
                    "--state-dir", state, "--pin-dir", sandbox.pinDirectory, "--events", "all", "--log-level", "error",
                ])
            defer {
                agent.kill(SIGTERM)
                agent.wait()
            }
            var before = try Self.status(state)
            for _ in 0..<200 where before == nil {
                usleep(50_000)
                before = try Self.status(state)
            }
            guard let before else { throw SandboxError("the agent did not answer on its socket") }

            let start = DispatchTime.now().uptimeNanoseconds
            let loads = try (0..<probes).map { index in
                try Subprocess(
                    Probe.builtPath, ["--join", sandbox.cgroupPath, "bench-udp-connect", "127.0.0.\(1 + index % 250)", "9", String(connects)],
                    output: .null)
            }
            for probe in loads { probe.wait() }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

            // Every decision makes a record: wait until each is published or counted lost (a batch
            // is published whole, so the count moves in steps).
            var after = try Self.status(state)!
            let deadline = DispatchTime.now().uptimeNanoseconds + 120_000_000_000
            while after.published - before.published + after.lostInKernel - before.lostInKernel + after.lostInAgent - before.lostInAgent
                < after.decisions - before.decisions, DispatchTime.now().uptimeNanoseconds < deadline
            {
                usleep(200_000)
                after = try Self.status(state)!
            }
            let drained = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let rss = Self.memory(of: agent.pid)
            let decisions = after.decisions - before.decisions
            let published = after.published - before.published
            print("| probes | decisions | seconds | decisions/s offered | events published | published/s (until drained) | lost in kernel | lost in agent | agent RSS / peak |")
            print("|---|---|---|---|---|---|---|---|---|")
            print(
                "| \(probes) | \(decisions) | \(format(seconds, 2)) | \(Int(Double(decisions) / seconds)) | \(published) | \(Int(Double(published) / drained)) | "
                    + "\(after.lostInKernel - before.lostInKernel) | \(after.lostInAgent - before.lostInAgent) | "
                    + "\(rss.current / 1024) / \(rss.peak / 1024) MiB |")
        }
    }

    struct Totals {
        var decisions: Int
        var published: Int
        var lostInKernel: Int
        var lostInAgent: Int
    }

    /// The agent's counters from `sluice status --output json`; nil while it is not answering.
    static func status(_ state: String) throws -> Totals? {
        let result = try ChildProcess.run(BuildProducts.path(of: "sluice"), ["status", "--output", "json", "--state-dir", state])
        guard result.status == 0,
            let object = try? JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any],
            let events = object["events"] as? [String: Any], let published = events["published"] as? Int,
            let decisions = object["decisions"] as? [String: Any]
        else { return nil }
        let total = ["allow", "deny", "alert"].compactMap { decisions[$0] as? Int }.reduce(0, +)
        return Totals(
            decisions: total, published: published, lostInKernel: events["lost_in_kernel"] as? Int ?? events["lostInKernel"] as? Int ?? 0,
            lostInAgent: events["lost_in_agent"] as? Int ?? events["lostInAgent"] as? Int ?? 0)
    }

    /// VmRSS and VmHWM of a process, in KiB.
    static func memory(of pid: Int32) -> (current: Int, peak: Int) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
        }
        return (field("VmRSS"), field("VmHWM"))
    }
}
