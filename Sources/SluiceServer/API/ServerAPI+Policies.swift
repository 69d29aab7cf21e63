import Foundation
import SluiceAPI
import SluiceCore

/// Policies: versions, push, history, diff, rollback, delete.
extension ServerAPI {
    func listPolicies(_ input: Operations.ListPolicies.Input) async throws -> Operations.ListPolicies.Output {
        let latest = try await store.latestPolicies(includeDeleted: input.query.includeDeleted == true)
        return .ok(.init(body: .json(latest.map { Components.Schemas.PolicyVersion($0.version) })))
    }

    func pushPolicies(_ input: Operations.PushPolicies.Input) async throws -> Operations.PushPolicies.Output {
        let principal = try user()
        let body = switch input.body { case .json(let body): body }
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
        let selector = body.nodeSelector?.additionalProperties
        if let selector, let problem = NodeSelector.validate(selector) {
            throw APIError.badRequest("node_selector: \(problem)")
        }
        let sources = body.documents.enumerated().map { index, text in (file: body.fileNames?[index] ?? "document[\(index)]", text: text) }
        let current = try await store.latestPolicies(includeDeleted: false)
        switch try await Offload.run({ PolicyPush.plan(sources: sources, selector: selector, current: current) }) {
        case .failure(let rejection):
            throw APIError.unprocessable("the push was rejected: nothing was stored", details: rejection.details)
        case .success(let plan):
            let (created, change) = try await self.change(plan.contents, principal: principal, message: body.message ?? "", action: "policy.push", warnings: plan.warnings)
            return created ? .created(.init(body: .json(change))) : .ok(.init(body: .json(change)))
        }
    }

    func showPolicy(_ input: Operations.ShowPolicy.Input) async throws -> Operations.ShowPolicy.Output {
        let name = input.path.name
        guard let latest = try await store.policyHistory(name: name).first else { throw APIError.notFound("no policy \(name)") }
        return .ok(.init(body: .json(Components.Schemas.PolicyVersion(latest.version))))
    }

    func deletePolicy(_ input: Operations.DeletePolicy.Input) async throws -> Operations.DeletePolicy.Output {
        let principal = try user()
        let name = input.path.name
        let message = try QueryCheck.text(input.query.message, "message", maxLength: 4096) ?? "deleted"
        guard let latest = try await store.policyHistory(name: name).first else { throw APIError.notFound("no policy \(name)") }
        if latest.version.deleted { throw APIError.conflict("policy \(name) is deleted already (v\(latest.version.version))") }
        let content = PolicyContent(name: name, yaml: latest.version.yaml, nodeSelector: latest.version.nodeSelector, deleted: true, alertOnDeny: false)
        let (_, change) = try await self.change([content], principal: principal, message: message, action: "policy.delete", warnings: [])
        return .created(.init(body: .json(change)))
    }

    func policyHistory(_ input: Operations.PolicyHistory.Input) async throws -> Operations.PolicyHistory.Output {
        let name = input.path.name
        let history = try await store.policyHistory(name: name)
        if history.isEmpty { throw APIError.notFound("no policy \(name)") }
        return .ok(.init(body: .json(history.map { Components.Schemas.PolicyVersion($0.version) })))
    }

    func policyVersion(_ input: Operations.PolicyVersion.Input) async throws -> Operations.PolicyVersion.Output {
        let (name, version) = (input.path.name, input.path.version)
        guard let stored = try await store.policyVersion(name: name, version: version) else {
            throw APIError.notFound("policy \(name) has no version \(version)")
        }
        return .ok(.init(body: .json(Components.Schemas.PolicyVersion(stored.version))))
    }

    func policyDiff(_ input: Operations.PolicyDiff.Input) async throws -> Operations.PolicyDiff.Output {
        let name = input.path.name
        let history = try await store.policyHistory(name: name)
        guard let latest = history.first else { throw APIError.notFound("no policy \(name)") }
        let to = try QueryCheck.int(input.query.to, "to", range: 1...Int(Int32.max)) ?? latest.version.version
        let from = try QueryCheck.int(input.query.from, "from", range: 1...Int(Int32.max)) ?? max(1, to - 1)
        guard let old = history.first(where: { $0.version.version == from }) else { throw APIError.notFound("policy \(name) has no version \(from)") }
        guard let new = history.first(where: { $0.version.version == to }) else { throw APIError.notFound("policy \(name) has no version \(to)") }
        let diff = try await Offload.run { Self.diff(old.version, new.version) }
        return .ok(.init(body: .json(.init(name: name, from: from, to: to, diff: diff))))
    }

    func rollbackPolicy(_ input: Operations.RollbackPolicy.Input) async throws -> Operations.RollbackPolicy.Output {
        let principal = try user()
        let name = input.path.name
        let body = switch input.body { case .json(let body): body }
        if let message = body.message { try Limits.check(message, "message", max: 4096) }
        guard let target = try await store.policyVersion(name: name, version: body.version) else {
            throw APIError.notFound("policy \(name) has no version \(body.version)")
        }
        let message = body.message ?? "rollback to v\(body.version)"
        var content = PolicyContent(
            name: name, yaml: target.version.yaml, nodeSelector: target.version.nodeSelector, deleted: target.version.deleted,
            alertOnDeny: target.alertOnDeny)
        var warnings: [String] = []
        if !content.deleted {
            // The old text must still fit with today's other policies.
            let current = try await store.latestPolicies(includeDeleted: false)
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
        let (created, change) = try await self.change([content], principal: principal, message: message, action: "policy.rollback", warnings: warnings)
        return created ? .created(.init(body: .json(change))) : .ok(.init(body: .json(change)))
    }

    /// Stores the change; `created` says whether any version was made (201) or all were unchanged (200).
    private func change(_ contents: [PolicyContent], principal: UserPrincipal, message: String, action: String, warnings: [String]) async throws
        -> (created: Bool, Components.Schemas.PolicyChangeResponse)
    {
        let result = try await store.changePolicies(contents, author: principal.user.name, actor: principal.actor, message: message, action: action)
        if !result.created.isEmpty {
            app.revisionChanged(to: result.revision)
            app.logger.info(
                "policy changed",
                metadata: ["policy.action": "\(action)", "policy.revision": "\(result.revision)", "user.name": "\(principal.user.name)"])
        }
        let response = Components.Schemas.PolicyChangeResponse(
            revision: Int(max(0, result.revision)), created: result.created.map { Components.Schemas.PolicyVersion($0.version) }, unchanged: result.unchanged, warnings: warnings)
        return (!result.created.isEmpty, response)
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

