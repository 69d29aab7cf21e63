/// The targets of a STIX 2.1 indicator pattern that a feed layer can enforce: comparisons
/// `ipv4-addr:value`, `ipv6-addr:value`, `domain-name:value` or `url:value` (its host) `=` a
/// string, joined by `OR` (in any brackets). Anything else (AND, FOLLOWEDBY, qualifiers, other
/// operators) makes the pattern unusable: matching its addresses alone would block more than
/// the pattern says.
public enum STIXPattern {
    /// The targets, or nil when the pattern cannot be used. Comparisons of other objects beside
    /// usable ones (`OR`ed) are skipped; a pattern with none usable is nil.
    public static func targets(_ pattern: String) -> [IntelTarget]? {
        guard let tokens = tokenize(pattern) else { return nil }
        var targets: [IntelTarget] = []
        var index = 0
        var expectComparison = true
        while index < tokens.count {
            switch tokens[index] {
            case .open, .close:
                index += 1
            case .word(let word) where !expectComparison:
                guard word.uppercased() == "OR" else { return nil }
                expectComparison = true
                index += 1
            case .word(let path):
                guard index + 2 < tokens.count, case .word("=") = tokens[index + 1], case .string(let value) = tokens[index + 2] else {
                    return nil
                }
                if let target = target(path: path, value: value) { targets.append(target) }
                expectComparison = false
                index += 3
            case .string:
                return nil
            }
        }
        return targets.isEmpty || expectComparison ? nil : targets
    }

    private static func target(path: String, value: String) -> IntelTarget? {
        switch path {
        case "ipv4-addr:value", "ipv6-addr:value":
            guard case .success(.prefix(let prefix)) = IntelTarget.parse(value) else { return nil }
            return .prefix(prefix)
        case "domain-name:value":
            guard case .success(.domain(let name)) = IntelTarget.parse(value) else { return nil }
            return .domain(name)
        case "url:value":
            guard let host = urlHost(value), case .success(let target) = IntelTarget.parse(host) else { return nil }
            return target
        default:
            return nil
        }
    }

    /// The host of `scheme://[user@]host[:port]/…`, without IPv6 brackets.
    static func urlHost(_ url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        var authority = url[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        let host = authority.prefix { $0 != ":" }
        return host.isEmpty ? nil : String(host)
    }

    private enum Token: Equatable {
        case open, close
        case word(String)
        case string(String)
    }

    /// Brackets, quoted strings (`\'` and `\\` escaped) and words (paths, operators, keywords).
    private static func tokenize(_ pattern: String) -> [Token]? {
        var tokens: [Token] = []
        let characters = Array(pattern)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character.isWhitespace {
                index += 1
            } else if character == "[" || character == "(" {
                tokens.append(.open)
                index += 1
            } else if character == "]" || character == ")" {
                tokens.append(.close)
                index += 1
            } else if character == "'" {
                var value = ""
                index += 1
                var closed = false
                while index < characters.count {
                    let next = characters[index]
                    if next == "\\", index + 1 < characters.count {
                        value.append(characters[index + 1])
                        index += 2
                    } else if next == "'" {
                        closed = true
                        index += 1
                        break
                    } else {
                        value.append(next)
                        index += 1
                    }
                }
                guard closed else { return nil }
                tokens.append(.string(value))
            } else if character == "=" {
                tokens.append(.word("="))
                index += 1
            } else {
                var word = ""
                while index < characters.count, !characters[index].isWhitespace, !"[]()=".contains(characters[index]) {
                    // A quoted path step (`file:hashes.'SHA-256'`) belongs to the path.
                    if characters[index] == "'" {
                        guard word.hasSuffix("."), let close = characters[(index + 1)...].firstIndex(of: "'") else { break }
                        word += String(characters[index...close])
                        index = close + 1
                        continue
                    }
                    word.append(characters[index])
                    index += 1
                }
                // `!=`, `<=` and the like: the operator's first character ends the word.
                if word.isEmpty { return nil }
                if index < characters.count, characters[index] == "=", let last = word.last, "!<>".contains(last) { return nil }
                tokens.append(.word(word))
            }
        }
        return tokens
    }
}
