import Foundation

/// `GET /api/v1/openapi.yaml`: the API's OpenAPI 3.1 document. The one source is
/// `Sources/SluiceServer/OpenAPI/openapi.yaml`, embedded in the binary at build time; the tests
/// (AccessTests) compare its paths and methods with the router's, both ways, and the API tests
/// check every response against its schemas.
enum OpenAPIDocument {
    static let yaml: String = {
        guard let base64 = EmbeddedAPIDocument.base64["openapi.yaml"], let data = Data(base64Encoded: base64) else {
            preconditionFailure("openapi.yaml was not embedded: the build plugin did not run")
        }
        return String(decoding: data, as: UTF8.self)
    }()
}
