import Foundation

/// Recorded decisions parsed from their stored lines into one list, each batch of lines over
/// several threads: a what-if replay reads up to a million, and parsing them on one core took
/// longer than replaying them on all.
///
/// The events live in memory this buffer allocates and frees (in `deinit`, once); `taken()`
/// moves them out into an array without copying their strings.
public final class ReplayEventBuffer: @unchecked Sendable {
    /// Guards `count` and `unreadable`: one `parse` or `taken` at a time (the lanes of a parse
    /// write disjoint ranges of `storage`).
    private let lock = NSLock()
    private let storage: UnsafeMutablePointer<DecisionEvent>
    /// Room for this many events; lines beyond it are not parsed.
    public let capacity: Int
    /// Events initialized at the start of `storage`.
    private var count = 0
    private var unreadableLines = 0

    public init(capacity: Int) {
        self.capacity = max(0, capacity)
        storage = .allocate(capacity: self.capacity)
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    /// Lines no codec of this version reads (written by a newer agent, or damaged): left out.
    public var unreadable: Int { lock.withLock { unreadableLines } }

    /// Parses `lines` after the events already held, over at most `lanes` threads (the caller's
    /// included), in their order.
    public func parse(_ lines: [String], lanes: Int) {
        lock.withLock {
            let total = min(lines.count, capacity - count)
            guard total > 0 else { return }
            // Chunks of a few thousand lines: a thread per chunk costs far less than the chunk.
            let chunks = max(1, min(lanes, total / 2_000))
            let size = (total + chunks - 1) / chunks
            let base = Destination(pointer: storage + count)
            let made = PolicyReplay.parallel(chunks, threads: chunks) { chunk -> Int in
                let start = chunk * size
                var made = 0
                for line in lines[start..<min(total, start + size)] {
                    guard let event = try? DecisionEvent(jsonLine: line) else { continue }
                    (base.pointer + start + made).initialize(to: event)
                    made += 1
                }
                return made
            }
            // Unreadable lines left gaps at the ends of chunks: the events after move down.
            var end = count + made[0]
            for chunk in 1..<chunks {
                (storage + end).moveInitialize(from: base.pointer + chunk * size, count: made[chunk])
                end += made[chunk]
            }
            unreadableLines += total - (end - count)
            count = end
        }
    }

    /// The events parsed so far, in the order of their lines; the buffer is empty after.
    public func taken() -> [DecisionEvent] {
        lock.withLock {
            let events = [DecisionEvent](unsafeUninitializedCapacity: count) { buffer, initialized in
                buffer.baseAddress?.moveInitialize(from: storage, count: count)
                initialized = count
            }
            count = 0
            return events
        }
    }

    /// Where a parse's lanes write: each its own range.
    private struct Destination: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<DecisionEvent>
    }
}
