import Foundation
import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

/// Charts and reports read the rollups that ingest keeps, each part of a range from the coarsest
/// tier that answers it (minute, hour, the fleet's days): their answers must be the ones the events
/// themselves give, computed here from the events the test uploaded.
@Suite struct RollupTests {
    struct Sent {
        var node: String
        var time: Int64
        var exe: String
        var destination: String
        var port: UInt16
        var verdict: RuleAction
        var domain: String?
    }

    @Test(arguments: Backend.enabled)
    func reportsFromRollupsMatchTheEvents(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let nodes = [try await api.enroll("web-1"), try await api.enroll("db-1")]
            let names = ["web-1", "db-1"]
            let day: Int64 = 86_400_000_000_000
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            let base = (now / day - 3) * day
            var random = SplitMix64(seed: 7)
            var sent: [Sent] = []
            for (index, node) in nodes.enumerated() {
                for batch in 0..<3 {
                    var lines: [String] = []
                    for _ in 0..<200 {
                        let item = Sent(
                            node: names[index], time: base + Int64(random.next() % UInt64(3 * day)),
                            exe: ["/usr/bin/curl", "/usr/bin/git", "/usr/sbin/sshd"][Int(random.next() % 3)],
                            destination: "192.0.2.\(random.next() % 6)", port: [443, 22][Int(random.next() % 2)],
                            verdict: [.allow, .allow, .deny, .alert][Int(random.next() % 4)], domain: [nil, "a.example", "b.example"][Int(random.next() % 3)])
                        sent.append(item)
                        lines.append(
                            Fixtures.event(
                                node: item.node, exe: item.exe, destination: item.destination, port: item.port, verdict: item.verdict, time: item.time,
                                domain: item.domain
                            ).jsonLine)
                    }
                    _ = try await api.uploaded(lines, sequence: batch, credential: node.credential)
                }
            }
            // A destination seen only in the first minutes of the first day: before every ragged
            // range's start, which reads that day whole less its hours before the range.
            let firstMinutes = (0..<3).map { Sent(node: "web-1", time: base + Int64($0 + 1) * 120_000_000_000, exe: "/usr/bin/curl", destination: "198.51.100.7", port: 443, verdict: .deny) }
            sent += firstMinutes
            _ = try await api.uploaded(
                firstMinutes.map { Fixtures.event(node: $0.node, exe: $0.exe, destination: $0.destination, port: $0.port, verdict: $0.verdict, time: $0.time).jsonLine },
                sequence: 3, credential: nodes[0].credential)
            let admin = api.client()
            let from = RFC3339.format(base)
            let to = RFC3339.format(base + 3 * day)

            // Per hour and verdict.
            let timeline = try await admin.statsTimeline(query: .init(from: from, to: to, bucket: 3600)).ok.body.json
            var hours: [Int64: [RuleAction: Int]] = [:]
            for item in sent { hours[item.time / 3_600_000_000_000, default: [:]][item.verdict, default: 0] += 1 }
            #expect(timeline.buckets.count == hours.count)
            for bucket in timeline.buckets {
                let hour = Int64(bucket.time.timeIntervalSince1970) / 3600
                let expected = hours[hour] ?? [:]
                #expect(bucket.allow == expected[.allow] ?? 0 && bucket.deny == expected[.deny] ?? 0 && bucket.alert == expected[.alert] ?? 0, "\(bucket)")
            }

            // Busiest executables, with denies and alerts; and one node's only.
            for node in [nil, "db-1"] {
                let selected = sent.filter { node == nil || $0.node == node }
                let top = try await admin.statsTop(query: .init(by: .exe, from: from, to: to, limit: 10, node: node)).ok.body.json
                let expected = Dictionary(grouping: selected, by: \.exe)
                #expect(Set(top.map(\.key)) == Set(expected.keys))
                for row in top {
                    let items = expected[row.key] ?? []
                    #expect(row.total == items.count && row.denies == items.filter { $0.verdict == .deny }.count)
                    #expect(row.alerts == items.filter { $0.verdict == .alert }.count)
                    #expect(abs(Int64((row.lastSeen.timeIntervalSince1970 * 1e6).rounded()) - (items.map { $0.time / 1000 }.max() ?? 0)) <= 1)
                }
            }
            // A range that starts and ends inside minutes: whole hours from the hourly rollups, the
            // ragged ends from the per-minute ones, the ends widened to whole minutes.
            let start = base + 90 * 60_000_000_000 + 30_000_000_000
            let stop = base + 3 * day - 30 * 60_000_000_000 - 30_000_000_000
            let ragged = try await admin.statsTop(query: .init(by: .exe, from: RFC3339.format(start), to: RFC3339.format(stop), limit: 10)).ok.body.json
            let minute: Int64 = 60_000_000_000
            let inside = sent.filter { $0.time >= start / minute * minute && $0.time < (stop + minute - 1) / minute * minute }
            #expect(Dictionary(uniqueKeysWithValues: ragged.map { ($0.key, $0.total) }) == Dictionary(grouping: inside, by: \.exe).mapValues(\.count))

            // By destination and by name: whole days from the fleet's daily tier, the rest per hour
            // and minute; with a node or verdict filter (which the daily tier does not keep), per
            // hour and minute only. Every figure as the events give it.
            // Also: a start late enough in its day to be read per hour, and an end past the last
            // event (the day it falls in is read whole, its hours after the end being empty).
            let hour: Int64 = 3_600_000_000_000
            for (first, end) in [(base, base + 3 * day), (start, stop), (base + 14 * hour + 7 * 60_000_000_000, base + 3 * day + 6 * hour)] {
                let inRange = sent.filter { $0.time >= first / minute * minute && $0.time < (end + minute - 1) / minute * minute }
                for (node, verdict) in [(nil, nil), ("web-1", nil), (nil, "deny")] as [(String?, String?)] {
                    let selected = inRange.filter { (node == nil || $0.node == node) && (verdict == nil || $0.verdict.rawValue == verdict) }
                    for dimension in [Operations.StatsTop.Input.Query.ByPayload.dst, .domain] {
                        let top = try await admin.statsTop(
                            query: .init(by: dimension, from: RFC3339.format(first), to: RFC3339.format(end), limit: 100, node: node, verdict: verdict)
                        ).ok.body.json
                        let expected = Dictionary(grouping: selected) { dimension == .dst ? "\($0.destination):\($0.port)" : $0.domain ?? "(no name)" }
                        #expect(Set(top.map(\.key)) == Set(expected.keys), "\(dimension) \(String(describing: node)) \(String(describing: verdict))")
                        for row in top {
                            let items = expected[row.key] ?? []
                            #expect(row.total == items.count && row.denies == items.filter { $0.verdict == .deny }.count, "\(row)")
                            #expect(row.alerts == items.filter { $0.verdict == .alert }.count, "\(row)")
                            #expect(abs(Int64((row.lastSeen.timeIntervalSince1970 * 1e6).rounded()) - (items.map { $0.time / 1000 }.max() ?? 0)) <= 1)
                        }
                    }
                }
            }
            // Per hour over the ragged range: whole hours from the hourly tier, the ends per minute.
            let raggedTimeline = try await admin.statsTimeline(query: .init(from: RFC3339.format(start), to: RFC3339.format(stop), bucket: 3600)).ok.body.json
            var raggedHours: [Int64: Int] = [:]
            for item in inside { raggedHours[item.time / 3_600_000_000_000, default: 0] += 1 }
            #expect(
                Dictionary(uniqueKeysWithValues: raggedTimeline.buckets.map { (Int64($0.time.timeIntervalSince1970) / 3600, $0.allow + $0.deny + $0.alert) })
                    == raggedHours)
            // A timeline whose buckets are not whole minutes is counted from the events, and agrees.
            let fine = try await admin.statsTimeline(query: .init(from: from, to: RFC3339.format(base + 3_000_000_000_000), bucket: 90)).ok.body.json
            let early = sent.filter { $0.time < base + 3_000_000_000_000 }
            #expect(fine.buckets.reduce(0) { $0 + $1.allow + $1.deny + $1.alert } == early.count)

