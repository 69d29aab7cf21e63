import Logging
import PostgresNIO
import SQLKit
import ServiceLifecycle
import SluiceCore

/// What one replica tells the others through PostgreSQL NOTIFY.
enum ReplicaMessage: Sendable, Hashable {
    /// The fleet revision moved to this.
    case revision(Int64)
    /// A batch of a node's events was stored with ids in this range.
    case events(nodeID: String, firstID: Int64, lastID: Int64)
    /// A node was revoked or relabelled: a replica that checked its credential lately forgets it.
    case node(id: String)

    func encode(replica: String) -> String {
        switch self {
        case .revision(let revision): "r \(replica) \(revision)"
        case .events(let node, let first, let last): "e \(replica) \(node) \(first) \(last)"
        case .node(let id): "n \(replica) \(id)"
        }
    }

    static func decode(_ text: String) -> (replica: String, message: ReplicaMessage)? {
        let parts = text.split(separator: " ").map(String.init)
        switch (parts.first, parts.count) {
        case ("r", 3):
            guard let revision = Int64(parts[2]) else { return nil }
            return (parts[1], .revision(revision))
        case ("e", 5):
            guard let first = Int64(parts[3]), let last = Int64(parts[4]) else { return nil }
            return (parts[1], .events(nodeID: parts[2], firstID: first, lastID: last))
        case ("n", 3):
            return (parts[1], .node(id: parts[2]))
        default:
            return nil
        }
    }
}

/// Keeps this replica current with the others sharing a PostgreSQL database: LISTEN for their
/// pushes and event batches (streams here see events stored there), and poll the revision as a
/// fallback should a notification be missed while the listening connection was down.
struct ReplicaSync: Service {
    let store: Store
    let watcher: RevisionWatcher
    let hub: EventLineHub
    let pollInterval: Duration
    let logger: Logger

    func run() async throws {
        guard store.kind == .postgres else {
            // One SQLite file has one server; nothing to follow.
            try? await gracefulShutdown()
            return
        }
        await withDiscardingTaskGroup { group in
            group.addTask { await poll() }
            group.addTask { await listen() }
        }
    }

    private func poll() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await store.catchUp(watcher)
                } catch {
                    logger.debug("revision poll failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: pollInterval)
            }
        }
    }

    private func listen() async {
        await cancelWhenGracefulShutdown {
            var backoff = Duration.milliseconds(250)
            while !Task.isCancelled {
                do {
                    guard let connection = try await store.database.listenerConnection() else { return }
                    backoff = .milliseconds(250)
                    do {
                        try await connection.listen(on: store.database.notifyChannel) { notifications in
                            store.credentials.following(true)
                            for try await notification in notifications {
                                await handle(notification.payload)
                            }
                        }
                    } catch {
                        store.credentials.following(false)
                        try? await connection.close()
                        throw error
                    }
                    store.credentials.following(false)
                    try? await connection.close()
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("listening for other replicas failed; retrying", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(10))
            }
        }
    }

    private func handle(_ payload: String) async {
        guard let (replica, message) = ReplicaMessage.decode(payload), replica != store.replicaID else { return }
        switch message {
        case .revision(let revision):
            watcher.advance(to: revision)
        case .node(let id):
            store.credentials.forget(nodeID: id)
        case .events(let nodeID, let first, let last):
            guard hub.count > 0 else { return }
            do {
                let lines = try await store.database.read { sql in
                    try await sql.raw(
                        "SELECT line FROM events WHERE node_id = \(bind: nodeID) AND id BETWEEN \(bind: first) AND \(bind: last) ORDER BY id"
                    ).all().map { try $0.string("line") }
                }
                let events = lines.compactMap { line in (try? DecisionEvent(jsonLine: line)).map { ($0, line) } }
                hub.publish(nodeID: nodeID, events: events)
            } catch {
                logger.debug("reading another replica's events failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
