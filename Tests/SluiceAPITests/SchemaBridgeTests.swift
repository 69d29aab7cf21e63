import Foundation
import SluiceAPI
import SluiceCore
import Testing

/// The core's learned rules, decisions and policy versions survive the trip through the API's
/// documents, every enumeration case included.
struct SchemaBridgeTests {
    static func rule(state: LearnedRule.State, transport: TransportProtocol, action: RuleAction) -> LearnedRule {
        var rule = LearnedRule(
            id: "lr-0badf00d", executable: "/usr/bin/curl", cgroup: "/sys/fs/cgroup/app", destination: "192.0.2.7", port: 8443,
            transport: transport, action: action, reasons: ["new destination", "burst"], score: 41.5, threshold: 30,
            created: 1_764_000_000_123_456_789, expires: 1_764_003_600_000_000_000, state: state, note: "refused: allowed by web",
            evidence: 3, hits: 12, lastHit: 1_764_000_100_000_000_000)
        rule.policyFile = "learned-lr-0badf00d.yaml"
        return rule
    }

    @Test(arguments: LearnedRule.State.allCases)
    func aLearnedRuleRoundTrips(state: LearnedRule.State) throws {
        for transport in [TransportProtocol.tcp, .udp, .any] {
            for action in RuleAction.written {
                var rule = Self.rule(state: state, transport: transport, action: action)
                if action == .rateLimit { rule.rate = ConnectionRate(count: 40, periodSeconds: 60, burst: 3) }
                #expect(try LearnedRule(Components.Schemas.LearnedRule(rule)) == rule)
            }
        }
    }

    @Test func aRuleTheDocumentCannotCarryIsRefusedNotGuessed() {
        #expect(throws: SchemaMismatch.unknownName("icmp", type: "\(Components.Schemas.LearnedRule.TransportPayload.self)")) {
            try Components.Schemas.LearnedRule(Self.rule(state: .installed, transport: .icmp, action: .deny))
        }
    }

    @Test(arguments: RuleDecisionKind.allCases)
    func aDecisionRoundTrips(kind: RuleDecisionKind) throws {
        let decision = RuleDecision(id: 7, ruleId: "lr-1", decision: kind, decidedBy: "ops", decided: Date(timeIntervalSince1970: 1_764_000_000.25), note: "ok")
        #expect(try RuleDecision(Components.Schemas.RuleDecision(decision)) == decision)
    }

    @Test func aPolicyVersionRoundTrips() {
        let version = PolicyVersion(
            name: "web", version: 4, yaml: "apiVersion: sluice/v1\n", author: "ops", message: "tighten", created: Date(timeIntervalSince1970: 1_764_000_000),
            nodeSelector: ["env": "prod"], deleted: true)
        #expect(PolicyVersion(Components.Schemas.PolicyVersion(version)) == version)
    }

    /// The agent's local API writes the core's types in the server's style.
    @Test func theLocalAPIWritesSnakeCase() throws {
        let rule = Self.rule(state: .installed, transport: .tcp, action: .deny)
        let text = String(decoding: try FleetJSON.encoder().encode(rule), as: UTF8.self)
        #expect(text.contains("\"last_hit\"") && text.contains("\"policy_file\"") && !text.contains("lastHit"))
        #expect(try FleetJSON.decoder().decode(LearnedRule.self, from: Data(text.utf8)) == rule)
    }
}
