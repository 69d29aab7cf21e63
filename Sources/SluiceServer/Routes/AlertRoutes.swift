import Foundation
import Hummingbird
import NIOCore
import SluiceCore

/// Alerts: list, show, the events behind one, acknowledge.
extension ServerApp {
    func addAlertRoutes(_ routes: RouteBuilder) {
        routes.user(.get, "/api/v1/alerts", .viewer) { request, _, _ in
            var filter = AlertFilter(limit: try request.queryInt("limit", range: 1...AdminAPI.maximumLimit) ?? 100)
            if let state = try request.query("state") {
                guard let value = AlertState(rawValue: state) else { throw APIError.badRequest("state must be open or acknowledged") }
                filter.state = value
            }
            if let kind = try request.query("kind") {
                guard let value = AlertKind(rawValue: kind) else {
                    throw APIError.badRequest("kind must be one of \(AlertKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                filter.kind = value
            }
            filter.nodeIDs = try await self.nodeIDs(try request.queryList("node"))
            filter.policy = try request.query("policy", maxLength: 256)
            filter.sinceUs = try request.queryTime("since")
            filter.cursor = try Cursor.parse(try request.query("cursor", maxLength: 20))
            return try JSONResponse.make(try await self.store.alerts(filter))
        }
        routes.user(.get, "/api/v1/alerts/:id", .viewer) { _, context, _ in
            let id = try context.parameters.require("id", as: Int64.self)
            guard let alert = try await self.store.alert(id: id) else { throw APIError.notFound("no alert \(id)") }
            return try JSONResponse.make(alert)
        }
        routes.user(.get, "/api/v1/alerts/:id/events", .viewer) { request, context, _ in
            let id = try context.parameters.require("id", as: Int64.self)
            guard let alert = try await self.store.alert(id: id) else { throw APIError.notFound("no alert \(id)") }
            let limit = try request.queryInt("limit", range: 1...AdminAPI.maximumLimit) ?? 100
            let lines = try await self.store.alertEvents(alert, limit: limit)
            return Response(
                status: .ok, headers: [.contentType: "application/x-ndjson; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: lines.map { $0 + "\n" }.joined())))
        }
        routes.user(.post, "/api/v1/alerts/:id/ack", .operator) { request, context, principal in
            let id = try context.parameters.require("id", as: Int64.self)
            let body = try await request.decodeIfPresent(AcknowledgeAlertRequest.self, limit: 16 << 10)
            if let note = body?.note { try Limits.check(note, "note", max: 4096) }
            let alert = try await self.store.acknowledgeAlert(id: id, by: principal.user.name, actor: principal.actor, note: body?.note)
            return try JSONResponse.make(alert)
        }
    }
}
