import Foundation
import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

/// Working through many alerts: the total, most recently seen first a page at a time, filters,
/// acknowledging many at once, and silences that hold back new alerts until they expire.
@Suite struct AlertTriageTests {
    @Test(arguments: Backend.enabled)
    func pagesFiltersBulkAcknowledgeAndSilences(_ backend: Backend) async throws {
        try await TestServer.with(backend) { _, api in
            let node = try await api.enroll("web-1")
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            // 25 alert-rule hits, each to its own destination: 25 alerts, the later ones seen later.
            let events = (0..<25).map { index in
                Fixtures.event(
                    exe: index % 5 == 0 ? "/usr/bin/nc" : "/usr/bin/curl", destination: "10.9.9.\(index)", port: 25, verdict: .alert,
                    policy: "mail", rule: "smtp", time: now - Int64(25 - index) * 1_000_000_000)
            }
            _ = try await api.uploaded(events.map(\.jsonLine), sequence: 0, credential: node.credential)
            let admin = api.client()

            // Pages of 10, most recently seen first, and the total on every page.
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await admin.listAlerts(query: .init(cursor: cursor, limit: 10)).ok.body.json
                #expect(page.total == 25)
                seen += page.items.map(\.destination)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen == (0..<25).reversed().map { "10.9.9.\($0)" })
            let byExe = try await admin.listAlerts(query: .init(exe: "/usr/bin/nc")).ok.body.json
            #expect(byExe.total == 5 && byExe.items.allSatisfy { $0.exe == "/usr/bin/nc" })
            #expect(try await api.status { try await admin.listAlerts(query: .init(cursor: "nope")).ok.body.json } == 400)

            // Many at once: only the open ones count.
            let ids = try await admin.listAlerts(query: .init(limit: 3)).ok.body.json.items.map(\.id)
            let operatorToken = try await api.user("otto", role: ._operator)
            let asOperator = api.client(token: .some(operatorToken))
            #expect(try await asOperator.acknowledgeAlerts(body: .json(.init(ids: ids, note: "bulk"))).ok.body.json.acknowledged == 3)
            #expect(try await asOperator.acknowledgeAlerts(body: .json(.init(ids: ids))).ok.body.json.acknowledged == 0)
            #expect(try await admin.listAlerts(query: .init(state: .open)).ok.body.json.total == 22)
            let viewer = try await api.user("vera", role: .viewer)
            #expect(try await api.refusal { try await api.client(token: .some(viewer)).acknowledgeAlerts(body: .json(.init(ids: ids))) }.status == 403)

            // A silence of one application: its new alerts arrive acknowledged by the silence, others open.
            let silence = try await asOperator.createSilence(
                body: .json(.init(match: .init(exe: "/usr/bin/nc"), durationSeconds: 3600, comment: "pentest this week"))
            ).created.body.json
            #expect(silence.active && silence.createdBy == "otto")
            let later = [
                Fixtures.event(exe: "/usr/bin/nc", destination: "10.8.8.1", port: 25, verdict: .alert, policy: "mail", rule: "smtp", time: now),
                Fixtures.event(exe: "/usr/bin/nc", destination: "10.8.8.1", port: 25, verdict: .alert, policy: "mail", rule: "smtp", time: now + 1),
                Fixtures.event(exe: "/usr/bin/curl", destination: "10.8.8.2", port: 25, verdict: .alert, policy: "mail", rule: "smtp", time: now),
            ]
            _ = try await api.uploaded(later.map(\.jsonLine), sequence: 1, credential: node.credential)
            let quiet = try await admin.listAlerts(query: .init(exe: "/usr/bin/nc", limit: 1)).ok.body.json.items.first
            #expect(quiet?.destination == "10.8.8.1" && quiet?.state == .acknowledged && quiet?.count == 2)
            #expect(quiet?.acknowledgedBy == "silence #\(silence.id)")
            let loud = try await admin.listAlerts(query: .init(state: .open, limit: 1)).ok.body.json.items.first
            #expect(loud?.destination == "10.8.8.2")
            #expect(try await admin.listSilences().ok.body.json.first?.silenced == 1)

            // Ended: the next one opens.
            #expect(try await asOperator.endSilence(path: .init(id: silence.id)).ok.body.json.active == false)
            let after = Fixtures.event(exe: "/usr/bin/nc", destination: "10.8.8.3", port: 25, verdict: .alert, policy: "mail", rule: "smtp", time: now + 2)
            _ = try await api.uploaded([after.jsonLine], sequence: 2, credential: node.credential)
            #expect(try await admin.listAlerts(query: .init(state: .open, exe: "/usr/bin/nc")).ok.body.json.items.contains { $0.destination == "10.8.8.3" })

            // A silence must match something and say why.
            let everything = try await api.refusal {
                try await asOperator.createSilence(body: .json(.init(match: .init(), durationSeconds: 3600, comment: "all"))).created.body.json
            }
            #expect(everything.status == 400 && everything.message.contains("at least one"))
        }
    }
}
