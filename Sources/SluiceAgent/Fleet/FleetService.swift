import Foundation
@preconcurrency import Glibc
import Logging
import NIOCore
import SluiceKernel
import ServiceLifecycle
import SluiceCore
import Synchronization

/// The node's membership in a fleet: enrolls once, then sends heartbeats, applies the server's
/// policy revisions as they are pushed (long poll), uploads every decision through a disk outbox
/// that rides out server outages, and reports learned rules. The node keeps enforcing whatever it
/// last applied when the server is away.
struct FleetService: Service {
    let fleet: FleetConfiguration
    let controller: EnforcementController
    let learner: RuleLearner
    let hub: DecisionEventHub
    let pipeline: EventPipeline
    let configuration: AgentConfiguration
    let outbox: EventOutbox
    /// What `sluice status` shows of the membership.
    let tracker: FleetTracker
    let logger: Logger
    /// Wakes the heartbeat loop early (after a policy apply), the uploader (a new batch, the
    /// server back) and the policy watch (the server back).
    let nudges = Nudges()

    final class Nudges: Sendable {
        let heartbeat = AsyncSignal()
        let upload = AsyncSignal()
        let policy = AsyncSignal()
    }

    func run() async throws {
        let client = try FleetClient(configuration: fleet)
        defer { Task { await client.shutdown() } }
        try? await cancelWhenGracefulShutdown {
            guard let membership = await enroll(client) else { return }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await heartbeats(client, membership) }
                group.addTask { await policies(client, membership) }
                group.addTask { await collect() }
                group.addTask { await uploads(client, membership) }
                group.addTask { await learnedRules(client, membership) }
                await group.waitForAll()
            }
        }
    }

    /// The node's credential: saved from an earlier enrollment, or enrolled now with the join token.
    private func enroll(_ client: FleetClient) async -> Membership? {
        if let saved = Membership.load(configuration.state), saved.server == fleet.serverURL {
            tracker.enrolled(nodeID: saved.nodeID)
            return saved
        }
        guard let token = fleet.joinToken else {
            tracker.notEnrolled("no --join-token given")
            logger.error("not enrolled with \(fleet.serverURL) and no --join-token given; enforcing local and saved policy only")
            return nil
        }
        let request = EnrollRequest(
            joinToken: token, nodeName: configuration.nodeName, labels: fleet.labels, kernel: Self.kernelRelease(),
            agentVersion: SluiceVersion.current)
        var delay = Duration.seconds(1)
        while !Task.isCancelled {
            do {
                let response = try await client.enroll(request)
                let membership = Membership(
                    server: fleet.serverURL, nodeID: response.nodeId, credential: response.credential,
                    heartbeatSeconds: response.heartbeatSeconds)
                try membership.save(configuration.state)
                tracker.enrolled(nodeID: response.nodeId)
                tracker.reached()
                logger.info("enrolled", metadata: ["fleet.server": "\(fleet.serverURL)", "fleet.node": "\(response.nodeId)"])
                return membership
            } catch FleetClient.Failure.unreachable(let why) {
                tracker.unreachable(why)
                logger.warning("server unreachable; will retry enrollment", metadata: ["error": "\(why)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(30))
            } catch {
                tracker.notEnrolled("\(error)")
                logger.error("enrollment refused; enforcing local and saved policy only", metadata: ["error": "\(error)"])
                return nil
            }
        }
        return nil
    }

    private func heartbeats(_ client: FleetClient, _ membership: Membership) async {
        var done: [Int64] = []
        var interval = membership.heartbeatSeconds
        while !Task.isCancelled && !tracker.isRevoked {
            do {
                var beat = await heartbeat()
                beat.ruleDecisionsApplied = done
                let response = try await client.heartbeat(beat, credential: membership.credential)
                done = []
                interval = response.heartbeatSeconds
                if response.revoked {
                    revoked("the server answered the heartbeat with revoked", membership)
                    return
                }
                if reached() { logger.info("the server answers again", metadata: ["fleet.buffered": "\(outbox.totals.buffered)"]) }
                for decision in response.ruleDecisions where await learner.apply(decision) {
                    done.append(decision.id)
                }
                if !done.isEmpty { nudges.heartbeat.signal() }
            } catch FleetClient.Failure.revoked(let why) {
                revoked(why, membership)
                return
            } catch {
                failed(error)
                logger.debug("heartbeat failed", metadata: ["error": "\(error)"])
            }
            await nudges.heartbeat.wait(upTo: .seconds(Int64(max(1, interval))))
        }
    }

    private func heartbeat() async -> Heartbeat {
        let counters = (try? await controller.kernelCounters()) ?? DatapathCounters()
        let applied = await controller.applied
        let failure = await controller.serverFailure
        let outboxTotals = outbox.totals
        return Heartbeat(
            appliedRevision: await controller.serverRevision, applyError: failure?.error, failedRevision: failure?.revision,
            policyGeneration: applied?.generation ?? 0, rulesLoaded: applied?.entries ?? 0,
            decisions: DecisionCounts(allow: counters.allow, alert: counters.alert, deny: counters.deny, monitorDeny: counters.monitorDeny),
            eventsLost: EventLosses(kernel: counters.eventsLost, agent: UInt64(pipeline.droppedInAgent), upload: outboxTotals.dropped),
            eventsBuffered: outboxTotals.buffered, agentVersion: SluiceVersion.current)
    }

    /// Long polls for new revisions and applies each (with the local folder). A refused revision
    /// is not asked for again: the next push brings a new one.
    private func policies(_ client: FleetClient, _ membership: Membership) async {
        var delay = Duration.seconds(1)
        var seen = await controller.serverRevision
        while !Task.isCancelled && !tracker.isRevoked {
            do {
                guard let bundle = try await client.policy(after: seen, waitSeconds: 30, credential: membership.credential) else {
                    reached()
                    continue
                }
                reached()
                delay = .seconds(1)
                seen = bundle.revision
                let applied = await controller.setServerPolicies(bundle)
                logger.info(
                    applied ? "server policy applied" : "server policy refused; the previous one stays in force",
                    metadata: ["fleet.revision": "\(bundle.revision)", "fleet.policies": "\(bundle.policies.count)"])
                nudges.heartbeat.signal()
            } catch FleetClient.Failure.revoked(let why) {
                revoked(why, membership)
                return
            } catch {
                failed(error)
                logger.debug("policy watch failed; retrying", metadata: ["error": "\(error)"])
                // The first heartbeat that gets through cuts the wait short.
                await nudges.policy.wait(upTo: delay)
                delay = min(delay * 2, .seconds(30))
            }
        }
    }

    /// Batches every decision into the outbox: up to `batchSize` events or one second.
    private func collect() async {
        var lines: [UInt8] = []
        var count = 0
        var started = ContinuousClock.now
        func flush() {
            guard count > 0 else { return }
            outbox.append(lines, events: count)
            lines.removeAll(keepingCapacity: true)
            count = 0
            nudges.upload.signal()
        }
        let stream = hub.subscribe(EventFilter())
        let ticker = AsyncStream<Void> { continuation in
            let task = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    continuation.yield()
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
        await withTaskGroup(of: Void.self) { group in
            let (merged, input) = AsyncStream.makeStream(of: EventStreamItem?.self)
            group.addTask {
                for await item in stream { input.yield(item) }
                input.finish()
            }
            group.addTask {
                for await _ in ticker { input.yield(nil) }
            }
            for await item in merged {
                switch item {
                case .events(let events)?:
                    if count == 0 { started = .now }
                    for event in events {
                        lines += event.jsonLine.utf8
                        lines.append(UInt8(ascii: "\n"))
                        count += 1
                        if count >= fleet.batchSize { flush() }
                    }
                case .dropped(let lost)?:
                    outbox.countDropped(lost)
                case nil:
                    if ContinuousClock.now - started >= .seconds(1) { flush() }
                }
                // A revoked node uploads nothing more: filling the disk with events would help no one.
                if Task.isCancelled || tracker.isRevoked { break }
            }
            flush()
            group.cancelAll()
        }
    }

    /// Sends the outbox oldest first; backs off while the server is away.
    private func uploads(_ client: FleetClient, _ membership: Membership) async {
        var delay = Duration.milliseconds(500)
        while !Task.isCancelled && !tracker.isRevoked {
            guard let batch = outbox.oldest() else {
                await nudges.upload.wait(upTo: .seconds(5))
                continue
            }
            do {
                let body = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: batch.path)))
                _ = try await client.upload(events: body, sequence: batch.sequence, credential: membership.credential)
                outbox.remove(batch)
                reached()
                delay = .milliseconds(500)
            } catch FleetClient.Failure.refused(let status, let why) {
                logger.error("the server refused an event batch; it is dropped and counted", metadata: ["http.status": "\(status)", "error": "\(why)"])
                outbox.discard(batch)
            } catch FleetClient.Failure.revoked(let why) {
                revoked(why, membership)
                return
            } catch {
                failed(error)
                logger.debug("event upload failed; buffering on disk", metadata: ["error": "\(error)", "fleet.buffered": "\(outbox.totals.buffered)"])
                await nudges.upload.wait(upTo: delay)
                delay = min(delay * 2, .seconds(30))
            }
        }
    }

    /// Reports the learned rules whenever they change.
    private func learnedRules(_ client: FleetClient, _ membership: Membership) async {
        var sent: [LearnedRule]?
        while !Task.isCancelled && !tracker.isRevoked {
            let rules = await learner.list()
            if rules != sent {
                do {
                    try await client.upload(rules: rules, credential: membership.credential)
                    sent = rules
                } catch FleetClient.Failure.revoked(let why) {
                    revoked(why, membership)
                    return
                } catch {
                    failed(error)
                    logger.debug("learned rules upload failed", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: .seconds(10))
        }
    }

    /// Records that a request got through; when the server had been away, wakes the uploader
    /// and the policy watch, which may be deep in their back-off. True when it had been away.
    @discardableResult
    private func reached() -> Bool {
        guard tracker.reached() else { return false }
        nudges.upload.signal()
        nudges.policy.signal()
        return true
    }

    private func failed(_ error: any Error) {
        if case FleetClient.Failure.unreachable(let why) = error { tracker.unreachable(why) }
    }

    /// The server refuses the credential: stop reporting, keep enforcing, and set the
    /// credential aside so that a restart with a new join token enrolls again.
    private func revoked(_ why: String, _ membership: Membership) {
        guard !tracker.isRevoked else { return }
        tracker.revoked(why)
        membership.setAside(configuration.state)
        logger.error(
            "the server refuses this node's credential (revoked); enforcing the last policy, no longer reporting",
            metadata: ["error": "\(why)", "fleet.node": "\(membership.nodeID)"])
    }

    static func kernelRelease() -> String {
        var names = utsname()
        uname(&names)
        return withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}

/// The node's enrollment, kept in the state folder (root only).
struct Membership: Codable, Sendable {
    var server: String
    var nodeID: String
    var credential: String
    var heartbeatSeconds: Int

    static func load(_ state: StateLayout) -> Membership? {
        guard let data = FileManager.default.contents(atPath: state.fleetCredentialPath) else { return nil }
        return try? JSONDecoder().decode(Membership.self, from: data)
    }

    /// Written to a temporary file created 0600, then renamed into place: the credential is
    /// never readable by others, not even for a moment.
    func save(_ state: StateLayout) throws {
        let path = state.fleetCredentialPath
        let temporary = path + ".tmp"
        let data = try JSONEncoder().encode(self)
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AgentError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == data.count, synced == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw AgentError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Renames the refused credential to `fleet.json.revoked`: kept for the record, no longer
    /// loaded at start.
    func setAside(_ state: StateLayout) {
        rename(state.fleetCredentialPath, state.fleetCredentialPath + ".revoked")
    }
}
