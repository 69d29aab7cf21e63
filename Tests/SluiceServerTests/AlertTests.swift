import Foundation
import HTTPTypes
import NIOCore
import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

@Suite struct AlertTests {
    /// An alert shows the name its destination was looked up by (normalized as events store
    /// it), in the API, the CLI's and the notifications' text; an unnamed one shows the address.
    @Test(arguments: Backend.enabled)
    func anAlertCarriesTheNameItsDestinationWasLookedUpBy(_ backend: Backend) async throws {
        try await TestServer.with(backend) { _, api in
            let node = try await api.enroll("web-1")
            let events = [
                Fixtures.event(destination: "203.0.113.7", port: 443, verdict: .alert, policy: "saas", rule: "watch", domain: "API.Example.COM."),
                Fixtures.event(destination: "203.0.113.8", port: 443, verdict: .alert, policy: "saas", rule: "watch"),
            ]
            _ = try await api.uploaded(events.map(\.jsonLine), sequence: 0, credential: node.credential)
            let alerts = Dictionary(uniqueKeysWithValues: try await api.client().listAlerts().ok.body.json.items.map { ($0.destination, $0) })
            let named = try #require(alerts["203.0.113.7"])
            #expect(named.domain == "api.example.com")
            #expect(named.destinationText == "api.example.com (203.0.113.7):443")
            #expect(Notifier.subject(named).contains("→ api.example.com (203.0.113.7):443 on web-1"))
            #expect(Notifier.mailBody(named, server: "sluice").contains("destination: api.example.com (203.0.113.7):443"))
            #expect(alerts["203.0.113.8"]?.domain == nil)
            #expect(alerts["203.0.113.8"]?.destinationText == "203.0.113.8:443")
        }
    }

