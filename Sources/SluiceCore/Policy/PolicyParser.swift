import Yams

/// Reads policy YAML (`apiVersion: sluice/v1`, `kind: Policy`) into `Policy` values, pointing every
/// problem at its file, line, column and field.
public enum PolicyParser {
    /// Parses every document of `text`; `file` only names the source in locations.
    ///
    /// Empty documents are skipped. A document with any error yields no policy; the others still do,
    /// so one run reports every problem of the file. Diagnostics come in the order of the text.
    public static func parse(_ text: String, file: String) -> (policies: [Policy], diagnostics: [PolicyDiagnostic]) {
        let stream = YAMLStream.compose(text, file: file)
        var policies: [Policy] = []
        var diagnostics: [PolicyDiagnostic] = []
        for document in stream.documents where !isEmptyDocument(document) {
            var reader = PolicyDocumentReader(file: file)
            if let policy = reader.read(document) {
                policies.append(policy)
            }
            diagnostics += reader.diagnostics
        }
        // The syntax error, if any, is where reading stopped: after every document read.
        diagnostics += stream.diagnostics
        return (policies, sortedByPosition(diagnostics))
    }

    /// `---` with nothing after it, or a file of comments only.
    private static func isEmptyDocument(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return node.isNull && scalar.string.isEmpty
    }

    private static func sortedByPosition(_ diagnostics: [PolicyDiagnostic]) -> [PolicyDiagnostic] {
        diagnostics.enumerated().sorted { lhs, rhs in
            let left = (lhs.element.location.line, lhs.element.location.column, lhs.offset)
            let right = (rhs.element.location.line, rhs.element.location.column, rhs.offset)
            return left < right
        }.map(\.element)
    }
}
