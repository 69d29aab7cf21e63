@preconcurrency import CLibbpf
@preconcurrency import Glibc
import SluiceABI

/// Owns a libbpf `ring_buffer` over the decision ring and, optionally, the exec ring, and
/// decodes their records.
///
/// Who frees what: `ring_buffer__new`/`__add` map the rings and open an epoll fd;
/// `ring_buffer__free` in `deinit` unmaps and closes them. `handle` is set only once the ring is
/// complete, so a failed `ring_buffer__add` frees it in `init` and `deinit` never sees it. The map fds belong to the maps, which
/// are retained here so they outlive the reader.
///
/// `poll` calls back on the calling thread; run it on a thread of its own, never on the
/// cooperative pool (it blocks in epoll_wait).
///
/// `@unchecked Sendable`: it is made on one thread and handed to the reading thread, the only
/// one that calls `poll` and `drain`, the only users of `handle` and `sink`.
public final class RingBufferReader: @unchecked Sendable {
    private let handle: OpaquePointer
    private let sink: Sink
    private let maps: [BPFMap]

    /// What one poll collected.
    public struct Batch: Sendable {
        public var events: [RawEvent] = []
        /// Exec records, which name executables; handle them before `events`.
        public var execs: [RawExec] = []
        /// Records too short to decode.
        public var malformed = 0

        /// The decision records of `events` (without flow records).
        public var decisions: [RawEvent] { events.filter { $0.flow == nil } }

        public init() {}
    }

    /// Collects records during one poll; the C callbacks reach it through the context pointer.
    final class Sink {
        var batch = Batch()
    }

    public init(events: BPFMap, execs: BPFMap? = nil) throws(KernelError) {
        sink = Sink()
        maps = [events] + (execs.map { [$0] } ?? [])
        let context = Unmanaged.passUnretained(sink).toOpaque()
        guard
            let ring = ring_buffer__new(
                events.fd,
                { context, data, size in
                    let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
                    if let data, size >= MemoryLayout<sluice_flow_event>.size,
                        data.load(fromByteOffset: MemoryLayout<sluice_event>.offset(of: \.hook)!, as: UInt8.self) == UInt8(SLUICE_HOOK_FLOW.rawValue)
                    {
                        sink.batch.events.append(RawEvent(data.loadUnaligned(as: sluice_flow_event.self)))
                    } else if let data, size >= MemoryLayout<sluice_event>.size {
                        sink.batch.events.append(RawEvent(data.loadUnaligned(as: sluice_event.self)))
                    } else {
                        sink.batch.malformed += 1
                    }
                    return 0
                }, context, nil)
        else {
            throw KernelError.lastError("ring_buffer__new", events.name)
        }
        if let execs {
            let result = ring_buffer__add(
                ring, execs.fd,
                { context, data, size in
                    let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
                    if let data, size >= MemoryLayout<sluice_exec_event>.size {
                        sink.batch.execs.append(RawExec(data.loadUnaligned(as: sluice_exec_event.self)))
                    } else {
                        sink.batch.malformed += 1
                    }
                    return 0
                }, context)
            if result < 0 {
                // Not yet owned by `self` (deinit does not run for an init that throws before
                // `handle` is set): freed here, once.
                ring_buffer__free(ring)
                throw KernelError("ring_buffer__add", execs.name, errno: -result)
            }
        }
        handle = ring
    }

    /// Convenience for the decision ring alone.
    public convenience init(map: BPFMap) throws(KernelError) {
        try self.init(events: map)
    }

    deinit {
        ring_buffer__free(handle)
    }

    /// Waits up to `timeoutMilliseconds` for records, then takes everything available in every
    /// ring (so an exec record written before a decision is never left for a later batch).
    public func poll(timeoutMilliseconds: Int32) throws(KernelError) -> Batch {
        let result = ring_buffer__poll(handle, timeoutMilliseconds)
        if result < 0 && result != -EINTR {
            throw KernelError("ring_buffer__poll", maps[0].name, errno: -result)
        }
        return try drain()
    }

    /// Takes every record available now without waiting.
    public func drain() throws(KernelError) -> Batch {
        let result = ring_buffer__consume(handle)
        if result < 0 {
            throw KernelError("ring_buffer__consume", maps[0].name, errno: -result)
        }
        defer { sink.batch = Batch() }
        return sink.batch
    }
}
