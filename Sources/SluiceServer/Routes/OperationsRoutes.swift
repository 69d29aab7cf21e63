import Hummingbird
import NIOCore
import SluiceAPI

extension ServerApp {
    func addOperationsRoutes(_ routes: RouteBuilder) {
        routes.anyone(.get, "/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        routes.anyone(.get, "/readyz") { _, _ in
            guard await self.store.database.ping() else {
                throw APIError.unavailable("the database does not answer", retryAfter: 5)
            }
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
        }
        routes.anyone(.get, "/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: self.metrics.registry.emitToBuffer())))
        }
        routes.anyone(.get, "/api/v1/openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
    }
}
