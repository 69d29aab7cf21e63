import SluiceCore
import Foundation

// The request and response bodies of the server's admin API (`docs/api.md`), in FleetJSON
// (snake_case keys, RFC 3339 times). The CLI and the web console use exactly these.

// MARK: Sessions and users

/// `POST /api/v1/login`.
public struct LoginRequest: Sendable, Codable, Hashable {
    public var name: String
    public var password: String
    /// A name for the token made (shown in token lists); default `login`.
    public var tokenName: String?
    /// A browser session: the token goes into an HttpOnly cookie, never into the body, and the
    /// answer is a `SessionCreated` with the CSRF token state-changing requests must carry.
    public var session: Bool?

    public init(name: String, password: String, tokenName: String? = nil, session: Bool? = nil) {
        self.name = name
        self.password = password
        self.tokenName = tokenName
        self.session = session
    }
}

/// A user as the API shows it (never the password hash).
public struct UserInfo: Sendable, Codable, Hashable {
    public var name: String
    public var role: Role
    public var disabled: Bool
    public var created: Date

    public init(name: String, role: Role, disabled: Bool, created: Date) {
        self.name = name
        self.role = role
        self.disabled = disabled
        self.created = created
    }
}

/// `GET /api/v1/me`.
public struct MeResponse: Sendable, Codable, Hashable {
    public var user: UserInfo
    /// The token this request presented.
    public var token: APITokenInfo

    public init(user: UserInfo, token: APITokenInfo) {
        self.user = user
        self.token = token
    }
}

/// `POST /api/v1/users` (admin).
public struct CreateUserRequest: Sendable, Codable, Hashable {
    public var name: String
    public var password: String
    public var role: Role

    public init(name: String, password: String, role: Role) {
        self.name = name
        self.password = password
        self.role = role
    }
}

/// `PATCH /api/v1/users/{name}` (admin; any user may change their own password). Fields left
/// out stay as they are.
public struct UpdateUserRequest: Sendable, Codable, Hashable {
    public var role: Role?
    public var password: String?
    public var disabled: Bool?
    /// Required to change your own password: a stolen session must not become the account.
    public var currentPassword: String?

    public init(role: Role? = nil, password: String? = nil, disabled: Bool? = nil, currentPassword: String? = nil) {
        self.role = role
        self.password = password
        self.disabled = disabled
        self.currentPassword = currentPassword
    }
}

// MARK: Tokens

/// An API token as listed: never the secret.
public struct APITokenInfo: Sendable, Codable, Hashable {
    public var id: Int64
    public var name: String
    public var owner: String
    /// The first characters of the token, to recognise it.
    public var prefix: String
    public var created: Date
    public var lastUsed: Date?
    public var revoked: Date?

    public init(id: Int64, name: String, owner: String, prefix: String, created: Date, lastUsed: Date?, revoked: Date?) {
        self.id = id
        self.name = name
        self.owner = owner
        self.prefix = prefix
        self.created = created
        self.lastUsed = lastUsed
        self.revoked = revoked
    }
}

/// `POST /api/v1/tokens`: a token for the caller.
public struct CreateAPITokenRequest: Sendable, Codable, Hashable {
    public var name: String

    public init(name: String) {
        self.name = name
    }
}

/// A new API token: the secret is shown this once (login answers with it too).
public struct APITokenCreated: Sendable, Codable, Hashable {
    /// Send as `Authorization: Bearer <token>`.
    public var token: String
    public var info: APITokenInfo
    public var user: UserInfo

    public init(token: String, info: APITokenInfo, user: UserInfo) {
        self.token = token
        self.info = info
        self.user = user
    }
}

/// A join token as listed: never the secret.
public struct JoinTokenInfo: Sendable, Codable, Hashable {
    public var id: Int64
    public var name: String
    /// Given to every node that enrolls with it, over the node's own labels (the token's value
    /// wins on a clash: a node cannot claim a label its token set otherwise).
    public var labels: [String: String]
    public var createdBy: String
    public var created: Date
    public var expires: Date?
    public var revoked: Date?
    /// Nodes enrolled with it so far.
    public var uses: Int
    /// Nodes it may enroll; nil: any number until it expires.
    public var maxUses: Int?

