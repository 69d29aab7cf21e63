import SluiceCore
import Testing

/// Rules keep their ids across compiles, so an edit rewrites only what it touched.
struct RuleNumberingTests {
    static func policy(_ rules: [String]) -> String {
        Policies.document("p", "egress:\n" + rules.map { "  - \($0)" }.joined(separator: "\n"))
    }

    @Test func insertingARuleKeepsTheIdsOfTheOthers() {
        let a = "{action: allow, to: [10.0.0.1]}"
        let b = "{action: deny, to: [10.0.0.2]}"
        let c = "{action: alert, to: [10.0.0.3]}"
        let first = Policies.compile(Self.policy([a, b, c]))
        let firstIDs = first.rules.filter { $0.policy == "p" }.map(\.id)
        #expect(firstIDs == [1, 2, 3])

        let inserted = "{action: deny, to: [10.0.0.9]}"
        let second = Policies.compile(Self.policy([inserted, a, b, c]), previous: first)
        let byDestination = Dictionary(uniqueKeysWithValues: second.node.entries.map { ($0.destination.description, $0.verdict.ruleID) })
        #expect(byDestination["10.0.0.1"] == 1 && byDestination["10.0.0.2"] == 2 && byDestination["10.0.0.3"] == 3)
        #expect(byDestination["10.0.0.9"] == 4, "a new rule takes a fresh id")
        #expect(second.rule(1)?.rule == "egress[1]", "the label follows the position; the id does not")

        // Removing a rule frees its id for the next new rule.
        let third = Policies.compile(Self.policy([inserted, a, c, "{action: allow, to: [10.0.0.7]}"]), previous: second)
        let thirdIDs = Dictionary(uniqueKeysWithValues: third.node.entries.map { ($0.destination.description, $0.verdict.ruleID) })
        #expect(thirdIDs == ["10.0.0.9": 4, "10.0.0.1": 1, "10.0.0.3": 3, "10.0.0.7": 2])
        #expect(third.rules.count == 5)
    }

    @Test func aChangedRuleGetsANewIdAndItsOldOneIsFree() {
        let first = Policies.compile(Self.policy(["{action: allow, to: [10.0.0.1]}", "{action: deny, to: [10.0.0.2]}"]))
        let second = Policies.compile(Self.policy(["{action: allow, to: [10.0.0.1]}", "{action: alert, to: [10.0.0.2]}"]), previous: first)
        let ids = Dictionary(uniqueKeysWithValues: second.node.entries.map { ($0.destination.description, $0.verdict.ruleID) })
        #expect(ids == ["10.0.0.1": 1, "10.0.0.2": 2])
        #expect(second.rule(2)?.action == .alert)
    }
}
