import Foundation
import Logging
import ServiceLifecycle
import SluiceKernel

/// Checks the kernel state against what the agent made, every `interval`: links attached to our
/// cgroup with our programs, pins present and ours, `sluice_state` and the active config as
/// written. What differs is repaired and reported everywhere an operator looks: the log,
/// `sluice status`, `sluice_tamper_total{kind}`, and a record on the event stream (which the
/// fleet uploads and the server turns into an alert).
struct TamperVerifier: Service {
    let controller: EnforcementController
    let log: TamperLog
    let hub: EventHub
    let metrics: AgentMetrics
    let nodeName: String
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await check()
                try await Task.sleep(for: interval)
            }
        }
    }

    func check() async {
        let (findings, generation) = await controller.verifyKernelState()
        let now = Date()
        log.checked(at: now)
        log.setProtectRefusals(await controller.refreshProtection(afterRepair: findings.contains(where: \.repaired)))
        guard !findings.isEmpty else { return }
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
    }
}
