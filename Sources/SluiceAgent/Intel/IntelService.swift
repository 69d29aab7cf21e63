import Foundation
import Logging
import ServiceLifecycle
import SluiceCore

/// Keeps the feed layers current on their own: the saved set at start, local feed files read
/// again when they change, expired indicators removed (the kernel already ignores them).
struct IntelService: Service {
    let layer: IntelLayer
    let files: [FeedFile]
    /// How often feed files are looked at, and the longest wait between expiry checks.
    let interval: Duration

    func run() async throws {
        await layer.start(feedFiles: Set(files.map(\.feed)))
        await layer.readFeedFiles(files)
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let next = await layer.expire()
                let untilExpiry = next.map { Duration.milliseconds(Int64(max(0, $0.timeIntervalSinceNow) * 1000) + 1) } ?? interval
                try await Task.sleep(for: min(interval, untilExpiry))
                await layer.readFeedFiles(files)
            }
        }
    }
}
