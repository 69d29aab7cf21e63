import Foundation
import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

/// `GET /api/v1/rules/{node}/{rule}/preview`: approving a learned rule, replayed over the node's
/// stored decisions.
@Suite struct RulePreviewTests {
    static func rule(_ id: String, state: LearnedRule.State, to destination: String) -> LearnedRule {
        LearnedRule(
            id: id, executable: "/usr/bin/curl", cgroup: nil, destination: destination, port: 443, transport: .tcp, action: .deny,
            reasons: ["deny: a destination never seen"], score: 30, threshold: 20, created: Int64(Date().timeIntervalSince1970 * 1e9),
            expires: Int64(Date().timeIntervalSince1970 * 1e9) + 86_400_000_000_000, state: state)
    }

    @Test(arguments: Backend.enabled)
    func approvingReplaysTheApprovedPolicyInPlaceOfTheLearnedRule(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let web = try await api.enroll("web-1", labels: ["env": "prod"])
            let other = try await api.enroll("db-1")
            _ = try await api.pushed([Fixtures.policy("curl")])
            let rules = [
                Self.rule("lr-00000001", state: .proposed, to: "192.0.2.7"), Self.rule("lr-00000002", state: .installed, to: "192.0.2.8"),
                Self.rule("lr-00000003", state: .rejected, to: "192.0.2.9"),
            ]
            _ = try await api.client(token: .some(web.credential)).uploadLearnedRules(body: .json(try rules.map(Components.Schemas.LearnedRule.init))).ok
            let events =
                (0..<3).map { _ in Fixtures.event(destination: "192.0.2.7", policy: nil, rule: "node-default") }
                + [
                    Fixtures.event(destination: "192.0.2.8", verdict: .deny, policy: "learned-lr-00000002", rule: "learned"),
                    Fixtures.event(policy: "curl", rule: "out"),
                ]
            _ = try await api.uploaded(events.map(\.jsonLine), sequence: 0, credential: web.credential)
            // Another node's traffic to the same address is not the rule's node's.
            _ = try await api.uploaded(
                [Fixtures.event(destination: "192.0.2.7", policy: nil, rule: "node-default").jsonLine], sequence: 0, credential: other.credential)

            let operatorToken = try await api.user("olga", role: ._operator)
            let client = api.client(token: .some(operatorToken))
            func preview(_ rule: String, node: String = web.id) async throws -> Components.Schemas.PolicyTestReport {
                try await client.previewLearnedRule(path: .init(node: node, rule: rule), query: .init(since: "1d")).ok.body.json
            }
            let proposed = try await preview("lr-00000001")
            #expect(proposed.nodes == ["web-1"] && proposed.events == 5)
            #expect(proposed.newlyDenied == 3 && proposed.unknown == 0 && proposed.unchanged == 2)
            let row = try #require(proposed.rows.first)
            #expect(row.destination == "192.0.2.7" && row.before == ["node-default"] && row.after == ["approved-lr-00000001/learned"])

            // In force already: the learned rule's decisions reproduce, and approving changes none.
            let installed = try await preview("lr-00000002")
            #expect(installed.unknown == 0 && installed.changed == 0 && installed.unchanged == 5)
            #expect(installed.notes.first?.contains("installed") == true)

            #expect(try await api.refusal { try await preview("lr-00000003") }.status == 409)
            #expect(try await api.status { try await preview("lr-00000009") } == 404)
            #expect(try await api.status { try await preview("lr-00000001", node: "n-missing") } == 404)
            let viewer = api.client(token: .some(try await api.user("vera", role: .viewer)))
            #expect(try await api.status { try await viewer.previewLearnedRule(path: .init(node: web.id, rule: "lr-00000001")).ok } == 403)
            #expect(try await api.status { try await client.previewLearnedRule(path: .init(node: web.id, rule: "lr-00000001"), query: .init(since: "soon")).ok } == 400)
            #expect(try await server.app.store.eventCount() == 6)
        }
    }
}
