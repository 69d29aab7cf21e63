import SluiceCore
import Foundation

/// `POST /api/v1/agent/enroll`, authorised by a join token.
public struct EnrollRequest: Sendable, Codable, Hashable {
    public var joinToken: String
    public var nodeName: String
    public var labels: [String: String]
    public var kernel: String
    public var agentVersion: String

    public init(joinToken: String, nodeName: String, labels: [String: String], kernel: String, agentVersion: String) {
        self.joinToken = joinToken
        self.nodeName = nodeName
        self.labels = labels
        self.kernel = kernel
        self.agentVersion = agentVersion
    }
}

/// The node's own credential: shown once, stored by the agent, sent as a bearer token.
public struct EnrollResponse: Sendable, Codable, Hashable {
    public var nodeId: String
    public var credential: String
    public var heartbeatSeconds: Int

    public init(nodeId: String, credential: String, heartbeatSeconds: Int) {
        self.nodeId = nodeId
        self.credential = credential
        self.heartbeatSeconds = heartbeatSeconds
    }
}

/// Decisions by verdict since the agent's maps were created.
public struct DecisionCounts: Sendable, Codable, Hashable {
    public var allow: UInt64
    public var alert: UInt64
    public var deny: UInt64
    public var monitorDeny: UInt64

    public init(allow: UInt64 = 0, alert: UInt64 = 0, deny: UInt64 = 0, monitorDeny: UInt64 = 0) {
        self.allow = allow
        self.alert = alert
        self.deny = deny
        self.monitorDeny = monitorDeny
    }
}

/// Events lost on the way, by where: never silent.
public struct EventLosses: Sendable, Codable, Hashable {
    /// The kernel's ring buffer was full.
    public var kernel: UInt64
    /// The agent could not keep up.
    public var agent: UInt64
    /// The upload buffer on disk was full while the server was away.
    public var upload: UInt64

    public init(kernel: UInt64 = 0, agent: UInt64 = 0, upload: UInt64 = 0) {
        self.kernel = kernel
        self.agent = agent
        self.upload = upload
    }
}

/// `POST /api/v1/agent/heartbeat`: the node's state.
public struct Heartbeat: Sendable, Codable, Hashable {
    /// The server policy revision in force on the node, nil before the first.
    public var appliedRevision: UInt64?
    /// Why the latest revision received was not applied, when it was not.
    public var applyError: String?
    /// The revision the error is about.
    public var failedRevision: UInt64?
    public var policyGeneration: UInt32
    public var rulesLoaded: Int
    public var decisions: DecisionCounts
    public var eventsLost: EventLosses
    /// Events waiting on the node's disk for upload.
    public var eventsBuffered: Int
    public var agentVersion: String
    /// Ids of `HeartbeatResponse.ruleDecisions` the agent has carried out: the server stops
    /// sending them. Absent or empty: none yet (a decision is resent until acknowledged).
    public var ruleDecisionsApplied: [Int64]?

    public init(
        appliedRevision: UInt64?, applyError: String?, failedRevision: UInt64?, policyGeneration: UInt32, rulesLoaded: Int,
        decisions: DecisionCounts, eventsLost: EventLosses, eventsBuffered: Int, agentVersion: String,
        ruleDecisionsApplied: [Int64]? = nil
    ) {
        self.appliedRevision = appliedRevision
        self.applyError = applyError
        self.failedRevision = failedRevision
        self.policyGeneration = policyGeneration
        self.rulesLoaded = rulesLoaded
        self.decisions = decisions
        self.eventsLost = eventsLost
        self.eventsBuffered = eventsBuffered
        self.agentVersion = agentVersion
        self.ruleDecisionsApplied = ruleDecisionsApplied
    }
}

/// What an operator decided about one of the node's learned rules (`POST /api/v1/rules/...`).
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

