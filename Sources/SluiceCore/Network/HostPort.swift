/// `HOST:PORT` text, an IPv6 host in brackets (`[::1]:80`): the one reading of an address and
/// port that connect targets and redirect targets share.
enum HostPort {
    /// The host and port text; nil when there is no port: no colon, a bracket not followed by
    /// `:`, or an unbracketed IPv6 address (its last colon is its own, not a port's).
    static func split(_ text: Substring) -> (host: Substring, port: Substring)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            return (text[text.index(after: text.startIndex)..<close], text[text.index(close, offsetBy: 2)...])
        }
        guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
        return (text[..<colon], text[text.index(after: colon)...])
    }
}
