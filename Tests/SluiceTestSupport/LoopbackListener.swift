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

    /// Connections accepted by `acceptPeer`, open until the listener closes.
    private var accepted: [Int32] = []

    /// Binds `fd` to `addr` (a `sockaddr_in` or `sockaddr_in6`) and reads back the port given.
    private static func bind<Address>(_ fd: Int32, _ addr: inout Address, _ address: String) throws {
        var length = socklen_t(MemoryLayout<Address>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw SandboxError("bind \(address): \(String(cString: strerror(errno)))") }
    }

    deinit {
        accepted.forEach { close($0) }
        close(descriptor)
    }

    /// The address and port of the next TCP client (accepted and kept open), or of the next UDP
    /// datagram's sender, as this side sees it; throws when none comes within `seconds`.
    public func nextPeer(within seconds: Double = 10) throws -> (address: String, port: UInt16) {
        var polled = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&polled, 1, Int32(seconds * 1000)) == 1 else { throw SandboxError("no client reached \(address):\(port)") }
        var peer = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let received = withUnsafeMutablePointer(to: &peer) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address -> Int32 in
                var type: Int32 = 0
                var typeLength = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(descriptor, SOL_SOCKET, SO_TYPE, &type, &typeLength)
                if type == Int32(SOCK_STREAM.rawValue) { return accept(descriptor, address, &length) }
                var byte: UInt8 = 0
                return Int32(recvfrom(descriptor, &byte, 1, 0, address, &length)) >= 0 ? -2 : -1
            }
        }
        guard received != -1 else { throw SandboxError("accept/recvfrom on \(address):\(port): \(String(cString: strerror(errno)))") }
        if received >= 0 { accepted.append(received) }
        return Self.text(of: peer)
    }

    /// Sends one UDP datagram from this socket to `peer` (an IPv4 address and port).
    public func send(_ bytes: [UInt8], to peer: (address: String, port: UInt16)) throws {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = peer.port.bigEndian
        inet_pton(AF_INET, peer.address, &addr.sin_addr)
        let sent = withUnsafePointer(to: &addr) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard sent == bytes.count else { throw SandboxError("sendto \(peer.address):\(peer.port): \(String(cString: strerror(errno)))") }
    }

    private static func text(of address: sockaddr_storage) -> (address: String, port: UInt16) {
        var copy = address
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        return withUnsafePointer(to: &copy) { pointer in
            if address.ss_family == sa_family_t(AF_INET) {
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                    var raw = v4.pointee.sin_addr
                    inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count))
                    return (buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }, UInt16(bigEndian: v4.pointee.sin_port))
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                var raw = v6.pointee.sin6_addr
                inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count))
                return (buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }, UInt16(bigEndian: v6.pointee.sin6_port))
            }
        }
    }
}
