import SluiceCore

/// What some events add to the rollups, summed per row key: a batch's, or every batch's since the
/// last flush. Only the finest tier (per minute, with the destination) and the first contacts are
/// kept; the coarser tiers are sums of its rows (`tiers`), made once per flush. Summed first per
/// minute, traffic that repeats costs one hash per event rather than one per event and tier.
struct RollupDelta: Sendable {
    var minutes: [RollupKey: RollupCounts] = [:]
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

    /// The keys held: what the delta's memory grows with (a few hundred bytes each, and up to four
    /// more rows a minute's row adds when the coarser tiers are made).
    var keys: Int { minutes.count + firstSeen.count }

    /// Counts one event (its stored columns: ingest and recovery from the events give the same rows).
    mutating func add(
        node: String, timeUs: Int64, kind: String, exe: String?, destinationKey: String, port: Int64, domain: String?, verdict: String,
        bytesSent: Int64, bytesReceived: Int64
    ) {
        let key = RollupKey(
            minute: timeUs / Store.microsPerMinute, node: node, kind: kind, exe: exe ?? "", destinationKey: destinationKey, port: port,
            domain: domain ?? "", verdict: verdict)
        minutes[key, default: RollupCounts()].add(verdict: verdict, bytesSent: bytesSent, bytesReceived: bytesReceived, timeUs: timeUs)
        if kind == EventKind.decision.rawValue {
            // In place: one hash of the key, not a read and a write.
            Self.lower(&firstSeen[AddressPort(node: node, key: destinationKey, port: port), default: .max], to: timeUs)
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
        for (key, counts) in other.minutes { minutes[key, default: RollupCounts()].add(counts) }
        for (key, first) in other.firstSeen { Self.lower(&firstSeen[key, default: .max], to: first) }
        events += other.events
    }

    private static func lower(_ first: inout Int64, to time: Int64) {
        if time < first { first = time }
    }

    /// Every tier's rows, summed from the minutes'.
    struct Tiers {
        var minutes: [RollupKey: RollupCounts]
        var minuteApplications: [RollupKey: RollupCounts] = [:]
        var hours: [RollupKey: RollupCounts] = [:]
        var hourApplications: [RollupKey: RollupCounts] = [:]
        var days: [DestinationDayKey: RollupCounts] = [:]
    }

    /// The coarser tiers made from the minutes: each row's counts added to the row of its hour,
    /// of its application (minute and hour), and of its destination's day.
    var tiers: Tiers {
        var tiers = Tiers(minutes: minutes)
        for (key, counts) in minutes {
            let hour = key.hour
            tiers.minuteApplications[key.application, default: RollupCounts()].add(counts)
            tiers.hours[hour, default: RollupCounts()].add(counts)
            tiers.hourApplications[hour.application, default: RollupCounts()].add(counts)
            tiers.days[key.day, default: RollupCounts()].add(counts)
        }
        return tiers
    }
}
