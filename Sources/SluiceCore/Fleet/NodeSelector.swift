import Foundation

/// Which nodes receive a policy: labels a node must all have, with these values (as Kubernetes'
/// `matchLabels`). Empty selects every node.
public enum NodeSelector {
    public static func matches(_ selector: [String: String], labels: [String: String]) -> Bool {
        selector.allSatisfy { labels[$0.key] == $0.value }
    }

    /// Whether some node could match both selectors (no key with two different values).
    public static func overlap(_ lhs: [String: String], _ rhs: [String: String]) -> Bool {
        lhs.allSatisfy { key, value in rhs[key].map { $0 == value } ?? true }
    }

    /// Reads `key=value,key=value` (the `sluice.io/nodes` policy label); spaces around items are
    /// ignored. Fails with a message when an item is not `key=value` with a valid key and value.
    public static func parse(_ text: String) -> Result<[String: String], LabelError> {
        var selector: [String: String] = [:]
        for item in text.split(separator: ",") {
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                return .failure(.notKeyValue(trimmed))
            }
            let key = String(trimmed[..<equals])
            let value = String(trimmed[trimmed.index(after: equals)...])
            if let problem = validate(key: key, value: value) { return .failure(problem) }
            if let previous = selector[key], previous != value {
                return .failure(.conflictingValues(key: key))
            }
            selector[key] = value
        }
        return .success(selector)
    }

    /// The text form of a selector, keys sorted; `parse` reads it back.
    public static func format(_ selector: [String: String]) -> String {
        selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// Most labels on a node or in a selector.
    public static let maximumLabels = 64
    /// Longest label key (a prefix like `sluice.io/` included).
    public static let maximumKeyLength = 253
    /// Longest label value.
    public static let maximumValueLength = 253

    /// Nil when the labels are acceptable; otherwise what is wrong.
    public static func validate(_ labels: [String: String]) -> LabelError? {
        if labels.count > maximumLabels { return .tooManyLabels(count: labels.count) }
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            if let problem = validate(key: key, value: value) { return problem }
        }
        return nil
    }

    /// Keys: letters, digits, `-`, `_`, `.` and `/`, starting with a letter or digit. Values:
    /// the same without `/`, possibly empty. No `=` or `,`, so the text form stays unambiguous.
    public static func validate(key: String, value: String) -> LabelError? {
        func allowed(_ character: Character, slash: Bool) -> Bool {
            character.isASCII && (character.isLetter || character.isNumber || "-_.".contains(character) || (slash && character == "/"))
        }
        guard let first = key.first, first.isASCII, first.isLetter || first.isNumber else {
            return .keyStart(key: key)
        }
        guard key.count <= maximumKeyLength, key.allSatisfy({ allowed($0, slash: true) }) else {
            return .invalidKey(key: key)
        }
        guard value.count <= maximumValueLength, value.allSatisfy({ allowed($0, slash: false) }) else {
            return .invalidValue(key: key, value: value)
        }
        return nil
    }

    /// What is wrong with a label or a selector, with the text at fault.
    public enum LabelError: Error, Sendable, Hashable, CustomStringConvertible {
        /// A selector item without `=`.
        case notKeyValue(String)
        /// One key given twice with different values.
        case conflictingValues(key: String)
        /// More than `maximumLabels` labels.
        case tooManyLabels(count: Int)
        /// A key that does not start with a letter or digit (or is empty).
        case keyStart(key: String)
        /// A key with a character outside letters, digits, `-_./`, or longer than `maximumKeyLength`.
        case invalidKey(key: String)
        /// A value with a character outside letters, digits, `-_.`, or longer than `maximumValueLength`.
        case invalidValue(key: String, value: String)

        public var description: String {
            switch self {
            case .notKeyValue(let item): "\"\(item)\" is not key=value"
            case .conflictingValues(let key): "label \(key) is given twice with different values"
            case .tooManyLabels(let count): "\(count) labels; at most \(NodeSelector.maximumLabels) are allowed"
            case .keyStart(let key): "label key \"\(key)\" must start with a letter or digit"
            case .invalidKey(let key):
                "label key \"\(key)\" may hold only letters, digits, '-', '_', '.', '/' (at most \(NodeSelector.maximumKeyLength))"
            case .invalidValue(let key, let value):
                "label \(key): value \"\(value)\" may hold only letters, digits, '-', '_', '.' (at most \(NodeSelector.maximumValueLength))"
            }
        }
    }
}
