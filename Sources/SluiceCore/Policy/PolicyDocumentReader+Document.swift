import Yams

extension PolicyDocumentReader {
    static let apiVersion = "sluice/v1"
    static let kind = "Policy"

    private static let documentFields = ["apiVersion", "kind", "metadata", "spec"]
    private static let metadataFields = ["name", "description", "labels"]

    /// The policy a document describes, or nil when anything in it is wrong (see `diagnostics`).
    mutating func read(_ root: Node) -> Policy? {
        guard
            let fields = fields(
                of: root, at: FieldPath(), allowed: Self.documentFields,
                expected: "a policy document (a mapping with apiVersion, kind, metadata and spec)")
        else { return nil }
        readConstant("apiVersion", Self.apiVersion, in: fields)
        readConstant("kind", Self.kind, in: fields)
        let metadata = require("metadata", in: fields, hint: "add metadata with at least a name")
            .flatMap { readMetadata($0, at: fields.path("metadata")) }
        // An omitted spec means every default; a spec that is not a mapping reads as nil (reported).
        let spec = fields["spec"].map { readSpec($0, at: fields.path("spec")) } ?? Spec()
        guard diagnostics.isEmpty, let metadata, let spec else { return nil }
        return Policy(
            name: metadata.name, description: metadata.description, labels: metadata.labels, mode: spec.mode,
            subjects: spec.subjects, defaultAction: spec.defaultAction, egress: spec.egress, learning: spec.learning,
            alertOnDeny: spec.alertOnDeny, existingConnections: spec.existingConnections,
            rawSockets: spec.rawSockets, encryptedDNS: spec.encryptedDNS,
            location: location(of: root))
    }

    private mutating func readConstant(_ name: String, _ expected: String, in fields: Fields) {
        guard let node = require(name, in: fields, hint: "add \(name): \(expected)"),
            let text = string(node, at: fields.path(name))
        else { return }
        if text != expected {
            report(node, fields.path(name), "expected \"\(expected)\", found \"\(text)\"")
        }
    }

    struct Metadata {
        var name: String
        var description: String?
        var labels: [String: String]
    }

    private mutating func readMetadata(_ node: Node, at path: FieldPath) -> Metadata? {
        guard let fields = fields(of: node, at: path, allowed: Self.metadataFields) else { return nil }
        let name = require("name", in: fields, hint: "name the policy, e.g. name: curl-egress")
            .flatMap { readName($0, at: fields.path("name")) }
        let description = fields["description"].flatMap { string($0, at: fields.path("description")) }
        let labels = fields["labels"].map { readLabels($0, at: fields.path("labels")) } ?? [:]
        guard let name else { return nil }
        return Metadata(name: name, description: description, labels: labels)
    }

    /// A policy or rule name, checked against `PolicyName`.
    mutating func readName(_ node: Node, at path: FieldPath) -> String? {
        guard let name = string(node, at: path) else { return nil }
        if let problem = PolicyName.problem(with: name) {
            report(node, path, problem)
            return nil
        }
        return name
    }

    private mutating func readLabels(_ node: Node, at path: FieldPath) -> [String: String] {
        guard let entries = entries(of: node, at: path, expected: "a mapping of label names to text") else {
            return [:]
        }
        var labels: [String: String] = [:]
        for entry in entries {
            let entryPath = path.appending(entry.key)
            if entry.key.isEmpty {
                report(at: location(of: entry.keyMark), entryPath, "a label name must not be empty")
            } else if let value = string(entry.value, at: entryPath) {
                labels[entry.key] = value
            }
        }
        return labels
    }
}
