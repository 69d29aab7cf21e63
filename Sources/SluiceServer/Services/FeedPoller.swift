import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import Synchronization

/// Syncs each feed when its poll interval has passed, turns expired indicators into removals,
/// forgets old removals, and wakes the nodes long-polling for intel. Syncs run here, never in
/// request handling (but for an admin's sync-now, which waits for its own feed only).
final class FeedPoller: Service, Sendable {
    let store: Store
    let watcher: RevisionWatcher
    let sync: FeedSync
    let tick: Duration
    let tombstoneDays: Int
    let logger: Logger
    /// Feeds being synced now, each with the admin syncs waiting for it: a feed is never synced
    /// twice at once.
    private let running = Mutex<[Int64: [CheckedContinuation<Void, Never>]]>([:])
    /// When removals were last pruned: a scan of all of them, so once an hour is enough.
    private let prunedUs = Mutex<Int64>(0)

    init(store: Store, watcher: RevisionWatcher, limits: FeedLimits, tick: Duration, tombstoneDays: Int, metrics: ServerMetrics, logger: Logger) {
        self.store = store
        self.watcher = watcher
        sync = FeedSync(store: store, limits: limits, metrics: metrics, logger: logger)
        self.tick = tick
        self.tombstoneDays = tombstoneDays
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.pass()
                try? await Task.sleep(for: self.tick)
            }
        }
    }

    /// One look: due feeds, expiry, pruning.
    func pass() async {
        do {
            for feed in try await store.feeds() where feed.dueUs <= Micros.now() {
                guard !Task.isCancelled else { return }
                _ = await syncNow(feed)
            }
            if let seq = try await store.expireIndicators(nowUs: Micros.now()) { watcher.advance(to: seq) }
            let now = Micros.now()
            if prunedUs.withLock({ now - $0 >= 3_600_000_000 }) {
                try await store.pruneTombstones(beforeUs: now - Int64(tombstoneDays) * 86_400_000_000)
                prunedUs.withLock { $0 = now }
            }
        } catch {
            logger.warning("feed poller pass failed", metadata: ["error": "\(error)"])
        }
    }

    /// Syncs one feed unless a sync of it is running; false when one was (the poller's way: the
    /// running sync does what this one would).
    func syncNow(_ feed: StoredFeed) async -> Bool {
        guard claim(feed.id) == .claimed else { return false }
        await syncClaimed(feed)
        return true
    }

    /// Syncs one feed, after any sync of it that is running ends (an admin's sync-now: that sync
    /// may have fetched the source before the admin changed it, so this one fetches again).
    func syncAfterRunning(_ feed: StoredFeed) async {
        while true {
            var waited: Claim = .busy
            await withCheckedContinuation { continuation in
                waited = claim(feed.id, parking: continuation)
                if waited == .claimed { continuation.resume() }
            }
            if waited == .claimed { break }
        }
        await syncClaimed(feed)
    }

    /// Admin syncs waiting for a running sync of their feed to end.
    var syncsWaiting: Int { running.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    private enum Claim { case claimed, busy }

    /// Takes the feed when no sync of it runs; otherwise parks `continuation` (if any) until it ends.
    private func claim(_ id: Int64, parking continuation: CheckedContinuation<Void, Never>? = nil) -> Claim {
        running.withLock { running in
            guard running[id] != nil else {
                running[id] = []
                return .claimed
            }
            if let continuation { running[id]!.append(continuation) }
            return .busy
        }
    }

    private func syncClaimed(_ feed: StoredFeed) async {
        defer {
            for waiter in running.withLock({ $0.removeValue(forKey: feed.id) ?? [] }) { waiter.resume() }
        }
        if let seq = await sync.sync(feed) { watcher.advance(to: seq) }
    }

    /// Which feeds targeting nodes changed (added, removed, a node's labels): wakes long polls.
    func layoutChanged() async {
        if let seq = try? await store.intelSequence() { watcher.advance(to: seq) }
    }
}
