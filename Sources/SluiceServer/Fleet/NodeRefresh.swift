import Synchronization

/// Nodes as they are now, for the long polls a push woke when some node may have changed since
/// they parked (`NodeCredentialCache.unchanged(since:)`). Each such poll must see its node's
/// labels and revocation as they are after the wake, not as when it parked; a push wakes every
/// parked poll at once, so their look-ups are gathered: one query for every node whose poll asked
/// while the one before ran, rather than a round trip each (10,000 at once on a large fleet).
final class NodeRefresh: Sendable {
    private struct State {
        var asked: Set<String> = []
        var loaded: [String: NodeRecord] = [:]
        var loadedIDs: Set<String> = []
        /// When the query of `loaded` began: it answers polls woken before then.
        var loadedAt = ContinuousClock.Instant.now
    }

    private let store: Store
    private let state = Mutex(State())
    private let loading = AsyncLock()

    init(store: Store) {
        self.store = store
    }

    /// The node `id` as read after `wokenAt` (nil when it no longer exists).
    func node(id: String, wokenAt: ContinuousClock.Instant) async throws -> NodeRecord? {
        state.withLock { _ = $0.asked.insert(id) }
        return try await loading.withLock {
            let answered = state.withLock { state -> (found: Bool, node: NodeRecord?) in
                state.loadedAt >= wokenAt && state.loadedIDs.contains(id) ? (true, state.loaded[id]) : (false, nil)
            }
            if answered.found { return answered.node }
            let started = ContinuousClock.now
            let ids = state.withLock { state in
                defer { state.asked = [] }
                return state.asked.union([id])
            }
            let nodes = try await store.nodes(ids: Array(ids))
            let found = Dictionary(nodes.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            state.withLock { state in
                state.loaded = found
                state.loadedIDs = ids
                state.loadedAt = started
            }
            return found[id]
        }
    }
}