            // First contacts per day, across nodes.
            let fresh = try await admin.statsNewDestinations(query: .init(from: from, to: to)).ok.body.json
            var firsts: [String: Int64] = [:]
            for item in sent { firsts["\(item.destination):\(item.port)"] = min(firsts["\(item.destination):\(item.port)"] ?? .max, item.time) }
            var perDay: [Int64: Int] = [:]
            for time in firsts.values { perDay[time / day, default: 0] += 1 }
            #expect(Dictionary(uniqueKeysWithValues: fresh.map { (Int64($0.day.timeIntervalSince1970) / 86_400, $0.count) }) == perDay)

            // Retention drops the rollups with the events.
            _ = try await server.app.store.deleteExpired(eventsBeforeUs: (base + 3 * day) / 1000, alertsBeforeUs: 0)
            for dimension in [Operations.StatsTop.Input.Query.ByPayload.exe, .dst] {
                let empty = try await admin.statsTop(query: .init(by: dimension, from: from, to: to)).ok.body.json
                #expect(empty.isEmpty, "\(empty)")
            }
        }
    }

    /// One report reads at most the row budget: beyond it a 400 that says how to narrow it, from
    /// the rollups and from the events alike; within it the answer.
    @Test(arguments: Backend.enabled)
    func aReportBeyondTheRowBudgetIsRefused(_ backend: Backend) async throws {
        try await TestServer.with(backend, configure: { $0.limits.reportRowBudget = 5 }) { server, api in
            let node = try await api.enroll("web-1")
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            let lines = (0..<8).map { index in
                Fixtures.event(node: "web-1", destination: "192.0.2.\(index)", time: now - Int64(index + 1) * 120_000_000_000).jsonLine
            }
            _ = try await api.uploaded(lines, sequence: 0, credential: node.credential)
            for uri in ["/api/v1/stats/top?by=dst&from=1h", "/api/v1/stats/timeline?from=1h&bucket=90"] {
                let refused = try await api.request(.get, uri)
                #expect(refused.status == .badRequest, "\(uri)")
                let message = api.error(refused)?.error ?? ""
                #expect(message.contains("more than 5 stored rows") && message.contains("narrow the range"), "\(message)")
            }
            // A narrower range reads two of the eight rows: within the budget.
            let narrow = try await api.client().statsTop(query: .init(by: .dst, from: "5m")).ok.body.json
            #expect(narrow.map(\.total) == [1, 1])
        }
    }

    /// A range that starts early in a day reads that day whole less its hours and minutes before
    /// the range (whose last-seen times do not count); one that starts late reads its hours.
    @Test func aRaggedStartReadsTheWholeDayLessWhatComesBefore() {
        let day: Int64 = 20_000
        let minute: Int64 = 60_000_000
        var query = EventQuery()
        query.sinceUs = (day * 1440 + 125) * minute + 30_000_000
        query.untilUs = ((day + 2) * 1440 + 30) * minute
        let tiers: [RollupTier] = [.destinationMinutes, .destinationHours, .destinationDays]
        func described(_ scans: [RollupScan]) -> [String] {
            scans.map { "\($0.sign < 0 ? "-" : "+")\($0.tier.time) \($0.from ?? -1)..<\($0.to ?? -1)\($0.lastFromUs.map { " last from \($0)" } ?? "")" }
        }
        #expect(
            described(Store.rollupScans(query, tiers: tiers, subtracting: true)) == [
                "+day \(day)..<\(day + 1) last from \((day * 1440 + 125) * minute)", "-hour \(day * 24)..<\(day * 24 + 2)",
                "-minute \(day * 1440 + 120)..<\(day * 1440 + 125)", "+day \(day + 1)..<\(day + 2)",
                "+minute \((day + 2) * 1440)..<\((day + 2) * 1440 + 30)",
            ])
        #expect(
            described(Store.rollupScans(query, tiers: tiers)) == [
                "+minute \(day * 1440 + 125)..<\(day * 1440 + 180)", "+hour \(day * 24 + 3)..<\(day * 24 + 24)", "+day \(day + 1)..<\(day + 2)",
                "+minute \((day + 2) * 1440)..<\((day + 2) * 1440 + 30)",
            ])
        query.sinceUs = (day * 1440 + 13 * 60) * minute
        #expect(described(Store.rollupScans(query, tiers: tiers, subtracting: true)).first == "+hour \(day * 24 + 13)..<\(day * 24 + 24)")
    }

    /// A database an older server filled gets the daily tier from its hourly rows.
    @Test(arguments: Backend.enabled)
    func theDailyTierIsFilledFromTheHourlyRows(_ backend: Backend) async throws {
        let database = try await TestDatabase.make(backend)
        guard case .success(let location) = DatabaseLocation.parse(database.url) else { throw TestFailure("bad URL") }
        let opened = try await ServerDatabase.open(location, logger: TestServer.logger)
        try await Migrations.run(on: opened, logger: TestServer.logger, through: 11)
        let day: Int64 = 20_000
        let key = AddressKey.key(IPAddress("192.0.2.1")!)
        try await opened.transaction { session in
            for (hour, verdict, count) in [(day * 24 + 3, "deny", 3), (day * 24 + 20, "allow", 2), (day * 24 + 24, "allow", 7)] {
                try await session.sql.raw(
                    """
                    INSERT INTO event_rollups_hourly (hour, node_id, kind, exe, dst_key, dst_port, dst_domain, verdict, n, bytes_sent, bytes_received, last_us)
                    VALUES (\(bind: Int64(hour)), 'n-1', 'decision', '/usr/bin/curl', \(bind: key), 443, '', \(bind: verdict), \(bind: Int64(count)), 0, 0,
                    \(bind: Int64(hour) * 3_600_000_000 + 5))
                    """
                ).run()
            }
        }
        try await Migrations.run(on: opened, logger: TestServer.logger)
        var query = EventQuery()
        query.sinceUs = day * 86_400_000_000
        query.untilUs = (day + 1) * 86_400_000_000
        #expect(Store.rollupScans(query, tiers: [.destinationMinutes, .destinationHours, .destinationDays]).map(\.tier.table) == ["destination_rollups_daily"])
        let top = try await Store(database: opened).top(query, by: .dst, limit: 10)
        #expect(top.map { "\($0.key) \($0.total) \($0.denies)" } == ["192.0.2.1:443 5 3"])
        await opened.close()
        await database.remove()
    }

    /// A batch's counts reach the rollups after its transaction, from the server's memory. A
    /// process that stops first leaves the batch marked not rolled up, and a recovery counts it
    /// from its events; when a recovery (another replica's) took some of a flush's batches, the
    /// flush counts the rest from their events. Every way gives the same rows, each batch once.
    @Test(arguments: Backend.enabled)
    func batchesLeftOutAreCountedOnceFromTheirEvents(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let store = server.app.store
            // A second process on the database whose backlog no service flushes: it stops, in
            // effect, before its flush.
            let stopped = Store(database: store.database)
            let nodes = [try await api.enroll("web-1"), try await api.enroll("db-1")]
            var random = SplitMix64(seed: 11)
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            var batches: [RollupBacklog.Batch] = []
            for batch in 0..<4 {
                let node = nodes[batch % 2]
                let rows = (0..<150).map { _ in
                    let event = Fixtures.event(
                        exe: ["/usr/bin/curl", "/usr/bin/git", nil][Int(random.next() % 3)], destination: "192.0.2.\(random.next() % 9)",
                        port: [443, 22, 53][Int(random.next() % 3)], verdict: [.allow, .deny, .alert][Int(random.next() % 3)],
                        time: now - Int64(random.next() % 2_000_000) * 100_000, domain: [nil, "a.example"][Int(random.next() % 2)])
                    return EventRow(event: event, line: event.jsonLine)
                }
                _ = try await stopped.storeEventBatch(nodeID: node.id, sequence: Int64(batch), rows: rows, alerts: [], aggregationUs: 60_000_000)
                batches.append(.init(node: node.id, sequence: Int64(batch)))
            }
            #expect(try await store.top(EventQuery(), by: .exe, limit: 10).isEmpty)
            let backlog = stopped.rollups.take()
            #expect(backlog.delta.events == 600 && backlog.batches == batches)

            // Too young for a recovery: a live replica's backlog is flushed within a second.
            #expect(try await store.recoverRollups() == 0)
            let later = Micros.now() + Store.rollupRecoveryAgeUs + 1
            #expect(try await store.recoverRollups(nowUs: later) == 4)
            #expect(try await store.recoverRollups(nowUs: later) == 0)
            let recovered = try await Self.rollupRows(store.database)
            #expect(recovered.values.allSatisfy { !$0.isEmpty }, "\(recovered)")
            #expect(try await store.top(EventQuery(), by: .exe, limit: 10).reduce(0) { $0 + $1.total } == 600)

            // The same batches flushed from memory.
            try await Self.forgetRollups(store.database)
            stopped.rollups.restore(backlog)
            try await stopped.flushRollups()
            #expect(try await Self.rollupRows(store.database) == recovered)

            // A recovery took one batch before the flush: the flush counts the other three.
            try await Self.forgetRollups(store.database)
            stopped.rollups.restore(backlog)
            #expect(try await store.recoverRollups(of: [batches[2]]) == 1)
            try await stopped.flushRollups()
            #expect(try await Self.rollupRows(store.database) == recovered)
            #expect(stopped.rollups.waitingEvents == 0)
        }
    }

    /// A node's first contact with a destination only ever moves earlier, whatever order the
    /// flushes bring its contacts in; a later contact leaves the row as it was.
    @Test(arguments: Backend.enabled)
    func aFirstContactMovesOnlyEarlier(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let store = Store(database: server.app.store.database)
            let node = try await api.enroll("web-1")
            let minute: Int64 = 60_000_000_000
            let base = Int64(Date().timeIntervalSince1970 * 1e9) / minute * minute - 30 * minute
            func flush(at time: Int64, sequence: Int64) async throws -> Int64? {
                let event = Fixtures.event(destination: "192.0.2.9", port: 443, time: time)
                _ = try await store.storeEventBatch(
                    nodeID: node.id, sequence: sequence, rows: [EventRow(event: event, line: event.jsonLine)], alerts: [], aggregationUs: 60_000_000)
                try await store.flushRollups()
                return try await store.database.read { sql in
                    try await sql.raw("SELECT first_us FROM destination_first_seen WHERE node_id = \(bind: node.id)").first()?.int64("first_us")
                }
            }
            #expect(try await flush(at: base + 10 * minute, sequence: 0) == (base + 10 * minute) / 1000)
            #expect(try await flush(at: base + 20 * minute, sequence: 1) == (base + 10 * minute) / 1000)
            #expect(try await flush(at: base, sequence: 2) == base / 1000)
            #expect(try await flush(at: base + 5 * minute, sequence: 3) == base / 1000)
        }
    }

    /// The backlog is bounded by the keys it holds, not the events: traffic that repeats gathers
    /// for the whole half second however many events it is, and only distinct keys make an
    /// upload wait for a flush.
    @Test(arguments: Backend.enabled)
    func theBacklogIsBoundedByKeysNotEvents(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            // No service flushes this one's backlog: only the bound can.
            let store = Store(database: server.app.store.database)
            let node = try await api.enroll("web-1")
            let now = Int64(Date().timeIntervalSince1970 * 1e9) / 60_000_000_000 * 60_000_000_000
            let repeated = (0..<1000).map { index in
                let event = Fixtures.event(destination: "192.0.2.1", port: 443, time: now + Int64(index))
                return EventRow(event: event, line: event.jsonLine)
            }
            // More events than the bound's number of keys.
            let batches = Store.rollupBacklogLimit / 1000 + 1
            for sequence in 0..<batches {
                _ = try await store.storeEventBatch(nodeID: node.id, sequence: Int64(sequence), rows: repeated, alerts: [], aggregationUs: 60_000_000)
            }
            #expect(store.rollups.waitingEvents == batches * 1000, "two keys a batch, never the bound")

            // Distinct destinations reach it: the upload that crosses it waits for a flush.
            var sequence = Int64(batches)
            var distinct = 0
            while store.rollups.waitingEvents > 0 {
                let rows = (0..<1000).map { index in
                    let event = Fixtures.event(destination: "10.\(distinct / 65536 % 256).\(distinct / 256 % 256).\(distinct % 256)", port: 443, time: now + Int64(index))
                    distinct += 1
                    return EventRow(event: event, line: event.jsonLine)
                }
                _ = try await store.storeEventBatch(nodeID: node.id, sequence: sequence, rows: rows, alerts: [], aggregationUs: 60_000_000)
                sequence += 1
                #expect(distinct <= Store.rollupBacklogLimit, "the bound is keys: two a new destination")
            }
            #expect(try await store.top(EventQuery(), by: .dst, limit: 1).first?.total == batches * 1000)
        }
    }

    static let rollupTables = ["event_rollups", "app_rollups", "event_rollups_hourly", "app_rollups_hourly", "destination_rollups_daily", "destination_first_seen"]

    /// Every rollup table's rows as text, sorted.
    static func rollupRows(_ database: ServerDatabase) async throws -> [String: [String]] {
        var tables: [String: [String]] = [:]
        for table in rollupTables {
            tables[table] = try await database.read { sql in
                let columns = try await sql.raw("SELECT * FROM \(ident: table) LIMIT 1").first()?.allColumns ?? []
                guard !columns.isEmpty else { return [] }
                let text = columns.map { "CAST(\($0) AS TEXT)" }.joined(separator: " || '|' || ")
                return try await sql.raw("SELECT \(unsafeRaw: text) AS line FROM \(ident: table)").all().map { try $0.string("line") }.sorted()
            }
        }
        return tables
    }

    /// Empties the rollups and marks every batch not rolled up.
    static func forgetRollups(_ database: ServerDatabase) async throws {
        try await database.transaction { session in
            for table in rollupTables { try await session.sql.raw("DELETE FROM \(ident: table)").run() }
            try await session.sql.raw("UPDATE event_batches SET rolled_up = FALSE").run()
        }
    }
}
