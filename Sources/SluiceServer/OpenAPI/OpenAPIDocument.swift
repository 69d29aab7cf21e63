/// `GET /api/v1/openapi.yaml`: the API's OpenAPI 3.1 document, embedded in the binary. The
/// tests (AccessTests) compare its paths and methods with the router's, both ways.
enum OpenAPIDocument {
    static let yaml = info + paths + components
}
