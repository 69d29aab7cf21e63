import CSystemShims
@preconcurrency import Glibc

/// Owns a netlink socket that hears the kernel announce address changes (an address added to or
/// removed from any interface), so what `host` stands for stays current.
///
/// Who frees what: the fd from `sluice_open_address_events` is closed in `deinit`. `wait` blocks;
/// call it from a thread of its own.
public final class AddressEvents: Sendable {
    public let descriptor: Int32

    public init() throws(FilesystemError) {
        let fd = sluice_open_address_events()
        guard fd >= 0 else { throw FilesystemError.system(operation: "socket(NETLINK_ROUTE)", path: "address changes", errno: -fd) }
        descriptor = fd
    }

    deinit {
        close(descriptor)
    }

    /// Blocks until an address change is announced (true) or `timeoutMilliseconds` passes
    /// (false). Reads every queued message: one wake-up per burst. An overrun (ENOBUFS) counts
    /// as a change, since messages were lost.
    public func wait(timeoutMilliseconds: Int32) -> Bool {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMilliseconds) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
        }
        return true
    }
}
