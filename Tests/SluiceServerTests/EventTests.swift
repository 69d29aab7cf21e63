import Foundation
import HTTPTypes
import NIOCore
import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

@Suite struct EventTests {
    @Test(arguments: Backend.enabled)
    func ingestIsIdempotentAndQueryable(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let web = try await api.enroll("web-1")
            let db = try await api.enroll("db-1")
            let base = Int64(Date().timeIntervalSince1970 * 1e9) - 60_000_000_000
            var webEvents: [DecisionEvent] = []
            for index in 0..<10 {
                let exe = index < 6 ? "/usr/bin/curl" : "/usr/bin/wget"
                let destination = index % 2 == 0 ? "10.1.2.\(index)" : "192.168.1.\(index)"
                let verdict: RuleAction = index == 9 ? .deny : .allow
                let time = base + Int64(index) * 1_000_000_000
                webEvents.append(
                    Fixtures.event(
                        exe: exe, destination: destination, port: UInt16(440 + index), verdict: verdict, policy: index == 9 ? "lockdown" : "web",
                        time: time))
            }
            let stored = try await api.uploaded(webEvents.map(\.jsonLine), sequence: 0, credential: web.credential)
            #expect(stored == Components.Schemas.EventBatchResponse(stored: 10, duplicate: false))
            // The same batch again (a retry after a lost answer): acknowledged, not stored twice.
            let again = try await api.uploaded(webEvents.map(\.jsonLine), sequence: 0, credential: web.credential)
            #expect(again == Components.Schemas.EventBatchResponse(stored: 0, duplicate: true))
            // The same sequence from another node is its own batch; the node's enrolled name wins.
            let dbEvents = [Fixtures.event(node: "spoofed", exe: "/usr/sbin/postgres", destination: "2001:db8::5", port: 5432, verdict: .alert, time: base)]
            _ = try await api.uploaded(dbEvents.map(\.jsonLine), sequence: 0, credential: db.credential)
            #expect(try await server.app.store.eventCount() == 11)

            func query(_ parameters: String) async throws -> [DecisionEvent] {
                let response = try await api.request(.get, "/api/v1/events?" + parameters)
                #expect(response.status == .ok, "\(parameters): \(String(buffer: response.body))")
                return try response.body.lines.map { try DecisionEvent(jsonLine: $0) }
            }
            #expect(try await query("").count == 11)
            #expect(try await query("node=web-1").count == 10)
            #expect(try await query("node=\(db.id)").map(\.node) == ["db-1"])
            #expect(try await query("node=nobody").isEmpty)
            #expect(try await query("exe=/usr/bin/wget").count == 4)
            #expect(try await query("dst=10.0.0.0/8").count == 5)
            #expect(try await query("dst=192.168.1.3").map(\.port) == [443])
            #expect(try await query("dst=2001:db8::/32").map(\.port) == [5432])
            #expect(try await query("verdict=deny").map(\.policy) == ["lockdown"])
            #expect(try await query("verdict=deny,alert").count == 2)
            #expect(try await query("verdict=deny&verdict=alert").count == 2)
            #expect(try await query("policy=web&exe=/usr/bin/curl").count == 6)
            #expect(try await query("port=445").count == 1)
            let since = RFC3339.format(base + 5_000_000_000)
            #expect(try await query("node=web-1&since=\(since)").count == 5)
            #expect(try await query("until=\(since)").count == 6)
            #expect(try await query("since=1h").count == 11)

            // Pages: newest first, the cursor in a header.
            let first = try await api.request(.get, "/api/v1/events?node=web-1&limit=4")
            #expect(first.body.lines.count == 4)
            let cursor = try #require(first.headers[HTTPField.Name(AdminAPI.nextCursorHeader)!])
            let firstTimes = try first.body.lines.map { try DecisionEvent(jsonLine: $0).timeNanoseconds }
            #expect(firstTimes == firstTimes.sorted(by: >))
            let second = try await api.request(.get, "/api/v1/events?node=web-1&limit=4&cursor=\(cursor)")
            let third = try await api.request(.get, "/api/v1/events?node=web-1&limit=4&cursor=\(second.headers[HTTPField.Name(AdminAPI.nextCursorHeader)!]!)")
            #expect(second.body.lines.count == 4)
            #expect(third.body.lines.count == 2)
            #expect(third.headers[HTTPField.Name(AdminAPI.nextCursorHeader)!] == nil)
            #expect(Set(first.body.lines + second.body.lines + third.body.lines).count == 10)

            for bad in ["dst=10.0.0.1/8", "dst=nonsense", "verdict=maybe", "since=yesterday", "limit=0", "cursor=abc", "port=70000"] {
                let response = try await api.request(.get, "/api/v1/events?" + bad)
                #expect(response.status == .badRequest, "\(bad)")
                #expect(api.error(response)?.error.isEmpty == false)
            }
        }
    }

    @Test(arguments: Backend.enabled)
    func badBatchesAreRefusedWithReasons(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let node = try await api.enroll("web-1")
            let good = Fixtures.event().jsonLine
            // A malformed line: 400 naming the line; nothing of the batch stored.
            let malformed = try await api.upload([good, good, "{\"time\": \"yesterday\", \"dst_ip\": \"10.0.0.1\"}"], sequence: 1, credential: node.credential)
            #expect(malformed.status == .badRequest)
            #expect(api.error(malformed)?.error.hasPrefix("line 3 is not an event") == true)
            let notJSON = try await api.upload([good, "not json"], sequence: 1, credential: node.credential)
            #expect(api.error(notJSON)?.error.hasPrefix("line 2") == true)
            #expect(try await server.app.store.eventCount() == 0)
            // Blank lines are fine.
            let blanks = try await api.upload(["", good, "   "], sequence: 1, credential: node.credential)
            #expect(try api.decode(Components.Schemas.EventBatchResponse.self, blanks).stored == 1)

            // Too many events: 413.
            let many = [String](repeating: good, count: EventUpload.maximumEvents + 1)
            let tooMany = try await api.upload(many, sequence: 2, credential: node.credential)
            #expect(tooMany.status == .contentTooLarge)
            #expect(api.error(tooMany)?.error.contains("5000") == true)
            // Too many bytes: 413.
            var huge = ByteBuffer()
            huge.writeRepeatingByte(UInt8(ascii: " "), count: EventUpload.maximumBytes + 1)
            let tooBig = try await api.request(.post, "/api/v1/agent/events?sequence=3", token: .some(node.credential), body: huge)
            #expect(tooBig.status == .contentTooLarge)
            // A line over 64 KiB: 413.
            var longEvent = Fixtures.event()
            longEvent.comm = String(repeating: "x", count: EventUpload.maximumLineBytes)
            #expect(try await api.upload([longEvent.jsonLine], sequence: 4, credential: node.credential).status == .contentTooLarge)
            // No sequence: 400.
            let noSequence = try await api.request(.post, "/api/v1/agent/events", token: .some(node.credential), body: ByteBuffer(string: good))
            #expect(noSequence.status == .badRequest)
            #expect(try await server.app.store.eventCount() == 1)
        }
    }

    @Test func overloadAnswers503() async throws {
        let gate = AdmissionGate(concurrency: 1, queue: 1)
        #expect(gate.enter())
        #expect(gate.enter())
        #expect(!gate.enter())
        gate.leave()
        #expect(gate.enter())
    }

    @Test(arguments: Backend.enabled)
    func overloadedIngestAsksToRetry(_ backend: Backend) async throws {
        try await TestServer.with(backend, configure: { $0.limits.ingestConcurrency = 1; $0.limits.ingestQueue = 0 }) { server, api in
            let node = try await api.enroll("busy")
            let lines = (0..<EventUpload.maximumEvents).map { _ in Fixtures.event().jsonLine }
            let answers = try await withThrowingTaskGroup(of: TestResponseStatus.self) { group in
                for sequence in 0..<8 {
                    group.addTask {
                        let response = try await api.upload(lines, sequence: sequence, credential: node.credential)
                        return TestResponseStatus(code: response.status.code, retryAfter: response.headers[.retryAfter])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.contains { $0.code == 200 })
            let refused = answers.filter { $0.code == 503 }
            #expect(!refused.isEmpty)
            #expect(refused.allSatisfy { $0.retryAfter == "1" })
            #expect(answers.allSatisfy { $0.code == 200 || $0.code == 503 })
        }
    }

    struct TestResponseStatus: Sendable {
        var code: Int
        var retryAfter: String?
    }
}
