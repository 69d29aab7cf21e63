import Foundation
import SluiceAPI
import SluiceCore

/// Checks before a push, nothing stored: validate texts (diagnostics at their lines, and the diff
/// against the stored versions) and explain a connection under the stored policies.
extension ServerAPI {
    typealias Diagnostic = Components.Schemas.PolicyCheckDiagnostic

    func validatePolicies(_ input: Operations.ValidatePolicies.Input) async throws -> Operations.ValidatePolicies.Output {
        let body = switch input.body { case .json(let body): body }
        guard !body.documents.isEmpty, body.documents.count <= 512 else { throw APIError.badRequest("documents must hold 1 to 512 policy texts") }
        if let names = body.fileNames, names.count != body.documents.count {
            throw APIError.badRequest("file_names has \(names.count) names for \(body.documents.count) documents")
        }
        let sources = body.documents.enumerated().map { index, text in (file: body.fileNames?[index] ?? "document[\(index)]", text: text) }
        return .ok(.init(body: .json(try await validate(sources))))
    }

    func explainConnection(_ input: Operations.ExplainConnection.Input) async throws -> Operations.ExplainConnection.Output {
        let body = switch input.body { case .json(let body): body }
        var policies = try await store.latestPolicies(includeDeleted: false)
        if let node = body.node, !node.isEmpty {
            guard let id = try await store.nodeIDs(matching: node).first, let record = try await store.node(id: id) else {
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
        return .ok(.init(body: .json(.init(explanation: try WireForm.schema(explanation), policies: sources.map(\.file)))))
    }

    private func validate(_ sources: [(file: String, text: String)]) async throws -> Components.Schemas.PolicyValidateResponse {
        let loaded = try await Offload.run { PolicyLoader.check(sources: sources) }
        var diagnostics = loaded.diagnostics.map {
            Diagnostic(
                severity: Diagnostic.SeverityPayload(rawValue: $0.severity.rawValue) ?? .warning, file: $0.location.file, line: $0.location.line,
                column: $0.location.column, field: $0.field, message: $0.message)
        }
        let names = loaded.policySet.policies.map(\.name)
        guard !loaded.hasErrors else { return .init(valid: false, policies: names, diagnostics: diagnostics, diffs: []) }
        // Then as a push: each policy's own document, its selector, and the stored neighbours it must fit with.
        let current = try await store.latestPolicies(includeDeleted: false)
        switch try await Offload.run({ PolicyPush.plan(sources: sources, selector: nil, current: current) }) {
        case .failure(let rejection):
            for detail in rejection.details where !diagnostics.contains(where: { detail.contains($0.message) }) {
                diagnostics.append(Diagnostic(severity: .error, file: "", line: 0, column: 0, field: "", message: detail))
            }
            return .init(valid: false, policies: names, diagnostics: diagnostics, diffs: [])
        case .success(let plan):
            var diffs: [Components.Schemas.PolicyDiff] = []
            for content in plan.contents {
                let stored = try await store.policyHistory(name: content.name).first?.version
                let old = stored.map { $0.deleted ? "" : $0.yaml } ?? ""
                let next = (stored?.version ?? 0) + 1
                let oldName = "\(content.name)@v\(stored?.version ?? 0)"
                let text =
                    old == content.yaml
                    ? "" : try await Offload.run { LineDiff.unified(old: old, new: content.yaml, oldName: oldName, newName: "\(content.name) (new)") }
                diffs.append(.init(name: content.name, from: stored?.version ?? 0, to: next, diff: text))
            }
            return .init(valid: true, policies: names, diagnostics: diagnostics, diffs: diffs)
        }
    }
}
