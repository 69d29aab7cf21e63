import NIOCore
import SluiceCore

/// The part of a client's address that the connection cap and the login throttle count by.
enum ClientAddress {
    /// An IPv4 address as it is; an IPv6 address as its /64, since one subscriber is usually
    /// handed a whole /64 and could otherwise step to a fresh address for every attempt.
    static func key(_ peer: String) -> String {
        guard let address = IPAddress(peer) else { return peer }
        switch address.family {
        case .ipv4: return address.description
        case .ipv6: return IPAddress(family: .ipv6, high: address.high, low: 0).description + "/64"
        }
    }

    static func key(_ address: SocketAddress?) -> String {
        key(address?.ipAddress ?? "unknown")
    }
}
