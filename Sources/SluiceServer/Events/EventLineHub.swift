import Synchronization
import SluiceCore

/// The server's live event streams: the lines of every stored batch are offered to each
/// subscriber whose filter matches. A subscriber that falls behind loses batches and is told how
/// many lines (`EventStreamNotice.dropped`), never slowing ingest.
final class EventLineHub: Sendable {
    /// What a stream wants.
    struct Filter: Sendable {
        var nodeIDs: Set<String>?
        var executable: String?
        var destination: IPPrefix?
        var domain: DomainFilter?
        var port: UInt16?
        var verdicts: Set<RuleAction> = []
        var kinds: Set<EventKind> = []
        var policy: String?

        func matches(nodeID: String, event: DecisionEvent) -> Bool {
            if let nodeIDs, !nodeIDs.contains(nodeID) { return false }
            if let executable, event.exe != executable { return false }
            if let destination, !destination.contains(event.destination) { return false }
            if let domain, !domain.matches(event.dstDomain) { return false }
            if let port, event.port != port { return false }
            if !verdicts.isEmpty, !verdicts.contains(event.verdict) { return false }
            if !kinds.isEmpty, !kinds.contains(event.kind) { return false }
            if let policy, event.policy != policy { return false }
            return true
        }
    }

    /// What a stream receives: the matching lines of one batch (newline-terminated), or a
    /// keepalive.
    struct Chunk: Sendable {
        var text: String
        var lines: Int
    }

    /// One stream's chunks, buffered up to a bound.
    final class Subscription: Sendable {
        let filter: Filter
        let stream: AsyncStream<Chunk>
        fileprivate let continuation: AsyncStream<Chunk>.Continuation
        fileprivate let dropped = Atomic<Int>(0)
        /// Bytes offered and not yet written out: a reader that stops reading holds at most
        /// `maximumBytes`, whatever the size of the batches.
        private let queuedBytes = Atomic<Int>(0)
        private let maximumBytes: Int

        fileprivate init(filter: Filter, buffer: Int, maximumBytes: Int) {
            self.filter = filter
            self.maximumBytes = maximumBytes
            (stream, continuation) = AsyncStream.makeStream(of: Chunk.self, bufferingPolicy: .bufferingOldest(buffer))
        }

        /// Lines dropped since the last call.
        func takeDropped() -> Int { dropped.exchange(0, ordering: .relaxed) }

        private static let keepaliveLine = EventStreamNotice.keepalive.jsonLine + "\n"

        /// A line that tells a quiet stream's reader (and proxies) the stream is alive.
        func keepalive() {
            continuation.yield(Chunk(text: Self.keepaliveLine, lines: 0))
        }

        fileprivate func offer(_ chunk: Chunk) {
            let bytes = chunk.text.utf8.count
            if queuedBytes.load(ordering: .relaxed) + bytes > maximumBytes {
                dropped.wrappingAdd(chunk.lines, ordering: .relaxed)
                return
            }
            queuedBytes.wrappingAdd(bytes, ordering: .relaxed)
            if case .dropped = continuation.yield(chunk) {
                queuedBytes.wrappingSubtract(bytes, ordering: .relaxed)
                dropped.wrappingAdd(chunk.lines, ordering: .relaxed)
            }
        }

        /// The stream wrote `chunk` out.
        func consumed(_ chunk: Chunk) {
            // Keepalives (no lines) were never counted in.
            guard chunk.lines > 0 else { return }
            queuedBytes.wrappingSubtract(chunk.text.utf8.count, ordering: .relaxed)
        }
    }

    private let subscribers = Mutex<[ObjectIdentifier: Subscription]>([:])
    /// Set by `finishAll`: a stream opened while the server stops ends at once.
    private let finished = Atomic<Bool>(false)
    private let onCountChanged: @Sendable (Int) -> Void

    init(onCountChanged: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.onCountChanged = onCountChanged
    }

    var count: Int { subscribers.withLock { $0.count } }

    /// `buffer` counts batches, `maximumBytes` their text: a stream may lag that far behind.
    func subscribe(_ filter: Filter, buffer: Int = 1000, maximumBytes: Int = 8 << 20) -> Subscription {
        let subscription = Subscription(filter: filter, buffer: buffer, maximumBytes: maximumBytes)
        let count = subscribers.withLock { subscribers -> Int? in
            // Checked under the lock `finishAll` takes, so no stream slips between the two.
            if finished.load(ordering: .relaxed) { return nil }
            subscribers[ObjectIdentifier(subscription)] = subscription
            return subscribers.count
        }
        guard let count else {
            subscription.continuation.finish()
            return subscription
        }
        onCountChanged(count)
        return subscription
    }

    func unsubscribe(_ subscription: Subscription) {
        subscription.continuation.finish()
        let count = subscribers.withLock { subscribers in
            subscribers[ObjectIdentifier(subscription)] = nil
            return subscribers.count
        }
        onCountChanged(count)
    }

    /// Offers a batch to every stream.
    func publish(nodeID: String, events: [(event: DecisionEvent, line: String)]) {
        let current = subscribers.withLock { Array($0.values) }
        guard !current.isEmpty else { return }
        for subscription in current {
            var text = ""
            var lines = 0
            for item in events where subscription.filter.matches(nodeID: nodeID, event: item.event) {
                text += item.line
                text += "\n"
                lines += 1
            }
            if lines > 0 { subscription.offer(Chunk(text: text, lines: lines)) }
        }
    }

    /// Ends every stream, and any opened later (shutdown).
    func finishAll() {
        let current = subscribers.withLock { subscribers in
            finished.store(true, ordering: .relaxed)
            defer { subscribers.removeAll() }
            return Array(subscribers.values)
        }
        for subscription in current { subscription.continuation.finish() }
    }
}
