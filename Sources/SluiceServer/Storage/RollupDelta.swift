import SluiceCore

/// What some events add to every rollup tier, summed per row key: a batch's, or every batch's
/// since the last flush.
struct RollupDelta: Sendable {
    var minutes: [RollupKey: RollupCounts] = [:]
    var minuteApplications: [RollupKey: RollupCounts] = [:]
    var hours: [RollupKey: RollupCounts] = [:]
    var hourApplications: [RollupKey: RollupCounts] = [:]
    var days: [DestinationDayKey: RollupCounts] = [:]
    var firstSeen: [AddressPort: Int64] = [:]
    /// The events counted.
    var events = 0

    init() {}

    /// A batch's rows of `node`.
    init(node: String, rows: [EventRow]) {
        for row in rows {
            add(
                node: node, timeUs: row.timeUs, kind: row.kind, exe: row.exe, destinationKey: row.destinationKey, port: row.port,
                domain: row.domain, verdict: row.verdict, bytesSent: row.bytesSent, bytesReceived: row.bytesReceived)
        }
    }

    var isEmpty: Bool { events == 0 }

    /// Counts one event (its stored columns: ingest and recovery from the events give the same rows).
    mutating func add(
        node: String, timeUs: Int64, kind: String, exe: String?, destinationKey: String, port: Int64, domain: String?, verdict: String,
        bytesSent: Int64, bytesReceived: Int64
    ) {
        let key = RollupKey(
            minute: timeUs / Store.microsPerMinute, node: node, kind: kind, exe: exe ?? "", destinationKey: destinationKey, port: port,
            domain: domain ?? "", verdict: verdict)
        func count(_ counts: inout RollupCounts) {
            counts.add(verdict: verdict, bytesSent: bytesSent, bytesReceived: bytesReceived, timeUs: timeUs)
        }
        count(&minutes[key, default: RollupCounts()])
        count(&minuteApplications[key.application, default: RollupCounts()])
        count(&hours[key.hour, default: RollupCounts()])
        count(&hourApplications[key.hour.application, default: RollupCounts()])
        count(&days[key.day, default: RollupCounts()])
        if kind == EventKind.decision.rawValue {
            let destination = AddressPort(node: node, key: destinationKey, port: port)
            firstSeen[destination] = min(firstSeen[destination] ?? .max, timeUs)
        }
        events += 1
    }

    /// Adds another delta's counts to these.
    mutating func merge(_ other: RollupDelta) {
        guard !other.isEmpty else { return }
        guard !isEmpty else {
            self = other
            return
        }
        func sum<Key>(_ into: inout [Key: RollupCounts], _ from: [Key: RollupCounts]) {
            for (key, counts) in from { into[key, default: RollupCounts()].add(counts) }
        }
        sum(&minutes, other.minutes)
        sum(&minuteApplications, other.minuteApplications)
        sum(&hours, other.hours)
        sum(&hourApplications, other.hourApplications)
        sum(&days, other.days)
        for (key, first) in other.firstSeen { firstSeen[key] = min(firstSeen[key] ?? .max, first) }
        events += other.events
    }
}
