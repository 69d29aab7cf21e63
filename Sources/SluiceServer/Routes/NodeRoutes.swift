import Foundation
import Hummingbird
import SluiceCore

/// Nodes and rollout.
extension ServerApp {
    var staleAfterUs: Int64 { Int64(configuration.staleAfterSeconds) * 1_000_000 }

    func addNodeRoutes(_ routes: RouteBuilder) {
        routes.user(.get, "/api/v1/nodes", .viewer) { request, _, _ in
            let revision = self.watcher.revision
            let now = Micros.now()
            var nodes = try await self.store.nodes().map { $0.info(revision: revision, now: now, staleAfterUs: self.staleAfterUs) }
            if let state = try request.query("rollout") {
                guard let wanted = RolloutState(rawValue: state) else {
                    throw APIError.badRequest("rollout must be one of \(RolloutState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                nodes = nodes.filter { $0.rollout == wanted }
            }
            if let selector = try request.query("labels", maxLength: 2048) {
                guard case .success(let wanted) = NodeSelector.parse(selector) else {
                    throw APIError.badRequest("labels must be key=value,key=value")
                }
                nodes = nodes.filter { NodeSelector.matches(wanted, labels: $0.labels) }
            }
            if try request.query("include_revoked") != "true" && (try request.query("rollout")) != "revoked" {
                nodes = nodes.filter { $0.revoked == nil }
            }
            return try JSONResponse.make(nodes)
        }
        routes.user(.get, "/api/v1/nodes/:id", .viewer) { _, context, _ in
            let id = try context.parameters.require("id")
            guard let node = try await self.store.node(id: id) else { throw APIError.notFound("no node \(id)") }
            return try JSONResponse.make(node.info(revision: self.watcher.revision, now: Micros.now(), staleAfterUs: self.staleAfterUs))
        }
        routes.user(.post, "/api/v1/nodes/:id/revoke", .admin) { _, context, principal in
            let id = try context.parameters.require("id")
            let node = try await self.store.revokeNode(id: id, actor: principal.actor)
            return try JSONResponse.make(node.info(revision: self.watcher.revision, now: Micros.now(), staleAfterUs: self.staleAfterUs))
        }
        routes.user(.put, "/api/v1/nodes/:id/labels", .admin) { request, context, principal in
            let id = try context.parameters.require("id")
            let body = try await request.decode(NodeLabelsRequest.self, limit: 64 << 10)
            if let problem = NodeSelector.validate(body.labels) { throw APIError.badRequest(problem.description) }
            let (node, revision) = try await self.store.setNodeLabels(id: id, labels: body.labels, actor: principal.actor)
            self.revisionChanged(to: revision)
            return try JSONResponse.make(node.info(revision: revision, now: Micros.now(), staleAfterUs: self.staleAfterUs))
        }
        routes.user(.get, "/api/v1/rollout", .viewer) { _, _, _ in
            let revision = self.watcher.revision
            let now = Micros.now()
            let nodes = try await self.store.nodes()
            var counts = Dictionary(uniqueKeysWithValues: RolloutState.allCases.map { ($0.rawValue, 0) })
            let lines = nodes.map { node -> NodeRollout in
                let state = node.rollout(revision: revision, now: now, staleAfterUs: self.staleAfterUs)
                counts[state.rawValue, default: 0] += 1
                return NodeRollout(
                    nodeId: node.id, name: node.name, state: state, appliedRevision: node.appliedRevision.map { UInt64(max(0, $0)) },
                    error: state == .failed ? node.applyError : nil, lastHeartbeat: Micros.date(node.lastHeartbeatUs))
            }
            return try JSONResponse.make(RolloutStatus(revision: UInt64(max(0, revision)), counts: counts, nodes: lines))
        }
    }
}
