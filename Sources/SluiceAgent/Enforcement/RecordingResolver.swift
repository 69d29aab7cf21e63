import SluiceCore
import Synchronization

/// Resolves each path once and answers the same afterwards. The compiler and the record of what a
/// generation was compiled with must see one answer: resolving twice lets a file that appears
/// in between be recorded as enforced when the generation was compiled without it, and then no
/// later re-resolve would notice a change.
final class RecordingResolver<Base: SubjectResolver>: SubjectResolver {
    private let base: Base
    private let executables = Mutex<[String: Result<[ExecutableIdentity], SubjectResolutionError>]>([:])
    private let cgroups = Mutex<[String: Result<CgroupIdentity, SubjectResolutionError>]>([:])

    init(_ base: Base) {
        self.base = base
    }

    func resolveExecutable(_ path: String) -> Result<[ExecutableIdentity], SubjectResolutionError> {
        Self.recorded(path, in: executables) { base.resolveExecutable($0) }
    }

    private let host = Mutex<[IPAddress]?>(nil)

    func hostAddresses() -> [IPAddress] {
        if let known = host.withLock({ $0 }) { return known }
        let result = base.hostAddresses()
        return host.withLock { known in
            if let earlier = known { return earlier }
            known = result
            return result
        }
    }

    func resolveCgroup(_ path: String) -> Result<CgroupIdentity, SubjectResolutionError> {
        Self.recorded(path, in: cgroups) { base.resolveCgroup($0) }
    }

    /// The answer recorded for `path`, or else `resolve`'s, recorded. Resolving reads the
    /// filesystem, so it runs outside the lock; of two callers that race, the first to record
    /// wins and both get its answer.
    private static func recorded<Answer: Sendable>(
        _ path: String, in answers: borrowing Mutex<[String: Answer]>, _ resolve: (String) -> Answer
    ) -> Answer {
        if let known = answers.withLock({ $0[path] }) { return known }
        let result = resolve(path)
        return answers.withLock { known in
            if let earlier = known[path] { return earlier }
            known[path] = result
            return result
        }
    }
}
