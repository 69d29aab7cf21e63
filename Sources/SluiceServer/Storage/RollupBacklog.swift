import Synchronization

/// Batches whose events are stored and whose counts are not yet in the rollups: the counts
/// summed, and which batches they are, so that a flush marks exactly those rolled up. Held in
/// memory between flushes (Store+RollupFlush.swift); a server that stops without flushing leaves
/// its batches marked not rolled up in `event_batches`, and recovery counts them from their events.
final class RollupBacklog: Sendable {
    /// A stored batch, as `event_batches` keys it.
    struct Batch: Hashable, Sendable {
        var node: String
        var sequence: Int64
    }

    struct Pending: Sendable {
        var delta = RollupDelta()
        var batches: [Batch] = []
    }

    private let state = Mutex(Pending())
    /// One flush at a time in this process.
    let flushing = AsyncLock()
    /// Wakes the flusher (RollupService) when batches wait.
    let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation

    init() {
        (wakeups, wakeup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Adds a stored batch's counts; returns the keys now waiting (`RollupDelta.keys`).
    func add(_ batch: Batch, _ delta: RollupDelta) -> Int {
        let waiting = state.withLock { pending in
            pending.delta.merge(delta)
            pending.batches.append(batch)
            return pending.delta.keys
        }
        wakeup.yield()
        return waiting
    }

    /// Everything waiting, leaving nothing.
    func take() -> Pending {
        state.withLock { pending in
            defer { pending = Pending() }
            return pending
        }
    }

    /// Puts back what a failed flush took (its transaction rolled back, so none of it was counted).
    func restore(_ taken: Pending) {
        state.withLock { pending in
            pending.delta.merge(taken.delta)
            pending.batches += taken.batches
        }
        wakeup.yield()
    }

    /// Events counted and not yet flushed.
    var waitingEvents: Int { state.withLock { $0.delta.events } }
}
