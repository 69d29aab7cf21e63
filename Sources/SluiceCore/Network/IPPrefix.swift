/// An address block: an address and a prefix length (`10.0.0.0/8`, `2001:db8::/32`).
/// A single address is a full-length prefix.
public struct IPPrefix: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let address: IPAddress
    public let length: Int

    public var family: IPAddress.Family { address.family }

    /// The block that holds every address of `family`.
    public static func any(_ family: IPAddress.Family) -> IPPrefix {
        IPPrefix(uncheckedAddress: IPAddress(bytes: [UInt8](repeating: 0, count: family == .ipv4 ? 4 : 16))!, length: 0)
    }

    init(uncheckedAddress address: IPAddress, length: Int) {
        self.address = address
        self.length = length
    }

    /// Why text is not a prefix; the validator turns these into messages.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case notAnAddress(String)
        case badLength(String, maximum: Int)
        case hostBitsSet(String, network: String)

        public var description: String {
            switch self {
            case .notAnAddress(let text):
                return "\"\(text)\" is not an IPv4 or IPv6 address or CIDR"
            case .badLength(let text, let maximum):
                return "\"\(text)\": prefix length must be a number from 0 to \(maximum)"
            case .hostBitsSet(let text, let network):
                return "\"\(text)\" has host bits set; did you mean \(network)?"
            }
        }
    }

    /// Parses `a.b.c.d`, `a.b.c.d/n`, IPv6 forms, and `::ffff:a.b.c.d/n` (mapped: becomes
    /// IPv4 with n - 96). Host bits below the prefix are an error, not silently cleared.
    public static func parse(_ text: String) -> Result<IPPrefix, ParseError> {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let addressText = String(parts[0])
        let isIPv6Text = addressText.contains(":")
        guard let address = IPAddress(addressText) else { return .failure(.notAnAddress(text)) }
        let writtenWidth = isIPv6Text ? 128 : 32
        var length = writtenWidth
        if parts.count == 2 {
            guard let value = Int(parts[1]), parts[1].allSatisfy({ $0.isNumber }), (0...writtenWidth).contains(value)
            else { return .failure(.badLength(text, maximum: writtenWidth)) }
            length = value
        }
        if isIPv6Text && address.family == .ipv4 {
            // A mapped block shorter than /96 reaches beyond IPv4 space: keep it as IPv6.
            guard length >= 96 else {
                let bytes = IPAddress.parseIPv6(addressText)!
                return make(IPAddress(unmapped: bytes), length: length, text: text)
            }
            length -= 96
        }
        return make(address, length: length, text: text)
    }

    private static func make(_ address: IPAddress, length: Int, text: String) -> Result<IPPrefix, ParseError> {
        let network = IPPrefix(uncheckedAddress: address.masked(to: length), length: length)
        guard network.address == address else { return .failure(.hostBitsSet(text, network: network.description)) }
        return .success(network)
    }

    /// The prefix covering `address` with its host bits cleared.
    public init(covering address: IPAddress, length: Int) {
        precondition((0...address.family.bitWidth).contains(length))
        self.init(uncheckedAddress: address.masked(to: length), length: length)
    }

    public func contains(_ other: IPAddress) -> Bool {
        other.family == family && other.masked(to: length) == address
    }

    /// Whether every address of `other` is inside this block.
    public func contains(_ other: IPPrefix) -> Bool {
        other.family == family && other.length >= length && contains(other.address)
    }

    public var description: String {
        length == family.bitWidth ? address.description : "\(address)/\(length)"
    }

    public static func < (lhs: IPPrefix, rhs: IPPrefix) -> Bool {
        if lhs.address != rhs.address { return lhs.address < rhs.address }
        return lhs.length < rhs.length
    }
}
