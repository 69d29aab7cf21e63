import Logging
import ServiceLifecycle

/// Adds the rollup backlog to the rollups half a second after a batch joins it (gathering the
/// batches of that half second into one transaction) and then checkpoints SQLite's log, and
/// counts from their events the batches a stopped process left out: at start, and every minute.
struct RollupService: Service {
    let store: Store
    let logger: Logger
    var gathering: Duration = .milliseconds(500)
    var recoveryInterval: Duration = .seconds(60)

    func run() async throws {
        await recover()
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: recoveryInterval)
                        if !Task.isCancelled { await recover() }
                    }
                }
                group.addTask {
                    for await _ in store.rollups.wakeups {
                        try? await Task.sleep(for: gathering)
                        if Task.isCancelled { break }
                        do {
                            try await store.flushRollups()
                            try await store.database.checkpoint()
                        } catch {
                            logger.warning("rollup flush or checkpoint failed; waiting batches go with the next flush", metadata: ["error": "\(error)"])
                        }
                    }
                }
                await group.waitForAll()
            }
        }
    }

    private func recover() async {
        do {
            try await store.recoverRollups()
        } catch {
            logger.warning("recovering rollups of batches left out failed", metadata: ["error": "\(error)"])
        }
    }
}
