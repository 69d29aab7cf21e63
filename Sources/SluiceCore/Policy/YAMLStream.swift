import Yams

/// The documents of one YAML file as located nodes, or the syntax error that stopped reading it.
///
/// Yams refuses a mapping with a repeated key by throwing, which ends the whole stream and points
/// at the first occurrence only. To keep reading and report the repeat where it is, a refused key
/// is renamed in place (its first character swapped for a private-use one, so every line and
/// column stays put), the text is composed again, and the key's text is restored in the tree.
/// `PolicyDocumentReader` then finds the repeat itself, with its own location and field path.
struct YAMLStream {
    var documents: [Node] = []
    var diagnostics: [PolicyDiagnostic] = []

    /// More repeated keys than this in one file are reported without recovery.
    static let renameLimit = 256
    /// Each recovery composes the whole text again: recover at most as often as keeps the text
    /// composed in all under this many bytes, so a large file of repeats cannot cost minutes.
    static let recomposeBudget = 8 << 20

    static func compose(_ text: String, file: String) -> YAMLStream {
        // Editors count columns after the byte order mark; libyaml would count it.
        var source = text.unicodeScalars.first == "\u{FEFF}" ? String(text.unicodeScalars.dropFirst()) : text
        var renamed: [TextPosition: Unicode.Scalar] = [:]
        while true {
            var stream = YAMLStream()
            do {
                let parser = try Parser(yaml: source, resolver: .basic)
                while let document = try parser.nextRoot() {
                    stream.documents.append(renamed.isEmpty ? document : restoringKeys(in: document, renamed))
                }
                return stream
            } catch YamlError.duplicatedKeysInMapping(let keys, let context) {
                let position = TextPosition(line: context.mark.line, column: context.mark.column)
                if renamed.count < min(renameLimit, recomposeBudget / max(1, source.utf8.count)),
                    let (renamedSource, original) = renamingKey(at: position, in: source, number: renamed.count)
                {
                    source = renamedSource
                    renamed[position] = original
                    continue
                }
                let names = keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
                stream.diagnostics.append(
                    PolicyDiagnostic(
                        at: SourceLocation(file: file, line: position.line, column: position.column), field: "",
                        "duplicate key \(names) in one mapping; give each key once"))
                return stream
            } catch {
                stream.diagnostics.append(syntaxDiagnostic(for: error, file: file, text: source))
                return stream
            }
        }
    }

    /// A line and column as libyaml counts them (1-based, columns in Unicode scalars).
    struct TextPosition: Hashable {
        var line: Int
        var column: Int
    }

    /// The text with the key written at `position` made unique, and the scalar it replaced;
    /// nil when the key is not a plain or simply quoted scalar we can rename safely.
    private static func renamingKey(
        at position: TextPosition, in text: String, number: Int
    ) -> (String, Unicode.Scalar)? {
        var scalars = text.unicodeScalars
        guard var index = index(of: position, in: scalars) else { return nil }
        if scalars[index] == "\"" || scalars[index] == "'" {
            index = scalars.index(after: index)
            guard index < scalars.endIndex else { return nil }
        }
        let original = scalars[index]
        // Node properties, aliases, escapes, block scalars, an empty quoted key or a line break:
        // renaming any of these would change the document's structure.
        guard !"&!*|>[]{}\"'\\#,\t \r\n\u{85}\u{2028}\u{2029}".unicodeScalars.contains(original),
            let placeholder = Unicode.Scalar(0xE000 + UInt32(number))
        else { return nil }
        scalars.replaceSubrange(index...index, with: [placeholder])
        return (String(scalars), original)
    }

    /// The index of a libyaml position, counting line breaks the way libyaml does.
    static func index(of position: TextPosition, in scalars: String.UnicodeScalarView) -> String.UnicodeScalarView
        .Index?
    {
        var line = 1
        var column = 1
        var index = scalars.startIndex
        while index < scalars.endIndex {
            if line == position.line && column == position.column { return index }
            let scalar = scalars[index]
            index = scalars.index(after: index)
            switch scalar {
            case "\r":
                if index < scalars.endIndex && scalars[index] == "\n" { index = scalars.index(after: index) }
                line += 1
                column = 1
            case "\n", "\u{85}", "\u{2028}", "\u{2029}":
                line += 1
                column = 1
            default:
                column += 1
            }
        }
        return line == position.line && column == position.column ? index : nil
    }

    private static func restoringKeys(in node: Node, _ renamed: [TextPosition: Unicode.Scalar]) -> Node {
        switch node {
        case .mapping(var mapping):
            for index in mapping.indices {
                var (key, value) = mapping[index]
                if case .scalar(var scalar) = key, let mark = scalar.mark,
                    let original = renamed[TextPosition(line: mark.line, column: mark.column)]
                {
                    // Setting `string` resets the tag; a key's tag is never read, but keep it anyway.
                    let tag = scalar.tag
                    scalar.string = String(original) + String(scalar.string.unicodeScalars.dropFirst())
                    scalar.tag = tag
                    key = .scalar(scalar)
                }
                value = restoringKeys(in: value, renamed)
                mapping[index] = (key: key, value: value)
            }
            return .mapping(mapping)
        case .sequence(var sequence):
            for index in sequence.indices {
                sequence[index] = restoringKeys(in: sequence[index], renamed)
            }
            return .sequence(sequence)
        case .scalar, .alias:
            return node
        }
    }
}
