import Synchronization

/// The nodes behind recently presented credentials. Every agent request authenticates, and a
/// push has thousands of agents poll again at once, a query each without it. A revocation or a
/// label change forgets the node at once: made on this replica directly, made on another by its
/// notification (`ReplicaMessage.node`), and should that be missed, at the next revision poll,
/// which sees the count of node changes move (`nodeChanges`, every 500 ms by default). A node is
/// kept for `lifetime` while the others are heard, else for `unheardLifetime`. Every forget moves
/// `generation`, which a woken long poll compares with the one read before its node was, to read
/// its node afresh (`NodeRefresh`) only when some node changed.
final class NodeCredentialCache: Sendable {
    /// Longer than the time between pushes and heartbeats, so that the polls a push wakes, which
    /// come back at once, make no query (with 2 s, 10,000 agents made 10,000 queries per push).
    static let lifetime: Duration = .seconds(300)
    /// While the other replicas' notifications are not heard: only this long.
    static let unheardLifetime: Duration = .seconds(2)
    /// Beyond this many credentials the expired ones go, and if that is not enough, all of them.
    static let capacity = 50_000

    private struct Entry {
        var node: NodeRecord
        var expires: ContinuousClock.Instant
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Counts forgets, so that a read that began before one does not put its node back.
        var generation: UInt64 = 0
        /// Other replicas' changes arrive: alone on its database, or listening to the others.
        var following: Bool
        /// The count of node changes the database held at the last revision poll (nil before one).
        var nodeChanges: Int64?
    }

    private let state: Mutex<State>

    /// - Parameter replicas: other replicas may share the database; their changes are known only
    ///   while `following(_:)` says their notifications are heard.
    init(replicas: Bool = false) {
        state = Mutex(State(following: !replicas))
    }

    /// What a caller reads before its query, and hands to `remember`.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// No node was revoked or relabelled since `generation` was read, as far as this replica can
    /// know: false while the other replicas are not heard.
    func unchanged(since generation: UInt64) -> Bool {
        state.withLock { $0.following && $0.generation == generation }
    }

    /// Whether the other replicas' notifications are heard now. Either way every node is dropped:
    /// what changed while they were not heard is not known.
    func following(_ heard: Bool) {
        state.withLock { state in
            state.following = heard
            Self.dropAll(&state)
        }
    }

    /// Drops every node: a notification of the others' was missed, and a node's may have been.
    func forgetAll() {
        state.withLock { Self.dropAll(&$0) }
    }

    /// The count of node revocations and relabellings the database holds now: when it moved since
    /// the last poll, every node is dropped (a change may have gone unheard). The first count drops
    /// them too: what came before it is not known.
    func nodeChanges(_ count: Int64) {
        state.withLock { state in
            guard state.nodeChanges != count else { return }
            state.nodeChanges = count
            Self.dropAll(&state)
        }
    }

    private static func dropAll(_ state: inout State) {
        state.generation &+= 1
        state.entries.removeAll()
    }

    func node(credentialHash: String, now: ContinuousClock.Instant = .now) -> NodeRecord? {
        state.withLock { state in
            guard let entry = state.entries[credentialHash] else { return nil }
            guard entry.expires > now else {
                state.entries[credentialHash] = nil
                return nil
            }
            return entry.node
        }
    }

    /// Keeps `node` (for `lifetime`, or `unheardLifetime`), unless a node was forgotten since
    /// `generation` was read.
    func remember(_ node: NodeRecord, credentialHash: String, readAt generation: UInt64, now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= Self.capacity {
                state.entries = state.entries.filter { $0.value.expires > now }
                if state.entries.count >= Self.capacity { state.entries.removeAll() }
            }
            state.entries[credentialHash] = Entry(node: node, expires: now + (state.following ? Self.lifetime : Self.unheardLifetime))
        }
    }

    /// Drops the node `id` (revoked, or its labels changed); rare, so a scan is fine.
    func forget(nodeID id: String) {
        state.withLock { state in
            state.generation &+= 1
            state.entries = state.entries.filter { $0.value.node.id != id }
        }
    }
}