    public init(
        id: Int64, name: String, labels: [String: String], createdBy: String, created: Date, expires: Date?, revoked: Date?,
        uses: Int, maxUses: Int? = nil
    ) {
        self.id = id
        self.name = name
        self.labels = labels
        self.createdBy = createdBy
        self.created = created
        self.expires = expires
        self.revoked = revoked
        self.uses = uses
        self.maxUses = maxUses
    }
}

/// `POST /api/v1/join-tokens` (admin).
public struct CreateJoinTokenRequest: Sendable, Codable, Hashable {
    public var name: String
    public var labels: [String: String]?
    /// Seconds from now; absent: a day; 0: never expires.
    public var expiresIn: Int?
    /// Nodes it may enroll; absent: any number until it expires.
    public var maxUses: Int?

    public init(name: String, labels: [String: String]? = nil, expiresIn: Int? = nil, maxUses: Int? = nil) {
        self.name = name
        self.labels = labels
        self.expiresIn = expiresIn
        self.maxUses = maxUses
    }
}

/// A new join token: the secret is shown this once.
public struct JoinTokenCreated: Sendable, Codable, Hashable {
    /// Give to `sluice agent --join-token`.
    public var token: String
    public var info: JoinTokenInfo

    public init(token: String, info: JoinTokenInfo) {
        self.token = token
        self.info = info
    }
}

// MARK: Nodes and rollout

/// Where a node stands with the fleet's current policy revision.
public enum RolloutState: String, Sendable, Codable, Hashable, CaseIterable {
    /// Applied the current revision.
    case applied
    /// Not yet reported the current revision.
    case pending
    /// Reported an error applying the current revision; it enforces its last good policy.
    case failed
    /// Missed its heartbeats (more than the server's stale interval since the last one).
    case stale
    /// Its credential was revoked.
    case revoked
}

/// A node as the API shows it.
public struct NodeInfo: Sendable, Codable, Hashable {
    public var id: String
    public var name: String
    public var labels: [String: String]
    public var kernel: String
    public var agentVersion: String
    public var enrolled: Date
    /// The join token it enrolled with (its name).
    public var joinToken: String?
    public var lastHeartbeat: Date?
    /// No heartbeat for longer than the server's stale interval.
    public var stale: Bool
    public var revoked: Date?
    public var appliedRevision: UInt64?
    /// The fleet's revision now.
    public var currentRevision: UInt64
    public var rollout: RolloutState
    public var applyError: String?
    public var failedRevision: UInt64?
    public var policyGeneration: UInt32
    public var rulesLoaded: Int
    public var decisions: DecisionCounts
    public var eventsLost: EventLosses
    public var eventsBuffered: Int

    public init(
        id: String, name: String, labels: [String: String], kernel: String, agentVersion: String, enrolled: Date,
        joinToken: String?, lastHeartbeat: Date?, stale: Bool, revoked: Date?, appliedRevision: UInt64?, currentRevision: UInt64,
        rollout: RolloutState, applyError: String?, failedRevision: UInt64?, policyGeneration: UInt32, rulesLoaded: Int,
        decisions: DecisionCounts, eventsLost: EventLosses, eventsBuffered: Int
    ) {
        self.id = id
        self.name = name
        self.labels = labels
        self.kernel = kernel
        self.agentVersion = agentVersion
        self.enrolled = enrolled
        self.joinToken = joinToken
        self.lastHeartbeat = lastHeartbeat
        self.stale = stale
        self.revoked = revoked
        self.appliedRevision = appliedRevision
        self.currentRevision = currentRevision
        self.rollout = rollout
        self.applyError = applyError
        self.failedRevision = failedRevision
        self.policyGeneration = policyGeneration
        self.rulesLoaded = rulesLoaded
        self.decisions = decisions
        self.eventsLost = eventsLost
        self.eventsBuffered = eventsBuffered
    }
}

/// `PUT /api/v1/nodes/{id}/labels` (admin): the node's complete label set.
public struct NodeLabelsRequest: Sendable, Codable, Hashable {
    public var labels: [String: String]

    public init(labels: [String: String]) {
        self.labels = labels
    }
}

/// One node's line in `GET /api/v1/rollout`.
public struct NodeRollout: Sendable, Codable, Hashable {
    public var nodeId: String
    public var name: String
    public var state: RolloutState
    public var appliedRevision: UInt64?
    public var error: String?
    public var lastHeartbeat: Date?

