import Foundation

// An operator's decision on a learned rule as the agent's learning loop carries it out. The API's
// generated `RuleDecision` is its wire form (bridged in SluiceAPI's Schemas+Core.swift).

/// What an operator decided about one of the node's learned rules (the `decideLearnedRule` operation).
public enum RuleDecisionKind: String, Sendable, Codable, Hashable, CaseIterable {
    /// Make the rule permanent policy on the node.
    case approve
    /// Refuse it: the traffic is normal; remove the rule if installed.
    case reject
    /// Remove an installed rule before it expires.
    case revoke
}

/// One operator decision waiting to be carried out by the node that learned the rule.
public struct RuleDecision: Sendable, Codable, Hashable {
    /// Acknowledge it with `Heartbeat.ruleDecisionsApplied`.
    public var id: Int64
    /// `LearnedRule.id`.
    public var ruleId: String
    public var decision: RuleDecisionKind
    public var decidedBy: String
    public var decided: Date
    public var note: String?

    public init(id: Int64, ruleId: String, decision: RuleDecisionKind, decidedBy: String, decided: Date, note: String? = nil) {
        self.id = id
        self.ruleId = ruleId
        self.decision = decision
        self.decidedBy = decidedBy
        self.decided = decided
        self.note = note
    }
}
