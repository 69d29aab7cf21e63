import Foundation
import SluiceAPI
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// Threat-intelligence feeds against real sources: medallion (a TAXII 2.1 server) and a loopback
/// HTTP list; nodes read their layers' changes with the intel poll.
@Suite struct FeedTests {
    /// The poller never syncs on its own during a test: syncs are the test's `sync now`.
    static func manualSyncs(_ configuration: inout ServerConfiguration) {
        configuration.feedTickMilliseconds = 3_600_000
    }

    static func poll(_ api: APIClient, _ credential: String, after: UInt64?) async throws -> IntelDelta? {
        let answer = try await api.client(token: credential).pollIntel(query: .init(after: after.map { Int($0) }, wait: 0))
        switch answer {
        case .ok(let ok): return try IntelDelta(ok.body.json)
        case .notModified: return nil
        default: throw TestFailure("pollIntel answered \(answer)")
        }
    }

    /// Every page of a node's delta from `after`, as the set the node then holds.
    static func drain(
        _ api: APIClient, _ credential: String, after: UInt64?, holding: inout [IntelKey: IntelIndicator]
    ) async throws -> UInt64? {
        var cursor = after
        while let delta = try await poll(api, credential, after: cursor) {
            if delta.full { holding = [:] }
            for key in delta.removals { holding[key] = nil }
            for indicator in delta.upserts { holding[indicator.key] = indicator }
            holding = holding.filter { delta.feeds.contains($0.key.feed) }
            cursor = delta.cursor
            if !delta.more { break }
        }
        return cursor
    }

