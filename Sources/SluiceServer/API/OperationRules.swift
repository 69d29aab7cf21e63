import SluiceAPI
import SluiceCore

/// What an operation of the OpenAPI document demands of its request before the handler runs:
/// who may call it and how large a body it reads.
struct OperationRule: Sendable, Hashable {
    /// How an operation reads its body.
    enum Body: Sendable, Hashable {
        /// A JSON document of at most `limit` bytes; `required` says an empty body is an error.
        case json(limit: Int, required: Bool = true)
        /// Bytes the handler reads itself (NDJSON), at most `limit`.
        case raw(limit: Int)

        var limit: Int {
            switch self {
            case .json(let limit, _), .raw(let limit): limit
            }
        }
    }

    var access: Access
    var body: Body?

    init(_ access: Access, body: Body? = nil) {
        self.access = access
        self.body = body
    }
}

extension OperationRule {
    /// The one table of access rules and body limits, keyed by operationId: the access tests check
    /// that it names every operation of the document and no other.
    static func table(limits: ServerConfiguration.RequestLimits, publicMetrics: Bool) -> [String: OperationRule] {
        let small = Body.json(limit: 16 << 10)
        let medium = Body.json(limit: 64 << 10)
        let policies = Body.json(limit: limits.maximumPolicyBytes)
        return [
            // The agent protocol.
            "enroll": .init(.joinToken, body: medium),
            "heartbeat": .init(.node, body: medium),
            "pollPolicy": .init(.node),
            "watchPolicy": .init(.node),
            "pollIntel": .init(.node),
            "uploadEvents": .init(.node, body: .raw(limit: EventUpload.maximumBytes)),
            "uploadLearnedRules": .init(.node, body: .json(limit: 8 << 20)),
            // Sessions and API tokens.
            "login": .init(.anyone, body: small),
            "logout": .init(.user(.viewer)),
            "session": .init(.user(.viewer)),
            "me": .init(.user(.viewer)),
            "listTokens": .init(.user(.viewer)),
            "createToken": .init(.user(.viewer), body: small),
            "revokeToken": .init(.user(.viewer)),
            // Users, join tokens, audit.
            "listUsers": .init(.user(.admin)),
            "createUser": .init(.user(.admin), body: small),
            // Anyone may change their own password; the handler checks the rest.
            "updateUser": .init(.user(.viewer), body: small),
            "listJoinTokens": .init(.user(.admin)),
            "createJoinToken": .init(.user(.admin), body: medium),
            "revokeJoinToken": .init(.user(.admin)),
            "audit": .init(.user(.admin)),
            // Nodes and rollout.
            "listNodes": .init(.user(.viewer)),
            "showNode": .init(.user(.viewer)),
            "revokeNode": .init(.user(.admin)),
            "setNodeLabels": .init(.user(.admin), body: medium),
            "rollout": .init(.user(.viewer)),
            // Policies.
            "listPolicies": .init(.user(.viewer)),
            "pushPolicies": .init(.user(.operator), body: policies),
            "showPolicy": .init(.user(.viewer)),
            "deletePolicy": .init(.user(.operator)),
            "policyHistory": .init(.user(.viewer)),
            "policyVersion": .init(.user(.viewer)),
            "policyDiff": .init(.user(.viewer)),
            "rollbackPolicy": .init(.user(.operator), body: small),
            "validatePolicies": .init(.user(.viewer), body: policies),
            "explainConnection": .init(.user(.viewer), body: medium),
            // A replay reads up to a million stored decisions: an operator's deploy step.
            "testPolicies": .init(.user(.operator), body: policies),
            // Events, alerts, learned rules, stats.
            "queryEvents": .init(.user(.viewer)),
            "streamEvents": .init(.user(.viewer)),
            "listAlerts": .init(.user(.viewer)),
            "showAlert": .init(.user(.viewer)),
            "alertEvents": .init(.user(.viewer)),
            "acknowledgeAlert": .init(.user(.operator), body: .json(limit: 16 << 10, required: false)),
            "acknowledgeAlerts": .init(.user(.operator), body: medium),
            "listSilences": .init(.user(.viewer)),
            "createSilence": .init(.user(.operator), body: medium),
            "endSilence": .init(.user(.operator)),
            "listLearnedRules": .init(.user(.viewer)),
            "decideLearnedRule": .init(.user(.operator), body: small),
            "previewLearnedRule": .init(.user(.operator)),
            "statsTimeline": .init(.user(.viewer)),
            "statsTop": .init(.user(.viewer)),
            "statsNewDestinations": .init(.user(.viewer)),
            // Threat-intelligence feeds: their secrets and what every node denies are the admin's.
            "listFeeds": .init(.user(.viewer)),
            "feedLayers": .init(.user(.viewer)),
            "addFeed": .init(.user(.admin), body: small),
            // Fetches what an add would (a URL or a file on the server): who may add may preview.
            "previewFeed": .init(.user(.admin), body: small),
            "showFeed": .init(.user(.viewer)),
            // A replay like a policy test's: who may test policies may ask.
            "feedImpact": .init(.user(.operator)),
            "removeFeed": .init(.user(.admin)),
            "syncFeed": .init(.user(.admin)),
            // Operations.
            "openapi": .init(.anyone),
            "healthz": .init(.anyone),
            "readyz": .init(.anyone),
            // Counts of nodes, logins and load tell an attacker much: not for anyone unless asked.
            "metrics": .init(publicMetrics ? .anyone : .viewerOrLoopback),
        ]
    }
}
