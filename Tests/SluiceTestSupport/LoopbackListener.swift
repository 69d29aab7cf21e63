import Foundation
@preconcurrency import Glibc

/// A loopback socket for the probes to reach: a TCP listener (connects succeed without accept,
/// through the backlog) or a bound UDP socket. Closed in `deinit`.
public final class LoopbackListener: @unchecked Sendable {
    public let port: UInt16
    public let address: String
    let descriptor: Int32

    /// Binds `address` (a loopback address) on `port`, or an ephemeral port for 0.
    public init(tcp: Bool, address: String, port requested: UInt16 = 0) throws {
        let v6 = address.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(tcp ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw SandboxError("socket: \(String(cString: strerror(errno)))") }
        var port: UInt16 = 0
        if v6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = requested.bigEndian
            inet_pton(AF_INET6, address, &addr.sin6_addr)
            try Self.bind(fd, &addr, address)
            port = UInt16(bigEndian: addr.sin6_port)
        } else {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = requested.bigEndian
            inet_pton(AF_INET, address, &addr.sin_addr)
            try Self.bind(fd, &addr, address)
            port = UInt16(bigEndian: addr.sin_port)
        }
        if tcp && listen(fd, 512) != 0 { throw SandboxError("listen: \(String(cString: strerror(errno)))") }
        self.descriptor = fd
        self.port = port
        self.address = address
    }

    /// Binds `fd` to `addr` (a `sockaddr_in` or `sockaddr_in6`) and reads back the port given.
    private static func bind<Address>(_ fd: Int32, _ addr: inout Address, _ address: String) throws {
        var length = socklen_t(MemoryLayout<Address>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw SandboxError("bind \(address): \(String(cString: strerror(errno)))") }
    }

    deinit {
        close(descriptor)
    }
}
