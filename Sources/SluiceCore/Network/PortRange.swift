/// An inclusive range of ports; a single port is a range of width one, any port is 0...65535.
public struct PortRange: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let lower: UInt16
    public let upper: UInt16

    public static let any = PortRange(uncheckedLower: 0, upper: .max)

    init(uncheckedLower lower: UInt16, upper: UInt16) {
        self.lower = lower
        self.upper = upper
    }

    public init(_ port: UInt16) {
        self.init(uncheckedLower: port, upper: port)
    }

    /// nil when the range is empty (`lower > upper`).
    public init?(_ lower: UInt16, _ upper: UInt16) {
        guard lower <= upper else { return nil }
        self.init(uncheckedLower: lower, upper: upper)
    }

    /// How many ports it holds: the measure of specificity (narrower is more specific).
    public var width: Int { Int(upper) - Int(lower) + 1 }
    public var isAny: Bool { self == .any }
    public var isSinglePort: Bool { lower == upper }

    public func contains(_ port: UInt16) -> Bool { (lower...upper).contains(port) }

    public func overlaps(_ other: PortRange) -> Bool { lower <= other.upper && other.lower <= upper }

    public var description: String {
        if isAny { return "any" }
        return isSinglePort ? "\(lower)" : "\(lower)-\(upper)"
    }

    public static func < (lhs: PortRange, rhs: PortRange) -> Bool {
        (lhs.lower, lhs.upper) < (rhs.lower, rhs.upper)
    }
}

/// The transport a rule applies to.
public enum TransportProtocol: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case tcp, udp, any
    /// ICMP echo (ping sockets); decided at `connect()` by destination.
    case icmp, icmpv6
    /// Creating a raw IP socket or a ping socket, which can then send to any address without a
    /// further decision: decided at `socket()`, with no destination (`spec.rawSockets`).
    case raw

    /// The IP protocol number the kernel reports; 0 for any. `raw` is IPPROTO_RAW, which the
    /// socket-creation hook decides with.
    public var number: UInt8 {
        switch self {
        case .tcp: return 6
        case .udp: return 17
        case .any: return 0
        case .icmp: return 1
        case .icmpv6: return 58
        case .raw: return 255
        }
    }

    public init?(number: UInt8) {
        switch number {
        case 6: self = .tcp
        case 17: self = .udp
        case 1: self = .icmp
        case 58: self = .icmpv6
        case 255: self = .raw
        case 0: self = .any
        default: return nil
        }
    }

    public var description: String { rawValue }
}
