import Yams

/// Reads one YAML document into a `Policy`, collecting every problem rather than stopping at the
/// first, each with the location of the offending node and its dotted field path.
///
/// A valid document is the common case and may hold 100,000 rules: text that only a message needs
/// (field paths, lists of allowed words, hints) is built only when a problem is reported.
struct PolicyDocumentReader {
    let file: String
    private(set) var diagnostics: [PolicyDiagnostic] = []

    init(file: String) {
        self.file = file
    }

    func location(of node: Node) -> SourceLocation {
        node.sourceLocation(in: file)
    }

    func location(of mark: Mark?) -> SourceLocation {
        SourceLocation(file: file, mark: mark)
    }

    mutating func report(_ node: Node, _ path: FieldPath, _ message: String) {
        report(at: location(of: node), path, message)
    }

    mutating func report(at location: SourceLocation, _ path: FieldPath, _ message: String) {
        diagnostics.append(PolicyDiagnostic(at: location, field: path.text, message))
    }

    /// One key of a mapping, by its text.
    struct Entry {
        var key: String
        /// Where the key is written: problems with the key point there.
        var keyMark: Mark?
        var value: Node
    }

    /// Mappings up to this size find a repeated key by scanning the keys before it, which beats
    /// hashing for the handful of keys a rule has; larger ones (labels) keep an index.
    private static let scanLimit = 8

    /// The entries of a mapping with their keys as text; a non-text key or a key given twice is
    /// reported and left out. nil (reported) when `node` is not a mapping.
    mutating func entries(of node: Node, at path: FieldPath, expected: @autoclosure () -> String) -> [Entry]? {
        guard case .mapping(let mapping) = node else {
            report(node, path, "expected \(expected()), found \(node.foundDescription)")
            return nil
        }
        var result: [Entry] = []
        result.reserveCapacity(mapping.count)
        var positionByKey: [String: Int]? = mapping.count > Self.scanLimit ? [:] : nil
        // By index: iterating a mapping copies its pairs into a new array first.
        for index in mapping.indices {
            let (keyNode, value) = mapping[index]
            // Consumed: binding the scalar moves it rather than copying it.
            let scalar: Node.Scalar
            switch consume keyNode {
            case .scalar(let keyScalar):
                scalar = keyScalar
            case let other:
                report(other, path, "expected a field name, found \(other.foundDescription) as a key")
                continue
            }
            let key = scalar.string
            let earlier = positionByKey != nil ? positionByKey?[key] : result.firstIndex { $0.key == key }
            if let earlier {
                let firstLocation = location(of: result[earlier].keyMark)
                report(
                    at: location(of: scalar.mark), path.appending(key),
                    "duplicate key \"\(key)\": it was first given at line \(firstLocation.line), "
                        + "column \(firstLocation.column); give each key once")
                continue
            }
            positionByKey?[key] = result.count
            result.append(Entry(key: key, keyMark: scalar.mark, value: value))
        }
        return result
    }

    /// A mapping's known fields by name; unknown fields are reported with the allowed ones.
    struct Fields {
        var path: FieldPath
        var location: SourceLocation
        /// The known fields as written: a handful at most, so a lookup scans them.
        var entries: [Entry]
        /// Known fields an unknown one was reported as a likely typo of: saying such a field is
        /// missing as well would only repeat the problem.
        var misspelt: Set<String>

        subscript(name: String) -> Node? {
            for index in entries.indices where entries[index].key == name {
                return entries[index].value
            }
            return nil
        }

        func path(_ name: String) -> FieldPath { path.appending(name) }
    }

    mutating func fields(of node: Node, at path: FieldPath, allowed: [String], expected: String? = nil) -> Fields? {
        guard
            var entries = entries(
                of: node, at: path,
                expected: expected ?? "a mapping with the fields \(NameSuggestion.list(allowed, conjunction: "and"))")
        else { return nil }
        var misspelt: Set<String> = []
        var hasUnknown = false
        for index in entries.indices where !allowed.contains(entries[index].key) {
            hasUnknown = true
            let key = entries[index].key
            var message = "unknown field \"\(key)\""
            let pathText = path.text
            if !pathText.isEmpty { message += " in \(pathText)" }
            message += " (allowed: \(allowed.joined(separator: ", ")))"
            if let suggestion = NameSuggestion.closest(to: key, among: allowed) {
                message += "; did you mean \"\(suggestion)\"?"
                misspelt.insert(suggestion)
            }
            report(at: location(of: entries[index].keyMark), path.appending(key), message)
        }
        if hasUnknown { entries.removeAll { !allowed.contains($0.key) } }
        return Fields(path: path, location: location(of: node), entries: entries, misspelt: misspelt)
    }

    /// The value of a required field, or nil after reporting it missing at the mapping.
    mutating func require(_ name: String, in fields: Fields, hint: @autoclosure () -> String) -> Node? {
        if let value = fields[name] { return value }
        guard !fields.misspelt.contains(name) else { return nil }
        report(at: fields.location, fields.path(name), "missing required field \"\(name)\"; \(hint())")
        return nil
    }
}
