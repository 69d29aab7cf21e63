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
    /// Replayed events a byte quota of the candidate decides that the policies in force do not
    /// decide with the same quota.
    var eventsUnderNewQuota = 0
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

    /// Counts the event at `index` of `events` (those `finish` is given), its fields read in
    /// place.
    mutating func add(_ events: RecordedEvents, at index: Int, before: ReplayOutcome, after: ReplayOutcome) {
        report.events += 1
        oldest = min(oldest, events[index].timeNanoseconds)
        newest = max(newest, events[index].timeNanoseconds)
        if !before.reproduces(verdict: events[index].verdict, enforced: events[index].enforced, policy: events[index].policy, rule: events[index].rule) {
            report.unknown += 1
            update(events, index) { state, limits in
                let recorded = ReplayOutcome(recorded: events[index])
                state.row.unknown += 1
                Self.keep("recorded \(recorded.description); the current policies give \(before.description)", in: &state.row.unknownReasons)
                if state.examples.count < limits.examplesPerRow { state.examples.append((index, recorded, after)) }
            }
            return
        }
        if let quota = after.quota, quota != before.quota || after.ruleName != before.ruleName { eventsUnderNewQuota += 1 }
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
            deniedApplications.insert(events[index].exe ?? "[\(events[index].comm)]")
        } else if passed && after.rateLimits {
            report.newlyRateLimited += 1
        } else if !passed && !after.blocks && !after.rateLimits {
            report.newlyAllowed += 1
        }
        update(events, index) { state, limits in
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

    /// Rows counted so far.
    var rowCount: Int { rows.count }

    /// Makes room for `count` rows at once, rather than growing (and rehashing) as they come.
    mutating func reserveRows(_ count: Int) {
        rows.reserveCapacity(count)
    }

    /// Adds what `other` counted after what this tally counted, as if its events had been added
    /// here in the same order: a row's first rules, reasons and examples stay the first.
    mutating func merge(_ other: ReplayTally) {
        report.events += other.report.events
        report.skipped += other.report.skipped
        report.unknown += other.report.unknown
        report.unchanged += other.report.unchanged
        report.changed += other.report.changed
        report.newlyDenied += other.report.newlyDenied
        report.newlyAllowed += other.report.newlyAllowed
        report.newlyRateLimited += other.report.newlyRateLimited
        report.rateLimited += other.report.rateLimited
        report.rateAdmitted += other.report.rateAdmitted
        eventsWithoutName += other.eventsWithoutName
        eventsUnderNewQuota += other.eventsUnderNewQuota
        oldest = min(oldest, other.oldest)
        newest = max(newest, other.newest)
        deniedApplications.formUnion(other.deniedApplications)
        note(other.notes)
        for (key, theirs) in other.rows {
            if rows[key] == nil {
                rows[key] = theirs
            } else {
                Self.combine(&rows[key]!, with: theirs, limits: limits)
            }
        }
    }

    /// `theirs` counted after `ours`.
    private static func combine(_ ours: inout RowState, with theirs: RowState, limits: PolicyReplay.Limits) {
        ours.row.unknown += theirs.row.unknown
        for change in theirs.row.changes {
            if let index = ours.row.changes.firstIndex(where: { $0.from == change.from && $0.to == change.to }) {
                ours.row.changes[index].count += change.count
            } else {
                ours.row.changes.append(change)
            }
        }
        // Each side kept its first few distinct names, which hold the first few the two
        // sequences give together.
        for name in theirs.row.before { keep(name, in: &ours.row.before) }
        for name in theirs.row.after { keep(name, in: &ours.row.after) }
        for reason in theirs.row.unknownReasons { keep(reason, in: &ours.row.unknownReasons) }
        ours.examples.append(contentsOf: theirs.examples.prefix(max(0, limits.examplesPerRow - ours.examples.count)))
    }

    /// - Parameter events: the events `add` counted, by index.
    mutating func finish(_ events: RecordedEvents) {
        if eventsWithoutName > 0 {
            note([
                "\(eventsWithoutName) replayed decisions recorded no name while rules by name apply: they were decided by address only (a node attributes names from the DNS answers it reads)"
            ])
        }
        if eventsUnderNewQuota > 0 {
            note([
                "\(eventsUnderNewQuota) replayed connections would be under a byte quota the change adds or alters: the replay decides connects, not bytes, so which of them the quota would cut (past its limit) or refuse (a spent window) is not counted; after the change the node records them as quota events"
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

    private mutating func update(_ events: RecordedEvents, _ index: Int, _ body: (inout RowState, PolicyReplay.Limits) -> Void) {
        let exe = events[index].exe
        let key = RowKey(
            exe: exe, comm: exe == nil ? events[index].comm : nil, cgroup: events[index].cgroup,
            address: events[index].dstDomain == nil ? events[index].destination : nil, domain: events[index].dstDomain, port: events[index].port,
            transport: events[index].transport)
        body(&rows[key, default: Self.row(events[index])], limits)
    }

    private static func row(_ event: DecisionEvent) -> RowState {
        RowState(
            row: ReplayRow(
                application: event.exe ?? "[\(event.comm)]", cgroup: event.cgroup, destination: event.dstDomain ?? event.destination.description,
                port: Int(event.port), transport: event.transport))
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
