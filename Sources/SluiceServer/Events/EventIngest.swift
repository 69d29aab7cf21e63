import Logging
import NIOCore
import SluiceAPI
import SluiceCore
import Synchronization

/// Stores agents' event batches: parse the NDJSON body, find the alert-worthy events, store the
/// batch and its alerts in one transaction, then tell the live streams and the notifier.
///
/// Backpressure: a few batches are stored at once and a bounded number wait; beyond that the
/// answer is 503 with Retry-After, and the agent keeps the batch in its disk buffer.
final class EventIngest: Sendable {
    private let store: Store
    private let catalog: PolicyCatalog
    private let watcher: RevisionWatcher
    private let hub: EventLineHub
    private let gate: AdmissionGate
    private let metrics: ServerMetrics
    private let aggregationUs: Int64
    /// Open connections' last counts, so each flow record stores the bytes it added. Per server
    /// process: after a restart (or on another replica) a connection's next record counts from
    /// zero, and its bytes so far are stored again once.
    private let flowDeltas = Mutex(FlowDeltas())
    private let onAlert: @Sendable (Components.Schemas.AlertInfo) -> Void

    init(
        store: Store, catalog: PolicyCatalog, watcher: RevisionWatcher, hub: EventLineHub, metrics: ServerMetrics,
        limits: ServerConfiguration.RequestLimits, aggregationSeconds: Int, onAlert: @escaping @Sendable (Components.Schemas.AlertInfo) -> Void
    ) {
        self.store = store
        self.catalog = catalog
        self.watcher = watcher
        self.hub = hub
        self.metrics = metrics
        self.gate = AdmissionGate(concurrency: limits.ingestConcurrency, queue: limits.ingestQueue)
        self.aggregationUs = Int64(aggregationSeconds) * 1_000_000
        self.onAlert = onAlert
    }

    /// A parsed batch.
    struct Batch: Sendable {
        var events: [(event: DecisionEvent, line: String)]
    }

    /// How far ahead of the server's clock a node's clock may run before its event times are not
    /// believed.
    static let maximumClockSkewNs: Int64 = 300 * 1_000_000_000

