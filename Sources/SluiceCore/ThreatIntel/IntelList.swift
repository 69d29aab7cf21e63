import Foundation

/// A plain feed list: one address, CIDR prefix or domain name per line; `#` starts a comment;
/// a hosts-file line (`0.0.0.0 evil.example`) names its host. Each entry is its own indicator,
/// its id the entry as written.
public enum IntelList {
    /// Lines past this are refused: a feed that large is broken or hostile.
    public static let maximumEntries = 1_000_000

    /// Why a list was refused; nothing of it applies.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case entry(line: Int, IntelTarget.ParseError)
        /// More than one entry on a line that is not a hosts-file line.
        case fields(line: Int, String)
        case tooLong(entries: Int)

        public var description: String {
            switch self {
            case .entry(let line, let error): "line \(line): \(error)"
            case .fields(let line, let text): "line \(line): '\(text)' is not one address, prefix or name (nor a hosts-file line)"
            case .tooLong(let entries): "more than \(entries) entries"
            }
        }
    }

    /// The list's indicators for `feed`, each with `action` and `expires`.
    public static func parse(_ text: String, feed: String, action: FeedAction, expires: Date?) throws(ParseError) -> [IntelIndicator] {
        var indicators: [IntelIndicator] = []
        var number = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            let content = line.prefix { $0 != "#" }
            let fields = content.split(whereSeparator: \.isWhitespace)
            guard !fields.isEmpty else { continue }
            guard let entry = Self.entry(of: fields) else { throw .fields(line: number, fields.joined(separator: " ")) }
            guard indicators.count < maximumEntries else { throw .tooLong(entries: maximumEntries) }
            switch IntelTarget.parse(entry) {
            case .success(let target):
                indicators.append(IntelIndicator(feed: feed, indicator: entry, target: target, action: action, expires: expires))
            case .failure(let error):
                throw .entry(line: number, error)
            }
        }
        return indicators
    }

    private static let hostsAddresses: Set<Substring> = ["0.0.0.0", "127.0.0.1", "::", "::1"]

    private static func entry(of fields: [Substring]) -> String? {
        if fields.count == 1 { return String(fields[0]) }
        if fields.count == 2, hostsAddresses.contains(fields[0]) { return String(fields[1]) }
        return nil
    }
}
