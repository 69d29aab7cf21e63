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
