import ArgumentParser
import Foundation
@preconcurrency import Glibc
import SluiceTestSupport

/// Time from a one-rule file change to enforcement through the real agent binary: a probe
/// loops UDP connects that the policy denies; the file flips the rule to allow; the time of the
/// probe's first success minus the time of the rename into place is the latency.
struct ReloadBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reload", abstract: "File change to enforcement latency.")

    @Option(help: "Rules in the rest of the policy folder (comma-separated sizes).")
    var baseRules: String = "10,100000"

    @Option(help: "Trials per size.")
    var trials: Int = 15

    func run() async throws {
        print("\n## One-rule file change to enforcement (real agent)\n")
        print("| rules in the folder | median | p90 | max | trials |")
        print("|---|---|---|---|---|")
        for size in baseRules.split(separator: ",").compactMap({ Int($0) }) {
            try await KernelSandbox.with("bench-reload") { sandbox in
                let policies = sandbox.scratch + "/policies"
                try FileManager.default.createDirectory(atPath: policies, withIntermediateDirectories: true)
                var generator = RuleGenerator()
                try generator.policy(name: "base", count: size).write(toFile: policies + "/base.yaml", atomically: true, encoding: .utf8)
                func write(_ action: String) throws {
                    let text = """
                        apiVersion: sluice/v1
                        kind: Policy
                        metadata: {name: switch}
                        spec:
                          egress: [{action: \(action), to: ["127.0.0.2"], ports: [9], protocol: udp}]
                        """
                    try text.write(toFile: policies + "/.switch.tmp", atomically: false, encoding: .utf8)
                    rename(policies + "/.switch.tmp", policies + "/switch.yaml")
                }
                try write("deny")
                let agent = try Subprocess(
                    BuildProducts.path(of: "sluice"),
                    [
                        "agent", "--policy-dir", policies, "--cgroup", sandbox.cgroupRelative, "--metrics", "none",
                        "--state-dir", sandbox.scratch + "/state", "--pin-dir", sandbox.pinDirectory,
                        "--max-destinations", String(max(262_144, size * 3)), "--log-level", "error",
                    ])
                defer {
                    agent.kill(SIGTERM)
                    agent.wait()
                }
                try waitFor(probeSays: "EPERM", in: sandbox.cgroupPath)

                var latencies: [Double] = []
                for _ in 1...trials {
                    let probe = try Subprocess(
                        Probe.builtPath, ["--join", sandbox.cgroupPath, "until-udp-ok", "127.0.0.2", "9", "10000"], output: .pipe)
                    let first = try probe.output!.line()
                    guard first == "until-udp-ok refused" else { throw SandboxError("the probe was not refused first: \(first)") }
                    var before = timespec()
                    clock_gettime(CLOCK_MONOTONIC, &before)
                    try write("allow")
                    let output = try probe.output!.readToEnd()
                    probe.wait()
                    guard let field = output.split(separator: " ").first(where: { $0.hasPrefix("ok_at_ns=") }),
                        let okAt = Double(field.dropFirst("ok_at_ns=".count).trimmingCharacters(in: .whitespacesAndNewlines))
                    else { throw SandboxError("the change was not enforced within 10 s: \(output)") }
                    latencies.append((okAt - (Double(before.tv_sec) * 1e9 + Double(before.tv_nsec))) / 1e6)
                    try write("deny")
                    try waitFor(probeSays: "EPERM", in: sandbox.cgroupPath)
                }
                let sample = Sample(values: latencies)
                print("| \(size) | \(format(sample.median)) ms | \(format(sample.quantile(0.9))) ms | \(format(sample.maximum)) ms | \(trials) |")
            }
        }
    }

    func waitFor(probeSays expected: String, in cgroup: String) throws {
        for _ in 0..<1000 {
            if (try? Probe().run(.udp("127.0.0.2", 9), in: cgroup)) == expected { return }
            usleep(20_000)
        }
        throw SandboxError("the agent never enforced the \(expected) state")
    }
}
