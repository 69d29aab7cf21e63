import Foundation
@preconcurrency import Glibc
import AsyncAlgorithms
import Logging
import OpenAPIRuntime
import SluiceKernel
import ServiceLifecycle
import SluiceAPI
import SluiceCore
import Synchronization

/// The node's membership in a fleet: enrolls once, then sends heartbeats, applies the server's
/// policy revisions as they are pushed (a watch stream), uploads every decision through a disk outbox
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
    /// The feed layers the intel poll keeps current.
    let intel: IntelLayer
    /// Wakes the heartbeat loop early (after a policy apply), the uploader (a new batch, the
    /// server back) and the policy watch (the server back).
    let nudges = Nudges()

    final class Nudges: Sendable {
        let heartbeat = AsyncSignal()
        let upload = AsyncSignal()
        let policy = AsyncSignal()
        let intel = AsyncSignal()
    }

    func run() async throws {
        // A wrong --server fails the agent's start, before any request.
        let enrollment = try connect(credential: nil)
        await cancelWhenGracefulShutdown {
            let membership = await enroll(enrollment)
            await enrollment.shutdown()
            guard let membership, let client = try? connect(credential: membership.credential) else { return }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await heartbeats(client, membership) }
                group.addTask { await policies(client, membership) }
                group.addTask { await collect() }
                group.addTask { await uploads(client, membership) }
                group.addTask { await learnedRules(client, membership) }
                group.addTask { await intelFeeds(client, membership) }
                await group.waitForAll()
            }
            await client.shutdown()
        }
    }

    /// The server's API with the node's credential (none for enrollment).
    private func connect(credential: String?) throws(APIClientError) -> ServerConnection {
        try ServerConnection(
            server: fleet.serverURL, credential: credential, certificateAuthority: fleet.certificateAuthorityFile,
            allowPlainHTTP: fleet.allowPlainHTTP, userAgent: "sluice-agent/\(SluiceVersion.current)")
    }

    /// The node's credential: saved from an earlier enrollment, or enrolled now with the join token.
    private func enroll(_ client: ServerConnection) async -> Membership? {
        if let saved = Membership.load(configuration.state), saved.server == fleet.serverURL {
            tracker.enrolled(nodeID: saved.nodeID)
            return saved
        }
        guard let token = fleet.joinToken else {
            tracker.notEnrolled("no --join-token given")
            logger.error("not enrolled with \(fleet.serverURL) and no --join-token given; enforcing local and saved policy only")
            return nil
        }
        let request = Components.Schemas.EnrollRequest(
            joinToken: token, nodeName: configuration.nodeName, labels: .init(additionalProperties: fleet.labels),
            kernel: Self.kernelRelease(), agentVersion: SluiceVersion.current)
        var delay = Duration.seconds(1)
        while !Task.isCancelled {
            do {
                let response = try await client.call { try await $0.enroll(body: .json(request)).created.body.json }
                let membership = Membership(
                    server: fleet.serverURL, nodeID: response.nodeId, credential: response.credential,
                    heartbeatSeconds: response.heartbeatSeconds)
                try membership.save(configuration.state)
                tracker.enrolled(nodeID: response.nodeId)
                tracker.reached()
                logger.info("enrolled", metadata: ["fleet.server": "\(fleet.serverURL)", "fleet.node": "\(response.nodeId)"])
                return membership
            } catch let error as APIClientError where error.isRetryable {
                tracker.unreachable(error.description)
                logger.warning("server unreachable; will retry enrollment", metadata: ["error": "\(error)"])
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

    private func heartbeats(_ client: ServerConnection, _ membership: Membership) async {
        var done: [Int] = []
        var interval = membership.heartbeatSeconds
        while !Task.isCancelled && !tracker.isRevoked {
            do {
                var beat = await heartbeat()
                beat.ruleDecisionsApplied = done
                let response = try await client.call { [beat] in try await $0.heartbeat(body: .json(beat)).ok.body.json }
                done = []
                interval = response.heartbeatSeconds
                if response.revoked {
                    revoked("the server answered the heartbeat with revoked", membership)
                    return
                }
                if reached() { logger.info("the server answers again", metadata: ["fleet.buffered": "\(outbox.totals.buffered)"]) }
                for wire in response.ruleDecisions {
                    guard let decision = try? RuleDecision(wire) else {
                        logger.error("the server sent a rule decision this agent cannot read", metadata: ["fleet.decision": "\(wire.id)"])
                        continue
                    }
                    if await learner.apply(decision) { done.append(wire.id) }
                }
                if !done.isEmpty { nudges.heartbeat.signal() }
            } catch {
                if revoked(error, membership) { return }
                logger.debug("heartbeat failed", metadata: ["error": "\(error)"])
            }
            await nudges.heartbeat.wait(upTo: .seconds(Int64(max(1, interval))))
        }
    }

    private func heartbeat() async -> Components.Schemas.Heartbeat {
        let counters = (try? await controller.kernelCounters()) ?? DatapathCounters()
        let applied = await controller.applied
        let failure = await controller.serverFailure
        let outboxTotals = outbox.totals
        func count(_ value: some BinaryInteger) -> Int { Int(clamping: value) }
        return Components.Schemas.Heartbeat(
            appliedRevision: await controller.serverRevision.map { count($0) }, applyError: failure?.error,
            failedRevision: failure.map { count($0.revision) },
            policyGeneration: count(applied?.generation ?? 0), rulesLoaded: applied?.entries ?? 0,
            decisions: .init(
                allow: count(counters.allow), alert: count(counters.alert), deny: count(counters.deny), monitorDeny: count(counters.monitorDeny)),
            eventsLost: .init(kernel: count(counters.eventsLost), agent: pipeline.droppedInAgent, upload: count(outboxTotals.dropped)),
            eventsBuffered: count(outboxTotals.buffered), agentVersion: SluiceVersion.current)
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
        // A tick each second flushes a partial batch that has waited long enough.
        let ticks = AsyncTimerSequence(interval: .seconds(1), clock: .continuous).map { _ -> EventStreamItem? in nil }
        for await item in merge(hub.subscribe(EventFilter()).map { Optional($0) }, ticks) {
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
    }

    /// Sends the outbox oldest first; backs off while the server is away.
    private func uploads(_ client: ServerConnection, _ membership: Membership) async {
        var delay = Duration.milliseconds(500)
        while !Task.isCancelled && !tracker.isRevoked {
            guard let batch = outbox.oldest() else {
                await nudges.upload.wait(upTo: .seconds(5))
                continue
            }
            do {
                let body = HTTPBody(try Data(contentsOf: URL(fileURLWithPath: batch.path)))
                let query = Operations.UploadEvents.Input.Query(sequence: Int(clamping: batch.sequence))
                _ = try await client.call(timeout: .seconds(30)) { try await $0.uploadEvents(query: query, body: .applicationXNdjson(body)).ok }
                outbox.remove(batch)
                reached()
                delay = .milliseconds(500)
            } catch let error as APIClientError where !error.isRetryable && !error.isRevocation {
                logger.error("the server refused an event batch; it is dropped and counted", metadata: ["error": "\(error)"])
                outbox.discard(batch)
            } catch {
                if revoked(error, membership) { return }
                logger.debug("event upload failed; buffering on disk", metadata: ["error": "\(error)", "fleet.buffered": "\(outbox.totals.buffered)"])
                await nudges.upload.wait(upTo: delay)
                delay = min(delay * 2, .seconds(30))
            }
        }
    }

    /// Reports the learned rules whenever they change.
    private func learnedRules(_ client: ServerConnection, _ membership: Membership) async {
        var sent: [LearnedRule]?
        while !Task.isCancelled && !tracker.isRevoked {
            let rules = await learner.list()
            if rules != sent {
                do {
                    let body = try rules.map(Components.Schemas.LearnedRule.init)
                    _ = try await client.call(timeout: .seconds(30)) { try await $0.uploadLearnedRules(body: .json(body)).ok }
                    sent = rules
                } catch {
                    if revoked(error, membership) { return }
                    logger.debug("learned rules upload failed", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: .seconds(10))
        }
    }

    /// Records that a request got through; when the server had been away, wakes the uploader
    /// and the policy watch, which may be deep in their back-off. True when it had been away.
    @discardableResult
    func reached() -> Bool {
        guard tracker.reached() else { return false }
        nudges.upload.signal()
        nudges.policy.signal()
        nudges.intel.signal()
        return true
    }

    /// Records a failed request; when the server said that the node's credential is revoked, stops
    /// reporting, keeps enforcing, and sets the credential aside so that a restart with a new join
    /// token enrolls again. True when revoked: the caller's loop ends.
    func revoked(_ error: any Error, _ membership: Membership) -> Bool {
        guard let error = error as? APIClientError else { return false }
        if error.isRevocation {
            revoked(error.description, membership)
            return true
        }
        if error.isRetryable { tracker.unreachable(error.description) }
        return false
    }

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
        guard fd >= 0 else { throw AgentError.credentialNotSaved(path: temporary, operation: "open", errno: errno) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == data.count, synced == 0 else {
            let reason = written < 0 || synced != 0 ? errno : ENOSPC
            unlink(temporary)
            throw AgentError.credentialNotSaved(path: temporary, operation: written == data.count ? "fsync" : "write", errno: reason)
        }
        guard rename(temporary, path) == 0 else {
            let reason = errno
            unlink(temporary)
            throw AgentError.credentialNotSaved(path: path, operation: "rename", errno: reason)
        }
    }

    /// Renames the refused credential to `fleet.json.revoked`: kept for the record, no longer
    /// loaded at start.
    func setAside(_ state: StateLayout) {
        rename(state.fleetCredentialPath, state.fleetCredentialPath + ".revoked")
    }
}
