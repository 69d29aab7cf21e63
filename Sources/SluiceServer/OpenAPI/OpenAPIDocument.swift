/// `GET /api/v1/openapi.yaml`: the API's OpenAPI 3.1 document, embedded in the binary. The
/// tests compare its paths and methods with the router's, both ways; docs/api.md is the tour.
enum OpenAPIDocument {
    static let yaml = info + paths + components
}
