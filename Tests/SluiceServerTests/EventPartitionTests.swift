import Foundation
import NIOCore
import SQLKit
import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

/// PostgreSQL's ingest path (ids from the sequence, rows by COPY) and its day partitions.
@Suite struct EventPartitionTests {
    @Test("retention drops a day's partition whole; the other days stay queryable", .enabled(if: Backend.postgresShouldRun, Backend.skipComment))
    func retentionDropsPartitions() async throws {
        try await TestServer.with(.postgres) { server, api in
            let store = server.app.store
            let day = Store.microsPerDay
            let today = Micros.now() / day
            // The server prepared today and the days ahead at start.
            #expect(try await store.eventPartitions().map(\.day) == Array(today...(today + Store.partitionDaysAhead)))
            // Four days in the past, prepared as a server running then would have.
            let first = today - 10
            #expect(try await store.preparePartitions(nowUs: first * day) == (first...(first + 3)).map(Store.partitionName))
            #expect(try await store.preparePartitions(nowUs: first * day).isEmpty)

            let node = try await api.enroll("web-1")
            // Noon of each of those days, and a day with no partition (its event goes to the default one).
            let days = [first, first + 1, first + 2, first + 3, today - 12]
            let events = days.enumerated().map { Fixtures.event(port: UInt16(1000 + $0.offset), time: ($0.element * day + day / 2) * 1000) }
            #expect(try await api.uploaded(events.map(\.jsonLine), sequence: 0, credential: node.credential).stored == 5)
            for (name, expected) in [(Store.partitionName(day: first), 1), ("events_default", 1), (Store.partitionName(day: today), 0)] {
                let count = try await store.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM \(ident: name)").first()!.int64("n") }
                #expect(count == Int64(expected), "\(name)")
            }

            // Retention from the start of the second day: the first day's partition is dropped,
            // the older event in the default partition deleted.
            #expect(try await store.deleteExpired(eventsBeforeUs: (first + 1) * day, alertsBeforeUs: 0) == 1)
            let left = try await store.eventPartitions().map(\.day)
            #expect(!left.contains(first))
            #expect(left.contains(first + 1))
            #expect(try await store.eventCount() == 3)
            let response = try await api.request(.get, "/api/v1/events?since=\(RFC3339.format(first * day * 1000))")
            #expect(response.status == .ok)
            #expect(Set(try response.body.lines.map { try DecisionEvent(jsonLine: $0).port }) == [1001, 1002, 1003])
            let byExe = try await store.top(EventQuery(sinceUs: first * day), by: .exe, limit: 10)
            #expect(byExe.map { "\($0.key) \($0.total)" } == ["/usr/bin/curl 3"])

            // A late event of the dropped day is stored again (in the default partition).
            let late = Fixtures.event(port: 999, time: (first * day + 5) * 1000)
            #expect(try await api.uploaded([late.jsonLine], sequence: 1, credential: node.credential).stored == 1)
            #expect(try await store.eventCount() == 4)
        }
    }

    @Test("a batch that fails in COPY leaves nothing, and its sequence can be sent again", .enabled(if: Backend.postgresShouldRun, Backend.skipComment))
    func failedCopyLeavesNothing() async throws {
        try await TestServer.with(.postgres) { server, api in
            let store = server.app.store
            let node = try await api.enroll("web-1")
            let good = Fixtures.event(port: 1)
            // Past the parser (which refuses it): a NUL only the COPY encoder sees.
            var bad = EventRow(event: Fixtures.event(port: 2), line: good.jsonLine)
            bad.rule = "out\u{0}"
            await #expect(throws: CopyTextError.nul(column: "rule")) {
                _ = try await store.storeEventBatch(
                    nodeID: node.id, sequence: 7, rows: [EventRow(event: good, line: good.jsonLine), bad], alerts: [], aggregationUs: 60_000_000)
            }
            #expect(try await store.eventCount() == 0)
            #expect(try await store.top(EventQuery(), by: .exe, limit: 10).isEmpty)
            let batches = try await store.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM event_batches").first()!.int64("n") }
            #expect(batches == 0)
            #expect(try await api.uploaded([good.jsonLine], sequence: 7, credential: node.credential) == .init(stored: 1, duplicate: false))
            #expect(try await store.eventCount() == 1)
        }
    }

    @Test(arguments: Backend.enabled)
    func hostileTextIsStoredAsSent(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let node = try await api.enroll("web-1")
            let hostile = ["/opt/a\tb\\c\nd\re\\N", "\\.", "\\", "\t", "日本\u{7}\u{1b}[0m"]
            let events = hostile.enumerated().map { index, text in
                Fixtures.event(exe: text, port: UInt16(100 + index), policy: text, rule: "r" + text, domain: "x\(index).example.com")
            }
            #expect(try await api.uploaded(events.map(\.jsonLine), sequence: 0, credential: node.credential).stored == hostile.count)
            let stored = try await server.app.store.database.read { sql in
                try await sql.raw("SELECT exe, policy, rule, dst_port FROM events ORDER BY dst_port").all().map {
                    [try $0.string("exe"), try $0.string("policy"), try $0.string("rule")]
                }
            }
            #expect(stored == hostile.map { [$0, $0, "r" + $0] })
            for (index, text) in hostile.enumerated() {
                var query = EventQuery()
                query.executable = text
                let lines = try await server.app.store.events(query).lines
                #expect(try lines.map { try DecisionEvent(jsonLine: $0).port } == [UInt16(100 + index)], "\(text.debugDescription)")
            }
            let top = try await server.app.store.top(EventQuery(), by: .exe, limit: 10)
            #expect(Set(top.map(\.key)) == Set(hostile))

            // A NUL in a field with a column of its own: refused at its line, nothing stored.
            let nul = Fixtures.event(exe: "/bin/a\u{0}b", port: 9)
            let response = try await api.upload([events[0].jsonLine, nul.jsonLine], sequence: 1, credential: node.credential)
            #expect(response.status == .badRequest)
            #expect(api.error(response)?.error.contains("line 2: the exe holds a NUL") == true, "\(String(buffer: response.body))")
            #expect(try await server.app.store.eventCount() == hostile.count)
        }
    }

    @Test func copyTextEscapes() throws {
        var text = CopyText(capacity: 64)
        try text.text("a\tb\\c\nd\re", column: "exe")
        text.null()
        text.integer(-5)
        text.boolean(true)
        text.double(0.25)
        try text.text("\\N", column: "rule")
        text.endRow()
        #expect(String(buffer: text.buffer) == "a\\tb\\\\c\\nd\\re\t\\N\t-5\tt\t0.25\t\\\\N\n")
        #expect(throws: CopyTextError.nul(column: "policy")) { try text.text("x\u{0}", column: "policy") }

        var numbers = CopyText(capacity: 8)
        for value in [0, 7, 10, 1_796_509_764_721_253, .max, .min] as [Int64] { numbers.integer(value) }
        numbers.endRow()
        #expect(String(buffer: numbers.buffer) == "0\t7\t10\t1796509764721253\t9223372036854775807\t-9223372036854775808\n")
    }

    @Test func partitionNames() {
        let day = Int64(20_425)  // 2025-12-03
        #expect(Store.partitionName(day: day) == "events_20251203")
        #expect(Store.partitionDay("events_20251203") == day)
        #expect(Store.partitionDay("events_default") == nil)
        #expect(Store.partitionDay("events_2025120x") == nil)
    }
}
