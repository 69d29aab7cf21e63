import Foundation
import HTTPTypes
import SluiceAPI
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
            let first = try await api.pushed([both], message: "first")
            #expect(first.revision == 1)
            #expect(first.created.map(\.name) == ["curl", "wget"])
            #expect(first.created.allSatisfy { $0.version == 1 && $0.author == "admin" && $0.message == "first" })
            #expect(first.created[0].yaml == Fixtures.policy("curl"))
            #expect(first.created[1].yaml.contains("name: wget"))
            #expect(!first.created[1].yaml.contains("---"))

            // Unchanged: nothing new, no new revision.
            let same = try await api.push([Fixtures.policy("curl")])
            #expect(same.status == .ok)
            let unchanged = try api.decode(Components.Schemas.PolicyChangeResponse.self, same)
            #expect(unchanged.created.isEmpty)
            #expect(unchanged.unchanged == ["curl"])
            #expect(unchanged.revision == 1)

            // A change: v2, one revision more.
            let second = try await api.pushed([Fixtures.policy("curl", port: 8443)], message: "port")
            #expect(second.revision == 2)
            #expect(second.created.map(\.version) == [2])

            let admin = api.client()
            let history = try await admin.policyHistory(path: .init(name: "curl")).ok.body.json
            #expect(history.map(\.version) == [2, 1])
            let v1 = try await admin.policyVersion(path: .init(name: "curl", version: 1)).ok.body.json
            #expect(v1.yaml.contains("ports: [443]"))

            let diff = try await admin.policyDiff(path: .init(name: "curl"), query: .init(from: 1, to: 2)).ok.body.json
            #expect(diff.diff.contains("--- curl@v1\n+++ curl@v2\n"))
            #expect(diff.diff.contains("-      ports: [443]\n+      ports: [8443]\n"))
            let defaultDiff = try await admin.policyDiff(path: .init(name: "curl")).ok.body.json
            #expect(defaultDiff.from == 1 && defaultDiff.to == 2)

            // Rollback: a new version with v1's content.
            let rolled = try await admin.rollbackPolicy(path: .init(name: "curl"), body: .json(.init(version: 1))).created.body.json
            #expect(rolled.created.first?.version == 3)
            #expect(rolled.created.first?.message == "rollback to v1")
            #expect(rolled.created.first?.yaml == v1.yaml)
            #expect(rolled.revision == 3)

            // Delete: a deleted version; gone from the list and from bundles.
            let deleted = try await admin.deletePolicy(path: .init(name: "wget"), query: .init(message: "retired")).created.body.json
            #expect(deleted.created.first?.deleted == true)
            #expect(deleted.created.first?.version == 2)
            let listed = try await admin.listPolicies().ok.body.json
            #expect(listed.map(\.name) == ["curl"])
            let withDeleted = try await admin.listPolicies(query: .init(includeDeleted: true)).ok.body.json
            #expect(withDeleted.map(\.name) == ["curl", "wget"])
            #expect(try await api.refusal { try await admin.deletePolicy(path: .init(name: "wget")) }.status == 409)
            // Rolling back to before the delete restores it.
            let restored = try await admin.rollbackPolicy(path: .init(name: "wget"), body: .json(.init(version: 1))).created.body.json
            #expect(restored.created.first?.deleted == false)

            #expect(try await api.refusal { try await admin.policyHistory(path: .init(name: "nope")) }.status == 404)
            #expect(try await api.refusal { try await admin.policyVersion(path: .init(name: "curl", version: 99)) }.status == 404)
            // Raw: the generated client sends only numbers.
            #expect(try await api.request(.get, "/api/v1/policies/curl/versions/abc").status == .badRequest)

            // Audit: every change, with who.
            let audit = try await admin.audit(query: .init(action: "policy")).ok.body.json
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
            let request = Components.Schemas.PolicyPushRequest(
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
            #expect(try await api.client().listPolicies().ok.body.json.isEmpty)
            #expect(try await server.app.store.currentRevision() == 0)

            // A push that contradicts a stored policy reaching the same nodes.
            _ = try await api.pushed([Fixtures.policy("curl")], selector: ["env": "prod"])
            let contradiction = Fixtures.policy("curl", action: "deny").replacingOccurrences(of: "name: curl", with: "name: curl-deny")
            let conflict = try await api.push([contradiction])
            #expect(conflict.status == .unprocessableContent)
            #expect(api.error(conflict)?.details?.contains { $0.contains("server:curl@v1") || $0.contains("document[0]") } == true)
            #expect(try await api.push([contradiction], selector: ["env": "prod", "zone": "a"]).status == .unprocessableContent)
            // The same policy for other nodes only: no shared node, accepted.
            let elsewhere = try await api.push([contradiction], selector: ["env": "lab"])
            #expect(elsewhere.status == .created)

            // Malformed requests.
            #expect(try await api.push([]).status == .badRequest)
            #expect(try await api.push(["# nothing\n"]).status == .unprocessableContent)
            let mismatched = Components.Schemas.PolicyPushRequest(documents: [Fixtures.policy("a")], fileNames: ["a.yaml", "b.yaml"])
            #expect(try await api.request(.post, "/api/v1/policies", json: mismatched).status == .badRequest)
        }
    }

    @Test(arguments: Backend.enabled)
    func nodeSelectorsChooseNodes(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let prod = try await api.enroll("prod-1", labels: ["env": "prod"])
            let dev = try await api.enroll("dev-1", labels: ["env": "dev"])
            // Everyone; by push option; by the policy's own label.
            _ = try await api.pushed([Fixtures.policy("base")])
            _ = try await api.pushed([Fixtures.policy("prodonly")], selector: ["env": "prod"])
            let labelled = Fixtures.policy("devonly", labels: "sluice.io/nodes: \"env=dev\"")
            let pushed = try await api.pushed([labelled])
            #expect(pushed.created.first?.nodeSelector.additionalProperties == ["env": "dev"])

            func bundle(_ credential: String) async throws -> Components.Schemas.PolicyBundle {
                try await api.client(token: .some(credential)).pollPolicy().ok.body.json
            }
            let prodBundle = try await bundle(prod.credential)
            #expect(prodBundle.revision == 3)
            #expect(prodBundle.policies.map(\.name) == ["base", "prodonly"])
            #expect(try await bundle(dev.credential).policies.map(\.name) == ["base", "devonly"])

            // Relabelling a node changes its bundle and bumps the revision.
            let relabelled = try await api.client().setNodeLabels(
                path: .init(id: dev.id), body: .json(.init(labels: .init(additionalProperties: ["env": "prod"])))
            ).ok.body.json
            #expect(relabelled.currentRevision == 4)
            let devNow = try await bundle(dev.credential)
            #expect(devNow.revision == 4)
            #expect(devNow.policies.map(\.name) == ["base", "prodonly"])

            // A poll parked when its node is relabelled is answered for the new labels; a push
            // that changes no node answers from the node it authenticated with.
            let asDev = api.client(token: .some(dev.credential))
            async let woken = asDev.pollPolicy(query: .init(after: 4, wait: 30))
            try await eventually("the dev node's poll waits") { server.app.watcher.waiterCount == 1 }
            _ = try await api.client().setNodeLabels(path: .init(id: dev.id), body: .json(.init(labels: .init(additionalProperties: ["env": "dev"]))))
            #expect(try await woken.ok.body.json.policies.map(\.name) == ["base", "devonly"])
            async let pushedTo = asDev.pollPolicy(query: .init(after: 5, wait: 30))
            try await eventually("the dev node's poll waits again") { server.app.watcher.waiterCount == 1 }
            _ = try await api.pushed([Fixtures.policy("later")])
            #expect(try await pushedTo.ok.body.json.policies.map(\.name) == ["base", "devonly", "later"])

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
            let asNode = api.client(token: .some(node.credential))
            let initial = try await asNode.pollPolicy().ok.body.json
            #expect(initial.revision == 0)
            #expect(initial.policies.isEmpty)

            // Nothing new within the wait: 304.
            let clock = ContinuousClock()
            let start = clock.now
            let timeout = try await asNode.pollPolicy(query: .init(after: 0, wait: 1))
            guard case .notModified = timeout else {
                Issue.record("expected 304 Not Modified, got \(timeout)")
                return
            }
            #expect(clock.now - start >= .milliseconds(900))

            // A push wakes the waiting poll at once.
            async let waited = asNode.pollPolicy(query: .init(after: 0, wait: 30))
            // Push only once the poll waits, so that the push is what answers it.
            try await eventually("the poll waits for a revision") { server.app.watcher.waiterCount == 1 }
            let pushedAt = clock.now
            _ = try await api.pushed([Fixtures.policy("curl")])
            let answer = try await waited
            let latency = clock.now - pushedAt
            #expect(try answer.ok.body.json.revision == 1)
            // Woken by the push, not by the end of its 30 s wait (how fast is the benchmark's to say).
            #expect(latency < .seconds(15))
            // Behind: answered at once.
            let behind = try await asNode.pollPolicy(query: .init(after: 0, wait: 30)).ok.body.json
            #expect(behind.policies.map(\.name) == ["curl"])
            // Ahead of the server (a reset database): the current bundle at once.
            let ahead = try await asNode.pollPolicy(query: .init(after: 99, wait: 30)).ok.body.json
            #expect(ahead.revision == 1)
            #expect(try await api.request(.get, "/api/v1/agent/policy?after=x", token: .some(node.credential)).status == .badRequest)
            #expect(try await api.refusal { try await asNode.pollPolicy(query: .init(wait: 61)) }.status == 400)
        }
    }
}
