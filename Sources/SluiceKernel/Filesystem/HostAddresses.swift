@preconcurrency import Glibc
import SluiceCore

/// The node's own addresses: what `host` in a policy stands for besides the loopback blocks.
public enum HostAddresses {
    /// Every IPv4 and IPv6 address on every interface of this network namespace, sorted and
    /// without repeats; empty when `getifaddrs` fails (then `host` is the loopback blocks only).
    public static func current() -> [IPAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        // getifaddrs allocated the list; freeifaddrs frees it, once, here.
        defer { freeifaddrs(list) }
        var result = Set<IPAddress>()
        var entry = list
        while let current = entry {
            defer { entry = current.pointee.ifa_next }
            guard let address = current.pointee.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                let bytes = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
                }
                if let ip = IPAddress(bytes: bytes) { result.insert(ip) }
            case AF_INET6:
                let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                }
                if let ip = IPAddress(bytes: bytes) { result.insert(ip) }
            default:
                continue
            }
        }
        return result.sorted()
    }
}
