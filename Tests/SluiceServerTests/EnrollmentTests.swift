import Foundation
import HTTPTypes
import HummingbirdTesting
import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

@Suite struct EnrollmentTests {
    @Test(arguments: Backend.enabled)
    func enrollHeartbeatAndRevoke(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let token = try await api.joinToken(labels: ["env": "prod", "team": "web"], claims: ["zone"], reuseNames: true)
            let node = try await api.enroll("web-1", labels: ["env": "dev", "zone": "a"], joinToken: token)
            #expect(node.id.hasPrefix("n-"))
            #expect(node.credential.hasPrefix("sln_"))

            // The token's labels win over the node's own; the node adds those it may claim.
            let shown = try await api.client().showNode(path: .init(id: node.id)).ok.body.json
            #expect(shown.labels.additionalProperties == ["env": "prod", "team": "web", "zone": "a"])
            #expect(shown.joinToken == "fleet")
            #expect(shown.lastHeartbeat == nil)

            let beat = try await api.heartbeat(node.credential, applied: 0)
            #expect(beat.revoked == false)
            #expect(beat.heartbeatSeconds == 10)
            let after = try await api.client().showNode(path: .init(id: node.id)).ok.body.json
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
            let tokens = try await api.client().listJoinTokens().ok.body.json
            #expect(tokens.first?.uses == 2)

            // Revoked: refused on every agent endpoint, with a message.
            _ = try await api.client().revokeNode(path: .init(id: node.id)).ok.body.json
            let refused = try await api.refusal { try await api.heartbeat(node.credential) }
            #expect(refused.status == 403)
            #expect(refused.message.contains("revoked"))
            let asNode = api.client(token: .some(node.credential))
            #expect(try await api.refusal { try await asNode.pollPolicy() }.status == 403)
            #expect(try await api.upload([Fixtures.event().jsonLine], sequence: 0, credential: node.credential).status == .forbidden)
            #expect(try await api.refusal { try await asNode.uploadLearnedRules(body: .json([])) }.status == 403)
            // The other node still works.
            #expect(try await api.heartbeat(again.credential).revoked == false)
            // Revoked nodes are left out of the list unless asked for.
            let listed = try await api.client().listNodes().ok.body.json
            #expect(listed.map(\.id) == [again.id])
            let all = try await api.client().listNodes(query: .init(includeRevoked: true)).ok.body.json
            #expect(Set(all.map(\.id)) == [node.id, again.id])
        }
    }

    /// A token holder cannot pose as another node: labels beyond the token's need a claim, and a
    /// name an enrolled node has is refused until that node is revoked (or the token allows reuse).
    @Test(arguments: Backend.enabled)
    func tokensDecideLabelsAndNames(_ backend: Backend) async throws {
        try await TestServer.with(backend) { _, api in
            let plain = try await api.joinToken(labels: ["role": "worker"], name: "plain")
            let claimed = try await api.refusal { try await api.enroll("w-1", labels: ["env": "prod"], joinToken: plain) }
            #expect(claimed.status == 403)
            #expect(claimed.message.contains("env=prod"))
            #expect(claimed.message.contains("plain"))
            // Asking for the token's own label is no claim: the node gets the token's value.
            let worker = try await api.enroll("w-1", labels: ["role": "admin"], joinToken: plain)
            #expect(try await api.client().showNode(path: .init(id: worker.id)).ok.body.json.labels.additionalProperties == ["role": "worker"])

            let zoned = try await api.joinToken(claims: ["zone=eu-1", "rack"], name: "zoned")
            let eu = try await api.enroll("w-2", labels: ["zone": "eu-1", "rack": "r7"], joinToken: zoned)
            #expect(try await api.client().showNode(path: .init(id: eu.id)).ok.body.json.labels.additionalProperties == ["zone": "eu-1", "rack": "r7"])
            #expect(try await api.refusal { try await api.enroll("w-3", labels: ["zone": "us-1"], joinToken: zoned) }.status == 403)
            let info = try await api.client().listJoinTokens().ok.body.json.first { $0.name == "zoned" }
            #expect(info?.claimableLabels == ["zone=eu-1", "rack"])
            #expect(info?.reuseNames == false)

            // The name of an enrolled node: refused, naming the node to revoke.
            let taken = try await api.refusal { try await api.enroll("w-1", joinToken: zoned) }
            #expect(taken.status == 409)
            #expect(taken.message.contains(worker.id))
            // A token that allows reuse (a reinstalled host), or the old node revoked, lets it in.
            let reinstall = try await api.joinToken(reuseNames: true, name: "reinstall")
            #expect(try await api.enroll("w-1", joinToken: reinstall).id != worker.id)
            _ = try await api.client().revokeNode(path: .init(id: eu.id)).ok.body.json
            #expect(try await api.enroll("w-2", joinToken: zoned).id != eu.id)

            // Bad claims are refused when the token is made.
            let bad = try await api.refusal {
                try await api.client().createJoinToken(body: .json(.init(name: "bad", claimableLabels: ["bad key!"]))).created.body.json
            }
            #expect(bad.status == 400)
        }
    }

    @Test(arguments: Backend.enabled)
    func joinTokensAreCheckedAndRevocable(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let admin = api.client()
            let created = try await admin.createJoinToken(
                body: .json(.init(name: "ci", labels: .init(additionalProperties: ["env": "ci"]), expiresIn: 3600))
            ).created.body.json
            #expect(created.token.hasPrefix("slj_"))
            #expect(created.info.expires != nil)
            let unknown = try await api.refusal { try await api.enroll("x", joinToken: "slj_" + String(repeating: "0", count: 64)) }
            #expect(unknown.status == 401)

            _ = try await admin.revokeJoinToken(path: .init(id: created.info.id)).ok.body.json
            let revoked = try await api.refusal { try await api.enroll("x", joinToken: created.token) }
            #expect(revoked.status == 403)
            #expect(revoked.message.contains("revoked"))

            // An expired one.
            let expired = try await admin.createJoinToken(body: .json(.init(name: "old", expiresIn: 60))).created.body.json
            try await server.app.store.database.transaction { session in
                try await session.sql.raw("UPDATE join_tokens SET expires_us = \(bind: Micros.now() - 1) WHERE id = \(bind: expired.info.id)").run()
            }
            let late = try await api.refusal { try await api.enroll("x", joinToken: expired.token) }
            #expect(late.status == 403)
            #expect(late.message.contains("expired"))

            // Bad input: a 400 that says what.
            #expect(try await api.refusal { try await api.enroll("bad name!", joinToken: created.token) }.status == 400)
            #expect(try await api.refusal { try await api.enroll("ok", labels: ["bad key!": "x"], joinToken: created.token) }.status == 400)
            // Sent raw: the generated client cannot leave out a required field or send what is not JSON.
            func enroll(_ body: String) async throws -> TestResponse {
                try await api.request(.post, "/api/v1/agent/enroll", token: .some(nil), body: .init(string: body))
            }
            let missing = try await enroll(#"{"node_name":"x"}"#)
            #expect(missing.status == .badRequest)
            #expect(api.error(missing)?.error.contains("join_token") == true)
            #expect(try await enroll("{nope").status == .badRequest)
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
            let nodes = try await api.client().listNodes().ok.body.json
            let byName = Dictionary(uniqueKeysWithValues: nodes.map { ($0.name, $0) })
            #expect(byName["fresh"]?.stale == false)
            #expect(byName["quiet"]?.stale == true)
            #expect(byName["quiet"]?.rollout == .stale)
            #expect(byName["broken"]?.rollout == .failed)
            #expect(byName["broken"]?.applyError == "spec.egress[0]: no such thing")

            let rollout = try await api.client().rollout().ok.body.json
            #expect(rollout.revision == 1)
            #expect(rollout.counts.additionalProperties == ["applied": 1, "pending": 0, "failed": 1, "stale": 1, "revoked": 0])
            #expect(rollout.nodes.first { $0.name == "broken" }?.error == "spec.egress[0]: no such thing")
            // A second push makes the applied node pending.
            _ = try await api.push([Fixtures.policy("wget")])
            let later = try await api.client().rollout().ok.body.json
            #expect(later.counts.additionalProperties["pending"] == 2)
            let stale = try await api.client().listNodes(query: .init(rollout: .stale)).ok.body.json
            #expect(stale.map(\.name) == ["quiet"])
        }
    }
}
