import Foundation
import Testing

@testable import SluiceCore

/// `sluice policy explain`'s answer, built from a decision over a compiled image.
@Suite struct ExplanationTests {
    typealias W = World

    // The rule sits on line 8, column 7; the default on line 6, column 12.
    static let policy = Policies.document(
        "lockdown",
        """
        subjects: [{executable: /usr/bin/curl}]
        default: deny
        egress:
          - {name: no-ssh, action: deny, ports: [22]}
        """)

    static func explain(_ yaml: String, _ flow: FlowQuery, generation: UInt32? = 3) throws -> Explanation {
        let (compiled, engine) = try Policies.engine(yaml)
        let decision = engine.decide(flow)
        return Explanation(decision: decision, rule: compiled.rule(decision.verdict.ruleID), generation: generation)
    }

    @Test func explainsARule() throws {
        let explanation = try Self.explain(Self.policy, W.flow(W.curl, to: "192.0.2.1", port: 22))
        #expect(explanation.verdict == .deny)
        #expect(explanation.blocks && !explanation.monitor && !explanation.byDefault)
        #expect(explanation.policy == "lockdown")
        #expect(explanation.rule == "no-ssh")
        #expect(explanation.ruleLocation == "p.yaml:8:7")
        #expect(explanation.subject == "executable 8:1:1001")
        #expect(explanation.matchedPrefix == "0.0.0.0/0")
        #expect(explanation.generation == 3)
        #expect(
            explanation.text == """
                DENY (the call fails with EPERM)
                  decided by: rule no-ssh of policy lockdown at p.yaml:8:7
                  subject:    executable 8:1:1001
                  matched:    0.0.0.0/0
                  trace:
                    executable 8:1:1001: rule 1 matches 0.0.0.0/0 port 22 -> deny
                """)
    }

    @Test func explainsADefault() throws {
        let explanation = try Self.explain(Self.policy, W.flow(W.curl, to: "192.0.2.1", port: 443))
        #expect(explanation.rule == "default")
        #expect(explanation.ruleLocation == "p.yaml:6:12")
        #expect(explanation.byDefault && explanation.matchedPrefix == nil)
        #expect(
            explanation.text == """
                DENY (the call fails with EPERM)
                  decided by: rule default of policy lockdown at p.yaml:6:12
                  subject:    executable 8:1:1001 (its default: no rule matched)
                  trace:
                    executable 8:1:1001: rules for 0.0.0.0/0 do not cover port 443/tcp
                    executable 8:1:1001: default -> deny
                """)
    }

    @Test func explainsMonitorMode() throws {
        let monitored = Self.policy.replacingOccurrences(of: "spec:\n", with: "spec:\n  mode: monitor\n")
        let explanation = try Self.explain(monitored, W.flow(W.curl, to: "192.0.2.1", port: 22))
        #expect(explanation.verdict == .deny && explanation.monitor && !explanation.blocks)
        #expect(explanation.text.hasPrefix("DENY (monitor mode: reported, not enforced)\n"))
    }

    @Test func explainsTheBuiltInNodeDefault() throws {
        let explanation = try Self.explain(Self.policy, W.flow(W.python, to: "192.0.2.1", port: 22), generation: nil)
        #expect(explanation.verdict == .allow && !explanation.blocks)
        #expect(explanation.policy == nil && explanation.rule == "node-default" && explanation.ruleLocation == nil)
        #expect(explanation.subject == "node")
        #expect(
            explanation.text == """
                ALLOW
                  decided by: the built-in node default (allow)
                  subject:    node (its default: no rule matched)
                  trace:
                    node: no rule for 192.0.2.1
                    node: default -> allow
                """)
    }

    @Test func namesAnUnknownRuleByItsID() {
        let decision = Decision(
            subject: nil, verdict: Verdict(ruleID: 9, action: .alert, monitor: false), byDefault: false,
            matchedPrefix: cidr("10.0.0.0/8"), trace: [])
        let explanation = Explanation(decision: decision, rule: nil, generation: nil)
        #expect(explanation.rule == "rule-9")
        #expect(explanation.text.contains("  decided by: rule rule-9\n"))
        var byDefault = decision
        byDefault.byDefault = true
        #expect(Explanation(decision: byDefault, rule: nil, generation: nil).rule == "default")
    }

    @Test func roundTripsThroughJSON() throws {
        let explanation = try Self.explain(Self.policy, W.flow(W.curl, to: "192.0.2.1", port: 22))
        let decoded = try JSONDecoder().decode(Explanation.self, from: try JSONEncoder().encode(explanation))
        #expect(decoded == explanation)
    }
}
