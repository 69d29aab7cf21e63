import OpenAPIRuntime
import SluiceAPI
import Synchronization

/// The body of a node's policy watch (`watchPolicy`): its bundle as a line at each new revision,
/// and a keepalive line after `keepalive` without one, so that a node that went away is noticed at
/// the next write. A push costs a line per watching node, where a long poll costs an answer and a
/// new request (authenticated, routed, parked) per node. The stream ends when the node is revoked
/// or removed, when the server stops, or when the transport stops reading.
struct PolicyWatchLines: AsyncSequence, Sendable {
    typealias Element = HTTPBody.ByteChunk
    let app: ServerApp
    let node: NodeRecord
    /// The credential cache's generation read before `node` was.
    let generation: UInt64
    /// The revision the node has; nil sends the current bundle first.
    let after: Int64?
    let keepalive: Duration

    /// Counts the watch when the transport starts writing the body, so a body never sent holds nothing.
    func makeAsyncIterator() -> Iterator {
        Iterator(Feed(app: app, node: node, generation: generation, sent: after, keepalive: keepalive))
    }

    struct Iterator: AsyncIteratorProtocol {
        let feed: Feed

        init(_ feed: Feed) { self.feed = feed }

        mutating func next() async throws -> HTTPBody.ByteChunk? { try await feed.next() }
    }

    /// The watch's state for as long as the transport holds the iterator.
    final class Feed: @unchecked Sendable {
        // Only the one task the transport iterates on touches the variables.
        private let app: ServerApp
        private var node: NodeRecord
        private var generation: UInt64
        private var sent: Int64?
        private var ended = false
        private let keepalive: Duration

        init(app: ServerApp, node: NodeRecord, generation: UInt64, sent: Int64?, keepalive: Duration) {
            self.app = app
            self.node = node
            self.generation = generation
            self.sent = sent
            self.keepalive = keepalive
            app.policyWatches.opened(nodeID: node.id)
        }

        deinit {
            app.policyWatches.closed(nodeID: node.id)
        }

        func next() async throws -> HTTPBody.ByteChunk? {
            guard !ended else { return nil }
            let watcher = app.watcher
            if let sent {
                let current = await watcher.wait(after: sent, timeout: keepalive)
                if watcher.isStopping || Task.isCancelled { return end() }
                // Labels or revocation may have changed since the node was read: if any node's
                // did, read this one again (a push alone changes none, and thousands of watches
                // it wakes answer from the record they have).
                if !app.store.credentials.unchanged(since: generation) {
                    let generation = app.store.credentials.generation
                    guard let fresh = try await app.nodeRefresh.node(id: node.id, wokenAt: .now), fresh.revokedUs == nil else { return end() }
                    node = fresh
                    self.generation = generation
                }
                if current <= sent { return HTTPBody.ByteChunk(PolicyWatchLine.keepaliveText.utf8) }
            }
            let (revision, line) = try await app.watchLines.line(labels: node.labels, atLeast: watcher.revision)
            sent = revision
            return line
        }

        private func end() -> HTTPBody.ByteChunk? {
            ended = true
            return nil
        }
    }
}

/// Open policy watches per node: a node's credential may hold only a few at once (an agent has
/// one, and briefly a second while it reconnects), so that a stolen one cannot pin the server's
/// memory with thousands.
final class PolicyWatchCount: Sendable {
    /// Watches one node may hold open at once.
    static let perNode = 4
    private let open = Mutex<[String: Int]>([:])

    /// True when the node may open another.
    func allows(nodeID: String) -> Bool { open.withLock { $0[nodeID, default: 0] < Self.perNode } }

    func opened(nodeID: String) { open.withLock { $0[nodeID, default: 0] += 1 } }

    func closed(nodeID: String) {
        open.withLock { open in
            let left = open[nodeID, default: 1] - 1
            open[nodeID] = left > 0 ? left : nil
        }
    }
}
