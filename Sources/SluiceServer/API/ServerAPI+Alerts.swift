import Foundation
import SluiceAPI
import SluiceCore

/// Alerts: list, show, the events behind one, acknowledge (one or many), silences.
extension ServerAPI {
    func listAlerts(_ input: Operations.ListAlerts.Input) async throws -> Operations.ListAlerts.Output {
        let query = input.query
        var filter = AlertFilter(limit: try QueryCheck.int(query.limit, "limit", range: 1...AdminAPI.maximumLimit) ?? 100)
        filter.state = query.state
        filter.kind = query.kind
        filter.nodeIDs = try await nodeIDs(try scope.queryList("node"))
        filter.policy = try QueryCheck.text(query.policy, "policy", maxLength: 256)
        filter.exe = try QueryCheck.text(query.exe, "exe", maxLength: 4096)
        filter.sinceUs = try QueryCheck.time(query.since, "since")
        filter.byLastSeen = query.sort != .created
        if let text = query.cursor {
            guard let cursor = AlertFilter.parseCursor(text, byLastSeen: filter.byLastSeen) else {
                throw APIError.badRequest("cursor must be the next_cursor of a page listed with the same sort")
            }
            filter.cursor = cursor
        }
        return .ok(.init(body: .json(try await store.alerts(filter))))
    }

    func acknowledgeAlerts(_ input: Operations.AcknowledgeAlerts.Input) async throws -> Operations.AcknowledgeAlerts.Output {
        let principal = try user()
        let body = switch input.body { case .json(let body): body }
        guard (1...1000).contains(body.ids.count) else { throw APIError.badRequest("ids must list 1 to 1000 alerts") }
        if let note = body.note { try Limits.check(note, "note", max: 4096) }
        let count = try await store.acknowledgeAlerts(ids: body.ids.map { Int64($0) }, by: principal.user.name, actor: principal.actor, note: body.note)
        return .ok(.init(body: .json(.init(acknowledged: count))))
    }

    func listSilences(_ input: Operations.ListSilences.Input) async throws -> Operations.ListSilences.Output {
        .ok(.init(body: .json(try await store.silences())))
    }

    func createSilence(_ input: Operations.CreateSilence.Input) async throws -> Operations.CreateSilence.Output {
        let principal = try user()
        let body = switch input.body { case .json(let body): body }
        let match = body.match
        for (field, value, most) in [("node_id", match.nodeId, 64), ("exe", match.exe, 4096), ("destination", match.destination, 64), ("policy", match.policy, 256)] {
            guard let value else { continue }
            if value.isEmpty { throw APIError.badRequest("match.\(field) is empty: leave it out to match any") }
            try Limits.check(value, "match.\(field)", max: most)
        }
        guard [match.nodeId, match.kind?.rawValue, match.exe, match.destination, match.port.map(String.init), match.policy].contains(where: { $0 != nil }) else {
            throw APIError.badRequest("match must name at least one of node_id, kind, exe, destination, port, policy: a silence of everything hides every alert")
        }
        guard (60...(90 * 86_400)).contains(body.durationSeconds) else { throw APIError.badRequest("duration_seconds must be 60 to 7776000 (90 days)") }
        try Limits.check(body.comment, "comment", max: 4096)
        if body.comment.trimmingCharacters(in: .whitespaces).isEmpty { throw APIError.badRequest("comment must say why") }
        if let port = match.port, !(1...65535).contains(port) { throw APIError.badRequest("match.port must be 1 to 65535") }
        return .created(.init(body: .json(try await store.createSilence(body, actor: principal.actor, user: principal.user.name))))
    }

    func endSilence(_ input: Operations.EndSilence.Input) async throws -> Operations.EndSilence.Output {
        let principal = try user()
        return .ok(.init(body: .json(try await store.endSilence(id: Int64(input.path.id), actor: principal.actor))))
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
