/// An address block: an address and a prefix length (`10.0.0.0/8`, `2001:db8::/32`).
/// A single address is a full-length prefix.
public struct IPPrefix: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let address: IPAddress
    public let length: Int

    public var family: IPAddress.Family { address.family }

    /// The block that holds every address of `family`.
    public static func any(_ family: IPAddress.Family) -> IPPrefix {
        IPPrefix(uncheckedAddress: IPAddress(family: family, high: 0, low: 0), length: 0)
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
        text.withUTF8Bytes { bytes in
            ASCII.isASCII(bytes) ? parse(bytes, text: text) : failure(ofNonASCII: text)
        }
    }

    /// Reads ASCII text byte by byte: a large policy holds 100,000 prefixes.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>, text: String) -> Result<IPPrefix, ParseError> {
        let slash = bytes.firstIndex(of: ASCII.slash)
        let addressText = UnsafeBufferPointer(rebasing: bytes[..<(slash ?? bytes.count)])
        let isIPv6Text = addressText.contains(ASCII.colon)
        // The IPv6 words as written, before a mapped address becomes IPv4.
        let words = isIPv6Text ? IPAddress.parseIPv6(addressText) : nil
        let address = isIPv6Text ? words.map(IPAddress.init(mapping:)) : IPAddress.parse(addressText)
        guard let address else { return .failure(.notAnAddress(text)) }
        let writtenWidth = isIPv6Text ? 128 : 32
        var length = writtenWidth
        if let slash {
            guard let value = decimal(bytes[(slash + 1)...], atMost: writtenWidth) else {
                return .failure(.badLength(text, maximum: writtenWidth))
            }
            length = value
        }
        if isIPv6Text && address.family == .ipv4, let words {
            // A mapped block shorter than /96 reaches beyond IPv4 space: keep it as IPv6.
            guard length >= 96 else {
                return make(IPAddress(family: .ipv6, high: words.high, low: words.low), length: length, text: text)
            }
            length -= 96
        }
        return make(address, length: length, text: text)
    }

    /// One or more decimal digits (leading zeros allowed) worth at most `maximum`.
    private static func decimal(_ digits: Slice<UnsafeBufferPointer<UInt8>>, atMost maximum: Int) -> Int? {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for byte in digits {
            guard let digit = ASCII.decimal(byte) else { return nil }
            value = value * 10 + Int(digit)
            guard value <= maximum else { return nil }
        }
        return value
    }

    /// Text with a non-ASCII character is never a prefix. Which error it gets depends on where
    /// the first "/" character is (a "/" with a combining mark is not one), as it always has.
    private static func failure(ofNonASCII text: String) -> Result<IPPrefix, ParseError> {
        let addressText = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard IPAddress(addressText) != nil else { return .failure(.notAnAddress(text)) }
        return .failure(.badLength(text, maximum: addressText.utf8.contains(ASCII.colon) ? 128 : 32))
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
