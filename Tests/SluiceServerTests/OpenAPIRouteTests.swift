import Foundation
import Testing
import Yams

@testable import SluiceServer

/// The OpenAPI document and the router agree: every API route is documented with its method, and
/// the document parses as YAML.
@Suite struct OpenAPIRouteTests {
    @Test func everyRouteIsDocumented() async throws {
        try await TestServer.with(.sqlite) { server, _ in
            let document = try #require(try Yams.load(yaml: OpenAPIDocument.yaml) as? [String: Any])
            let paths = try #require(document["paths"] as? [String: Any])
            var missing: [String] = []
            for entry in server.routes where entry.path.hasPrefix("/api/") {
                let operations = paths[entry.path] as? [String: Any]
                if operations?[entry.method.rawValue.lowercased()] == nil { missing.append(entry.description) }
            }
            #expect(missing.isEmpty, "not in the OpenAPI document: \(missing)")
            let schemes = (document["components"] as? [String: Any])?["securitySchemes"] as? [String: Any]
            #expect(schemes?["sessionCookie"] != nil)
        }
    }
}
