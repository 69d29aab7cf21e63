import Logging
import ServiceLifecycle

/// Mirrors the kernel's counters into metrics once a second.
struct CounterPoller: Service {
    let controller: EnforcementController
    let metrics: AgentMetrics
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    metrics.observe(kernel: try await controller.kernelCounters())
                } catch {
                    logger.warning("reading kernel counters failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}
