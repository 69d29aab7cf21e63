import Testing

@testable import SluiceCore

/// A learned rule never overrides an explicit allow, never targets protected destinations or the
/// agent, and never conflicts with another learned rule.
struct LearnedRuleValidatorTests {
    static let admin = Policies.document(
        "admin",
        """
        subjects: [{executable: /usr/bin/curl}]
        egress:
          - {name: partner, action: allow, to: [192.0.2.10], ports: [443], protocol: tcp}
          - {name: blocked, action: deny, to: [192.0.2.66]}
          - {name: watched, action: alert, to: [192.0.2.77]}
        """)

    static func rule(_ destination: String, port: UInt16 = 443, action: RuleAction = .deny, executable: String? = "/usr/bin/curl", id: String = "lr-00000001", state: LearnedRule.State = .proposed) -> LearnedRule {
        LearnedRule(
            id: id, executable: executable, cgroup: nil, destination: destination, port: port, transport: .tcp, action: action,
            reasons: ["destination +16: new"], score: 30, threshold: 16, created: 0, expires: 1, state: state)
    }

    static func validator(agent: String? = "/usr/sbin/sluice") throws -> LearnedRuleValidator {
        let compiled = Policies.compile(admin)
        return LearnedRuleValidator(image: try DatapathImage(compiled), rules: compiled.rules, agentExecutable: agent)
    }

    static let settings = LearningSettings(mode: .enforce, protected: [try! IPPrefix.parse("10.96.0.10").get()])

    @Test(arguments: [
        ("198.51.100.1", UInt16(443), "accepted"),
        ("192.0.2.10", 443, "explicitly allows"),
        ("192.0.2.10", 80, "accepted"),
        ("192.0.2.66", 443, "already denies"),
        ("127.0.0.1", 443, "protected"),
        ("10.96.0.10", 443, "protected"),
    ])
    func checksAgainstPolicy(_ destination: String, _ port: UInt16, _ expected: String) throws {
        let outcome = try Self.validator().validate(
            Self.rule(destination, port: port), flow: World.flow(World.curl, to: destination, port: port), settings: Self.settings,
            existing: [])
        switch outcome {
        case .accepted: #expect(expected == "accepted")
        case .refused(let why): #expect(why.contains(expected), "\(why)")
        }
    }

    @Test func anAlertWhereThePolicyAlertsIsRedundant() throws {
        let outcome = try Self.validator().validate(
            Self.rule("192.0.2.77", action: .alert), flow: World.flow(World.curl, to: "192.0.2.77", port: 443), settings: Self.settings,
            existing: [])
        #expect(outcome == .refused("policy already alerts on this"))
    }

    @Test func neverTheAgentItself() throws {
        let rule = Self.rule("198.51.100.1", executable: "/usr/sbin/sluice")
        let outcome = try Self.validator().validate(
            rule, flow: World.flow(World.stranger, to: "198.51.100.1", port: 443), settings: Self.settings, existing: [])
        #expect(outcome == .refused("/usr/sbin/sluice is the agent itself"))
    }

    @Test func neverTwoRulesForOneScope() throws {
        let installed = Self.rule("198.51.100.1", action: .alert, id: "lr-0000000a", state: .installed)
        let outcome = try Self.validator().validate(
            Self.rule("198.51.100.1"), flow: World.flow(World.curl, to: "198.51.100.1", port: 443), settings: Self.settings,
            existing: [installed])
        #expect(outcome == .refused("conflicts with learned rule lr-0000000a (alert)"))
    }

    @Test func aLearnedRuleCompilesAsItsOwnSubjectAndFallsThrough() throws {
        let rule = Self.rule("198.51.100.1", executable: "/usr/bin/wget")
        let learnedPolicy = try #require(rule.policy())
        let compiled = PolicyCompiler.compile(
            PolicySet(Policies.set(Self.admin).policies + [learnedPolicy]), resolver: World.resolver)
        #expect(compiled.diagnostics.isEmpty)
        let engine = DecisionEngine(image: try DatapathImage(compiled))
        let blocked = engine.decide(World.flow(World.wget, to: "198.51.100.1", port: 443))
        #expect(blocked.verdict.blocks && compiled.rule(blocked.verdict.ruleID)?.policy == "learned-lr-00000001")
        #expect(!engine.decide(World.flow(World.wget, to: "198.51.100.1", port: 80)).verdict.blocks, "one port only")
        #expect(!engine.decide(World.flow(World.curl, to: "198.51.100.1", port: 443)).verdict.blocks, "one executable only")
    }
}
