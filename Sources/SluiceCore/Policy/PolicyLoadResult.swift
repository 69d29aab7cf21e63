/// What reading a set of policy sources found: the policies and every diagnostic, warnings included.
public struct PolicyLoadResult: Sendable {
    /// The policies of every document without errors, in file order then document order.
    public var policySet: PolicySet
    /// Errors and warnings in the order found: reading, then parsing file by file, then validation.
    public var diagnostics: [PolicyDiagnostic]

    /// A result as found; `PolicyLoader` builds these, tests and the server may too.
    public init(policySet: PolicySet, diagnostics: [PolicyDiagnostic]) {
        self.policySet = policySet
        self.diagnostics = diagnostics
    }

    /// The diagnostics that reject the load.
    public var errors: [PolicyDiagnostic] { diagnostics.filter { $0.severity == .error } }
    /// The diagnostics worth showing that do not reject the load.
    public var warnings: [PolicyDiagnostic] { diagnostics.filter { $0.severity == .warning } }
    /// Whether `get()` throws.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// The policy set when nothing is an error; otherwise an error carrying every diagnostic, so
    /// a rejected load still shows its warnings. Warnings alone do not reject a load.
    public func get() throws(PolicyValidationError) -> PolicySet {
        if hasErrors { throw PolicyValidationError(diagnostics) }
        return policySet
    }
}
