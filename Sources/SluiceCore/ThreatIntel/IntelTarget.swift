import Foundation

/// What one threat-intelligence indicator names: addresses (one, or a prefix) or a domain name,
/// which also covers every name under it (a feed listing `evil.example` means its subdomains too).
public enum IntelTarget: Hashable, Sendable, Comparable, CustomStringConvertible {
    case prefix(IPPrefix)
    case domain(DomainName)

    /// Why a target's text was refused.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case empty
        case invalid(String)

        public var description: String {
            switch self {
            case .empty: "an empty indicator"
            case .invalid(let text): "'\(text)' is neither an address, a CIDR prefix nor a domain name"
            }
        }
    }

    /// An address (`203.0.113.7`, `2001:db8::1`), a prefix (`198.51.100.0/24`) or a domain name.
    public static func parse(_ text: String) -> Result<IntelTarget, ParseError> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return .failure(.empty) }
        if case .success(let prefix) = IPPrefix.parse(trimmed) { return .success(.prefix(prefix)) }
        if case .success(let name) = DomainName.parse(trimmed) { return .success(.domain(name)) }
        return .failure(.invalid(trimmed))
    }

    public var description: String {
        switch self {
        case .prefix(let prefix): prefix.description
        case .domain(let name): name.text
        }
    }

    public static func < (lhs: IntelTarget, rhs: IntelTarget) -> Bool { lhs.description < rhs.description }
}
