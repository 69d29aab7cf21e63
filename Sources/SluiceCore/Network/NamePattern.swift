/// A destination given by the name the application looked up, as a policy writes it in `to`.
///
/// `.wildcard(github.com)` (written `*.github.com`) matches names with one or more labels before
/// `.github.com`, not `github.com` itself. The kernel finds a wildcard among the
/// `DomainName.maximumParents` nearest parents of the name looked up, so a name more than that many
/// labels below the suffix (`a.b.c.d.e.f.g.h.i.github.com`) does not match `*.github.com`. No
/// suffix is refused for its length: the limit is about the name looked up, not the pattern.
public enum NamePattern: Hashable, Sendable, Comparable, CustomStringConvertible {
    case exact(DomainName)
    case wildcard(DomainName)

    /// Why text is not a name pattern.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case name(DomainName.ParseError)
        /// `*` alone would match every name, and only names: the address blocks say that better.
        case bareWildcard
        /// A `*` anywhere but a whole leading label (`a.*.com`, `*github.com`).
        case misplacedWildcard(String)
        /// One label (`github`, `localhost`): a typo for an alias or a name missing its domain.
        case singleLabel(String, suggestion: String?, aliases: [String])

        public var description: String {
            switch self {
            case .name(let error):
                return error.description
            case .bareWildcard:
                return "\"*\" alone would match every name; use 0.0.0.0/0 and ::/0, or omit \"to\" to mean any destination"
            case .misplacedWildcard(let text):
                return "\"\(text)\": \"*\" may only stand as the whole first label, as in \"*.example.com\""
            case .singleLabel(let text, let suggestion, let aliases):
                if let suggestion {
                    return "\"\(text)\" is neither an address nor a fully qualified name; did you mean the alias \"\(suggestion)\"?"
                }
                let aliasList = aliases.isEmpty ? "" : " or one of the aliases \(NameSuggestion.list(aliases))"
                return "\"\(text)\" is neither an address nor a fully qualified name; write the name with its domain "
                    + "(\"\(text).example.com\")\(aliasList)"
            }
        }
    }

    /// Parses `api.github.com` or `*.github.com`. `aliases` are the words the caller also accepts:
    /// a single label close to one gets it suggested.
    public static func parse(_ text: String, aliases: [String] = []) -> Result<NamePattern, ParseError> {
        if text == "*" || text == "*." { return .failure(.bareWildcard) }
        let isWildcard = text.hasPrefix("*.")
        let body = isWildcard ? String(text.dropFirst(2)) : text
        if body.contains("*") { return .failure(.misplacedWildcard(text)) }
        let name: DomainName
        switch DomainName.parse(body) {
        case .success(let parsed): name = parsed
        case .failure(let error): return .failure(.name(error))
        }
        if !isWildcard && !name.text.contains(".") {
            return .failure(.singleLabel(text, suggestion: NameSuggestion.closest(to: text, among: aliases), aliases: aliases))
        }
        return .success(isWildcard ? .wildcard(name) : .exact(name))
    }

    /// The name, or the suffix after `*.`.
    public var name: DomainName {
        switch self {
        case .exact(let name), .wildcard(let name): return name
        }
    }

    public var description: String {
        switch self {
        case .exact(let name): return name.text
        case .wildcard(let suffix): return "*.\(suffix.text)"
        }
    }

    /// How the kernel finds this pattern's routes.
    public var key: NamePatternKey {
        switch self {
        case .exact(let name): return NamePatternKey(kind: .exact, hash: name.hash)
        case .wildcard(let suffix): return NamePatternKey(kind: .wildcard, hash: suffix.hash)
        }
    }

    /// Whether the kernel matches `domain` to this pattern, by labels rather than hashes.
    public func matches(_ domain: DomainName) -> Bool {
        switch self {
        case .exact(let name):
            return name == domain
        case .wildcard(let suffix):
            guard domain.text.hasSuffix("." + suffix.text) else { return false }
            let depth = domain.labels.count - suffix.labels.count
            return depth <= DomainName.maximumParents
        }
    }

    public static func < (lhs: NamePattern, rhs: NamePattern) -> Bool {
        (lhs.key.kind.rawValue, lhs.name) < (rhs.key.kind.rawValue, rhs.name)
    }
}

/// Which kind of name pattern a kernel key stands for: the value of `sluice_name_key.kind`.
public enum NamePatternKind: UInt8, Hashable, Sendable {
    case exact = 1
    case wildcard = 2
}

/// A pattern as the kernel looks it up: its kind and the hash of its name (or suffix).
public struct NamePatternKey: Hashable, Sendable {
    public var kind: NamePatternKind
    /// `DomainName.hash` of the exact name or of the wildcard's suffix.
    public var hash: UInt64

    public init(kind: NamePatternKind, hash: UInt64) {
        self.kind = kind
        self.hash = hash
    }
}
