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
        print("| run | parse | validate | compile | image | kernel apply | total | map writes | one-rule change: compile+image+apply (writes) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for run in 1...repeats {
            try await KernelSandbox.with("bench-apply") { sandbox in
                // Loading and verifying the programs happens once when the agent starts: not timed.
                var capacity = DatapathCapacity()
                capacity.destinationsPerFamily = UInt32(max(262_144, rules * 3))
                let datapath = try sandbox.datapath(capacity: capacity, logger: benchLogger)
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
                let result = try datapath.apply(image)
                mark()
                try datapath.attach()

                // One rule more, then one less, the way the agent does it (with the parsed policy
                // of the unchanged file cached): compile, image, diffed writes. The first change
                // fills the other slot; the second is the steady state.
                var policies = parsed.policies
                var previous = (compiled, image)
                var change = ""
                for step in 0..<3 {
                    let extra = EgressRule(
                        action: .deny, destinations: [Located(try IPPrefix.parse("192.0.2.\(70 + step)").get(), at: policies[0].location, field: "")],
                        ports: [], transport: .tcp, index: policies[0].egress.count, location: policies[0].location)
                    policies[0].egress.append(extra)
                    let changeStart = clock.now
                    let recompiled = PolicyCompiler.compile(PolicySet(policies), resolver: resolver, previous: previous.0)
                    let reimage = try DatapathImage(recompiled, previous: previous.1)
                    let applied = try datapath.apply(reimage)
                    if step > 0 { change += "\(ms(clock.now - changeStart)) (\(applied.writes)) " }
                    previous = (recompiled, reimage)
                }

                let total = marks.reduce(Duration.zero, +)
                print(
                    "| \(run) | \(ms(marks[0])) | \(ms(marks[1])) | \(ms(marks[2])) | \(ms(marks[3])) | \(ms(marks[4])) | **\(ms(total))** | \(result.writes) | \(change)|")
            }
        }
    }
}

func ms(_ duration: Duration) -> String {
    "\(format(duration.seconds * 1000, 1)) ms"
}
