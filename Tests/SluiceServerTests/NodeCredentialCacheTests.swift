import SluiceTestSupport
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

    /// Replicas sharing PostgreSQL: a revocation through one makes the other forget the node it
    /// checked, by notification (looked up at the instant it was kept, so only a forget clears it).
    @Test(.enabled(if: Backend.postgresShouldRun, Backend.skipComment))
    func anotherReplicaForgetsARevokedNodeWhenItHearsOfIt() async throws {
        try await TestServer.with(.postgres) { server, api in
            let enrolled = try await api.enroll("node-elsewhere")
            let hash = Secrets.digest(enrolled.credential)
            let other = try await ServerApp.open(configuration: TestServer.configuration(database: server.database.url), logger: TestServer.logger)
            let sync = try #require(other.services.compactMap { $0 as? ReplicaSync }.first)
            let listening = Task { try await sync.run() }
            try await withCleanup({
                listening.cancel()
                _ = try? await listening.value
                await other.close()
            }) {
                // Notifications sent before the other replica listens are lost: relabel the node until
                // one is heard (each try keeps the node there again first).
                var tries = 0
                try await eventually("the other replica forgets a relabelled node") {
                    tries += 1
                    let kept = ContinuousClock.now
                    #expect(try await other.store.node(credentialHash: hash)?.id == enrolled.id)
                    _ = try await server.app.store.setNodeLabels(id: enrolled.id, labels: ["try": String(tries)], actor: "test")
                    return (try? await eventually("a forget", seconds: 1) { other.store.credentials.node(credentialHash: hash, now: kept) == nil }) != nil
                }

                // Kept once read, unless a revision it learns from the database rather than by its
                // notification (the relabelling's) makes it forget every node meanwhile: read again.
                var kept = ContinuousClock.now
                try await eventually("the other replica keeps the relabelled node") {
                    kept = ContinuousClock.now
                    let labels = try await other.store.node(credentialHash: hash)?.labels
                    return labels == ["try": String(tries)] && other.store.credentials.node(credentialHash: hash, now: kept) != nil
                }
                _ = try await server.app.store.revokeNode(id: enrolled.id, actor: "test")
                try await eventually("the other replica forgets the revoked node") {
                    other.store.credentials.node(credentialHash: hash, now: kept) == nil
                }
                #expect(try await other.store.node(credentialHash: hash)?.revokedUs != nil)
            }
        }
    }

    /// A replica that missed a revocation's notification (here: one that never listens) forgets
    /// the node at its next revision poll, which finds the count of node changes moved; a poll
    /// that finds it unchanged keeps what it holds.
    @Test(arguments: Backend.enabled)
    func aRevocationWhoseNotificationWasMissedIsSeenAtTheNextRevisionPoll(_ backend: Backend) async throws {
        try await TestServer.with(backend) { server, api in
            let enrolled = try await api.enroll("node-missed")
            let hash = Secrets.digest(enrolled.credential)
            let other = Store(database: server.app.store.database)
            // As if it listened: it keeps nodes for the long lifetime, and hears nothing.
            other.credentials.following(true)
            _ = try await other.catchUp(server.app.watcher)
            #expect(try await other.node(credentialHash: hash)?.revokedUs == nil)
            _ = try await other.catchUp(server.app.watcher)
            #expect(other.credentials.node(credentialHash: hash)?.id == enrolled.id, "no node changed: kept")

            _ = try await server.app.store.revokeNode(id: enrolled.id, actor: "test")
            #expect(other.credentials.node(credentialHash: hash)?.id == enrolled.id, "not told")
            _ = try await other.catchUp(server.app.watcher)
            #expect(other.credentials.node(credentialHash: hash) == nil)
            #expect(try await other.node(credentialHash: hash)?.revokedUs != nil)
        }
    }

    /// What a woken long poll asks before it answers from the node it authenticated with: no node
    /// changed since, and the other replicas' changes were heard all along.
    @Test func aWokenPollKnowsWhetherAnyNodeMayHaveChanged() {
        let alone = NodeCredentialCache()
        let read = alone.generation
        #expect(alone.unchanged(since: read))
        alone.forget(nodeID: "some-node")
        #expect(!alone.unchanged(since: read))

        let replica = NodeCredentialCache(replicas: true)
        #expect(!replica.unchanged(since: replica.generation))
        replica.following(true)
        let heard = replica.generation
        #expect(replica.unchanged(since: heard))
        replica.forgetAll()
        #expect(!replica.unchanged(since: heard))
        let again = replica.generation
        replica.following(false)
        #expect(!replica.unchanged(since: again))
        #expect(!replica.unchanged(since: replica.generation))
    }

    /// The cache alone (the store only makes the node record it keeps): one backend is enough.
    @Test func anEntryLastsItsLifetimeAndAReadBegunBeforeAForgetIsNotKept() async throws {
        try await TestServer.with(.sqlite) { server, api in
            let enrolled = try await api.enroll("node-expiring")
            let node = try #require(try await server.app.store.node(id: enrolled.id))
            let cache = NodeCredentialCache()
            let start = ContinuousClock.now
            cache.remember(node, credentialHash: "h", readAt: cache.generation, now: start)
            #expect(cache.node(credentialHash: "h", now: start + .seconds(1))?.id == node.id)
            #expect(cache.node(credentialHash: "h", now: start + NodeCredentialCache.unheardLifetime)?.id == node.id)
            #expect(cache.node(credentialHash: "h", now: start + NodeCredentialCache.lifetime) == nil)

            // Replicas not heard: only the short lifetime.
            let unheard = NodeCredentialCache(replicas: true)
            unheard.remember(node, credentialHash: "h", readAt: unheard.generation, now: start)
            #expect(unheard.node(credentialHash: "h", now: start + .seconds(1))?.id == node.id)
            #expect(unheard.node(credentialHash: "h", now: start + NodeCredentialCache.unheardLifetime) == nil)

            let before = cache.generation
            cache.forget(nodeID: "some-other-node")
            cache.remember(node, credentialHash: "h", readAt: before, now: start)
            #expect(cache.node(credentialHash: "h", now: start) == nil)
        }
    }
}
