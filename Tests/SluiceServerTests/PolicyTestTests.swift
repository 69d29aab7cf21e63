import Foundation
import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

/// `POST /api/v1/policies/test`: candidate policies replayed over stored decisions.
@Suite struct PolicyTestTests {
    typealias Report = Components.Schemas.PolicyTestReport

    /// The request for `documents`, through the generated client.
    static func test(
        _ api: APIClient, _ documents: [String], selector: [String: String]? = nil, since: String? = nil, limit: Int? = nil, token: String?? = .none
    ) async throws -> Report {
        let body = Components.Schemas.PolicyTestRequest(
            documents: documents, nodeSelector: selector.map { .init(additionalProperties: $0) }, since: since, limit: limit)
        return try await api.client(token: token).testPolicies(body: .json(body)).ok.body.json
    }

    /// `curl` allowed to 10.0.0.0/8:443 and, with `default: deny`, nothing else.
    static let lockdown = Fixtures.policy("curl", extra: "  default: deny\n")

    @Test(arguments: Backend.enabled)
    func replaysStoredDecisionsOfTheNodesThePushChanges(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let web = try await api.enroll("web-1", labels: ["env": "prod"])
            let db = try await api.enroll("db-1", labels: ["env": "lab"])
            _ = try await api.pushed([Fixtures.policy("curl")])
            let base = Int64(Date().timeIntervalSince1970 * 1e9) - 3_600_000_000_000
            func at(_ second: Int64) -> Int64 { base + second * 1_000_000_000 }
            var webEvents = (0..<3).map { Fixtures.event(policy: "curl", time: at($0)) }
            webEvents += (3..<5).map { Fixtures.event(port: 22, policy: nil, rule: "node-default", time: at($0)) }
            // Decided on the node by a policy the server never held.
            webEvents.append(Fixtures.event(port: 80, verdict: .deny, policy: "local-only", rule: "egress[0]", time: at(5)))
            var flow = Fixtures.event(time: at(6))
            flow.flow = FlowCounts(flowID: 9, bytesSent: 1, bytesReceived: 2, packetsSent: 1, packetsReceived: 1, durationMilliseconds: 1, final: true)
            webEvents.append(flow)
            _ = try await api.uploaded(webEvents.map(\.jsonLine), sequence: 0, credential: web.credential)
            let dbEvents = [Fixtures.event(port: 22, policy: nil, rule: "node-default", time: at(7))]
            _ = try await api.uploaded(dbEvents.map(\.jsonLine), sequence: 0, credential: db.credential)

            let report = try await Self.test(api, [Self.lockdown], since: "1d")
            #expect(report.nodes == ["db-1", "web-1"])
            // The flow record is not even read: the query asks for decisions.
            #expect(report.events == 7 && report.skipped == 0)
            #expect(report.newlyDenied == 3 && report.applicationsNewlyDenied == 1 && report.unknown == 1)
            #expect(report.incomplete == nil)
            let ssh = try #require(report.rows.first)
            #expect(ssh.application == "/usr/bin/curl" && ssh.destination == "10.1.2.3" && ssh.port == 22)
            #expect(ssh.changes == [.init(from: "allow", to: "deny", count: 3, newlyDenied: true)])
            #expect(ssh.before == ["node-default"] && ssh.after == ["curl/default"])
            #expect(Set(ssh.examples.map(\.node)) == ["web-1", "db-1"])
            let unknown = try #require(report.rows.first { $0.unknown > 0 })
            #expect(unknown.port == 80 && unknown.unknownReasons.first?.hasPrefix("recorded deny by local-only/egress[0]") == true)

            // The same change for prod nodes only: db-1 loses the policy (its allows stay
            // allows) and only web-1's decisions newly fail.
            let prod = try await Self.test(api, [Self.lockdown], selector: ["env": "prod"])
            #expect(prod.newlyDenied == 2 && prod.events == 7)
            #expect(prod.rows.first?.examples.map(\.node) == ["web-1", "web-1"])

            // Bounded: the newest 2 decisions only, said so.
            let bounded = try await Self.test(api, [Self.lockdown], limit: 2)
            #expect(bounded.events == 2)
            #expect(bounded.incomplete?.contains("only the newest 2 decisions") == true)

            // A push that changes nothing replays nothing, and says why.
            let same = try await Self.test(api, [Fixtures.policy("curl")])
            #expect(same.events == 0 && same.notes.first?.contains("no node's policies") == true)
            #expect(try await server.app.store.eventCount() == 8)
        }
    }

    @Test(arguments: Backend.enabled)
    func checksItsInputAndRole(_ backend: Backend) async throws {
        try await TestServer.with(backend) { _, api in
            let viewer = try await api.user("vera", role: .viewer)
            #expect(try await api.status { try await Self.test(api, [Self.lockdown], token: .some(viewer)) } == 403)
            #expect(try await api.status { try await Self.test(api, [Self.lockdown], since: "last week") } == 400)
            let broken = try await api.refusal { try await Self.test(api, ["kind: Policy\n"]) }
            #expect(broken.status == 422 && broken.message.contains("rejected"))
            #expect(try await api.status { try await Self.test(api, [Self.lockdown], limit: 0) } == 400)
        }
    }
}
