import Foundation
import Hummingbird
import SluiceCore

/// Policies: versions, push, history, diff, rollback, delete.
extension ServerApp {
    func addPolicyRoutes(_ routes: RouteBuilder) {
        routes.user(.get, "/api/v1/policies", .viewer) { request, _, _ in
            let includeDeleted = try request.query("include_deleted") == "true"
            return try JSONResponse.make(try await self.store.latestPolicies(includeDeleted: includeDeleted).map(\.version))
        }
        routes.user(.post, "/api/v1/policies", .operator) { request, _, principal in
            try await self.push(request, principal)
        }
        routes.user(.get, "/api/v1/policies/:name", .viewer) { _, context, _ in
            let name = try context.parameters.require("name")
            guard let latest = try await self.store.policyHistory(name: name).first else { throw APIError.notFound("no policy \(name)") }
            return try JSONResponse.make(latest.version)
        }
        routes.user(.delete, "/api/v1/policies/:name", .operator) { request, context, principal in
            let name = try context.parameters.require("name")
            let message = try request.query("message", maxLength: 4096) ?? "deleted"
            guard let latest = try await self.store.policyHistory(name: name).first else { throw APIError.notFound("no policy \(name)") }
            if latest.version.deleted { throw APIError.conflict("policy \(name) is deleted already (v\(latest.version.version))") }
            let content = PolicyContent(name: name, yaml: latest.version.yaml, nodeSelector: latest.version.nodeSelector, deleted: true, alertOnDeny: false)
            return try await self.change([content], principal: principal, message: message, action: "policy.delete", warnings: [])
        }
        routes.user(.get, "/api/v1/policies/:name/history", .viewer) { _, context, _ in
            let name = try context.parameters.require("name")
            let history = try await self.store.policyHistory(name: name)
            if history.isEmpty { throw APIError.notFound("no policy \(name)") }
            return try JSONResponse.make(history.map(\.version))
        }
        routes.user(.get, "/api/v1/policies/:name/versions/:version", .viewer) { _, context, _ in
            let name = try context.parameters.require("name")
            let version = try context.parameters.require("version", as: Int.self)
            guard let stored = try await self.store.policyVersion(name: name, version: version) else {
                throw APIError.notFound("policy \(name) has no version \(version)")
            }
            return try JSONResponse.make(stored.version)
        }
        routes.user(.get, "/api/v1/policies/:name/diff", .viewer) { request, context, _ in
            let name = try context.parameters.require("name")
            let history = try await self.store.policyHistory(name: name)
            guard let latest = history.first else { throw APIError.notFound("no policy \(name)") }
            let to = try request.queryInt("to", range: 1...Int(Int32.max)) ?? latest.version.version
            let from = try request.queryInt("from", range: 1...Int(Int32.max)) ?? max(1, to - 1)
            guard let old = history.first(where: { $0.version.version == from }) else { throw APIError.notFound("policy \(name) has no version \(from)") }
            guard let new = history.first(where: { $0.version.version == to }) else { throw APIError.notFound("policy \(name) has no version \(to)") }
            let diff = try await Offload.run { Self.diff(old.version, new.version) }
            return try JSONResponse.make(PolicyDiff(name: name, from: from, to: to, diff: diff))
        }
        routes.user(.post, "/api/v1/policies/:name/rollback", .operator) { request, context, principal in
            let name = try context.parameters.require("name")
            let body = try await request.decode(PolicyRollbackRequest.self, limit: 16 << 10)
            if let message = body.message { try Limits.check(message, "message", max: 4096) }
            guard let target = try await self.store.policyVersion(name: name, version: body.version) else {
                throw APIError.notFound("policy \(name) has no version \(body.version)")
            }
            let message = body.message ?? "rollback to v\(body.version)"
            var content = PolicyContent(
                name: name, yaml: target.version.yaml, nodeSelector: target.version.nodeSelector, deleted: target.version.deleted,
                alertOnDeny: target.alertOnDeny)
            var warnings: [String] = []
            if !content.deleted {
                // The old text must still fit with today's other policies.
                let current = try await self.store.latestPolicies(includeDeleted: false)
                let sources = [(file: "\(name)@v\(body.version)", text: target.version.yaml)]
                let selector = target.version.nodeSelector
                switch try await Offload.run({ PolicyPush.plan(sources: sources, selector: selector, current: current) }) {
                case .success(let plan):
                    warnings = plan.warnings
                    if let planned = plan.contents.first { content.alertOnDeny = planned.alertOnDeny }
                case .failure(let rejection):
                    throw APIError.unprocessable("version \(body.version) of \(name) does not validate with the current policies", details: rejection.details)
                }
            }
            return try await self.change([content], principal: principal, message: message, action: "policy.rollback", warnings: warnings)
        }
    }

