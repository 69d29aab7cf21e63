extension DomainName {
    /// Why text is not a domain name; each says what to write instead.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case empty
        /// A byte other than a letter, digit, `-`, `_` or a separating dot.
        case badCharacter(String, Character)
        /// Two dots in a row, or a leading dot.
        case emptyLabel(String)
        case labelTooLong(String, label: String)
        case hyphenAtEdge(String, label: String)
        case tooLong(String, length: Int)
        /// An address, or a name whose last label is all digits and so reads as one (`10.0.0`).
        case looksLikeAddress(String)

        public var description: String {
            switch self {
            case .empty:
                return "a domain name cannot be empty"
            case .badCharacter(let text, let character):
                return "\"\(text)\" is not a domain name: \"\(character)\" is not a letter, digit, \"-\" or \"_\""
            case .emptyLabel(let text):
                return "\"\(text)\" is not a domain name: it has an empty label (a leading dot or two dots in a row)"
            case .labelTooLong(let text, let label):
                return "\"\(text)\" is not a domain name: the label \"\(label)\" is longer than \(DomainName.maximumLabelLength) bytes"
            case .hyphenAtEdge(let text, let label):
                return "\"\(text)\" is not a domain name: the label \"\(label)\" starts or ends with \"-\""
            case .tooLong(let text, let length):
                return "\"\(text)\" is not a domain name: it is \(length) bytes long, more than \(DomainName.maximumLength)"
            case .looksLikeAddress(let text):
                return "\"\(text)\" is neither an address nor a domain name: a name's last label is not all digits"
            }
        }
    }

    /// Parses a name case-insensitively; one trailing dot (the root) is allowed and dropped.
    public static func parse(_ text: String) -> Result<DomainName, ParseError> {
        var body = Substring(text)
        if body.hasSuffix(".") { body = body.dropLast() }
        guard !body.isEmpty else { return .failure(.empty) }
        if IPAddress(body) != nil { return .failure(.looksLikeAddress(text)) }
        guard body.utf8.count <= maximumLength else { return .failure(.tooLong(text, length: body.utf8.count)) }
        if let bad = body.first(where: { !$0.isASCII || !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) {
            return .failure(.badCharacter(text, bad))
        }
        let labels = body.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            if label.isEmpty { return .failure(.emptyLabel(text)) }
            if label.utf8.count > maximumLabelLength { return .failure(.labelTooLong(text, label: String(label))) }
            if label.hasPrefix("-") || label.hasSuffix("-") { return .failure(.hyphenAtEdge(text, label: String(label))) }
        }
        // Covers dotted-quad addresses and their typos (`10.0.0`), which no top-level domain can be.
        if labels.last!.allSatisfy(\.isNumber) { return .failure(.looksLikeAddress(text)) }
        return .success(DomainName(unchecked: body.lowercased()))
    }
}
