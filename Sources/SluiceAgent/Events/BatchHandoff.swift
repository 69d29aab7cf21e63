import Foundation
import SluiceKernel

/// Carries batches from the ring-buffer thread to the pipeline task with at most `capacity`
/// events waiting between them. When the pipeline falls behind, the reading thread waits instead
/// of dropping: records stay in the kernel's ring buffer, which absorbs the burst and counts what
/// it has no room for (`sluice_events_lost_total{stage="kernel"}`). So a burst is lost in one
/// place, counted, and the agent's memory stays bounded by the ring plus `capacity` events,
/// however long the overload lasts.
///
/// A condition variable rather than an actor: the waiting side is a plain thread, which must not
/// block the cooperative pool. `@unchecked Sendable` for that reason: `waiting` and `stopped`, its
/// only mutable state, are read and written only with `condition` held.
final class BatchHandoff: @unchecked Sendable {
    let batches: AsyncStream<RingBufferReader.Batch>
    let capacity: Int
    private let continuation: AsyncStream<RingBufferReader.Batch>.Continuation
    private let condition = NSCondition()
    /// Events sent and not yet done with; guarded by `condition`.
    private var waiting = 0
    /// Set once by `stop()`; guarded by `condition`.
    private var stopped = false

    init(capacity: Int) {
        // Unbounded as a stream: `waitForRoom` bounds it, counting events rather than batches.
        let (stream, continuation) = AsyncStream.makeStream(of: RingBufferReader.Batch.self)
        batches = stream
        self.continuation = continuation
        self.capacity = capacity
    }

    /// On the reading thread: returns true once fewer than `capacity` events wait, or false as
    /// soon as `stop()` was called. Woken by `done` and `stop`, never by a timer.
    func waitForRoom() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while waiting >= capacity && !stopped {
            condition.wait()
        }
        return !stopped
    }

    /// The service is stopping: the reading thread's wait ends now.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    func send(_ batch: RingBufferReader.Batch) {
        condition.lock()
        waiting += batch.events.count
        condition.unlock()
        continuation.yield(batch)
    }

    func finish() {
        continuation.finish()
    }

    /// On the pipeline task: `count` events of a batch are through.
    func done(_ count: Int) {
        condition.lock()
        waiting -= count
        condition.signal()
        condition.unlock()
    }
}
