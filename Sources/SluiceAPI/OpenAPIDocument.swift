import Foundation

/// The API's OpenAPI 3.1 document, `Sources/SluiceAPI/openapi.yaml`: the one source from which the
/// types, the server interface and the client of this module are generated, embedded in the binary
/// so the server can serve it at `GET /api/v1/openapi.yaml`.
public enum OpenAPIDocument {
    /// The document's text, exactly as in the repository.
    public static let yaml: String = {
        guard let base64 = EmbeddedAPIDocument.base64["openapi.yaml"], let data = Data(base64Encoded: base64) else {
            preconditionFailure("openapi.yaml was not embedded: the build plugin did not run")
        }
        return String(decoding: data, as: UTF8.self)
    }()
}
