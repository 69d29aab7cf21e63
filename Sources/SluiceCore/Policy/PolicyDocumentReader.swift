import Yams

/// Reads one YAML document into a `Policy`, collecting every problem rather than stopping at the
/// first, each with the location of the offending node and its dotted field path.
struct PolicyDocumentReader {
    let file: String
    private(set) var diagnostics: [PolicyDiagnostic] = []

    init(file: String) {
        self.file = file
    }

    func location(of node: Node) -> SourceLocation {
        node.sourceLocation(in: file)
    }

    mutating func report(_ node: Node, _ field: String, _ message: String) {
        report(at: location(of: node), field, message)
    }

    mutating func report(at location: SourceLocation, _ field: String, _ message: String) {
        diagnostics.append(PolicyDiagnostic(at: location, field: field, message))
    }

    /// One key of a mapping, by its text.
    struct Entry {
        var key: String
        var keyNode: Node
        var value: Node
    }

    /// The entries of a mapping with their keys as text; a non-text key or a key given twice is
    /// reported and left out. nil (reported) when `node` is not a mapping.
    mutating func entries(of node: Node, at path: String, expected: String) -> [Entry]? {
        guard case .mapping(let mapping) = node else {
            report(node, path, "expected \(expected), found \(node.foundDescription)")
            return nil
        }
        var result: [Entry] = []
        var firstByKey: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                report(keyNode, path, "expected a field name, found \(keyNode.foundDescription) as a key")
                continue
            }
            let key = scalar.string
            if let first = firstByKey[key] {
                let firstLocation = location(of: first)
                report(
                    keyNode, Self.join(path, key),
                    "duplicate key \"\(key)\": it was first given at line \(firstLocation.line), "
                        + "column \(firstLocation.column); give each key once")
                continue
            }
            firstByKey[key] = keyNode
            result.append(Entry(key: key, keyNode: keyNode, value: value))
        }
        return result
    }

    /// A mapping's known fields by name; unknown fields are reported with the allowed ones.
    struct Fields {
        var path: String
        var location: SourceLocation
        var values: [String: Node]
        /// Known fields an unknown one was reported as a likely typo of: saying such a field is
        /// missing as well would only repeat the problem.
        var misspelt: Set<String>

        subscript(name: String) -> Node? { values[name] }

        func path(_ name: String) -> String { PolicyDocumentReader.join(path, name) }
    }

    mutating func fields(of node: Node, at path: String, allowed: [String], expected: String? = nil) -> Fields? {
        let expected = expected ?? "a mapping with the fields \(NameSuggestion.list(allowed, conjunction: "and"))"
        guard let entries = entries(of: node, at: path, expected: expected) else { return nil }
        var values: [String: Node] = [:]
        var misspelt: Set<String> = []
        for entry in entries {
            guard allowed.contains(entry.key) else {
                var message = "unknown field \"\(entry.key)\""
                if !path.isEmpty { message += " in \(path)" }
                message += " (allowed: \(allowed.joined(separator: ", ")))"
                if let suggestion = NameSuggestion.closest(to: entry.key, among: allowed) {
                    message += "; did you mean \"\(suggestion)\"?"
                    misspelt.insert(suggestion)
                }
                report(entry.keyNode, Self.join(path, entry.key), message)
                continue
            }
            values[entry.key] = entry.value
        }
        return Fields(path: path, location: location(of: node), values: values, misspelt: misspelt)
    }

    /// The value of a required field, or nil after reporting it missing at the mapping.
    mutating func require(_ name: String, in fields: Fields, hint: String) -> Node? {
        if let value = fields[name] { return value }
        guard !fields.misspelt.contains(name) else { return nil }
        report(at: fields.location, fields.path(name), "missing required field \"\(name)\"; \(hint)")
        return nil
    }

    static func join(_ path: String, _ name: String) -> String {
        path.isEmpty ? name : "\(path).\(name)"
    }

    static func item(_ path: String, _ index: Int) -> String {
        "\(path)[\(index)]"
    }
}
