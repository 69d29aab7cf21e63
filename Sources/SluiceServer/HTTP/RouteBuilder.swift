import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SluiceCore

/// One route of the API: what the OpenAPI document and the RBAC tests check against.
struct RouteEntry: Sendable, Hashable, CustomStringConvertible {
    var method: HTTPRequest.Method
    /// OpenAPI form: `/api/v1/users/{name}`.
    var path: String
    var access: Access

    var description: String { "\(method.rawValue) \(path) (\(access))" }
}

/// Registers routes with their access rule: authentication and the role check happen here,
/// before any handler runs, for every route.
final class RouteBuilder {
    let router: Router<ServerContext>
    let authenticator: Authenticator
    private(set) var entries: [RouteEntry] = []

    init(router: Router<ServerContext>, authenticator: Authenticator) {
        self.router = router
        self.authenticator = authenticator
    }

    private func record(_ method: HTTPRequest.Method, _ path: String, _ access: Access) -> RouterPath {
        // `:name` in Hummingbird, `{name}` in OpenAPI.
        let openAPI = path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }.joined(separator: "/")
        entries.append(RouteEntry(method: method, path: openAPI, access: access))
        return RouterPath(path)
    }

    func anyone(
        _ method: HTTPRequest.Method, _ path: String, access: Access = .anyone,
        _ handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) {
        router.on(record(method, path, access), method: method) { request, context in
            try await handler(request, context)
        }
    }

    func user(
        _ method: HTTPRequest.Method, _ path: String, _ role: Role,
        _ handler: @escaping @Sendable (Request, ServerContext, UserPrincipal) async throws -> Response
    ) {
        let authenticator = self.authenticator
        router.on(record(method, path, .user(role)), method: method) { request, context in
            let principal = try await authenticator.user(request, role: role)
            var context = context
            context.logger[metadataKey: "user.name"] = .string(principal.user.name)
            return try await handler(request, context, principal)
        }
    }

    func node(
        _ method: HTTPRequest.Method, _ path: String,
        _ handler: @escaping @Sendable (Request, ServerContext, NodeRecord) async throws -> Response
    ) {
        let authenticator = self.authenticator
        router.on(record(method, path, .node), method: method) { request, context in
            let node = try await authenticator.node(request)
            var context = context
            context.logger[metadataKey: "node.id"] = .string(node.id)
            return try await handler(request, context, node)
        }
    }
}

/// Turns every error into an `APIErrorBody` answer (a handler's bug into a logged 500 without
/// details) and counts requests by route and status.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let message =
                error.status == .notFound
                ? "no route \(request.method.rawValue) \(request.uri.path)"
                : (error.body ?? error.status.reasonPhrase)
            response = try APIError(error.status, message, headers: error.headers).response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "http.path": "\(request.uri.path)"])
            response = try APIError(.internalServerError, "internal server error; the server log has the details").response(
                from: request, context: context)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.request(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code, seconds: seconds)
        return response
    }
}
