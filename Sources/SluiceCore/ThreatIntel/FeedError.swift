/// Why a feed's sync was refused, naming the feed and, where there is one, the line or field at
/// fault. A refused sync changes nothing stored.
public struct FeedError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public enum Reason: Hashable, Sendable {
        /// The body (or one page) passed the byte limit.
        case tooLarge(limit: Int)
        case tooManyLines(limit: Int)
        case tooManyIndicators(limit: Int)
        /// More pages than one sync may fetch.
        case tooManyPages(limit: Int)
        /// The server sent a `next` it had sent before: the pages would never end.
        case pageLoop(next: String)
        /// A line that is not what the format says; `text` is its start.
        case badLine(line: Int, text: String, problem: String)
        /// A JSON document (or a field of one) that is not what the format says.
        case badField(field: String, problem: String)
        /// The body is not UTF-8 text.
        case notText
        /// Fetching failed (connection, TLS, HTTP status, file).
        case fetch(String)
    }

    public var feed: String
    public var reason: Reason

    public init(feed: String, reason: Reason) {
        self.feed = feed
        self.reason = reason
    }

    public var description: String {
        let detail: String
        switch reason {
        case .tooLarge(let limit): detail = "the body passes the limit of \(limit) bytes"
        case .tooManyLines(let limit): detail = "more than \(limit) lines"
        case .tooManyIndicators(let limit): detail = "more than \(limit) indicators"
        case .tooManyPages(let limit): detail = "more than \(limit) pages in one sync"
        case .pageLoop(let next): detail = "the server sent the page token '\(next.prefix(80))' again (a loop of pages)"
        case .badLine(let line, let text, let problem): detail = "line \(line): \(problem): '\(text.prefix(80))'"
        case .badField(let field, let problem): detail = "field \(field): \(problem)"
        case .notText: detail = "the body is not UTF-8 text"
        case .fetch(let problem): detail = problem
        }
        return "feed \(feed): \(detail); the last good set stays in force"
    }
}
