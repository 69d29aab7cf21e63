import Foundation
import HTTPTypes
import Synchronization

/// Who called an operation, once `OperationGuard` has checked it.
enum Principal: Sendable {
    case user(UserPrincipal)
    /// A node, with the credential cache's generation read before its record was: while the
    /// generation stays the same, no node has been revoked or relabelled since.
    case node(NodeRecord, generation: UInt64)
}

/// What an operation's handler knows of its request beyond the generated input: the peer's
/// address (login and enrollment throttling), the raw request (cookies, the CSRF header, repeated
/// query parameters) and the caller. `APIErrorMiddleware` opens one per request; the generated
/// handlers run inside it.
final class RequestScope: Sendable {
    @TaskLocal static var current: RequestScope?

    let peer: String
    let request: HTTPRequest
    private let caller = Mutex<Principal?>(nil)
    private let extraHeaders = Mutex<HTTPFields>([:])

    init(peer: String, request: HTTPRequest) {
        self.peer = peer
        self.request = request
    }

    var principal: Principal? {
        get { caller.withLock { $0 } }
        set { caller.withLock { $0 = newValue } }
    }

    /// Headers the answer carries that its operation's generated output cannot (the session
    /// cookie's removal on logout).
    var responseHeaders: HTTPFields { extraHeaders.withLock { $0 } }

    func addResponseHeaders(_ fields: HTTPFields) {
        extraHeaders.withLock { $0.append(contentsOf: fields) }
    }

    /// Every value of a repeatable query parameter, comma lists split (the generated input keeps
    /// only one value).
    func queryList(_ name: String) throws -> [String] {
        var result: [String] = []
        for value in Self.queryValues(name, in: request.path ?? "") {
            guard value.count <= 1024 else { throw APIError.badRequest("query parameter \(name) is too long") }
            result += value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return result
    }

    static func queryValues(_ name: String, in path: String) -> [String] {
        guard let start = path.firstIndex(of: "?") else { return [] }
        return path[path.index(after: start)...].split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].removingPercentEncoding == name else { return nil }
            return String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
    }
}
