import Foundation
import SluiceAPI
import SluiceCore

/// Nodes and rollout.
extension ServerAPI {
    func listNodes(_ input: Operations.ListNodes.Input) async throws -> Operations.ListNodes.Output {
        let revision = app.watcher.revision
        let now = Micros.now()
        var nodes = try await store.nodes().map { $0.info(revision: revision, now: now, staleAfterUs: app.staleAfterUs) }
        if let wanted = input.query.rollout {
            nodes = nodes.filter { $0.rollout == wanted }
        }
        if let selector = try QueryCheck.text(input.query.labels, "labels", maxLength: 2048) {
            guard case .success(let wanted) = NodeSelector.parse(selector) else {
                throw APIError.badRequest("labels must be key=value,key=value")
            }
            nodes = nodes.filter { NodeSelector.matches(wanted, labels: $0.labels.additionalProperties) }
        }
        if input.query.includeRevoked != true && input.query.rollout != .revoked {
            nodes = nodes.filter { $0.revoked == nil }
        }
        return .ok(.init(body: .json(nodes)))
    }

    func showNode(_ input: Operations.ShowNode.Input) async throws -> Operations.ShowNode.Output {
        let id = input.path.id
        guard let node = try await store.node(id: id) else { throw APIError.notFound("no node \(id)") }
        return .ok(.init(body: .json(node.info(revision: app.watcher.revision, now: Micros.now(), staleAfterUs: app.staleAfterUs))))
    }

    func revokeNode(_ input: Operations.RevokeNode.Input) async throws -> Operations.RevokeNode.Output {
        let principal = try user()
        let node = try await store.revokeNode(id: input.path.id, actor: principal.actor)
        return .ok(.init(body: .json(node.info(revision: app.watcher.revision, now: Micros.now(), staleAfterUs: app.staleAfterUs))))
    }

    func setNodeLabels(_ input: Operations.SetNodeLabels.Input) async throws -> Operations.SetNodeLabels.Output {
        let principal = try user()
        let labels = switch input.body { case .json(let body): body.labels.additionalProperties }
        if let problem = NodeSelector.validate(labels) { throw APIError.badRequest(problem.description) }
        let (node, revision) = try await store.setNodeLabels(id: input.path.id, labels: labels, actor: principal.actor)
        app.revisionChanged(to: revision)
        await app.feedPoller.layoutChanged()
        return .ok(.init(body: .json(node.info(revision: revision, now: Micros.now(), staleAfterUs: app.staleAfterUs))))
    }

    func rollout(_ input: Operations.Rollout.Input) async throws -> Operations.Rollout.Output {
        let revision = app.watcher.revision
        let now = Micros.now()
        let nodes = try await store.nodes()
        var counts = Dictionary(uniqueKeysWithValues: Components.Schemas.RolloutState.allCases.map { ($0.rawValue, 0) })
        let lines = nodes.map { node -> Components.Schemas.NodeRollout in
            let state = node.rollout(revision: revision, now: now, staleAfterUs: app.staleAfterUs)
            counts[state.rawValue, default: 0] += 1
            return .init(
                nodeId: node.id, name: node.name, state: state, appliedRevision: node.appliedRevision.map { Int(max(0, $0)) },
                error: state == .failed ? node.applyError : nil, lastHeartbeat: Micros.date(node.lastHeartbeatUs))
        }
        return .ok(.init(body: .json(.init(revision: Int(max(0, revision)), counts: .init(additionalProperties: counts), nodes: lines))))
    }
}
