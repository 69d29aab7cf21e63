import Foundation
import SluiceAPI
import SluiceCore

/// Turns pushed YAML into per-policy contents: parse and validate (together with the fleet's
/// other policies that can reach the same nodes), split multi-document texts so each policy is
/// versioned on its own, and find each policy's node selector. The server cannot see nodes'
/// executables or cgroups, so it validates but never compiles.
struct PolicyPush {
    /// A rejected push: every diagnostic, formatted.
    struct Rejection: Error {
        var details: [String]
    }

    struct Plan {
        var contents: [PolicyContent]
        var warnings: [String]
    }

    /// - Parameters:
    ///   - sources: the pushed texts with the names diagnostics use.
    ///   - selector: the push option; nil lets each policy's `sluice.io/nodes` label choose.
    ///   - current: the latest non-deleted version of every stored policy.
    static func plan(
        sources: [(file: String, text: String)], selector: [String: String]?, current: [StoredPolicyVersion]
    ) -> Result<Plan, Rejection> {
        let pushed = PolicyLoader.check(sources: sources)
        if pushed.hasErrors { return .failure(Rejection(details: PolicyValidationError(pushed.diagnostics).diagnostics.map(\.description))) }
        let policies = pushed.policySet.policies
        guard !policies.isEmpty else {
            return .failure(Rejection(details: sources.map { "\($0.file):1:1: error: no policy document (kind: Policy) found" }))
        }
        var problems: [String] = []
        var contents: [PolicyContent] = []
        let documents = Dictionary(sources.map { ($0.file, split($0.text)) }, uniquingKeysWith: { first, _ in first })
        for policy in policies {
            var nodeSelector = selector ?? [:]
            if selector == nil, let text = policy.labels[AdminAPI.nodeSelectorLabel] {
                switch NodeSelector.parse(text) {
                case .success(let parsed): nodeSelector = parsed
                case .failure(let problem):
                    problems.append("\(policy.location): error: metadata.labels.\(AdminAPI.nodeSelectorLabel): \(problem)")
                }
            }
            guard let chunk = documents[policy.location.file]?.last(where: { $0.firstLine <= policy.location.line }) else {
                problems.append("\(policy.location): error: cannot find the document of policy \(policy.name)")
                continue
            }
            contents.append(
                PolicyContent(name: policy.name, yaml: chunk.text, nodeSelector: nodeSelector, deleted: false, alertOnDeny: policy.alertOnDeny))
        }
        if !problems.isEmpty { return .failure(Rejection(details: problems)) }
        // Validate with the stored policies that stay and can share a node with a pushed one.
        let names = Set(contents.map(\.name))
        let neighbours = current.filter { stored in
            !names.contains(stored.version.name)
                && contents.contains { NodeSelector.overlap($0.nodeSelector, stored.version.nodeSelector) }
        }
        var warnings = pushed.warnings.map(\.description)
        if !neighbours.isEmpty {
            let together = PolicyLoader.check(
                sources: sources + neighbours.map { ("server:\($0.version.name)@v\($0.version.version)", $0.version.yaml) })
            if together.hasErrors {
                return .failure(Rejection(details: PolicyValidationError(together.diagnostics).errors.map(\.description)))
            }
            warnings = together.warnings.map(\.description)
        }
        return .success(Plan(contents: contents, warnings: warnings))
    }

    struct Document {
        var firstLine: Int
        var text: String
    }

    /// The documents of a YAML text, split at `---` lines (and `...` ends), each with the line it
    /// starts on (1-based), trimmed of blank lines around it.
    static func split(_ text: String) -> [Document] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        var documents: [Document] = []
        var current: [Substring] = []
        var start = 1
        func flush() {
            var body = current
            while let first = body.first, first.allSatisfy(\.isWhitespace) { body.removeFirst() }
            while let last = body.last, last.allSatisfy(\.isWhitespace) { body.removeLast() }
            if !body.isEmpty { documents.append(Document(firstLine: start, text: body.joined(separator: "\n") + "\n")) }
            current = []
        }
        for (index, line) in lines.enumerated() {
            let isSeparator = line == "---" || line.hasPrefix("--- ") || line.hasPrefix("---\t")
            let isEnd = line.trimmingCharacters(in: .whitespaces) == "..."
            if isSeparator || isEnd {
                flush()
                start = index + 2
            } else {
                current.append(line)
            }
        }
        flush()
        return documents
    }
}
