import SluiceCore
import SluiceKernel

extension EnforcementController {
    /// Writes feed-layer changes into the kernel while the policy stays in force.
    public func applyIntel(_ changes: IntelChanges) throws -> IntelApplyResult {
        try datapath.applyIntel(changes)
    }

    /// Deletes kernel entries beyond `targets` (an earlier agent's).
    public func pruneIntel(keeping targets: Set<IntelTarget>) throws -> Int {
        try datapath.pruneIntel(keeping: targets)
    }
}
