@preconcurrency import Glibc
import SluiceABI
import SluiceCore

/// Where redirected connections meant to go: the pinned map `sluice_redirects`, keyed by the
/// client's address and port as the redirect target sees its peer. Map lookups are single
/// system calls on a descriptor the map owner keeps open, so any thread may ask.
public struct RedirectOrigins: Sendable {
    let map: BPFMap

    /// The original destination of the redirected connection whose client is `peer`:`port`
    /// over `transport`; nil when no redirected connection has that address and port.
    public func original(ofPeer peer: IPAddress, port: UInt16, transport: TransportProtocol) throws(KernelError) -> RedirectOrigin? {
        var key = sluice_redirect_key()
        key.family = peer.family == .ipv4 ? 4 : 6
        key.protocol = transport == .udp ? UInt8(IPPROTO_UDP) : UInt8(IPPROTO_TCP)
        key.port = port
        withUnsafeMutableBytes(of: &key.addr) { buffer in
            for (index, byte) in peer.bytes.enumerated() { buffer[index] = byte }
        }
        guard let origin = try map.lookup(key, as: sluice_redirect_origin.self) else { return nil }
        let bytes = withUnsafeBytes(of: origin.addr) { Array($0.prefix(origin.family == 4 ? 4 : 16)) }
        guard let address = IPAddress(bytes: bytes) else { return nil }
        return RedirectOrigin(address: address, port: origin.port, cookie: origin.cookie, transport: transport)
    }

    /// The original destination of the connection `socket` is the target's end of: an accepted
    /// TCP connection, or a UDP socket connected to the client. Holding the socket is what
    /// entitles a caller to the answer, as for SO_ORIGINAL_DST. nil when it was not redirected.
    public func original(ofSocket socket: Int32) throws(KernelError) -> RedirectOrigin? {
        var type: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(socket, SOL_SOCKET, SO_PROTOCOL, &type, &length) == 0 else {
            throw KernelError("getsockopt SO_PROTOCOL", "the socket passed", errno: errno, hint: "pass a TCP or UDP socket")
        }
        guard type == IPPROTO_TCP || type == IPPROTO_UDP else {
            throw KernelError("getsockopt SO_PROTOCOL", "the socket passed", errno: EPROTONOSUPPORT, hint: "pass a TCP or UDP socket")
        }
        var storage = sockaddr_storage()
        length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(socket, $0, &length) }
        }
        guard named == 0 else {
            throw KernelError(
                "getpeername", "the socket passed", errno: errno,
                hint: "pass the target's end of the connection: an accepted TCP socket, or a UDP socket connected to the client")
        }
        let peer: (bytes: [UInt8], port: UInt16)
        switch Int32(storage.ss_family) {
        case AF_INET:
            peer = withUnsafeBytes(of: &storage) { raw in
                let address = raw.load(as: sockaddr_in.self)
                return (withUnsafeBytes(of: address.sin_addr) { Array($0) }, UInt16(bigEndian: address.sin_port))
            }
        case AF_INET6:
            peer = withUnsafeBytes(of: &storage) { raw in
                let address = raw.load(as: sockaddr_in6.self)
                return (withUnsafeBytes(of: address.sin6_addr) { Array($0) }, UInt16(bigEndian: address.sin6_port))
            }
        default:
            throw KernelError("getpeername", "the socket passed", errno: EAFNOSUPPORT, hint: "pass an IPv4 or IPv6 socket")
        }
        // An IPv4-mapped peer reads as IPv4, as the kernel keys it.
        guard let address = IPAddress(bytes: peer.bytes) else { return nil }
        return try original(ofPeer: address, port: peer.port, transport: type == IPPROTO_UDP ? .udp : .tcp)
    }
}

/// A redirected connection's original destination, and the client socket's cookie (the
/// `flow_id` of its flow records).
public struct RedirectOrigin: Hashable, Sendable {
    public var address: IPAddress
    public var port: UInt16
    public var cookie: UInt64
    public var transport: TransportProtocol
}
