import SQLKit
import SluiceCore

// PostgreSQL keeps events in a partition per UTC day of `time_us` (`events_20261203` holds that
// day), created ahead by the server, and a DEFAULT partition (`events_default`: the table from
// before partitioning, and any event of a day with no partition of its own). Retention drops
// the days wholly past it and deletes from the rest. SQLite has one table and none of this.
extension Store {
    static let microsPerDay: Int64 = 86_400_000_000
    /// Days after today whose partitions exist ahead of their events.
    static let partitionDaysAhead: Int64 = 3

    /// The partition that holds a day's events.
    static func partitionName(day: Int64) -> String {
        "events_" + RFC3339.format(day * microsPerDay * 1000).prefix(10).filter { $0 != "-" }
    }

    /// Creates the partitions of today and the days ahead that are missing (PostgreSQL); returns
    /// their names. A day whose events already went to the DEFAULT partition keeps them there
    /// (PostgreSQL refuses a partition whose rows sit in the DEFAULT one), as do days never
    /// prepared (a server down over them).
    @discardableResult
    func preparePartitions(nowUs: Int64 = Micros.now()) async throws -> [String] {
        guard kind == .postgres else { return [] }
        let today = nowUs / Self.microsPerDay
        var created: [String] = []
        for day in today...(today + Self.partitionDaysAhead) {
            let name = Self.partitionName(day: day)
            let low = day * Self.microsPerDay
            let high = low + Self.microsPerDay
            let made = try await database.transaction { session -> Bool in
                // Replicas preparing at once: one at a time.
                try await session.sql.raw("SELECT pg_advisory_xact_lock(hashtext('sluice events partitions'))").run()
                let exists = try await session.sql.raw("SELECT to_regclass(\(bind: name)) IS NOT NULL AS present").first()?.bool("present") ?? false
                if exists { return false }
                let taken = try await session.sql.raw(
                    "SELECT 1 AS one FROM events_default WHERE time_us >= \(bind: low) AND time_us < \(bind: high) LIMIT 1"
                ).first()
                if taken != nil { return false }
                try await session.sql.raw(
                    "CREATE TABLE \(ident: name) PARTITION OF events FOR VALUES FROM (\(unsafeRaw: String(low))) TO (\(unsafeRaw: String(high)))"
                ).run()
                return true
            }
            if made { created.append(name) }
        }
        return created
    }

    /// The day partitions (PostgreSQL), oldest first, with the day each holds.
    func eventPartitions() async throws -> [(name: String, day: Int64)] {
        guard kind == .postgres else { return [] }
        let names = try await database.read { sql in
            try await sql.raw(
                """
                SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'events'::regclass
                """
            ).all().map { try $0.string("name") }
        }
        return names.compactMap { name in Self.partitionDay(name).map { (name, $0) } }.sorted { $0.day < $1.day }
    }

    /// The day a partition's name holds, nil for any other table.
    static func partitionDay(_ name: String) -> Int64? {
        guard name.hasPrefix("events_"), name.count == 15 else { return nil }
        let digits = name.dropFirst(7)
        guard digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        let text = "\(digits.prefix(4))-\(digits.dropFirst(4).prefix(2))-\(digits.suffix(2))T00:00:00Z"
        return RFC3339.parse(text).map { $0 / 1000 / microsPerDay }
    }

    /// Drops the day partitions wholly before `beforeUs` (PostgreSQL); returns their names.
    func dropExpiredPartitions(beforeUs: Int64) async throws -> [String] {
        var dropped: [String] = []
        for partition in try await eventPartitions() where (partition.day + 1) * Self.microsPerDay <= beforeUs {
            try await database.transaction { session in
                try await session.sql.raw("DROP TABLE IF EXISTS \(ident: partition.name)").run()
            }
            dropped.append(partition.name)
        }
        return dropped
    }
}
