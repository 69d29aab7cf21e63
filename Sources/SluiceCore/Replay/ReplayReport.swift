/// What a policy change would have done to recorded decisions: `PolicyReplay`'s answer, for
/// people (`text`) and JSON (snake_case through `FleetJSON`, the API's `PolicyTestReport`).
public struct ReplayReport: Sendable, Hashable, Codable {
    /// Decision records replayed.
    public var events = 0
    /// Records not replayed: flow records, open connections ended by a policy change, and
    /// transports the policy language has no rules for.
    public var skipped = 0
    public var unchanged = 0
    /// Replayed under both sets with a different outcome.
    public var changed = 0
    /// Went from passing (allow, alert, a monitored deny) to failing with EPERM.
    public var newlyDenied = 0
    /// Went from failing (denied, or refused by a rate limit) to passing.
    public var newlyAllowed = 0
    /// Went from passing to refused (EAGAIN) by a candidate's rate limit, its bucket run over
    /// the replayed connects in time order.
    public var newlyRateLimited = 0
    /// Connects a rate limit of the candidate would refuse (enforced or monitored).
    public var rateLimited = 0
    /// Connects a rate limit of the candidate decides and would admit.
    public var rateAdmitted = 0
    /// Events whose recorded decision the current policies do not reproduce: the node decided
    /// with something the replay cannot see, so what the candidate does to them is unknown.
    public var unknown = 0
    /// Applications (executable, else command name) with at least one newly denied event.
    public var applicationsNewlyDenied = 0
    public var nodes: [String] = []
    /// The oldest and newest event replayed, RFC 3339.
    public var from: String?
    public var to: String?
    /// Changed and unknown traffic, newly denied first, then by count.
    public var rows: [ReplayRow] = []
    /// Rows left out by the row limit (their events are in the totals).
    public var rowsOmitted = 0
    /// What the replay could not know, one sentence each.
    public var notes: [String] = []
    /// Set when the replay stopped early (time budget, row limit of the read): the totals cover
    /// only what was replayed.
    public var incomplete: String?

    public init() {}

    /// Whether the change fails traffic that passed (denied, or refused by a rate limit): what
    /// gates a CI pipeline.
    public var deniesAllowedTraffic: Bool { newlyDenied > 0 || newlyRateLimited > 0 }
}

/// One application and destination whose decisions change (or cannot be known).
public struct ReplayRow: Sendable, Hashable, Codable {
    /// The executable path, or `[comm]` when the event has none.
    public var application: String
    public var cgroup: String?
    /// The name looked up when the event has one, else the address.
    public var destination: String
    public var port: Int
    public var transport: String
    public var changes: [ReplayChange] = []
    public var unknown = 0
    /// The rules deciding the changed events now (`policy/rule`), a few.
    public var before: [String] = []
    /// The rules deciding them under the candidate, a few.
    public var after: [String] = []
    /// Why events are unknown, a few.
    public var unknownReasons: [String] = []
    public var examples: [ReplayExample] = []

    public init(application: String, cgroup: String?, destination: String, port: Int, transport: String) {
        self.application = application
        self.cgroup = cgroup
        self.destination = destination
        self.port = port
        self.transport = transport
    }

    /// Events of this row that would newly fail.
    public var newlyDenied: Int { changes.filter(\.newlyDenied).reduce(0) { $0 + $1.count } }
    public var total: Int { changes.reduce(unknown) { $0 + $1.count } }
}

/// How many events went from one outcome to another (`allow`, `alert`, `deny`, `deny (monitor)`, …).
public struct ReplayChange: Sendable, Hashable, Codable {
    public var from: String
    public var to: String
    public var count: Int
    /// From passing to failing with EPERM.
    public var newlyDenied: Bool

    public init(from: String, to: String, count: Int, newlyDenied: Bool) {
        self.from = from
        self.to = to
        self.count = count
        self.newlyDenied = newlyDenied
    }
}

/// One recorded event of a row, to recognise the traffic.
public struct ReplayExample: Sendable, Hashable, Codable {
    /// RFC 3339.
    public var time: String
    public var node: String
    public var pid: Int
    public var comm: String
    public var address: String
    /// Outcome and rule now, e.g. `allow by web/egress[0]`; for an unknown event, as recorded.
    public var before: String
    /// Outcome and rule under the candidate.
    public var after: String

    public init(time: String, node: String, pid: Int, comm: String, address: String, before: String, after: String) {
        self.time = time
        self.node = node
        self.pid = pid
        self.comm = comm
        self.address = address
        self.before = before
        self.after = after
    }
}
