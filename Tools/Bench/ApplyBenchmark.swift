import ArgumentParser
import Foundation
import SluiceCore
import SluiceKernel
import SluiceTestSupport

/// Time to parse, validate, compile and apply a large policy, then a one-rule change to it.
struct ApplyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "apply", abstract: "Compile and apply N rules.")

    @Option(help: "Rules in the policy.")
    var rules: Int = 100_000

    @Option(help: "Repetitions (a fresh datapath each).")
    var repeats: Int = 3

    func run() async throws {
        print("\n## Compile and apply \(rules) rules\n")
        var generator = RuleGenerator()
        let text = generator.policy(name: "bench", count: rules)
        print("policy text: \(text.utf8.count / 1024) KiB\n")
        print("| run | parse | validate | compile | image | kernel apply | total | map writes | one-rule change (compile+apply) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for run in 1...repeats {
            try await KernelSandbox.with("bench-apply") { sandbox in
                let clock = ContinuousClock()
                var marks: [Duration] = []
                var start = clock.now
                func mark() {
                    marks.append(clock.now - start)
                    start = clock.now
                }
                let parsed = PolicyParser.parse(text, file: "bench.yaml")
                mark()
                let diagnostics = PolicyValidator.validate(PolicySet(parsed.policies))
                mark()
                guard !(parsed.diagnostics + diagnostics).contains(where: { $0.severity == .error }) else {
                    throw SandboxError("generated policy is invalid: \(parsed.diagnostics.prefix(3))")
                }
                let resolver = SystemSubjectResolver(cgroups: sandbox.cgroups)
                let compiled = PolicyCompiler.compile(PolicySet(parsed.policies), resolver: resolver)
                mark()
                let image = try DatapathImage(compiled)
                mark()
                let datapath = try Datapath(
                    configuration: DatapathConfiguration(pins: sandbox.pins, cgroupPath: sandbox.cgroupPath), logger: benchLogger)
                let result = try datapath.apply(image)
                mark()
                try datapath.attach()

                // One rule more, the way the agent does it: whole recompile, diffed writes.
                let changed = text + "    - {action: deny, to: [\"192.0.2.77\"], ports: [4444], protocol: tcp}\n"
                let changeStart = clock.now
                let reparsed = PolicyParser.parse(changed, file: "bench.yaml")
                let recompiled = PolicyCompiler.compile(PolicySet(reparsed.policies), resolver: resolver)
                let second = try datapath.apply(try DatapathImage(recompiled, previous: image))
                let change = clock.now - changeStart

                let total = marks.reduce(Duration.zero, +)
                print(
                    "| \(run) | \(ms(marks[0])) | \(ms(marks[1])) | \(ms(marks[2])) | \(ms(marks[3])) | \(ms(marks[4])) | **\(ms(total))** | \(result.writes) | \(ms(change)) (\(second.writes) writes) |")
            }
        }
    }
}

func ms(_ duration: Duration) -> String {
    let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    return "\(format(seconds * 1000, 1)) ms"
}
