import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceKernel

/// The node's recent decisions on disk, for `sluice policy test --local` to replay a week rather
/// than the 1,000 the agent holds in memory. Segments `<sequence>.ndjson` in the state folder's
/// `history/`, each at most an eighth of the limit; the oldest go once the folder holds more
/// than the limit. Lines are the event codec's (`DecisionEvent.jsonLine`). Writes run on a thread
/// of their own (`ThreadExecutor`), never on the cooperative pool; a write that fails is logged
/// and counted, and the events stay on every other path.
public actor DecisionHistory: Service {
    private let executor = ThreadExecutor(name: "sluice-history")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    let directory: String
    let limitBytes: Int
    private let hub: DecisionEventHub
    private let logger: Logger
    private var segment: (descriptor: Int32, sequence: UInt64, bytes: Int)?
    private var segments: [(sequence: UInt64, bytes: Int)] = []
    private var prepared = false
    /// Decisions that could not be written.
    private(set) var failed: UInt64 = 0

    var segmentLimit: Int { max(64 << 10, limitBytes / 8) }

    init(directory: String, limitBytes: Int, hub: DecisionEventHub, logger: Logger) {
        self.directory = directory
        self.limitBytes = limitBytes
        self.hub = hub
        self.logger = logger
    }

    public func run() async throws {
        do {
            try prepare()
        } catch {
            logger.error("the decision history is off: its folder cannot be made", metadata: ["history.directory": "\(directory)", "error": "\(error)"])
            return
        }
        // With the decisions the hub published before this service started (its recent ones):
        // the pipeline may run first.
        for await item in hub.subscribe(EventFilter(kinds: [.decision]), replay: .max).cancelOnGracefulShutdown() {
            if case .events(let events) = item { append(events) }
        }
        if let open = segment { close(open.descriptor) }
        segment = nil
    }

    /// The folder, and the segments an earlier run left (a new run writes after them).
    private func prepare() throws {
        guard !prepared else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        segments = Self.segments(in: directory).map { ($0.sequence, $0.bytes) }
        prepared = true
    }

    /// Appends `events` to the newest segment, starting another when it is full.
    func append(_ events: [DecisionEvent]) {
        var bytes: [UInt8] = []
        for event in events {
            bytes += event.jsonLine.utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        guard !bytes.isEmpty else { return }
        do {
            try prepare()
            if segment == nil || segment!.bytes >= segmentLimit { try startSegment() }
            try Self.write(bytes, to: segment!.descriptor, path: path(segment!.sequence))
            segment!.bytes += bytes.count
            segments[segments.count - 1].bytes = segment!.bytes
            trim()
        } catch {
            failed += UInt64(events.count)
            logger.error("decisions could not be written to the history", metadata: ["history.directory": "\(directory)", "error": "\(error)"])
        }
    }

    private func startSegment() throws {
        if let open = segment { close(open.descriptor) }
        let sequence = (segments.last?.sequence ?? 0) + 1
        let descriptor = open(path(sequence), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FilesystemError.last("open", path(sequence)) }
        segment = (descriptor, sequence, 0)
        segments.append((sequence, 0))
    }

    /// Drops the oldest segments while the folder holds more than the limit (never the newest).
    private func trim() {
        var total = segments.reduce(0) { $0 + $1.bytes }
        while segments.count > 1, total > limitBytes {
            let oldest = segments.removeFirst()
            unlink(path(oldest.sequence))
            total -= oldest.bytes
        }
    }

    private func path(_ sequence: UInt64) -> String { Self.path(directory, sequence) }

    static func path(_ directory: String, _ sequence: UInt64) -> String {
        "\(directory)/\(String(repeating: "0", count: max(0, 16 - String(sequence).count)))\(sequence).ndjson"
    }

    private static func write(_ bytes: [UInt8], to descriptor: Int32, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBufferPointer { Foundation.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw FilesystemError.last("write", path)
            }
            offset += written
        }
    }

    /// The segments in `directory`, oldest first.
    public static func segments(in directory: String) -> [(sequence: UInt64, bytes: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (UInt64, Int, String)? in
            guard name.hasSuffix(".ndjson"), let sequence = UInt64(name.dropLast(7)) else { return nil }
            let path = "\(directory)/\(name)"
            let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            return (sequence, bytes, path)
        }.sorted { $0.0 < $1.0 }
    }

    /// The newest `limit` decisions at or after `sinceNanoseconds`, oldest first, read from the
    /// newest segment back; lines that do not parse (a segment cut by a crash) are counted.
    public static func read(directory: String, sinceNanoseconds: Int64, limit: Int) throws -> (events: [DecisionEvent], unreadable: Int) {
        var newestFirst: [[DecisionEvent]] = []
        var count = 0
        var unreadable = 0
        for segment in segments(in: directory).reversed() {
            let data = try Data(contentsOf: URL(fileURLWithPath: segment.path))
            var events: [DecisionEvent] = []
            var older = false
            for line in data.split(separator: UInt8(ascii: "\n")) {
                guard let event = try? DecisionEvent(jsonLine: String(decoding: line, as: UTF8.self)) else {
                    unreadable += 1
                    continue
                }
                if event.timeNanoseconds >= sinceNanoseconds { events.append(event) } else { older = true }
            }
            newestFirst.append(events)
            count += events.count
            if older || count >= limit { break }
        }
        let all = Array(newestFirst.reversed().joined())
        return (Array(all.suffix(limit)), unreadable)
    }
}
