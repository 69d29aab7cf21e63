extension IPAddress {
    /// For `0.0.0.0` and `::` (and `::ffff:0.0.0.0`, kept as IPv4): the loopback address a
    /// connect or send to it reaches, as Linux routes it; nil for every other address.
    public var unspecifiedReachesLoopback: IPAddress? {
        switch family {
        case .ipv4: return self == IPAddress(family: .ipv4, low: 0) ? IPAddress(family: .ipv4, low: 0x7f00_0001) : nil
        case .ipv6: return self == IPAddress(family: .ipv6, high: 0, low: 0) ? IPAddress(family: .ipv6, high: 0, low: 1) : nil
        }
    }
}
