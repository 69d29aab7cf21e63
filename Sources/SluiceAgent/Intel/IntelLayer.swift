import Foundation
import Logging
import SluiceCore
import SluiceKernel
import Synchronization

/// The node's feed layers: the indicators from the server's feeds and the local feed files, kept
/// in the kernel's feed-layer maps one change at a time (never a policy recompile), saved in the
/// state folder so a restarted agent enforces them before it reaches its server.
///
/// Changes are serialized by this actor; events read the indicator behind an id through
/// `catalog` from any thread.
public actor IntelLayer {
    let controller: EnforcementController
    let path: String
    let logger: Logger
    let metrics: AgentMetrics
    /// The set, read by events (`indicator(id:)`) and written only by this actor.
    nonisolated let catalog = Mutex(IntelLayerSet())
    /// When a file was last read, by path: a changed modification time reads it again.
    private var fileStamps: [String: Date] = [:]
    /// A kernel write failed: the next change writes the whole set again.
    private var needsResync = false
    public private(set) var lastError: String?
    public private(set) var lastApply: IntelApplyResult?
    public private(set) var lastDelta: Date?

    public init(controller: EnforcementController, path: String, metrics: AgentMetrics, logger: Logger) {
        self.controller = controller
        self.path = path
        self.metrics = metrics
        self.logger = logger
    }

    /// The indicator behind an event's intel id.
    public nonisolated func indicator(id: UInt32) -> IntelIndicator? {
        guard id != 0 else { return nil }
        return catalog.withLock { $0.indicator(id: id) }
    }

    /// The server's cursor: the `after` of the next poll (nil before the first answer).
    public func cursor() -> UInt64? {
        catalog.withLock { $0.cursor }
    }

    /// Indicators held per feed.
    public func counts() -> [String: Int] { catalog.withLock { $0.countsByFeed } }

    /// Loads the saved set and writes it into the kernel, dropping whatever else the kernel's maps
    /// hold (an earlier agent's indicators no longer held) and the local feeds no longer
    /// configured (`feedFiles`).
    public func start(feedFiles: Set<String>) async {
        if let data = FileManager.default.contents(atPath: path) {
            do {
                let snapshot = try JSONDecoder.intel.decode(IntelSnapshot.self, from: data)
                var set = try IntelLayerSet(snapshot: snapshot)
                for feed in set.localFeeds where !feedFiles.contains(feed) {
                    _ = set.replaceLocalFeed(feed, with: [], now: Date())
                }
                catalog.withLock { $0 = set }
            } catch {
                logger.error("saved feed indicators unreadable; starting without them", metadata: ["intel.path": "\(path)", "error": "\(error)"])
            }
        }
        await resync(reason: "start")
    }

    /// Applies the server's answer to the intel poll.
    public func apply(_ delta: IntelDelta) async {
        let changes = catalog.withLock { $0.apply(delta, now: Date()) }
        lastDelta = Date()
        await write(changes, reason: delta.full ? "full" : "delta")
    }

    /// Reads the local feed files that changed since their last read. A file that cannot be read
    /// or parsed leaves its previous indicators in force.
    public func readFeedFiles(_ files: [FeedFile]) async {
        for file in files {
            let stamp = (try? FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate]) as? Date
            guard let stamp, fileStamps[file.path] != stamp else {
                if stamp == nil, fileStamps[file.path] != .distantPast {
                    fileStamps[file.path] = .distantPast
                    lastError = "feed file \(file.path): cannot be read"
                    logger.error("feed file cannot be read; its last indicators stay in force", metadata: ["intel.file": "\(file.path)"])
                }
                continue
            }
            fileStamps[file.path] = stamp
            do {
                let text = try String(contentsOfFile: file.path, encoding: .utf8)
                let indicators = try IntelList.parse(text, feed: file.feed, action: file.action, expires: nil)
                let changes = catalog.withLock { $0.replaceLocalFeed(file.feed, with: indicators, now: Date()) }
                await write(changes, reason: "file")
                logger.info("feed file read", metadata: ["intel.file": "\(file.path)", "intel.indicators": "\(indicators.count)"])
            } catch {
                lastError = "feed file \(file.path): \(error)"
                logger.error(
                    "feed file refused; its last indicators stay in force", metadata: ["intel.file": "\(file.path)", "error": "\(error)"])
            }
        }
    }

    /// Drops expired indicators; returns when the next one expires.
    @discardableResult
    public func expire() async -> Date? {
        let changes = catalog.withLock { $0.expire(now: Date()) }
        if !changes.isEmpty { await write(changes, reason: "expiry") }
        return catalog.withLock { $0.nextExpiry }
    }

    private func write(_ changes: IntelChanges, reason: String) async {
        if needsResync {
            await resync(reason: reason)
            return
        }
        guard !changes.isEmpty else { return }
        do {
            let result = try await controller.applyIntel(changes)
            lastApply = result
            lastError = nil
            logger.debug(
                "feed layers updated",
                metadata: ["intel.reason": "\(reason)", "intel.writes": "\(result.writes)", "intel.seconds": "\(result.seconds)"])
        } catch {
            needsResync = true
            lastError = "\(error)"
            logger.error("feed layers could not be written; retrying with the whole set", metadata: ["error": "\(error)"])
        }
        save()
    }

    /// Writes the whole set and removes what else the kernel holds.
    private func resync(reason: String) async {
        let (changes, targets) = catalog.withLock { set in (set.forgetInstalled(now: Date()), Set(set.installed.keys)) }
        do {
            let result = try await controller.applyIntel(changes)
            let pruned = try await controller.pruneIntel(keeping: targets)
            lastApply = result
            needsResync = false
            lastError = nil
            logger.info(
                "feed layers written",
                metadata: [
                    "intel.reason": "\(reason)", "intel.writes": "\(result.writes)", "intel.pruned": "\(pruned)", "intel.seconds": "\(result.seconds)",
                ])
        } catch {
            needsResync = true
            lastError = "\(error)"
            logger.error("feed layers could not be written", metadata: ["error": "\(error)"])
        }
        save()
    }

    /// Saves the set (atomically: a crash leaves the previous file).
    private func save() {
        let snapshot = catalog.withLock { $0.snapshot }
        metrics.intelHeld(snapshot.indicators.reduce(into: [:]) { $0[$1.feed, default: 0] += 1 })
        do {
            try JSONEncoder.intel.encode(snapshot).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            logger.error("feed indicators could not be saved", metadata: ["intel.path": "\(path)", "error": "\(error)"])
        }
    }
}

extension JSONEncoder {
    /// The feed set's file: dates as RFC 3339.
    static var intel: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    static var intel: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