    @Test(arguments: Backend.enabled)
    func taxiiCollectionReachesTheNodesItTargets(_ backend: Backend) async throws {
        try await Medallion.with(pageSize: 2) { taxii in
            try await taxii.add([
                Medallion.indicator("indicator--00000000-0000-4000-8000-000000000001", pattern: "[ipv4-addr:value = '198.51.100.1']"),
                Medallion.indicator(
                    "indicator--00000000-0000-4000-8000-000000000002",
                    pattern: "[domain-name:value = 'evil.example' OR url:value = 'https://c2.example/x']"),
                Medallion.indicator("indicator--00000000-0000-4000-8000-000000000003", pattern: "[file:name = 'dropper.exe']"),
                Medallion.indicator("indicator--00000000-0000-4000-8000-000000000004", pattern: "[ipv4-addr:value = '203.0.113.0/24']", confidence: 20),
                Medallion.indicator("indicator--00000000-0000-4000-8000-000000000005", pattern: "[ipv6-addr:value = '2001:db8::66']"),
            ])
            try await TestServer.with(backend, configure: Self.manualSyncs) { server, api in
                let prod = try await api.enroll("web-1", labels: ["env": "prod"])
                let dev = try await api.enroll("dev-1", labels: ["env": "dev"])
                let admin = api.client()
                _ = try await admin.addFeed(
                    body: .json(
                        .init(
                            name: "osint", kind: .taxii, url: taxii.discoveryURL, collection: Medallion.collection, auth: .basic,
                            username: Medallion.user, secret: Medallion.password, action: .deny, nodeSelector: .init(["env": "prod"]),
                            minConfidence: 50))
                ).created
                let first = try await admin.syncFeed(path: .init(name: "osint")).ok.body.json
                #expect(first.lastError == nil)
                #expect(first.indicators == 4)
                #expect(first.unusable == 1)
                #expect(first.auth == .basic)

                var held: [IntelKey: IntelIndicator] = [:]
                var cursor = try await Self.drain(api, prod.credential, after: nil, holding: &held)
                #expect(Set(held.values.map(\.target.description)) == ["198.51.100.1", "evil.example", "c2.example", "2001:db8::66"])
                #expect(held.values.allSatisfy { $0.action == .deny && $0.feed == "osint" })
                var devHeld: [IntelKey: IntelIndicator] = [:]
                _ = try await Self.drain(api, dev.credential, after: nil, holding: &devHeld)
                #expect(devHeld.isEmpty)
                // Nothing new: the node's poll has nothing to say.
                #expect(try await Self.poll(api, prod.credential, after: cursor) == nil)

                // Upstream: one added, one revoked, one expired, one changed.
                try await taxii.add([
                    Medallion.indicator("indicator--00000000-0000-4000-8000-000000000006", pattern: "[ipv4-addr:value = '192.0.2.66']"),
                    Medallion.indicator(
                        "indicator--00000000-0000-4000-8000-000000000001", pattern: "[ipv4-addr:value = '198.51.100.1']",
                        modified: "2026-02-01T00:00:00.000Z", revoked: true),
                    Medallion.indicator(
                        "indicator--00000000-0000-4000-8000-000000000005", pattern: "[ipv6-addr:value = '2001:db8::66']",
                        modified: "2026-02-01T00:00:00.000Z", validUntil: "2026-01-15T00:00:00Z"),
                    Medallion.indicator(
                        "indicator--00000000-0000-4000-8000-000000000002", pattern: "[domain-name:value = 'evil.example']",
                        modified: "2026-02-01T00:00:00.000Z"),
                ])
                let second = try await admin.syncFeed(path: .init(name: "osint")).ok.body.json
                #expect(second.lastError == nil)
                #expect(second.indicators == 2)
                let delta = try #require(try await Self.poll(api, prod.credential, after: cursor))
                #expect(!delta.full)
                // The changed indicator names one target now: its item is keyed by the STIX id alone.
                #expect(Set(delta.upserts.map(\.target.description)) == ["192.0.2.66", "evil.example"])
                #expect(
                    Set(delta.removals.map(\.indicator)) == [
                        "indicator--00000000-0000-4000-8000-000000000001", "indicator--00000000-0000-4000-8000-000000000005",
                        "indicator--00000000-0000-4000-8000-000000000002 evil.example", "indicator--00000000-0000-4000-8000-000000000002 c2.example",
                    ])
                cursor = try await Self.drain(api, prod.credential, after: cursor, holding: &held)
                #expect(Set(held.values.map(\.target.description)) == ["evil.example", "192.0.2.66"])

                // The node's labels change: it no longer matches, and gets a whole (empty) set.
                _ = try await admin.setNodeLabels(path: .init(id: prod.id), body: .json(.init(labels: .init(["env": "staging"])))).ok
                let relabelled = try #require(try await Self.poll(api, prod.credential, after: cursor))
                #expect(relabelled.full && relabelled.feeds.isEmpty && relabelled.upserts.isEmpty)

                // A wrong password: the sync fails with the server's answer, nothing stored.
                _ = try await admin.addFeed(
                    body: .json(
                        .init(
                            name: "wrong-secret", kind: .taxii, url: taxii.discoveryURL, collection: Medallion.collection, auth: .basic,
                            username: Medallion.user, secret: "not-the-password", action: .deny))
                ).created
                let refused = try await admin.syncFeed(path: .init(name: "wrong-secret")).ok.body.json
                #expect(refused.lastError?.contains("answered 401") == true && refused.indicators == 0 && refused.lastSuccess == nil)
                _ = try await admin.removeFeed(path: .init(name: "wrong-secret")).noContent

                // Removing the feed: viewers may not, admins may.
                let viewer = try await api.user("watcher", role: .viewer)
                #expect(try await api.status { try await api.client(token: viewer).removeFeed(path: .init(name: "osint")) } == 403)
                _ = try await admin.removeFeed(path: .init(name: "osint")).noContent
                #expect(try await admin.listFeeds().ok.body.json.isEmpty)
                _ = server
            }
        }
    }

    /// An admin's sync-now while a sync of the feed runs waits for it, then fetches again: the
    /// source may have changed after the running sync read it.
    @Test(arguments: Backend.enabled)
    func aSyncNowDuringARunningSyncWaitsAndFetchesAgain(_ backend: Backend) async throws {
        let source = FeedFileServer()
        source.serve("198.51.100.1\n")
        try await source.run { base in
            try await TestServer.with(backend, configure: Self.manualSyncs) { server, api in
                let admin = api.client()
                _ = try await admin.addFeed(body: .json(.init(name: "slow", kind: .list, url: base + "/list", action: .deny))).created
                source.gate.close()
                async let first = admin.syncFeed(path: .init(name: "slow")).ok.body.json
                try await eventually("the first sync to be fetching") { source.gate.held == 1 }
                async let second = admin.syncFeed(path: .init(name: "slow")).ok.body.json
                try await eventually("the second sync to wait for the first") { server.app.feedPoller.syncsWaiting == 1 }
                source.serve("198.51.100.1\n198.51.100.2\n")
                source.gate.open()
                let (before, after) = try await (first, second)
                #expect(before.indicators == 1 && before.lastError == nil)
                #expect(after.indicators == 2 && after.lastError == nil)
                #expect(source.counts.requests == 2)
            }
        }
    }

    @Test(arguments: Backend.enabled)
    func listsAreFetchedConditionallyAndABadBodyKeepsTheLastGoodSet(_ backend: Backend) async throws {
        let source = FeedFileServer()
        source.serve("# block list\n198.51.100.0/24\n203.0.113.9 ; a comment\nbad.example\n")
        try await source.run { base in
            try await TestServer.with(
                backend,
                configure: {
                    Self.manualSyncs(&$0)
                    $0.feedLimits = FeedLimits(maximumLines: 100, maximumPages: 5)
                }
            ) { server, api in
                let node = try await api.enroll("web-1")
                let admin = api.client()
                _ = try await admin.addFeed(body: .json(.init(name: "drop", kind: .list, url: base + "/list", action: .alert))).created
                #expect(try await admin.syncFeed(path: .init(name: "drop")).ok.body.json.indicators == 3)
                var held: [IntelKey: IntelIndicator] = [:]
                let cursor = try await Self.drain(api, node.credential, after: nil, holding: &held)
                #expect(Set(held.values.map(\.target.description)) == ["198.51.100.0/24", "203.0.113.9", "bad.example"])
                #expect(held.values.allSatisfy { $0.action == .alert })

                // Unchanged upstream: a conditional request answered 304, nothing for the node.
                let again = try await admin.syncFeed(path: .init(name: "drop")).ok.body.json
                #expect(again.notModified == 1 && again.indicators == 3 && again.lastError == nil)
                #expect(source.counts.notModified == 1)
                #expect(try await Self.poll(api, node.credential, after: cursor) == nil)

                // Garbage: refused with the line named, the last good set kept.
                source.serve("198.51.100.0/24\n<html><body>gateway error</body></html>\n")
                let garbage = try await admin.syncFeed(path: .init(name: "drop")).ok.body.json
                let error = try #require(garbage.lastError)
                #expect(error.contains("feed drop: line 2") && error.contains("last good set"))
                #expect(garbage.indicators == 3)
                // Too many lines: refused likewise.
                source.serve((0..<500).map { "10.1.\($0 / 256).\($0 % 256)" }.joined(separator: "\n"))
                let huge = try await admin.syncFeed(path: .init(name: "drop")).ok.body.json
                #expect(huge.lastError?.contains("more than 100 lines") == true)
                #expect(huge.indicators == 3)
                #expect(try await Self.poll(api, node.credential, after: cursor) == nil)

                // A good body again: one removed, one added.
                source.serve("198.51.100.0/24\n203.0.113.9\nworse.example\n")
                let fixed = try await admin.syncFeed(path: .init(name: "drop")).ok.body.json
                #expect(fixed.lastError == nil && fixed.indicators == 3)
                let delta = try #require(try await Self.poll(api, node.credential, after: cursor))
                #expect(delta.upserts.map(\.target.description) == ["worse.example"])
                #expect(delta.removals.map(\.indicator) == ["bad.example"])

                let shown = try await admin.showFeed(path: .init(name: "drop"), query: .init(limit: 10)).ok.body.json
                #expect(Set(shown.indicators.map(\.target)) == ["198.51.100.0/24", "203.0.113.9", "worse.example"])

                // A TAXII server whose pages never end.
                _ = try await admin.addFeed(
                    body: .json(.init(name: "loop", kind: .taxii, url: base + "/loop/", collection: "c1", action: .deny))
                ).created
                let loop = try await admin.syncFeed(path: .init(name: "loop")).ok.body.json
                #expect(loop.lastError?.contains("loop of pages") == true)
                #expect(loop.indicators == 0)

                // Bad requests name the field.
                let refusal = try await api.refusal {
                    try await admin.addFeed(body: .json(.init(name: "Bad Name", kind: .list, url: base + "/list", action: .deny)))
                }
                #expect(refusal.status == 400 && refusal.message.contains("name") == true)
                let noCollection = try await api.refusal {
                    try await admin.addFeed(body: .json(.init(name: "t2", kind: .taxii, url: base + "/loop/", action: .deny)))
                }
                #expect(noCollection.message.contains("collection") == true)
                _ = server
            }
        }
    }

    @Test(arguments: Backend.enabled)
    func wholeSetsPageOnThroughLayoutChangesAndExpiryRemoves(_ backend: Backend) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-feed-\(UUID().uuidString).netset")
        try (1...7).map { "192.0.2.\($0)" }.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        try await TestServer.with(backend, configure: Self.manualSyncs) { server, api in
            let admin = api.client()
            let store = server.app.store
            _ = try await admin.addFeed(body: .json(.init(name: "local", kind: .list, url: file.path, action: .deny))).created
            #expect(try await admin.syncFeed(path: .init(name: "local")).ok.body.json.indicators == 7)
            // A second feed after the first's indicators: the layout is newer than all of them.
            _ = try await admin.addFeed(body: .json(.init(name: "other", kind: .list, url: file.path + ".missing", action: .alert))).created

            func pages(from start: IntelDelta) async throws -> (targets: Set<String>, cursor: UInt64) {
                var delta = start
                var targets = Set(delta.upserts.map(\.target.description))
                while delta.more {
                    delta = try await store.intelDelta(labels: [:], after: Int64(delta.cursor), pageSize: 3)
                    #expect(!delta.full)
                    targets.formUnion(delta.upserts.map(\.target.description))
                }
                return (targets, delta.cursor)
            }
            let first = try await store.intelDelta(labels: [:], after: nil, pageSize: 3)
            #expect(first.full && first.more && first.upserts.count == 3 && first.feeds == ["local", "other"])
            let (targets, cursor) = try await pages(from: first)
            #expect(targets == Set((1...7).map { "192.0.2.\($0)" }))
            #expect(cursor == UInt64(try await store.intelSequence()))

            // A layout change in the middle of a whole set starts it over.
            let again = try await store.intelDelta(labels: [:], after: nil, pageSize: 3)
            _ = try await admin.removeFeed(path: .init(name: "other")).noContent
            let restarted = try await store.intelDelta(labels: [:], after: Int64(again.cursor), pageSize: 3)
            #expect(restarted.full && restarted.feeds == ["local"])

            // An indicator whose expiry passed becomes a removal in the poller's pass.
            let feed = try #require(try await store.feed(name: "local"))
            var items = try FeedListParser(feed: "local", format: .list).parse(Array(try Data(contentsOf: file)))
            items[0].expires = Date().addingTimeInterval(-1)
            _ = try await store.applyFeedFetch(id: feed.id, feed: "local", FeedFetch(change: .replace(items), unusable: 0), attemptUs: Micros.now(), maximumIndicators: 100)
            let before = try await store.intelSequence()
            await server.app.feedPoller.pass()
            let expired = try await store.intelDelta(labels: [:], after: before, pageSize: 3)
            #expect(!expired.full && expired.removals.map(\.indicator) == ["192.0.2.1"] && expired.upserts.isEmpty)
            #expect(try await store.feed(name: "local")?.indicatorCount == 6)
            // The node's long poll sees it too, and then nothing more.
            let node = try await api.enroll("web-1")
            var held: [IntelKey: IntelIndicator] = [:]
            let latest = try await Self.drain(api, node.credential, after: nil, holding: &held)
            #expect(held.count == 6)
            #expect(try await Self.poll(api, node.credential, after: latest) == nil)
        }
    }

    /// What a node with given labels would enforce, for viewers and gateways: the feeds whose
    /// selector the labels match, as the same whole set and changes a node polls.
    @Test(arguments: Backend.enabled)
    func feedLayersForLabelsAreWhatANodeWithThemGets(_ backend: Backend) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-feed-\(UUID().uuidString).txt")
        try "203.0.113.9\nevil.example\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        try await TestServer.with(backend, configure: Self.manualSyncs) { _, api in
            let admin = api.client()
            _ = try await admin.addFeed(
                body: .json(.init(name: "prod-only", kind: .list, url: file.path, action: .deny, nodeSelector: .init(additionalProperties: ["env": "prod"])))
            ).created
            _ = try await admin.syncFeed(path: .init(name: "prod-only")).ok
            let viewer = api.client(token: .some(try await api.user("vera", role: .viewer)))
            let prod = try IntelDelta(try await viewer.feedLayers(query: .init(labels: "env=prod,role=gw")).ok.body.json)
            #expect(prod.full && prod.feeds == ["prod-only"] && Set(prod.upserts.map(\.target.description)) == ["203.0.113.9", "evil.example"])
            let dev = try IntelDelta(try await viewer.feedLayers(query: .init(labels: "env=dev")).ok.body.json)
            #expect(dev.feeds.isEmpty && dev.upserts.isEmpty)
            let since = try IntelDelta(try await viewer.feedLayers(query: .init(labels: "env=prod", after: Int(prod.cursor))).ok.body.json)
            #expect(!since.full && since.upserts.isEmpty && since.removals.isEmpty)
            #expect(try await api.status { try await viewer.feedLayers(query: .init(labels: "env")).ok.body.json } == 400)
        }
    }
}
