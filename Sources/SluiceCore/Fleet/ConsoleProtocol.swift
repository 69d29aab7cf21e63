import SluiceCore
import Foundation

// The bodies of the routes the web console needs beyond the admin API: browser sessions, policy
// checks before a push, and aggregates for charts. FleetJSON like the rest.

// MARK: Browser sessions

/// `POST /api/v1/login` with `session: true`, and `GET /api/v1/session`.
public struct SessionCreated: Sendable, Codable, Hashable {
    public var user: UserInfo
    /// Send as `X-CSRF-Token` with every POST, PUT, PATCH and DELETE made with the cookie.
    public var csrfToken: String
    /// When the session ends whatever happens.
    public var expires: Date

    public init(user: UserInfo, csrfToken: String, expires: Date) {
        self.user = user
        self.csrfToken = csrfToken
        self.expires = expires
    }
}

// MARK: Policy checks

/// `POST /api/v1/policies/validate`: texts checked as a push would check them, nothing stored.
public struct PolicyValidateRequest: Sendable, Codable, Hashable {
    public var documents: [String]
    /// The names diagnostics use, one per document; default `document[i]`.
    public var fileNames: [String]?

    public init(documents: [String], fileNames: [String]? = nil) {
        self.documents = documents
        self.fileNames = fileNames
    }
}

/// One finding of a check, placed at its line.
public struct PolicyCheckDiagnostic: Sendable, Codable, Hashable {
    public var severity: String
    public var file: String
    public var line: Int
    public var column: Int
    /// The dotted field path (`spec.egress[0].ports[1]`); empty for the whole document.
    public var field: String
    public var message: String

    public init(severity: String, file: String, line: Int, column: Int, field: String, message: String) {
        self.severity = severity
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }
}

/// The answer of `POST /api/v1/policies/validate`.
public struct PolicyValidateResponse: Sendable, Codable, Hashable {
    /// True when a push of these texts would be accepted.
    public var valid: Bool
    /// The policy names the texts define.
    public var policies: [String]
    public var diagnostics: [PolicyCheckDiagnostic]
    /// Against the latest stored version of each policy: a unified diff per policy, empty when new
    /// text equals the stored one.
    public var diffs: [PolicyDiff]

    public init(valid: Bool, policies: [String], diagnostics: [PolicyCheckDiagnostic], diffs: [PolicyDiff]) {
        self.valid = valid
        self.policies = policies
        self.diagnostics = diagnostics
        self.diffs = diffs
    }
}

/// `POST /api/v1/policies/explain`: would this executable reach this destination under the
/// stored policies? Executables and cgroups are matched by path: the server cannot see a node's
/// files, so a renamed or hard-linked binary is not recognised the way the kernel would.
public struct PolicyExplainRequest: Sendable, Codable, Hashable {
    public var executable: String?
    public var cgroup: String?
    public var destination: String
    public var port: UInt16
    /// `tcp` (default) or `udp`.
    public var transport: String?
    /// Only the policies whose node selector matches this node's labels (id or name).
    public var node: String?

    public init(executable: String?, cgroup: String? = nil, destination: String, port: UInt16, transport: String? = nil, node: String? = nil) {
        self.executable = executable
        self.cgroup = cgroup
        self.destination = destination
        self.port = port
        self.transport = transport
        self.node = node
    }
}

/// The answer of `POST /api/v1/policies/explain`.
public struct PolicyExplainResponse: Sendable, Codable, Hashable {
    public var explanation: Explanation
    /// The policies (name@version) the answer was computed with.
    public var policies: [String]

    public init(explanation: Explanation, policies: [String]) {
        self.explanation = explanation
        self.policies = policies
    }
}

// MARK: Aggregates

/// Decisions counted by verdict in one time bucket.
public struct VerdictCounts: Sendable, Codable, Hashable {
    /// The bucket's start.
    public var time: Date
    public var allow: Int
    public var alert: Int
    public var deny: Int

    public init(time: Date, allow: Int = 0, alert: Int = 0, deny: Int = 0) {
        self.time = time
        self.allow = allow
        self.alert = alert
        self.deny = deny
    }
}

/// `GET /api/v1/stats/timeline`.
public struct StatsTimeline: Sendable, Codable, Hashable {
    public var from: Date
    public var to: Date
    public var bucketSeconds: Int
    /// Only buckets that hold events, oldest first.
    public var buckets: [VerdictCounts]

    public init(from: Date, to: Date, bucketSeconds: Int, buckets: [VerdictCounts]) {
        self.from = from
        self.to = to
        self.bucketSeconds = bucketSeconds
        self.buckets = buckets
    }
}

/// One row of `GET /api/v1/stats/top`: an executable, or a destination `ip:port`.
public struct StatsTopEntry: Sendable, Codable, Hashable {
    public var key: String
    public var total: Int
    public var denies: Int
    public var alerts: Int
    public var lastSeen: Date

    public init(key: String, total: Int, denies: Int, alerts: Int, lastSeen: Date) {
        self.key = key
        self.total = total
        self.denies = denies
        self.alerts = alerts
        self.lastSeen = lastSeen
    }
}

/// One day of `GET /api/v1/stats/new-destinations`: destinations (address and port) whose first
/// stored event falls on that day (UTC).
public struct NewDestinationsDay: Sendable, Codable, Hashable {
    public var day: Date
    public var count: Int

    public init(day: Date, count: Int) {
        self.day = day
        self.count = count
    }
}
