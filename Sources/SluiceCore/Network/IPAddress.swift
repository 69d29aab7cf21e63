/// An IPv4 or IPv6 address. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is kept as IPv4:
/// the kernel decides it by the IPv4 rules, and so does everything in user space.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Family: Int, Sendable, Hashable, Codable, CustomStringConvertible {
        case ipv4 = 4
        case ipv6 = 6

        public var bitWidth: Int { self == .ipv4 ? 32 : 128 }
        public var description: String { self == .ipv4 ? "ipv4" : "ipv6" }
    }

    /// The address as a 128-bit number (IPv4 in the low 32 bits): compact to hash and mask,
    /// which the compiler does for every one of 100,000 rules.
    public let high: UInt64
    public let low: UInt64
    public let family: Family

    /// From the number form; `low` holds IPv4 in its low 32 bits.
    public init(family: Family, high: UInt64 = 0, low: UInt64) {
        self.family = family
        self.high = family == .ipv4 ? 0 : high
        self.low = family == .ipv4 ? low & 0xffff_ffff : low
    }

    /// Network byte order: 4 bytes for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        if family == .ipv4 {
            return (0..<4).map { UInt8(truncatingIfNeeded: low >> (24 - 8 * $0)) }
        }
        return (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    /// From raw bytes in network order; a mapped IPv6 address becomes IPv4.
    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4:
            self.init(family: .ipv4, low: bytes.reduce(0) { $0 << 8 | UInt64($1) })
        case 16:
            let high = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
            let low = bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
            if high == 0 && low >> 32 == 0xffff {
                self.init(family: .ipv4, low: low)
            } else {
                self.init(family: .ipv6, high: high, low: low)
            }
        default:
            return nil
        }
    }

    /// Conventional text: dotted IPv4, RFC 5952 IPv6 (longest zero run compressed, lowercase).
    public var description: String {
        if family == .ipv4 {
            return bytes.map(String.init).joined(separator: ".")
        }
        let words = (0..<8).map { UInt16(truncatingIfNeeded: ($0 < 4 ? high : low) >> (48 - 16 * ($0 % 4))) }
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            if words[index] == 0 {
                var end = index
                while end < 8 && words[end] == 0 { end += 1 }
                if end - index > bestLength && end - index >= 2 {
                    bestStart = index
                    bestLength = end - index
                }
                index = end
            } else {
                index += 1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            range.map { String(words[$0], radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        (lhs.family.rawValue, lhs.high, lhs.low) < (rhs.family.rawValue, rhs.high, rhs.low)
    }

    /// The address with every bit after `length` cleared.
    public func masked(to length: Int) -> IPAddress {
        let width = family.bitWidth
        precondition((0...width).contains(length), "prefix length \(length) out of range")
        if family == .ipv4 {
            return IPAddress(family: .ipv4, low: length == 0 ? 0 : low & (0xffff_ffff << (32 - length)))
        }
        let highMask: UInt64 = length >= 64 ? .max : (length == 0 ? 0 : .max << (64 - length))
        let lowMask: UInt64 = length <= 64 ? 0 : (length == 128 ? .max : .max << (128 - length))
        return IPAddress(family: .ipv6, high: high & highMask, low: low & lowMask)
    }

    /// The 16-byte form the kernel records carry: IPv4 in the first four bytes.
    public var paddedBytes: [UInt8] {
        bytes + [UInt8](repeating: 0, count: 16 - bytes.count)
    }
}
