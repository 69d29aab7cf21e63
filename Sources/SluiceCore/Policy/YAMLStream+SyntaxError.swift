import Yams

extension YAMLStream {
    /// A Yams error as a diagnostic at the place libyaml stopped.
    static func syntaxDiagnostic(for error: any Error, file: String, text: String) -> PolicyDiagnostic {
        func at(_ line: Int, _ column: Int) -> SourceLocation {
            SourceLocation(file: file, line: line, column: column)
        }
        guard let error = error as? YamlError else {
            return PolicyDiagnostic(at: at(1, 1), field: "", "cannot read YAML: \(error)")
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "YAML syntax error: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            // A leading `*` starts a YAML alias, which is how an unquoted wildcard name reads.
            if (context?.text ?? "").contains("alias") || problem.contains("alias") {
                message += "; quote a wildcard name: \"*.example.com\""
            }
            return PolicyDiagnostic(at: at(mark.line, mark.column), field: "", message)
        case .reader(let problem, let offset, _, _):
            // The reader reports an offset in characters rather than a mark.
            let position =
                offset.flatMap { textPosition(ofCharacter: $0, in: text) } ?? TextPosition(line: 1, column: 1)
            return PolicyDiagnostic(
                at: at(position.line, position.column), field: "", "YAML cannot read the text: \(problem)")
        default:
            return PolicyDiagnostic(at: at(1, 1), field: "", "cannot read YAML: \(error)")
        }
    }

    private static func textPosition(ofCharacter offset: Int, in text: String) -> TextPosition? {
        guard let target = text.index(text.startIndex, offsetBy: offset, limitedBy: text.endIndex) else { return nil }
        var position = TextPosition(line: 1, column: 1)
        var index = text.unicodeScalars.startIndex
        while index < target {
            let scalar = text.unicodeScalars[index]
            index = text.unicodeScalars.index(after: index)
            let isCRLF = scalar == "\r" && index < target && text.unicodeScalars[index] == "\n"
            if isCRLF { index = text.unicodeScalars.index(after: index) }
            if isCRLF || ["\r", "\n", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) {
                position.line += 1
                position.column = 1
            } else {
                position.column += 1
            }
        }
        return position
    }
}
