/// One problem found in policy input, pointing at the file, line and field.
public struct PolicyDiagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error, warning
    }

    public var severity: Severity
    public var location: SourceLocation
    /// The dotted path of the field, e.g. `spec.egress[0].ports[1]`; empty for the whole file.
    public var field: String
    public var message: String

    public init(_ severity: Severity = .error, at location: SourceLocation, field: String, _ message: String) {
        self.severity = severity
        self.location = location
        self.field = field
        self.message = message
    }

    /// `file:line:col: error: field: message`.
    public var description: String {
        field.isEmpty
            ? "\(location): \(severity.rawValue): \(message)"
            : "\(location): \(severity.rawValue): \(field): \(message)"
    }
}

/// Policy input was rejected; every diagnostic found is carried, errors first.
public struct PolicyValidationError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [PolicyDiagnostic]

    public init(_ diagnostics: [PolicyDiagnostic]) {
        self.diagnostics = diagnostics.sorted { lhs, rhs in
            if lhs.severity != rhs.severity { return lhs.severity == .error }
            if lhs.location.file != rhs.location.file { return lhs.location.file < rhs.location.file }
            if lhs.location.line != rhs.location.line { return lhs.location.line < rhs.location.line }
            return lhs.location.column < rhs.location.column
        }
    }

    public var errors: [PolicyDiagnostic] { diagnostics.filter { $0.severity == .error } }

    public var description: String {
        let errorCount = errors.count
        let header = "policy rejected: \(errorCount) error\(errorCount == 1 ? "" : "s")"
        return ([header] + diagnostics.map(\.description)).joined(separator: "\n")
    }
}