    public init(nodeId: String, name: String, state: RolloutState, appliedRevision: UInt64?, error: String?, lastHeartbeat: Date?) {
        self.nodeId = nodeId
        self.name = name
        self.state = state
        self.appliedRevision = appliedRevision
        self.error = error
        self.lastHeartbeat = lastHeartbeat
    }
}

/// `GET /api/v1/rollout`: every node's state for the current revision.
public struct RolloutStatus: Sendable, Codable, Hashable {
    public var revision: UInt64
    /// Nodes by state (every state present, zero included).
    public var counts: [String: Int]
    public var nodes: [NodeRollout]

    public init(revision: UInt64, counts: [String: Int], nodes: [NodeRollout]) {
        self.revision = revision
        self.counts = counts
        self.nodes = nodes
    }
}

// MARK: Policies

/// `POST /api/v1/policies` (operator): push policy documents.
///
/// Every text in `documents` may hold several `---` separated policy documents. They are
/// validated together with the fleet's other current policies; any error rejects the whole push
/// (422, every diagnostic in `APIErrorBody.details`). A policy whose text and node selector are
/// unchanged gets no new version; a push that changes anything bumps the fleet revision once.
public struct PolicyPushRequest: Sendable, Codable, Hashable {
    public var documents: [String]
    /// Names for `documents` in diagnostics (e.g. the file names), same count; default
    /// `document[N]`.
    public var fileNames: [String]?
    public var message: String?
    /// Labels a node must all have to receive the pushed policies. Absent: each policy's own
    /// `metadata.labels["sluice.io/nodes"]` (`key=value,key=value`), or every node. Present (even
    /// empty, meaning every node): used for every policy of the push.
    public var nodeSelector: [String: String]?

    public init(documents: [String], fileNames: [String]? = nil, message: String? = nil, nodeSelector: [String: String]? = nil) {
        self.documents = documents
        self.fileNames = fileNames
        self.message = message
        self.nodeSelector = nodeSelector
    }
}

/// The answer to a push, a rollback or a delete.
public struct PolicyChangeResponse: Sendable, Codable, Hashable {
    /// The fleet revision after the change (unchanged when nothing changed).
    public var revision: UInt64
    /// The versions created.
    public var created: [PolicyVersion]
    /// Names of pushed policies identical to their current version.
    public var unchanged: [String]
    /// Validation warnings (`file:line:col: warning: field: message`).
    public var warnings: [String]

    public init(revision: UInt64, created: [PolicyVersion], unchanged: [String], warnings: [String]) {
        self.revision = revision
        self.created = created
        self.unchanged = unchanged
        self.warnings = warnings
    }
}

/// `POST /api/v1/policies/{name}/rollback` (operator): a new version with an old one's content.
public struct PolicyRollbackRequest: Sendable, Codable, Hashable {
    public var version: Int
    /// Default `rollback to vN`.
    public var message: String?

    public init(version: Int, message: String? = nil) {
        self.version = version
        self.message = message
    }
}

/// `GET /api/v1/policies/{name}/diff?from=A&to=B`.
public struct PolicyDiff: Sendable, Codable, Hashable {
    public var name: String
    public var from: Int
    public var to: Int
    /// Unified diff of the YAML (empty when equal); a selector change shows as a header line.
    public var diff: String

    public init(name: String, from: Int, to: Int, diff: String) {
        self.name = name
        self.from = from
        self.to = to
        self.diff = diff
    }
}

// MARK: Alerts

/// Why an alert was raised.
public enum AlertKind: String, Sendable, Codable, Hashable, CaseIterable {
    /// An event with verdict `alert` (a rule or default with action alert).
    case alertRule = "alert_rule"
    /// A deny decided by a policy with `alertOnDeny: true`.
    case policyDeny = "policy_deny"
    /// An event the agent scored as anomalous.
    case anomaly
}

public enum AlertState: String, Sendable, Codable, Hashable, CaseIterable {
    case open, acknowledged
}

/// An alert: repeats (same node, kind, policy and rule, executable, destination and port within
/// the aggregation window) raise its count instead of new alerts.
public struct AlertInfo: Sendable, Codable, Hashable {
    public var id: Int64
    public var kind: AlertKind
    public var state: AlertState
    public var nodeId: String
    public var node: String
    public var policy: String?
    public var rule: String?
    public var exe: String?
    public var destination: String
    public var port: UInt16
    public var verdict: RuleAction
    public var score: Double?
    public var count: Int
    public var firstSeen: Date
    public var lastSeen: Date
    public var acknowledgedBy: String?
    public var acknowledged: Date?
    /// The first event's JSON line (`DecisionEvent.jsonLine`).
    public var sample: String

