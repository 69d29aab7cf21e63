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
        if let known = executables.withLock({ $0[path] }) { return known }
        let result = base.resolveExecutable(path)
        return executables.withLock { known in
            if let earlier = known[path] { return earlier }
            known[path] = result
            return result
        }
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
        if let known = cgroups.withLock({ $0[path] }) { return known }
        let result = base.resolveCgroup(path)
        return cgroups.withLock { known in
            if let earlier = known[path] { return earlier }
            known[path] = result
            return result
        }
    }
}
