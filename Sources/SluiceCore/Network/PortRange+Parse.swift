extension PortRange {
    /// Why text is not a port or port range; the description is a message a person can act on.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        /// Neither digits nor two groups of digits joined by `-`.
        case notAPort(String)
        /// `0443`: YAML 1.1 and some tools read it as octal, so it is refused rather than guessed.
        case leadingZero(String)
        /// A port outside 1...65535; `port` is the offending part of the text.
        case outOfRange(String, port: String)
        /// The first port is greater than the second.
        case emptyRange(String, lower: UInt16, upper: UInt16)

        /// The message a person can act on.
        public var description: String {
            switch self {
            case .notAPort(let text):
                return "\"\(text)\" is not a port or port range; write a port such as 443 or a range such as 8000-8100"
            case .leadingZero(let text):
                return "\"\(text)\" has a leading zero; write ports in plain decimal"
            case .outOfRange(let text, let port):
                let subject = text == port ? "port \(port)" : "\"\(text)\": port \(port)"
                return "\(subject) is out of range; ports are 1 to 65535"
            case .emptyRange(let text, let lower, let upper):
                return "\"\(text)\" is an empty range; write the lower port first: \(upper)-\(lower)"
            }
        }
    }

    /// Parses a port as policies write it: `443` or `8000-8100`, each port 1 to 65535. Port 0 is
    /// refused because no connection goes to it; a rule that means every port omits `ports`.
    public static func parse(_ text: String) -> Result<PortRange, ParseError> {
        text.withUTF8Bytes { bytes in
            ASCII.isASCII(bytes) ? parse(bytes, text: text) : parseCharacters(text)
        }
    }

    /// Reads ASCII text byte by byte: a large policy holds 100,000 ports.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>, text: String) -> Result<PortRange, ParseError> {
        do throws(ParseError) {
            let hyphen = bytes.firstIndex(of: ASCII.hyphen)
            let lower = try port(bytes[..<(hyphen ?? bytes.count)], of: text)
            var upper = lower
            if let hyphen { upper = try port(bytes[(hyphen + 1)...], of: text) }
            guard let range = PortRange(lower, upper) else { throw .emptyRange(text, lower: lower, upper: upper) }
            return .success(range)
        } catch {
            return .failure(error)
        }
    }

    /// One port of `text`: decimal digits without a leading zero, 1 to 65535.
    private static func port(_ digits: Slice<UnsafeBufferPointer<UInt8>>, of text: String) throws(ParseError) -> UInt16 {
        guard !digits.isEmpty, digits.allSatisfy({ ASCII.decimal($0) != nil }) else { throw .notAPort(text) }
        guard digits.count == 1 || digits.first != UInt8(ascii: "0") else { throw .leadingZero(text) }
        // Over five digits is out of range whatever they are; five always fit an Int.
        let value = digits.count <= 5 ? digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) } : 0
        guard (1...Int(UInt16.max)).contains(value) else {
            throw .outOfRange(text, port: String(decoding: digits, as: UTF8.self))
        }
        return UInt16(value)
    }

    /// Text with a non-ASCII character is never a port. A digit with a combining mark counts as a
    /// digit character here, which decides the message; this is the reading it always had.
    private static func parseCharacters(_ text: String) -> Result<PortRange, ParseError> {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        var ports: [UInt16] = []
        for part in parts {
            guard !part.isEmpty, part.allSatisfy({ ("0"..."9").contains($0) }) else { return .failure(.notAPort(text)) }
            guard part.count == 1 || part.first != "0" else { return .failure(.leadingZero(text)) }
            guard part.count <= 5, let port = UInt16(part), port >= 1 else {
                return .failure(.outOfRange(text, port: String(part)))
            }
            ports.append(port)
        }
        guard let lower = ports.first, let upper = ports.last else { return .failure(.notAPort(text)) }
        guard let range = PortRange(lower, upper) else {
            return .failure(.emptyRange(text, lower: lower, upper: upper))
        }
        return .success(range)
    }
}
