import Logging
import ServiceLifecycle

/// Deletes events and alerts past their retention and prepares the coming days' event partitions
/// (PostgreSQL), every ten minutes (and once at start).
struct RetentionService: Service {
    let app: ServerApp
    var interval: Duration = .seconds(600)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sweep()
                try? await Task.sleep(for: interval)
            }
        }
    }

    func sweep() async {
        let now = Micros.now()
        let configuration = app.configuration
        do {
            let deleted = try await app.store.deleteExpired(
                eventsBeforeUs: now - Int64(configuration.eventRetentionDays) * 86_400_000_000,
                alertsBeforeUs: now - Int64(configuration.alertRetentionDays) * 86_400_000_000)
            if deleted > 0 { app.logger.info("deleted expired events", metadata: ["events.deleted": "\(deleted)"]) }
            let created = try await app.store.preparePartitions(nowUs: now)
            if !created.isEmpty { app.logger.info("created event partitions", metadata: ["events.partitions": "\(created.joined(separator: ","))"]) }
        } catch {
            app.logger.warning("retention sweep failed", metadata: ["error": "\(error)"])
        }
    }
}
