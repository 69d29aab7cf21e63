import Foundation
import SQLKit
import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

/// The destination's looked-up name (`dst_domain`) from an agent's upload to a query, the live
/// stream and a database an older server left.
@Suite struct EventDomainTests {
    /// Names as agents may send them, a name the SQL pattern must not read as a pattern among them.
    static let domains: [String?] = [
        "api.example.com", "WWW.Example.COM.", "example.com", "x.badexample.com", "_dmarc.example.org", "x.yb.example.net",
        #"we"ird\name.example"#, nil,
    ]

    @Test(arguments: Backend.enabled)
    func ingestStoresTheNameAndQueriesFilterByIt(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let node = try await api.enroll("web-1")
            let events = Self.domains.enumerated().map { index, domain in Fixtures.event(port: UInt16(1000 + index), domain: domain) }
            let stored = try await api.uploaded(events.map(\.jsonLine), sequence: 0, credential: node.credential)
            #expect(stored.stored == Self.domains.count)

            func query(_ domain: String?) async throws -> [DecisionEvent] {
                let parameter = domain.map { "domain=" + $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: ".*_-")))! }
                let response = try await api.request(.get, "/api/v1/events?" + (parameter ?? ""))
                #expect(response.status == .ok, "\(domain ?? "-"): \(String(buffer: response.body))")
                return try response.body.lines.map { try DecisionEvent(jsonLine: $0) }
            }
            // Every line carries the name as the agent sent it (null when none).
            let all = try await query(nil)
            #expect(Dictionary(uniqueKeysWithValues: all.map { ($0.port, $0.dstDomain) }) == Dictionary(
                uniqueKeysWithValues: Self.domains.enumerated().map { (UInt16(1000 + $0.offset), $0.element) }))
            #expect(try await query("api.example.com").map(\.port) == [1000])
            // Case and a trailing dot do not matter, on either side.
            #expect(try await query("www.example.com").map(\.dstDomain) == ["WWW.Example.COM."])
            #expect(try await query("API.EXAMPLE.COM.").map(\.port) == [1000])
            #expect(try await query("*.example.com").map(\.port).sorted() == [1000, 1001])
            #expect(try await query("*.Example.Com").map(\.port).sorted() == [1000, 1001])
            #expect(try await query("example.com").map(\.port) == [1002])
            #expect(try await query("*.example.org").map(\.port) == [1004])
            // `_` is a letter of a name, not LIKE's any-character.
            #expect(try await query("*._b.example.net").isEmpty)
            #expect(try await query("*.yb.example.net").map(\.port) == [1005])
            #expect(try await query("*.example.net").map(\.port) == [1005])
            #expect(try await query(#"we"ird\name.example"#).map(\.port) == [1006])
            #expect(try await query("nothing.example").isEmpty)
            // With the other filters: AND.
            #expect(try await query("*.example.com").count == 2)
            let combined = try await api.request(.get, "/api/v1/events?domain=*.example.com&port=1001")
            #expect(try combined.body.lines.map { try DecisionEvent(jsonLine: $0).port } == [1001])

            for bad in ["*", "*.", "a.*.com", "*example.com", String(repeating: "a", count: 254)] {
                let response = try await api.request(.get, "/api/v1/events?domain=" + bad)
                #expect(response.status == .badRequest, "\(bad)")
                #expect(api.error(response)?.error.hasPrefix("domain") == true, "\(bad)")
            }
            #expect(try await server.app.store.eventCount() == Self.domains.count)

            // The busiest names, as stored: case and a trailing dot folded, no name as its own row.
            let top = try await api.client().statsTop(query: .init(by: .domain, limit: 100)).ok.body.json
            #expect(Set(top.map(\.key)) == Set(Self.domains.map { $0.map(DomainFilter.normalized) ?? "(no name)" }))
            #expect(top.allSatisfy { $0.total == 1 })
        }
    }

    @Test func theLiveStreamFiltersByName() async throws {
        let hub = EventLineHub()
        let subscription = hub.subscribe(EventLineHub.Filter(domain: try DomainFilter(parsing: "*.example.com")))
        defer { hub.unsubscribe(subscription) }
        let events = Self.domains.enumerated().map { index, domain in
            let event = Fixtures.event(port: UInt16(1000 + index), domain: domain)
            return (event: event, line: event.jsonLine)
        }
        hub.publish(nodeID: "n-1", events: events)
        var chunks = subscription.stream.makeAsyncIterator()
        let chunk = try #require(await chunks.next())
        #expect(chunk.lines == 2)
        #expect(try chunk.text.split(separator: "\n").map { try DecisionEvent(jsonLine: String($0)).dstDomain } == ["api.example.com", "WWW.Example.COM."])
    }

    @Test(arguments: Backend.enabled)
    func eventsStoredBeforeTheColumnReadAsUnnamed(_ backend: Backend) async throws {
        let database = try await TestDatabase.make(backend)
        guard case .success(let location) = DatabaseLocation.parse(database.url) else { throw TestFailure("bad URL") }
        let opened = try await ServerDatabase.open(location, logger: TestServer.logger)
        #expect(try await Migrations.run(on: opened, logger: TestServer.logger, through: 2) == [1, 2])
        // A row as a version-2 server wrote it: no dst_domain column, a line without the field.
        let old = Fixtures.event(port: 80, time: 1_795_276_501_123_456_000)
        let line = old.jsonLine.replacingOccurrences(of: #""dst_domain":null,"#, with: "")
        try await opened.transaction { session in
            try await session.sql.raw(
                """
                INSERT INTO events (node_id, time_us, exe, cgroup, dst_key, dst_port, protocol, verdict, enforced, policy, rule, score, anomaly, line)
                VALUES ('n-1', \(bind: old.timeNanoseconds / 1000), '/usr/bin/curl', '/app.slice', \(bind: AddressKey.key(old.destination)), 80,
                'tcp', 'allow', TRUE, 'web', 'out', NULL, FALSE, \(bind: line))
                """
            ).run()
        }
        #expect(try await Migrations.run(on: opened, logger: TestServer.logger) == Migrations.all.map(\.version).filter { $0 > 2 })
        let store = Store(database: opened)
        // The rollups were filled from the events already stored.
        #expect(try await store.top(EventQuery(), by: .exe, limit: 10).map { "\($0.key) \($0.total)" } == ["/usr/bin/curl 1"])
        let (lines, _) = try await store.events(EventQuery())
        #expect(try lines.map { try DecisionEvent(jsonLine: $0) } == [old])
        var named = EventQuery()
        named.domain = try DomainFilter(parsing: "*.example.com")
        #expect(try await store.events(named).lines.isEmpty)
        await opened.close()
        await database.remove()
    }
}
