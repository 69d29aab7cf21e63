import Testing

@testable import SluiceCore

/// Shared builders for the policy tests.
enum PolicyFixtures {
    static let file = "p.yaml"

    /// A valid header on lines 1–5 (`spec:` last), then `lines` indented under `spec`, the first on line 6.
    static func document(spec lines: String...) -> String {
        """
        apiVersion: sluice/v1
        kind: Policy
        metadata:
          name: test
        spec:

        """ + lines.map { "  " + $0 + "\n" }.joined()
    }

    static func at(_ line: Int, _ column: Int, file: String = file) -> SluiceCore.SourceLocation {
        SluiceCore.SourceLocation(file: file, line: line, column: column)
    }

    static func prefix(_ text: String) -> IPPrefix {
        guard case .success(let prefix) = IPPrefix.parse(text) else { preconditionFailure("bad fixture \(text)") }
        return prefix
    }
}

/// A diagnostic reduced to what the parser tests compare, so a failure shows all four at once.
struct Problem: Hashable, Sendable, CustomStringConvertible {
    var line: Int
    var column: Int
    var field: String
    var message: String
    var severity: PolicyDiagnostic.Severity = .error

    init(_ line: Int, _ column: Int, _ field: String, _ message: String, _ severity: PolicyDiagnostic.Severity = .error)
    {
        self.line = line
        self.column = column
        self.field = field
        self.message = message
        self.severity = severity
    }

    init(_ diagnostic: PolicyDiagnostic) {
        self.init(
            diagnostic.location.line, diagnostic.location.column, diagnostic.field, diagnostic.message,
            diagnostic.severity)
    }

    var description: String { "\(line):\(column) \(severity) \(field): \(message)" }
}

/// A YAML input and every diagnostic it must produce, for table-driven parser tests.
struct ParserCase: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String
    var expected: [Problem]

    init(_ name: String, _ yaml: String, _ expected: Problem...) {
        self.name = name
        self.yaml = yaml
        self.expected = expected
    }

    var testDescription: String { name }
}
