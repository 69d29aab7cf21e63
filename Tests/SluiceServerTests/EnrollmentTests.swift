import Foundation
import HTTPTypes
import SluiceCore
import Testing

@testable import SluiceServer

@Suite struct EnrollmentTests {
    @Test(arguments: Backend.enabled)
    func enrollHeartbeatAndRevoke(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let token = try await api.joinToken(labels: ["env": "prod", "team": "web"])
            let node = try await api.enroll("web-1", labels: ["env": "dev", "zone": "a"], joinToken: token)
            #expect(node.id.hasPrefix("n-"))
            #expect(node.credential.hasPrefix("sln_"))

            // The token's labels win over the node's own.
            let shown = try api.decode(NodeInfo.self, try await api.request(.get, "/api/v1/nodes/\(node.id)"))
            #expect(shown.labels == ["env": "prod", "team": "web", "zone": "a"])
            #expect(shown.joinToken == "fleet")
            #expect(shown.lastHeartbeat == nil)

            let beat = try api.decode(HeartbeatResponse.self, try await api.heartbeat(node.credential, applied: 0))
            #expect(beat.revoked == false)
            #expect(beat.heartbeatSeconds == 10)
            let after = try api.decode(NodeInfo.self, try await api.request(.get, "/api/v1/nodes/\(node.id)"))
            #expect(after.lastHeartbeat != nil)
            #expect(after.rulesLoaded == 3)
            #expect(after.decisions.allow == 10)
            #expect(after.rollout == .applied)

            // The credential is stored hashed only.
            let stored = try await server.app.store.database.read { sql in
                try await sql.raw("SELECT credential_hash FROM nodes WHERE id = \(bind: node.id)").first()!.string("credential_hash")
            }
            #expect(stored == Secrets.digest(node.credential))
            #expect(stored != node.credential)

            // A re-enrolled name is a new node.
            let again = try await api.enroll("web-1", joinToken: token)
            #expect(again.id != node.id)
            let tokens = try api.decode([JoinTokenInfo].self, try await api.request(.get, "/api/v1/join-tokens"))
            #expect(tokens.first?.uses == 2)

            // Revoked: refused on every agent endpoint, with a message.
            _ = try api.decode(NodeInfo.self, try await api.request(.post, "/api/v1/nodes/\(node.id)/revoke"))
            let refused = try await api.heartbeat(node.credential)
            #expect(refused.status == .forbidden)
            #expect(api.error(refused)?.error.contains("revoked") == true)
            #expect(try await api.request(.get, AgentPaths.policy, token: .some(node.credential)).status == .forbidden)
            #expect(try await api.upload([Fixtures.event().jsonLine], sequence: 0, credential: node.credential).status == .forbidden)
            #expect(try await api.request(.post, AgentPaths.rules, token: .some(node.credential), body: .init(string: "[]")).status == .forbidden)
            // The other node still works.
            #expect(try await api.heartbeat(again.credential).status == .ok)
            // Revoked nodes are left out of the list unless asked for.
            let listed = try api.decode([NodeInfo].self, try await api.request(.get, "/api/v1/nodes"))
            #expect(listed.map(\.id) == [again.id])
            let all = try api.decode([NodeInfo].self, try await api.request(.get, "/api/v1/nodes?include_revoked=true"))
            #expect(Set(all.map(\.id)) == [node.id, again.id])
        }
    }

    @Test(arguments: Backend.enabled)
    func joinTokensAreCheckedAndRevocable(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let created = try api.decode(
                JoinTokenCreated.self,
                try await api.request(.post, "/api/v1/join-tokens", json: CreateJoinTokenRequest(name: "ci", labels: ["env": "ci"], expiresIn: 3600)))
            #expect(created.token.hasPrefix("slj_"))
            #expect(created.info.expires != nil)
            let unknown = try await api.request(
                .post, AgentPaths.enroll, token: .some(nil),
                json: EnrollRequest(joinToken: "slj_" + String(repeating: "0", count: 64), nodeName: "x", labels: [:], kernel: "k", agentVersion: "v"))
            #expect(unknown.status == .unauthorized)

            _ = try api.decode(JoinTokenInfo.self, try await api.request(.delete, "/api/v1/join-tokens/\(created.info.id)"))
            let revoked = try await api.request(
                .post, AgentPaths.enroll, token: .some(nil),
                json: EnrollRequest(joinToken: created.token, nodeName: "x", labels: [:], kernel: "k", agentVersion: "v"))
            #expect(revoked.status == .forbidden)
            #expect(api.error(revoked)?.error.contains("revoked") == true)

            // An expired one.
            let expired = try api.decode(
                JoinTokenCreated.self,
                try await api.request(.post, "/api/v1/join-tokens", json: CreateJoinTokenRequest(name: "old", expiresIn: 60)))
            try await server.app.store.database.transaction { session in
                try await session.sql.raw("UPDATE join_tokens SET expires_us = \(bind: Micros.now() - 1) WHERE id = \(bind: expired.info.id)").run()
            }
            let late = try await api.request(
                .post, AgentPaths.enroll, token: .some(nil),
                json: EnrollRequest(joinToken: expired.token, nodeName: "x", labels: [:], kernel: "k", agentVersion: "v"))
            #expect(late.status == .forbidden)
            #expect(api.error(late)?.error.contains("expired") == true)

            // Bad input: a 400 that says what.
            let badName = try await api.request(
                .post, AgentPaths.enroll, token: .some(nil),
                json: EnrollRequest(joinToken: created.token, nodeName: "bad name!", labels: [:], kernel: "k", agentVersion: "v"))
            #expect(badName.status == .badRequest)
            let badLabel = try await api.request(
                .post, AgentPaths.enroll, token: .some(nil),
                json: EnrollRequest(joinToken: created.token, nodeName: "ok", labels: ["bad key!": "x"], kernel: "k", agentVersion: "v"))
            #expect(badLabel.status == .badRequest)
            let missing = try await api.request(.post, AgentPaths.enroll, token: .some(nil), body: .init(string: #"{"node_name":"x"}"#))
            #expect(missing.status == .badRequest)
            #expect(api.error(missing)?.error.contains("join_token") == true)
            let notJSON = try await api.request(.post, AgentPaths.enroll, token: .some(nil), body: .init(string: "{nope"))
            #expect(notJSON.status == .badRequest)
        }
    }

    @Test(arguments: Backend.enabled)
    func staleNodesAndRollout(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let fresh = try await api.enroll("fresh")
            let quiet = try await api.enroll("quiet")
            let broken = try await api.enroll("broken")
            _ = try await api.push([Fixtures.policy("curl")])
            _ = try await api.heartbeat(fresh.credential, applied: 1)
            _ = try await api.heartbeat(quiet.credential, applied: 1)
            _ = try await api.heartbeat(broken.credential, applied: 0, error: "spec.egress[0]: no such thing", failed: 1)
            // Missed heartbeats: more than 3 × 10 s ago.
            try await server.app.store.setLastHeartbeat(nodeID: quiet.id, microseconds: Micros.now() - 31_000_000)
            let nodes = try api.decode([NodeInfo].self, try await api.request(.get, "/api/v1/nodes"))
            let byName = Dictionary(uniqueKeysWithValues: nodes.map { ($0.name, $0) })
            #expect(byName["fresh"]?.stale == false)
            #expect(byName["quiet"]?.stale == true)
            #expect(byName["quiet"]?.rollout == .stale)
            #expect(byName["broken"]?.rollout == .failed)
            #expect(byName["broken"]?.applyError == "spec.egress[0]: no such thing")

            let rollout = try api.decode(RolloutStatus.self, try await api.request(.get, "/api/v1/rollout"))
            #expect(rollout.revision == 1)
            #expect(rollout.counts == ["applied": 1, "pending": 0, "failed": 1, "stale": 1, "revoked": 0])
            #expect(rollout.nodes.first { $0.name == "broken" }?.error == "spec.egress[0]: no such thing")
            // A second push makes the applied node pending.
            _ = try await api.push([Fixtures.policy("wget")])
            let later = try api.decode(RolloutStatus.self, try await api.request(.get, "/api/v1/rollout"))
            #expect(later.counts["pending"] == 2)
            let stale = try api.decode([NodeInfo].self, try await api.request(.get, "/api/v1/nodes?rollout=stale"))
            #expect(stale.map(\.name) == ["quiet"])
        }
    }
}
