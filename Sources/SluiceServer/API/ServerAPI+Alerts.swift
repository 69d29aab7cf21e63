import Foundation
import SluiceAPI
import SluiceCore

/// Alerts: list, show, the events behind one, acknowledge.
extension ServerAPI {
    func listAlerts(_ input: Operations.ListAlerts.Input) async throws -> Operations.ListAlerts.Output {
        let query = input.query
        var filter = AlertFilter(limit: try QueryCheck.int(query.limit, "limit", range: 1...AdminAPI.maximumLimit) ?? 100)
        filter.state = query.state
        filter.kind = query.kind
        filter.nodeIDs = try await nodeIDs(try scope.queryList("node"))
        filter.policy = try QueryCheck.text(query.policy, "policy", maxLength: 256)
        filter.sinceUs = try QueryCheck.time(query.since, "since")
        filter.cursor = try QueryCheck.cursor(query.cursor)
        return .ok(.init(body: .json(try await store.alerts(filter))))
    }

    func showAlert(_ input: Operations.ShowAlert.Input) async throws -> Operations.ShowAlert.Output {
        let id = input.path.id
        guard let alert = try await store.alert(id: Int64(id)) else { throw APIError.notFound("no alert \(id)") }
        return .ok(.init(body: .json(alert)))
    }

    func alertEvents(_ input: Operations.AlertEvents.Input) async throws -> Operations.AlertEvents.Output {
        let id = input.path.id
        guard let alert = try await store.alert(id: Int64(id)) else { throw APIError.notFound("no alert \(id)") }
        let limit = try QueryCheck.int(input.query.limit, "limit", range: 1...AdminAPI.maximumLimit) ?? 100
        let lines = try await store.alertEvents(alert, limit: limit)
        return .ok(.init(body: .applicationXNdjson(Self.ndjson(lines))))
    }

    func acknowledgeAlert(_ input: Operations.AcknowledgeAlert.Input) async throws -> Operations.AcknowledgeAlert.Output {
        let principal = try user()
        let note = input.body.flatMap { body in switch body { case .json(let request): request.note } }
        if let note { try Limits.check(note, "note", max: 4096) }
        let alert = try await store.acknowledgeAlert(id: Int64(input.path.id), by: principal.user.name, actor: principal.actor, note: note)
        return .ok(.init(body: .json(alert)))
    }
}
