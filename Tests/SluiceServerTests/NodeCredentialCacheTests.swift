import Testing

@testable import SluiceServer

/// Credentials checked once for a moment: a node's next requests skip the query, and a
/// revocation or a label change on this replica is seen by the very next one.
@Suite struct NodeCredentialCacheTests {
    @Test(arguments: Backend.enabled)
    func aRevokedNodeIsRefusedAtItsNextRequestThoughItsCredentialWasJustChecked(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let store = server.app.store
            let enrolled = try await api.enroll("node-cached")
            let hash = Secrets.digest(enrolled.credential)
            #expect(try await store.node(credentialHash: hash)?.revokedUs == nil)
            #expect(store.credentials.node(credentialHash: hash)?.id == enrolled.id)

            _ = try await store.setNodeLabels(id: enrolled.id, labels: ["role": "web"], actor: "test")
            #expect(store.credentials.node(credentialHash: hash) == nil)
            #expect(try await store.node(credentialHash: hash)?.labels == ["role": "web"])

            _ = try await store.revokeNode(id: enrolled.id, actor: "test")
            #expect(try await store.node(credentialHash: hash)?.revokedUs != nil)
            #expect(store.credentials.node(credentialHash: hash) == nil)
            // Over HTTP too: the heartbeat right after the revocation is refused.
            await #expect(throws: (any Error).self) { try await api.heartbeat(enrolled.credential) }
        }
    }

    @Test(arguments: Backend.enabled)
    func anEntryLastsItsLifetimeAndAReadBegunBeforeAForgetIsNotKept(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let enrolled = try await api.enroll("node-expiring")
            let node = try #require(try await server.app.store.node(id: enrolled.id))
            let cache = NodeCredentialCache()
            let start = ContinuousClock.now
            cache.remember(node, credentialHash: "h", readAt: cache.generation, now: start)
            #expect(cache.node(credentialHash: "h", now: start + .seconds(1))?.id == node.id)
            #expect(cache.node(credentialHash: "h", now: start + NodeCredentialCache.lifetime) == nil)

            let before = cache.generation
            cache.forget(nodeID: "some-other-node")
            cache.remember(node, credentialHash: "h", readAt: before, now: start)
            #expect(cache.node(credentialHash: "h", now: start) == nil)
        }
    }
}