    public init(
        id: Int64, kind: AlertKind, state: AlertState, nodeId: String, node: String, policy: String?, rule: String?,
        exe: String?, destination: String, port: UInt16, verdict: RuleAction, score: Double?, count: Int, firstSeen: Date,
        lastSeen: Date, acknowledgedBy: String?, acknowledged: Date?, sample: String
    ) {
        self.id = id
        self.kind = kind
        self.state = state
        self.nodeId = nodeId
        self.node = node
        self.policy = policy
        self.rule = rule
        self.exe = exe
        self.destination = destination
        self.port = port
        self.verdict = verdict
        self.score = score
        self.count = count
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.acknowledgedBy = acknowledgedBy
        self.acknowledged = acknowledged
        self.sample = sample
    }
}

/// `POST /api/v1/alerts/{id}/ack` (operator); the body is optional.
public struct AcknowledgeAlertRequest: Sendable, Codable, Hashable {
    public var note: String?

    public init(note: String? = nil) {
        self.note = note
    }
}

/// The JSON body of a webhook notification (signed: `X-Sluice-Signature: sha256=<hex HMAC-SHA256
/// of the body>`, with `X-Sluice-Timestamp`).
/// The body carries its sending time, so a receiver can refuse replays of old signed bodies.
public struct AlertNotification: Sendable, Codable, Hashable {
    /// `alert.raised`.
    public var type: String
    public var server: String
    public var sent: Date
    public var alert: AlertInfo

    public init(type: String = "alert.raised", server: String, sent: Date, alert: AlertInfo) {
        self.type = type
        self.server = server
        self.sent = sent
        self.alert = alert
    }
}

// MARK: Learned rules

/// A learned rule as a node last reported it, with the operator's decision if any.
public struct LearnedRuleRecord: Sendable, Codable, Hashable {
    public var nodeId: String
    public var node: String
    public var rule: LearnedRule
    /// When the node last reported it.
    public var reported: Date
    /// The latest operator decision, delivered or not.
    public var decision: RuleDecision?
    /// Whether the node acknowledged that decision.
    public var decisionDelivered: Bool

    public init(nodeId: String, node: String, rule: LearnedRule, reported: Date, decision: RuleDecision?, decisionDelivered: Bool) {
        self.nodeId = nodeId
        self.node = node
        self.rule = rule
        self.reported = reported
        self.decision = decision
        self.decisionDelivered = decisionDelivered
    }
}

/// `POST /api/v1/rules/{node_id}/{rule_id}/decision` (operator).
public struct RuleDecisionRequest: Sendable, Codable, Hashable {
    public var decision: RuleDecisionKind
    public var note: String?

    public init(decision: RuleDecisionKind, note: String? = nil) {
        self.decision = decision
        self.note = note
    }
}

// MARK: Audit

/// One change made through the API.
public struct AuditEntry: Sendable, Codable, Hashable {
    public var id: Int64
    public var time: Date
    /// `user:NAME`, `node:ID` or `system`.
    public var actor: String
    /// Dotted verb, e.g. `policy.push`, `user.create`, `node.revoke`, `login.failed`.
    public var action: String
    /// What it was done to, e.g. a policy, user or node name.
    public var target: String
    public var details: [String: String]

    public init(id: Int64, time: Date, actor: String, action: String, target: String, details: [String: String]) {
        self.id = id
        self.time = time
        self.actor = actor
        self.action = action
        self.target = target
        self.details = details
    }
}

/// A page of a list that is read newest first: pass `next_cursor` as `cursor` for the next page;
/// absent when this is the last page. (Events are NDJSON instead; their cursor is the
/// `Sluice-Next-Cursor` response header.)
public struct Page<Item: Sendable & Codable & Hashable>: Sendable, Codable, Hashable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// Names shared by the server and its clients.
public enum AdminAPI {
    /// The response header of `GET /api/v1/events` giving the cursor of the next (older) page.
    public static let nextCursorHeader = "Sluice-Next-Cursor"
    /// Most items one list request returns.
    public static let maximumLimit = 1000
    /// The label a policy may carry in `metadata.labels` to choose its nodes: `key=value,…`.
    public static let nodeSelectorLabel = "sluice.io/nodes"
}
