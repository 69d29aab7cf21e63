import Foundation
import OpenAPIRuntime
import SluiceAPI
import SluiceCore

/// Health, readiness, metrics and the API document itself.
extension ServerAPI {
    func healthz(_ input: Operations.Healthz.Input) async throws -> Operations.Healthz.Output {
        .ok(.init(body: .plainText(HTTPBody("ok\n"))))
    }

    func readyz(_ input: Operations.Readyz.Input) async throws -> Operations.Readyz.Output {
        guard await store.database.ping() else {
            throw APIError.unavailable("the database does not answer", retryAfter: 5)
        }
        return .ok(.init(body: .plainText(HTTPBody("ready\n"))))
    }

    func metrics(_ input: Operations.Metrics.Input) async throws -> Operations.Metrics.Output {
        .ok(.init(body: .plainText(HTTPBody(app.metrics.registry.emitToBuffer()))))
    }

    /// The document the server was generated from, byte for byte.
    func openapi(_ input: Operations.Openapi.Input) async throws -> Operations.Openapi.Output {
        .ok(.init(body: .yaml(HTTPBody(OpenAPIDocument.yaml))))
    }
}
