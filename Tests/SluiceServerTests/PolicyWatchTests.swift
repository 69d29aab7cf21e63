import Foundation
import OpenAPIRuntime
import SluiceAPI
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// The policy watch (`watchPolicy`) over real HTTP on loopback: a line per revision on one open
/// stream, keepalives between, and its end when the node is revoked.
struct PolicyWatchTests {
    /// Lines of one watch, read as they come.
    final class Watch: @unchecked Sendable {
        // Only the test's task reads the iterator.
        private var lines: PolicyWatchStream.AsyncIterator
        private var pending: [PolicyWatchLine] = []

        init(port: Int, credential: String, after: Int?) async throws {
            let node = try ServerConnection(server: "http://127.0.0.1:\(port)", credential: credential, userAgent: "sluice-tests", sharing: .shared)
            lines = try await node.watchPolicy(after: after, timeout: .seconds(60)).makeAsyncIterator()
        }

        /// The next line, nil when the server ended the stream.
        func next() async throws -> PolicyWatchLine? {
            while pending.isEmpty {
                guard let group = try await lines.next() else { return nil }
                pending = group
            }
            return pending.removeFirst()
        }

        /// The next bundle, past any keepalives.
        func bundle() async throws -> Components.Schemas.PolicyBundle? {
            while let line = try await next() {
                if case .bundle(let bundle) = line { return bundle }
            }
            return nil
        }
    }

    @Test(arguments: Backend.enabled)
    func aWatchCarriesEachRevisionKeepsAliveAndEndsWhenTheNodeIsRevoked(_ backend: Backend) async throws {
        try await TestServer.with(backend, .live, configure: { $0.policyWatchKeepalive = .milliseconds(200) }) { server, api in
            let port = try #require(api.port)
            let node = try await api.enroll("watcher")
            let watch = try await Watch(port: port, credential: node.credential, after: nil)
            // The current bundle at once, without `after`.
            let first = try #require(try await watch.bundle())
            #expect(first.revision == 0)
            #expect(first.policies.isEmpty)

            // Every push is a line on the same stream, in order.
            try await eventually("the watch waits for a revision") { server.app.watcher.waiterCount == 1 }
            _ = try await api.pushed([Fixtures.policy("curl")])
            let second = try #require(try await watch.bundle())
            #expect(second.revision == 1)
            #expect(second.policies.map(\.name) == ["curl"])
            _ = try await api.pushed([Fixtures.policy("wget")])
            #expect(try await watch.bundle()?.policies.map(\.name) == ["curl", "wget"])

            // Quiet: keepalives, and the stream stays open.
            guard case .keepalive? = try await watch.next() else {
                Issue.record("expected a keepalive line")
                return
            }

            // A watch from a revision the node has sends nothing until the next; one from a
            // revision nobody pushed (a reset database) gets the current bundle.
            let ahead = try await Watch(port: port, credential: node.credential, after: 99)
            #expect(try await ahead.bundle()?.revision == 2)

            // Revoked: the stream ends, and a new watch is refused.
            _ = try await api.client().revokeNode(path: .init(id: node.id)).ok.body.json
            #expect(try await watch.bundle() == nil)
            let refused = await #expect(throws: APIClientError.self) { _ = try await Watch(port: port, credential: node.credential, after: 2) }
            #expect(refused?.status == 403)
        }
    }

    @Test func nodesThatShareABundleShareOneEncodedLine() async throws {
        try await TestServer.with(.sqlite) { server, api in
            _ = try await api.pushed([Fixtures.policy("base")])
            _ = try await api.pushed([Fixtures.policy("prodonly")], selector: ["env": "prod"])
            let cache = server.app.watchLines
            func address(_ line: ArraySlice<UInt8>) -> UnsafeRawPointer? { line.withUnsafeBytes { $0.baseAddress } }
            let prodA = try await cache.line(labels: ["env": "prod", "zone": "a"], atLeast: 2)
            let prodB = try await cache.line(labels: ["env": "prod", "zone": "b"], atLeast: 2)
            let dev = try await cache.line(labels: ["env": "dev"], atLeast: 2)
            #expect(prodA.revision == 2)
            // The same policies: the same bytes, encoded once; other policies: another line.
            #expect(address(prodA.line) == address(prodB.line))
            #expect(address(prodA.line) != address(dev.line))
            guard case .bundle(let prod) = try PolicyWatchLine(line: String(decoding: prodA.line.dropLast(), as: UTF8.self)),
                case .bundle(let other) = try PolicyWatchLine(line: String(decoding: dev.line.dropLast(), as: UTF8.self))
            else {
                Issue.record("the lines are not bundles")
                return
            }
            #expect(prod.policies.map(\.name) == ["base", "prodonly"])
            #expect(other.policies.map(\.name) == ["base"])
            // A new revision: new lines.
            _ = try await api.pushed([Fixtures.policy("later")])
            let after = try await cache.line(labels: ["env": "prod", "zone": "a"], atLeast: 3)
            #expect(after.revision == 3)
            #expect(address(after.line) != address(prodA.line))
        }
    }

    @Test func aNodeMayHoldOnlyAFewWatchesOpen() async throws {
        try await TestServer.with(.sqlite, .live, configure: { $0.policyWatchKeepalive = .milliseconds(200) }) { _, api in
            let port = try #require(api.port)
            let node = try await api.enroll("greedy")
            var open: [Watch] = []
            for _ in 0..<PolicyWatchCount.perNode {
                let watch = try await Watch(port: port, credential: node.credential, after: nil)
                _ = try await watch.bundle()
                open.append(watch)
            }
            let refused = await #expect(throws: APIClientError.self) { _ = try await Watch(port: port, credential: node.credential, after: nil) }
            #expect(refused?.status == 503)
            // Another node is not held back by this one's watches.
            let other = try await api.enroll("modest")
            #expect(try await Watch(port: port, credential: other.credential, after: nil).bundle()?.revision == 0)
            withExtendedLifetime(open) {}
        }
    }
}
