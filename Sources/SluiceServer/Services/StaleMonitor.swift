import Logging
import ServiceLifecycle

/// Watches heartbeats: logs a node that goes stale (and comes back) and keeps the node gauges.
/// Staleness itself is computed when nodes are read, so every replica agrees.
struct StaleMonitor: Service {
    let app: ServerApp

    func run() async throws {
        let interval = Duration.seconds(max(1, app.configuration.heartbeatSeconds))
        await cancelWhenGracefulShutdown {
            var stale: Set<String> = []
            while !Task.isCancelled {
                do {
                    let now = Micros.now()
                    let nodes = try await app.store.nodes().filter { $0.revokedUs == nil }
                    let current = Set(nodes.filter { $0.isStale(now: now, staleAfterUs: app.staleAfterUs) }.map(\.id))
                    for node in nodes where current.contains(node.id) && !stale.contains(node.id) {
                        app.logger.warning("node is stale: no heartbeat", metadata: ["node.id": "\(node.id)", "node.name": "\(node.name)"])
                    }
                    for node in nodes where stale.contains(node.id) && !current.contains(node.id) {
                        app.logger.info("node is back", metadata: ["node.id": "\(node.id)", "node.name": "\(node.name)"])
                    }
                    stale = current
                    app.metrics.staleNodes.record(current.count)
                    app.metrics.nodes.record(nodes.count)
                } catch {
                    app.logger.debug("stale check failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
