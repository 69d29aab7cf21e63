import Foundation
import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

/// Flow records uploaded beside decisions: stored with the bytes each added, filtered by `kind`,
/// kept out of decision counts and alerts, summed by `stats/top?measure=bytes` and over time by
/// `stats/timeline?measure=bytes`.
@Suite struct EventFlowTests {
    static func flow(exe: String, port: UInt16, id: UInt64, sent: UInt64, received: UInt64, final: Bool, verdict: RuleAction = .allow) -> DecisionEvent {
        var event = Fixtures.event(exe: exe, port: port, verdict: verdict)
        event.hook = "flow"
        event.flow = FlowCounts(
            flowID: id, bytesSent: sent, bytesReceived: received, packetsSent: 1, packetsReceived: 1, durationMilliseconds: 10, final: final)
        return event
    }

    @Test(arguments: Backend.enabled)
    func flowsAreStoredFilteredAndSummedApartFromDecisions(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let node = try await api.enroll("web-1")
            let events = [
                Fixtures.event(exe: "/usr/bin/curl", port: 443),
                Fixtures.event(exe: "/usr/bin/curl", port: 8443, verdict: .alert),
                // An open connection's records carry its counts so far: 300 + 700 sent in all.
                Self.flow(exe: "/usr/bin/rsync", port: 873, id: 1, sent: 300, received: 10, final: false),
                Self.flow(exe: "/usr/bin/rsync", port: 873, id: 1, sent: 1000, received: 20, final: true),
                Self.flow(exe: "/usr/bin/curl", port: 8443, id: 2, sent: 5, received: 50, final: true, verdict: .alert),
            ]
            _ = try await api.uploaded(events.map(\.jsonLine), sequence: 0, credential: node.credential)

            func lines(_ query: String) async throws -> [DecisionEvent] {
                let response = try await api.request(.get, "/api/v1/events?" + query)
                #expect(response.status == .ok, "\(query): \(String(buffer: response.body))")
                return try response.body.lines.map { try DecisionEvent(jsonLine: $0) }
            }
            #expect(try await lines("").count == 5)
            #expect(try await lines("kind=flow").map { $0.flow?.bytesSent } == [5, 1000, 300])
            #expect(try await lines("kind=decision").allSatisfy { $0.flow == nil })
            #expect(try await lines("kind=decision,flow").count == 5)
            #expect(try await api.request(.get, "/api/v1/events?kind=packet").status == .badRequest)

            // Decisions alone in the decision counts; the alert verdict raised one alert, not two.
            let admin = api.client()
            let rows = try await admin.statsTop(query: .init(by: .exe)).ok.body.json
            #expect(rows.map(\.key) == ["/usr/bin/curl"] && rows.first?.total == 2)
            let items = try await admin.listAlerts().ok.body.json.items
            #expect(items.count == 1 && items.first?.count == 1)

            let traffic = try await admin.statsTop(query: .init(by: .exe, measure: .bytes)).ok.body.json
            #expect(traffic.map(\.key) == ["/usr/bin/rsync", "/usr/bin/curl"])
            #expect(traffic.first?.bytesSent == 1000 && traffic.first?.bytesReceived == 20)
            #expect(traffic.last?.bytesSent == 5)

            // Over time: rsync's two records fall in one bucket, their deltas adding to its total;
            // decisions are not bytes.
            let rsync = try await admin.statsTimeline(query: .init(from: "10m", bucket: 60, exe: "/usr/bin/rsync", measure: .bytes)).ok.body.json
            #expect(rsync.buckets.reduce(0) { $0 + ($1.bytesSent ?? 0) } == 1000)
            #expect(rsync.buckets.reduce(0) { $0 + ($1.bytesReceived ?? 0) } == 20)
            #expect(rsync.buckets.reduce(0) { $0 + $1.allow } == 2)
            let all = try await admin.statsTimeline(query: .init(from: "10m", bucket: 60, measure: .bytes)).ok.body.json
            #expect(all.buckets.reduce(0) { $0 + ($1.bytesSent ?? 0) } == 1005 && all.buckets.reduce(0) { $0 + $1.alert } == 1)
            // A bucket that is not whole minutes is counted from the events, and agrees.
            let odd = try await admin.statsTimeline(query: .init(from: "10m", bucket: 90, measure: .bytes)).ok.body.json
            #expect(odd.buckets.reduce(0) { $0 + ($1.bytesReceived ?? 0) } == 70)
            let decisions = try await admin.statsTimeline(query: .init(from: "10m", bucket: 60)).ok.body.json
            #expect(decisions.buckets.allSatisfy { $0.bytesSent == nil } && decisions.buckets.reduce(0) { $0 + $1.allow + $1.alert } == 2)
            _ = server
        }
    }
}
