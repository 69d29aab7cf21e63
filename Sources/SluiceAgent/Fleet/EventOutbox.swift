import Foundation
import Synchronization

/// Event batches waiting for upload, on disk: a batch survives a server outage and an agent
/// restart, and is uploaded at least once (the server stores a node's sequence number once).
/// Bounded in bytes; a batch that does not fit is dropped and counted, never silently.
///
/// Each batch is one file `<sequence>-<events>.ndjson` in the folder, written atomically.
final class EventOutbox: Sendable {
    let directory: String
    let limitBytes: Int
    private struct State {
        var nextSequence: UInt64
        var bytes: Int
        var events: Int
        var dropped: UInt64
    }

    private let state: Mutex<State>

    /// One batch on disk.
    struct Batch: Sendable {
        var sequence: UInt64
        var events: Int
        var path: String
    }

    init(directory: String, limitBytes: Int) throws {
        self.directory = directory
        self.limitBytes = limitBytes
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var bytes = 0
        var events = 0
        var last: UInt64 = 0
        for batch in Self.list(directory) {
            bytes += (try? FileManager.default.attributesOfItem(atPath: batch.path)[.size] as? Int) ?? 0
            events += batch.events
            last = max(last, batch.sequence)
        }
        // Sequence numbers must never repeat for this node, across restarts too.
        let saved = (try? String(contentsOfFile: directory + "/sequence", encoding: .utf8)).flatMap { UInt64($0) } ?? 0
        state = Mutex(State(nextSequence: max(last, saved) + 1, bytes: bytes, events: events, dropped: 0))
    }

    /// Stores a batch of NDJSON lines; false (and counted as dropped) when it does not fit.
    @discardableResult
    func append(_ lines: [UInt8], events: Int) -> Bool {
        let sequence: UInt64? = state.withLock { state in
            guard state.bytes + lines.count <= limitBytes else {
                state.dropped += UInt64(events)
                return nil
            }
            defer { state.nextSequence += 1 }
            state.bytes += lines.count
            state.events += events
            return state.nextSequence
        }
        guard let sequence else { return false }
        let path = "\(directory)/\(String(format: "%016llu", sequence))-\(events).ndjson"
        do {
            try Data(lines).write(to: URL(fileURLWithPath: path), options: .atomic)
            try String(sequence).write(toFile: directory + "/sequence", atomically: true, encoding: .utf8)
            return true
        } catch {
            // Written but not recorded (a full disk): the file must not be uploaded as well as
            // counted dropped.
            unlink(path)
            state.withLock {
                $0.bytes -= lines.count
                $0.events -= events
                $0.dropped += UInt64(events)
            }
            return false
        }
    }

    /// The oldest batch, if any.
    func oldest() -> Batch? {
        Self.list(directory).first
    }

    /// Removes a batch the server acknowledged.
    func remove(_ batch: Batch) {
        let size = (try? FileManager.default.attributesOfItem(atPath: batch.path)[.size] as? Int) ?? 0
        try? FileManager.default.removeItem(atPath: batch.path)
        state.withLock {
            $0.bytes -= size
            $0.events -= batch.events
        }
    }

    /// Removes a batch the server refused as malformed: retrying cannot help; counted as dropped.
    func discard(_ batch: Batch) {
        remove(batch)
        state.withLock { $0.dropped += UInt64(batch.events) }
    }

    /// Events waiting, and events dropped since start.
    var totals: (buffered: Int, dropped: UInt64) {
        state.withLock { ($0.events, $0.dropped) }
    }

    /// Counts events lost before they reached the outbox (the reader fell behind).
    func countDropped(_ events: Int) {
        state.withLock { $0.dropped += UInt64(events) }
    }

    static func list(_ directory: String) -> [Batch] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> Batch? in
            guard name.hasSuffix(".ndjson") else { return nil }
            let parts = name.dropLast(".ndjson".count).split(separator: "-")
            guard parts.count == 2, let sequence = UInt64(parts[0]), let events = Int(parts[1]) else { return nil }
            return Batch(sequence: sequence, events: events, path: directory + "/" + name)
        }.sorted { $0.sequence < $1.sequence }
    }
}
