import Foundation
import Logging
import SluiceCore
import SluiceKernel

/// Parses, validates and compiles policy text for a test, failing with every diagnostic.
public enum PolicyFixture {
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