/// The server's answer to a heartbeat.
public struct HeartbeatResponse: Sendable, Codable, Hashable {
    /// Always false in a 200 answer (a revoked node gets 403); kept so an agent can tell the
    /// two apart without parsing an error body.
    public var revoked: Bool
    /// Operator decisions on the node's learned rules not yet acknowledged, oldest first.
    public var ruleDecisions: [RuleDecision]
    /// The fleet's policy revision now: an agent behind it should be polling already.
    public var revision: UInt64
    /// The interval the server expects between heartbeats.
    public var heartbeatSeconds: Int

    public init(revoked: Bool, ruleDecisions: [RuleDecision], revision: UInt64, heartbeatSeconds: Int) {
        self.revoked = revoked
        self.ruleDecisions = ruleDecisions
        self.revision = revision
        self.heartbeatSeconds = heartbeatSeconds
    }
}

/// `POST /api/v1/agent/rules`: the body is a JSON array of `LearnedRule` (FleetJSON keys), the
/// node's complete current set; it replaces the previous snapshot.
public struct RuleSnapshotResponse: Sendable, Codable, Hashable {
    public var stored: Int

    public init(stored: Int) {
        self.stored = stored
    }
}

/// The paths of the agent protocol, for the agent's client and the server's router.
public enum AgentPaths {
    /// On a refusal, says the node's credential was revoked: only then does an agent stop
    /// reporting. Any other 401 or 403 (a proxy, a restored database) is retried.
    public static let revokedHeader = "Sluice-Node-Revoked"

    public static let enroll = "/api/v1/agent/enroll"
    public static let heartbeat = "/api/v1/agent/heartbeat"
    public static let policy = "/api/v1/agent/policy"
    public static let events = "/api/v1/agent/events"
    public static let rules = "/api/v1/agent/rules"
    /// The longest `wait` a policy poll may ask for, in seconds.
    public static let maximumPolicyWait = 60
}

/// One version of one policy document as the server holds it.
public struct PolicyVersion: Sendable, Codable, Hashable {
    public var name: String
    public var version: Int
    /// The document's YAML, as pushed.
    public var yaml: String
    public var author: String
    public var message: String
    public var created: Date
    /// Labels a node must all have to receive it; empty: every node.
    public var nodeSelector: [String: String]
    /// A version that removes the policy (rollback to before it existed, or delete).
    public var deleted: Bool

    public init(
        name: String, version: Int, yaml: String, author: String, message: String, created: Date,
        nodeSelector: [String: String], deleted: Bool = false
    ) {
        self.name = name
        self.version = version
        self.yaml = yaml
        self.author = author
        self.message = message
        self.created = created
        self.nodeSelector = nodeSelector
        self.deleted = deleted
    }
}

/// `GET /api/v1/agent/policy?after=REV`: the policies meant for this node at a revision. The
/// request waits (long poll, up to `wait` seconds) until the revision passes `after`.
public struct PolicyBundle: Sendable, Codable, Hashable {
    /// Grows with every push, rollback or delete, fleet-wide.
    public var revision: UInt64
    public var policies: [PolicyVersion]

    public init(revision: UInt64, policies: [PolicyVersion]) {
        self.revision = revision
        self.policies = policies
    }
}

/// `POST /api/v1/agent/events?sequence=N`: a batch of decisions as NDJSON lines in the event
/// schema (`DecisionEvent.jsonLine`), not nested in a JSON document: cheaper on both sides.
/// `sequence` numbers batches per node so a batch retried after a lost answer is stored once.
public enum EventUpload {
    /// Most events in one batch.
    public static let maximumEvents = 5000
    /// Most bytes in one batch body.
    public static let maximumBytes = 8 << 20
    /// Most bytes in one event line.
    public static let maximumLineBytes = 64 << 10
    /// The response header giving, on 429 and 503, how many seconds to wait (also `Retry-After`).
    public static let retryAfterHeader = "Retry-After"
}

/// The server's answer to a batch: stored (or already stored), and how soon to send the next.
public struct EventBatchResponse: Sendable, Codable, Hashable {
    public var stored: Int
    public var duplicate: Bool

    public init(stored: Int, duplicate: Bool) {
        self.stored = stored
        self.duplicate = duplicate
    }
}
