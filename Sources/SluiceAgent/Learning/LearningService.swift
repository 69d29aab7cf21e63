import Logging
import ServiceLifecycle

/// Expires learned rules on time and saves the baselines now and then (and at shutdown), so a
/// restarted agent scores against what it had learned.
struct LearningService: Service {
    let learner: RuleLearner
    let scoring: ScoringService

    func run() async throws {
        await learner.restore()
        // Cancelled on graceful shutdown, so the sleep ends at once; the baselines are saved after.
        try? await cancelWhenGracefulShutdown {
            var ticks = 0
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                await learner.expire()
                ticks += 1
                if ticks % 30 == 0 { await scoring.save() }
            }
        }
        await scoring.save()
    }
}
