import Testing

@testable import SluiceCore

/// What approving a learned rule would have done: the approved policy file as the agent reads it,
/// in place of the learned rule it may already enforce.
@Suite struct LearnedRuleReplayTests {
    static func event(
        _ exe: String?, to address: String, port: UInt16, verdict: RuleAction = .allow, policy: String? = nil, rule: String = "node-default",
        domain: String? = nil
    ) -> DecisionEvent {
        PolicyReplayTests.event(exe, to: address, port: port, verdict: verdict, policy: policy, rule: rule, domain: domain)
    }

    static func rule(_ id: String, state: LearnedRule.State, action: RuleAction = .deny, to destination: String = "192.0.2.7") -> LearnedRule {
        LearnedRule(
            id: id, executable: PolicyReplayTests.curl, cgroup: nil, destination: destination, port: 443, transport: .tcp, action: action,
            reasons: ["deny: a new destination"], score: 31, threshold: 20, created: 1_795_276_000_000_000_000,
            expires: 1_795_362_400_000_000_000, state: state)
    }

    @Test func approvingAProposedRuleDeniesWhatItNames() throws {
        let proposed = Self.rule("lr-0000000a", state: .proposed)
        let events = Array(repeating: Self.event(PolicyReplayTests.curl, to: "192.0.2.7", port: 443), count: 3)
            + [Self.event(PolicyReplayTests.python, to: "192.0.2.7", port: 443), Self.event(PolicyReplayTests.curl, to: "192.0.2.8", port: 443)]
        let sets = try PolicyReplay.NodePolicies.approving(proposed, policies: .empty, learned: [proposed])
        let report = try PolicyReplay.run(events: events, policies: { _ in sets })
        #expect(report.newlyDenied == 3 && report.unchanged == 2 && report.unknown == 0)
        #expect(report.rows.first?.after == ["approved-lr-0000000a/learned"])
    }

    @Test func anInstalledRuleIsInForceAlreadyAndApprovingKeepsIt() throws {
        let installed = Self.rule("lr-0000000b", state: .installed)
        let other = Self.rule("lr-0000000c", state: .installed, to: "192.0.2.9")
        let recorded = [
            Self.event(PolicyReplayTests.curl, to: "192.0.2.7", port: 443, verdict: .deny, policy: "learned-lr-0000000b", rule: "learned"),
            Self.event(PolicyReplayTests.curl, to: "192.0.2.9", port: 443, verdict: .deny, policy: "learned-lr-0000000c", rule: "learned"),
        ]
        let sets = try PolicyReplay.NodePolicies.approving(installed, policies: .empty, learned: [installed, other, Self.rule("lr-0000000d", state: .rejected)])
        let report = try PolicyReplay.run(events: recorded, policies: { _ in sets })
        #expect(report.unknown == 0 && report.unchanged == 2 && report.changed == 0)
        #expect(sets.current.policies.map(\.name) == ["learned-lr-0000000b", "learned-lr-0000000c"])
        #expect(sets.candidate.policies.map(\.name) == ["approved-lr-0000000b", "learned-lr-0000000c"])
    }

    @Test func anAdministratorsPoliciesStayUnderTheApproval() throws {
        let web = Policies.set(
            Policies.document("web", "subjects: [{executable: /usr/bin/curl}]\negress:\n  - {name: api, action: allow, to: [192.0.2.0/24], ports: [443]}"))
        let alert = Self.rule("lr-0000000e", state: .proposed, action: .alert)
        let sets = try PolicyReplay.NodePolicies.approving(alert, policies: web, learned: [alert])
        let report = try PolicyReplay.run(
            events: [Self.event(PolicyReplayTests.curl, to: "192.0.2.7", port: 443, policy: "web", rule: "api")], policies: { _ in sets })
        #expect(report.unknown == 0)
        #expect(sets.candidate.policies.map(\.name) == ["web", "approved-lr-0000000e"])
    }

    @Test func onlyARuleAwaitingReviewOrInstalledCanBeApproved() {
        for state in [LearnedRule.State.rejected, .revoked, .expired, .approved] {
            #expect(throws: LearnedRulePreviewError.notApprovable(id: "lr-0000000f", state: state)) {
                try PolicyReplay.NodePolicies.approving(Self.rule("lr-0000000f", state: state), policies: .empty, learned: [])
            }
        }
    }
}
