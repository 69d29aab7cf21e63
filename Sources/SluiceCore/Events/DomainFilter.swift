/// Which looked-up names an event filter wants (`sluice events --domain`, the API's `domain`):
/// `api.example.com` exactly, or `*.example.com` for any name under it (one label or more before
/// `.example.com`, not `example.com` itself, as in policies). Case-insensitive for ASCII, as DNS
/// is; a trailing dot is ignored. An event without a name never matches.
public struct DomainFilter: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The name, or the suffix after `*.`: lowercase, without a trailing dot.
    public let name: String
    /// Whether names under `name` match rather than `name` itself.
    public let isWildcard: Bool

    /// The longest name DNS carries, in text form without the trailing dot.
    public static let maximumLength = 253

    /// Why text is not a domain filter.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case empty
        /// `*` alone would match every name: leave the filter out instead.
        case bareWildcard
        /// A `*` anywhere but a whole leading label (`a.*.com`, `*example.com`).
        case misplacedWildcard(String)
        case tooLong(String)

        public var description: String {
            switch self {
            case .empty: return "a domain filter must not be empty"
            case .bareWildcard: return "\"*\" alone would match every name; leave out the domain filter instead"
            case .misplacedWildcard(let text): return "\"\(text)\": \"*\" may only stand as the whole first label, as in \"*.example.com\""
            case .tooLong(let text): return "\"\(text.prefix(40))…\" is longer than a domain name can be (\(DomainFilter.maximumLength) characters)"
            }
        }
    }

    /// Reads `api.example.com` or `*.example.com`.
    public init(parsing text: String) throws(ParseError) {
        var body = Self.normalized(text)
        if body == "*" { throw .bareWildcard }
        let wildcard = body.hasPrefix("*.")
        if wildcard { body.removeFirst(2) }
        if body.contains("*") { throw .misplacedWildcard(text) }
        if body.isEmpty { throw wildcard ? .bareWildcard : .empty }
        if body.utf8.count > Self.maximumLength { throw .tooLong(text) }
        name = body
        isWildcard = wildcard
    }

    public var description: String { isWildcard ? "*." + name : name }

    public func matches(_ domain: String?) -> Bool {
        guard let domain else { return false }
        let candidate = Self.normalized(domain)
        // Bytes, not Unicode equivalence: the server's SQL compares names the same way.
        guard isWildcard else { return candidate.utf8.elementsEqual(name.utf8) }
        let suffix = name.utf8.count + 1
        return candidate.utf8.count > suffix && candidate.utf8.suffix(suffix).elementsEqual(("." + name).utf8)
    }

    /// Written as typed (`*.example.com`), read back through `init(parsing:)`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try DomainFilter(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// A name as filters compare it: lowercased, without a trailing dot. The server stores
    /// names so, and its SQL then agrees with `matches`.
    public static func normalized(_ name: String) -> String {
        var name = lowercased(name)
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }

    /// ASCII letters lowercased, every other byte kept: DNS compares names so (RFC 4343).
    public static func lowercased(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return text }
        return String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
