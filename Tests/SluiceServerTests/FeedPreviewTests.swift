import Foundation
import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

/// `POST /api/v1/feeds/preview`: a feed read as a sync reads it, its layer replayed over the
/// stored decisions of the nodes it targets, nothing stored.
@Suite struct FeedPreviewTests {
    static let pinned = """
        apiVersion: sluice/v1
        kind: Policy
        metadata:
          name: pinned
        spec:
          subjects:
            - executable: /usr/bin/curl
          egress:
            - name: exact
              action: allow
              to: ["192.0.2.5"]
              ports: [443]

        """

    @Test(arguments: Backend.enabled)
    func aFeedsLayerIsReplayedWithTheKernelsPrecedence(_ backend: Backend) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-feed-preview-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let candidate = folder.appendingPathComponent("candidate.txt")
        try "192.0.2.0/24\nevil.example\n".write(to: candidate, atomically: true, encoding: .utf8)
        let held = folder.appendingPathComponent("held.txt")
        try "198.51.100.7\n".write(to: held, atomically: true, encoding: .utf8)
        try await TestServer.with(backend, configure: FeedTests.manualSyncs) { server, api in
            let admin = api.client()
            _ = try await admin.addFeed(body: .json(.init(name: "held", kind: .list, url: held.path, action: .deny))).created
            _ = try await admin.syncFeed(path: .init(name: "held")).ok
            let web = try await api.enroll("web-1", labels: ["env": "prod"])
            let lab = try await api.enroll("lab-1", labels: ["env": "lab"])
            _ = try await api.pushed([Self.pinned])
            var byFeed = Fixtures.event(destination: "198.51.100.7", verdict: .deny, policy: nil, rule: "node-default")
            byFeed.intel = IntelHit(feed: "held", indicator: "198.51.100.7", outcome: .decided)
            let events = (0..<2).map { _ in Fixtures.event(destination: "192.0.2.9", policy: nil, rule: "node-default") } + [
                Fixtures.event(destination: "192.0.2.5", policy: "pinned", rule: "exact"),
                Fixtures.event(destination: "198.51.100.20", policy: nil, rule: "node-default", domain: "cdn.evil.example"),
                byFeed,
            ]
            _ = try await api.uploaded(events.map(\.jsonLine), sequence: 0, credential: web.credential)
            _ = try await api.uploaded(
                [Fixtures.event(destination: "192.0.2.9", policy: nil, rule: "node-default").jsonLine], sequence: 0, credential: lab.credential)

            let request = Components.Schemas.FeedRequest(
                name: "candidate", kind: .list, url: candidate.path, action: .deny, nodeSelector: .init(additionalProperties: ["env": "prod"]))
            let report = try await admin.previewFeed(query: .init(since: "1d"), body: .json(request)).ok.body.json
            #expect(report.nodes == ["web-1"] && report.events == 5)
            #expect(report.newlyDenied == 3 && report.unchanged == 2 && report.unknown == 0)
            #expect(Set(report.rows.flatMap(\.after)) == ["feed candidate indicator 192.0.2.0/24", "feed candidate indicator evil.example"])
            #expect(report.rows.first { $0.destination == "cdn.evil.example" }?.changes.first?.newlyDenied == true)
            #expect(report.notes.first == "feed candidate would hold 2 indicators (deny)")
            #expect(try await server.app.store.feed(name: "candidate") == nil)

            // A policy test holds the nodes' feed layers too: what the held feed decided is
            // reproduced, not unknown, and the candidate's new deny is the one change.
            let tightened = Self.pinned + """
                    - name: no-doc
                      action: deny
                      to: ["192.0.2.0/24"]
                      ports: [443]

                """
            let policyTest = try await PolicyTestTests.test(api, [tightened], since: "1d")
            #expect(policyTest.nodes == ["lab-1", "web-1"] && policyTest.events == 6)
            #expect(policyTest.newlyDenied == 3 && policyTest.unknown == 0)

            // The same body for the feed that exists: its indicators are replaced, so what it
            // decided now passes.
            let emptied = folder.appendingPathComponent("empty.txt")
            try "# nothing\n".write(to: emptied, atomically: true, encoding: .utf8)
            let changed = try await admin.previewFeed(body: .json(.init(name: "held", kind: .list, url: emptied.path, action: .deny))).ok.body.json
            #expect(changed.newlyAllowed == 1 && changed.unknown == 0)
            // Moved to other nodes: where it leaves, what it decided passes; where it arrives, replayed too.
            let moved = try await admin.previewFeed(
                body: .json(.init(name: "held", kind: .list, url: held.path, action: .deny, nodeSelector: .init(additionalProperties: ["env": "lab"])))
            ).ok.body.json
            #expect(moved.nodes == ["lab-1", "web-1"] && moved.newlyAllowed == 1 && moved.unknown == 0 && moved.events == 6)

            // What the stored feed decides: its one deny, which only its removal would change;
            // an operator may ask, a viewer may not, and a feed that does not exist is a 404.
            let operatorClient = api.client(token: .some(try await api.user("impact-operator", role: ._operator)))
            let impact = try await operatorClient.feedImpact(path: .init(name: "held"), query: .init(since: "1d")).ok.body.json
            #expect(impact.nodes == ["lab-1", "web-1"] && impact.events == 6 && impact.unknown == 0)
            #expect(impact.newlyAllowed == 1 && impact.newlyDenied == 0 && impact.changed == 1)
            #expect(impact.rows.map(\.destination) == ["198.51.100.7"] && impact.rows.first?.before == ["feed held indicator 198.51.100.7"])
            #expect(impact.notes.first?.hasPrefix("feed held holds 1 indicators (deny)") == true)
            #expect(try await api.status { try await admin.feedImpact(path: .init(name: "absent")).ok } == 404)
            let viewer = api.client(token: .some(try await api.user("impact-viewer", role: .viewer)))
            #expect(try await api.status { try await viewer.feedImpact(path: .init(name: "held")).ok } == 403)

            let missing = try await api.refusal {
                try await admin.previewFeed(body: .json(.init(name: "gone", kind: .list, url: candidate.path + ".missing", action: .deny))).ok
            }
            #expect(missing.status == 422 && missing.message.contains("could not be read"))
            #expect(try await api.status { try await admin.previewFeed(body: .json(.init(name: "Bad Name", kind: .list, url: candidate.path, action: .deny))).ok } == 400)
            #expect(try await api.status { try await admin.previewFeed(query: .init(rows: 0), body: .json(request)).ok } == 400)
            for role in [Components.Schemas.Role.viewer, ._operator] {
                let client = api.client(token: .some(try await api.user("user-\(role.rawValue)", role: role)))
                #expect(try await api.status { try await client.previewFeed(body: .json(request)).ok } == 403)
            }
        }
    }
}
