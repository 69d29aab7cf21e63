import Yams

extension SourceLocation {
    /// Where a YAML node starts; the start of the file when Yams gives no mark.
    init(file: String, mark: Mark?) {
        self.init(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }
}

extension Node.Scalar {
    /// The YAML type by the 1.2 core schema. An explicit tag wins; a quoted or block scalar is a
    /// string; a plain one is typed by its text.
    var coreTagName: Tag.Name {
        // Reading the stored tag does not resolve it; only `Node.tag` would.
        let written = Tag.Name(rawValue: tag.rawValue)
        if written != .implicit { return written == .nonSpecific ? .str : written }
        guard style == .plain || style == .any else { return .str }
        return YAMLCoreSchema.resolve(plain: string)
    }
}

extension Node {
    /// Where the node starts. libyaml counts columns in Unicode scalars, which matches what an
    /// editor shows for everything but combining sequences and wide characters.
    func sourceLocation(in file: String) -> SourceLocation {
        SourceLocation(file: file, mark: startMark)
    }

    /// `mark`, read here rather than through Yams' getter, which copies the whole node first.
    var startMark: Mark? {
        switch self {
        case .scalar(let scalar): return scalar.mark
        case .mapping(let mapping): return mapping.mark
        case .sequence(let sequence): return sequence.mark
        case .alias(let alias): return alias.mark
        }
    }

    /// The YAML type of a scalar by the 1.2 core schema, nil for collections.
    var scalarTagName: Tag.Name? {
        guard case .scalar(let scalar) = self else { return nil }
        return scalar.coreTagName
    }

    /// The scalar's text when YAML reads it as a string.
    var stringValue: String? {
        guard case .scalar(let scalar) = self, scalar.coreTagName == .str else { return nil }
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
            default: return "\"\(scalar.string)\" (tagged \(scalarTagName?.rawValue ?? ""))"
            }
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}
