extension IPAddress {
    /// 127.0.0.0/8 or ::1 (a mapped 127.x address counts: it is kept as IPv4).
    public var isLoopback: Bool {
        switch family {
        case .ipv4: low >> 24 == 127
        case .ipv6: high == 0 && low == 1
        }
    }
}
