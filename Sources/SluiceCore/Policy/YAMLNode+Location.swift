import Yams

extension Node {
    /// Where the node starts. libyaml counts columns in Unicode scalars, which matches what an
    /// editor shows for everything but combining sequences and wide characters.
    func sourceLocation(in file: String) -> SourceLocation {
        guard let mark else { return SourceLocation(file: file, line: 1, column: 1) }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    /// The resolved YAML type of a scalar, nil for collections.
    var scalarTagName: Tag.Name? {
        guard case .scalar = self else { return nil }
        return Tag.Name(rawValue: tag.rawValue)
    }

    /// The scalar's text when YAML reads it as a string.
    var stringValue: String? {
        guard case .scalar(let scalar) = self, scalarTagName == .str else { return nil }
        return scalar.string
    }

    /// Whether the node is an empty or explicit null scalar (`key:`, `key: ~`, `key: null`).
    var isNull: Bool { scalarTagName == .null }

    /// How a message names what was found, e.g. `the string "x"`, `a list`, `an empty value`.
    var foundDescription: String {
        switch self {
        case .scalar(let scalar):
            switch scalarTagName {
            case .str: return "the string \"\(scalar.string)\""
            case .int: return "the integer \(scalar.string)"
            case .float: return "the number \(scalar.string)"
            case .bool: return "the boolean \(scalar.string)"
            case .null: return scalar.string.isEmpty ? "an empty value" : "the null value \(scalar.string)"
            default: return "\"\(scalar.string)\" (tagged \(tag.rawValue))"
            }
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}
