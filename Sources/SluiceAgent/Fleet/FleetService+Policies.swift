import SluiceAPI
import SluiceCore
import Synchronization

extension FleetService {
    /// Applies the server's revisions as they come, each with the local folder: on one open watch
    /// stream, or by long polls where the server has no watch (an older one answers 404; asked
    /// again every `watchRetry`, since the server may be upgraded after its agents). A refused
    /// revision is not asked for again: the next push brings a new one.
    func policies(_ client: ServerConnection, _ membership: Membership) async {
        var delay = Duration.seconds(1)
        var seen = await controller.serverRevision
        var watching = true
        var longPollingSince = ContinuousClock.now
        // The first heartbeat that gets through cuts the wait short.
        func backOff() async {
            await nudges.policy.wait(upTo: delay)
            delay = min(delay * 2, .seconds(30))
        }
        while !Task.isCancelled && !tracker.isRevoked {
            if !watching && ContinuousClock.now - longPollingSince >= Self.watchRetry { watching = true }
            do {
                if watching {
                    let opened = ContinuousClock.now
                    try await watch(client, seen: &seen)
                    // A stream the server ends at once (it is stopping) is not opened again at once.
                    if ContinuousClock.now - opened < .seconds(1) {
                        await backOff()
                        continue
                    }
                } else {
                    try await poll(client, seen: &seen)
                }
                delay = .seconds(1)
            } catch let error as APIClientError where watching && error.status == 404 {
                logger.info("the server has no policy watch; long-polling instead", metadata: ["error": "\(error)"])
                watching = false
                longPollingSince = .now
            } catch {
                if revoked(error, membership) { return }
                logger.debug("policy watch failed; retrying", metadata: ["error": "\(error)"])
                await backOff()
            }
        }
    }

    /// Quiet on a watch (no bundle and no keepalive) after which the server is taken as gone: three
    /// of its 15 s keepalives missed.
    static let watchSilence = Duration.seconds(45)

    /// How long an agent long-polls a server without the watch before asking for the watch again.
    static let watchRetry = Duration.seconds(3600)

    /// Reads one watch stream until the server ends it (revocation, shutdown) or falls silent.
    private func watch(_ client: ServerConnection, seen: inout UInt64?) async throws {
        let stream = try await client.watchPolicy(after: seen.map { Int(clamping: $0) })
        reached()
        let progress = WatchProgress(seen: seen)
        defer { seen = progress.revision.withLock { $0 } }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await lines in stream {
                        progress.heard.withLock { $0 = .now }
                        for case .bundle(let wire) in lines {
                            let bundle = try PolicyBundle(wire)
                            progress.revision.withLock { $0 = bundle.revision }
                            await apply(bundle)
                        }
                    }
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: Self.watchSilence / 3)
                        let quiet = ContinuousClock.now - progress.heard.withLock { $0 }
                        if quiet >= Self.watchSilence {
                            throw APIClientError.unreachable(server: client.server, cause: "the policy watch was silent for \(quiet)")
                        }
                    }
                }
                // The reader ends with the stream; the watchdog only by throwing.
                try await group.next()
                group.cancelAll()
            }
        } catch {
            throw APIClientError(error, server: client.server)
        }
    }

    /// One long poll, and the bundle it brings applied.
    private func poll(_ client: ServerConnection, seen: inout UInt64?) async throws {
        let wait = 30
        let query = Operations.PollPolicy.Input.Query(after: seen.map { Int(clamping: $0) }, wait: wait)
        let answer = try await client.call(timeout: .seconds(wait + 30)) { try await $0.pollPolicy(query: query) }
        guard case .ok(let ok) = answer else {
            reached()
            return
        }
        let bundle = try PolicyBundle(try ok.body.json)
        reached()
        seen = bundle.revision
        await apply(bundle)
    }

    private func apply(_ bundle: PolicyBundle) async {
        let applied = await controller.setServerPolicies(bundle)
        logger.info(
            applied ? "server policy applied" : "server policy refused; the previous one stays in force",
            metadata: ["fleet.revision": "\(bundle.revision)", "fleet.policies": "\(bundle.policies.count)"])
        nudges.heartbeat.signal()
    }
}

/// What a watch's reader shares with its watchdog: when a line last came, the last revision applied.
private final class WatchProgress: Sendable {
    let heard = Mutex(ContinuousClock.now)
    let revision: Mutex<UInt64?>

    init(seen: UInt64?) { revision = Mutex(seen) }
}
