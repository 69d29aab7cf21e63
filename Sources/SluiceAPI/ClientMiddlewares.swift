import Foundation
import HTTPTypes
import OpenAPIRuntime
import SluiceCore

/// Adds the caller's bearer credential and user agent to every request.
struct HeadersMiddleware: ClientMiddleware {
    let credential: String?
    let userAgent: String

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        if let credential { request.headerFields[.authorization] = "Bearer \(credential)" }
        request.headerFields[.userAgent] = userAgent
        return try await next(request, body, baseURL)
    }
}

/// Turns every error answer (3xx but 304, 4xx, 5xx) into `APIClientError.refused` with the
/// server's message, so each call site reads only the answers it expects.
struct ErrorAnswerMiddleware: ClientMiddleware {
    let server: String
    /// Error documents are small; anything longer is a proxy's page, shown cut.
    static let errorBodyLimit = 1 << 20

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let (response, responseBody) = try await next(request, body, baseURL)
        let status = response.status.code
        guard status >= 300, status != 304 else { return (response, responseBody) }
        var bytes: [UInt8] = []
        if let responseBody {
            for try await chunk in responseBody {
                bytes += chunk.prefix(Self.errorBodyLimit - bytes.count)
                if bytes.count >= Self.errorBodyLimit { break }
            }
        }
        let revoked = response.headerFields[HTTPField.Name(NodeAPI.revokedHeader)!] == "true"
        if let document = try? JSONDecoder().decode(Components.Schemas._Error.self, from: Data(bytes)) {
            throw APIClientError.refused(status: status, message: document.error, details: document.details ?? [], revoked: revoked)
        }
        let text = String(decoding: bytes.prefix(512), as: UTF8.self)
        throw APIClientError.refused(status: status, message: "the server answered \(status): \(text)", details: [], revoked: revoked)
    }
}
