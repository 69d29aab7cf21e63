import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenAPIRuntime
import SluiceCore

/// Opens the request's `RequestScope`, turns every error into an `Error` answer of the document (the
/// generated code's refusals of undecodable input into 400s naming the field, a handler's bug into
/// a logged 500 without details) and counts requests by route and status.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let scope = RequestScope(peer: context.peer, request: request.head)
        var response: Response
        do {
            response = try await RequestScope.$current.withValue(scope) { try await next(request, context) }
            response.headers.append(contentsOf: scope.responseHeaders)
        } catch {
            var logger = context.logger
            switch scope.principal {
            case .user(let principal): logger[metadataKey: "user.name"] = .string(principal.user.name)
            case .node(let node, _): logger[metadataKey: "node.id"] = .string(node.id)
            case nil: break
            }
            response = try Self.apiError(error, request: request, context: context, logger: logger).response(from: request, context: context)
        }
        let seconds = (ContinuousClock.now - start).seconds
        metrics.request(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code, seconds: seconds)
        return response
    }

    /// The answer for an error thrown below: what a handler or the guard meant, or what the
    /// generated code refused and why.
    static func apiError(_ error: any Error, request: Request, context: ServerContext, logger: Logger) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as ServerError:
            if let meant = error.underlyingError as? APIError { return meant }
            if let decoding = error.underlyingError as? DecodingError {
                // A body the document's schema does not describe, or a parameter of the wrong type.
                let parameters = request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
                    + context.parameters.map { (name: String($0.0), value: String($0.1)) }
                return .badRequest(DecodingFailure.message(decoding, parameters: parameters))
            }
            if (400..<500).contains(error.httpStatus.code) {
                return APIError(error.httpStatus, Self.refusal(error))
            }
            logger.error(
                "request failed",
                metadata: ["error": "\(String(reflecting: error.underlyingError))", "http.path": "\(request.uri.path)", "operation.id": "\(error.operationID)"])
            return APIError(.internalServerError, "internal server error; the server log has the details")
        case let error as HTTPError:
            let message =
                error.status == .notFound
                ? "no route \(request.method.rawValue) \(request.uri.path)"
                : (error.body ?? error.status.reasonPhrase)
            return APIError(error.status, message, headers: error.headers)
        default:
            logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "http.path": "\(request.uri.path)"])
            return APIError(.internalServerError, "internal server error; the server log has the details")
        }
    }

    /// The generated code's own message ("Missing required query parameter named: sequence"),
    /// without the runtime's wording around it.
    private static func refusal(_ error: ServerError) -> String {
        let cause = error.causeDescription
        return cause.isEmpty || cause == "Unknown" ? "\(error.underlyingError)" : cause
    }
}
