/// Why a request to the server failed, for the agent's retry logic and the CLI's messages.
public enum APIClientError: Error, CustomStringConvertible, Sendable {
    /// The server URL is not `https://host[:port]` (or `http://`).
    case invalidServerURL(String)
    /// `http://` without the caller's explicit consent: credentials would travel unprotected.
    case plainHTTP(server: String)
    /// The request did not reach the server, or no answer came back in time.
    case unreachable(server: String, cause: String)
    /// The server answered with an error: its message and details, or its body when it sent no
    /// error document. `revoked` when it said that the node's credential was revoked.
    case refused(status: Int, message: String, details: [String], revoked: Bool)
    /// The server answered a status this operation does not document (a proxy in the way).
    case unexpectedAnswer(status: Int, operation: String)
    /// A streamed answer held a line this client cannot read.
    case unreadableAnswer(operation: String, reason: String)

    public var description: String {
        switch self {
        case .invalidServerURL(let url):
            "the server URL must be https://host:port, not \(url)"
        case .plainHTTP(let server):
            "\(server) is plain HTTP: credentials would travel unprotected; use https, or --allow-insecure-http if you mean it"
        case .unreachable(let server, let cause):
            "cannot reach \(server): \(cause)"
        case .refused(let status, let message, let details, _):
            details.isEmpty && message.isEmpty ? "the server answered \(status)" : ([message] + details).joined(separator: "\n")
        case .unexpectedAnswer(let status, let operation):
            "the server answered \(operation) with \(status), which the API does not document (a proxy in the way?)"
        case .unreadableAnswer(let operation, let reason):
            "the server's answer to \(operation) held a line this client cannot read: \(reason)"
        }
    }

    /// The HTTP status the server (or a proxy) answered, when it answered.
    public var status: Int? {
        switch self {
        case .refused(let status, _, _, _), .unexpectedAnswer(let status, _): status
        case .invalidServerURL, .plainHTTP, .unreachable, .unreadableAnswer: nil
        }
    }

    /// True when the server said that the node's credential was revoked: only then does an agent
    /// stop reporting (any other 401 or 403 may come from a proxy or a restored database).
    public var isRevocation: Bool {
        if case .refused(_, _, _, true) = self { return true }
        return false
    }

    /// True when trying again later may succeed: the server is away, overloaded or behind a proxy
    /// that answers for it. A refusal of the request itself (4xx) will not pass on a retry.
    public var isRetryable: Bool {
        switch self {
        case .unreachable, .unexpectedAnswer, .unreadableAnswer: true
        case .refused(let status, _, _, let revoked): !revoked && (status >= 500 || status == 429 || status == 401 || status == 403)
        case .invalidServerURL, .plainHTTP: false
        }
    }
}