    /// Parses an NDJSON body: one event per line, blank lines ignored; 400 naming the first bad
    /// line, 413 beyond the batch limits.
    static func parse(_ body: ByteBuffer, nodeName: String) throws -> Batch {
        let receivedNs = Micros.now() * 1000
        let latestNs = receivedNs + maximumClockSkewNs
        var events: [(event: DecisionEvent, line: String)] = []
        events.reserveCapacity(min(EventUpload.maximumEvents, body.readableBytes / 200 + 1))
        try body.withUnsafeReadableBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            var lineNumber = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != 0x0A { end += 1 }
                lineNumber += 1
                var stop = end
                if stop > start, bytes[stop - 1] == 0x0D { stop -= 1 }
                defer { start = end + 1 }
                if (start..<stop).allSatisfy({ bytes[$0] == 0x20 || bytes[$0] == 0x09 }) { continue }
                if stop - start > EventUpload.maximumLineBytes {
                    throw APIError.tooLarge("line \(lineNumber) is \(stop - start) bytes; an event line may have at most \(EventUpload.maximumLineBytes)")
                }
                if events.count == EventUpload.maximumEvents {
                    throw APIError.tooLarge("more than \(EventUpload.maximumEvents) events in one batch; split it")
                }
                let line = UnsafeBufferPointer(rebasing: bytes[start..<stop])
                let event: DecisionEvent
                do {
                    event = try DecisionEvent(jsonLine: line)
                } catch {
                    throw APIError.badRequest("line \(lineNumber) is not an event: \(error)")
                }
                // Stored as the server read it, never as sent: the node's enrolled name is
                // authoritative (no node speaks for another), and a line with repeated or
                // unknown keys must not show readers something other than what was indexed.
                if let field = columnWithNUL(event) {
                    throw APIError.badRequest("line \(lineNumber): the \(field) holds a NUL character, which the server cannot store")
                }
                var stored = event
                stored.node = nodeName
                // An event from the future would escape retention and sort above everything:
                // beyond a node's plausible clock error it is dated when it arrived.
                if stored.timeNanoseconds > latestNs { stored.timeNanoseconds = receivedNs }
                events.append((stored, stored.jsonLine))
            }
        }
        return Batch(events: events)
    }

    /// The first field stored in a column of its own that holds a NUL (PostgreSQL text cannot,
    /// and both databases take the same events); the line itself is stored re-encoded, NUL escaped.
    private static func columnWithNUL(_ event: DecisionEvent) -> String? {
        // Checked one by one: an array of the fields would be an allocation per ingested event.
        func nul(_ text: String?) -> Bool { text?.utf8.contains(0) == true }
        if nul(event.exe) { return "exe" }
        if nul(event.cgroup) { return "cgroup" }
        if nul(event.transport) { return "transport" }
        if nul(event.dstDomain) { return "dst_domain" }
        if nul(event.policy) { return "policy" }
        return nul(event.rule) ? "rule" : nil
    }

    /// Stores a batch for `node`; throws 503 when too many are being stored already.
    func ingest(node: NodeRecord, sequence: Int64, body: ByteBuffer) async throws -> Components.Schemas.EventBatchResponse {
        guard gate.enter() else {
            metrics.batchesRejected.increment()
            throw APIError.unavailable("the server is storing too many event batches; retry later", retryAfter: 1)
        }
        defer { gate.leave() }
        let batch = try Self.parse(body, nodeName: node.name)
        await gate.waitTurn()
        defer { gate.finishTurn() }
        let alertOnDeny = try await catalog.current(atLeast: watcher.revision).alertOnDeny
        let rows = flowDeltas.withLock { deltas in
            batch.events.map { EventRow(event: $0.event, line: $0.line, added: deltas.add($0.event)) }
        }
        let candidates = Self.alertCandidates(batch.events, node: node, alertOnDeny: alertOnDeny)
        let result = try await store.storeEventBatch(
            nodeID: node.id, sequence: sequence, rows: rows, alerts: candidates, aggregationUs: aggregationUs)
        if result.duplicate {
            metrics.duplicateBatches.increment()
            return .init(stored: 0, duplicate: true)
        }
        metrics.eventBatches.increment()
        metrics.eventsIngested.increment(by: result.stored)
        hub.publish(nodeID: node.id, events: batch.events)
        for alert in result.alerts {
            metrics.alertsRaised.increment()
            onAlert(alert)
        }
        return .init(stored: result.stored, duplicate: false)
    }

    /// The batch's alert-worthy events folded by fingerprint: `alert` verdicts, denies of
    /// policies with `alertOnDeny` (monitor-mode denies too: they are what enforce would block),
    /// and events the agent scored anomalous.
    static func alertCandidates(
        _ events: [(event: DecisionEvent, line: String)], node: NodeRecord, alertOnDeny: Set<String>
    ) -> [AlertCandidate] {
        var folded: [String: AlertCandidate] = [:]
        var order: [String] = []
        func add(_ kind: Components.Schemas.AlertKind, _ event: DecisionEvent, _ line: String) {
            let timeUs = event.timeNanoseconds / 1000
            var candidate = AlertCandidate(
                kind: kind, nodeID: node.id, nodeName: node.name, policy: event.policy, rule: event.rule, exe: event.exe,
                destination: event.destination.description, domain: event.dstDomain.map(DomainFilter.normalized), port: event.port, verdict: event.verdict, score: event.score?.value, count: 1,
                firstUs: timeUs, lastUs: timeUs, sample: line)
            let key = candidate.fingerprint
            if var existing = folded[key] {
                existing.count += 1
                existing.firstUs = min(existing.firstUs, timeUs)
                existing.lastUs = max(existing.lastUs, timeUs)
                if let score = event.score?.value, score > (existing.score ?? -.infinity) { existing.score = score }
                candidate = existing
            } else {
                order.append(key)
            }
            folded[key] = candidate
        }
        // A flow record repeats its connection's decision: the decision raised what it raises.
        for (event, line) in events where event.flow == nil {
            if event.verdict == .alert {
                add(.alertRule, event, line)
            } else if event.verdict == .deny, let policy = event.policy, alertOnDeny.contains(policy) {
                add(.policyDeny, event, line)
            }
            if event.score?.isAnomaly == true { add(.anomaly, event, line) }
        }
        return order.compactMap { folded[$0] }
    }
}
