import Foundation

/// Recorded decisions parsed from their stored lines into one list, each batch of lines over
/// several threads: a what-if replay reads up to a million, and parsing them on one core took
/// longer than replaying them on all.
///
/// The events live in memory this buffer allocates and frees (in `deinit`, once), and are read
/// there (`withEvents`).
public final class ReplayEventBuffer: @unchecked Sendable {
    /// Guards `held` and `unreadable`: one `parse`, `withEvents` or `removeAll` at a time (the
    /// lanes of a parse write disjoint ranges of `storage`).
    private let lock = NSLock()
    private let storage: UnsafeMutablePointer<DecisionEvent>
    /// Room for this many events; lines beyond it are not parsed.
    public let capacity: Int
    /// Events initialized at the start of `storage`.
    private var held = 0
    private var unreadableLines = 0

    public init(capacity: Int) {
        self.capacity = max(0, capacity)
        storage = .allocate(capacity: self.capacity)
    }

    deinit {
        storage.deinitialize(count: held)
        storage.deallocate()
    }

    /// Lines no codec of this version reads (written by a newer agent, or damaged): left out.
    public var unreadable: Int { lock.withLock { unreadableLines } }

    /// Parses `lines` after the events already held, over at most `lanes` threads (the caller's
    /// included), in their order.
    public func parse(_ lines: [String], lanes: Int) {
        lock.withLock {
            let total = min(lines.count, capacity - held)
            guard total > 0 else { return }
            // Chunks of a few thousand lines: a thread per chunk costs far less than the chunk.
            let chunks = max(1, min(lanes, total / 2_000))
            let size = (total + chunks - 1) / chunks
            let base = Destination(pointer: storage + held)
            let made = PolicyReplay.parallel(chunks, threads: chunks) { chunk -> Int in
                let start = chunk * size
                var made = 0
                var recent = RecentStrings()
                for line in lines[start..<min(total, start + size)] {
                    guard let event = try? DecisionEvent(jsonLine: line, recent: &recent) else { continue }
                    (base.pointer + start + made).initialize(to: event)
                    made += 1
                }
                return made
            }
            // Unreadable lines left gaps at the ends of chunks: the events after move down.
            var end = held + made[0]
            for chunk in 1..<chunks {
                (storage + end).moveInitialize(from: base.pointer + chunk * size, count: made[chunk])
                end += made[chunk]
            }
            unreadableLines += total - (end - held)
            held = end
        }
    }

    /// Events held.
    public var count: Int { lock.withLock { held } }

    /// `body` over the events parsed so far, in the order of their lines, read where they are:
    /// a million of them copied into an array took longer than deciding them.
    public func withEvents<R, E: Error>(_ body: (RecordedEvents) throws(E) -> R) throws(E) -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(RecordedEvents(UnsafeBufferPointer(start: storage, count: held)))
    }

    /// Frees the events held (their strings); the buffer is empty after. A server calls it off
    /// the request's path: a million events take a good part of a second to free.
    public func removeAll() {
        lock.withLock {
            storage.deinitialize(count: held)
            held = 0
        }
    }

    /// Where a parse's lanes write: each its own range.
    private struct Destination: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<DecisionEvent>
    }
}
