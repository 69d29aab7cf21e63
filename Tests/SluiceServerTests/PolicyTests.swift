import Foundation
import HTTPTypes
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceServer

@Suite struct PolicyTests {
    @Test(arguments: Backend.enabled)
    func pushHistoryDiffRollbackDelete(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            // Two policies in one text: versioned one by one.
            let both = Fixtures.policy("curl") + "---\n" + Fixtures.policy("wget", port: 80)
            let first = try api.decode(PolicyChangeResponse.self, try await api.push([both], message: "first"))
            #expect(first.revision == 1)
            #expect(first.created.map(\.name) == ["curl", "wget"])
            #expect(first.created.allSatisfy { $0.version == 1 && $0.author == "admin" && $0.message == "first" })
            #expect(first.created[0].yaml == Fixtures.policy("curl"))
            #expect(first.created[1].yaml.contains("name: wget"))
            #expect(!first.created[1].yaml.contains("---"))

            // Unchanged: nothing new, no new revision.
            let same = try await api.push([Fixtures.policy("curl")])
            #expect(same.status == .ok)
            let unchanged = try api.decode(PolicyChangeResponse.self, same)
            #expect(unchanged.created.isEmpty)
            #expect(unchanged.unchanged == ["curl"])
            #expect(unchanged.revision == 1)

            // A change: v2, one revision more.
            let second = try api.decode(PolicyChangeResponse.self, try await api.push([Fixtures.policy("curl", port: 8443)], message: "port"))
            #expect(second.revision == 2)
            #expect(second.created.map(\.version) == [2])

            let history = try api.decode([PolicyVersion].self, try await api.request(.get, "/api/v1/policies/curl/history"))
            #expect(history.map(\.version) == [2, 1])
            let v1 = try api.decode(PolicyVersion.self, try await api.request(.get, "/api/v1/policies/curl/versions/1"))
            #expect(v1.yaml.contains("ports: [443]"))

            let diff = try api.decode(PolicyDiff.self, try await api.request(.get, "/api/v1/policies/curl/diff?from=1&to=2"))
            #expect(diff.diff.contains("--- curl@v1\n+++ curl@v2\n"))
            #expect(diff.diff.contains("-      ports: [443]\n+      ports: [8443]\n"))
            let defaultDiff = try api.decode(PolicyDiff.self, try await api.request(.get, "/api/v1/policies/curl/diff"))
            #expect(defaultDiff.from == 1 && defaultDiff.to == 2)

            // Rollback: a new version with v1's content.
            let rolled = try api.decode(
                PolicyChangeResponse.self, try await api.request(.post, "/api/v1/policies/curl/rollback", json: PolicyRollbackRequest(version: 1)))
            #expect(rolled.created.first?.version == 3)
            #expect(rolled.created.first?.message == "rollback to v1")
            #expect(rolled.created.first?.yaml == v1.yaml)
            #expect(rolled.revision == 3)

            // Delete: a deleted version; gone from the list and from bundles.
            let deleted = try api.decode(PolicyChangeResponse.self, try await api.request(.delete, "/api/v1/policies/wget?message=retired"))
            #expect(deleted.created.first?.deleted == true)
            #expect(deleted.created.first?.version == 2)
            let listed = try api.decode([PolicyVersion].self, try await api.request(.get, "/api/v1/policies"))
            #expect(listed.map(\.name) == ["curl"])
            let withDeleted = try api.decode([PolicyVersion].self, try await api.request(.get, "/api/v1/policies?include_deleted=true"))
            #expect(withDeleted.map(\.name) == ["curl", "wget"])
            #expect(try await api.request(.delete, "/api/v1/policies/wget").status == .conflict)
            // Rolling back to before the delete restores it.
            let restored = try api.decode(
                PolicyChangeResponse.self, try await api.request(.post, "/api/v1/policies/wget/rollback", json: PolicyRollbackRequest(version: 1)))
            #expect(restored.created.first?.deleted == false)

            #expect(try await api.request(.get, "/api/v1/policies/nope/history").status == .notFound)
            #expect(try await api.request(.get, "/api/v1/policies/curl/versions/99").status == .notFound)
            #expect(try await api.request(.get, "/api/v1/policies/curl/versions/abc").status == .badRequest)

            // Audit: every change, with who.
            let audit = try api.decode(Page<AuditEntry>.self, try await api.request(.get, "/api/v1/audit?action=policy"))
            #expect(audit.items.map(\.action).filter { $0.hasPrefix("policy.") }.count == 6)
            #expect(audit.items.allSatisfy { $0.actor == "user:admin" })
        }
    }

    @Test(arguments: Backend.enabled)
    func invalidPushIsRejectedWhole(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let bad = """
                apiVersion: sluice/v1
                kind: Policy
                metadata:
                  name: broken
                spec:
                  egres:
                    - action: allow
                """
            let request = PolicyPushRequest(
                documents: [Fixtures.policy("curl"), bad, Fixtures.policy("wget").replacingOccurrences(of: "10.0.0.0/8", with: "10.0.0.1/8")],
                fileNames: ["curl.yaml", "broken.yaml", "wget.yaml"], message: "mixed")
            let response = try await api.request(.post, "/api/v1/policies", json: request)
            #expect(response.status == .unprocessableContent)
            let body = try #require(api.error(response))
            #expect(body.error.contains("nothing was stored"))
            let details = body.details ?? []
            #expect(details.contains { $0.hasPrefix("broken.yaml:6:3: error: spec.egres:") && $0.contains("did you mean \"egress\"") })
            #expect(details.contains { $0.hasPrefix("wget.yaml:") && $0.contains("host bits") })
            // Nothing stored, no revision.
            #expect(try api.decode([PolicyVersion].self, try await api.request(.get, "/api/v1/policies")).isEmpty)
            #expect(try await server.app.store.currentRevision() == 0)

            // A push that contradicts a stored policy reaching the same nodes.
            _ = try api.decode(PolicyChangeResponse.self, try await api.push([Fixtures.policy("curl")], selector: ["env": "prod"]))
            let contradiction = Fixtures.policy("curl", action: "deny").replacingOccurrences(of: "name: curl", with: "name: curl-deny")
            let conflict = try await api.push([contradiction])
            #expect(conflict.status == .unprocessableContent)
            #expect(api.error(conflict)?.details?.contains { $0.contains("server:curl@v1") || $0.contains("document[0]") } == true)
            #expect(try await api.push([contradiction], selector: ["env": "prod", "zone": "a"]).status == .unprocessableContent)
            // The same policy for other nodes only: no shared node, accepted.
            let elsewhere = try await api.push([contradiction], selector: ["env": "lab"])
            #expect(elsewhere.status == .created)

            // Malformed requests.
            #expect(try await api.request(.post, "/api/v1/policies", json: PolicyPushRequest(documents: [])).status == .badRequest)
            #expect(try await api.request(.post, "/api/v1/policies", json: PolicyPushRequest(documents: ["# nothing\n"])).status == .unprocessableContent)
            let mismatched = PolicyPushRequest(documents: [Fixtures.policy("a")], fileNames: ["a.yaml", "b.yaml"])
            #expect(try await api.request(.post, "/api/v1/policies", json: mismatched).status == .badRequest)
        }
    }

    @Test(arguments: Backend.enabled)
    func nodeSelectorsChooseNodes(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let prod = try await api.enroll("prod-1", labels: ["env": "prod"])
            let dev = try await api.enroll("dev-1", labels: ["env": "dev"])
            // Everyone; by push option; by the policy's own label.
            _ = try api.decode(PolicyChangeResponse.self, try await api.push([Fixtures.policy("base")]))
            _ = try api.decode(PolicyChangeResponse.self, try await api.push([Fixtures.policy("prodonly")], selector: ["env": "prod"]))
            let labelled = Fixtures.policy("devonly", labels: "sluice.io/nodes: \"env=dev\"")
            let pushed = try api.decode(PolicyChangeResponse.self, try await api.push([labelled]))
            #expect(pushed.created.first?.nodeSelector == ["env": "dev"])

            func bundle(_ credential: String) async throws -> PolicyBundle {
                try api.decode(PolicyBundle.self, try await api.request(.get, AgentPaths.policy, token: .some(credential)))
            }
            let prodBundle = try await bundle(prod.credential)
            #expect(prodBundle.revision == 3)
            #expect(prodBundle.policies.map(\.name) == ["base", "prodonly"])
            #expect(try await bundle(dev.credential).policies.map(\.name) == ["base", "devonly"])

            // Relabelling a node changes its bundle and bumps the revision.
            let relabelled = try api.decode(
                NodeInfo.self, try await api.request(.put, "/api/v1/nodes/\(dev.id)/labels", json: NodeLabelsRequest(labels: ["env": "prod"])))
            #expect(relabelled.currentRevision == 4)
            let devNow = try await bundle(dev.credential)
            #expect(devNow.revision == 4)
            #expect(devNow.policies.map(\.name) == ["base", "prodonly"])

            // A bad selector label is a diagnostic.
            let badSelector = try await api.push([Fixtures.policy("oops", labels: "sluice.io/nodes: \"env\"")])
            #expect(badSelector.status == .unprocessableContent)
            #expect(api.error(badSelector)?.details?.first?.contains("sluice.io/nodes") == true)
        }
    }

    @Test(arguments: Backend.enabled)
    func longPollWakesOnPushAndTimesOut(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let node = try await api.enroll("poller")
            let initial = try api.decode(PolicyBundle.self, try await api.request(.get, AgentPaths.policy, token: .some(node.credential)))
            #expect(initial.revision == 0)
            #expect(initial.policies.isEmpty)

            // Nothing new within the wait: 304.
            let clock = ContinuousClock()
            let start = clock.now
            let timeout = try await api.request(.get, AgentPaths.policy + "?after=0&wait=1", token: .some(node.credential))
            #expect(timeout.status == .notModified)
            #expect(clock.now - start >= .milliseconds(900))

            // A push wakes the waiting poll at once.
            async let waited = api.request(.get, AgentPaths.policy + "?after=0&wait=30", token: .some(node.credential))
            // Push only once the poll waits, so that the push is what answers it.
            try await eventually("the poll waits for a revision") { server.app.watcher.waiterCount == 1 }
            let pushedAt = clock.now
            _ = try api.decode(PolicyChangeResponse.self, try await api.push([Fixtures.policy("curl")]))
            let answer = try await waited
            let latency = clock.now - pushedAt
            #expect(answer.status == .ok)
            #expect(try api.decode(PolicyBundle.self, answer).revision == 1)
            // Woken by the push, not by the end of its 30 s wait (how fast is the benchmark's to say).
            #expect(latency < .seconds(15))
            // Behind: answered at once.
            let behind = try await api.request(.get, AgentPaths.policy + "?after=0&wait=30", token: .some(node.credential))
            #expect(try api.decode(PolicyBundle.self, behind).policies.map(\.name) == ["curl"])
            // Ahead of the server (a reset database): the current bundle at once.
            let ahead = try await api.request(.get, AgentPaths.policy + "?after=99&wait=30", token: .some(node.credential))
            #expect(try api.decode(PolicyBundle.self, ahead).revision == 1)
            #expect(try await api.request(.get, AgentPaths.policy + "?after=x", token: .some(node.credential)).status == .badRequest)
            #expect(try await api.request(.get, AgentPaths.policy + "?wait=61", token: .some(node.credential)).status == .badRequest)
        }
    }
}
