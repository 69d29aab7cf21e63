import Foundation
import Hummingbird
import SluiceCore

/// Checks before a push, nothing stored: validate texts (diagnostics at their lines, and the diff
/// against the stored versions) and explain a connection under the stored policies.
extension ServerApp {
    func addPolicyCheckRoutes(_ routes: RouteBuilder) {
        routes.user(.post, "/api/v1/policies/validate", .viewer) { request, _, _ in
            let body = try await request.decode(PolicyValidateRequest.self, limit: self.configuration.limits.maximumPolicyBytes)
            guard !body.documents.isEmpty, body.documents.count <= 512 else { throw APIError.badRequest("documents must hold 1 to 512 policy texts") }
            if let names = body.fileNames, names.count != body.documents.count {
                throw APIError.badRequest("file_names has \(names.count) names for \(body.documents.count) documents")
            }
            let sources = body.documents.enumerated().map { index, text in (file: body.fileNames?[index] ?? "document[\(index)]", text: text) }
            return try JSONResponse.make(try await self.validate(sources))
        }
        routes.user(.post, "/api/v1/policies/explain", .viewer) { request, _, _ in
            let body = try await request.decode(PolicyExplainRequest.self, limit: 64 << 10)
            var policies = try await self.store.latestPolicies(includeDeleted: false)
            if let node = body.node, !node.isEmpty {
                guard let id = try await self.store.nodeIDs(matching: node).first, let record = try await self.store.node(id: id) else {
                    throw APIError.notFound("no node \(node)")
                }
                policies = policies.filter { NodeSelector.matches($0.version.nodeSelector, labels: record.labels) }
            }
            let sources = policies.map { (file: "server:\($0.version.name)@v\($0.version.version)", text: $0.version.yaml) }
            let explanation: Explanation
            do {
                explanation = try await Offload.run { try PolicyExplainer.explain(body, sources: sources) }
            } catch let error as PolicyExplainer.Failure {
                throw error.details.isEmpty ? APIError.badRequest(error.description) : APIError.unprocessable(error.description, details: error.details)
            }
            return try JSONResponse.make(PolicyExplainResponse(explanation: explanation, policies: sources.map(\.file)))
        }
    }

    private func validate(_ sources: [(file: String, text: String)]) async throws -> PolicyValidateResponse {
        let loaded = try await Offload.run { PolicyLoader.check(sources: sources) }
        var diagnostics = loaded.diagnostics.map {
            PolicyCheckDiagnostic(
                severity: $0.severity.rawValue, file: $0.location.file, line: $0.location.line, column: $0.location.column, field: $0.field,
                message: $0.message)
        }
        let names = loaded.policySet.policies.map(\.name)
        guard !loaded.hasErrors else { return PolicyValidateResponse(valid: false, policies: names, diagnostics: diagnostics, diffs: []) }
        // Then as a push: each policy's own document, its selector, and the stored neighbours it must fit with.
        let current = try await store.latestPolicies(includeDeleted: false)
        switch try await Offload.run({ PolicyPush.plan(sources: sources, selector: nil, current: current) }) {
        case .failure(let rejection):
            for detail in rejection.details where !diagnostics.contains(where: { detail.contains($0.message) }) {
                diagnostics.append(PolicyCheckDiagnostic(severity: "error", file: "", line: 0, column: 0, field: "", message: detail))
            }
            return PolicyValidateResponse(valid: false, policies: names, diagnostics: diagnostics, diffs: [])
        case .success(let plan):
            var diffs: [PolicyDiff] = []
            for content in plan.contents {
                let stored = try await store.policyHistory(name: content.name).first?.version
                let old = stored.map { $0.deleted ? "" : $0.yaml } ?? ""
                let next = (stored?.version ?? 0) + 1
                let oldName = "\(content.name)@v\(stored?.version ?? 0)"
                let text =
                    old == content.yaml
                    ? "" : try await Offload.run { LineDiff.unified(old: old, new: content.yaml, oldName: oldName, newName: "\(content.name) (new)") }
                diffs.append(PolicyDiff(name: content.name, from: stored?.version ?? 0, to: next, diff: text))
            }
            return PolicyValidateResponse(valid: true, policies: names, diagnostics: diagnostics, diffs: diffs)
        }
    }
}