    @Test(arguments: Backend.enabled)
    func alertsAreRaisedAggregatedAndAcknowledged(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let node = try await api.enroll("web-1")
            // A policy with alertOnDeny, and one without.
            let loud = Fixtures.policy("loud", action: "deny", extra: "  alertOnDeny: true\n")
            _ = try await api.pushed([loud])
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            var events: [DecisionEvent] = []
            // Three alert-rule hits to one destination: one alert, count 3.
            for index in 0..<3 {
                events.append(Fixtures.event(destination: "10.9.9.9", port: 25, verdict: .alert, policy: "mail", rule: "smtp", time: now + Int64(index)))
            }
            // Denies by the loud policy: an alert; by a quiet policy: none.
            events.append(Fixtures.event(exe: "/usr/bin/loud", destination: "10.1.1.1", verdict: .deny, policy: "loud", rule: "out", time: now))
            events.append(Fixtures.event(exe: "/usr/bin/quiet", destination: "10.1.1.1", verdict: .deny, policy: "quiet", rule: "out", time: now))
            // An anomalous allow: an anomaly alert.
            events.append(Fixtures.event(exe: "/usr/bin/python3", destination: "203.0.113.5", port: 8443, verdict: .allow, time: now, anomaly: true))
            events.append(Fixtures.event(exe: "/usr/bin/python3", destination: "203.0.113.6", port: 8443, verdict: .allow, time: now, anomaly: false))
            _ = try await api.uploaded(events.map(\.jsonLine), sequence: 0, credential: node.credential)

            let admin = api.client()
            var page = try await admin.listAlerts().ok.body.json
            #expect(page.items.count == 3)
            let byKind = Dictionary(uniqueKeysWithValues: page.items.map { ($0.kind, $0) })
            #expect(byKind[.alertRule]?.count == 3)
            #expect(byKind[.alertRule]?.destination == "10.9.9.9")
            #expect(byKind[.alertRule]?.policy == "mail")
            #expect(byKind[.policyDeny]?.exe == "/usr/bin/loud")
            #expect(byKind[.anomaly]?.score == 40)
            #expect(byKind[.anomaly]?.sample.contains("203.0.113.5") == true)

            // A repeat in the next batch within the window folds into the open alert.
            let repeatEvent = Fixtures.event(destination: "10.9.9.9", port: 25, verdict: .alert, policy: "mail", rule: "smtp", time: now + 1_000_000_000)
            _ = try await api.upload([repeatEvent.jsonLine], sequence: 1, credential: node.credential)
            let folded = try await admin.showAlert(path: .init(id: byKind[.alertRule]!.id)).ok.body.json
            #expect(folded.count == 4)
            #expect(folded.lastSeen > folded.firstSeen)
            let context = try await api.request(.get, "/api/v1/alerts/\(folded.id)/events")
            #expect(context.body.lines.count == 4)

            // Acknowledge: an operator may, a viewer may not; who and when are kept.
            let viewer = try await api.user("vera", role: .viewer)
            let operatorToken = try await api.user("otto", role: ._operator)
            let refused = try await api.refusal { try await api.client(token: .some(viewer)).acknowledgeAlert(path: .init(id: folded.id)) }
            #expect(refused.status == 403)
            let acked = try await api.client(token: .some(operatorToken)).acknowledgeAlert(
                path: .init(id: folded.id), body: .json(.init(note: "known relay"))
            ).ok.body.json
            #expect(acked.state == .acknowledged)
            #expect(acked.acknowledgedBy == "otto")
            #expect(acked.acknowledged != nil)
            // After acknowledgement a repeat opens a new alert.
            _ = try await api.upload([repeatEvent.jsonLine], sequence: 2, credential: node.credential)
            page = try await admin.listAlerts(query: .init(state: .open, kind: .alertRule)).ok.body.json
            #expect(page.items.count == 1)
            #expect(page.items.first?.id != folded.id)
            let acknowledged = try await admin.listAlerts(query: .init(state: .acknowledged)).ok.body.json
            #expect(acknowledged.items.map(\.id) == [folded.id])
            let limited = try await admin.listAlerts(query: .init(limit: 2)).ok.body.json
            #expect(limited.items.count == 2)
            #expect(limited.nextCursor != nil)
            #expect(try await api.refusal { try await admin.showAlert(path: .init(id: 999_999)) }.status == 404)
            #expect(try await api.request(.get, "/api/v1/alerts?state=closed").status == .badRequest)

            let audit = try await admin.audit(query: .init(action: "alert.acknowledge")).ok.body.json
            #expect(audit.items.first?.actor == "user:otto")
            #expect(audit.items.first?.details.additionalProperties["note"] == "known relay")
            let metrics = String(buffer: try await api.request(.get, "/metrics").body)
            #expect(metrics.contains("sluice_server_alerts_raised_total 4"))
        }
    }

    @Test func candidatesFoldByFingerprint() {
        let node = try! NodeRecordFixture.make()
        let now = Int64(1_800_000_000) * 1_000_000_000
        let events = [
            Fixtures.event(verdict: .alert, time: now), Fixtures.event(verdict: .alert, time: now + 5),
            Fixtures.event(destination: "10.0.0.2", verdict: .alert, time: now),
            Fixtures.event(verdict: .deny, policy: "p", time: now), Fixtures.event(verdict: .deny, policy: "q", time: now),
        ].map { ($0, $0.jsonLine) }
        let candidates = EventIngest.alertCandidates(events, node: node, alertOnDeny: ["p"])
        #expect(candidates.map(\.count) == [2, 1, 1])
        #expect(candidates.map(\.kind) == [.alertRule, .alertRule, .policyDeny])
        #expect(candidates[0].firstUs == now / 1000 && candidates[0].lastUs == (now + 5) / 1000)
    }
}

enum NodeRecordFixture {
    static func make() throws -> NodeRecord {
        try NodeRecord(row: FakeRow(values: [
            "id": "n-1", "name": "node-1", "labels": "{}", "kernel": "k", "agent_version": "v", "join_token_name": nil,
            "enrolled_us": Int64(0), "last_heartbeat_us": nil, "revoked_us": nil, "applied_revision": nil, "apply_error": nil,
            "failed_revision": nil, "policy_generation": Int64(0), "rules_loaded": Int64(0), "decisions": "{}", "losses": "{}",
            "events_buffered": Int64(0),
        ]))
    }
}
