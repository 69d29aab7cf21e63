import SluiceCore

/// How much recorded traffic a replay (policy test, learned-rule and feed previews) reads and
/// how long it may take, checked: each problem is a 400 naming the field.
struct ReplayWindow: Sendable {
    /// Microseconds since the epoch; nil: all that is kept.
    var sinceUs: Int64?
    /// At most this many of the newest decisions are read.
    var limit: Int
    var budget: Duration
    var rows: Int

    init(since: String?, limit: Int?, budgetSeconds: Int?, rows: Int?) throws {
        sinceUs = try QueryCheck.time(since ?? "7d", "since")
        self.limit = try QueryCheck.int(limit, "limit", range: 1...1_000_000) ?? 200_000
        budget = .seconds(try QueryCheck.int(budgetSeconds, "budget_seconds", range: 1...300) ?? 30)
        self.rows = try QueryCheck.int(rows, "rows", range: 1...5000) ?? 500
    }
}
