/// The report as events are replayed: totals, one row per application and destination that
/// changes, and what could not be known.
struct ReplayTally {
    /// What a row groups by, in the event's own values (text is made once per row).
    private struct RowKey: Hashable {
        var exe: String?
        /// Only when there is no executable path.
        var comm: String?
        var cgroup: String?
        /// Only when no name was recorded: a name's addresses share its row.
        var address: IPAddress?
        var domain: String?
        var port: UInt16
        var transport: String
    }

    /// A row as it is counted: its examples are written out only if it makes the report.
    private struct RowState {
        var row: ReplayRow
        /// Examples by their event's index: a copy of each event would hold its strings.
        var examples: [(event: Int, before: ReplayOutcome, after: ReplayOutcome)] = []
    }

    /// How many rule names and reasons a row keeps.
    private static let namesPerRow = 3

    let limits: PolicyReplay.Limits
    var report = ReplayReport()
    var eventsWithoutName = 0
    private var rows: [RowKey: RowState] = [:]
    private var notes: [String] = []
    private var noted = Set<String>()
    private var deniedApplications = Set<String>()
    private var oldest = Int64.max
    private var newest = Int64.min

    init(limits: PolicyReplay.Limits) {
        self.limits = limits
    }

    mutating func note(_ messages: [String]) {
        for message in messages where noted.insert(message).inserted { notes.append(message) }
    }

    /// Counts `event`, the one at `index` of the events `finish` is given.
    mutating func add(_ event: DecisionEvent, at index: Int, before: ReplayOutcome, after: ReplayOutcome) {
        report.events += 1
        oldest = min(oldest, event.timeNanoseconds)
        newest = max(newest, event.timeNanoseconds)
        if !before.reproduces(event) {
            let recorded = ReplayOutcome(recorded: event)
            report.unknown += 1
            update(event) { state, limits in
                state.row.unknown += 1
                Self.keep("recorded \(recorded.description); the current policies give \(before.description)", in: &state.row.unknownReasons)
                if state.examples.count < limits.examplesPerRow { state.examples.append((index, recorded, after)) }
            }
            return
        }
        if after.rate != nil {
            if after.action == .rateLimit { report.rateLimited += 1 } else { report.rateAdmitted += 1 }
        }
        guard before.action != after.action || before.label != after.label else {
            report.unchanged += 1
            return
        }
        report.changed += 1
        let passed = !before.blocks && !before.rateLimits
        let newlyDenied = passed && after.blocks
        if newlyDenied {
            report.newlyDenied += 1
            deniedApplications.insert(Self.application(event))
        } else if passed && after.rateLimits {
            report.newlyRateLimited += 1
        } else if !passed && !after.blocks && !after.rateLimits {
            report.newlyAllowed += 1
        }
        update(event) { state, limits in
            if let index = state.row.changes.firstIndex(where: { $0.from == before.label && $0.to == after.label }) {
                state.row.changes[index].count += 1
            } else {
                state.row.changes.append(ReplayChange(from: before.label, to: after.label, count: 1, newlyDenied: newlyDenied))
            }
            Self.keep(before.ruleName, in: &state.row.before)
            Self.keep(after.ruleName, in: &state.row.after)
            if state.examples.count < limits.examplesPerRow { state.examples.append((index, before, after)) }
        }
    }

    /// - Parameter events: the events `add` counted, by index.
    mutating func finish(_ events: [DecisionEvent]) {
        if eventsWithoutName > 0 {
            note([
                "\(eventsWithoutName) replayed decisions recorded no name while rules by name apply: they were decided by address only (a node attributes names from the DNS answers it reads)"
            ])
        }
        // The counts are summed once per row, not once per comparison.
        let counted = rows.values.lazy.map { (newlyDenied: $0.row.newlyDenied, total: $0.row.total, state: $0) }
        report.rowsOmitted = max(0, rows.count - limits.rows)
        report.rows = counted.best(limits.rows) {
            ($0.newlyDenied, $0.total, $1.state.row.application, $1.state.row.destination)
                > ($1.newlyDenied, $1.total, $0.state.row.application, $0.state.row.destination)
        }.map { counted in
            var row = counted.state.row
            row.examples = counted.state.examples.map { Self.example(events[$0.event], before: $0.before, after: $0.after) }
            return row
        }
        report.applicationsNewlyDenied = deniedApplications.count
        report.notes = notes
        if oldest <= newest {
            report.from = RFC3339.format(oldest)
            report.to = RFC3339.format(newest)
        }
    }

    private mutating func update(_ event: DecisionEvent, _ body: (inout RowState, PolicyReplay.Limits) -> Void) {
        let key = RowKey(
            exe: event.exe, comm: event.exe == nil ? event.comm : nil, cgroup: event.cgroup, address: event.dstDomain == nil ? event.destination : nil,
            domain: event.dstDomain, port: event.port, transport: event.transport)
        body(
            &rows[
                key,
                default: RowState(
                    row: ReplayRow(
                        application: Self.application(event), cgroup: event.cgroup, destination: event.dstDomain ?? event.destination.description,
                        port: Int(event.port), transport: event.transport))
            ], limits)
    }

    private static func application(_ event: DecisionEvent) -> String {
        event.exe ?? "[\(event.comm)]"
    }

    private static func keep(_ text: String, in list: inout [String]) {
        if list.count < namesPerRow && !list.contains(text) { list.append(text) }
    }

    private static func example(_ event: DecisionEvent, before: ReplayOutcome, after: ReplayOutcome) -> ReplayExample {
        ReplayExample(
            time: RFC3339.format(event.timeNanoseconds), node: event.node, pid: Int(event.pid), comm: event.comm,
            address: event.destination.description, before: before.description, after: after.description)
    }
}
