import Foundation
@preconcurrency import Glibc
import Logging
import ServiceLifecycle
import SluiceKernel
import Synchronization

/// Checks the kernel state against what the agent made: links attached to our cgroup with our
/// programs, pins present and ours, `sluice_state` and the active config as written. It checks
/// every `interval`, and at once when anything changes in the pin folder (inotify: a pin removed
/// or added, the folder renamed or removed). What differs is repaired and reported everywhere an
/// operator looks: the log, `sluice status`, `sluice_tamper_total{kind}`, and a record on the
/// event stream (which the fleet uploads and the server turns into an alert).
struct TamperVerifier: Service {
    let controller: EnforcementController
    let log: TamperLog
    let hub: DecisionEventHub
    let metrics: AgentMetrics
    let nodeName: String
    let pinDirectory: String
    let interval: Duration
    let logger: Logger

    /// Changes in the pin folder that wake the verifier early.
    static let pinFolderChanges = UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

    func run() async throws {
        let wake = AsyncSignal()
        let inotify = try? Inotify()
        try? inotify?.watch(pinDirectory, mask: Self.pinFolderChanges)
        let stop = Mutex(false)
        // inotify's read blocks: it gets a thread of its own, never the cooperative pool.
        async let reader: Void = DedicatedThread.run(name: "sluice-tamper") {
            guard let inotify else { return }
            while !stop.withLock({ $0 }) {
                if !inotify.read(timeoutMilliseconds: 200).isEmpty { wake.signal() }
            }
        }
        await cancelWhenGracefulShutdown {
            var round = 0
            while !Task.isCancelled {
                // The rule maps entry by entry on every tenth check (the first included): two
                // system calls per entry are too many to spend every second.
                defer { round += 1 }
                if await check(rules: round % Self.rulesEvery == 0) {
                    // The folder may be a new one now: watch whatever is at the path.
                    try? inotify?.watch(pinDirectory, mask: Self.pinFolderChanges)
                }
                await wake.wait(upTo: interval)
            }
        }
        stop.withLock { $0 = true }
        await reader
        withExtendedLifetime(inotify) {}
    }

    static let rulesEvery = 10

    /// One check; true when the pin folder itself was replaced.
    @discardableResult
    func check(rules: Bool) async -> Bool {
        let (findings, generation) = await controller.verifyKernelState(rules: rules)
        let now = Date()
        log.checked(at: now)
        log.setProtectRefusals(await controller.refreshProtection(afterRepair: findings.contains(where: \.repaired)))
        guard !findings.isEmpty else { return false }
        for finding in findings {
            log.record(finding, at: now)
            metrics.tamperDetected(finding.kind)
            let metadata: Logger.Metadata = [
                "tamper.kind": "\(finding.kind.rawValue)", "tamper.subject": "\(finding.subject)", "tamper.detail": "\(finding.detail)",
                "tamper.repaired": "\(finding.repaired)",
            ]
            if let error = finding.repairError {
                logger.critical("tamper detected and NOT repaired: \(error)", metadata: metadata)
            } else {
                logger.error("tamper detected and repaired", metadata: metadata)
            }
        }
        hub.publish(findings.map { TamperEvent.event($0, node: nodeName, generation: generation, time: now) })
        return findings.contains { $0.kind == .pinFolderReplaced }
    }
}
