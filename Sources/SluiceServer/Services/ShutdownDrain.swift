import Logging
import ServiceLifecycle

/// The first thing a stopping server does: it answers every long poll and ends every live event
/// stream, so the HTTP server's graceful shutdown (which waits for requests in flight) finishes
/// in moments rather than when the last agent's poll or an operator's stream would have ended.
/// It runs after the application in the service group, so it is told to stop first.
struct ShutdownDrain: Service {
    let app: ServerApp

    func run() async throws {
        // Returns only once shutdown begins; returning earlier would stop the group.
        try? await gracefulShutdown()
        app.logger.info(
            "sluice server stopping: answering long polls and ending event streams",
            metadata: ["server.pollers": "\(app.watcher.waiterCount)", "server.streams": "\(app.hub.count)"])
        app.watcher.stopWaiting()
        app.intelWatcher.stopWaiting()
        app.hub.finishAll()
    }
}