    private func push(_ request: Request, _ principal: UserPrincipal) async throws -> Response {
        let body = try await request.decode(PolicyPushRequest.self, limit: configuration.limits.maximumPolicyBytes)
        guard !body.documents.isEmpty, body.documents.count <= 512 else {
            throw APIError.badRequest("documents must hold 1 to 512 policy texts")
        }
        if let names = body.fileNames {
            guard names.count == body.documents.count else {
                throw APIError.badRequest("file_names has \(names.count) names for \(body.documents.count) documents")
            }
            guard Set(names).count == names.count else { throw APIError.badRequest("file_names must be different from each other") }
            for name in names { try Limits.check(name, "file_names[]", max: 256, allowEmpty: false) }
        }
        if let message = body.message { try Limits.check(message, "message", max: 4096) }
        if let selector = body.nodeSelector, let problem = NodeSelector.validate(selector) {
            throw APIError.badRequest("node_selector: \(problem)")
        }
        let sources = body.documents.enumerated().map { index, text in (file: body.fileNames?[index] ?? "document[\(index)]", text: text) }
        let current = try await store.latestPolicies(includeDeleted: false)
        let selector = body.nodeSelector
        switch try await Offload.run({ PolicyPush.plan(sources: sources, selector: selector, current: current) }) {
        case .failure(let rejection):
            throw APIError.unprocessable("the push was rejected: nothing was stored", details: rejection.details)
        case .success(let plan):
            return try await change(plan.contents, principal: principal, message: body.message ?? "", action: "policy.push", warnings: plan.warnings)
        }
    }

    private func change(_ contents: [PolicyContent], principal: UserPrincipal, message: String, action: String, warnings: [String]) async throws
        -> Response
    {
        let result = try await store.changePolicies(contents, author: principal.user.name, actor: principal.actor, message: message, action: action)
        if !result.created.isEmpty {
            revisionChanged(to: result.revision)
            logger.info(
                "policy changed",
                metadata: ["policy.action": "\(action)", "policy.revision": "\(result.revision)", "user.name": "\(principal.user.name)"])
        }
        return try JSONResponse.make(
            PolicyChangeResponse(
                revision: UInt64(max(0, result.revision)), created: result.created.map(\.version), unchanged: result.unchanged, warnings: warnings),
            status: result.created.isEmpty ? .ok : .created)
    }

    static func diff(_ old: PolicyVersion, _ new: PolicyVersion) -> String {
        var header = ""
        if old.nodeSelector != new.nodeSelector {
            header += "node selector: \(NodeSelector.format(old.nodeSelector)) -> \(NodeSelector.format(new.nodeSelector))\n"
        }
        if old.deleted != new.deleted { header += new.deleted ? "deleted in v\(new.version)\n" : "restored in v\(new.version)\n" }
        let oldText = old.deleted ? "" : old.yaml
        let newText = new.deleted ? "" : new.yaml
        return header
            + LineDiff.unified(old: oldText, new: newText, oldName: "\(old.name)@v\(old.version)", newName: "\(new.name)@v\(new.version)")
    }
}
