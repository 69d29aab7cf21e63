import Testing

@testable import SluiceCore

/// Random policies with names, parsed, validated, compiled into an image and decided by the
/// engine, against the brute-force reading of DESIGN.md in `NameReferenceDecider`.
@Suite struct NameDecisionPropertyTests {
    static let setsPerBatch = 60
    static let flowsPerSet = 120

    @Test(arguments: 0..<4)
    func engineAgreesWithBruteForce(batch: Int) throws {
        var steps: [NameReferenceDecider.Step: Int] = [:]
        for index in 0..<Self.setsPerBatch {
            let seed = UInt64(batch * 10_000 + index)
            var generator = NamePolicyGenerator(seed: seed)
            let policies = generator.policies()
            let yaml = Policies.file(policies.enumerated().map { $1.yaml(named: "p\($0)") })
            let parsed = PolicyParser.parse(yaml, file: "names.yaml")
            try #require(parsed.diagnostics == [], "seed \(seed):\n\(yaml)")
            let set = PolicySet(parsed.policies)
            let errors = PolicyValidator.validate(set).filter { $0.severity == .error }
            try #require(errors == [], "seed \(seed): the generator must avoid contradictions\n\(yaml)")
            let compiled = PolicyCompiler.compile(set, resolver: RandomWorld.resolver)
            try #require(compiled.diagnostics.allSatisfy { $0.severity == .warning }, "seed \(seed): \(compiled.diagnostics)")
            let engine = DecisionEngine(image: try DatapathImage(compiled))
            let reference = NameReferenceDecider(policies)
            for _ in 0..<Self.flowsPerSet {
                let flow = generator.flow()
                let decision = engine.decide(flow)
                let (expected, step) = reference.decide(flow)
                let fast = engine.decide(flow, explaining: false)
                #expect(fast.verdict == decision.verdict && fast.subject == decision.subject && (fast.matchedName != nil) == (decision.matchedName != nil))
                let subject: Int =
                    switch decision.subject {
                    case .executable: 1
                    case .cgroup: 2
                    default: 0
                    }
                let actual = NameReferenceDecider.Answer(
                    subject: subject, verdict: decision.verdict, byDefault: decision.byDefault,
                    byName: decision.matchedName != nil)
                guard actual == expected else {
                    Issue.record(
                        """
                        seed \(seed): \(flow.domain?.description ?? "no name") at \(flow.destination) port \(flow.port)/\(flow.transport)
                        engine:    \(actual)
                        reference: \(expected)
                        trace: \(decision.trace.joined(separator: "\n       "))
                        \(yaml)
                        """)
                    return
                }
                if let pattern = decision.matchedName, let domain = flow.domain {
                    #expect(pattern.matches(domain), "seed \(seed): \(pattern) named for \(domain)")
                }
                steps[step, default: 0] += 1
            }
        }
        // Agreement proves little unless every way a name meets an address was reached.
        for step in [NameReferenceDecider.Step.nameAlone, .nameOverBlock, .nameOnTie, .exactAddress, .address, .fallback] {
            #expect(steps[step, default: 0] > 10, "\(step.rawValue) decided too rarely: \(steps)")
        }
    }
}
