import Foundation
import HTTPTypes
import Hummingbird
import SluiceAPI
import SluiceCore

/// A 4xx or 5xx answer with the document's `Error` body: every error the API gives on purpose.
struct APIError: HTTPResponseError, CustomStringConvertible {
    let status: HTTPResponse.Status
    let message: String
    var details: [String]?
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ message: String, details: [String]? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.details = details
        self.headers = headers
    }

    var description: String { "\(status.code) \(message)" }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        let body = (try? FleetJSON.encoder().encode(Components.Schemas._Error(error: message, details: details))) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func badRequest(_ message: String, details: [String]? = nil) -> APIError { APIError(.badRequest, message, details: details) }
    static func unauthorized(_ message: String) -> APIError {
        APIError(.unauthorized, message, headers: [.wwwAuthenticate: "Bearer realm=\"sluice\""])
    }
    static func forbidden(_ message: String) -> APIError { APIError(.forbidden, message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }
    static func conflict(_ message: String) -> APIError { APIError(.conflict, message) }
    static func unprocessable(_ message: String, details: [String]) -> APIError { APIError(.unprocessableContent, message, details: details) }
    static func tooLarge(_ message: String) -> APIError { APIError(.contentTooLarge, message) }
    static func tooManyRequests(_ message: String, retryAfter seconds: Int) -> APIError {
        APIError(.tooManyRequests, message, headers: [.retryAfter: String(seconds)])
    }
    static func unavailable(_ message: String, retryAfter seconds: Int) -> APIError {
        APIError(.serviceUnavailable, message, headers: [.retryAfter: String(seconds)])
    }
}
