import Foundation
import HTTPTypes
import OpenAPIRuntime
import SluiceCore

/// Runs before the generated code decodes a request: authenticates the caller and checks its
/// role against the operation's rule (`OperationRule.table`), records who it is in the request's
/// `RequestScope`, and reads the body within the operation's limit (413 beyond it, before any
/// decoding).
struct OperationGuard: ServerMiddleware {
    let rules: [String: OperationRule]
    let authenticator: Authenticator

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard let rule = rules[operationID] else {
            // A document operation without a rule is refused rather than served unchecked.
            throw APIError(.internalServerError, "operation \(operationID) has no access rule")
        }
        let scope = RequestScope.current
        switch rule.access {
        case .anyone, .joinToken:
            break
        case .node:
            let (node, generation) = try await authenticator.node(request)
            scope?.principal = .node(node, generation: generation)
        case .user(let role):
            scope?.principal = .user(try await authenticator.user(request, role: role))
        case .viewerOrLoopback:
            if !(scope.flatMap { IPAddress($0.peer) }?.isLoopback ?? false) {
                scope?.principal = .user(try await authenticator.user(request, role: .viewer))
            }
        }
        var body = body
        if let limit = rule.body {
            body = try await Self.read(body, of: request, limit)
        }
        var (response, responseBody) = try await next(request, body, metadata)
        // Proxies must not hold back or cache a live stream.
        if operationID == "streamEvents" { response.headerFields[.cacheControl] = "no-store" }
        return (response, responseBody)
    }

    /// The body collected within its limit: nil when empty (an optional body is absent), 400 when
    /// a required JSON body is empty, 413 beyond the limit.
    static func read(_ body: HTTPBody?, of request: HTTPRequest, _ rule: OperationRule.Body) async throws -> HTTPBody? {
        let limit = rule.limit
        if let length = request.headerFields[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIError.tooLarge("the body is \(length) bytes; this endpoint takes at most \(limit)")
        }
        var bytes: [UInt8] = []
        if let body {
            for try await chunk in body {
                guard bytes.count + chunk.count <= limit else {
                    throw APIError.tooLarge("the body is larger than \(limit) bytes, the most this endpoint takes")
                }
                bytes += chunk
            }
        }
        guard !bytes.isEmpty else {
            switch rule {
            case .json(_, true): throw APIError.badRequest("a JSON body is required")
            case .json: return nil
            case .raw: return HTTPBody()
            }
        }
        return HTTPBody(bytes)
    }
}
