import Foundation
@preconcurrency import Glibc
import Synchronization

/// The far end of `sluice-probe transfer-tcp` and `transfer-udp` on loopback, served from a
/// thread of its own: over TCP it reads each connection to its end, then writes `reply` bytes
/// and closes; over UDP it echoes every datagram. Counts what it read, so a test can compare
/// the kernel's counts with both ends. Stops and closes in `deinit`.
public final class TransferServer: @unchecked Sendable {
    public let port: UInt16
    private let listener: LoopbackListener
    private let shared = Shared()

    /// What the serving thread and the test share.
    private final class Shared: Sendable {
        let stopped = Atomic<Bool>(false)
        let done = DispatchSemaphore(value: 0)
        let counts = Mutex<[Int]>([])
    }

    /// Listens on `address` (loopback) and serves until deinit.
    public init(tcp: Bool, address: String, reply: Int = 0) throws {
        listener = try LoopbackListener(tcp: tcp, address: address)
        port = listener.port
        let fd = listener.descriptor
        let thread = Thread { [shared] in
            defer { shared.done.signal() }
            var buffer = [UInt8](repeating: 0x5a, count: 65536)
            while !shared.stopped.load(ordering: .relaxed) {
                var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&ready, 1, 50) == 1 else { continue }
                if tcp {
                    let connection = accept(fd, nil, nil)
                    guard connection >= 0 else { continue }
                    // Served outside the lock: a test reads the counts while a connection is open.
                    let total = Self.serve(connection, reply: reply, buffer: &buffer)
                    shared.counts.withLock { $0.append(total) }
                    close(connection)
                } else {
                    var peer = sockaddr_storage()
                    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                    let got = buffer.withUnsafeMutableBytes { raw in
                        withUnsafeMutablePointer(to: &peer) {
                            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, raw.baseAddress, raw.count, 0, $0, &length) }
                        }
                    }
                    guard got >= 0 else { continue }
                    shared.counts.withLock { $0.append(got) }
                    _ = buffer.withUnsafeBytes { raw in
                        withUnsafePointer(to: &peer) {
                            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, raw.baseAddress, got, 0, $0, length) }
                        }
                    }
                }
            }
        }
        thread.name = "transfer-server"
        thread.start()
    }

    /// Bytes read: per TCP connection, or per UDP datagram.
    public var received: [Int] { shared.counts.withLock { $0 } }

    /// Reads a connection to its end, then writes `reply` bytes; returns the bytes read.
    private static func serve(_ connection: Int32, reply: Int, buffer: inout [UInt8]) -> Int {
        var total = 0
        while true {
            let got = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            total += got
        }
        var left = reply
        while left > 0 {
            let wrote = buffer.withUnsafeBytes { write(connection, $0.baseAddress, min(left, $0.count)) }
            if wrote < 0 && errno == EINTR { continue }
            if wrote <= 0 { break }
            left -= wrote
        }
        return total
    }

    deinit {
        shared.stopped.store(true, ordering: .relaxed)
        shared.done.wait()
    }
}
