import Foundation
import SluiceKernel
import Synchronization

/// The verifier's findings, shared with the local API (status) while the verifier adds to them.
final class TamperLog: Sendable {
    private let state = Mutex(TamperStatus())
    private let recentLimit: Int

    init(recentLimit: Int = 50) {
        self.recentLimit = recentLimit
    }

    func checked(at time: Date) {
        state.withLock {
            $0.checks += 1
            $0.lastCheck = time
        }
    }

    func record(_ finding: TamperFinding, at time: Date) {
        state.withLock { status in
            status.total += 1
            if !finding.repaired { status.unrepaired += 1 }
            status.byKind[finding.kind.rawValue, default: 0] += 1
            status.recent.append(TamperRecord(finding, time: time))
            if status.recent.count > recentLimit { status.recent.removeFirst(status.recent.count - recentLimit) }
        }
    }

    func setProtected(_ protected: Bool) {
        state.withLock { $0.protected = protected }
    }

    func setProtectRefusals(_ count: UInt64) {
        state.withLock { $0.protectRefusals = count }
    }

    var status: TamperStatus { state.withLock { $0 } }
}
