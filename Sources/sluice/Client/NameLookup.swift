import Foundation
import SluiceCore

/// Finds the address a name's connect would go to, through this machine's resolver, as the
/// application would: `policy explain --to NAME:PORT` needs one to decide address rules too.
enum NameLookup {
    /// The first address the resolver gives, in the order an application tries them.
    static func firstAddress(of name: DomainName) throws(CommandFailure) -> IPAddress {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        // One socket type, or each address comes once per type.
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name.text, nil, &hints, &list)
        guard status == 0, let list else {
            throw .nameNotResolved(name, reason: String(cString: gai_strerror(status)))
        }
        // getaddrinfo allocated the list; it is ours to free.
        defer { freeaddrinfo(list) }
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            if let address = current.pointee.ai_addr.flatMap(Self.address) { return address }
            entry = current.pointee.ai_next
        }
        throw .nameNotResolved(name, reason: "no IPv4 or IPv6 address")
    }

    private static func address(_ socketAddress: UnsafeMutablePointer<sockaddr>) -> IPAddress? {
        switch Int32(socketAddress.pointee.sa_family) {
        case AF_INET:
            return socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                withUnsafeBytes(of: $0.pointee.sin_addr) { IPAddress(bytes: Array($0)) }
            }
        case AF_INET6:
            return socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                withUnsafeBytes(of: $0.pointee.sin6_addr) { IPAddress(bytes: Array($0)) }
            }
        default:
            return nil
        }
    }
}
