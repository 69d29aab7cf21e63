import Foundation
import Hummingbird

/// The web console: `/` is its page, `/console/...` its scripts and styles. They are public
/// files, not API (so not in the OpenAPI document); every piece of data they show comes from
/// `/api/v1` with the signed-in user's session and role.
extension ServerApp {
    func addConsoleRoutes(_ router: Router<ServerContext>) {
        let assets = ConsoleAssets.embedded
        router.get("/") { request, _ in
            try assets.response("index.html", request: request)
        }
        router.head("/") { request, _ in
            try assets.response("index.html", request: request)
        }
        router.get("/console/**") { request, context in
            let path = context.parameters.getCatchAll().joined(separator: "/")
            guard !path.split(separator: "/").contains(where: { $0 == ".." || $0.hasPrefix(".") }) else {
                throw APIError.notFound("no console file \(path)")
            }
            return try assets.response(path, request: request)
        }
    }
}
