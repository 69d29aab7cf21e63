import Foundation
import SluiceCore

// The API's documents for the core's own types (learned rules, operator decisions, policy
// versions), in both directions: the generated types are the wire format; the core's are what
// the learning loop and the policy store work with.

/// A value of the document that the core has no equivalent for.
public enum SchemaMismatch: Error, CustomStringConvertible, Equatable {
    /// A name of one enumeration the other does not have (`type` is the one that lacks it).
    case unknownName(String, type: String)
    /// A number outside the core's range for `field`.
    case outOfRange(field: String, value: Int)

    public var description: String {
        switch self {
        case .unknownName(let name, let type): "\(name) is not a valid \(type)"
        case .outOfRange(let field, let value): "\(field) \(value) is out of range"
        }
    }
}

/// The case of `Target` with the same raw value as `value`: the document and the core name their
/// enumerations alike.
func bridge<Source: RawRepresentable, Target: RawRepresentable>(_ value: Source, to: Target.Type = Target.self) throws -> Target
where Source.RawValue == String, Target.RawValue == String {
    guard let target = Target(rawValue: value.rawValue) else {
        throw SchemaMismatch.unknownName(value.rawValue, type: "\(Target.self)")
    }
    return target
}

extension Components.Schemas.LearnedRule {
    /// The rule as the agent reports it.
    public init(_ rule: LearnedRule) throws {
        self.init(
            id: rule.id, executable: rule.executable, cgroup: rule.cgroup, destination: rule.destination, port: Int(rule.port),
            transport: try bridge(rule.transport), action: try bridge(rule.action),
            rate: rule.rate.map { .init(count: Int($0.count), periodSeconds: Int($0.periodSeconds), burst: Int($0.burst)) },
            quota: rule.quota.map { .init(sent: $0.sent.map { Int(clamping: $0) }, received: $0.received.map { Int(clamping: $0) }, windowSeconds: $0.windowSeconds.map { Int(clamping: $0) }) },
            reasons: rule.reasons, score: rule.score,
            threshold: rule.threshold, created: Int(rule.created), expires: Int(rule.expires), state: try bridge(rule.state),
            note: rule.note, evidence: rule.evidence, hits: rule.hits, lastHit: rule.lastHit.map(Int.init), policyFile: rule.policyFile)
    }
}

extension LearnedRule {
    /// The rule a document describes.
    public init(_ wire: Components.Schemas.LearnedRule) throws {
        guard let port = UInt16(exactly: wire.port) else { throw SchemaMismatch.outOfRange(field: "port", value: wire.port) }
        var rule = LearnedRule(
            id: wire.id, executable: wire.executable, cgroup: wire.cgroup, destination: wire.destination, port: port,
            transport: try bridge(wire.transport), action: try bridge(wire.action), reasons: wire.reasons, score: wire.score,
            threshold: wire.threshold, created: Int64(wire.created), expires: Int64(wire.expires), state: try bridge(wire.state),
            note: wire.note, evidence: wire.evidence, hits: wire.hits, lastHit: wire.lastHit.map(Int64.init))
        rule.policyFile = wire.policyFile
        if let rate = wire.rate {
            guard let count = UInt32(exactly: rate.count), let burst = UInt32(exactly: rate.burst), let period = UInt32(exactly: rate.periodSeconds) else {
                throw SchemaMismatch.outOfRange(field: "rate", value: rate.count)
            }
            rule.rate = ConnectionRate(count: count, periodSeconds: period, burst: burst)
        }
        if let quota = wire.quota {
            rule.quota = Quota(sent: quota.sent.map { UInt64(clamping: $0) }, received: quota.received.map { UInt64(clamping: $0) }, windowSeconds: quota.windowSeconds.map { UInt64(clamping: $0) })
        }
        self = rule
    }
}

extension RuleDecision {
    /// An operator's decision as the heartbeat answer carries it.
    public init(_ wire: Components.Schemas.RuleDecision) throws {
        self.init(
            id: Int64(wire.id), ruleId: wire.ruleId, decision: try bridge(wire.decision), decidedBy: wire.decidedBy, decided: wire.decided,
            note: wire.note)
    }
}

extension Components.Schemas.RuleDecision {
    public init(_ decision: RuleDecision) throws {
        self.init(
            id: Int(decision.id), ruleId: decision.ruleId, decision: try bridge(decision.decision), decidedBy: decision.decidedBy,
            decided: decision.decided, note: decision.note)
    }
}

extension PolicyVersion {
    /// A policy version as the server sends it.
    public init(_ wire: Components.Schemas.PolicyVersion) {
        self.init(
            name: wire.name, version: wire.version, yaml: wire.yaml, author: wire.author, message: wire.message, created: wire.created,
            nodeSelector: wire.nodeSelector.additionalProperties, deleted: wire.deleted)
    }
}

extension Components.Schemas.PolicyVersion {
    public init(_ version: PolicyVersion) {
        self.init(
            name: version.name, version: version.version, yaml: version.yaml, author: version.author, message: version.message,
            created: version.created, nodeSelector: .init(additionalProperties: version.nodeSelector), deleted: version.deleted)
    }
}

extension Components.Schemas.PolicyBundle {
    public init(_ bundle: PolicyBundle) {
        self.init(revision: Int(clamping: bundle.revision), policies: bundle.policies.map(Components.Schemas.PolicyVersion.init))
    }
}

extension PolicyBundle {
    /// The policies meant for a node at a revision.
    public init(_ wire: Components.Schemas.PolicyBundle) throws {
        guard let revision = UInt64(exactly: wire.revision) else { throw SchemaMismatch.outOfRange(field: "revision", value: wire.revision) }
        self.init(revision: revision, policies: wire.policies.map(PolicyVersion.init))
    }
}
