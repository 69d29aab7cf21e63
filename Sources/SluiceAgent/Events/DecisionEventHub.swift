import SluiceCore
import Synchronization

/// What a subscriber receives: events in the batches they were published in (one write per
/// batch downstream, not one per event), and a count when its buffer overflowed.
public enum EventStreamItem: Sendable {
    case events([DecisionEvent])
    /// Events this subscriber missed because it read too slowly.
    case dropped(Int)
}

/// The agent's decisions in memory: fans them out to subscribers (`sluice events`, the fleet
/// uploader) and keeps the most recent ones. A slow subscriber loses events, counted and told,
/// never blocks the rest.
public final class DecisionEventHub: Sendable {
    private struct Subscriber {
        var filter: EventFilter
        var continuation: AsyncStream<EventStreamItem>.Continuation
        var pendingDrops = 0
    }

    private struct State {
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 0
        var recent: [DecisionEvent] = []
        var recentStart = 0
        var dropped = 0
        var published = 0
    }

    private let state = Mutex(State())
    private let recentLimit: Int
    private let bufferLimit: Int

    public init(recentLimit: Int = 1000, bufferLimit: Int = 1000) {
        self.recentLimit = recentLimit
        self.bufferLimit = bufferLimit
    }

    /// A stream of matching events from now on, preceded by the `replay` most recent matches.
    /// At most `bufferLimit` batches wait for a slow reader; beyond that they are dropped and
    /// counted.
    public func subscribe(_ filter: EventFilter, replay: Int = 0) -> AsyncStream<EventStreamItem> {
        let (stream, continuation) = AsyncStream.makeStream(of: EventStreamItem.self, bufferingPolicy: .bufferingOldest(bufferLimit))
        let id = state.withLock { state -> Int in
            if replay > 0 {
                let recent = Array(Self.ordered(state).filter(filter.matches).suffix(replay))
                if !recent.isEmpty { continuation.yield(.events(recent)) }
            }
            state.nextID += 1
            state.subscribers[state.nextID] = Subscriber(filter: filter, continuation: continuation)
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// The most recent events that match, oldest first.
    public func recent(_ filter: EventFilter, limit: Int) -> [DecisionEvent] {
        state.withLock { Array(Self.ordered($0).filter(filter.matches).suffix(limit)) }
    }

    /// Delivers a batch; returns how many deliveries were dropped for slow subscribers.
    @discardableResult
    public func publish(_ events: [DecisionEvent]) -> Int {
        state.withLock { state in
            var dropped = 0
            // Only the last `recentLimit` of a large batch can stay.
            for event in events.suffix(recentLimit) {
                if state.recent.count < recentLimit {
                    state.recent.append(event)
                } else {
                    state.recent[state.recentStart] = event
                    state.recentStart = (state.recentStart + 1) % recentLimit
                }
            }
            for id in Array(state.subscribers.keys) {
                var subscriber = state.subscribers[id]!
                if subscriber.pendingDrops > 0, case .enqueued = subscriber.continuation.yield(.dropped(subscriber.pendingDrops)) {
                    subscriber.pendingDrops = 0
                }
                let matching = events.filter(subscriber.filter.matches)
                if !matching.isEmpty, case .dropped = subscriber.continuation.yield(.events(matching)) {
                    subscriber.pendingDrops += matching.count
                    dropped += matching.count
                }
                state.subscribers[id] = subscriber
            }
            state.published += events.count
            state.dropped += dropped
            return dropped
        }
    }

    /// Totals since start: events published, deliveries dropped, current subscribers.
    public var totals: (published: Int, dropped: Int, subscribers: Int) {
        state.withLock { ($0.published, $0.dropped, $0.subscribers.count) }
    }

    private static func ordered(_ state: State) -> [DecisionEvent] {
        Array(state.recent[state.recentStart...] + state.recent[..<state.recentStart])
    }
}
