import Yams

extension PolicyDocumentReader {
    /// The text of a YAML string, or nil after reporting what was found instead. `expected` names
    /// what the field holds when that says more than "a string".
    mutating func string(_ node: Node, at path: FieldPath, expected: @autoclosure () -> String? = nil) -> String? {
        if let text = node.stringValue { return text }
        let expected = expected()
        var message = "expected \(expected ?? "a string"), found \(node.foundDescription)"
        if expected == nil, case .scalar(let scalar) = node, !node.isNull {
            // YAML read `2024`, `true` or `1.5` as a number or boolean; quotes make it text.
            message += "; quote it (\"\(scalar.string)\") to use it as text"
        }
        report(node, path, message)
        return nil
    }

    /// The items of a YAML list, or nil after reporting what was found instead.
    mutating func list(_ node: Node, at path: FieldPath) -> Node.Sequence? {
        if case .sequence(let sequence) = node { return sequence }
        var message = "expected a list, found \(node.foundDescription)"
        if case .scalar(let scalar) = node, !node.isNull {
            let item = scalar.style == .plain ? scalar.string : "\"\(scalar.string)\""
            message += "; write [\(item)] for a list of one"
        }
        report(node, path, message)
        return nil
    }

    /// One of a fixed set of words (`mode`, `action`, `protocol`), or nil after reporting.
    mutating func choice<Choice: CaseIterable & RawRepresentable<String>>(
        _ node: Node, at path: FieldPath, noun: String, as type: Choice.Type = Choice.self
    ) -> Choice? {
        // The common case first: the list of words is for messages only.
        if let text = node.stringValue, let value = Choice(rawValue: text) { return value }
        let words = Choice.allCases.map(\.rawValue)
        guard let text = string(node, at: path, expected: NameSuggestion.list(words)) else {
            return nil
        }
        var message = "\"\(text)\" is not a valid \(noun); use \(NameSuggestion.list(words))"
        if let suggestion = NameSuggestion.closest(to: text, among: words) {
            message += " (did you mean \"\(suggestion)\"?)"
        }
        report(node, path, message)
        return nil
    }
}
