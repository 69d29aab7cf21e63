import Testing

@testable import SluiceCore

/// Random policy sets and flows: the compiler, the image and the engine together must answer
/// exactly what the brute-force reading of DESIGN.md answers.
@Suite struct DecisionEnginePropertyTests {
    static let setsPerBatch = 40
    static let flowsPerSet = 150

    /// One generated policy set, compiled, with its reference.
    struct Scenario {
        var seed: UInt64
        var policies: [GeneratedPolicy]
        var yaml: String
        var compiled: CompiledPolicy
        var reference: ReferenceDecider

        init(seed: UInt64, generator: inout PolicyGenerator, count: Int) {
            self.seed = seed
            policies = generator.policies(count: count)
            yaml = Policies.file(policies.map(\.yaml))
            let parsed = PolicyParser.parse(yaml, file: "random.yaml")
            #expect(parsed.diagnostics == [], "seed \(seed):\n\(yaml)")
            #expect(parsed.policies.count == policies.count, "seed \(seed)")
            let set = PolicySet(parsed.policies)
            let validation = PolicyValidator.validate(set).filter { $0.severity == .error }
            #expect(validation == [], "seed \(seed): the generator must avoid contradictions\n\(yaml)")
            compiled = PolicyCompiler.compile(set, resolver: RandomWorld.resolver)
            // Only paths that do not exist may be reported, and only as warnings.
            #expect(
                compiled.diagnostics.allSatisfy { $0.severity == .warning && $0.message.hasSuffix("does not exist yet") },
                "seed \(seed): \(compiled.diagnostics)")
            reference = ReferenceDecider(policies)
        }
    }

    @Test(arguments: 0..<8)
    func engineAgreesWithBruteForce(batch: Int) throws {
        var checked = 0
        var decidedBy = [String: Int]()
        var steps = [String: Int]()
        for index in 0..<Self.setsPerBatch {
            let seed = UInt64(batch * 10_000 + index)
            var generator = PolicyGenerator(seed: seed)
            let scenario = Scenario(seed: seed, generator: &generator, count: generator.rng.between(1, 10))
            let engine = DecisionEngine(image: try DatapathImage(scenario.compiled))
            for flow in generator.flows(Self.flowsPerSet, for: scenario.policies) {
                let decision = engine.decide(flow)
                let expected = scenario.reference.decide(flow)
                // What the replay asks: the same decision without its explanation.
                let fast = engine.decide(flow, explaining: false)
                #expect(fast.verdict == decision.verdict && fast.subject == decision.subject && fast.byDefault == decision.byDefault && fast.trace.isEmpty)
                let actual = ReferenceDecider.Answer(
                    subject: decision.subject, verdict: decision.verdict, byDefault: decision.byDefault,
                    prefix: decision.matchedPrefix)
                guard actual == expected || scenario.reference.isCopy(actual, of: expected, for: flow) else {
                    Issue.record(
                        """
                        seed \(seed): \(describe(flow))
                        engine:    \(actual)
                        reference: \(expected)
                        trace: \(decision.trace.joined(separator: "\n       "))
                        \(scenario.yaml)
                        """)
                    return
                }
                // The rule id names the rule the reference chose.
                let info = try #require(scenario.compiled.rule(decision.verdict.ruleID))
                let label = try #require(scenario.reference.labels[decision.verdict.ruleID])
                #expect(info.policy ?? "" == label.policy && info.rule == label.rule, "seed \(seed)")
                #expect(info.action == decision.verdict.action && (info.mode == .monitor) == decision.verdict.monitor)
                checked += 1
                if !expected.byDefault, let step = scenario.reference.decisiveStep(flow, subject: expected.subject) {
                    steps[step, default: 0] += 1
                }
                let kind = decision.subject.map { key -> String in
                    switch key {
                    case .executableInCgroup: return "exe-in-cgroup"
                    case .executable: return "exe"
                    case .cgroup: return "cgroup"
                    }
                } ?? "node"
                decidedBy["\(kind)\(decision.byDefault ? " default" : " rule")", default: 0] += 1
            }
        }
        #expect(checked == Self.setsPerBatch * Self.flowsPerSet)
        // The generator must reach every way of deciding, or agreement proves little.
        for kind in ["exe-in-cgroup", "exe", "cgroup", "node"] {
            #expect(decidedBy["\(kind) rule", default: 0] > 20, "\(kind) rules decided too rarely: \(decidedBy)")
        }
        for kind in ["exe-in-cgroup", "exe", "cgroup", "node"] {
            #expect(decidedBy["\(kind) default", default: 0] > 5, "\(kind) defaults decided too rarely: \(decidedBy)")
        }
        // And every step of the precedence within a subject must have settled real contests.
        for step in ["longer prefix", "narrower ports", "specific protocol", "severity"] {
            #expect(steps[step, default: 0] > 10, "\(step) decided too rarely: \(steps)")
        }
    }

    func describe(_ flow: FlowQuery) -> String {
        "\(flow.executable?.description ?? "no exe") in \(flow.cgroupAncestry.last?.path ?? "?") "
            + "to \(flow.destination) port \(flow.port)/\(flow.transport)"
    }
}
