@preconcurrency import CLibbpf
@preconcurrency import Glibc
import SluiceABI

/// Owns a libbpf `ring_buffer` over the events map and decodes records into `RawEvent`s.
///
/// Who frees what: `ring_buffer__new` maps the buffer and opens an epoll fd; `ring_buffer__free`
/// in `deinit` unmaps and closes them. The map fd itself belongs to the map's owner, which must
/// outlive this reader (it is retained here).
///
/// `poll` calls back on the calling thread; run it on a thread of its own, never on the
/// cooperative pool (it blocks in epoll_wait).
public final class RingBufferReader: @unchecked Sendable {
    private let handle: OpaquePointer
    private let sink: Sink
    private let map: BPFMap

    /// Collects records during one `poll`; the C callback reaches it through the context pointer.
    final class Sink {
        var events: [RawEvent] = []
        var malformed = 0
    }

    public init(map: BPFMap) throws(KernelError) {
        self.map = map
        sink = Sink()
        let context = Unmanaged.passUnretained(sink).toOpaque()
        guard
            let ring = ring_buffer__new(
                map.fd,
                { context, data, size in
                    let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
                    if let data, size >= MemoryLayout<sluice_event>.size {
                        sink.events.append(RawEvent(data.loadUnaligned(as: sluice_event.self)))
                    } else {
                        sink.malformed += 1
                    }
                    return 0
                }, context, nil)
        else {
            throw KernelError.lastError("ring_buffer__new", map.name)
        }
        handle = ring
    }

    deinit {
        ring_buffer__free(handle)
    }

    /// Waits up to `timeoutMilliseconds` for records and returns every record available.
    public func poll(timeoutMilliseconds: Int32) throws(KernelError) -> (events: [RawEvent], malformed: Int) {
        let result = ring_buffer__poll(handle, timeoutMilliseconds)
        if result < 0 && result != -EINTR {
            throw KernelError("ring_buffer__poll", map.name, errno: -result)
        }
        return take()
    }

    /// Returns every record available now without waiting.
    public func drain() throws(KernelError) -> (events: [RawEvent], malformed: Int) {
        let result = ring_buffer__consume(handle)
        if result < 0 {
            throw KernelError("ring_buffer__consume", map.name, errno: -result)
        }
        return take()
    }

    private func take() -> (events: [RawEvent], malformed: Int) {
        let taken = (sink.events, sink.malformed)
        sink.events.removeAll(keepingCapacity: true)
        sink.malformed = 0
        return taken
    }
}
