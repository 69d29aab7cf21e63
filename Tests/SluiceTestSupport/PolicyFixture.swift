import Foundation
import Logging
import SluiceCore
import SluiceKernel

/// Parses, validates and compiles policy text for a test, failing with every diagnostic.
public enum PolicyFixture {
    /// A node policy that denies every connection.
    public static let closed = """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: closed}
        spec: {default: deny}
        """

    /// A node policy named `name` that denies by default and allows what the `egress` rules
    /// (YAML flow mappings, one per rule) say.
    public static func closed(_ name: String, egress: [String]) -> String {
        "apiVersion: sluice/v1\nkind: Policy\nmetadata: {name: \(name)}\nspec:\n  default: deny\n  egress:\n"
            + egress.map { "    - \($0)\n" }.joined()
    }

    public static func parse(_ yaml: String, file: String = "test.yaml") throws -> PolicySet {
        let (policies, diagnostics) = PolicyParser.parse(yaml, file: file)
        let all = diagnostics + PolicyValidator.validate(PolicySet(policies))
        if all.contains(where: { $0.severity == .error }) { throw PolicyValidationError(all) }
        return PolicySet(policies)
    }

    public static func compile(_ yaml: String, cgroups: CgroupFS) throws -> CompiledPolicy {
        let compiled = PolicyCompiler.compile(try parse(yaml), resolver: SystemSubjectResolver(cgroups: cgroups))
        if compiled.diagnostics.contains(where: { $0.severity == .error }) { throw PolicyValidationError(compiled.diagnostics) }
        return compiled
    }
}

/// A logger for tests: warnings and above to stderr.
public let testLogger: Logger = {
    var logger = Logger(label: "sluice.test")
    logger.logLevel = .warning
    return logger
}()
