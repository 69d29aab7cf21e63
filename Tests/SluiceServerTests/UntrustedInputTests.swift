import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

/// What nodes report and what browsers can be made to send is not believed as it comes.
@Suite struct UntrustedInputTests {
    @Test func loginTakesOnlyJSON() async throws {
        try await TestServer.with(.sqlite) { _, api in
            let body = ByteBuffer(string: #"{"name":"admin","password":"\#(TestServer.adminPassword)"}"#)
            // What a form on another site can post without asking first.
            for contentType in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
                let response = try await api.request(.post, "/api/v1/login", token: .some(nil), body: body, headers: [.contentType: contentType])
                #expect(response.status == .unsupportedMediaType, "\(contentType)")
            }
            let json = try await api.request(
                .post, "/api/v1/login", token: .some(nil), body: body, headers: [.contentType: "Application/JSON; charset=utf-8"])
            #expect(json.status == .created)
        }
    }

    @Test func eventsFromTheFutureAreDatedWhenTheyArrive() async throws {
        try await TestServer.with(.sqlite) { server, api in
            let node = try await api.enroll("clock-ahead")
            // Whole microseconds, as events are stored.
            let now = Int64(Date().timeIntervalSince1970 * 1e6) * 1000
            let year2099: Int64 = 4_070_908_800 * 1_000_000_000
            let events = [
                Fixtures.event(destination: "10.0.0.1", time: year2099),
                Fixtures.event(destination: "10.0.0.2", time: now + 60 * 1_000_000_000),
            ]
            _ = try await api.uploaded(events.map(\.jsonLine), sequence: 0, credential: node.credential)
            let stored = try await api.request(.get, "/api/v1/events").body.lines.map { try DecisionEvent(jsonLine: $0) }
            let byDestination = Dictionary(uniqueKeysWithValues: stored.map { ($0.destination.description, $0.timeNanoseconds) })
            let dated = try #require(byDestination["10.0.0.1"])
            #expect(dated >= now && dated < now + 60 * 1_000_000_000, "2099 became the time it arrived")
            #expect(byDestination["10.0.0.2"] == now + 60 * 1_000_000_000, "a clock a minute ahead is believed")
        }
    }

    @Test func aNodeCannotReportARevisionNobodyPushed() async throws {
        try await TestServer.with(.sqlite) { _, api in
            let node = try await api.enroll("boastful")
            _ = try await api.push([Fixtures.policy("curl")])
            _ = try await api.heartbeat(node.credential, applied: 999_999)
            let nodes = try await api.client().listNodes().ok.body.json
            #expect(nodes.first?.appliedRevision == 1)
            // Revision 2 has not been applied just because the node claimed 999999 earlier.
            _ = try await api.push([Fixtures.policy("curl", port: 8443)])
            let counts = try await api.client().rollout().ok.body.json.counts.additionalProperties
            #expect(counts["applied"] == 0 && counts["pending"] == 1, "\(counts)")
        }
    }

    @Test func joinTokensExpireInADayUnlessToldOtherwise() async throws {
        try await TestServer.with(.sqlite) { _, api in
            let now = Date()
            func create(_ expiresIn: Int?) async throws -> Components.Schemas.JoinTokenInfo {
                try await api.client().createJoinToken(body: .json(.init(name: "t", expiresIn: expiresIn))).created.body.json.info
            }
            let byDefault = try #require(try await create(nil).expires)
            #expect(abs(byDefault.timeIntervalSince(now) - 86_400) < 60)
            #expect(try await create(0).expires == nil, "0: until revoked")
            #expect(try await create(3600).expires.map { abs($0.timeIntervalSince(now) - 3600) < 60 } == true)
        }
    }

    @Test func aJoinTokenEnrollsAtMostItsMaximumOfNodes() async throws {
        try await TestServer.with(.sqlite) { _, api in
            let admin = api.client()
            let created = try await admin.createJoinToken(body: .json(.init(name: "once", maxUses: 1))).created.body.json
            #expect(created.info.maxUses == 1)
            _ = try await api.enroll("first", joinToken: created.token)
            let second = try await api.refusal { try await api.enroll("second", joinToken: created.token) }
            #expect(second.status == 403)
            #expect(second.message.contains("enrolled its 1 node"))
            let listed = try await admin.listJoinTokens().ok.body.json
            #expect(listed.first { $0.name == "once" }.map { ($0.uses, $0.maxUses) } ?? (0, nil) == (1, 1))
        }
    }
}
